// The one status enum of quakesat (runtime/status.py): stable numeric codes grouped by
// range, carried in byte 8 of every downlink message. Never renumber; the numbers and names
// are checked against the Python enum (the `statuses` of tests/vectors/flight_constants.json).
#pragma once

#include <cstdint>

namespace quakesat {

enum class Status : std::uint8_t {
  kOk = 0,
  // 1..31 degraded: processed, usable with care.
  kPartialNodata = 1,
  kValuesClipped = 2,
  kNoGeoreference = 3,
  // 32..63 bad input: not processed, never an event.
  kAllNodata = 32,
  kMostlyNodata = 33,
  kNonFinite = 34,
  kAllZero = 35,
  kConstant = 36,
  kBadShape = 37,
  kBadDtype = 38,
  kOutOfRange = 39,
  kBadGeoreference = 40,
  kBadTime = 41,
  kUnreadable = 42,
  kNoCoherence = 43,
  kWrongKind = 44,
  // 64..95 resource.
  kQueueOverflow = 64,
  kDeadlineMissed = 65,
  kOutOfMemory = 66,
  // 96..127 model: no event may be flagged.
  kModelMissing = 96,
  kHashMismatch = 97,
  kManifestInvalid = 98,
  kBackendError = 99,
  kOutputInvalid = 100,
};

enum class Category { kOk, kDegraded, kBadInput, kResource, kModel };

constexpr Category category_of(Status status) {
  const auto code = static_cast<unsigned>(status);
  if (code == 0) return Category::kOk;
  if (code <= 31) return Category::kDegraded;
  if (code <= 63) return Category::kBadInput;
  if (code <= 95) return Category::kResource;
  return Category::kModel;
}

// OK and degraded tiles may run through the model.
constexpr bool processable(Status status) {
  const Category c = category_of(status);
  return c == Category::kOk || c == Category::kDegraded;
}

// Lowercase name as in JSON and logs (Status.code_name in Python), e.g. "all_nodata".
const char* code_name(Status status);

// Every defined status, in numeric order (for tests and tables).
extern const Status kAllStatuses[25];

}  // namespace quakesat
