// The one rule for opening a file that comes from outside (runtime/regular_file.py): the path
// as written (no normalisation: "a.npy/" names no file), opened non-blocking so that a FIFO or
// a device cannot stall the open, kept only if fstat says it is a regular file, and its size
// checked against the caller's bound before a byte is read. Every reader of the runner (tile
// images, tile lists, manifests, signatures, keys, artifacts) opens its files here. POSIX, no
// heap allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace quakesat {

class RegularFile {
 public:
  static constexpr std::uint64_t kAnySize = UINT64_MAX;
  // Open `path` for reading; ok() tells whether it is a regular file of at most max_bytes.
  explicit RegularFile(const char* path, std::uint64_t max_bytes = kAnySize);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }
  // Why the file was refused ("a FIFO, not a regular file", "No such file or directory"...).
  const char* why() const { return why_; }

  // Exactly `n` bytes into `dst` (false on an error or an early end).
  bool read_exact(void* dst, std::size_t n);
  // Up to `n` bytes into `dst`: how many were read (0 at the end; -1 on an error).
  long read_some(void* dst, std::size_t n);

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
  const char* why_ = "";
};

// The whole content of the regular file `path`, of at most `max_bytes`; false with `detail`
// ("PATH: why") when it is refused or cannot be read.
bool read_regular_file(const std::string& path, std::size_t max_bytes, std::string& out, std::string& detail);

}  // namespace quakesat
