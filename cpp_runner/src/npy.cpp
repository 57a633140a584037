// .npy tile reader: header parsed in place from a stack buffer, data read straight into the
// caller's buffer (little-endian hosts: x86-64 and aarch64). One grammar and one order of
// checks for both element types (float32 H x W x 2, complex64 H x W).
#include "quakesat/npy.hpp"

#include <cstdint>
#include <cstring>

#include "quakesat/regular_file.hpp"

namespace quakesat {
namespace {

constexpr std::size_t kMaxHeader = 4096;

enum class Dtype { kOther, kF4, kC8 };  // '<f4', '<c8', anything else

// A .npy header under the grammar of runtime/tile_file.py (what NumPy writes, nothing looser).
struct Header {
  Dtype dtype = Dtype::kOther;
  bool fortran = false;
  int ndim = 0;
  long dims[4] = {0, 0, 0, 0};
};

class Cursor {
 public:
  Cursor(const char* text, std::size_t end) : text_(text), end_(end) {}
  bool done() const { return at_ >= end_; }
  char peek() const { return done() ? '\0' : text_[at_]; }
  void spaces() {
    while (peek() == ' ') ++at_;
  }
  bool take(char c) {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  bool word(const char* w) {
    const std::size_t n = std::strlen(w);
    if (end_ - at_ < n || std::strncmp(text_ + at_, w, n) != 0) return false;
    at_ += n;
    return true;
  }
  // One to nine decimal digits, no leading zero (NumPy's own reader refuses "01").
  bool integer(long& value) {
    int digits = 0;
    value = 0;
    const bool leading_zero = peek() == '0';
    while (peek() >= '0' && peek() <= '9') {
      if (leading_zero && digits == 1) return false;
      if (++digits > 9) return false;
      value = value * 10 + (peek() - '0');
      ++at_;
    }
    return digits > 0;
  }
  bool letter() const { return (peek() >= 'a' && peek() <= 'z') || (peek() >= 'A' && peek() <= 'Z'); }
  bool alnum() const { return letter() || (peek() >= '0' && peek() <= '9'); }
  std::size_t at() const { return at_; }
  const char* text() const { return text_; }

 private:
  const char* text_;
  std::size_t end_;
  std::size_t at_ = 0;
};

bool parse_descr(Cursor& c, Header& h) {
  if (!c.take('\'')) return false;
  const std::size_t start = c.at();
  if (c.peek() == '<' || c.peek() == '>' || c.peek() == '|' || c.peek() == '=') c.take(c.peek());
  if (!c.letter()) return false;
  while (c.alnum()) c.take(c.peek());
  const std::size_t length = c.at() - start;
  if (length == 3 && std::strncmp(c.text() + start, "<f4", 3) == 0) h.dtype = Dtype::kF4;
  if (length == 3 && std::strncmp(c.text() + start, "<c8", 3) == 0) h.dtype = Dtype::kC8;
  return c.take('\'');
}

bool parse_shape(Cursor& c, Header& h) {
  if (!c.take('(')) return false;
  c.spaces();
  while (!c.take(')')) {
    long value = 0;
    if (h.ndim == 4 || !c.integer(value)) return false;
    h.dims[h.ndim++] = value;
    c.spaces();
    if (c.take(',')) {
      c.spaces();
    } else if (c.peek() != ')') {
      return false;
    }
  }
  return true;
}

bool parse_header(const char* text, std::size_t length, Header& h) {
  std::size_t end = length;
  while (end > 0 && text[end - 1] == ' ') --end;
  if (end > 0 && text[end - 1] == '\n') --end;
  while (end > 0 && text[end - 1] == ' ') --end;
  for (std::size_t i = 0; i < end; ++i) {
    if (static_cast<unsigned char>(text[i]) < 0x20 || static_cast<unsigned char>(text[i]) > 0x7E) return false;
  }
  if (end < 2 || text[0] != '{' || text[end - 1] != '}') return false;
  Cursor c(text + 1, end - 2);
  bool seen[3] = {false, false, false};
  static const char* const kKeys[3] = {"'descr'", "'fortran_order'", "'shape'"};
  while (true) {
    c.spaces();
    if (c.done()) break;  // "{}" or a trailing comma
    int key = -1;
    for (int k = 0; k < 3 && key < 0; ++k) {
      if (c.word(kKeys[k])) key = k;
    }
    if (key < 0 || seen[key]) return false;
    seen[key] = true;
    c.spaces();
    if (!c.take(':')) return false;
    c.spaces();
    bool ok = false;
    if (key == 0) {
      ok = parse_descr(c, h);
    } else if (key == 1) {
      h.fortran = c.word("True");
      ok = h.fortran || c.word("False");
    } else {
      ok = parse_shape(c, h);
    }
    if (!ok) return false;
    c.spaces();
    if (!c.take(',')) break;
  }
  c.spaces();
  return c.done() && seen[0] && seen[1] && seen[2];
}

// Either reader: `dtype` is the element type wanted, '<f4' H x W x 2 or '<c8' H x W (both
// side x side x 2 floats in `buffer`).
Status read_npy(const char* path, int side, Dtype dtype, float* buffer, NpyImage& image) {
  RegularFile file(path);  // a FIFO, device or directory is refused before any read
  if (!file.ok()) return Status::kUnreadable;
  unsigned char magic[8];
  if (!file.read_exact(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) return Status::kUnreadable;
  const int major = magic[6];
  if (magic[7] != 0) return Status::kUnreadable;
  std::size_t header_length = 0;
  std::size_t preamble = 8;
  if (major == 1) {
    unsigned char n[2];
    if (!file.read_exact(n, 2)) return Status::kUnreadable;
    header_length = n[0] | (n[1] << 8);
    preamble += 2;
  } else if (major == 2 || major == 3) {
    unsigned char n[4];
    if (!file.read_exact(n, 4)) return Status::kUnreadable;
    header_length = n[0] | (n[1] << 8) | (static_cast<std::size_t>(n[2]) << 16) | (static_cast<std::size_t>(n[3]) << 24);
    preamble += 4;
  } else {
    return Status::kUnreadable;
  }
  char header[kMaxHeader + 1];
  if (header_length == 0 || header_length > kMaxHeader || !file.read_exact(header, header_length)) {
    return Status::kUnreadable;
  }
  Header parsed;
  if (!parse_header(header, header_length, parsed)) return Status::kUnreadable;
  if (parsed.dtype != dtype) return Status::kBadDtype;
  if (parsed.fortran) return Status::kUnreadable;
  const long* dims = parsed.dims;
  const bool rank = dtype == Dtype::kF4 ? parsed.ndim == 3 && dims[2] == 2 : parsed.ndim == 2;
  if (!rank || dims[0] == 0 || dims[1] == 0) return Status::kBadShape;
  const std::size_t count = static_cast<std::size_t>(dims[0]) * static_cast<std::size_t>(dims[1]) * 2;
  if (file.size() < preamble + header_length + count * sizeof(float)) return Status::kUnreadable;
  image.height = static_cast<int>(dims[0]);
  image.width = static_cast<int>(dims[1]);
  // The model's side, judged on the header: a file claiming a huge image costs no read.
  if (dims[0] != side || dims[1] != side) return Status::kBadShape;
  if (!file.read_exact(buffer, count * sizeof(float))) return Status::kUnreadable;
  return Status::kOk;
}

}  // namespace

Status read_npy_image(const char* path, int side, float* buffer, NpyImage& image) {
  return read_npy(path, side, Dtype::kF4, buffer, image);
}

Status read_npy_complex(const char* path, int side, float* buffer, NpyImage& image) {
  return read_npy(path, side, Dtype::kC8, buffer, image);
}

}  // namespace quakesat
