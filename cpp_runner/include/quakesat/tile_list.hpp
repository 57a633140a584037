// The tile list (runtime/tile_file.py): JSON lines of tile_id, time, lat, lon,
// pixel_spacing_m (optional), pre, post; paths relative to the list. Parsed with the same
// strictness as Python: a line that breaks it is a tile with status UNREADABLE.
#pragma once

#include <string>
#include <vector>

#include "quakesat/runner.hpp"

namespace quakesat {

struct TileEntry {
  TileMeta meta;
  std::string pre, post;
};

// Every non-blank line of `path`; empty with `error` set when the file cannot be opened.
std::vector<TileEntry> read_tile_list(const std::string& path, std::string& error);

}  // namespace quakesat
