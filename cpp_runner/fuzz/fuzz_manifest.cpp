// Fuzz harness of the manifest reader (manifest.hpp, strict_json.hpp): the input is the text of
// a manifest.json. validate_manifest_text judges it; a text that is strict JSON is judged the
// same as its parsed value and as that value written out and read again; a manifest it accepts
// is then loaded by load_manifest from a scratch folder (one per process), which must not refuse
// it and must hand the runner consistent sizes and output positions.
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.hpp"
#include "quakesat/manifest.hpp"
#include "quakesat/strict_json.hpp"

namespace {

using namespace quakesat;
using nlohmann::json;
using quakesat_fuzz::require;

// A scratch folder for manifest.json, removed when the process exits.
class Folder {
 public:
  Folder() {
    char name[] = "/tmp/quakesat_fuzz_manifest_XXXXXX";
    require(::mkdtemp(name) != nullptr, "mkdtemp");
    path_ = name;
  }
  ~Folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void check_loaded(const std::string& text) {
  static Folder folder;
  {
    std::FILE* out = std::fopen((folder.path() + "/" + kManifestName).c_str(), "wb");
    require(out != nullptr, "write the scratch manifest");
    require(std::fwrite(text.data(), 1, text.size(), out) == text.size(), "write the scratch manifest");
    std::fclose(out);
  }
  Manifest m;
  std::string detail;
  const Status status = load_manifest(folder.path(), "", m, detail);
  require(status == Status::kOk || status == Status::kModelMissing || status == Status::kBackendError,
          "a valid manifest loads, or names no .pte to run");
  if (status != Status::kOk) return;
  require(m.artifact_format == "pte", "the runner is handed a .pte");
  const bool same_track = m.input_kind() == TileKind::kSameTrack;  // the interferogram: 3 channels, looks
  require(m.channels == (same_track ? 3 : 2 * m.images) && m.height == m.width && m.height >= 1 &&
              m.height <= kMaxSide,
          "the tile's shape is the manifest's rules");
  require(m.raw_side == m.height * (same_track ? m.looks : m.preprocess.downsample),
          "raw side = tile side x downsample (x looks)");
  require(m.model_id == std::stoul(m.sha256.substr(0, 4), nullptr, 16), "the model id is the hash's first bytes");
  for (const OutputRef* ref : {&m.event, &m.magnitude, &m.location}) {
    require(!ref->present || (ref->output >= 0 && ref->output < 3), "a head's output is a position of the program");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string field, detail;
  const bool valid = validate_manifest_text(text, field, detail);
  require(valid == field.empty() && valid == detail.empty(), "a verdict names a field exactly when it refuses");
  json raw;
  std::string error;
  if (!parse_strict_json(text, raw, error)) {
    require(!valid && field == "json", "text that is not strict JSON is refused as json");
    return 0;
  }
  std::string field2, detail2;
  require(validate_manifest(raw, field2, detail2) == valid && field2 == field, "the text and its value agree");
  json again;
  require(parse_strict_json(raw.dump(), again, error), "a parsed value written out reads again");
  std::string field3, detail3;
  require(validate_manifest(again, field3, detail3) == valid && field3 == field, "the value written out agrees");
  if (valid) check_loaded(text);
  return 0;
}
