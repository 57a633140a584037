// Manifest reader: runtime/manifest.py's rules, one check at a time, in its order (each read_*
// below is the Python function of the same name), the first violation thrown as Invalid with
// its field's dotted path; then the values the runner needs.
#include "quakesat/manifest.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "quakesat/interferogram.hpp"
#include "quakesat/message.hpp"
#include "quakesat/regular_file.hpp"
#include "quakesat/strict_json.hpp"

namespace quakesat {
namespace {

using nlohmann::json;
using Names = std::vector<std::string>;

// Declared keys of every block, in the order they are checked (runtime/manifest.py *_KEYS).
const Names kTopKeys = {"format", "version", "quakesat_version", "created", "model", "preprocess", "input",
                        "decision", "gate", "locate", "artifacts", "default_artifacts", "report"};
const Names kModelKeys = {"name", "family", "paper_task", "heads"};
const Names kPreprocessKeys = {"version", "units", "floor_linear", "clip_db", "mean_db", "std_db", "downsample"};
// A same-track model's preprocess block (preprocessing version 3: the interferogram).
const Names kInterferogramKeys = {"version", "looks"};
const Names kInputKeys = {"kind", "raw_side", "images", "tile_shape", "dtype", "channels"};
const Names kDecisionKeys = {"event_threshold", "magnitude_min", "magnitude_given_event", "magnitude_informative",
                             "operating_point", "calibration", "magnitude_skill"};
const Names kDefaultArtifactKeys = {"python", "cpp"};
const Names kGateKeys = {"statistic", "threshold", "calibration"};
const Names kLocateKeys = {"method", "calibration"};
const Names kArtifactKeys = {"name", "path", "format", "precision", "sha256", "bytes", "layout", "outputs",
                             "quantization", "delegate", "batch", "fidelity", "gate_failures", "latency_ms"};
const Names kOutputKeys = {"output", "column", "transform", "offset"};

const Names kFamilies = {"cnn", "shallow", "rule"};
const Names kHeads = {"event", "magnitude", "location"};
const Names kUnits = {"linear", "db"};
const Names kDtypes = {"float32"};
const Names kFormats = {"onnx", "tflite", "pte", "rule"};
const Names kPrecisions = {"fp32", "int8"};
const Names kTransforms = {"identity", "label", "sigmoid"};
const Names kTileKinds = {"amplitude", "same_track"};  // runtime/tile.py TILE_KINDS
const Names kInterferogramChannels = {"cos_phase", "sin_phase", "coherence"};
// changed_share: the amplitude change gate; none: no gate (a same-track model's).
const Names kGateStatistics = {"changed_share", "none"};
const Names kLocateMethods = {"centre", "change", "head"};
// Location methods a same-track model may declare (change reads amplitude images).
const Names kSameTrackLocateMethods = {"centre", "head"};
const int kPaperTasks[] = {1, 2, 5, 6};

struct Invalid {
  std::string field, detail;
};

[[noreturn]] void fail(const std::string& field, const std::string& detail) { throw Invalid{field, detail}; }

bool contains(const Names& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string listed(const Names& names) {
  std::string out = "[";
  for (const std::string& name : names) out += (out.size() > 1 ? ", '" : "'") + name + "'";
  return out + "]";
}

// The shortest text that reads back as `value` (655.35, not 655.35000000000002).
std::string number_text(double value) {
  char text[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

// A value for a message, about as Python's repr shows it.
std::string show(const json& value) {
  if (value.is_null()) return "None";
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_number_float() && !std::isfinite(value.get<double>())) {
    return std::isnan(value.get<double>()) ? "nan" : value.get<double>() > 0 ? "inf" : "-inf";
  }
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

// ─── the type and range checks (_block, _string, _text, _integer, _number, ...) ──────────
// An object with exactly `keys`: the first missing key in declared order, then the first
// unknown key in sorted order, is the error.
const json& block(const json& value, const std::string& path, const Names& keys) {
  if (!value.is_object()) fail(path.empty() ? "manifest" : path, "must be a JSON object");
  const std::string prefix = path.empty() ? "" : path + ".";
  for (const std::string& key : keys) {
    if (!value.contains(key)) fail(prefix + key, "is missing");
  }
  std::optional<std::string> unknown;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!contains(keys, it.key()) && (!unknown || it.key() < *unknown)) unknown = it.key();
  }
  if (unknown) fail(prefix + *unknown, "is not a field of this manifest version");
  return value;
}

// A JSON bool is not an int, 2.0 is not an int (strict JSON holds no integer beyond 64 bits).
bool is_int(const json& value) { return value.is_number_integer(); }

bool is_number(const json& value) { return value.is_number(); }

double number_of(const json& value) { return value.get<double>(); }

std::string string(const json& value, const std::string& path, const Names* choices = nullptr) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    fail(path, "must be a non-empty string, got " + show(value));
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (choices && !contains(*choices, text)) fail(path, "must be one of " + listed(*choices) + ", got " + show(value));
  return text;
}

void text(const json& value, const std::string& path) {
  if (!value.is_string()) fail(path, "must be a string, got " + show(value));
}

// The value clamped to long long (a uint64 beyond it to LLONG_MAX); no `high`: no bound.
long long integer(const json& value, const std::string& path, long long low, std::optional<long long> high = {}) {
  if (!is_int(value)) fail(path, "must be an integer, got " + show(value));
  long long clamped = 0;
  bool above = false;
  if (value.is_number_unsigned()) {
    const auto raw = value.get<std::uint64_t>();
    clamped = raw > static_cast<std::uint64_t>(LLONG_MAX) ? LLONG_MAX : static_cast<long long>(raw);
    above = high && raw > static_cast<std::uint64_t>(*high);
  } else {
    clamped = value.get<std::int64_t>();
    above = high && clamped > *high;
  }
  if (clamped < low || above) {
    fail(path, "must be in " + std::to_string(low) + ".." + (high ? std::to_string(*high) : "") + ", got " +
                   show(value));
  }
  return clamped;
}

double number(const json& value, const std::string& path, std::optional<double> low = {},
              std::optional<double> high = {}, bool low_open = false) {
  if (!is_number(value) || !std::isfinite(number_of(value))) fail(path, "must be a finite number, got " + show(value));
  const double x = number_of(value);
  if (low && (low_open ? x <= *low : x < *low)) {
    fail(path, std::string("must be ") + (low_open ? "> " : ">= ") + number_text(*low) + ", got " + show(value));
  }
  if (high && x > *high) fail(path, "must be <= " + number_text(*high) + ", got " + show(value));
  return x;
}

const json& numbers(const json& value, const std::string& path, std::size_t count) {
  if (!value.is_array() || value.size() != count) {
    fail(path, "must be a list of " + std::to_string(count) + " numbers, got " + show(value));
  }
  return value;
}

void optional_object(const json& value, const std::string& path) {
  if (!value.is_null() && !value.is_object()) {
    fail(path, std::string("must be a JSON object or null, got ") + value.type_name());
  }
}

bool string_list(const json& value) {
  return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
}

// ─── the blocks ─────────────────────────────────────────────────────────────────────────
struct ModelInfo {
  long long paper_task = 0;
  Names heads;
  bool has(const char* head) const { return contains(heads, head); }
};

ModelInfo read_model(const json& value) {
  const json& raw = block(value, "model", kModelKeys);
  string(raw["name"], "model.name");
  string(raw["family"], "model.family", &kFamilies);
  ModelInfo model;
  model.paper_task = integer(raw["paper_task"], "model.paper_task", 1, 6);
  if (std::find(std::begin(kPaperTasks), std::end(kPaperTasks), model.paper_task) == std::end(kPaperTasks)) {
    fail("model.paper_task", "must be one of [1, 2, 5, 6], got " + std::to_string(model.paper_task));
  }
  const json& heads = raw["heads"];
  if (heads.empty() || !string_list(heads)) {
    fail("model.heads", "must be a non-empty list of head names, got " + show(heads));
  }
  std::ptrdiff_t last = -1;  // distinct heads of kHeads in that order: strictly increasing positions
  for (const json& head : heads) {
    const auto at = std::find(kHeads.begin(), kHeads.end(), head.get<std::string>()) - kHeads.begin();
    if (at == static_cast<std::ptrdiff_t>(kHeads.size()) || at <= last) {
      fail("model.heads", "must be distinct heads of " + listed(kHeads) + " in that order, got " + show(heads));
    }
    last = at;
    model.heads.push_back(head.get<std::string>());
  }
  return model;
}

// The preprocess block's version and multilook factor: downsample for versions 1 and 2 (the
// amplitude pair's), looks for version 3 (the interferogram's).
struct PreprocessInfo {
  long long version = 0;
  long long factor = 1;
  bool same_track() const { return version == kInterferometricVersion; }
};

// _read_preprocess: `version` first (it says which block this is), then the block's keys.
PreprocessInfo read_preprocess(const json& value) {
  if (!value.is_object()) fail("preprocess", "must be a JSON object");
  if (!value.contains("version")) fail("preprocess.version", "is missing");
  PreprocessInfo info;
  info.version = integer(value["version"], "preprocess.version", 0);
  if (info.version < kMinPreprocessVersion || info.version > kInterferometricVersion) {
    fail("preprocess.version", "preprocessing version " + std::to_string(info.version) +
                                   "; this runtime implements versions " + std::to_string(kMinPreprocessVersion) +
                                   ", " + std::to_string(kPreprocessVersion) + ", " +
                                   std::to_string(kInterferometricVersion) + ": " + kReexportHint);
  }
  if (info.same_track()) {
    const json& raw = block(value, "preprocess", kInterferogramKeys);
    info.factor = integer(raw["looks"], "preprocess.looks", 1, kMaxSide);
    return info;
  }
  const json& raw = block(value, "preprocess", kPreprocessKeys);
  const bool units_db = string(raw["units"], "preprocess.units", &kUnits) == "db";
  number(raw["floor_linear"], "preprocess.floor_linear", 0.0, {}, true);
  const json& clip_db = numbers(raw["clip_db"], "preprocess.clip_db", 2);
  double clip[2];
  for (int i = 0; i < 2; ++i) clip[i] = number(clip_db[i], "preprocess.clip_db[" + std::to_string(i) + "]");
  if (!(clip[0] < clip[1])) fail("preprocess.clip_db", "must be [low, high] with low < high, got " + show(clip_db));
  const json& mean_db = numbers(raw["mean_db"], "preprocess.mean_db", kBands);
  for (int i = 0; i < kBands; ++i) number(mean_db[i], "preprocess.mean_db[" + std::to_string(i) + "]");
  const json& std_db = numbers(raw["std_db"], "preprocess.std_db", kBands);
  for (int i = 0; i < kBands; ++i) number(std_db[i], "preprocess.std_db[" + std::to_string(i) + "]", 0.0, {}, true);
  info.factor = integer(raw["downsample"], "preprocess.downsample", 1, kMaxSide);
  if (info.version == 2 && units_db && info.factor > 1) {
    fail("preprocess.downsample", std::string("preprocessing version 2 does not multilook dB inputs: ") + kReexportHint);
  }
  return info;
}

// _read_input; true for a same-track model (input.kind "same_track", which must go with
// preprocessing version 3 and only with it).
bool read_input(const json& value, const ModelInfo& model, const PreprocessInfo& preprocess) {
  const json& raw = block(value, "input", kInputKeys);
  const bool same_track = preprocess.same_track();
  const std::string kind = string(raw["kind"], "input.kind", &kTileKinds);
  if ((kind == "same_track") != same_track) {
    fail("input.kind", "'" + kind + "' does not fit preprocessing version " + std::to_string(preprocess.version) +
                           " (version " + std::to_string(kInterferometricVersion) +
                           " forms same-track pairs; 1 and 2 read amplitude images)");
  }
  const long long raw_side = integer(raw["raw_side"], "input.raw_side", 1, kMaxSide);
  const long long images = integer(raw["images"], "input.images", 1, 2);
  const json& shape = raw["tile_shape"];
  if (!shape.is_array() || shape.size() != 3) fail("input.tile_shape", "must be [C, H, W], got " + show(shape));
  long long dims[3];
  for (int i = 0; i < 3; ++i) dims[i] = integer(shape[i], "input.tile_shape[" + std::to_string(i) + "]", 1, kMaxSide);
  string(raw["dtype"], "input.dtype", &kDtypes);
  const json& channels = raw["channels"];
  if (!string_list(channels)) fail("input.channels", "must be a list of channel names, got " + show(channels));
  if (same_track && images != 2) fail("input.images", "a same-track pair is 2 images, got " + std::to_string(images));
  const long long wanted = same_track ? kInterferometricChannels : kBands * images;
  if (dims[0] != wanted) {
    fail("input.tile_shape", std::to_string(dims[0]) + " channels, but " +
                                 (same_track ? "an interferogram has " + std::to_string(wanted)
                                             : std::to_string(images) + " image(s) of " + std::to_string(kBands) +
                                                   " bands make " + std::to_string(wanted)));
  }
  if (dims[1] != dims[2]) {
    fail("input.tile_shape", "tiles are square, got " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]));
  }
  const long long factor = preprocess.factor;
  if (raw_side % factor || raw_side / factor != dims[1]) {
    fail("input.raw_side", std::to_string(raw_side) + " px multilooked by " + std::to_string(factor) +
                               " does not give the tile's " + std::to_string(dims[1]) + " px");
  }
  if (static_cast<long long>(channels.size()) != dims[0]) {
    fail("input.channels", "names " + std::to_string(channels.size()) + " channels, the tile has " +
                               std::to_string(dims[0]));
  }
  if (same_track && channels != json(kInterferogramChannels)) {
    fail("input.channels", "an interferogram's channels are " + listed(kInterferogramChannels) + ", got " +
                               show(channels));
  }
  const bool bitemporal_task = model.paper_task == 1 || model.paper_task == 2;
  if ((images == 2) != bitemporal_task) {
    fail("input.images", std::to_string(images) + " image(s) does not fit paper task " +
                             std::to_string(model.paper_task) + " (tasks [1, 2] are bitemporal)");
  }
  return same_track;
}

