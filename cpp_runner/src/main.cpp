// quakesat-runner: tiles in, downlink messages out, with the C++ flight runner.
//
//   quakesat-runner ARTIFACTS_DIR TILES.jsonl -o messages.bin [--artifact NAME]
//                   [--gate off|identical|manifest] [--locate auto|head|change|centre]
//                   [--emit all|alerts] [--health-every N] [--queue-capacity N]
//                   [--threads N] [--deadline-ms N] [--profile] [--repeat N] [--timings FILE]
//   quakesat-runner --version | --help
//
// The twin of `quakesat run --tiles` (ground/run.py): every tile's message goes through the
// bounded onboard queue (--emit, --queue-capacity) with a health report every --health-every
// tiles and one at the end, and the queue is drained once at the end (one ground contact)
// into OUT, in downlink order: the same bytes as `quakesat run` with the same options. A model
// that cannot be used is not an error: every message then carries its status (exit 0). Exit 2
// on a usage error (one line on stderr naming it), an unreadable tile list or an unwritable
// output.
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
constexpr unsigned long long kMaxQueueCapacity = 1'000'000;  // quakesat run --queue-capacity's bound

const char* const kHelp =
    "usage: quakesat-runner ARTIFACTS_DIR TILES.jsonl -o OUT.bin [options]\n"
    "       quakesat-runner --version | --help\n"
    "\n"
    "The C++ flight runner: every tile of TILES.jsonl through the ExecuTorch (.pte) artifact\n"
    "that the manifest in ARTIFACTS_DIR describes, one 32-byte downlink message per tile into\n"
    "the bounded onboard queue, a health report every --health-every tiles and one at the end;\n"
    "the queue is drained at the end (one ground contact) into OUT.bin, in downlink order:\n"
    "events (larger magnitude first), the health report, tiles with a non-OK status, quiet\n"
    "tiles, oldest first within each. The same bytes as `quakesat run --tiles` with the same\n"
    "options.\n"
    "\n"
    "arguments:\n"
    "  ARTIFACTS_DIR    folder holding manifest.json (version 4) and its artifacts\n"
    "  TILES.jsonl      tile list, one JSON object per line: tile_id, time, lat, lon,\n"
    "                   pixel_spacing_m, pre and post (.npy paths relative to the list),\n"
    "                   kind (amplitude, the default, or same_track: two complex64 files);\n"
    "                   a tile of another kind than the model takes is wrong_kind, unread\n"
    "\n"
    "options:\n"
    "  -o OUT.bin       file the messages are written to (required)\n"
    "  --artifact NAME  artifact of the manifest to run (default: the manifest's\n"
    "                   default_artifacts.cpp, else the first int8 .pte, else the first .pte)\n"
    "  --gate MODE      change gate: off, identical (skip pixel-identical pairs) or manifest (also\n"
    "                   skip pairs whose changed share is below the manifest's gate.threshold;\n"
    "                   the default). A same-track model has no gate\n"
    "  --locate METHOD  epicentre of a flagged tile: auto (the manifest's locate.method; the\n"
    "                   default), head (location head), change (densest change) or centre;\n"
    "                   a same-track model: head, else the centre\n"
    "  --emit MODE      what enters the queue: all (a message per tile; the default) or alerts\n"
    "                   (only events, bad input and model faults)\n"
    "  --health-every N tiles between health reports, N >= 0 (default 100; 0: only the final one)\n"
    "  --queue-capacity N\n"
    "                   tile reports the onboard queue holds, 1..1000000 (default 1024); the\n"
    "                   health report has a slot of its own. When full, the lowest-ranked\n"
    "                   report is dropped and counted in the next health report\n"
    "  --threads N      inference threads, N >= 1 (default 1: XNNPACK runs in the calling thread)\n"
    "  --deadline-ms N  time budget per tile in ms, from its read to the end of inference\n"
    "                   (default 0: none); a tile over it is deadline_missed, nothing flagged.\n"
    "                   ExecuTorch cannot be stopped mid-call: the budget is checked before the\n"
    "                   call and when it returns (a call that never returns is the hardware\n"
    "                   watchdog's)\n"
    "  --profile        after the run, print the time per stage and the memory held\n"
    "  --repeat N       run the tile list N times over as one run (default 1): one queue, the\n"
    "                   health cadence and sequence counts running on across passes, one\n"
    "                   contact at the end. OUT.bin is what `quakesat run` writes for the\n"
    "                   list's tiles N times over (a line that cannot be parsed keeps its\n"
    "                   line index as its id in every pass): at most --queue-capacity tile\n"
    "                   reports and one health report. --timings times every tile of every\n"
    "                   pass, its queuing included\n"
    "  --timings FILE   write every tile's time, the stage totals, the memory plan, the queue's\n"
    "                   counts and the resident memory as JSON (what quakesat bench reads)\n"
    "  --trusted-key F  Ed25519 public key file (quakesat keygen): run the manifest only if\n"
    "                   manifest.json.sig verifies it with this key, else manifest_invalid\n"
    "  --version        print the version and exit\n"
    "  -h, --help       print this help and exit\n"
    "\n"
    "exit status:\n"
    "  0  the drained queue written. A model that cannot be used (missing, hash mismatch,\n"
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

