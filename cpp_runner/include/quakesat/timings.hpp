// What `quakesat-runner --timings FILE` writes for the benchmark (quakesat bench): the time of
// every tile, the stage totals, the memory plan, the downlink queue's counts and the process's
// resident memory, as JSON.
#pragma once

#include <string>
#include <vector>

#include "quakesat/runner.hpp"

namespace quakesat {

// Resident set size of this process now, in bytes (0 where /proc is not there).
std::size_t resident_bytes();
// Peak resident set size of this program so far, in bytes (VmHWM; 0 where /proc is not there).
std::size_t peak_resident_bytes();

struct RunTimings {
  std::vector<double> tile_seconds;  // one per tile run, in order (reserved before the loop)
  int passes = 1;
  std::size_t rss_after_first_pass = 0, rss_end = 0;
};

// Write the timings of `runner` as JSON to `path`; false when the file cannot be written.
bool write_timings(const std::string& path, const Runner& runner, const RunTimings& timings, int threads);

}  // namespace quakesat
