// quakesat-runner: tiles in, downlink messages out, with the C++ flight runner.
//
//   quakesat-runner ARTIFACTS_DIR TILES.jsonl -o messages.bin [--artifact NAME]
//                   [--gate off|identical|manifest] [--locate auto|head|change|centre]
//                   [--threads N] [--profile] [--repeat N] [--timings FILE]
//   quakesat-runner --version | --help
//
// Writes one 32-byte message per tile, in list order. A model that cannot be used is not an
// error: every message then carries its status (exit 0). Exit 2 on a usage error (one line
// on stderr naming it), an unreadable tile list or an unwritable output.
#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "quakesat/manifest.hpp"
#include "quakesat/artifact.hpp"
#include "quakesat/runner.hpp"
#include "quakesat/tile_list.hpp"
#include "quakesat/timings.hpp"

#ifndef QUAKESAT_VERSION
#error "QUAKESAT_VERSION (quakesat/__init__.py __version__) is defined by CMakeLists.txt"
#endif

namespace {

constexpr int kUsageError = 2;

const char* const kHelp =
    "usage: quakesat-runner ARTIFACTS_DIR TILES.jsonl -o OUT.bin [options]\n"
    "       quakesat-runner --version | --help\n"
    "\n"
    "The C++ flight runner: one 32-byte downlink message per tile of TILES.jsonl, in list order,\n"
    "from the ExecuTorch (.pte) artifact that the manifest in ARTIFACTS_DIR describes.\n"
    "\n"
    "arguments:\n"
    "  ARTIFACTS_DIR    folder holding manifest.json (version 3) and its artifacts\n"
    "  TILES.jsonl      tile list, one JSON object per line: tile_id, time, lat, lon,\n"
    "                   pixel_spacing_m, pre and post (.npy paths relative to the list)\n"
    "\n"
    "options:\n"
    "  -o OUT.bin       file the messages are written to (required)\n"
    "  --artifact NAME  artifact of the manifest to run (default: the manifest's\n"
    "                   default_artifacts.cpp, else the first int8 .pte, else the first .pte)\n"
    "  --gate MODE      change gate: off, identical (skip pixel-identical pairs) or manifest (also\n"
    "                   skip pairs whose changed share is below the manifest's gate.threshold;\n"
    "                   the default)\n"
    "  --locate METHOD  epicentre of a flagged tile: auto (the manifest's locate.method; the\n"
    "                   default), head (location head), change (densest change) or centre\n"
    "  --threads N      inference threads, N >= 1 (default 1: XNNPACK runs in the calling thread)\n"
    "  --profile        after the run, print the time per stage and the memory held\n"
    "  --repeat N       run the tile list N times over (default 1; messages for every pass)\n"
    "  --timings FILE   write every tile's time, the stage totals, the memory plan and the\n"
    "                   resident memory as JSON (what quakesat bench reads)\n"
    "  --trusted-key F  Ed25519 public key file (quakesat keygen): run the manifest only if\n"
    "                   manifest.json.sig verifies it with this key, else manifest_invalid\n"
    "  --version        print the version and exit\n"
    "  -h, --help       print this help and exit\n"
    "\n"
    "exit status:\n"
    "  0  one message per tile written. A model that cannot be used (missing, hash mismatch,\n"
    "     invalid manifest, not a .pte, refused by ExecuTorch) is not an error: every message\n"
    "     carries that status and no event, and stderr says why.\n"
    "  2  usage error, unreadable tile list, or OUT.bin cannot be written.\n";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "quakesat-runner: error: %s (--help for usage)\n", problem.c_str());
  return kUsageError;
}

bool one_of(const std::string& value, std::initializer_list<const char*> options) {
  for (const char* option : options) {
    if (value == option) return true;
  }
  return false;
}

// A whole number >= 1, nothing else.
bool thread_count(const char* text, int& threads) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno || end == text || *end != '\0' || value < 1 || value > INT_MAX) return false;
  threads = static_cast<int>(value);
  return true;
}

struct Arguments {
  std::string positional[2], out_path, artifact;
  int positionals = 0;
  bool profile = false;
  int repeat = 1;
  std::string timings_path;
  quakesat::RunnerConfig config;
};

