// Proof that the runner allocates nothing per tile: this binary interposes the C allocator
// (every operator new ends there too) and counts calls while every parity tile runs three
// times after Init and a warm-up pass, through a small downlink queue that drops and a health
// report every 5 tiles, with a health report and a contact after each round. Also reports the
// bytes the runner holds.
//
// Every preprocessing version: the committed tiny model (version 1) and a copy of it whose
// manifest names version 2 (written to a temporary folder; the artifact hashes still hold) on
// tests/vectors/runner, and the tiny same-track model (version 3: the same-track checks fused
// with interferogram formation, NO_COHERENCE, WRONG_KIND) on tests/vectors/runner_same_track.
// interferogram_features with the caller's scratch is also counted on its own, on a 256 x 256
// pair with looks 8, and so are the same-track checks (same_track.hpp) on that pair, alone and
// fused with formation.
//
//   test_no_alloc VECTORS_DIR
#include <malloc.h>
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/interferogram.hpp"
#include "quakesat/runner.hpp"
#include "quakesat/same_track.hpp"
#include "quakesat/tile_list.hpp"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
void count() {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t m) {
  count();
  return __libc_calloc(n, m);
}
void* realloc(void* p, size_t n) {
  count();
  return __libc_realloc(p, n);
}
void* memalign(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(size_t alignment, size_t n) {
  count();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
  count();
  *out = __libc_memalign(alignment, n);
  return *out ? 0 : 12;  // ENOMEM
}
void free(void* p) { __libc_free(p); }
}

// A copy of the tiny model folder whose manifest asks for preprocessing version 2.
std::string version_2_copy(const std::string& tiny) {
  namespace fs = std::filesystem;
  char pattern[] = "/tmp/quakesat-noalloc-XXXXXX";
  const char* folder = mkdtemp(pattern);
  if (!folder) return "";
  for (const auto& entry : fs::directory_iterator(tiny)) {
    fs::copy_file(entry.path(), fs::path(folder) / entry.path().filename(), fs::copy_options::overwrite_existing);
  }
  std::ifstream in(tiny + "/manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  manifest["preprocess"]["version"] = 2;
  std::ofstream(std::string(folder) + "/manifest.json") << manifest.dump(1);
  return folder;
}

// Interferogram formation with caller scratch: 0 heap allocations on a 256 x 256 pair, looks 8
// (with no-data pixels, so that that path runs too). Returns the failures (0 or 1).
int interferogram_allocates_nothing() {
  using namespace quakesat;
  constexpr int kSide = 256, kLooks = 8, kOut = kSide / kLooks;
  std::vector<float> pre(static_cast<std::size_t>(kSide) * kSide * 2), post(pre.size());
  for (std::size_t i = 0; i < pre.size(); ++i) {
    pre[i] = static_cast<float>(static_cast<int>(i * 7919 % 1000) - 500) / 250.0f;
    post[i] = static_cast<float>(static_cast<int>(i * 104729 % 1000) - 500) / 250.0f;
  }
  pre[1000] = std::nanf("");
  post[77777] = HUGE_VALF;
  std::vector<float> out(static_cast<std::size_t>(kInterferometricChannels) * kOut * kOut);
  std::vector<double> scratch(interferogram_scratch_doubles(kSide, kLooks));
  allocations = 0;
  counting = true;
  bool ok = true;
  for (int round = 0; round < 3; ++round) {
    ok = interferogram_features(pre.data(), post.data(), kSide, kSide, kLooks, out.data(), scratch.data()) && ok;
  }
  counting = false;
  std::printf("preprocessing v3 (interferogram_features, caller scratch): %d x %d pair, looks %d, x 3: %ld heap "
              "allocations; scratch %zu B\n",
              kSide, kSide, kLooks, allocations.load(), scratch.size() * sizeof(double));
  const long formation = allocations.load();
  // The same-track checks: the pair alone (its no-data pixel sends pre to the majority vote), each
  // image alone, and fused with formation. The Inf makes post NON_FINITE; then post is pre (no
  // NaN), a coherent pair that passes, degraded by pre's no-data pixel.
  long checks[2] = {0, 0};
  for (int variant = 0; variant < 2; ++variant) {
    if (variant == 1) {
      post = pre;
      post[1000] = 0.5f;
    }
    Status pair = Status::kOk, fused = Status::kOk, image = Status::kOk;
    allocations = 0;
    counting = true;
    for (int round = 0; round < 3; ++round) {
      pair = check_same_track_pair(pre.data(), post.data(), kSide);
      image = check_same_track_image(pre.data(), kSide);
      ok = same_track_features(pre.data(), post.data(), kSide, kLooks, out.data(), scratch.data(), fused) && ok;
    }
    counting = false;
    checks[variant] = allocations.load();
    std::printf("same-track checks (%s pair): check_same_track_pair %s, check_same_track_image(pre) %s, "
                "same_track_features %s, x 3: %ld heap allocations\n",
                variant ? "valid" : "an Inf in post's", code_name(pair), code_name(image), code_name(fused),
                checks[variant]);
    const Status want = variant ? Status::kPartialNodata : Status::kNonFinite;
    ok = ok && pair == want && fused == want && image == Status::kPartialNodata;
  }
  return !ok || formation != 0 || checks[0] != 0 || checks[1] != 0;
}

int main(int argc, char** argv) {
  using namespace quakesat;
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  std::string error;
  const auto amplitude_tiles = read_tile_list(vectors + "/runner/tiles.jsonl", error);
  const auto same_track_tiles = read_tile_list(vectors + "/runner_same_track/tiles.jsonl", error);
  int failures = 0;
  const std::string v2 = version_2_copy(vectors + "/tiny_model");
  if (v2.empty()) return 1;
  const std::string v3 = vectors + "/tiny_insar_model";
  for (const std::string& folder : {vectors + "/tiny_model", v2, v3})
  for (const char* gate : {"manifest", "off"}) {
    const auto& tiles = folder == v3 ? same_track_tiles : amplitude_tiles;
    RunnerConfig config;
    config.gate = gate;
    config.locate = "head";
    config.health_every = 5;
    config.queue_capacity = 4;  // full after 4 tiles: drops, superseded health reports
    Runner runner;
    if (runner.init(folder, "pte-int8", config) != Status::kOk) {
      std::fprintf(stderr, "init failed: %s\n", runner.fault_detail().c_str());
      return 1;
    }
    std::uint8_t out[kMessageLength];
    for (const auto& tile : tiles) runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);  // warm-up
    const long inferences_before = runner.stage_runs(kInfer);
    allocations = 0;
    counting = true;
    std::uint8_t drained[8 * kMessageLength];
    for (int round = 0; round < 3; ++round) {
      for (const auto& tile : tiles) runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);
      runner.health();
      while (runner.drain(8, drained) > 0) {
      }
    }
    counting = false;
    const long inferences = runner.stage_runs(kInfer) - inferences_before;
    std::printf("preprocessing v%d, gate %-8s: %zu tiles x 3 (%ld model runs): %ld heap allocations; runner holds "
                "%zu B for tiles, %zu B for the model, %zu B for the queue (%llu dropped)\n",
                folder == v3 ? 3 : folder == v2 ? 2 : 1, gate, tiles.size(), inferences, allocations.load(), runner.tile_bytes(),
                runner.model_bytes(), runner.queue().bytes(),
                static_cast<unsigned long long>(runner.queue().dropped_total()));
    failures += allocations.load() != 0 || inferences == 0 || runner.queue().dropped_total() == 0;
  }
  std::filesystem::remove_all(v2);
  failures += interferogram_allocates_nothing();
  return failures ? 1 : 0;
}
