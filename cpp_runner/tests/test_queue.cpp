// The C++ downlink queue against the Python one: every case of tests/vectors/queue/cases.jsonl
// (written by tests/vectors/make_queue_vectors.py from runtime/downlink_queue.py and
// runtime/flight.py health_report) replayed through DownlinkQueue, emits and health_report
// gives the same push verdicts, the same health reports and the same released bytes.
//
//   test_queue VECTORS_DIR
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "check.hpp"
#include "reports.hpp"
#include "quakesat/downlink_queue.hpp"
#include "quakesat/message.hpp"

namespace {

using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::hex;
using quakesat_test::read_jsonl;
using namespace quakesat;


// Offer a report as the flight runtime does: encoded, queued if `emit` lets it through.
bool offer(DownlinkQueue& queue, const TileReport& report, Emit emit, const std::string& where) {
  std::uint8_t message[kMessageLength];
  expect(encode(report, message), where + ": the codec refuses the tile report");
  return emits(report, emit) && queue.push(report, message);
}

void replay(const json& c) {
  const std::string name = c.at("name");
  const Emit emit = c.at("emit") == "alerts" ? Emit::kAlerts : Emit::kAll;
  DownlinkQueue queue(c.at("capacity").get<std::size_t>());
  std::vector<std::uint8_t> released(kMessageLength * (queue.capacity() + 1));
  std::size_t index = 0;
  for (const json& op : c.at("ops")) {
    const std::string kind = op.at("op");
    const std::string where = name + " op " + std::to_string(index++) + " (" + kind + ")";
    if (kind == "tile") {
      expect(offer(queue, quakesat_test::tile_report_of(op.at("report")), emit, where) == op.at("queued").get<bool>(), where);
    } else if (kind == "tiles") {
      TileReport report = quakesat_test::tile_report_of(op.at("report"));
      const std::uint32_t first_id = report.tile_id;
      const std::uint16_t first_seq = report.seq;
      const long count = op.at("count");
      long queued = 0;
      for (long k = 0; k < count; ++k) {
        report.tile_id = first_id + static_cast<std::uint32_t>(k);
        report.seq = static_cast<std::uint16_t>((first_seq + k) & kSeqCountMax);
        queued += offer(queue, report, emit, where);
      }
      expect(queued == op.at("queued").get<long>(), where + ": " + std::to_string(queued) + " queued");
    } else if (kind == "health") {
      Place place;
      place.time = op.at("time");
      place.lat = op.at("lat");
      place.lon = op.at("lon");
      const Status fault = op.at("fault").is_null() ? Status::kOk : static_cast<Status>(op.at("fault").get<int>());
      const HealthReport report = health_report(queue, op.at("seq"), op.at("tiles_processed"), place,
                                                op.at("model_id"), fault, op.at("apid"));
      expect(queue.push(report), where + ": the health report was refused");
      std::uint8_t message[kMessageLength] = {};
      const HealthReport* queued = queue.queued_health();
      expect(queued && encode(*queued, message), where + ": no health report waiting");
      const std::string want = op.at("message");
      expect(hex(message, kMessageLength) == want, where + ": C++ " + hex(message, kMessageLength) + " Python " + want);
    } else {
      const std::size_t count = op.at("count").is_null() ? queue.size() : op.at("count").get<std::size_t>();
      if (released.size() < count * kMessageLength) released.resize(count * kMessageLength);
      const std::size_t got = queue.pop(count, released.data());
      const json& want = op.at("released");
      expect(got == want.size(), where + ": " + std::to_string(got) + " released, Python " +
                                     std::to_string(want.size()));
      for (std::size_t i = 0; i < got && i < want.size(); ++i) {
        const std::string mine = hex(released.data() + i * kMessageLength, kMessageLength);
        expect(mine == want[i].get<std::string>(), where + ": message " + std::to_string(i) + " C++ " + mine +
                                                        " Python " + want[i].get<std::string>());
      }
    }
  }
  expect(queue.dropped_total() == c.at("dropped_total").get<std::uint64_t>(), name + ": dropped_total");
  expect(queue.superseded_health() == c.at("superseded_health").get<std::uint64_t>(), name + ": superseded_health");
  expect(queue.size() == c.at("left").get<std::size_t>(), name + ": messages left");
}

// What the vectors cannot say: the capacity is fixed at construction (0 is taken as 1) and
// the fill counts tile reports only.
void test_capacity_and_fill() {
  DownlinkQueue none(0);
  expect(none.capacity() == 1, "capacity 0 is taken as 1");
  DownlinkQueue queue(4);
  TileReport report;
  std::uint8_t message[kMessageLength];
  expect(encode(report, message), "encode a quiet report");
  queue.push(report, message);
  HealthReport health;
  expect(queue.push(health), "a health report is queued");
  expect(queue.size() == 2 && queue.fill() == 0.25, "the health slot is outside the capacity and the fill");
  expect(queue.bytes() >= 4 * kMessageLength, "the queue holds its capacity");
  health.lat = 91.0;
  expect(!queue.push(health) && queue.queued_health()->lat == 0.0, "a health report the codec refuses is not queued");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  const std::vector<json> cases = read_jsonl(vectors + "/queue/cases.jsonl");
  std::size_t operations = 0;
  for (const json& c : cases) {
    replay(c);
    operations += c.at("ops").size();
  }
  test_capacity_and_fill();
  std::printf("queue: %zu cases, %zu operations replayed as in Python: %s\n", cases.size(), operations,
              failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
