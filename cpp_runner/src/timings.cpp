// quakesat-runner --timings: the per-tile times and the memory plan as JSON (timings.hpp).
#include "quakesat/timings.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace quakesat {

std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int read = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return read == 2 ? resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

std::size_t peak_resident_bytes() {
  // VmHWM, the high-water mark of this program's own memory. (getrusage's ru_maxrss would
  // carry the parent's peak over fork and exec: a runner started by a large Python process
  // would report that process's size.)
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "VmHWM: %lu kB", &kib) == 1) break;
  }
  std::fclose(f);
  return static_cast<std::size_t>(kib) * 1024;
}

bool write_timings(const std::string& path, const Runner& runner, const RunTimings& timings, int threads) {
  nlohmann::json stages = nlohmann::json::object();
  for (int s = 0; s < kStageCount; ++s) {
    const auto stage = static_cast<Stage>(s);
    stages[kStageNames[s]] = {{"seconds", runner.stage_seconds(stage)}, {"runs", runner.stage_runs(stage)}};
  }
  const Model::Plan plan = runner.model_plan();
  const nlohmann::json out = {
      {"format", "quakesat-runner-timings"},
      {"version", 1},
      {"threads", threads},
      {"passes", timings.passes},
      {"tiles", runner.tiles()},
      {"tile_seconds", timings.tile_seconds},
      {"stages", stages},
      {"memory", {{"tile_buffers", runner.tile_bytes()},
                  {"planned", plan.planned},
                  {"method_arena", plan.method_arena},
                  {"method_arena_used", plan.method_used},
                  {"temp_arena", plan.temp_arena},
                  {"program_file", plan.file},
                  {"queue", runner.queue().bytes()}}},
      {"queue", {{"capacity", runner.queue().capacity()},
                 {"dropped", runner.queue().dropped_total()},
                 {"health_superseded", runner.queue().superseded_health()}}},
      {"rss", {{"after_first_pass", timings.rss_after_first_pass},
               {"end", timings.rss_end},
               {"peak", peak_resident_bytes()}}},
  };
  std::ofstream file(path);
  file << out.dump(1) << "\n";
  return static_cast<bool>(file);
}

}  // namespace quakesat
