// Names of the status codes, as runtime/status.py spells them (Status.code_name).
#include "quakesat/status.hpp"

namespace quakesat {

const Status kAllStatuses[25] = {
    Status::kOk,           Status::kPartialNodata,  Status::kValuesClipped,  Status::kNoGeoreference,
    Status::kAllNodata,
    Status::kMostlyNodata, Status::kNonFinite,      Status::kAllZero,        Status::kConstant,
    Status::kBadShape,     Status::kBadDtype,       Status::kOutOfRange,     Status::kBadGeoreference,
    Status::kBadTime,      Status::kUnreadable,     Status::kNoCoherence,    Status::kWrongKind,
    Status::kQueueOverflow, Status::kDeadlineMissed, Status::kOutOfMemory,   Status::kModelMissing,
    Status::kHashMismatch, Status::kManifestInvalid, Status::kBackendError,  Status::kOutputInvalid,
};

const char* code_name(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kPartialNodata: return "partial_nodata";
    case Status::kValuesClipped: return "values_clipped";
    case Status::kNoGeoreference: return "no_georeference";
    case Status::kAllNodata: return "all_nodata";
    case Status::kMostlyNodata: return "mostly_nodata";
    case Status::kNonFinite: return "non_finite";
    case Status::kAllZero: return "all_zero";
    case Status::kConstant: return "constant";
    case Status::kBadShape: return "bad_shape";
    case Status::kBadDtype: return "bad_dtype";
    case Status::kOutOfRange: return "out_of_range";
    case Status::kBadGeoreference: return "bad_georeference";
    case Status::kBadTime: return "bad_time";
    case Status::kUnreadable: return "unreadable";
    case Status::kNoCoherence: return "no_coherence";
    case Status::kWrongKind: return "wrong_kind";
    case Status::kQueueOverflow: return "queue_overflow";
    case Status::kDeadlineMissed: return "deadline_missed";
    case Status::kOutOfMemory: return "out_of_memory";
    case Status::kModelMissing: return "model_missing";
    case Status::kHashMismatch: return "hash_mismatch";
    case Status::kManifestInvalid: return "manifest_invalid";
    case Status::kBackendError: return "backend_error";
    case Status::kOutputInvalid: return "output_invalid";
  }
  return "unknown";
}

}  // namespace quakesat
