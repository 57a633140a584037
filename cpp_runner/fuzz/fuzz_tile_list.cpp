// Fuzz harness of the tile list reader (tile_list.hpp): the input is a whole tiles.jsonl,
// served from memory (harness.hpp MemFile) to read_tile_list. Invariants: one entry per
// non-blank line (a line is what is cut at '\n'; blank: only spaces, tabs, CR; a line over
// kMaxLineBytes is never blank), each OK or UNREADABLE; an OK entry has a place and two paths, each absolute or under the
// list's folder, without a NUL.
#include <string>
#include <vector>

#include "harness.hpp"
#include "quakesat/tile_list.hpp"

namespace {

using namespace quakesat;
using quakesat_fuzz::require;

std::size_t non_blank_lines(const std::uint8_t* data, std::size_t size) {
  std::size_t lines = 0, length = 0;
  bool blank = true;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      lines += blank && length <= kMaxLineBytes ? 0 : 1;
      blank = true;
      length = 0;
      continue;
    }
    ++length;
    if (c != ' ' && c != '\t' && c != '\r') blank = false;
  }
  return lines + (length > 0 && (!blank || length > kMaxLineBytes) ? 1 : 0);
}

bool good_path(const std::string& path, const std::string& folder) {
  if (path.find('\0') != std::string::npos) return false;
  return (!path.empty() && path[0] == '/') || path.compare(0, folder.size() + 1, folder + "/") == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static quakesat_fuzz::MemFile file("fuzz_tile_list");
  const std::string& path = file.write(data, size);
  const std::string folder = path.substr(0, path.find_last_of('/'));
  std::string error;
  const std::vector<TileEntry> entries = read_tile_list(path, error);
  require(error.empty(), "the list opens");
  require(entries.size() == non_blank_lines(data, size), "one entry per non-blank line");
  for (const TileEntry& e : entries) {
    require(e.meta.read_status == Status::kOk || e.meta.read_status == Status::kUnreadable, "OK or UNREADABLE");
    if (e.meta.read_status != Status::kOk) continue;
    require(e.meta.has_georef, "an OK entry has a place");
    require(good_path(e.pre, folder) && good_path(e.post, folder), "an OK entry's paths are whole");
  }
  return 0;
}
