// The tile list (runtime/tile_file.py): JSON lines of tile_id, time, lat, lon,
// pixel_spacing_m (optional), pre, post, kind (optional: "amplitude", the default, or
// "same_track"; TileMeta::kind); paths relative to the list, used as written. Each
// line is strict JSON (strict_json.hpp: no duplicate key, at most kMaxJsonDepth levels) of at
// most kMaxLineBytes bytes, parsed with the same strictness as Python: a line that breaks it is
// a tile with status UNREADABLE. The list is streamed: memory does not grow with its length.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quakesat/regular_file.hpp"
#include "quakesat/runner.hpp"

namespace quakesat {

constexpr std::size_t kMaxLineBytes = 65536;  // runtime/tile_file.py MAX_LINE_BYTES

struct TileEntry {
  TileMeta meta;
  std::string pre, post;
};

// Reads a tile list one line at a time.
class TileListReader {
 public:
  // False with `error` set when the list is not a readable regular file.
  bool open(const std::string& path, std::string& error);
  // The next non-blank line's tile into `entry`; false at the end of the list.
  bool next(TileEntry& entry);

 private:
  // The next line (without its '\n') into line_; too_long_ when it was cut; false at the end.
  bool next_line();

  std::unique_ptr<RegularFile> file_;
  std::string folder_, line_;
  std::vector<char> chunk_;
  std::size_t at_ = 0, filled_ = 0;
  bool too_long_ = false, ended_ = false;
  std::uint32_t index_ = 0;
};

// Every non-blank line of `path` at once (tests and tools; the runner streams); empty with
// `error` set when the file cannot be opened.
std::vector<TileEntry> read_tile_list(const std::string& path, std::string& error);

}  // namespace quakesat
