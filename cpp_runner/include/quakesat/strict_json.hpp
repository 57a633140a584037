// JSON text read with the limits runtime/manifest.py read_manifest_text applies, on
// nlohmann-json: strict JSON (no NaN or Infinity tokens, no trailing text, no byte-order mark,
// no lone surrogate escape), integers within 64 bits (signed, or unsigned when positive),
// floats within a double, at most kMaxJsonDepth levels of arrays and objects. Anything else
// is not a manifest; Python and C++ refuse it alike (tests/vectors/manifests.jsonl).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace quakesat {

constexpr std::size_t kMaxJsonDepth = 64;  // levels; the root object is level 1

// Parse `text` into `out`; false with `error` set when it is not such JSON.
bool parse_strict_json(const std::string& text, nlohmann::json& out, std::string& error);

}  // namespace quakesat
