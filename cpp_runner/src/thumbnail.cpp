// Encoder, decoder and JSON view of the deformation thumbnail (thumbnail.hpp): every byte goes
// through the field table kThumbnailFields (runtime/thumbnail.py THUMBNAIL_FIELDS), the checks
// of ground/thumbnail_decode.py decode_thumbnail run one by one in its order (the packet checks
// they begin with are decode.hpp's check_packet), and the JSON is written as Python's
// json.dumps writes thumbnail_to_json_dict.
#include "quakesat/thumbnail.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace quakesat {
namespace {

// `value` into field `which` (at most 4 bytes), big-endian.
void put(std::uint8_t* out, ThumbnailField which, std::uint32_t value) {
  const ThumbnailFieldInfo& f = field(which);
  for (std::size_t i = 0; i < f.size; ++i) out[f.offset + i] = static_cast<std::uint8_t>(value >> (8 * (f.size - 1 - i)));
}

// Field `which` (at most 4 bytes), big-endian.
std::uint32_t get(const std::uint8_t* data, ThumbnailField which) {
  const ThumbnailFieldInfo& f = field(which);
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < f.size; ++i) value = (value << 8) | data[f.offset + i];
  return value;
}

// round(value * 1e7), half to even on the double product, as Python's round() (message.cpp).
bool scaled(double value, double limit, double& raw) {
  if (std::isnan(value) || value < -limit || value > limit) return false;
  raw = std::nearbyint(value * kLatLonScale);
  return true;
}

DecodedThumbnail rejected(ThumbnailReject reject) {
  DecodedThumbnail out;
  out.reject = reject;
  return out;
}

// Python's repr of a double: the shortest digits that read back to the same double (the
// correctly rounded %.Ne with the least N that round-trips), in fixed notation for decimal
// exponents -5 < e < 16, else d.ddde-XX as Python writes it (1e-07, -3.5e-05).
std::string python_repr(double value) {
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";
  char text[40];
  for (int precision = 0; precision <= 16; ++precision) {
    std::snprintf(text, sizeof text, "%.*e", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  const char* p = text;
  std::string out;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  std::string digits;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits += *p;
  }
  const int exponent = std::atoi(p + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exponent < -4 || exponent >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += tail;
  } else if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto whole = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= whole) {
      out += digits + std::string(whole - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, whole) + "." + digits.substr(whole);
    }
  }
  return out;
}

// Python's round(value, digits) then repr: the correctly rounded decimal (glibc's printf
// rounds the exact binary value half to even, as CPython's round) read back as a double.
std::string python_rounded(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return python_repr(std::strtod(text, nullptr));
}

// Unix seconds as ISO 8601 UTC with a Z suffix (Python's time.gmtime; days to a civil date by
// H. Hinnant's days_from_civil inverse, exact for the whole u32 range).
std::string iso_utc(std::uint32_t seconds) {
  const std::int64_t z = static_cast<std::int64_t>(seconds / 86400) + 719468;
  const std::uint32_t rest = seconds % 86400;
  const std::int64_t era = z / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(year), month, day,
                static_cast<unsigned>(rest / 3600), static_cast<unsigned>(rest / 60 % 60), static_cast<unsigned>(rest % 60));
  return text;
}

}  // namespace

bool encode_thumbnail(const Thumbnail& t, ThumbnailBytes& out) {
  if (t.apid > kApidMax || t.seq > kSeqCountMax || t.cell_m < kThumbnailCellMin) return false;
  for (std::uint8_t code : t.codes) {
    if (code > kThumbnailCodeMax) return false;
  }
  double lat = 0, lon = 0;
  if (!scaled(t.lat, 90.0, lat) || !scaled(t.lon, 180.0, lon)) return false;
  std::uint8_t* bytes = out.data();
  put(bytes, ThumbnailField::kPacketId, t.apid);  // version 0, TM, no secondary header
  put(bytes, ThumbnailField::kPacketSequenceControl, (0b11u << 14) | t.seq);  // unsegmented
  put(bytes, ThumbnailField::kPacketDataLength, kThumbnailPacketDataLength);
  put(bytes, ThumbnailField::kVersionKind, (kThumbnailVersion << 4) | kThumbnailKind);
  put(bytes, ThumbnailField::kFlags, 0);
  put(bytes, ThumbnailField::kTileId, t.tile_id);
  put(bytes, ThumbnailField::kTime, t.time);
  put(bytes, ThumbnailField::kLat, static_cast<std::uint32_t>(static_cast<std::int32_t>(lat)));
  put(bytes, ThumbnailField::kLon, static_cast<std::uint32_t>(static_cast<std::int32_t>(lon)));
  put(bytes, ThumbnailField::kRows, kThumbnailSide);
  put(bytes, ThumbnailField::kCols, kThumbnailSide);
  put(bytes, ThumbnailField::kCellM, t.cell_m);
  put(bytes, ThumbnailField::kModelId, t.model_id);
  const std::size_t codes = field(ThumbnailField::kCodes).offset;
  for (std::size_t i = 0; i < kThumbnailCodesLength; ++i) {
    bytes[codes + i] = static_cast<std::uint8_t>((t.codes[2 * i] << 4) | t.codes[2 * i + 1]);
  }
  put(bytes, ThumbnailField::kCrc, crc16_ccitt_false(bytes, field(ThumbnailField::kCrc).offset));
  return true;
}

