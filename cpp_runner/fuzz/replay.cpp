// The fuzz harnesses without libFuzzer, for any compiler: every file given, or every file in a
// folder given (not recursive), is fed once to the harness's LLVMFuzzerTestOneInput. A broken
// invariant aborts; a crash is a crash; under the sanitizers (scripts/build_sanitized.sh) a
// memory error too. The ctests fuzz_regressions_* run it over cpp_runner/fuzz/regressions/ (the
// inputs that once broke a parser), cpp_runner/fuzz/seeds/ and the shared corpus.
//
//   replay_HARNESS PATH...   (a missing folder is skipped; no input at all fails)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, as libFuzzer passes it: an overread is seen by ASan.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int inputs = 0, failures = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path path = argv[i];
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(path, error)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) {
        failures += run_file(file) ? 0 : 1;
        ++inputs;
      }
    } else if (fs::exists(path, error)) {
      failures += run_file(path) ? 0 : 1;
      ++inputs;
    } else {
      std::printf("%s: not there, skipped\n", path.c_str());
    }
  }
  if (inputs == 0 || failures) {
    std::fprintf(stderr, "%d inputs, %d unreadable\n", inputs, failures);
    return 1;
  }
  std::printf("%d inputs replayed: ok\n", inputs);
  return 0;
}
