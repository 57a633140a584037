// Artifact hash check (OpenSSL SHA-256), the only part of the manifest's contract that needs
// more than the core library.
#include "quakesat/artifact.hpp"

#include <openssl/evp.h>

#include <cstdio>

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

}  // namespace quakesat
