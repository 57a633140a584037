// Four-lane float and int vectors in the compilers' portable vector extension (GCC and Clang),
// shared by the fused scan (preprocess.cpp) and the majority vote (validate.cpp): the same
// source becomes SSE2 on x86-64 and NEON on aarch64, and every lane does exactly the scalar
// float operation (no reassociation, no fused multiply-add), so results stay bit-identical.
// Internal to the core library: not installed.
#pragma once

#include <cstdint>
#include <cstring>

namespace quakesat::vector4 {

typedef float F4 __attribute__((vector_size(16)));
typedef std::int32_t I4 __attribute__((vector_size(16)));

inline F4 load4(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store4(float* p, F4 v) { std::memcpy(p, &v, sizeof v); }

inline F4 as_float(I4 bits) {
  F4 v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

inline I4 as_bits(F4 v) {
  I4 bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

}  // namespace quakesat::vector4
