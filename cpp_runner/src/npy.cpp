// .npy tile reader: header parsed in place from a stack buffer, data read straight into the
// caller's buffer (little-endian hosts: x86-64 and aarch64).
#include "quakesat/npy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace quakesat {
namespace {

constexpr std::size_t kMaxHeader = 4096;

class Fd {
 public:
  explicit Fd(const char* path) : fd_(::open(path, O_RDONLY | O_CLOEXEC)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool read_all(int fd, void* dst, std::size_t n) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// Value text after `'key':` in a Python dict literal, or nullptr.
const char* value_of(const char* header, const char* key) {
  const char* at = std::strstr(header, key);
  if (!at) return nullptr;
  at = std::strchr(at + std::strlen(key), ':');
  if (!at) return nullptr;
  ++at;
  while (*at == ' ') ++at;
  return at;
}

// Parse "(a, b, c)" into dims; returns the number of dims, -1 when malformed.
int parse_shape(const char* text, long dims[4]) {
  if (*text != '(') return -1;
  ++text;
  int n = 0;
  while (true) {
    while (*text == ' ') ++text;
    if (*text == ')') return n;
    if (*text < '0' || *text > '9' || n == 4) return -1;
    long v = 0;
    while (*text >= '0' && *text <= '9') {
      v = v * 10 + (*text - '0');
      if (v > (1L << 40)) return -1;
      ++text;
    }
    dims[n++] = v;
    while (*text == ' ') ++text;
    if (*text == ',') ++text;
    else if (*text != ')') return -1;
  }
}

}  // namespace

Status read_npy_image(const char* path, float* buffer, std::size_t capacity, NpyImage& image) {
  Fd fd(path);
  if (fd.get() < 0) return Status::kUnreadable;
  unsigned char magic[8];
  if (!read_all(fd.get(), magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) return Status::kUnreadable;
  const int major = magic[6];
  std::size_t header_length = 0;
  std::size_t preamble = 8;
  if (major == 1) {
    unsigned char n[2];
    if (!read_all(fd.get(), n, 2)) return Status::kUnreadable;
    header_length = n[0] | (n[1] << 8);
    preamble += 2;
  } else if (major == 2 || major == 3) {
    unsigned char n[4];
    if (!read_all(fd.get(), n, 4)) return Status::kUnreadable;
    header_length = n[0] | (n[1] << 8) | (static_cast<std::size_t>(n[2]) << 16) | (static_cast<std::size_t>(n[3]) << 24);
    preamble += 4;
  } else {
    return Status::kUnreadable;
  }
  char header[kMaxHeader + 1];
  if (header_length == 0 || header_length > kMaxHeader || !read_all(fd.get(), header, header_length)) {
    return Status::kUnreadable;
  }
  header[header_length] = '\0';
  const char* descr = value_of(header, "'descr'");
  const char* fortran = value_of(header, "'fortran_order'");
  const char* shape = value_of(header, "'shape'");
  if (!descr || !fortran || !shape || header[0] != '{') return Status::kUnreadable;
  long dims[4];
  const int ndim = parse_shape(shape, dims);
  const bool is_true = std::strncmp(fortran, "True", 4) == 0;
  if (ndim < 0 || (!is_true && std::strncmp(fortran, "False", 5) != 0)) return Status::kUnreadable;
  if (std::strncmp(descr, "'<f4'", 5) != 0) return Status::kBadDtype;
  if (is_true) return Status::kUnreadable;
  if (ndim != 3 || dims[2] != 2) return Status::kBadShape;
  const std::size_t count = static_cast<std::size_t>(dims[0]) * static_cast<std::size_t>(dims[1]) * 2;
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return Status::kUnreadable;
  if (static_cast<std::size_t>(info.st_size) < preamble + header_length + count * sizeof(float)) {
    return Status::kUnreadable;
  }
  image.height = static_cast<int>(dims[0]);
  image.width = static_cast<int>(dims[1]);
  image.loaded = false;
  if (count > capacity) return Status::kOk;  // a valid file of the wrong size: the input checks decide
  if (!read_all(fd.get(), buffer, count * sizeof(float))) return Status::kUnreadable;
  image.loaded = true;
  return Status::kOk;
}

}  // namespace quakesat
