// Strict JSON on nlohmann-json, with Python's limits (strict_json.hpp). nlohmann already refuses
// NaN/Infinity tokens, trailing text, lone surrogate escapes and floats beyond a double; it
// skips a byte-order mark and turns an integer beyond 64 bits into a float, so those two are
// found here first. The depth and the keys of each object (none twice) are checked by the parser
// callback.
#include "quakesat/strict_json.hpp"

#include <set>
#include <string>
#include <vector>

namespace quakesat {
namespace {

using nlohmann::json;

struct TooDeep {};
struct DuplicateKey {
  std::string key;
};

bool digit(char c) { return c >= '0' && c <= '9'; }

// Does the integer literal's magnitude (digits, no sign) fit int64 (negative) / uint64?
bool fits_64_bits(const std::string& digits, bool negative) {
  std::size_t first = digits.find_first_not_of('0');
  const std::string significant = first == std::string::npos ? "0" : digits.substr(first);
  const std::string limit = negative ? "9223372036854775808" : "18446744073709551615";
  return significant.size() < limit.size() || (significant.size() == limit.size() && significant <= limit);
}

// The first integer literal outside strings that does not fit 64 bits, or "" when there is none.
// A literal is "-"? digits not followed by '.', 'e' or 'E' (those make it a float).
std::string big_integer(const std::string& text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (in_string) {
      i += c == '\\' ? 2 : 1;
      in_string = c != '"';
      continue;
    }
    if (c == '"') {
      in_string = true;
      ++i;
      continue;
    }
    if (c != '-' && !digit(c)) {
      ++i;
      continue;
    }
    const bool negative = c == '-';
    std::size_t end = i + (negative ? 1 : 0);
    while (end < text.size() && digit(text[end])) ++end;
    const bool is_float = end < text.size() && (text[end] == '.' || text[end] == 'e' || text[end] == 'E');
    const std::string digits = text.substr(i + (negative ? 1 : 0), end - i - (negative ? 1 : 0));
    if (!is_float && !digits.empty() && !fits_64_bits(digits, negative)) return text.substr(i, std::min<std::size_t>(24, end - i));
    while (end < text.size() && (digit(text[end]) || text[end] == '.' || text[end] == 'e' || text[end] == 'E' ||
                                 text[end] == '+' || text[end] == '-')) {
      ++end;  // the rest of a float token
    }
    i = end;
  }
  return {};
}

}  // namespace

bool parse_strict_json(const std::string& text, json& out, std::string& error) {
  error.clear();
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    error = "unexpected UTF-8 byte-order mark";
    return false;
  }
  const std::string big = big_integer(text);
  if (!big.empty()) {
    error = "the integer " + big + "... does not fit 64 bits";
    return false;
  }
  // The callback's depth is the parent's: a container at depth d is nesting level d + 1.
  // The keys of every open object are kept, innermost last, to find one written twice.
  std::vector<std::set<std::string>> open_objects;
  const json::parser_callback_t callback = [&open_objects](int depth, json::parse_event_t event, json& parsed) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        static_cast<std::size_t>(depth) >= kMaxJsonDepth) {
      throw TooDeep{};
    }
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == json::parse_event_t::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      throw DuplicateKey{parsed.get<std::string>()};
    }
    return true;
  };
  try {
    out = json::parse(text, callback);
  } catch (const TooDeep&) {
    error = "more than " + std::to_string(kMaxJsonDepth) + " nested arrays and objects";
    return false;
  } catch (const DuplicateKey& duplicate) {
    error = "the key '" + duplicate.key.substr(0, 40) + "' appears twice in one object";
    return false;
  } catch (const json::exception& err) {
    error = err.what();
    return false;
  }
  return true;
}

}  // namespace quakesat