// -1: go on and run; otherwise the exit status (help and version printed, or a usage error).
int parse_arguments(int argc, char** argv, Arguments& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("quakesat-runner %s (downlink message v%d, %zu bytes; manifest v%d)\n", QUAKESAT_VERSION,
                  quakesat::kMessageVersion, quakesat::kMessageLength, quakesat::kManifestVersion);
      return 0;
    }
    if (arg == "--profile") {
      a.profile = true;
      continue;
    }
    if (arg == "-o" || arg == "--artifact" || arg == "--gate" || arg == "--locate" || arg == "--threads" ||
        arg == "--repeat" || arg == "--timings" || arg == "--trusted-key") {
      if (i + 1 >= argc) return usage_error("option " + arg + " needs a value");
      const std::string value = argv[++i];
      if (arg == "-o") a.out_path = value;
      if (arg == "--artifact") a.artifact = value;
      if (arg == "--gate") a.config.gate = value;
      if (arg == "--locate") a.config.locate = value;
      if (arg == "--threads" && !thread_count(value.c_str(), a.config.threads)) {
        return usage_error("--threads takes a whole number >= 1, got '" + value + "'");
      }
      if (arg == "--repeat" && !thread_count(value.c_str(), a.repeat)) {
        return usage_error("--repeat takes a whole number >= 1, got '" + value + "'");
      }
      if (arg == "--timings") a.timings_path = value;
      if (arg == "--trusted-key") {
        std::string problem;
        if (!quakesat::read_public_key(value, a.config.trusted_key, problem)) return usage_error(problem);
      }
      continue;
    }
    if (!arg.empty() && arg[0] == '-') return usage_error("unknown option '" + arg + "'");
    if (a.positionals == 2) return usage_error("one argument too many: '" + arg + "'");
    a.positional[a.positionals++] = arg;
  }
  if (!one_of(a.config.gate, {"off", "identical", "manifest"})) {
    return usage_error("--gate takes off, identical or manifest, got '" + a.config.gate + "'");
  }
  if (!one_of(a.config.locate, {"auto", "head", "change", "centre"})) {
    return usage_error("--locate takes auto, head, change or centre, got '" + a.config.locate + "'");
  }
  if (a.positionals == 0) return usage_error("missing ARTIFACTS_DIR and TILES.jsonl");
  if (a.positionals == 1) return usage_error("missing TILES.jsonl");
  if (a.out_path.empty()) return usage_error("missing -o OUT.bin");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quakesat;
  Arguments args;
  const int parsed = parse_arguments(argc, argv, args);
  if (parsed >= 0) return parsed;
  const RunnerConfig& config = args.config;
  const std::string& out_path = args.out_path;
  std::string error;
  const auto tiles = read_tile_list(args.positional[1], error);
  if (!error.empty()) {
    std::fprintf(stderr, "quakesat-runner: error: %s\n", error.c_str());
    return kUsageError;
  }
  Runner runner;
  if (runner.init(args.positional[0], args.artifact, config) != Status::kOk) {
    std::fprintf(stderr, "quakesat-runner: model fault, every tile will carry %s: %s\n",
                 code_name(runner.fault()), runner.fault_detail().c_str());
  }
  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "quakesat-runner: error: cannot write %s\n", out_path.c_str());
    return kUsageError;
  }
  long events = 0;
  RunTimings timings;
  timings.passes = args.repeat;
  timings.tile_seconds.reserve(tiles.size() * static_cast<std::size_t>(args.repeat));
  for (int pass = 0; pass < args.repeat; ++pass) {
    for (const TileEntry& tile : tiles) {
      std::uint8_t message[kMessageLength];
      const auto start = std::chrono::steady_clock::now();
      const Status status = runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, message);
      timings.tile_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (pass == 0 && status != Status::kOk && category_of(status) != Category::kDegraded) {
        std::fprintf(stderr, "quakesat-runner: tile %u: %s\n", tile.meta.tile_id, code_name(status));
      }
      events += runner.last_report().event;
      std::fwrite(message, 1, kMessageLength, out);
    }
    if (pass == 0) timings.rss_after_first_pass = resident_bytes();
  }
  timings.rss_end = resident_bytes();
  std::fclose(out);
  const std::size_t runs = tiles.size() * static_cast<std::size_t>(args.repeat);
  std::printf("%zu tiles -> %zu messages, %zu bytes, %ld events -> %s\n", runs, runs, runs * kMessageLength, events,
              out_path.c_str());
  if (!args.timings_path.empty() && !write_timings(args.timings_path, runner, timings, config.threads)) {
    std::fprintf(stderr, "quakesat-runner: error: cannot write %s\n", args.timings_path.c_str());
    return kUsageError;
  }
  if (args.profile) {
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