DecodedThumbnail decode_thumbnail(const std::uint8_t* data, std::size_t length, std::uint16_t apid) {
  const PacketCheck packet = check_packet(data, length, kThumbnailLength, kThumbnailPacketDataLength, apid);
  if (packet.reject != Reject::kNone) return rejected(static_cast<ThumbnailReject>(packet.reject));
  const std::uint32_t version_kind = get(data, ThumbnailField::kVersionKind);
  if (version_kind >> 4 != kThumbnailVersion) return rejected(ThumbnailReject::kUnknownVersion);
  if ((version_kind & 0x0F) != kThumbnailKind) return rejected(ThumbnailReject::kUnknownKind);
  if (get(data, ThumbnailField::kFlags) != 0) return rejected(ThumbnailReject::kReservedFlagsSet);
  const std::uint32_t cell_m = get(data, ThumbnailField::kCellM);
  if (get(data, ThumbnailField::kRows) != kThumbnailSide || get(data, ThumbnailField::kCols) != kThumbnailSide ||
      cell_m < kThumbnailCellMin) {
    return rejected(ThumbnailReject::kBadGrid);
  }
  const auto lat_raw = static_cast<std::int32_t>(get(data, ThumbnailField::kLat));
  const auto lon_raw = static_cast<std::int32_t>(get(data, ThumbnailField::kLon));
  if (!lat_raw_in_range(lat_raw)) return rejected(ThumbnailReject::kLatOutOfRange);
  if (!lon_raw_in_range(lon_raw)) return rejected(ThumbnailReject::kLonOutOfRange);

  DecodedThumbnail out;
  Thumbnail& t = out.thumbnail;
  t.seq = packet.seq;
  t.tile_id = get(data, ThumbnailField::kTileId);
  t.time = get(data, ThumbnailField::kTime);
  t.lat = lat_raw / kLatLonScale;
  t.lon = lon_raw / kLatLonScale;
  t.cell_m = static_cast<std::uint16_t>(cell_m);
  t.model_id = static_cast<std::uint16_t>(get(data, ThumbnailField::kModelId));
  const std::size_t codes = field(ThumbnailField::kCodes).offset;
  for (std::size_t i = 0; i < kThumbnailCodesLength; ++i) {
    t.codes[2 * i] = static_cast<std::uint8_t>(data[codes + i] >> 4);
    t.codes[2 * i + 1] = static_cast<std::uint8_t>(data[codes + i] & 0x0F);
  }
  t.apid = apid;
  return out;
}

std::string thumbnail_json(const Thumbnail& t) {
  char model[8];
  std::snprintf(model, sizeof model, "%04x", static_cast<unsigned>(t.model_id));
  const std::string side = std::to_string(kThumbnailSide);
  std::string out;
  out.reserve(4096);
  out += "{\"apid\": " + std::to_string(t.apid) + ", \"seq\": " + std::to_string(t.seq) +
         ", \"version\": " + std::to_string(kThumbnailVersion) + ", \"kind\": \"thumbnail\", \"tile_id\": " +
         std::to_string(t.tile_id) + ", \"time\": \"" + iso_utc(t.time) + "\", \"lat\": " + python_rounded(t.lat, 7) +
         ", \"lon\": " + python_rounded(t.lon, 7) + ", \"rows\": " + side + ", \"cols\": " + side +
         ", \"cell_m\": " + std::to_string(t.cell_m) + ", \"model_id\": \"" + model +
         "\", \"los_modulo_mm\": " + python_rounded(kWavelengthM / 2 * 1000, 3) + ", \"codes\": [";
  for (std::size_t row = 0; row < kThumbnailSide; ++row) {
    out += row ? ", [" : "[";
    for (std::size_t col = 0; col < kThumbnailSide; ++col) {
      if (col) out += ", ";
      out += std::to_string(t.codes[row * kThumbnailSide + col]);
    }
    out += "]";
  }
  out += "], \"los_wrapped_mm\": [";
  for (std::size_t row = 0; row < kThumbnailSide; ++row) {
    out += row ? ", [" : "[";
    for (std::size_t col = 0; col < kThumbnailSide; ++col) {
      if (col) out += ", ";
      const int code = t.codes[row * kThumbnailSide + col];
      out += code == kThumbnailNoSignal ? "null" : python_rounded((code - kThumbnailZeroCode) * kLosStepMm, 3);
    }
    out += "]";
  }
  out += "]}";
  return out;
}

}  // namespace quakesat
