// The C++ core against the files the Python side wrote (tests/vectors/): the message encoder
// on the golden downlink vectors, the decision path on golden decision inputs, the tile reader
// and input checks on every parity tile, the preprocessing of every processable tile and
// interferogram formation (version 3) on its golden pairs (bit-exact: the float32 outputs
// must be equal, not close). The status enum and the other
// shared constants are test_constants' job, the manifest rules test_manifest's.
//
//   test_core VECTORS_DIR
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check.hpp"
#include "reports.hpp"
#include "quakesat/decision.hpp"
#include "quakesat/interferogram.hpp"
#include "quakesat/message.hpp"
#include "quakesat/npy.hpp"
#include "quakesat/preprocess.hpp"
#include "quakesat/tile_list.hpp"
#include "quakesat/validate.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using quakesat_test::read_jsonl;
using namespace quakesat;

// Any float32 .npy (test helper; the runner's reader takes H x W x 2 only).
std::vector<float> load_npy_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char preamble[10];
  in.read(preamble, 10);
  const std::size_t header = static_cast<unsigned char>(preamble[8]) | (static_cast<unsigned char>(preamble[9]) << 8);
  in.seekg(static_cast<std::streamoff>(10 + header));
  std::vector<float> values;
  float v;
  while (in.read(reinterpret_cast<char*>(&v), sizeof v)) values.push_back(v);
  return values;
}

int test_downlink_vectors(const std::string& vectors) {
  int checked = 0;
  for (const json& v : read_jsonl(vectors + "/downlink.jsonl")) {
    const json& f = v.at("fields");
    std::uint8_t out[kMessageLength];
    const bool ok = f.at("kind") == "tile_report" ? encode(quakesat_test::tile_report_of(f), out)
                                                  : encode(quakesat_test::health_report_of(f), out);
    expect(ok && hex(out, kMessageLength) == v.at("hex").get<std::string>(), "downlink vector " + v.at("name").get<std::string>());
    ++checked;
  }
  TileReport bad;
  bad.status = Status::kAllNodata;
  bad.event = true;
  std::uint8_t out[kMessageLength];
  expect(!encode(bad, out), "an event on a bad-input status is refused");
  bad.event = false;
  bad.lat = std::nan("");
  expect(!encode(bad, out), "a NaN latitude is refused");
  // A report the codec refuses becomes OUTPUT_INVALID at the tile centre, nothing flagged:
  // the bytes Python's encoder gives for that report (tests/runtime/test_flight.py checks the
  // Python runtime does the same).
  TileReport refused;
  refused.seq = 7;
  refused.tile_id = 42;
  refused.time = 1700000000;
  refused.lat = 95.0;  // a located point off the globe
  refused.lon = 20.5;
  refused.magnitude = 5.0;
  refused.confidence = std::nan("");
  refused.model_id = 0x1234;
  refused.event = refused.located = true;
  expect(!encode_or_invalid(refused, 10.0, 20.0, out), "a refused report is replaced");
  expect(refused.status == Status::kOutputInvalid && !refused.event && !refused.located,
         "the replacement is output_invalid with nothing flagged");
  expect(hex(out, kMessageLength) == "02c1c0070019100464000000002a6553f10005f5e1000bebc20000001234d649",
         "the replacement's bytes are Python's");
  return checked;
}

// Strict JSON has no NaN or infinity: the generator writes them as "nan", "inf", "-inf".
float json_float(const json& value) {
  return static_cast<float>(value.is_string() ? std::stod(value.get<std::string>()) : value.get<double>());
}

int test_decisions(const std::string& vectors) {
  int checked = 0;
  for (const json& v : read_jsonl(vectors + "/runner/decisions.jsonl")) {
    const json& h = v.at("heads");
    Heads heads;
    heads.has_event = heads.has_magnitude = heads.has_location = true;
    heads.event = json_float(h.at("event"));
    heads.magnitude = json_float(h.at("magnitude"));
    heads.location[0] = static_cast<float>(h.at("location").at(0).get<double>());
    heads.location[1] = static_cast<float>(h.at("location").at(1).get<double>());
    DecisionConfig config;
    config.event_threshold = v.at("decision").at("event_threshold");
    config.magnitude_min = v.at("decision").at("magnitude_min");
    config.magnitude_given_event = v.at("magnitude_given_event");
    config.magnitude_informative = v.at("magnitude_informative");
    const Judgement j = judge_heads(heads, config);
    const json& t = v.at("tile");
    const int side = t.at("side");
    TileReport r;
    r.seq = v.at("seq");
    r.tile_id = t.at("tile_id");
    r.time = t.at("time");
    r.model_id = v.at("model_id");
    r.lat = t.at("lat");
    r.lon = t.at("lon");
    r.status = j.valid ? static_cast<Status>(v.at("status").get<int>()) : Status::kOutputInvalid;
    r.event = j.event;
    r.magnitude = j.magnitude;
    r.confidence = j.confidence;
    if (j.event && v.at("locate") == "head") {
      double row, col;
      head_to_pixel(heads.location, side, row, col);
      pixel_to_latlon(t.at("lat"), t.at("lon"), t.at("pixel_spacing_m"), row, col, side, r.lat, r.lon);
      r.located = true;
    }
    std::uint8_t out[kMessageLength];
    expect(encode(r, out) && hex(out, kMessageLength) == v.at("message").get<std::string>(),
           "decision vector " + std::to_string(checked));
    ++checked;
  }
  return checked;
}

