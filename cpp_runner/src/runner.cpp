// The per-tile pipeline, stage for stage as runtime/flight.py FlightRuntime.process, and its
// queue and health cadence (FlightRuntime._emit, health). An amplitude model's tiles: the
// amplitude checks (with preprocessing version 2 fused with preprocessing), the change gate,
// inference, location by head, change peak or centre. A same-track model's: the same-track
// checks fused with interferogram formation, no gate, NO_COHERENCE after formation, location
// by head or centre.
#include "quakesat/runner.hpp"

#include <cmath>

#include "quakesat/artifact.hpp"
#include "quakesat/interferogram.hpp"
#include "quakesat/npy.hpp"
#include "quakesat/same_track.hpp"
#include "quakesat/validate.hpp"

namespace quakesat {

const char* const kStageNames[kStageCount] = {"read",  "check",  "gate",   "preprocess",
                                              "infer", "decide", "locate", "encode"};

namespace {

bool georef_ok(const TileMeta& m) {
  return m.has_georef && std::isfinite(m.lat) && std::isfinite(m.lon) && std::isfinite(m.pixel_spacing_m) &&
         std::fabs(m.lat) <= 90.0 && std::fabs(m.lon) <= 180.0 && m.pixel_spacing_m > 0.0;
}

bool time_ok(const TileMeta& m) { return m.time_is_integer && m.time > 0 && m.time <= 0xFFFFFFFFLL; }

}  // namespace

Status Runner::init(const std::string& artifacts, const std::string& artifact, const RunnerConfig& config) {
  config_ = config;
  fault_detail_.clear();
  Status status = config.trusted_key.empty() ? Status::kOk
                                               : verify_manifest_signature(artifacts, config.trusted_key, fault_detail_);
  if (status == Status::kOk) {
    status = load_manifest(artifacts, artifact, manifest_, fault_detail_);
  } else {  // a refused signature: the messages still carry the model id the manifest names, as Python's
    Manifest unverified;
    std::string ignored;
    if (load_manifest(artifacts, artifact, unverified, ignored) == Status::kOk) {
      manifest_.model_id = unverified.model_id;
    }
  }
  if (status == Status::kOk) status = verify_artifact(manifest_, fault_detail_);
  if (status == Status::kOk) {
    status = model_.load(manifest_.folder + "/" + manifest_.artifact_file, manifest_.channels, manifest_.height,
                         manifest_.width, config.threads, fault_detail_);
  }
  fault_ = status;
  const int side = manifest_.raw_side > 0 ? manifest_.raw_side : 1;
  const std::size_t image = static_cast<std::size_t>(side) * side * kBands;
  pre_.assign(image, 0.0f);
  post_.assign(image, 0.0f);
  const std::size_t input_floats =
      static_cast<std::size_t>(manifest_.channels > 0 ? manifest_.channels : 1) * manifest_.height * manifest_.width;
  // Preprocess straight into the program's planned input where it has one (no copy, no second
  // buffer); else into a buffer of our own.
  planned_input_ = fault_ == Status::kOk ? model_.planned_input(input_floats) : nullptr;
  input_.assign(planned_input_ ? 1 : input_floats + 1, 0.0f);
  model_input_ = planned_input_ ? planned_input_ : input_.data();
  scratch_.assign(change_peak_scratch_bytes(side) / sizeof(std::uint64_t) + 1, 0);
  same_track_ = manifest_.input_kind() == TileKind::kSameTrack;
  preprocess_scratch_.assign(same_track_ ? 1 : preprocess_scratch_floats(side, manifest_.preprocess), 0.0f);
  interferogram_scratch_.assign(same_track_ ? interferogram_scratch_doubles(side, manifest_.looks) : 1, 0.0);
  // No change gate for a same-track model: the changed share reads amplitude images.
  gate_on_ = config.gate != "off" && manifest_.images == 2 && !same_track_;
  gate_threshold_ = config.gate == "manifest" ? manifest_.gate_threshold : 0.0;
  locate_method_ = config.locate == "auto" ? manifest_.locate_method : config.locate;
  queue_ = DownlinkQueue(config.queue_capacity);  // the queue's one allocation
  last_queued_ = false;
  last_place_ = Place{};
  return fault_;
}

std::uint16_t Runner::next_seq() {
  const std::uint16_t seq = seq_;
  seq_ = static_cast<std::uint16_t>((seq_ + 1) & kSeqCountMax);
  return seq;
}

HealthReport Runner::health() {
  const HealthReport report = health_report(queue_, next_seq(), static_cast<std::uint64_t>(tiles_), last_place_,
                                            manifest_.model_id, fault_, config_.apid);
  queue_.push(report);
  return queue_.queued_health() ? *queue_.queued_health() : report;
}

std::size_t Runner::tile_bytes() const {
  return (pre_.size() + post_.size() + input_.size() + preprocess_scratch_.size()) * sizeof(float) +
         scratch_.size() * sizeof(std::uint64_t) + interferogram_scratch_.size() * sizeof(double);
}

void Runner::timed(Stage stage, std::chrono::steady_clock::time_point start) {
  seconds_[stage] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++runs_[stage];
}

Status Runner::first_problem(Status read_status, const TileMeta& meta, double& fused_seconds) {
  fused_seconds = 0.0;
  if (fault_ != Status::kOk) return fault_;
  if (read_status != Status::kOk) return read_status;
  // Both images are the model's side here: read_npy_image (read_npy_complex) refuses any other as BAD_SHAPE.
  const int side = manifest_.raw_side;
  if (same_track_) {  // the checks' scan taken while the interferogram is formed, row by row
    const auto start = std::chrono::steady_clock::now();
    SameTrackScan scan;
    interferogram_features(pre_.data(), post_.data(), side, side, manifest_.looks, model_input_,
                           interferogram_scratch_.data(), &scan);
    preprocessed_ = true;
    fused_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Status pair = judge_same_track_pair(scan, pre_.data(), post_.data());
    // NO_COHERENCE is judged after the georeference and time (FlightRuntime._judge), in judge().
    return processable(pair) ? meta_problem(meta, pair) : pair;
  }
  const PreprocessConfig& config = manifest_.preprocess;
  const std::size_t values = static_cast<std::size_t>(side) * side * kBands;
  ImageScan first, second;
  if (config.version >= 2) {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t plane = static_cast<std::size_t>(manifest_.height) * manifest_.width;
    float* scratch = preprocess_scratch_.data();
    if (manifest_.images == 2) {
      first = preprocess_image(pre_.data(), side, side, config, model_input_, scratch);
      second = preprocess_image(post_.data(), side, side, config, model_input_ + kBands * plane, scratch);
    } else {
      first = scan_image(pre_.data(), values, config);
      second = preprocess_image(post_.data(), side, side, config, model_input_, scratch);
    }
    preprocessed_ = true;
    fused_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } else {
    first = scan_image(pre_.data(), values, config);
    second = scan_image(post_.data(), values, config);
  }
  const Status pair = pair_verdict(judge_scan(first, pre_.data(), config), judge_scan(second, post_.data(), config));
  return processable(pair) ? meta_problem(meta, pair) : pair;
}

// After a processable pair: the georeference, then the time, then the pair's verdict.
Status Runner::meta_problem(const TileMeta& meta, Status pair) const {
  if (meta.has_georef && !georef_ok(meta)) return Status::kBadGeoreference;
  if (!time_ok(meta)) return Status::kBadTime;
  if (!meta.has_georef) return Status::kNoGeoreference;  // processed; the ground must know it has no position
  return pair;
}

// False when an output the manifest names is not there or is too short (Python: BackendError).
bool Runner::heads_from(const ModelOutputs& outputs, Heads& h) const {
  bool ok = true;
  auto value = [&](const OutputRef& ref, int index) {
    const std::size_t at = static_cast<std::size_t>(ref.column >= 0 ? ref.column : index);
    if (ref.output >= outputs.count || at >= outputs.size[ref.output]) {
      ok = false;
      return 0.0f;
    }
    float v = outputs.data[ref.output][at];
    v = v + ref.offset;
    if (ref.transform == OutputRef::Transform::kSigmoid) v = static_cast<float>(1.0 / (1.0 + std::exp(-double(v))));
    if (ref.transform == OutputRef::Transform::kLabel) v = v > 0.5f ? 1.0f : 0.0f;
    return v;
  };
  h = Heads{};
  if (manifest_.event.present) {
    h.has_event = true;
    h.event = value(manifest_.event, 0);
  }
  if (manifest_.magnitude.present) {
    h.has_magnitude = true;
    h.magnitude = value(manifest_.magnitude, 0);
  }
  if (manifest_.location.present) {
    h.has_location = true;
    h.location[0] = value(manifest_.location, 0);
    h.location[1] = value(manifest_.location, 1);
  }
  return ok;
}

Runner::Judged Runner::judge(Status check) {
  Judged j;
  j.status = check;
  const std::size_t count = pre_.size();
  if (gate_on_) {
    const auto start = std::chrono::steady_clock::now();
    const GateVerdict verdict = judge_gate(pre_.data(), post_.data(), count, manifest_.raw_side, gate_threshold_);
    timed(kGate, start);
    if (verdict.skip) {
      j.gated = true;
      j.confidence = gate_confidence(verdict, gate_threshold_);
      return j;
    }
  }
  auto start = std::chrono::steady_clock::now();
  if (!preprocessed_) {  // version 1: its own pass (version 2 wrote the input during the checks)
    const int side = manifest_.raw_side;
    const std::size_t plane = static_cast<std::size_t>(manifest_.height) * manifest_.width;
    float* scratch = preprocess_scratch_.data();
    if (manifest_.images == 2) {
      preprocess_image(pre_.data(), side, side, manifest_.preprocess, model_input_, scratch);
      preprocess_image(post_.data(), side, side, manifest_.preprocess, model_input_ + kBands * plane, scratch);
    } else {
      preprocess_image(post_.data(), side, side, manifest_.preprocess, model_input_, scratch);
    }
    timed(kPreprocess, start);
  }
  if (same_track_) {  // a formed pair with no coherence anywhere: nothing to read, never an event
    const std::size_t cells = static_cast<std::size_t>(manifest_.height) * manifest_.width;
    const Status coherence = check_coherence(model_input_ + 2 * cells, cells, manifest_.looks);
    seconds_[kPreprocess] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (coherence != Status::kOk) {
      j.status = coherence;
      return j;
    }
  }
  if (over_budget()) {  // the budget was spent before inference: it is not started
    j.status = Status::kDeadlineMissed;
    ++deadlines_missed_;
    return j;
  }
  start = std::chrono::steady_clock::now();
  ModelOutputs outputs;
  const Status ran = planned_input_ ? model_.run_in_place(outputs) : model_.run(model_input_, outputs);
  timed(kInfer, start);
  if (ran != Status::kOk) {
    j.status = Status::kBackendError;
    return j;
  }
  if (over_budget()) {  // ExecuTorch cannot be stopped: a late result is dropped once it returns
    j.status = Status::kDeadlineMissed;
    ++deadlines_missed_;
    return j;
  }
  start = std::chrono::steady_clock::now();
  if (!heads_from(outputs, heads_)) {
    timed(kDecide, start);
    j.status = Status::kBackendError;
    return j;
  }
  have_heads_ = true;
  const Judgement judgement = judge_heads(heads_, manifest_.decision);
  timed(kDecide, start);
  if (!judgement.valid) {
    j.status = Status::kOutputInvalid;
    return j;
  }
  j.event = judgement.event;
  j.magnitude = judgement.magnitude;
  j.confidence = judgement.confidence;
  return j;
}

bool Runner::over_budget() const {
  return config_.deadline_s > 0.0 &&
         std::chrono::duration<double>(std::chrono::steady_clock::now() - tile_started_).count() > config_.deadline_s;
}

bool Runner::locate(double& row, double& col) {
  if (locate_method_ == "head" && have_heads_ && heads_.has_location) {
    head_to_pixel(heads_.location, manifest_.raw_side, row, col);
    return true;
  }
  if (same_track_) return false;  // by its head only (the change peak reads amplitude images), else the centre
  if (locate_method_ == "head" || locate_method_ == "change") {
    return change_peak(pre_.data(), post_.data(), manifest_.raw_side, scratch_.data(), row, col);
  }
  return false;
}

Status Runner::run_files(const char* pre_path, const char* post_path, const TileMeta& meta,
                         std::uint8_t out[kMessageLength]) {
  have_heads_ = false;
  auto start = std::chrono::steady_clock::now();
  tile_started_ = start;  // the budget covers the read, as Python's (Tile.read_s)
  Status read = meta.read_status;
  // A tile of another kind than the model's is refused before a byte of its files is read
  // (FlightRuntime._first_problem): a bad input, as an unreadable file is.
  if (fault_ == Status::kOk && read == Status::kOk && meta.kind != manifest_.input_kind()) read = Status::kWrongKind;
  if (fault_ == Status::kOk && read == Status::kOk) {
    NpyImage pre_image, post_image;  // their sides are the model's whenever the reads are OK
    // Amplitude: H x W x 2 '<f4'; same-track: H x W '<c8' (the same side x side x 2 floats).
    const auto reader = same_track_ ? read_npy_complex : read_npy_image;
    read = reader(pre_path, manifest_.raw_side, pre_.data(), pre_image);
    const Status second = reader(post_path, manifest_.raw_side, post_.data(), post_image);
    if (read == Status::kOk) read = second;
  }
  timed(kRead, start);
  start = std::chrono::steady_clock::now();
  preprocessed_ = false;
  double fused_seconds = 0.0;
  const Status check = first_problem(read, meta, fused_seconds);
  timed(kCheck, start);
  if (preprocessed_) {  // the fused pass is preprocessing time; the checks keep the verdict
    seconds_[kCheck] -= fused_seconds;
    seconds_[kPreprocess] += fused_seconds;
    ++runs_[kPreprocess];
  }
  Judged j;
  j.status = check;
  if (processable(check) && fault_ == Status::kOk) j = judge(check);
  TileReport report;
  report.lat = georef_ok(meta) ? meta.lat : 0.0;
  report.lon = georef_ok(meta) ? meta.lon : 0.0;
  if (j.event && georef_ok(meta)) {
    start = std::chrono::steady_clock::now();
    double row = 0, col = 0;
    if (locate(row, col)) {
      pixel_to_latlon(meta.lat, meta.lon, meta.pixel_spacing_m, row, col, manifest_.raw_side, report.lat, report.lon);
      report.located = true;
    }
    timed(kLocate, start);
  }
  start = std::chrono::steady_clock::now();
  report.seq = next_seq();
  report.tile_id = meta.tile_id;
  report.time = time_ok(meta) ? static_cast<std::uint32_t>(meta.time) : 0;
  report.magnitude = j.magnitude;
  report.confidence = j.confidence;
  report.model_id = manifest_.model_id;
  report.status = j.status;
  report.event = j.event;
  report.gated = j.gated;
  report.apid = config_.apid;
  // The place of health reports: the message's position before any codec fallback, as Python's.
  const Place place{report.time, report.lat, report.lon};
  encode_or_invalid(report, georef_ok(meta) ? meta.lat : 0.0, georef_ok(meta) ? meta.lon : 0.0, out);
  last_ = report;
  timed(kEncode, start);
  ++tiles_;
  if (georef_ok(meta) && time_ok(meta) && processable(check)) last_place_ = place;  // the last tile judged
  last_queued_ = emits(report, config_.emit) && queue_.push(report, out);
  if (config_.health_every > 0 && static_cast<std::uint64_t>(tiles_) % config_.health_every == 0) health();
  return report.status;
}

}  // namespace quakesat
