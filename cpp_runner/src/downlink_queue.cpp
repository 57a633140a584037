// The bounded downlink queue, rule for rule as runtime/downlink_queue.py (downlink_queue.hpp):
// one sorted array of tile reports, fixed at construction, and the health slot beside it.
#include "quakesat/downlink_queue.hpp"

#include <algorithm>
#include <cstring>

namespace quakesat {

PriorityClass priority_class(const TileReport& report) {
  if (report.event) return PriorityClass::kEvent;
  return report.status != Status::kOk ? PriorityClass::kStatus : PriorityClass::kQuiet;
}

bool emits(const TileReport& report, Emit emit) {
  if (emit == Emit::kAll) return true;
  const Category category = category_of(report.status);
  return report.event || category == Category::kBadInput || category == Category::kModel;
}

DownlinkQueue::DownlinkQueue(std::size_t capacity) : entries_(std::max<std::size_t>(capacity, 1)) {}

// Python's key (class, -magnitude, arrival), compared as a tuple.
bool DownlinkQueue::before(const Entry& a, const Entry& b) {
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.magnitude != b.magnitude) return a.magnitude > b.magnitude;
  return a.arrival < b.arrival;
}

bool DownlinkQueue::push(const TileReport& report, const std::uint8_t message[kMessageLength]) {
  Entry entry;
  std::memcpy(entry.message, message, kMessageLength);
  entry.rank = priority_class(report);
  entry.magnitude = entry.rank == PriorityClass::kEvent ? report.magnitude : 0.0;
  entry.arrival = ++arrivals_;
  if (tiles_ >= entries_.size()) {
    ++dropped_total_;
    ++dropped_since_health_;
    // The lowest-ranked tile report is the last one; the arrival, the newest of all, ranks
    // below it unless its class or magnitude is better.
    if (!before(entry, entries_[tiles_ - 1])) return false;
    --tiles_;  // the queued one is dropped
  }
  Entry* first = entries_.data();
  Entry* at = std::upper_bound(first, first + tiles_, entry, before);
  std::memmove(at + 1, at, static_cast<std::size_t>(first + tiles_ - at) * sizeof(Entry));
  *at = entry;
  ++tiles_;
  return true;
}

bool DownlinkQueue::push(const HealthReport& report) {
  HealthReport merged = report;
  if (health_waiting_) merged.dropped += health_.dropped;  // superseded: its count travels on
  if (merged.dropped != report.dropped && merged.status == Status::kOk) merged.status = Status::kQueueOverflow;
  std::uint8_t message[kMessageLength];
  if (!encode(merged, message)) return false;
  ++arrivals_;
  superseded_health_ += health_waiting_ ? 1 : 0;
  health_ = merged;
  std::memcpy(health_message_, message, kMessageLength);
  health_waiting_ = true;
  return true;
}

std::size_t DownlinkQueue::pop(std::size_t count, std::uint8_t* out) {
  std::size_t events = 0;
  while (events < tiles_ && entries_[events].rank == PriorityClass::kEvent) ++events;
  std::size_t written = 0, taken = 0;  // messages out, tile reports out
  auto take_tiles = [&](std::size_t until) {
    for (; taken < until && written < count; ++taken, ++written) {
      std::memcpy(out + written * kMessageLength, entries_[taken].message, kMessageLength);
    }
  };
  take_tiles(events);
  if (health_waiting_ && written < count) {
    std::memcpy(out + written * kMessageLength, health_message_, kMessageLength);
    ++written;
    health_waiting_ = false;
  }
  take_tiles(tiles_);
  std::memmove(entries_.data(), entries_.data() + taken, (tiles_ - taken) * sizeof(Entry));
  tiles_ -= taken;
  return written;
}

std::uint64_t DownlinkQueue::take_dropped() {
  const std::uint64_t dropped = dropped_since_health_;
  dropped_since_health_ = 0;
  return dropped;
}

HealthReport health_report(DownlinkQueue& queue, std::uint16_t seq, std::uint64_t tiles_processed,
                           const Place& place, std::uint16_t model_id, Status fault, std::uint16_t apid) {
  HealthReport report;
  report.dropped = queue.take_dropped();
  report.status = fault != Status::kOk ? fault : report.dropped ? Status::kQueueOverflow : Status::kOk;
  report.seq = seq;
  report.time = place.time;
  report.lat = place.lat;
  report.lon = place.lon;
  report.tiles_processed = static_cast<std::uint32_t>(tiles_processed & 0xFFFFFFFFu);
  report.queue_fill = queue.fill();
  report.model_id = model_id;
  report.apid = apid;
  return report;
}

}  // namespace quakesat
