// Artifact hash check (OpenSSL SHA-256), the only part of the manifest's contract that needs
// more than the core library.
#include "quakesat/artifact.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

namespace quakesat {

std::string sha256_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return {};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  unsigned char chunk[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0) EVP_DigestUpdate(ctx, chunk, got);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
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

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  return ok ? std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) : std::string();
}

// Hex text on one line (surrounding whitespace allowed) into exactly `size` bytes.
bool hex_bytes(const std::string& text, std::size_t size, std::vector<unsigned char>& out) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  const std::string hex = text.substr(first, last - first + 1);
  if (hex.size() != 2 * size) return false;
  out.assign(size, 0);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    out[i / 2] = static_cast<unsigned char>(out[i / 2] << 4 | v);
  }
  return true;
}

}  // namespace

bool read_public_key(const std::string& path, std::vector<unsigned char>& key, std::string& detail) {
  bool ok = false;
  const std::string text = read_file(path, ok);
  if (!ok || !hex_bytes(text, 32, key)) {
    detail = path + ": not an Ed25519 public key (32 bytes as hex)";
    return false;
  }
  return true;
}

Status verify_manifest_signature(const std::string& folder, const std::vector<unsigned char>& key,
                                 std::string& detail) {
  const std::string manifest_path = folder + "/manifest.json", signature_path = manifest_path + ".sig";
  bool ok = false;
  const std::string manifest = read_file(manifest_path, ok);
  if (!ok) {
    detail = manifest_path + ": cannot be read";
    return Status::kManifestInvalid;
  }
  const std::string signature_text = read_file(signature_path, ok);
  if (!ok) {
    detail = manifest_path + ": unsigned (no manifest.json.sig) and a trusted key is set";
    return Status::kManifestInvalid;
  }
  std::vector<unsigned char> signature;
  if (!hex_bytes(signature_text, 64, signature)) {
    detail = signature_path + ": not a signature (64 bytes as hex)";
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
