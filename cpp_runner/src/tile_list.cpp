// Tile list reader (nlohmann-json), mirroring runtime/tile_file.py _tile_from_line.
#include "quakesat/tile_list.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace quakesat {

namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

bool is_blank(const std::string& line) { return line.find_first_not_of(" \t\r\n") == std::string::npos; }

// One list line, under the rules of runtime/tile_file.py tile_from_line: a line that is not
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
  json value = json::parse(line, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return entry;
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
  if (!valid) return entry;
  for (auto [key, target] : {std::pair{"pre", &entry.pre}, std::pair{"post", &entry.post}}) {
    const std::string path = value.at(key).get<std::string>();
    if (path.find('\0') != std::string::npos) return entry;  // a NUL would open another file
    *target = !path.empty() && path[0] == '/' ? path : folder + "/" + path;
  }
  entry.meta.read_status = Status::kOk;
  return entry;
}

}  // namespace

std::vector<TileEntry> read_tile_list(const std::string& path, std::string& error) {
  std::vector<TileEntry> entries;
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot open the tile list";
    return entries;
  }
  const std::string folder = folder_of(path);
  std::string line;
  std::uint32_t index = 0;
  while (std::getline(in, line)) {
    if (is_blank(line)) continue;
    entries.push_back(parse_line(line, folder, index++));
  }
  return entries;
}

}  // namespace quakesat