// The preprocessing constants of a manifest's (or a vector case's) "preprocess" block.
PreprocessConfig config_from(const json& raw) {
  PreprocessConfig config;
  config.version = raw.at("version");
  config.units_db = raw.at("units") == "db";
  config.downsample = raw.at("downsample");
  config.floor_linear = raw.at("floor_linear");
  for (int i = 0; i < 2; ++i) {
    config.clip_db[i] = raw.at("clip_db").at(i);
    config.mean_db[i] = raw.at("mean_db").at(i);
    config.std_db[i] = raw.at("std_db").at(i);
  }
  return config;
}

// Reading and input checks of every parity tile, and the preprocessing of the processable ones.
int test_tiles(const std::string& vectors) {
  const std::string runner = vectors + "/runner";
  std::ifstream manifest_file(vectors + "/tiny_model/manifest.json");
  const json manifest = json::parse(manifest_file);
  const PreprocessConfig config = config_from(manifest.at("preprocess"));
  const int side = manifest.at("input").at("raw_side");
  const std::size_t image = static_cast<std::size_t>(side) * side * 2;
  std::vector<float> first(image), second(image), out(static_cast<std::size_t>(4) * (side / 2) * (side / 2));
  const auto expected = read_jsonl(runner + "/expected_manifest.jsonl");
  std::vector<json> tiles;
  {
    std::ifstream in(runner + "/tiles.jsonl");
    std::string line;
    while (std::getline(in, line)) tiles.push_back(json::parse(line, nullptr, false));
  }
  int preprocessed = 0;
  for (std::size_t i = 0; i < expected.size() && i < tiles.size(); ++i) {
    const json& tile = tiles[i];
    const std::string name = expected[i].at("name");
    if (tile.is_discarded() || !tile.at("tile_id").is_number_integer()) continue;  // the broken line
    if (tile.value("kind", std::string("amplitude")) != "amplitude") {  // not amplitude images: never read as such
      expect(expected[i].at("status") == "wrong_kind", name + ": a same-track pair, Python says " +
                                                           expected[i].at("status").get<std::string>());
      continue;
    }
    NpyImage a, b;
    Status s = read_npy_image((runner + "/" + tile.at("pre").get<std::string>()).c_str(), side, first.data(), a);
    const Status s2 = read_npy_image((runner + "/" + tile.at("post").get<std::string>()).c_str(), side, second.data(), b);
    if (s == Status::kOk) s = s2;
    if (s == Status::kOk) s = check_pair(first.data(), a.height, a.width, second.data(), b.height, b.width, side, config);
    const std::string want = expected[i].at("status");
    const bool stopped_before_model = !processable(s);
    if (stopped_before_model || want == code_name(s)) {
      expect(want == code_name(s), name + ": status " + code_name(s) + ", Python says " + want);
    }
    if (expected[i].contains("preprocessed")) {
      preprocess_pair(first.data(), second.data(), side, side, config, out.data());
      const auto reference = load_npy_floats(runner + "/" + expected[i].at("preprocessed").get<std::string>());
      expect(reference.size() == out.size() && std::memcmp(reference.data(), out.data(), out.size() * 4) == 0,
             name + ": preprocessing differs from Python's");
      ++preprocessed;
    }
  }
  return preprocessed;
}

