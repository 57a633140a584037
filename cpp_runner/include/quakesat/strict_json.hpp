// The one JSON grammar of outside text (runtime/strict_json.py), on nlohmann-json: manifests
// and tile-list lines. Strict JSON (no NaN or Infinity tokens, no trailing text, no byte-order
// mark, no lone surrogate escape, no key twice in one object), integers within 64 bits (signed,
// or unsigned when positive), floats within a double, at most kMaxJsonDepth levels of arrays
// and objects. Anything else is refused; Python and C++ refuse alike (tests/vectors/manifests.jsonl,
// tests/vectors/hostile_list).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace quakesat {

constexpr std::size_t kMaxJsonDepth = 64;  // levels; the root object is level 1

// Parse `text` into `out`; false with `error` set when it is not such JSON.
bool parse_strict_json(const std::string& text, nlohmann::json& out, std::string& error);

}  // namespace quakesat
