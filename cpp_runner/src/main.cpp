// quakesat-runner: placeholder CLI of the C++ flight runner. It only reports its version
// and the downlink message version it will speak; inference lands with the runner issue.
#include <cstdio>
#include <cstring>

namespace {
constexpr int kMessageVersion = 1;  // runtime/message.py MESSAGE_VERSION
constexpr int kMessageLength = 32;  // runtime/message.py MESSAGE_LENGTH
}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("quakesat-runner 0.1.0 (downlink message v%d, %d bytes)\n", kMessageVersion, kMessageLength);
    return 0;
  }
  std::fprintf(stderr, "usage: %s --version\n(the tile runner is not built yet)\n", argv[0]);
  return 2;
}
