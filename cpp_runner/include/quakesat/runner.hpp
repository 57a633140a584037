// The C++ flight runner (the twin of runtime/flight.py FlightRuntime): Init once from an
// artifacts folder, then one tile in, one 32-byte message out, with the same checks, gate,
// preprocessing, decision, location and status codes as the Python runtime, and no heap
// allocation per tile. The manifest's input.kind says which tiles: amplitude pairs, or
// same-track complex pairs (two side x side '<c8' files; checks fused with interferogram
// formation, no change gate, NO_COHERENCE after formation, located by the head or at the centre);
// a tile of the other kind is WRONG_KIND, its files unread. Each message goes to the bounded
// downlink queue (downlink_queue.hpp) per the emit mode, with a health report every
// `health_every` tiles; drain() is a ground contact. Sequence counts, health reports and queue order are Python's, byte for byte. A
// model that cannot be used leaves the runner up: every tile then carries that status and no
// event, and so does every health report.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "quakesat/downlink_queue.hpp"
#include "quakesat/gate.hpp"
#include "quakesat/manifest.hpp"
#include "quakesat/message.hpp"
#include "quakesat/model.hpp"
#include "quakesat/npy.hpp"

namespace quakesat {

enum Stage { kRead, kCheck, kGate, kPreprocess, kInfer, kDecide, kLocate, kEncode, kStageCount };
extern const char* const kStageNames[kStageCount];

struct RunnerConfig {
  std::string gate = "manifest";  // off | identical | manifest
  std::string locate = "auto";    // auto | head | change | centre
  int threads = 1;
  Emit emit = Emit::kAll;             // what enters the downlink queue
  std::uint64_t health_every = 100;   // tiles between health reports (0: only when asked)
  std::size_t queue_capacity = 1024;  // tile reports the queue holds (>= 1)
  std::uint16_t apid = kApid;
  std::vector<unsigned char> trusted_key;  // Ed25519 public key; empty: no signature checked
  // Time budget of one tile, seconds from the start of its read to the end of inference; over it
  // the tile is DEADLINE_MISSED (an ExecuTorch call cannot be stopped: checked when it returns). 0: none.
  double deadline_s = 0.0;
};

// What the caller knows about a tile besides its two image files.
struct TileMeta {
  std::uint32_t tile_id = 0;
  bool time_is_integer = true;
  std::int64_t time = 0;
  bool has_georef = true;
  double lat = 0.0, lon = 0.0, pixel_spacing_m = 10.0;
  Status read_status = Status::kOk;  // a problem found before the files (an unparseable list line)
  // What the two files hold; a kind the model does not take is WRONG_KIND, the files unread.
  TileKind kind = TileKind::kAmplitude;
};

class Runner {
 public:
  // Never fails: returns OK, or the fault status every tile will carry (`fault_detail()` says why).
  Status init(const std::string& artifacts, const std::string& artifact, const RunnerConfig& config);

  // One tile from two .npy files into `out`, queued per the emit mode (then a health report
  // if the cadence says so); returns the message's status.
  Status run_files(const char* pre_path, const char* post_path, const TileMeta& meta,
                   std::uint8_t out[kMessageLength]);

  // Queue a health report now (also done every `health_every` tiles; the CLI ends every run
  // with one) and return it as queued: a waiting one is replaced, its drop count carried on.
  // Its status is the model fault if any, else QUEUE_OVERFLOW when messages were dropped,
  // else OK; time and place are the last good tile's (FlightRuntime.health).
  HealthReport health();
  // A ground contact: release up to `count` queued messages into `out` (room for `count`
  // messages), in downlink order; returns how many.
  std::size_t drain(std::size_t count, std::uint8_t* out) { return queue_.pop(count, out); }
  const DownlinkQueue& queue() const { return queue_; }
  bool last_queued() const { return last_queued_; }  // the last tile's message is in the queue
  const Place& last_place() const { return last_place_; }

  Status fault() const { return fault_; }
  const std::string& fault_detail() const { return fault_detail_; }
  std::uint16_t model_id() const { return manifest_.model_id; }
  const Manifest& manifest() const { return manifest_; }
  const TileReport& last_report() const { return last_; }

  // Bytes the runner holds for tiles (two raw images, the model input, preprocessing, change and
  // interferogram scratch) and the model (planned buffers, arenas, the program file).
  std::size_t tile_bytes() const;
  std::size_t model_bytes() const { return model_.bytes(); }
  Model::Plan model_plan() const { return model_.plan(); }

  double stage_seconds(Stage stage) const { return seconds_[stage]; }
  long stage_runs(Stage stage) const { return runs_[stage]; }
  long tiles() const { return tiles_; }
  long deadlines_missed() const { return deadlines_missed_; }

 private:
  struct Judged {
    bool event = false;
    double magnitude = 0.0, confidence = 0.0;
    Status status = Status::kOk;
    bool gated = false;
  };
  // The input checks; with preprocessing version 2 or 3 (a same-track pair: the interferogram) the
  // model input is written in the same pass.
  Status first_problem(Status read_status, const TileMeta& meta, double& fused_seconds);
  Status meta_problem(const TileMeta& meta, Status pair) const;
  Judged judge(Status check);
  bool heads_from(const ModelOutputs& outputs, Heads& heads) const;
  bool locate(double& row, double& col);
  bool over_budget() const;
  void timed(Stage stage, std::chrono::steady_clock::time_point start);
  std::uint16_t next_seq();  // tile and health reports share the packet sequence count

  RunnerConfig config_;
  Manifest manifest_;
  Model model_;
  Status fault_ = Status::kModelMissing;
  std::string fault_detail_;
  std::vector<float> pre_, post_, input_, preprocess_scratch_;
  std::vector<double> interferogram_scratch_;  // a same-track model's block sums
  bool same_track_ = false;  // the model takes same-track complex pairs (input.kind)
  float* planned_input_ = nullptr;  // the program's own input buffer, when it has one
  float* model_input_ = nullptr;    // where preprocessing writes: planned_input_ or input_
  std::vector<std::uint64_t> scratch_;
  bool preprocessed_ = false;  // this tile's model input is written
  Heads heads_;
  bool have_heads_ = false;
  double gate_threshold_ = 0.0;
  bool gate_on_ = false;
  std::string locate_method_;
  std::uint16_t seq_ = 0;
  TileReport last_;
  DownlinkQueue queue_;
  bool last_queued_ = false;
  Place last_place_;
  double seconds_[kStageCount] = {};
  long runs_[kStageCount] = {};
  long tiles_ = 0;
  long deadlines_missed_ = 0;
  std::chrono::steady_clock::time_point tile_started_;
};

}  // namespace quakesat
