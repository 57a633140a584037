// The model manifest (runtime/manifest.py), read at Init: what the runner needs to run one
// ExecuTorch artifact, with its SHA-256 checked before the file is loaded.
#pragma once

#include <cstdint>
#include <string>

#include "quakesat/decision.hpp"
#include "quakesat/preprocess.hpp"
#include "quakesat/status.hpp"

namespace quakesat {

constexpr int kManifestVersion = 1;
constexpr int kPreprocessVersion = 1;

// Where a head's value is in the program's outputs (runtime/manifest.py OutputRef).
struct OutputRef {
  bool present = false;
  int output = 0;   // position of the program output
  int column = -1;  // -1: the whole row (width 1) or the row as it is (location)
  enum class Transform { kIdentity, kSigmoid, kLabel } transform = Transform::kIdentity;
  float offset = 0.0f;
};

struct Manifest {
  std::string folder;
  int channels = 0, height = 0, width = 0;  // one preprocessed tile
  int raw_side = 0;
  int images = 2;
  PreprocessConfig preprocess;
  DecisionConfig decision;
  double gate_threshold = 0.0;
  std::string locate_method = "centre";
  std::string artifact_name, artifact_file, artifact_format, sha256;
  std::uint16_t model_id = 0;
  OutputRef event, magnitude, location;
};

// Read `folder`/manifest.json and pick `artifact` (empty: the first int8 .pte, else the first
// .pte). MODEL_MISSING (no manifest, no .pte), MANIFEST_INVALID (anything malformed),
// BACKEND_ERROR (the named artifact is not a .pte). `detail` says what went wrong.
Status load_manifest(const std::string& folder, const std::string& artifact, Manifest& manifest,
                     std::string& detail);

// MODEL_MISSING if the artifact file is absent, HASH_MISMATCH if its SHA-256 differs.
Status verify_artifact(const Manifest& manifest, std::string& detail);

// Lowercase hex SHA-256 of a file (OpenSSL); empty if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace quakesat
