// quakesat-decode: the ground side in C++, a downlink stream in, one verdict per message out.
//
//   quakesat-decode STREAM.bin [--apid N]
//   quakesat-decode --thumbnails THUMBNAILS.bin [--apid N]
//   quakesat-decode --help
//
// Reads STREAM.bin as back-to-back 32-byte messages (no sync marker, as `quakesat decode`) and
// prints one line per message: "ok tile SEQ TILE_ID STATUS EVENT" or "ok health SEQ TILES
// DROPPED STATUS" for a valid one, else the reject reason's stable code (docs/downlink.md,
// "Decoding: reject reasons, in order"); a trailing partial message is "bad_length". The
// verdicts are the Python decoder's, message for message (tests/cpp/test_decode_cli.py; the
// reliability campaign compares them on fuzzed packets). With --thumbnails it reads
// back-to-back 160-byte thumbnails (APID 0x2C2, docs/downlink.md "Thumbnail (APID 0x2C2)") and
// prints one JSON line each: ground/thumbnail_decode.py thumbnail_to_json_dict as Python's
// json.dumps writes it, or {"offset": BYTE_OFFSET, "error": REASON} for a rejected one
// (tests/cpp/test_thumbnail_cli.py compares the text). Exit 0 when the stream was read
// (whatever it held), 2 on a usage error or an unreadable file.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "quakesat/decode.hpp"
#include "quakesat/status.hpp"
#include "quakesat/thumbnail.hpp"

namespace {

constexpr int kUsageError = 2;

const char* const kHelp =
    "usage: quakesat-decode STREAM.bin [--apid N] [--thumbnails]\n"
    "\n"
    "One line per 32-byte message of STREAM.bin: 'ok tile SEQ TILE_ID STATUS EVENT',\n"
    "'ok health SEQ TILES DROPPED STATUS', or the reason it was rejected (crc_mismatch, ...;\n"
    "docs/downlink.md). A trailing partial message is bad_length.\n"
    "\n"
    "options:\n"
    "  --apid N       the APID to accept, 0..2047 (default quakesat's own: 0x2C1, or 0x2C2\n"
    "                 with --thumbnails)\n"
    "  --thumbnails   STREAM.bin holds 160-byte thumbnails (APID 0x2C2): one JSON line each,\n"
    "                 or {\"offset\": N, \"error\": REASON} for a rejected one\n"
    "  -h, --help     print this help and exit\n"
    "\n"
    "exit status: 0 the stream was read; 2 usage error or unreadable file.\n";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "quakesat-decode: error: %s (--help for usage)\n", problem.c_str());
  return kUsageError;
}

void print_verdict(const quakesat::Decoded& d) {
  using quakesat::code_name;
  if (!d.ok()) {
    std::printf("%s\n", quakesat::reject_code(d.reject));
  } else if (d.kind == quakesat::Kind::kHealth) {
    std::printf("ok health %u %llu %llu %s\n", static_cast<unsigned>(d.health.seq),
                static_cast<unsigned long long>(d.health.tiles_processed),
                static_cast<unsigned long long>(d.health.dropped), code_name(d.health.status));
  } else {
    std::printf("ok tile %u %u %s %d\n", static_cast<unsigned>(d.tile.seq), static_cast<unsigned>(d.tile.tile_id),
                code_name(d.tile.status), d.tile.event ? 1 : 0);
  }
}

// One verdict per 32-byte message of `in`.
void print_messages(std::FILE* in, std::uint16_t apid) {
  std::uint8_t message[quakesat::kMessageLength];
  for (;;) {
    const std::size_t got = std::fread(message, 1, sizeof message, in);
    if (got == 0) break;
    print_verdict(quakesat::decode(message, got, apid));  // a short read is the trailing partial message
    if (got < sizeof message) break;
  }
}

// --thumbnails: one JSON line per 160-byte packet of `in` (a short read is the trailing partial one).
void print_thumbnails(std::FILE* in, std::uint16_t apid) {
  quakesat::ThumbnailBytes packet{};
  for (unsigned long long offset = 0;; offset += packet.size()) {
    const std::size_t got = std::fread(packet.data(), 1, packet.size(), in);
    if (got == 0) break;
    const quakesat::DecodedThumbnail d = quakesat::decode_thumbnail(packet.data(), got, apid);
    if (d.ok()) {
      std::printf("%s\n", quakesat::thumbnail_json(d.thumbnail).c_str());
    } else {
      std::printf("{\"offset\": %llu, \"error\": \"%s\"}\n", offset, quakesat::reject_code(d.reject));
    }
    if (got < packet.size()) break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string path;
  bool thumbnails = false;
  bool apid_given = false;
  std::uint16_t apid = quakesat::kApid;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (arg == "--apid") {
      if (i + 1 >= argc) return usage_error("option --apid needs a value");
      const std::string value = argv[++i];
      char* end = nullptr;
      errno = 0;
      const long number = std::strtol(value.c_str(), &end, 10);
      if (errno || value.empty() || *end != '\0' || number < 0 || number > 2047) {
        return usage_error("--apid takes a whole number in 0..2047, got '" + value + "'");
      }
      apid = static_cast<std::uint16_t>(number);
      apid_given = true;
      continue;
    }
    if (arg == "--thumbnails") {
      thumbnails = true;
      continue;
    }
    if (!arg.empty() && arg[0] == '-') return usage_error("unknown option '" + arg + "'");
    if (!path.empty()) return usage_error("one argument too many: '" + arg + "'");
    path = arg;
  }
  if (path.empty()) return usage_error("missing STREAM.bin");
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) {
    std::fprintf(stderr, "quakesat-decode: error: cannot read %s\n", path.c_str());
    return kUsageError;
  }
  if (thumbnails) {
    print_thumbnails(in, apid_given ? apid : quakesat::kThumbnailApid);
  } else {
    print_messages(in, apid);
  }
  const bool failed = std::ferror(in) != 0;
  std::fclose(in);
  if (failed) {
    std::fprintf(stderr, "quakesat-decode: error: reading %s failed\n", path.c_str());
    return kUsageError;
  }
  return 0;
}
