// The bounded onboard downlink queue (runtime/downlink_queue.py) and the health report it
// feeds (runtime/flight.py health_report, emits): messages wait here for a ground contact.
//
// Fixed capacity, allocated once at construction; no push, pop or health report allocates.
// Order of release at a contact, and of loss when full, as in Python:
//
// 1. priority class: event tile reports, then the health report, then tile reports with a
//    non-OK status, then quiet tile reports;
// 2. within the event class, larger magnitude first;
// 3. then oldest first (arrival order).
//
// A tile report arriving at a full queue drops the lowest-ranked tile report (the newest of
// the lowest class): the queued one if it ranks below the arrival, else the arrival itself.
// Every drop is counted; take_dropped() hands the count since the previous health report to
// the next one. The health report has one slot of its own outside the capacity and is never
// dropped: a newer one takes the waiting one's place and adds its drop count to its own (its
// status becomes QUEUE_OVERFLOW if it was OK). The same operations give the same released
// bytes as the Python queue (checked on tests/vectors/queue/cases.jsonl).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quakesat/message.hpp"
#include "quakesat/status.hpp"

namespace quakesat {

// Priority classes, highest first (runtime/downlink_queue.py CLASS_*).
enum class PriorityClass : std::uint8_t { kEvent = 0, kHealth = 1, kStatus = 2, kQuiet = 3 };

PriorityClass priority_class(const TileReport& report);

// What enters the queue (runtime/flight.py EMIT_MODES): every tile report, or only events,
// bad input and model faults.
enum class Emit : std::uint8_t { kAll, kAlerts };

// Whether `report` enters the queue under `emit` (runtime/flight.py emits).
bool emits(const TileReport& report, Emit emit);

// Where and when the last good tile was (runtime/flight.py FlightRuntime._last_place): the
// time and place of every health report. Before any good tile: time 1 at 0, 0.
struct Place {
  std::uint32_t time = 1;
  double lat = 0.0;
  double lon = 0.0;
};

class DownlinkQueue {
 public:
  // `capacity` tile reports (at least 1; 0 is taken as 1) plus the health slot.
  explicit DownlinkQueue(std::size_t capacity = 1);

  // Queue a tile report; `message` is `report` encoded (what will be downlinked). Returns
  // false when it was the one dropped (the queue is full of better ones).
  bool push(const TileReport& report, const std::uint8_t message[kMessageLength]);

  // Queue a health report in the health slot, superseding the waiting one (whose drop count
  // it carries on). Returns false, queuing nothing, when the codec refuses the report (a
  // field out of range), which the runtimes never build.
  bool push(const HealthReport& report);

  // A contact: release up to `count` messages in downlink order into `out` (room for
  // `count` messages of kMessageLength bytes). Returns how many were written.
  std::size_t pop(std::size_t count, std::uint8_t* out);

  // Drops since the previous call (the next health report's `dropped`); resets it.
  std::uint64_t take_dropped();

  std::size_t size() const { return tiles_ + (health_waiting_ ? 1 : 0); }  // messages waiting
  std::size_t capacity() const { return entries_.size(); }
  std::size_t bytes() const { return entries_.size() * sizeof(Entry); }  // held for the tile reports
  // Occupied share of the tile capacity, 0..1 (the health report's queue_fill).
  double fill() const { return static_cast<double>(tiles_) / static_cast<double>(entries_.size()); }
  std::uint64_t dropped_total() const { return dropped_total_; }
  std::uint64_t superseded_health() const { return superseded_health_; }  // replaced before release
  // The health report waiting for a contact, as queued (its drop count merged), or null.
  const HealthReport* queued_health() const { return health_waiting_ ? &health_ : nullptr; }

 private:
  struct Entry {
    std::uint8_t message[kMessageLength];
    double magnitude;       // events: larger first; 0 for the other classes
    std::uint64_t arrival;  // oldest first within a class and magnitude
    PriorityClass rank;
  };
  static bool before(const Entry& a, const Entry& b);  // a is released before b

  std::vector<Entry> entries_;  // capacity slots, entries_[0, tiles_) sorted in release order
  std::size_t tiles_ = 0;
  HealthReport health_;
  std::uint8_t health_message_[kMessageLength] = {};
  bool health_waiting_ = false;
  std::uint64_t arrivals_ = 0;
  std::uint64_t dropped_total_ = 0;
  std::uint64_t dropped_since_health_ = 0;
  std::uint64_t superseded_health_ = 0;
};

// The health report of a processor whose queue is `queue`, taking its drop count since the
// previous report (runtime/flight.py health_report): status `fault` unless it is OK, else
// QUEUE_OVERFLOW when messages were dropped, else OK; time and place are `place`.
HealthReport health_report(DownlinkQueue& queue, std::uint16_t seq, std::uint64_t tiles_processed,
                           const Place& place, std::uint16_t model_id, Status fault, std::uint16_t apid = kApid);

}  // namespace quakesat
