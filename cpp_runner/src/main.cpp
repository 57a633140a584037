// quakesat-runner: tiles in, downlink messages out, with the C++ flight runner.
//
//   quakesat-runner ARTIFACTS_DIR TILES.jsonl -o messages.bin [--artifact NAME]
//                   [--gate off|identical|manifest] [--locate auto|head|change|centre]
//                   [--threads N] [--profile]
//   quakesat-runner --version
//
// Writes one 32-byte message per tile, in list order. A model that cannot be used is not an
// error: every message then carries its status (exit 0). Exit 2 on bad arguments or files.
#include <cstdio>
#include <cstring>
#include <string>

#include "quakesat/runner.hpp"
#include "quakesat/tile_list.hpp"

namespace {

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s ARTIFACTS_DIR TILES.jsonl -o OUT.bin [--artifact NAME] [--gate off|identical|manifest]\n"
               "       [--locate auto|head|change|centre] [--threads N] [--profile]\n"
               "       %s --version\n",
               argv0, argv0);
  return 2;
}

bool one_of(const std::string& value, std::initializer_list<const char*> options) {
  for (const char* option : options) {
    if (value == option) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quakesat;
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("quakesat-runner 0.2.0 (downlink message v%d, %zu bytes)\n", kMessageVersion, kMessageLength);
    return 0;
  }
  std::string positional[2], out_path, artifact;
  int positionals = 0;
  bool profile = false;
  RunnerConfig config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "-o" && has_value) out_path = argv[++i];
    else if (arg == "--artifact" && has_value) artifact = argv[++i];
    else if (arg == "--gate" && has_value) config.gate = argv[++i];
    else if (arg == "--locate" && has_value) config.locate = argv[++i];
    else if (arg == "--threads" && has_value) config.threads = std::atoi(argv[++i]);
    else if (arg == "--profile") profile = true;
    else if (!arg.empty() && arg[0] != '-' && positionals < 2) positional[positionals++] = arg;
    else return usage(argv[0]);
  }
  if (positionals != 2 || out_path.empty() || !one_of(config.gate, {"off", "identical", "manifest"}) ||
      !one_of(config.locate, {"auto", "head", "change", "centre"}) || config.threads < 1) {
    return usage(argv[0]);
  }
  std::string error;
  const auto tiles = read_tile_list(positional[1], error);
  if (!error.empty()) {
    std::fprintf(stderr, "quakesat-runner: error: %s\n", error.c_str());
    return 2;
  }
  Runner runner;
  if (runner.init(positional[0], artifact, config) != Status::kOk) {
    std::fprintf(stderr, "quakesat-runner: model fault, every tile will carry %s: %s\n",
                 code_name(runner.fault()), runner.fault_detail().c_str());
  }
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "quakesat-runner: error: cannot write %s\n", out_path.c_str());
    return 2;
  }
  long events = 0;
  for (const TileEntry& tile : tiles) {
    std::uint8_t message[kMessageLength];
    const Status status = runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, message);
    if (status != Status::kOk && category_of(status) != Category::kDegraded) {
      std::fprintf(stderr, "quakesat-runner: tile %u: %s\n", tile.meta.tile_id, code_name(status));
    }
    events += runner.last_report().event;
    std::fwrite(message, 1, kMessageLength, out);
  }
  std::fclose(out);
  std::printf("%zu tiles -> %zu messages, %zu bytes, %ld events -> %s\n", tiles.size(), tiles.size(),
              tiles.size() * kMessageLength, events, out_path.c_str());
  if (profile) {
    std::printf("%-11s %9s %9s %6s\n", "stage", "ms/tile", "ms/run", "runs");
    double total = 0;
    for (int s = 0; s < kStageCount; ++s) {
      const auto stage = static_cast<Stage>(s);
      const double seconds = runner.stage_seconds(stage);
      const long runs = runner.stage_runs(stage);
      total += seconds;
      std::printf("%-11s %9.3f %9.3f %6ld\n", kStageNames[s], 1000 * seconds / std::max<long>(runner.tiles(), 1),
                  runs ? 1000 * seconds / runs : 0.0, runs);
    }
    std::printf("%ld tiles, %.1f tiles/s in stages at %d thread(s); memory: tiles %zu B, model %zu B\n",
                runner.tiles(), total > 0 ? runner.tiles() / total : 0.0, config.threads, runner.tile_bytes(),
                runner.model_bytes());
  }
  return 0;
}
