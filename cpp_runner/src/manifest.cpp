// Manifest reader (nlohmann-json) and artifact hash check (OpenSSL SHA-256).
#include "quakesat/manifest.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace quakesat {
namespace {

using nlohmann::json;

OutputRef output_ref(const json& outputs, const char* head) {
  OutputRef ref;
  if (!outputs.contains(head)) return ref;
  const json& entry = outputs.at(head);
  ref.present = true;
  ref.output = std::stoi(entry.at("output").get<std::string>());
  if (entry.contains("column") && !entry.at("column").is_null()) ref.column = entry.at("column").get<int>();
  const std::string transform = entry.value("transform", "identity");
  if (transform == "sigmoid") ref.transform = OutputRef::Transform::kSigmoid;
  else if (transform == "label") ref.transform = OutputRef::Transform::kLabel;
  else if (transform != "identity") throw std::runtime_error("unknown output transform " + transform);
  ref.offset = static_cast<float>(entry.value("offset", 0.0));
  return ref;
}

const json* choose_artifact(const json& artifacts, const std::string& name) {
  const json* first_pte = nullptr;
  for (const json& a : artifacts) {
    if (!name.empty()) {
      if (a.at("name").get<std::string>() == name) return &a;
      continue;
    }
    if (a.at("format").get<std::string>() != "pte") continue;
    if (a.at("precision").get<std::string>() == "int8") return &a;
    if (!first_pte) first_pte = &a;
  }
  return first_pte;
}

}  // namespace

Status load_manifest(const std::string& folder, const std::string& artifact, Manifest& m, std::string& detail) {
  const std::string path = folder + "/manifest.json";
  std::ifstream in(path);
  if (!in) {
    detail = path + ": no manifest";
    return Status::kModelMissing;
  }
  try {
    const json raw = json::parse(in);
    if (raw.at("format") != "quakesat-manifest" || raw.at("version") != kManifestVersion) {
      detail = path + ": not a version-1 quakesat manifest";
      return Status::kManifestInvalid;
    }
    const json& input = raw.at("input");
    const auto shape = input.at("tile_shape").get<std::vector<int>>();
    if (shape.size() != 3) throw std::runtime_error("tile_shape must be [C, H, W]");
    m.folder = folder;
    m.channels = shape[0];
    m.height = shape[1];
    m.width = shape[2];
    m.raw_side = input.at("raw_side").get<int>();
    m.images = input.value("images", 2);
    const json& pre = raw.at("preprocess");
    if (pre.at("version").get<int>() != kPreprocessVersion) throw std::runtime_error("preprocessing version");
    const std::string units = pre.at("units").get<std::string>();
    if (units != "linear" && units != "db") throw std::runtime_error("units must be linear or db");
    m.preprocess.units_db = units == "db";
    m.preprocess.floor_linear = pre.at("floor_linear").get<double>();
    m.preprocess.downsample = pre.at("downsample").get<int>();
    for (int i = 0; i < 2; ++i) {
      m.preprocess.clip_db[i] = pre.at("clip_db").at(i).get<double>();
      m.preprocess.mean_db[i] = pre.at("mean_db").at(i).get<double>();
      m.preprocess.std_db[i] = pre.at("std_db").at(i).get<double>();
    }
    if (m.preprocess.downsample < 1 || m.raw_side % m.preprocess.downsample ||
        m.raw_side / m.preprocess.downsample != m.height || m.height != m.width ||
        m.channels != 2 * m.images || m.preprocess.std_db[0] <= 0 || m.preprocess.std_db[1] <= 0) {
      throw std::runtime_error("input shape and preprocessing disagree");
    }
    m.decision.event_threshold = raw.at("decision").at("event_threshold").get<double>();
    m.decision.magnitude_min = raw.at("decision").at("magnitude_min").get<double>();
    m.decision.magnitude_given_event = raw.at("model").value("magnitude_given_event", false);
    if (raw.contains("gate") && raw.at("gate").is_object()) m.gate_threshold = raw.at("gate").value("threshold", 0.0);
    if (!(m.gate_threshold >= 0.0 && m.gate_threshold <= 1.0)) throw std::runtime_error("gate threshold outside 0..1");
    if (raw.contains("locate") && raw.at("locate").is_object()) {
      m.locate_method = raw.at("locate").value("method", std::string("centre"));
    }
    const json* chosen = choose_artifact(raw.at("artifacts"), artifact);
    if (!chosen) {
      detail = path + (artifact.empty() ? ": no .pte artifact" : ": no artifact named " + artifact);
      return artifact.empty() ? Status::kModelMissing : Status::kManifestInvalid;
    }
    m.artifact_name = chosen->at("name").get<std::string>();
    m.artifact_file = chosen->at("path").get<std::string>();
    m.artifact_format = chosen->at("format").get<std::string>();
    m.sha256 = chosen->at("sha256").get<std::string>();
    if (m.sha256.size() != 64 || m.artifact_file.empty() || m.artifact_file[0] == '/' ||
        m.artifact_file.find("..") != std::string::npos) {
      throw std::runtime_error("artifact entry has no valid sha256 or relative path");
    }
    m.model_id = static_cast<std::uint16_t>(std::stoul(m.sha256.substr(0, 4), nullptr, 16));
    if (m.artifact_format != "pte") {
      detail = m.artifact_name + " is a ." + m.artifact_format + " artifact; the C++ runner runs .pte";
      return Status::kBackendError;
    }
    const json& outputs = chosen->at("outputs");
    m.event = output_ref(outputs, "event");
    m.magnitude = output_ref(outputs, "magnitude");
    m.location = output_ref(outputs, "location");
  } catch (const std::exception& err) {
    detail = path + ": " + err.what();
    return Status::kManifestInvalid;
  }
  return Status::kOk;
}

std::string sha256_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  unsigned char chunk[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0) EVP_DigestUpdate(ctx, chunk, got);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  if (failed) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Status verify_artifact(const Manifest& m, std::string& detail) {
  const std::string path = m.folder + "/" + m.artifact_file;
  const std::string actual = sha256_file(path);
  if (actual.empty()) {
    detail = path + ": artifact listed in the manifest is missing";
    return Status::kModelMissing;
  }
  if (actual != m.sha256) {
    detail = path + ": SHA-256 " + actual.substr(0, 16) + "... differs from the manifest's " + m.sha256.substr(0, 16);
    return Status::kHashMismatch;
  }
  return Status::kOk;
}

}  // namespace quakesat
