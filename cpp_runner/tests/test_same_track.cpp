// The same-track checks (same_track.hpp) against runtime/same_track.py: every case of
// tests/vectors/hostile_complex/checks.jsonl (make_hostile_complex.py) gets Python's verdict, read
// by read_npy_complex (a file of another type or shape: the reader's BAD_DTYPE or BAD_SHAPE),
// then check_same_track_pair and, for a processable pair, check_coherence on the formed
// interferogram; the fused pass (same_track_features) gives the same verdict and the same bits.
// Then a literal reference of the Python checks (per-value counts, no certificate, no vote) on
// random images full of repeats, no-data and signed zeros, and coherent_level's floats.
//
//   test_same_track VECTORS_DIR
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "quakesat/interferogram.hpp"
#include "quakesat/npy.hpp"
#include "quakesat/same_track.hpp"

using namespace quakesat;
using nlohmann::json;
using quakesat_test::expect;
using quakesat_test::failures;
using quakesat_test::read_jsonl;

namespace {

// The verdict a runtime gives a pair of files (make_hostile_complex.py verdict()), checks and
// formation apart; `fused` gets same_track_features' verdict (when the pair was read).
Status judge_files(const std::string& pre_path, const std::string& post_path, int side, int looks, Status& fused,
                   std::string& why) {
  const std::size_t values = static_cast<std::size_t>(side) * side * 2;
  std::vector<float> pre(values), post(values);
  NpyImage a, b;
  const Status read_pre = read_npy_complex(pre_path.c_str(), side, pre.data(), a);
  if (read_pre != Status::kOk) return fused = read_pre;
  const Status read_post = read_npy_complex(post_path.c_str(), side, post.data(), b);
  if (read_post != Status::kOk) return fused = read_post;
  const std::size_t cells = static_cast<std::size_t>(side / looks) * (side / looks);
  std::vector<float> out(3 * cells, -1.0f), fused_out(3 * cells, -2.0f);
  std::vector<double> scratch(interferogram_scratch_doubles(side, looks));
  Status verdict = check_same_track_pair(pre.data(), post.data(), side);
  const bool formed = interferogram_features(pre.data(), post.data(), side, side, looks, out.data(), scratch.data());
  if (!formed) why += " interferogram_features refused the pair;";
  if (processable(verdict)) {
    const Status coherence = check_coherence(out.data() + 2 * cells, cells, looks);
    if (coherence != Status::kOk) verdict = coherence;
  }
  if (!same_track_features(pre.data(), post.data(), side, looks, fused_out.data(), scratch.data(), fused)) {
    why += " same_track_features refused the pair;";
  }
  if (std::memcmp(out.data(), fused_out.data(), out.size() * sizeof(float)) != 0) {
    why += " the fused pass formed other bits;";
  }
  return verdict;
}

int test_vectors(const std::string& vectors) {
  const std::string folder = vectors + "/hostile_complex";
  int judged = 0;
  for (const json& c : read_jsonl(folder + "/checks.jsonl")) {
    const std::string name = c.at("name");
    const std::string want = c.at("status");
    Status fused = Status::kOk;
    std::string why;
    const Status got = judge_files(folder + "/" + c.at("pre").get<std::string>(),
                                   folder + "/" + c.at("post").get<std::string>(), c.at("side"), c.at("looks"),
                                   fused, why);
    expect(code_name(got) == want, name + ": C++ " + code_name(got) + ", Python " + want);
    expect(fused == got, name + ": fused pass " + code_name(fused) + ", checks apart " + code_name(got));
    expect(why.empty(), name + ":" + why);
    ++judged;
  }
  return judged;
}

// runtime/same_track.py check_same_track_image, literally: every value counted.
Status reference_image(const std::vector<float>& image, std::size_t pixels) {
  std::size_t valid = 0, infinite = 0;
  bool nonzero = false;
  double brightest = 0.0;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> counts;
  for (std::size_t i = 0; i < pixels; ++i) {
    const float re = image[2 * i], im = image[2 * i + 1];
    infinite += std::isinf(re) + std::isinf(im);
    if (std::isnan(re) || std::isnan(im)) continue;
    ++valid;
    nonzero = nonzero || re != 0.0f || im != 0.0f;
    const float key_re = re + 0.0f, key_im = im + 0.0f;  // -0 + 0 is +0
    std::uint32_t bits_re, bits_im;
    std::memcpy(&bits_re, &key_re, 4);
    std::memcpy(&bits_im, &key_im, 4);
    ++counts[{bits_re, bits_im}];
    brightest = std::max(brightest, static_cast<double>(re) * re + static_cast<double>(im) * im);
  }
  if (valid == 0) return Status::kAllNodata;
  if (infinite) return Status::kNonFinite;
  const double share = 1.0 - static_cast<double>(valid) / static_cast<double>(pixels);
  if (share > kMaxNodata) return Status::kMostlyNodata;
  if (!nonzero) return Status::kAllZero;
  std::size_t most = 0;
  for (const auto& entry : counts) most = std::max(most, entry.second);
  if (static_cast<double>(most) > kMaxRepeated * static_cast<double>(valid)) return Status::kConstant;
  if (brightest > kMaxIntensity) return Status::kOutOfRange;
  if (share > 0) return Status::kPartialNodata;
  return Status::kOk;
}

// Random images with the cases' hazards, each against the reference; pairs of them against the
// pair rule built on the reference. Returns the images judged.
int test_random(int rounds) {
  std::mt19937 rng(2024);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float palette[] = {0.0f, -0.0f, 0.25f, -0.25f, 1.0f, 100.0f, 99.99f, 3e38f};
  auto draw_image = [&](std::vector<float>& image) {
    const unsigned mode = rng() % 6;  // how repetitive, how much no-data
    const unsigned nodata_per_mille = (rng() % 4 == 0) ? rng() % 1000 : (rng() % 2 ? 0 : rng() % 30);
    const unsigned fill_per_mille = rng() % 1000;
    const float fill_re = palette[rng() % 5], fill_im = palette[rng() % 5];
    for (std::size_t i = 0; i < image.size() / 2; ++i) {
      float re, im;
      if (mode == 0) {
        re = palette[rng() % 5];  // few values: ties, signed zeros
        im = palette[rng() % 5];
      } else if (rng() % 1000 < fill_per_mille) {
        re = (rng() % 2 && fill_re == 0.0f) ? -fill_re : fill_re;  // one value, zeros signed either way
        im = (rng() % 2 && fill_im == 0.0f) ? -fill_im : fill_im;
      } else {
        re = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 400.0f;
        im = static_cast<float>(static_cast<int>(rng() % 2001) - 1000) / 400.0f;
      }
      if (rng() % 1000 < nodata_per_mille) (rng() % 2 ? re : im) = nan;
      if (mode == 5 && rng() % 4000 == 0) (rng() % 2 ? re : im) = (rng() % 2) ? inf : -inf;
      if (mode == 4 && rng() % 3000 == 0) re = palette[5 + rng() % 3];
      if (mode == 3) re = im = 0.0f;
      image[2 * i] = re;
      image[2 * i + 1] = im;
    }
  };
  int judged = 0;
  std::map<Status, int> seen;  // the reference's verdicts: the draw must reach every one
  for (int round = 0; round < rounds; ++round) {
    const int side = 1 + static_cast<int>(rng() % 24);  // odd sides too: an unpaired last column
    const std::size_t pixels = static_cast<std::size_t>(side) * side;
    std::vector<float> pre(pixels * 2), post(pixels * 2);
    draw_image(pre);
    draw_image(post);
    const Status want_pre = reference_image(pre, pixels), want_post = reference_image(post, pixels);
    ++seen[want_pre];
    ++seen[want_post];
    const Status got_pre = check_same_track_image(pre.data(), side);
    const Status got_post = check_same_track_image(post.data(), side);
    expect(got_pre == want_pre && got_post == want_post,
           "random round " + std::to_string(round) + " (side " + std::to_string(side) + "): C++ " + code_name(got_pre) +
               "/" + code_name(got_post) + ", reference " + code_name(want_pre) + "/" + code_name(want_post));
    Status want = want_pre;
    if (processable(want_pre) && !processable(want_post)) want = want_post;
    if (processable(want_pre) && processable(want_post)) {
      std::size_t lost = 0;
      for (std::size_t i = 0; i < pixels; ++i) {
        lost += std::isnan(pre[2 * i]) || std::isnan(pre[2 * i + 1]) || std::isnan(post[2 * i]) ||
                std::isnan(post[2 * i + 1]);
      }
      want = static_cast<double>(lost) / static_cast<double>(pixels) > kMaxNodata ? Status::kMostlyNodata
             : want_pre != Status::kOk                                          ? want_pre
                                                                                 : want_post;
    }
    const Status got = check_same_track_pair(pre.data(), post.data(), side);
    expect(got == want, "random pair " + std::to_string(round) + ": C++ " + code_name(got) + ", reference " +
                            code_name(want));
    // The fused pass judges the pair the same (coherence aside: compare before it, looks 1).
    const std::size_t cells = pixels;
    std::vector<float> out(3 * cells);
    std::vector<double> scratch(interferogram_scratch_doubles(side, 1));
    SameTrackScan scan;
    expect(interferogram_features(pre.data(), post.data(), side, side, 1, out.data(), scratch.data(), &scan) &&
               judge_same_track_pair(scan, pre.data(), post.data()) == got,
           "random pair " + std::to_string(round) + ": the scan gathered in formation judges otherwise");
    ++seen[want];
    judged += 2;
  }
  for (Status s : {Status::kOk, Status::kPartialNodata, Status::kAllNodata, Status::kMostlyNodata, Status::kNonFinite,
                   Status::kAllZero, Status::kConstant, Status::kOutOfRange}) {
    expect(seen[s] >= 20, std::string("random images: only ") + std::to_string(seen[s]) + " judged " + code_name(s));
  }
  for (const auto& [status, count] : seen) std::printf("  %s: %d\n", code_name(status), count);
  return judged;
}

void test_coherent_level() {
  // np.float32(coherent_level(looks)) of runtime/same_track.py, as bits.
  const std::pair<int, std::uint32_t> python[] = {{1, 0x3f800000}, {2, 0x3f800000}, {3, 0x3f62dfc5}, {4, 0x3f2a27d3},
                                                  {5, 0x3f081fdc}, {8, 0x3eaa27d3}, {16, 0x3e2a27d3}};
  for (const auto& [looks, bits] : python) {
    const float level = coherent_level(looks);
    std::uint32_t got;
    std::memcpy(&got, &level, 4);
    expect(got == bits, "coherent_level(" + std::to_string(looks) + ") differs from Python's float");
  }
  // The edges of the rule: a cell at the level counts; exactly 1% coherent is enough.
  std::vector<float> coherence(200, 0.0f);
  const float level = coherent_level(4);
  coherence[7] = level;
  expect(check_coherence(coherence.data(), coherence.size(), 4) == Status::kNoCoherence, "1 of 200 cells: none");
  coherence[9] = level;
  expect(check_coherence(coherence.data(), coherence.size(), 4) == Status::kOk, "2 of 200 cells (1%): coherent");
  coherence[9] = std::nextafter(level, 0.0f);
  expect(check_coherence(coherence.data(), coherence.size(), 4) == Status::kNoCoherence, "just below the level");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv);
  const int cases = test_vectors(vectors);
  expect(cases >= 22, "at least 22 hostile same-track cases judged");
  const int random = test_random(3000);
  test_coherent_level();
  std::printf("%d hostile same-track cases, %d random images against the reference: %s\n", cases, random,
              failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
