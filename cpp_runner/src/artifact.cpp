// Artifact hash check (OpenSSL SHA-256), the only part of the manifest's contract that needs
// more than the core library.
#include "quakesat/artifact.hpp"

#include <openssl/evp.h>

#include <sys/stat.h>

#include <vector>

#include "quakesat/regular_file.hpp"

namespace quakesat {

std::string sha256_file(const std::string& path) {
  RegularFile file(path.c_str());  // a FIFO would never end the hash: refused before any read
  if (!file.ok()) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  unsigned char chunk[1 << 16];
  long got = 0;
  while ((got = file.read_some(chunk, sizeof(chunk))) > 0) EVP_DigestUpdate(ctx, chunk, static_cast<std::size_t>(got));
  const bool failed = got < 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  if (failed) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Status verify_artifact(const Manifest& m, std::string& detail) {
  const std::string path = m.folder + "/" + m.artifact_file;
  const std::string actual = sha256_file(path);
  if (actual.empty()) {
    detail = path + ": artifact listed in the manifest is missing";
    return Status::kModelMissing;
  }
  if (actual != m.sha256) {
    detail = path + ": SHA-256 " + actual.substr(0, 16) + "... differs from the manifest's " + m.sha256.substr(0, 16);
    return Status::kHashMismatch;
  }
  return Status::kOk;
}

namespace {

// A key or signature file (runtime/signature.py parse_hex_file): exactly 2 x `size` hex digits,
// either case, then at most one line ending ("\n" or "\r\n"); nothing else anywhere.
bool hex_bytes(std::string text, std::size_t size, std::vector<unsigned char>& out) {
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
  }
  if (text.size() != 2 * size) return false;
  out.assign(size, 0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    out[i / 2] = static_cast<unsigned char>(out[i / 2] << 4 | v);
  }
  return true;
}

// A regular file of at most 2 x `size` + 2 bytes holding `size` bytes as hex.
bool read_hex_file(const std::string& path, std::size_t size, std::vector<unsigned char>& out, std::string& why) {
  std::string text;
  if (!read_regular_file(path, 2 * size + 2, text, why)) return false;
  if (!hex_bytes(text, size, out)) {
    why = path + ": exactly " + std::to_string(2 * size) + " hex digits and at most one line ending expected";
    return false;
  }
  return true;
}

}  // namespace

bool read_public_key(const std::string& path, std::vector<unsigned char>& key, std::string& detail) {
  std::string why;
  if (!read_hex_file(path, 32, key, why)) {
    detail = "not an Ed25519 public key (32 bytes as hex): " + why;
    return false;
  }
  return true;
}

Status verify_manifest_signature(const std::string& folder, const std::vector<unsigned char>& key,
                                 std::string& detail) {
  const std::string manifest_path = folder + "/" + kManifestName, signature_path = manifest_path + ".sig";
  struct stat info;
  if (::lstat(signature_path.c_str(), &info) != 0) {
    detail = manifest_path + ": unsigned (no manifest.json.sig) and a trusted key is set";
    return Status::kManifestInvalid;
  }
  std::vector<unsigned char> signature;
  std::string why;
  if (!read_hex_file(signature_path, 64, signature, why)) {
    detail = "not a signature (64 bytes as hex): " + why;
    return Status::kManifestInvalid;
  }
  std::string manifest;
  if (!read_regular_file(manifest_path, kMaxManifestBytes, manifest, why)) {
    detail = why;
    return Status::kManifestInvalid;
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool verified = pkey && ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
                        EVP_DigestVerify(ctx, signature.data(), signature.size(),
                                         reinterpret_cast<const unsigned char*>(manifest.data()), manifest.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  if (!verified) {
    detail = manifest_path + ": the signature does not verify with the trusted key";
    return Status::kManifestInvalid;
  }
  return Status::kOk;
}

}  // namespace quakesat