// Version 2 on the hostile images of tests/vectors/preprocess: the same bits as Python, and
// the scan gathered in the same pass gives the input check's verdict.
int test_preprocess_v2(const std::string& vectors) {
  const std::string folder = vectors + "/preprocess";
  int compared = 0;
  for (const json& c : read_jsonl(folder + "/cases.jsonl")) {
    const std::string name = c.at("name");
    const PreprocessConfig config = config_from(c.at("config"));
    const auto image = load_npy_floats(folder + "/" + c.at("image").get<std::string>());
    const auto reference = load_npy_floats(folder + "/" + c.at("output").get<std::string>());
    const int side = static_cast<int>(std::lround(std::sqrt(image.size() / 2.0)));
    std::vector<float> out(reference.size(), -1.0f);
    std::vector<float> scratch(preprocess_scratch_floats(side, config));
    const ImageScan scan = preprocess_image(image.data(), side, side, config, out.data(), scratch.data());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < out.size(); ++i) differ += std::memcmp(&out[i], &reference[i], 4) != 0;
    expect(differ == 0, name + ": " + std::to_string(differ) + " of " + std::to_string(out.size()) +
                            " values differ from Python's bits");
    const std::string status = code_name(judge_scan(scan, image.data(), config));
    expect(status == c.at("status").get<std::string>(), name + ": scan verdict " + status + ", Python says " +
                                                            c.at("status").get<std::string>());
    expect(code_name(check_image(image.data(), side, side, side, config)) == status, name + ": check_image disagrees");
    ++compared;
  }
  return compared;
}

// Version 3 on the golden pairs of tests/vectors/interferogram (runtime/interferogram.py): the
// '<c8' pair read by read_npy_complex, the output's bits equal to Python's float32 ones.
int test_interferogram(const std::string& vectors) {
  const std::string folder = vectors + "/interferogram";
  int compared = 0;
  for (const json& c : read_jsonl(folder + "/cases.jsonl")) {
    const std::string name = c.at("name");
    const json& config = c.at("config");
    expect(config.at("kind") == "interferometric" && config.at("version") == kInterferometricVersion &&
               config.at("channels").size() == static_cast<std::size_t>(kInterferometricChannels),
           name + ": config " + config.dump() + " is not this code's version 3");
    const int looks = config.at("looks");
    const std::string pre_path = folder + "/" + c.at("pre").get<std::string>();
    const std::string post_path = folder + "/" + c.at("post").get<std::string>();
    const int side = static_cast<int>(std::lround(std::sqrt(load_npy_floats(pre_path).size() / 2.0)));
    const std::size_t values = static_cast<std::size_t>(side) * side * 2;
    std::vector<float> pre(values), post(values);
    NpyImage a, b;
    const Status read_pre = read_npy_complex(pre_path.c_str(), side, pre.data(), a);
    const Status read_post = read_npy_complex(post_path.c_str(), side, post.data(), b);
    expect(read_pre == Status::kOk && read_post == Status::kOk,
           name + ": pair read " + code_name(read_pre) + "/" + code_name(read_post));
    NpyImage as_float;
    expect(read_npy_image(pre_path.c_str(), side, pre.data(), as_float) == Status::kBadDtype,
           name + ": the float32 reader refuses '<c8'");
    if (read_pre != Status::kOk || read_post != Status::kOk) continue;
    const auto reference = load_npy_floats(folder + "/" + c.at("output").get<std::string>());
    const std::size_t side_out = static_cast<std::size_t>(side / looks);
    std::vector<float> out(static_cast<std::size_t>(kInterferometricChannels) * side_out * side_out, -1.0f);
    std::vector<double> scratch(interferogram_scratch_doubles(side, looks));
    const bool ok = interferogram_features(pre.data(), post.data(), side, side, looks, out.data(), scratch.data());
    expect(ok && reference.size() == out.size(),
           name + ": " + std::to_string(out.size()) + " values, Python wrote " + std::to_string(reference.size()));
    std::size_t differ = 0;
    for (std::size_t i = 0; i < out.size() && i < reference.size(); ++i) {
      std::uint32_t got, want;
      std::memcpy(&got, &out[i], 4);
      std::memcpy(&want, &reference[i], 4);
      if (got != want && differ++ < 3) {
        std::fprintf(stderr, "%s: value %zu (channel %zu): 0x%08x (%.9g), Python 0x%08x (%.9g)\n", name.c_str(), i,
                     i / (side_out * side_out), got, static_cast<double>(out[i]), want,
                     static_cast<double>(reference[i]));
      }
    }
    expect(differ == 0, name + ": " + std::to_string(differ) + " of " + std::to_string(out.size()) +
                            " values differ from Python's bits");
    // The scratch-owning overload gives the same bits.
    std::vector<float> again(out.size(), -1.0f);
    expect(interferogram_features(pre.data(), post.data(), side, side, looks, again.data()) &&
               std::memcmp(again.data(), out.data(), out.size() * 4) == 0,
           name + ": the allocating overload differs");
    ++compared;
  }
  // Refused arguments (runtime/interferogram.py raises ValueError): nothing written.
  const std::vector<float> image(8 * 8 * 2, 1.0f);
  float out[3 * 8 * 8] = {};
  for (int looks : {0, -1, 3, 16}) {
    expect(!interferogram_features(image.data(), image.data(), 8, 8, looks, out), "looks " + std::to_string(looks) +
                                                                                       " is refused for 8 x 8");
  }
  expect(!interferogram_features(image.data(), image.data(), 8, 6, 4, out), "looks 4 is refused for 8 x 6");
  expect(!interferogram_features(image.data(), image.data(), 0, 0, 1, out), "an empty image is refused");
  expect(std::all_of(out, out + 3 * 8 * 8, [](float v) { return v == 0.0f; }), "a refused call writes nothing");
  NpyImage image_info;
  std::vector<float> buffer(3 * 8 * 8);
  expect(read_npy_complex((folder + "/ramp_l8.output.npy").c_str(), 4, buffer.data(), image_info) ==
             Status::kBadDtype,
         "the complex reader refuses '<f4'");
  return compared;
}

