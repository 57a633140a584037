// Proof that the runner allocates nothing per tile: this binary interposes the C allocator
// (every operator new ends there too) and counts calls while every parity tile runs three
// times after Init and a warm-up pass, through a small downlink queue that drops and a health
// report every 5 tiles, with a health report and a contact after each round. Also reports the
// bytes the runner holds.
//
// Both preprocessing versions: the committed tiny model (version 1) and a copy of it whose
// manifest names version 2 (written to a temporary folder; the artifact hashes still hold).
//
//   test_no_alloc VECTORS_DIR
#include <malloc.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/runner.hpp"
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

int main(int argc, char** argv) {
  using namespace quakesat;
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  std::string error;
  const auto tiles = read_tile_list(vectors + "/runner/tiles.jsonl", error);
  int failures = 0;
  const std::string v2 = version_2_copy(vectors + "/tiny_model");
  if (v2.empty()) return 1;
  for (const std::string& folder : {vectors + "/tiny_model", v2})
  for (const char* gate : {"manifest", "off"}) {
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
                folder == v2 ? 2 : 1, gate, tiles.size(), inferences, allocations.load(), runner.tile_bytes(),
                runner.model_bytes(), runner.queue().bytes(),
                static_cast<unsigned long long>(runner.queue().dropped_total()));
    failures += allocations.load() != 0 || inferences == 0 || runner.queue().dropped_total() == 0;
  }
  std::filesystem::remove_all(v2);
  return failures ? 1 : 0;
}
