// The C++ manifest reader against the Python one: every case of tests/vectors/manifests.jsonl
// (written by make_manifest_vectors.py, passed by runtime/manifest.py) must get the same verdict
// and, when refused, name the same field (the text cases include the edges of strict JSON:
// numbers beyond 64 bits or a double, nesting depth, byte-order mark, surrogates). Then what the
// shared file does not hold: the re-export hint and load_manifest on the tiny model.
//
//   test_manifest VECTORS_DIR
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/manifest.hpp"
#include "quakesat/strict_json.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using namespace quakesat;
namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Verdict {
  bool valid = false;
  std::string field, detail;
};

Verdict of_text(const std::string& text) {
  Verdict v;
  v.valid = validate_manifest_text(text, v.field, v.detail);
  return v;
}

// The shared cases; returns how many agree. `base` is set to the "base" case's manifest.
int test_shared_cases(const std::string& vectors, int& total, json& base) {
  std::istringstream lines(read_text(vectors + "/manifests.jsonl"));
  std::string line;
  int agreed = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    json c;
    std::string error;
    expect(parse_strict_json(line, c, error), "manifests.jsonl line " + std::to_string(total + 1) + ": " + error);
    const std::string name = c.value("case", "?");
    Verdict got;
    if (c.contains("manifest")) got.valid = validate_manifest(c["manifest"], got.field, got.detail);
    else if (c.contains("text")) got = of_text(c["text"].get<std::string>());
    else got = of_text(read_text(vectors + "/" + c["file"].get<std::string>()));
    if (name == "base") base = c["manifest"];
    const bool want_valid = c["valid"].get<bool>();
    const std::string want_field = c["field"].get<std::string>();
    const bool same = got.valid == want_valid && got.field == want_field;
    expect(same, name + ": Python says " + (want_valid ? "valid" : "invalid at '" + want_field + "'") + ", C++ " +
                     (got.valid ? "valid" : "invalid at '" + got.field + "': " + got.detail));
    agreed += same;
    ++total;
  }
  expect(total >= 100, "manifests.jsonl holds the shared cases");
  return agreed;
}

void test_hints(json base) {
  Verdict v;
  base["version"] = 1;
  v.valid = validate_manifest(base, v.field, v.detail);
  expect(!v.valid && v.field == "version" && v.detail.find(kReexportHint) != std::string::npos,
         "version 1 is refused with the re-export hint: " + v.detail);
  base["version"] = kManifestVersion + 1;
  v.valid = validate_manifest(base, v.field, v.detail);
  expect(!v.valid && v.detail.find(kReexportHint) == std::string::npos, "a future version gets no re-export hint");
}

void test_load(const std::string& vectors) {
  Manifest m;
  std::string detail;
  json file;
  std::string parse_error;
  parse_strict_json(read_text(vectors + "/tiny_model/manifest.json"), file, parse_error);
  const std::string cpp_default = file["default_artifacts"]["cpp"].get<std::string>();
  std::string cpp_sha;
  for (const json& a : file["artifacts"]) {
    if (a["name"] == cpp_default) cpp_sha = a["sha256"].get<std::string>();
  }
  expect(load_manifest(vectors + "/tiny_model", "", m, detail) == Status::kOk, "tiny model loads: " + detail);
  expect(m.artifact_name == cpp_default && m.model_id == std::stoi(cpp_sha.substr(0, 4), nullptr, 16),
         "the default is the manifest's default_artifacts.cpp");
  expect(load_manifest(vectors + "/tiny_model", "pte-int8", m, detail) == Status::kOk && m.artifact_name == "pte-int8",
         "a named artifact wins over the default");
  expect(m.channels == 4 && m.height == 32 && m.width == 32 && m.raw_side == 64 && m.images == 2, "input");
  expect(m.preprocess.downsample == 2 && !m.preprocess.units_db && m.preprocess.std_db[1] == 5.0, "preprocess");
  const json& decision = file["decision"];
  expect(m.decision.event_threshold == decision["event_threshold"].get<double>() && m.decision.magnitude_min == 1.0 &&
             m.decision.magnitude_given_event &&
             m.decision.magnitude_informative == decision["magnitude_informative"].get<bool>(),
         "decision: threshold, magnitude_given_event and magnitude_informative as written");
  expect(m.gate_threshold == 0.0 && m.locate_method == "centre", "gate and locate");
  expect(m.event.present && m.event.output == 0 && m.magnitude.output == 1 && m.location.output == 2 &&
             m.location.column == -1,
         "output positions");
  expect(load_manifest(vectors + "/tiny_model", "onnx-int8", m, detail) == Status::kBackendError, "onnx: backend");
  expect(load_manifest(vectors + "/tiny_model", "nothing", m, detail) == Status::kManifestInvalid, "unknown name");

  const fs::path scratch = fs::temp_directory_path() / ("quakesat-manifest-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  json raw;
  std::string error;
  parse_strict_json(read_text(vectors + "/tiny_model/manifest.json"), raw, error);
  raw["version"] = 1;
  std::ofstream(scratch / "manifest.json") << raw.dump(2);
  expect(load_manifest(scratch.string(), "", m, detail) == Status::kManifestInvalid &&
             detail.find("version: manifest version 1") != std::string::npos &&
             detail.find(kReexportHint) != std::string::npos,
         "a version-1 manifest is MANIFEST_INVALID with the re-export hint: " + detail);
  expect(load_manifest((scratch / "nowhere").string(), "", m, detail) == Status::kModelMissing, "no manifest");
  fs::remove_all(scratch);
  expect(load_manifest(vectors + "/tiny_model", "", m, detail) == Status::kOk && m.input_kind() == TileKind::kAmplitude,
         "the tiny model takes amplitude pairs");
}

// The tiny same-track model (input.kind same_track, preprocessing version 3): its kind, looks and
// tensor shape as written, no gate, located at the centre.
void test_load_same_track(const std::string& vectors) {
  Manifest m;
  std::string detail;
  expect(load_manifest(vectors + "/tiny_insar_model", "pte-int8", m, detail) == Status::kOk,
         "tiny same-track model loads: " + detail);
  expect(m.input_kind() == TileKind::kSameTrack && m.looks == 4 && m.raw_side == 64 && m.images == 2,
         "same-track: kind, looks and raw side");
  expect(m.channels == 3 && m.height == 16 && m.width == 16, "same-track: the interferogram's 3 x 16 x 16");
  expect(m.gate_threshold == 0.0 && m.locate_method == "centre", "same-track: no gate, located at the centre");
  expect(m.location.present && m.location.output == 2, "same-track: the location head");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  int total = 0;
  json base;
  const int agreed = test_shared_cases(vectors, total, base);
  std::printf("%d of %d manifest cases agree with Python (verdict and field)\n", agreed, total);
  expect(base.is_object(), "manifests.jsonl has the base case");
  if (base.is_object()) {
    test_hints(base);
  }
  test_load(vectors);
  test_load_same_track(vectors);
  std::printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