// A whole number in low..high written in decimal digits only (no sign, no space).
template <typename Number>
bool whole_number(const std::string& text, unsigned long long low, unsigned long long high, Number& out) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
  if (errno || value < low || value > high) return false;
  out = static_cast<Number>(value);
  return true;
}

struct Arguments {
  std::string positional[2], out_path, artifact;
  int positionals = 0;
  bool profile = false;
  int repeat = 1;
  std::string timings_path;
  std::string emit = "all";
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
        arg == "--repeat" || arg == "--timings" || arg == "--trusted-key" || arg == "--emit" ||
        arg == "--health-every" || arg == "--queue-capacity" || arg == "--deadline-ms") {
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
      if (arg == "--emit") a.emit = value;
      if (arg == "--health-every" && !whole_number(value, 0, ULLONG_MAX, a.config.health_every)) {
        return usage_error("--health-every takes a whole number >= 0, got '" + value + "'");
      }
      if (arg == "--queue-capacity" && !whole_number(value, 1, kMaxQueueCapacity, a.config.queue_capacity)) {
        return usage_error("--queue-capacity takes a whole number in 1.." + std::to_string(kMaxQueueCapacity) +
                           ", got '" + value + "'");
      }
      if (arg == "--deadline-ms") {
        unsigned long long ms = 0;
        if (!whole_number(value, 0, 3'600'000, ms)) {
          return usage_error("--deadline-ms takes a whole number of milliseconds in 0..3600000, got '" + value + "'");
        }
        a.config.deadline_s = static_cast<double>(ms) / 1000.0;
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
  if (!one_of(a.emit, {"all", "alerts"})) return usage_error("--emit takes all or alerts, got '" + a.emit + "'");
  a.config.emit = a.emit == "alerts" ? quakesat::Emit::kAlerts : quakesat::Emit::kAll;
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
  TileListReader tiles;  // streamed: memory does not grow with the list's length
  if (!tiles.open(args.positional[1], error)) {
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
  RunTimings timings;
  timings.passes = args.repeat;
  std::size_t runs = 0;
  TileEntry tile;
  for (int pass = 0; pass < args.repeat; ++pass) {
    if (pass > 0 && !tiles.open(args.positional[1], error)) {  // the next pass reads the list again
      std::fprintf(stderr, "quakesat-runner: error: %s\n", error.c_str());
      return kUsageError;
    }
    while (tiles.next(tile)) {
      ++runs;
      std::uint8_t message[kMessageLength];
      const auto start = std::chrono::steady_clock::now();  // the tile's span includes its queuing
      const Status status = runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, message);
      if (!args.timings_path.empty()) {  // kept only when asked for: memory grows with the tiles
        timings.tile_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      if (pass == 0 && status != Status::kOk && category_of(status) != Category::kDegraded) {
        std::fprintf(stderr, "quakesat-runner: tile %u: %s\n", tile.meta.tile_id, code_name(status));
      }
    }
    if (pass == 0) timings.rss_after_first_pass = resident_bytes();
  }
  runner.health();  // the run ends with one, so that every drop is reported
  // One contact: the whole queue, in downlink order.
  std::size_t messages = 0;
  long events = 0;
  bool written = true;
  std::uint8_t batch[64 * kMessageLength];
  for (std::size_t count; (count = runner.drain(64, batch)) > 0;) {
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint8_t* m = batch + i * kMessageLength;
      const bool tile_report = (m[field(Field::kVersionKind).offset] & 0x0F) == static_cast<int>(Kind::kTileReport);
      events += tile_report && (m[field(Field::kFlags).offset] & bit(Flag::kEvent));
    }
    written &= std::fwrite(batch, kMessageLength, count, out) == count;
    messages += count;
  }
  timings.rss_end = resident_bytes();
  written &= std::fclose(out) == 0;
  if (!written) {
    std::fprintf(stderr, "quakesat-runner: error: cannot write %s\n", out_path.c_str());
    return kUsageError;
  }
  std::printf("%zu tiles -> %zu messages, %zu bytes, %ld events, %llu dropped -> %s\n", runs, messages,
              messages * kMessageLength, events, static_cast<unsigned long long>(runner.queue().dropped_total()),
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
    std::printf("%ld tiles, %.1f tiles/s in stages at %d thread(s); memory: tiles %zu B, model %zu B, queue %zu B\n",
                runner.tiles(), total > 0 ? runner.tiles() / total : 0.0, config.threads, runner.tile_bytes(),
                runner.model_bytes(), runner.queue().bytes());
  }
  return 0;
}
