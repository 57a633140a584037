// The C++ runner end to end against the Python runtime: every parity tile through the same
// .pte program gives byte-identical messages (tests/vectors/runner/expected_*.jsonl, written by
// the Python FlightRuntime), in both configurations; the whole downlink stream (queue order,
// drops, health reports) is Python's for every setting of expected_streams.jsonl; model faults
// become statuses. The same for the same-track model (tests/vectors/tiny_insar_model) on
// tests/vectors/runner_same_track/ (make_same_track_runner_vectors.py): real and hostile
// same-track pairs, NO_COHERENCE, WRONG_KIND for amplitude lines.
//
//   test_runner VECTORS_DIR
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/runner.hpp"
#include "quakesat/tile_list.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using quakesat_test::read_jsonl;
using namespace quakesat;
namespace fs = std::filesystem;

std::vector<std::string> run_all(const std::string& model, const std::string& tiles, const RunnerConfig& config,
                                 Status* init_status = nullptr, std::string artifact = "pte-int8") {
  Runner runner;
  const Status status = runner.init(model, artifact, config);
  if (init_status) *init_status = status;
  std::string error;
  std::vector<std::string> messages;
  for (const TileEntry& tile : read_tile_list(tiles, error)) {
    std::uint8_t out[kMessageLength];
    runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);
    messages.push_back(hex(out, kMessageLength));
  }
  expect(error.empty(), error);
  return messages;
}

// The tiles of `folder` (runner or runner_same_track) through `model`: expected_NAME.jsonl.
// Returns the statuses Python gave, in tile order.
std::vector<std::string> test_parity(const std::string& vectors, const std::string& folder, const std::string& model,
                                     const std::string& name, const RunnerConfig& config) {
  const std::vector<json> expected = read_jsonl(vectors + "/" + folder + "/expected_" + name + ".jsonl");
  Status status;
  const auto got = run_all(vectors + "/" + model, vectors + "/" + folder + "/tiles.jsonl", config, &status);
  const std::string what = folder + " " + name;
  expect(status == Status::kOk, what + ": runner init " + code_name(status));
  expect(got.size() == expected.size() && !got.empty(), what + ": one message per tile");
  int events = 0;
  std::vector<std::string> statuses;
  for (std::size_t i = 0; i < got.size() && i < expected.size(); ++i) {
    const std::string want = expected[i].at("message");
    expect(got[i] == want, what + ": tile " + expected[i].at("name").get<std::string>() + " C++ " + got[i] +
                               " Python " + want);
    events += expected[i].at("event").get<bool>();
    statuses.push_back(expected[i].at("status"));
  }
  expect(events > 0, what + ": the vectors include events");
  std::printf("%s: %zu tiles byte-identical to Python (%d events)\n", what.c_str(), got.size(), events);
  return statuses;
}

bool has(const std::vector<std::string>& statuses, const char* status) {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

// Every tile through the runner's queue, a final health report, one contact: the stream
// `quakesat run` wrote for the same settings.
void test_streams(const std::string& vectors, const std::string& folder, const std::string& model) {
  std::string error;
  const auto tiles = read_tile_list(vectors + "/" + folder + "/tiles.jsonl", error);
  expect(error.empty(), error);
  for (const json& want : read_jsonl(vectors + "/" + folder + "/expected_streams.jsonl")) {
    const std::string name = folder + " " + want.at("name").get<std::string>();
    RunnerConfig config;
    config.gate = want.at("gate");
    config.locate = want.at("locate");
    config.emit = want.at("emit") == "alerts" ? Emit::kAlerts : Emit::kAll;
    config.health_every = want.at("health_every");
    config.queue_capacity = want.at("queue_capacity");
    Runner runner;
    expect(runner.init(vectors + "/" + model, want.at("artifact"), config) == Status::kOk, name + ": init");
    std::uint8_t out[kMessageLength];
    for (const TileEntry& tile : tiles) runner.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);
    runner.health();
    std::string stream;
    for (std::size_t count; (count = runner.drain(1, out)) > 0;) stream += hex(out, kMessageLength);
    expect(stream == want.at("stream").get<std::string>(), name + ": stream C++ " + stream + " Python " +
                                                               want.at("stream").get<std::string>());
    expect(runner.queue().dropped_total() == want.at("dropped").get<std::uint64_t>(), name + ": dropped");
    std::printf("stream %s: %zu messages byte-identical to Python (%llu dropped)\n", name.c_str(),
                stream.size() / (2 * kMessageLength), static_cast<unsigned long long>(runner.queue().dropped_total()));
  }
}