// The shared hostile .npy files (tests/vectors/hostile_npy, the header grammar of
// runtime/tile_file.py): the C++ reader gives each the status pytest expects from Python.
int test_hostile_npy(const std::string& vectors) {
  const std::string folder = vectors + "/hostile_npy";
  std::vector<float> buffer(8 * 8 * 2);
  int checked = 0;
  for (const json& c : read_jsonl(folder + "/cases.jsonl")) {
    NpyImage image;
    const Status status = read_npy_image((folder + "/" + c.at("file").get<std::string>()).c_str(), 8, buffer.data(),
                                         image);
    expect(code_name(status) == c.at("status").get<std::string>(),
           "hostile npy " + c.at("name").get<std::string>() + ": " + code_name(status) + ", expected " +
               c.at("status").get<std::string>());
    ++checked;
  }
  return checked;
}

// The scan's per-band statistics against a plain scalar count over `image` (side x side x 2):
// valid and clipped values, the range of the non-NaN values, and the differing pairs, paired as
// the fused pass pairs them (columns 2j, 2j+1 of each row) or, `storage_order`, as scan_image.
bool scan_is_exact(const ImageScan& scan, const float* image, int side, const PreprocessConfig& config,
                   bool storage_order) {
  float clip_low, clip_high;
  clip_thresholds(config, clip_low, clip_high);
  const std::size_t pixels = static_cast<std::size_t>(side) * side;
  bool same = scan.values == pixels * kBands;
  for (int b = 0; b < kBands; ++b) {
    std::size_t valid = 0, clipped = 0, differ = 0;
    float low = std::numeric_limits<float>::infinity(), high = -low;
    auto at = [&](std::size_t pixel) { return image[pixel * kBands + b]; };
    for (std::size_t p = 0; p < pixels; ++p) {
      const float v = at(p);
      valid += std::isfinite(v);
      clipped += v < clip_low || v > clip_high;
      if (!std::isnan(v)) low = std::min(low, v), high = std::max(high, v);
    }
    const std::size_t side_u = static_cast<std::size_t>(side);
    for (std::size_t p = 0; p + 1 < pixels; p += 2) {
      if (!storage_order && p % side_u + 1 >= side_u) {  // the last column of an odd row: unpaired
        p -= 1;
        continue;
      }
      differ += !std::isnan(at(p)) && !std::isnan(at(p + 1)) && at(p) != at(p + 1);  // as documented in ImageScan
    }
    same = same && scan.band_valid[b] == valid && scan.band_clipped[b] == clipped && scan.band_differ[b] == differ &&
           std::memcmp(&scan.band_low[b], &low, 4) == 0 && std::memcmp(&scan.band_high[b], &high, 4) == 0;
  }
  return same;
}

