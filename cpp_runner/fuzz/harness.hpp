// What the fuzz harnesses of cpp_runner/fuzz/ share: an invariant check that aborts (libFuzzer
// then saves the input as a crash; the replay driver fails), and an in-memory file (memfd) for
// the readers that take a path, so one input costs no disk write. Each fuzz_*.cpp defines
// LLVMFuzzerTestOneInput; it is linked with libFuzzer (QUAKESAT_FUZZ, clang) or with replay.cpp
// (any compiler: the ctest over the regression inputs).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace quakesat_fuzz {

// A broken invariant is a bug: say which and abort.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// One memfd per process, rewritten for each input; path() opens it afresh (offset 0).
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    require(fd_ >= 0, "memfd_create");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  const std::string& write(const std::uint8_t* data, std::size_t size) {
    require(::ftruncate(fd_, 0) == 0, "ftruncate");
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      require(n > 0, "pwrite");
      done += static_cast<std::size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace quakesat_fuzz