void test_faults(const std::string& vectors) {
  const fs::path scratch = fs::temp_directory_path() / ("quakesat-runner-faults-" + std::to_string(::getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch / "model");
  fs::copy(vectors + "/tiny_model", scratch / "model", fs::copy_options::recursive);
  const std::string tiles = vectors + "/runner/tiles.jsonl";
  auto statuses = [](const std::vector<std::string>& messages) {
    std::vector<int> codes;
    for (const auto& m : messages) codes.push_back(std::stoi(m.substr(16, 2), nullptr, 16));  // byte 8
    return codes;
  };
  auto all_are = [&](const std::vector<std::string>& messages, Status status, const std::string& what) {
    bool ok = !messages.empty();
    for (int code : statuses(messages)) ok &= code == static_cast<int>(status);
    for (const auto& m : messages) ok &= (std::stoi(m.substr(14, 2), nullptr, 16) & 1) == 0;  // no event flag
    expect(ok, what);
  };
  {  // tampered program
    const fs::path pte = scratch / "model" / "model.int8.pte";
    std::fstream file(pte, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1000);
    file.put('\x5a');
    file.close();
    Status status;
    all_are(run_all((scratch / "model").string(), tiles, RunnerConfig{}, &status), Status::kHashMismatch,
            "a tampered .pte gives hash_mismatch on every tile");
    expect(status == Status::kHashMismatch, "init reports the hash mismatch");
  }
  all_are(run_all((scratch / "nowhere").string(), tiles, RunnerConfig{}), Status::kModelMissing,
          "no manifest gives model_missing on every tile");
  all_are(run_all(vectors + "/tiny_model", tiles, RunnerConfig{}, nullptr, "onnx-int8"), Status::kBackendError,
          "an .onnx artifact gives backend_error (the runner runs .pte)");
  {
    std::ofstream(scratch / "model" / "manifest.json") << "{not json";
    all_are(run_all((scratch / "model").string(), tiles, RunnerConfig{}), Status::kManifestInvalid,
            "a broken manifest gives manifest_invalid");
  }
  fs::remove_all(scratch);
}

// The per-tile budget and a tile without georeference, against the same tiles run plainly: a
// budget spent before inference makes every tile that reaches the model DEADLINE_MISSED and
// leaves every refused tile's status alone; a tile with no georeference keeps the model's verdict
// and says NO_GEOREFERENCE, at (0, 0), unlocated, and a same-track pair with no coherence stays
// NO_COHERENCE (judged after the georeference), as runtime/flight.py does.
void test_budget_and_georeference(const std::string& vectors, const std::string& folder, const std::string& model) {
  std::string error;
  const auto tiles = read_tile_list(vectors + "/" + folder + "/tiles.jsonl", error);
  expect(error.empty() && !tiles.empty(), error);
  RunnerConfig plain;
  plain.gate = "off";
  RunnerConfig budget = plain;
  budget.deadline_s = 1e-9;
  Runner a, b;
  expect(a.init(vectors + "/" + model, "pte-int8", plain) == Status::kOk, "budget: init");
  expect(b.init(vectors + "/" + model, "pte-int8", budget) == Status::kOk, "budget: init");
  long reached = 0;
  bool georef_checked = false;
  for (const TileEntry& tile : tiles) {
    std::uint8_t out[kMessageLength];
    const Status before = a.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);
    const TileReport judged = a.last_report();
    const Status after = b.run_files(tile.pre.c_str(), tile.post.c_str(), tile.meta, out);
    if (processable(before)) {
      ++reached;
      expect(after == Status::kDeadlineMissed && !b.last_report().event,
             "budget: tile " + std::to_string(tile.meta.tile_id) + " is deadline_missed, not " + code_name(after));
    } else {
      expect(after == before, "budget: a refused tile keeps " + std::string(code_name(before)));
    }
    if (before == Status::kOk && !georef_checked) {
      TileMeta nowhere = tile.meta;
      nowhere.has_georef = false;
      const Status status = a.run_files(tile.pre.c_str(), tile.post.c_str(), nowhere, out);
      const TileReport& r = a.last_report();
      expect(status == Status::kNoGeoreference && r.event == judged.event && r.confidence == judged.confidence &&
                 r.lat == 0.0 && r.lon == 0.0 && !r.located,
             "no georeference: judged, at (0, 0), unlocated");
      georef_checked = true;
    }
    if (before == Status::kNoCoherence) {  // judged after the georeference: NO_GEOREFERENCE is processable
      TileMeta nowhere = tile.meta;
      nowhere.has_georef = false;
      expect(a.run_files(tile.pre.c_str(), tile.post.c_str(), nowhere, out) == Status::kNoCoherence,
             "no georeference: a pair with no coherence stays no_coherence");
    }
  }
  expect(reached > 0 && b.deadlines_missed() == reached && georef_checked, "budget: tiles reached the model");
  std::printf("%s budget: %ld tiles deadline_missed, the refused ones unchanged; no georeference: judged\n",
              folder.c_str(), reached);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  test_parity(vectors, "runner", "tiny_model", "manifest", RunnerConfig{});
  RunnerConfig head;
  head.gate = "off";
  head.locate = "head";
  test_parity(vectors, "runner", "tiny_model", "nogate_head", head);
  test_streams(vectors, "runner", "tiny_model");
  // The same-track model: the checks fused with formation, NO_COHERENCE, WRONG_KIND for amplitude lines.
  for (const auto& statuses : {test_parity(vectors, "runner_same_track", "tiny_insar_model", "manifest", RunnerConfig{}),
                               test_parity(vectors, "runner_same_track", "tiny_insar_model", "head", head)}) {
    expect(has(statuses, "no_coherence") && has(statuses, "wrong_kind") && has(statuses, "bad_dtype") &&
               has(statuses, "partial_nodata") && has(statuses, "bad_georeference"),
           "runner_same_track: the vectors cover the same-track statuses");
  }
  test_streams(vectors, "runner_same_track", "tiny_insar_model");
  test_faults(vectors);
  test_budget_and_georeference(vectors, "runner", "tiny_model");
  test_budget_and_georeference(vectors, "runner_same_track", "tiny_insar_model");
  std::printf("%s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
