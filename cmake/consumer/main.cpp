// The consumer of the installed quakesat core: encode an event report with the codec, decode
// it again with the ground decoder, queue it, and check the round trip and the queue's verdict.
#include <cstdio>

#include "quakesat/decode.hpp"
#include "quakesat/downlink_queue.hpp"
#include "quakesat/message.hpp"

int main() {
  quakesat::TileReport report;
  report.seq = 7;
  report.tile_id = 42;
  report.time = 1700000000;
  report.lat = 38.1;
  report.lon = 13.4;
  report.magnitude = 5.6;
  report.confidence = 0.9;
  report.event = true;
  std::uint8_t message[quakesat::kMessageLength];
  if (!quakesat::encode(report, message)) return std::puts("encode refused the report"), 1;
  const quakesat::Decoded decoded = quakesat::decode(message, sizeof message);
  if (!decoded.ok() || decoded.tile.tile_id != 42 || !decoded.tile.event) return std::puts("round trip failed"), 1;
  quakesat::DownlinkQueue queue(4);
  if (!queue.push(report, message) || queue.size() != 1) return std::puts("the queue refused the report"), 1;
  std::printf("consumer: encoded, decoded and queued tile %u with the installed quakesat core\n",
              static_cast<unsigned>(decoded.tile.tile_id));
  return 0;
}
