// The chosen artifact's file against its manifest entry (runtime/manifest.py Manifest.verify):
// present, and of the recorded SHA-256 (OpenSSL), before ExecuTorch ever sees it.
#pragma once

#include <string>
#include <vector>

#include "quakesat/manifest.hpp"
#include "quakesat/status.hpp"

namespace quakesat {

// MODEL_MISSING if the artifact file is absent, HASH_MISMATCH if its SHA-256 differs.
Status verify_artifact(const Manifest& manifest, std::string& detail);

// Lowercase hex SHA-256 of a file; empty if it cannot be read.
std::string sha256_file(const std::string& path);

// Signed updates (runtime/signature.py): an Ed25519 public key file (32 bytes as hex).
bool read_public_key(const std::string& path, std::vector<unsigned char>& key, std::string& detail);

// MANIFEST_INVALID unless FOLDER/manifest.json.sig (64 bytes as hex) verifies the manifest's
// exact bytes with `key`.
Status verify_manifest_signature(const std::string& folder, const std::vector<unsigned char>& key,
                                 std::string& detail);

}  // namespace quakesat
