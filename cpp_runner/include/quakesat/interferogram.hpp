// Interferogram formation, preprocessing version 3 (runtime/interferogram.py): a same-track
// complex pair in, the network's input out. Per looks x looks block, every step an IEEE double
// operation that numpy rounds the same way, so that the outputs agree bit for bit:
//  1. a pixel whose real or imaginary part is not finite, in either image, counts as 0 in both;
//  2. per pixel, a = pre and b = post as doubles (each float product exact):
//     re = b.re a.re + b.im a.im, im = b.im a.re - b.re a.im (post conj(pre)),
//     p1 = a.re a.re + a.im a.im, p2 = b.re b.re + b.im b.im; no fused multiply-add (the core
//     is compiled with -ffp-contract=off);
//  3. block sums I.re, I.im, P1, P2, each accumulated from 0.0 in the block's row-major order;
//  4. m = sqrt(I.re I.re + I.im I.im); cos = I.re / m, sin = I.im / m (0 and 0 where m is 0);
//     coherence = min(m / sqrt(P1 P2), 1) (0 where sqrt(P1 P2) is 0);
//  5. float32 channels-first 3 x H/looks x W/looks: cos, sin, coherence (each double rounded
//     to nearest).
// Images are H x W complex64, row-major, stored interleaved (re, im float pairs: the bytes of a
// '<c8' .npy, npy.hpp read_npy_complex). Writes into a caller's buffer; the scratch version
// allocates nothing.
#pragma once

#include <cstddef>

namespace quakesat {

constexpr int kInterferometricVersion = 3;   // runtime/interferogram.py INTERFEROMETRIC_VERSION
constexpr int kInterferometricChannels = 3;  // cos_phase, sin_phase, coherence

// Doubles of scratch interferogram_features needs for images `width` pixels wide (four block
// sums per output column).
std::size_t interferogram_scratch_doubles(int width, int looks);

struct SameTrackScan;  // same_track.hpp

// `pre` and `post` (H x W x {re, im} floats each) -> 3 x H/looks x W/looks floats at `out`.
// `scratch` holds interferogram_scratch_doubles(width, looks) doubles. Returns false, writing
// nothing, when the sides are not positive or `looks` is not a positive divisor of both.
// With `scan`, the input checks' scan of the pair (same_track.hpp) is gathered in the same pass,
// each row scanned as it is formed: *scan is reset, then filled (same_track_features uses it).
bool interferogram_features(const float* pre, const float* post, int height, int width, int looks, float* out,
                            double* scratch, SameTrackScan* scan = nullptr);
// The same with scratch of its own (allocates: tests and tools, not the per-tile path).
bool interferogram_features(const float* pre, const float* post, int height, int width, int looks, float* out);

}  // namespace quakesat