void read_decision(const json& value, const ModelInfo& model) {
  const json& raw = block(value, "decision", kDecisionKeys);
  number(raw["event_threshold"], "decision.event_threshold", 0.0, 1.0);
  number(raw["magnitude_min"], "decision.magnitude_min", 0.0, kMagnitudeMax);
  const json& given = raw["magnitude_given_event"];
  if (!given.is_boolean()) fail("decision.magnitude_given_event", "must be true or false, got " + show(given));
  if (given.get<bool>() && !(model.has("event") && model.has("magnitude"))) {
    fail("decision.magnitude_given_event", "needs both an event and a magnitude head");
  }
  const json& informative = raw["magnitude_informative"];
  if (!informative.is_boolean()) {
    fail("decision.magnitude_informative", "must be true or false, got " + show(informative));
  }
  for (const char* report : {"operating_point", "calibration", "magnitude_skill"}) {
    optional_object(raw[report], std::string("decision.") + report);
  }
}

void read_gate(const json& value, bool same_track) {
  const json& raw = block(value, "gate", kGateKeys);
  const bool none = string(raw["statistic"], "gate.statistic", &kGateStatistics) == "none";
  if (none != same_track) {
    fail("gate.statistic", std::string("a ") + (same_track ? "same_track" : "amplitude") + " model's gate is " +
                               (same_track ? "none" : "changed_share") + ", got " + show(raw["statistic"]));
  }
  const double threshold = number(raw["threshold"], "gate.threshold", 0.0, 1.0);
  if (none && threshold != 0.0) {
    fail("gate.threshold", "no gate (statistic none) has threshold 0, got " + show(raw["threshold"]));
  }
  optional_object(raw["calibration"], "gate.calibration");
}

