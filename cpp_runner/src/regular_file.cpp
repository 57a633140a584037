// Regular files only, size checked before any read (regular_file.hpp; runtime/regular_file.py).
#include "quakesat/regular_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace quakesat {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory, not a regular file";
  if (S_ISFIFO(mode)) return "a FIFO, not a regular file";
  if (S_ISSOCK(mode)) return "a socket, not a regular file";
  if (S_ISCHR(mode)) return "a character device, not a regular file";
  if (S_ISBLK(mode)) return "a block device, not a regular file";
  return "not a regular file";
}

}  // namespace

RegularFile::RegularFile(const char* path, std::uint64_t max_bytes) {
  const int fd = ::open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    why_ = std::strerror(errno);
    return;
  }
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    why_ = std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    why_ = kind_of(info.st_mode);
  } else if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    why_ = "larger than the reader accepts";
  } else {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0) {  // reads block as usual from here
      fd_ = fd;
      size_ = static_cast<std::uint64_t>(info.st_size);
      return;
    }
    why_ = std::strerror(errno);
  }
  ::close(fd);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

long RegularFile::read_some(void* dst, std::size_t n) {
  for (;;) {
    const ssize_t got = ::read(fd_, dst, n);
    if (got >= 0) return static_cast<long>(got);
    if (errno != EINTR) return -1;
  }
}

bool RegularFile::read_exact(void* dst, std::size_t n) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const long got = read_some(p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

bool read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out, std::string& detail) {
  out.clear();
  RegularFile file(path.c_str(), max_bytes);
  if (!file.ok()) {
    detail = path + ": " + file.why();
    return false;
  }
  out.resize(static_cast<std::size_t>(file.size()));
  if (!file.read_exact(out.data(), out.size())) {
    detail = path + ": cannot be read";
    return false;
  }
  char extra;
  if (file.read_some(&extra, 1) != 0) {  // it grew while being read
    detail = path + ": larger than the reader accepts";
    return false;
  }
  return true;
}

}  // namespace quakesat
