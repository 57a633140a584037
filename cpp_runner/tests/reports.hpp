// Reports from the JSON fields the Python side writes into the vectors (downlink.jsonl
// "fields", the queue cases' "report"): one reading for every C++ test that needs one.
#pragma once

#include <nlohmann/json.hpp>

#include "quakesat/message.hpp"

namespace quakesat_test {

inline quakesat::TileReport tile_report_of(const nlohmann::json& f) {
  quakesat::TileReport r;
  r.seq = f.at("seq");
  r.tile_id = f.at("tile_id");
  r.time = f.at("time");
  r.lat = f.at("lat");
  r.lon = f.at("lon");
  r.magnitude = f.at("magnitude");
  r.confidence = f.at("confidence");
  r.model_id = f.at("model_id");
  r.status = static_cast<quakesat::Status>(f.at("status").get<int>());
  r.event = f.at("event");
  r.gated = f.at("gated");
  r.located = f.at("located");
  r.apid = f.at("apid");
  return r;
}

inline quakesat::HealthReport health_report_of(const nlohmann::json& f) {
  quakesat::HealthReport r;
  r.seq = f.at("seq");
  r.time = f.at("time");
  r.lat = f.at("lat");
  r.lon = f.at("lon");
  r.tiles_processed = f.at("tiles_processed");
  r.dropped = f.at("dropped");
  r.queue_fill = f.at("queue_fill");
  r.model_id = f.at("model_id");
  r.status = static_cast<quakesat::Status>(f.at("status").get<int>());
  r.apid = f.at("apid");
  return r;
}

}  // namespace quakesat_test
