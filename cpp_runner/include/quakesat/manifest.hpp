// The model manifest, version 4 (runtime/manifest.py is the specification): validated at Init
// by the same rules as the Python reader, in the same order, naming the same first offending
// field by its dotted path (`decision.event_threshold`, `artifacts[1].outputs.event.output`,
// `json` for text that is not strict JSON, `manifest` for a root that is not an object). The
// shared cases are tests/vectors/manifests.jsonl. Then what the runner needs to run one
// ExecuTorch artifact is read from it (the artifact's hash check is artifact.hpp). Version 4's
// `input.kind` says which tiles the model takes: amplitude pairs (preprocessing versions 1 and
// 2, preprocess.hpp) or same-track complex pairs (preprocessing version 3, the interferogram:
// interferogram.hpp, its `preprocess` block is just `version` and `looks`; no change gate,
// `gate.statistic` "none"; located by its head or at the tile centre).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "quakesat/decision.hpp"
#include "quakesat/preprocess.hpp"
#include "quakesat/status.hpp"

namespace quakesat {

constexpr const char* kManifestName = "manifest.json";
// Largest manifest file read (runtime/manifest.py MAX_MANIFEST_BYTES; export writes a few kB).
constexpr std::size_t kMaxManifestBytes = std::size_t{16} << 20;
constexpr const char* kManifestFormat = "quakesat-manifest";
constexpr int kManifestVersion = 4;
// Largest tile side (raw or preprocessed) a manifest may declare: keeps a hostile manifest
// from sizing huge buffers.
constexpr int kMaxSide = 4096;
// Largest |offset| of an output reference (runtime/manifest.py OUTPUT_OFFSET_MAX): beyond it the
// head value is no longer a float32 number.
constexpr double kOutputOffsetMax = 1e6;
// What a refused older manifest (or preprocessing version) tells the operator to do.
constexpr const char* kReexportHint = "re-export the model: quakesat export --model-dir MODEL --data FILE --out DIR";

// Where a head's value is in the program's outputs (runtime/manifest.py OutputRef).
struct OutputRef {
  bool present = false;
  int output = 0;   // position of the program output
  int column = -1;  // -1: the whole row (width 1) or the row as it is (location)
  enum class Transform { kIdentity, kSigmoid, kLabel } transform = Transform::kIdentity;
  float offset = 0.0f;
};

// What a tile's two files hold (runtime/tile.py TILE_KINDS): an amplitude pair (H x W x 2 float32
// sigma0) or a same-track complex pair (side x side complex64, same_track.hpp). A tile list line
// says which ("kind", default "amplitude"); a tile of another kind than the model's is WRONG_KIND.
enum class TileKind { kAmplitude, kSameTrack };

struct Manifest {
  // The tile kind the model takes (runtime/manifest.py InputSpec.kind: the manifest's input.kind).
  TileKind input_kind() const { return kind; }

  std::string folder;
  TileKind kind = TileKind::kAmplitude;
  int channels = 0, height = 0, width = 0;  // one preprocessed tile
  int raw_side = 0;
  int images = 2;
  PreprocessConfig preprocess;  // an amplitude model's (versions 1 and 2); defaults for a same-track one
  int looks = 1;                // a same-track model's multilook block side (preprocessing version 3)
  DecisionConfig decision;
  double gate_threshold = 0.0;
  std::string locate_method = "centre";
  std::string artifact_name, artifact_file, artifact_format, sha256;
  std::uint16_t model_id = 0;
  OutputRef event, magnitude, location;
};

// Check a manifest as read from JSON (runtime/manifest.py parse_manifest). False: `field` is the
// dotted path of the first rule broken, `detail` what is wrong with it.
bool validate_manifest(const nlohmann::json& raw, std::string& field, std::string& detail);

// The same for the text of a manifest (read_manifest_text): text that is not strict JSON is
// field "json" (strict_json.hpp: Python's reading of numbers, no NaN or Infinity).
bool validate_manifest_text(const std::string& text, std::string& field, std::string& detail);

// Read and validate `folder`/manifest.json and pick `artifact` (empty: the manifest's
// default_artifacts.cpp, else the first int8 .pte, else the first .pte). MODEL_MISSING (no
// manifest, no .pte), MANIFEST_INVALID (a rule broken, a version other than kManifestVersion, an
// unknown artifact name), BACKEND_ERROR (the named artifact is not a .pte). `detail` says what
// went wrong: "PATH: FIELD: what", as the Python reader says it.
Status load_manifest(const std::string& folder, const std::string& artifact, Manifest& manifest,
                     std::string& detail);

}  // namespace quakesat
