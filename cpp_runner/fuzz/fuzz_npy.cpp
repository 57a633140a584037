// Fuzz harness of the tile image readers (npy.hpp): the input is a whole .npy file, served from
// memory (harness.hpp MemFile) to read_npy_image and read_npy_complex for a model of side 32
// (32 x 32 x 2 floats). Invariants, for each: only the reader's four statuses come back; an OK
// image is 32 x 32 and is the file's bytes after the header; an OK file starts with the .npy
// magic; no file is OK for both (one element type each).
#include <cstring>

#include "harness.hpp"
#include "quakesat/npy.hpp"

namespace {

using namespace quakesat;
using quakesat_fuzz::require;

constexpr int kSide = 32;
constexpr std::size_t kCapacity = kSide * kSide * 2;

// Where the data starts by the preamble's header length (versions 1: u16, 2 and 3: u32).
std::size_t data_offset(const std::uint8_t* data, std::size_t size) {
  if (size < 12) return 0;
  std::size_t length = 0;
  for (std::size_t i = data[6] == 1 ? 2 : 4; i > 0; --i) length = (length << 8) | data[8 + i - 1];  // little-endian
  return (data[6] == 1 ? 10 : 12) + length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static quakesat_fuzz::MemFile file("fuzz_npy");
  static float buffer[kCapacity];
  const std::string& path = file.write(data, size);
  int ok = 0;
  for (auto* reader : {&read_npy_image, &read_npy_complex}) {
    NpyImage image;
    const Status status = reader(path.c_str(), kSide, buffer, image);
    require(status == Status::kOk || status == Status::kUnreadable || status == Status::kBadDtype ||
                status == Status::kBadShape,
            "the reader's statuses only");
    if (status != Status::kOk) continue;
    ++ok;
    require(size >= 10 && std::memcmp(data, "\x93NUMPY", 6) == 0, "an OK file has the magic");
    require(image.height == kSide && image.width == kSide, "an OK image has the model's side");
    const std::size_t offset = data_offset(data, size);
    require(offset + kCapacity * sizeof(float) <= size, "an OK file holds its data");
    require(std::memcmp(buffer, data + offset, kCapacity * sizeof(float)) == 0, "the image is the file's data");
  }
  require(ok <= 1, "no file is both '<f4' and '<c8'");
  return 0;
}