void read_locate(const json& value, const ModelInfo& model, bool same_track) {
  const json& raw = block(value, "locate", kLocateKeys);
  const std::string method = string(raw["method"], "locate.method", &kLocateMethods);
  if (same_track && !contains(kSameTrackLocateMethods, method)) {
    fail("locate.method", "a same_track model locates by " + listed(kSameTrackLocateMethods) +
                              " (change reads amplitude images), got '" + method + "'");
  }
  if (method == "head" && !model.has("location")) {
    fail("locate.method", "is 'head' but the model has no location head");
  }
  optional_object(raw["calibration"], "locate.calibration");
}

// A positional output ("0", "1", ...: ASCII digits) below `count`; its value, or -1. The digits
// may be many: the value only grows with each, so the scan stops once it reaches `count`.
int position(const std::string& output, std::size_t count) {
  std::size_t value = 0;
  for (char c : output) {
    if (c < '0' || c > '9') return -1;
    if (value < count) value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value < count ? static_cast<int>(value) : -1;
}

bool positional(const std::string& format) { return format == "tflite" || format == "pte"; }

void read_output(const json& value, const std::string& path, const std::string& format, const Names& heads) {
  const json& raw = block(value, path, kOutputKeys);
  const std::string output = string(raw["output"], path + ".output");
  if (positional(format) && position(output, heads.size()) < 0) {
    fail(path + ".output", "a " + format + " output is a position 0.." + std::to_string(heads.size() - 1) + ", got '" +
                               output + "'");
  }
  if (!raw["column"].is_null()) integer(raw["column"], path + ".column", 0);
  string(raw["transform"], path + ".transform", &kTransforms);
  number(raw["offset"], path + ".offset", -kOutputOffsetMax, kOutputOffsetMax);
}

// No leading slash or backslash, no drive or scheme colon, no ".." part ("\\" counts as "/").
bool relative_path(std::string file) {
  if (file[0] == '/' || file[0] == '\\' || file.find(':') != std::string::npos) return false;
  std::replace(file.begin(), file.end(), '\\', '/');
  for (std::size_t start = 0;;) {
    const std::size_t end = file.find('/', start);
    if (file.compare(start, end == std::string::npos ? std::string::npos : end - start, "..") == 0) return false;
    if (end == std::string::npos) return true;
    start = end + 1;
  }
}

bool lowercase_hex(const json& sha) {
  if (!sha.is_string() || sha.get_ref<const std::string&>().size() != 64) return false;
  const std::string& text = sha.get_ref<const std::string&>();
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

const Names& layouts(const std::string& format) {
  static const Names onnx = {"NCHW", "features"}, tflite = {"NHWC"}, nchw = {"NCHW"};
  return format == "onnx" ? onnx : format == "tflite" ? tflite : nchw;
}

std::string read_artifact(const json& value, std::size_t index, const Names& heads,
                          const std::set<std::string>& names) {
  const std::string path = "artifacts[" + std::to_string(index) + "]";
  const json& raw = block(value, path, kArtifactKeys);
  const std::string name = string(raw["name"], path + ".name");
  if (names.count(name)) fail(path + ".name", "two artifacts are called '" + name + "'");
  const std::string file = string(raw["path"], path + ".path");
  if (!relative_path(file)) {
    fail(path + ".path", "must be a path relative to the manifest's folder, got '" + file + "'");
  }
  const std::string format = string(raw["format"], path + ".format", &kFormats);
  string(raw["precision"], path + ".precision", &kPrecisions);
  if (!lowercase_hex(raw["sha256"])) fail(path + ".sha256", "must be 64 lowercase hex digits");
  integer(raw["bytes"], path + ".bytes", 1);
  string(raw["layout"], path + ".layout", &layouts(format));
  const json& outputs = block(raw["outputs"], path + ".outputs", heads);
  for (const std::string& head : heads) read_output(outputs[head], path + ".outputs." + head, format, heads);
  optional_object(raw["quantization"], path + ".quantization");
  if (!raw["delegate"].is_null()) string(raw["delegate"], path + ".delegate");
  if (!raw["batch"].is_null()) integer(raw["batch"], path + ".batch", 1);
  optional_object(raw["fidelity"], path + ".fidelity");
  if (!string_list(raw["gate_failures"])) {
    fail(path + ".gate_failures", "must be a list of strings, got " + show(raw["gate_failures"]));
  }
  if (!raw["latency_ms"].is_null()) number(raw["latency_ms"], path + ".latency_ms", 0.0);
  return name;
}

// parse_manifest: the format and version first, then the blocks in declared order.
void read_manifest(const json& raw) {
  if (!raw.is_object()) fail("manifest", "must be a JSON object");
  const json format = raw.contains("format") ? raw["format"] : json();
  if (format != kManifestFormat) fail("format", "not a quakesat manifest (format " + show(format) + ")");
  const json version = raw.contains("version") ? raw["version"] : json();
  const bool is_version = is_int(version) && version == kManifestVersion;
  if (!is_version) {
    const bool older = is_int(version) && number_of(version) < kManifestVersion;
    fail("version", "manifest version " + show(version) + "; this runtime reads version " +
                        std::to_string(kManifestVersion) + (older ? std::string(": ") + kReexportHint : ""));
  }
  block(raw, "", kTopKeys);
  text(raw["quakesat_version"], "quakesat_version");
  text(raw["created"], "created");
  const ModelInfo model = read_model(raw["model"]);
  const PreprocessInfo preprocess = read_preprocess(raw["preprocess"]);
  const bool same_track = read_input(raw["input"], model, preprocess);
  read_decision(raw["decision"], model);
  read_gate(raw["gate"], same_track);
  read_locate(raw["locate"], model, same_track);
  const json& artifacts = raw["artifacts"];
  if (!artifacts.is_array() || artifacts.empty()) fail("artifacts", "must be a non-empty list");
  std::set<std::string> names;
  for (std::size_t i = 0; i < artifacts.size(); ++i) names.insert(read_artifact(artifacts[i], i, model.heads, names));
  const json& defaults = block(raw["default_artifacts"], "default_artifacts", kDefaultArtifactKeys);
  const std::string python = string(defaults["python"], "default_artifacts.python");
  if (!names.count(python)) fail("default_artifacts.python", "'" + python + "' is not listed in artifacts");
  if (!defaults["cpp"].is_null()) {
    const std::string cpp = string(defaults["cpp"], "default_artifacts.cpp");
    bool is_pte = false;
    for (const json& a : artifacts) is_pte |= a["name"] == cpp && a["format"] == "pte";
    if (!is_pte) fail("default_artifacts.cpp", "'" + cpp + "' is not a .pte artifact of this manifest");
  }
  if (!raw["report"].is_object()) fail("report", "must be a JSON object");
}

// ─── what the runner reads from a valid manifest ────────────────────────────────────────
OutputRef output_ref(const json& outputs, const char* head, std::size_t heads) {
  OutputRef ref;
  if (!outputs.contains(head)) return ref;
  const json& entry = outputs[head];
  ref.present = true;
  ref.output = position(entry["output"].get<std::string>(), heads);
  const json& column = entry["column"];
  if (!column.is_null()) {  // a valid column is >= 0; one past any output is caught when it is read
    const bool small = column.is_number_unsigned() ? column.get<std::uint64_t>() <= INT_MAX
                                                   : column.get<std::int64_t>() <= INT_MAX;
    ref.column = small ? column.get<int>() : INT_MAX;
  }
  const std::string transform = entry["transform"].get<std::string>();
  if (transform == "sigmoid") ref.transform = OutputRef::Transform::kSigmoid;
  if (transform == "label") ref.transform = OutputRef::Transform::kLabel;
  ref.offset = static_cast<float>(entry["offset"].get<double>());
  return ref;
}

const json* choose_artifact(const json& artifacts, const json& defaults, const std::string& requested) {
  // No name asked for: the manifest's default for this runner, else the first int8 .pte, else the first .pte.
  const std::string name = requested.empty() && defaults["cpp"].is_string() ? defaults["cpp"].get<std::string>()
                                                                           : requested;
  const json* first_pte = nullptr;
  for (const json& a : artifacts) {
    if (!name.empty()) {
      if (a["name"] == name) return &a;
      continue;
    }
    if (a["format"] != "pte") continue;
    if (a["precision"] == "int8") return &a;
    if (!first_pte) first_pte = &a;
  }
  return first_pte;
}

void read_values(const json& raw, Manifest& m) {
  const json& input = raw["input"];
  m.channels = input["tile_shape"][0].get<int>();
  m.height = input["tile_shape"][1].get<int>();
  m.width = input["tile_shape"][2].get<int>();
  m.raw_side = input["raw_side"].get<int>();
  m.images = input["images"].get<int>();
  m.kind = input["kind"] == "same_track" ? TileKind::kSameTrack : TileKind::kAmplitude;
  const json& pre = raw["preprocess"];
  if (m.kind == TileKind::kSameTrack) {  // the interferogram's block: version 3 and looks
    m.looks = pre["looks"].get<int>();
  } else {
    m.preprocess.version = pre["version"].get<int>();
    m.preprocess.units_db = pre["units"] == "db";
    m.preprocess.floor_linear = number_of(pre["floor_linear"]);
    m.preprocess.downsample = pre["downsample"].get<int>();
    for (int i = 0; i < kBands; ++i) {
      m.preprocess.clip_db[i] = number_of(pre["clip_db"][i]);
      m.preprocess.mean_db[i] = number_of(pre["mean_db"][i]);
      m.preprocess.std_db[i] = number_of(pre["std_db"][i]);
    }
  }
  const json& decision = raw["decision"];
  m.decision.event_threshold = number_of(decision["event_threshold"]);
  m.decision.magnitude_min = number_of(decision["magnitude_min"]);
  m.decision.magnitude_given_event = decision["magnitude_given_event"].get<bool>();
  m.decision.magnitude_informative = decision["magnitude_informative"].get<bool>();
  m.gate_threshold = number_of(raw["gate"]["threshold"]);
  m.locate_method = raw["locate"]["method"].get<std::string>();
}

Status read_artifact_values(const json& raw, const std::string& path, const std::string& artifact, Manifest& m,
                            std::string& detail) {
  const json* chosen = choose_artifact(raw["artifacts"], raw["default_artifacts"], artifact);
  if (!chosen) {
    detail = path + (artifact.empty() ? ": no .pte artifact" : ": artifacts: no artifact named '" + artifact + "'");
    return artifact.empty() ? Status::kModelMissing : Status::kManifestInvalid;
  }
  m.artifact_name = (*chosen)["name"].get<std::string>();
  m.artifact_file = (*chosen)["path"].get<std::string>();
  m.artifact_format = (*chosen)["format"].get<std::string>();
  m.sha256 = (*chosen)["sha256"].get<std::string>();
  m.model_id = static_cast<std::uint16_t>(std::stoul(m.sha256.substr(0, 4), nullptr, 16));
  if (m.artifact_format != "pte") {
    detail = m.artifact_name + " is a ." + m.artifact_format + " artifact; the C++ runner runs .pte";
    return Status::kBackendError;
  }
  const json& outputs = (*chosen)["outputs"];
  const std::size_t heads = raw["model"]["heads"].size();
  m.event = output_ref(outputs, "event", heads);
  m.magnitude = output_ref(outputs, "magnitude", heads);
  m.location = output_ref(outputs, "location", heads);
  return Status::kOk;
}

}  // namespace

bool validate_manifest(const json& raw, std::string& field, std::string& detail) {
  try {
    read_manifest(raw);
  } catch (const Invalid& invalid) {
    field = invalid.field;
    detail = invalid.detail;
    return false;
  }
  field.clear();
  detail.clear();
  return true;
}

bool validate_manifest_text(const std::string& text, std::string& field, std::string& detail) {
  json raw;
  if (!parse_strict_json(text, raw, detail)) {
    field = "json";
    detail = "unreadable manifest (" + detail + ")";
    return false;
  }
  return validate_manifest(raw, field, detail);
}

Status load_manifest(const std::string& folder, const std::string& artifact, Manifest& m, std::string& detail) {
  m = Manifest{};
  const std::string path = folder + "/" + kManifestName;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    detail = path + ": no manifest; make one with `quakesat export --out DIR`";
    return Status::kModelMissing;
  }
  std::string text, field, why;
  if (!read_regular_file(path, kMaxManifestBytes, text, why)) {
    detail = why + " (an unreadable manifest)";
    return Status::kManifestInvalid;
  }
  json raw;
  if (!parse_strict_json(text, raw, why)) {
    detail = path + ": unreadable manifest (" + why + ")";
    return Status::kManifestInvalid;
  }
  if (!validate_manifest(raw, field, why)) {
    detail = path + ": " + field + ": " + why;
    return Status::kManifestInvalid;
  }
  m.folder = folder;
  read_values(raw, m);
  return read_artifact_values(raw, path, artifact, m, detail);
}

}  // namespace quakesat