// The broken images of tests/vectors/hostile_npy/checks.jsonl (8 to 64 pixels a side): each
// gets the verdict pytest expects from Python through every way the runner judges an image:
// check_image (scan_image's one pass), version 2's fused pass (row by row, the scan taken while
// preprocessing, downsample 1 and, for even sides, 2) and version 1 (the scan alone).
int test_hostile_checks(const std::string& vectors) {
  const std::string folder = vectors + "/hostile_npy";
  int checked = 0;
  for (const json& c : read_jsonl(folder + "/checks.jsonl")) {
    const std::string name = c.at("name"), want = c.at("status"), path = folder + "/" + c.at("file").get<std::string>();
    const int side = static_cast<int>(std::lround(std::sqrt(load_npy_floats(path).size() / 2.0)));
    std::vector<float> buffer(static_cast<std::size_t>(side) * side * kBands);
    NpyImage image;
    const Status read = read_npy_image(path.c_str(), side, buffer.data(), image);
    expect(read == Status::kOk, "broken image " + name + ": read " + code_name(read));
    if (read != Status::kOk) continue;
    PreprocessConfig config;  // check_image's defaults in runtime/tile.py: PreprocessConfig(), or in dB
    config.units_db = c.value("units", "linear") == "db";
    auto verdict = [&](const std::string& how, Status got) {
      expect(code_name(got) == want,
             "broken image " + name + " (" + how + "): " + code_name(got) + ", expected " + want);
    };
    verdict("check_image", check_image(buffer.data(), image.height, image.width, side, config));
    for (int k : {1, 2}) {
      if (side % k != 0) continue;
      config.version = 2;
      config.downsample = k;
      std::vector<float> out(static_cast<std::size_t>(kBands) * (side / k) * (side / k));
      std::vector<float> scratch(preprocess_scratch_floats(side, config));
      const ImageScan scan = preprocess_image(buffer.data(), side, side, config, out.data(), scratch.data());
      const std::string how = "version 2, fused, downsample " + std::to_string(k);
      verdict(how, judge_scan(scan, buffer.data(), config));
      expect(scan_is_exact(scan, buffer.data(), side, config, false), "broken image " + name + " (" + how + "): scan");
    }
    config.version = 1;
    config.downsample = 1;
    const ImageScan scan = preprocess_image(buffer.data(), side, side, config, nullptr);
    verdict("version 1", judge_scan(scan, buffer.data(), config));
    expect(scan_is_exact(scan, buffer.data(), side, config, true), "broken image " + name + " (version 1): scan");
    ++checked;
  }
  return checked;
}

// The shared hostile tile-list lines (tests/vectors/hostile_list): the C++ reader makes of
// each the tile pytest expects from Python (id, integer time, place, read verdict, kind).
int test_hostile_list(const std::string& vectors) {
  const std::string folder = vectors + "/hostile_list";
  std::string error;
  const std::vector<TileEntry> entries = read_tile_list(folder + "/tiles.jsonl", error);
  const auto expected = read_jsonl(folder + "/expected.jsonl");
  expect(error.empty() && entries.size() == expected.size(),
         "hostile list: " + std::to_string(entries.size()) + " tiles read, expected " + std::to_string(expected.size()));
  int checked = 0;
  for (std::size_t i = 0; i < entries.size() && i < expected.size(); ++i) {
    const TileMeta& m = entries[i].meta;
    const json& want = expected[i];
    const json time = m.time_is_integer && m.time >= 0 ? json(m.time) : json(nullptr);
    const json lat = m.has_georef ? json(m.lat) : json(nullptr);
    const json lon = m.has_georef ? json(m.lon) : json(nullptr);
    const std::string status = m.read_status == Status::kOk ? "ok" : code_name(m.read_status);
    const std::string kind = m.kind == TileKind::kSameTrack ? "same_track" : "amplitude";
    const bool same = want.at("tile_id").get<std::uint32_t>() == m.tile_id && want.at("time") == time &&
                      want.at("lat") == lat && want.at("lon") == lon && want.at("status").get<std::string>() == status &&
                      want.at("kind").get<std::string>() == kind;
    expect(same, "hostile list tile " + std::to_string(i) + ": id " + std::to_string(m.tile_id) + ", time " +
                     time.dump() + ", place " + lat.dump() + "/" + lon.dump() + ", " + status + ", " + kind +
                     "; expected " + want.dump());
    ++checked;
  }
  return checked;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  const int downlink = test_downlink_vectors(vectors);
  const int decisions = test_decisions(vectors);
  const int preprocessed = test_tiles(vectors);
  expect(preprocessed >= 8, "at least 8 preprocessed tiles compared");
  const int v2 = test_preprocess_v2(vectors);
  expect(v2 >= 10, "at least 10 version 2 preprocessing cases compared");
  const int interferograms = test_interferogram(vectors);
  expect(interferograms >= 9, "at least 9 interferogram (version 3) cases compared");
  const int hostile = test_hostile_npy(vectors) + test_hostile_list(vectors);
  expect(hostile >= 75, "at least 50 hostile .npy files and 25 hostile list lines read");
  const int checks = test_hostile_checks(vectors);
  expect(checks >= 51, "at least 51 broken images judged (check_image, version 2 fused, version 1)");
  std::printf("%d downlink vectors, %d decision vectors, %d preprocessed tiles, %d version 2 cases, "
              "%d version 3 cases, %d hostile files and lines, %d broken images: %s\n",
              downlink, decisions, preprocessed, v2, interferograms, hostile, checks, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
