// Tile list reader (strict JSON on nlohmann-json), mirroring runtime/tile_file.py
// read_tile_list and tile_from_line.
#include "quakesat/tile_list.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "quakesat/strict_json.hpp"

namespace quakesat {

namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

constexpr char kBom[] = "\xEF\xBB\xBF";  // a UTF-8 byte-order mark, ignored at a line's start

// One list line, under the rules of runtime/tile_file.py tile_from_line (a "kind" other than
// "amplitude" or "same_track" breaks it; an unreadable line's kind is amplitude): a line that is not
// one JSON object (a NUL, invalid UTF-8, NaN, an array...) is UNREADABLE with its index as id
// and no time or place; an object that breaks a rule is UNREADABLE and keeps what it does
// say (a valid tile id, its time, its place when lat/lon/pixel_spacing_m are numbers).
TileEntry parse_line(const std::string& line, const std::string& folder, std::uint32_t index) {
  using nlohmann::json;
  TileEntry entry;
  entry.meta.tile_id = index;
  entry.meta.time_is_integer = false;
  entry.meta.time = -1;
  entry.meta.has_georef = false;
  entry.meta.read_status = Status::kUnreadable;
  if (line.find('\0') != std::string::npos) return entry;
  json value;
  std::string why;
  const std::size_t skip = line.compare(0, 3, kBom) == 0 ? 3 : 0;
  if (!parse_strict_json(line.substr(skip), value, why) || !value.is_object()) return entry;
  const auto number = [&](const char* key, double fallback, bool required, double& out) {
    if (!value.contains(key)) {
      out = fallback;
      return !required;
    }
    if (!value.at(key).is_number()) return false;
    out = value.at(key).get<double>();
    return true;
  };
  bool valid = true;
  if (value.contains("tile_id") && value.at("tile_id").is_number_integer()) {
    const json& id = value.at("tile_id");
    const bool in_range = id.is_number_unsigned() ? id.get<std::uint64_t>() <= 0xFFFFFFFFull
                                                  : (id.get<std::int64_t>() >= 0 && id.get<std::int64_t>() <= 0xFFFFFFFFLL);
    if (in_range) entry.meta.tile_id = static_cast<std::uint32_t>(id.get<std::uint64_t>());
    valid = in_range;
  } else {
    valid = false;
  }
  double lat = 0, lon = 0, spacing = 0;
  if (number("lat", 0.0, true, lat) && number("lon", 0.0, true, lon) &&
      number("pixel_spacing_m", 10.0, false, spacing)) {
    entry.meta.has_georef = true;
    entry.meta.lat = lat;
    entry.meta.lon = lon;
    entry.meta.pixel_spacing_m = spacing;
  } else {
    valid = false;
  }
  if (value.contains("time")) {
    const json& when = value.at("time");
    entry.meta.time_is_integer = when.is_number_integer();
    if (entry.meta.time_is_integer) {
      entry.meta.time = when.is_number_unsigned() && when.get<std::uint64_t>() > 0x7FFFFFFFFFFFFFFFull
                            ? -1
                            : when.get<std::int64_t>();
    }
  } else {
    valid = false;
  }
  if (!value.contains("pre") || !value.contains("post") || !value.at("pre").is_string() ||
      !value.at("post").is_string()) {
    valid = false;
  }
  // "kind": optional, "amplitude" (the default) or "same_track"; anything else breaks the line.
  TileKind kind = TileKind::kAmplitude;
  if (value.contains("kind")) {
    const json& named = value.at("kind");
    if (named.is_string() && named.get_ref<const std::string&>() == "same_track") {
      kind = TileKind::kSameTrack;
    } else if (!named.is_string() || named.get_ref<const std::string&>() != "amplitude") {
      valid = false;
    }
  }
  if (!valid) return entry;
  for (auto [key, target] : {std::pair{"pre", &entry.pre}, std::pair{"post", &entry.post}}) {
    const std::string path = value.at(key).get<std::string>();
    if (path.find('\0') != std::string::npos) return entry;  // a NUL would open another file
    *target = !path.empty() && path[0] == '/' ? path : folder + "/" + path;
  }
  entry.meta.kind = kind;  // a same-track tile's files are not read as images (runner.cpp run_files)
  entry.meta.read_status = Status::kOk;
  return entry;
}

}  // namespace

bool TileListReader::open(const std::string& path, std::string& error) {
  file_ = std::make_unique<RegularFile>(path.c_str());
  if (!file_->ok()) {
    error = path + ": cannot open the tile list (" + file_->why() + ")";
    return false;
  }
  folder_ = folder_of(path);
  chunk_.assign(1 << 16, '\0');
  line_.reserve(kMaxLineBytes + 1);
  at_ = filled_ = 0;
  ended_ = false;
  index_ = 0;
  return true;
}

bool TileListReader::next_line() {
  line_.clear();
  too_long_ = false;
  bool any = false;
  for (;;) {
    if (at_ == filled_) {
      const long got = ended_ ? 0 : file_->read_some(chunk_.data(), chunk_.size());
      if (got <= 0) {  // the end (a read error ends the list as Python's does: no more lines)
        ended_ = true;
        return any;
      }
      at_ = 0;
      filled_ = static_cast<std::size_t>(got);
    }
    any = true;
    const char* start = chunk_.data() + at_;
    const void* newline = std::memchr(start, '\n', filled_ - at_);
    const std::size_t take = newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : filled_ - at_;
    if (!too_long_) {
      const std::size_t room = kMaxLineBytes + 1 - line_.size();  // one byte past the limit marks it too long
      line_.append(start, take < room ? take : room);
      too_long_ = line_.size() > kMaxLineBytes;
    }
    at_ += take;
    if (newline) {
      ++at_;
      return true;
    }
  }
}

bool TileListReader::next(TileEntry& entry) {
  while (next_line()) {
    if (too_long_) {  // never parsed: an unreadable tile with the line's index as its id
      entry = TileEntry{};
      entry.meta.tile_id = index_++;
      entry.meta.time_is_integer = false;
      entry.meta.time = -1;
      entry.meta.has_georef = false;
      entry.meta.read_status = Status::kUnreadable;
      return true;
    }
    if (is_blank(line_)) continue;
    entry = parse_line(line_, folder_, index_++);
    return true;
  }
  return false;
}

std::vector<TileEntry> read_tile_list(const std::string& path, std::string& error) {
  std::vector<TileEntry> entries;
  TileListReader reader;
  if (!reader.open(path, error)) return entries;
  TileEntry entry;
  while (reader.next(entry)) entries.push_back(entry);
  return entries;
}

}  // namespace quakesat
