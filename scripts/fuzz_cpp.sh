#!/usr/bin/env bash
# Coverage-guided fuzzing of the C++ parsers of outside bytes (cpp_runner/fuzz/: the downlink
# decoder, the .npy reader, the tile list reader, the manifest reader) with libFuzzer under
# ASan/UBSan. Builds build/fuzz with clang (CMake option QUAKESAT_FUZZ), then runs each harness
# for FUZZ_SECONDS (default 20) from its seeds: tests/fuzz/corpus/<harness>/ (the corpus shared
# with the Python harnesses), cpp_runner/fuzz/seeds/<harness>/, cpp_runner/fuzz/regressions/<harness>/
# and bytes taken from the test vectors. New corpus entries go to FUZZ_WORK/corpus/<harness>
# (default build/fuzz/work, ignored by git: kept between runs, never in the repo). Exits 1 on any
# crash, leak, sanitizer report or broken harness invariant; the input is saved as
# FUZZ_WORK/crash/<harness>-crash-<sha1> (replay it: build/fuzz/fuzz_<harness> FILE). A crash
# input, once the parser is fixed, belongs in cpp_runner/fuzz/regressions/<harness>/, where the
# ctest fuzz_regressions_<harness> replays it in every build.
#
#   bash scripts/fuzz_cpp.sh                      # all four harnesses, 20 s each
#   FUZZ_SECONDS=3600 nice bash scripts/fuzz_cpp.sh manifest   # a long run of one harness
#   FUZZ_SECONDS=14400 FUZZ_JOBS=2 nice bash scripts/fuzz_cpp.sh   # the long run: 4 h each, 2 at once
#
# Needs clang with libFuzzer (Debian 12: clang-14 and libclang-rt-14-dev, which
# scripts/system_packages.sh installs); CLANGXX picks another compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
jobs="${FUZZ_JOBS:-1}"
work="${FUZZ_WORK:-build/fuzz/work}"
harnesses=("$@")
[ "${#harnesses[@]}" -gt 0 ] || harnesses=(decode npy tile_list manifest)
for harness in "${harnesses[@]}"; do
  case "$harness" in decode | npy | tile_list | manifest) ;; *) echo "unknown harness: $harness" >&2; exit 2 ;; esac
done

clangxx="${CLANGXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [ -z "$clangxx" ]; then
  echo "fuzz_cpp: no clang++ (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi
# -O1 -g without NDEBUG: nlohmann's JSON_ASSERT stays on (QUAKESAT_FUZZ adds _GLIBCXX_ASSERTIONS).
cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER="$clangxx" -DQUAKESAT_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
cmake --build build/fuzz -j2 --target fuzzers >/dev/null

# Seeds from the vectors themselves, whether or not the shared corpus has been written.
seeds="$work/vector_seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{decode,npy,tile_list,manifest} "$work/crash"
python3 - "$seeds" <<'PY'
import json, pathlib, sys
out, vectors = pathlib.Path(sys.argv[1]), pathlib.Path("tests/vectors")
for name in ("downlink.jsonl", "downlink_invalid.jsonl"):
    for i, line in enumerate(vectors.joinpath(name).read_text().splitlines()):
        if line.strip():
            (out / "decode" / f"{name}.{i}").write_bytes(bytes.fromhex(json.loads(line)["hex"]))
for i, line in enumerate(vectors.joinpath("manifests.jsonl").read_text().splitlines()):
    case = json.loads(line) if line.strip() else {}
    text = case.get("text", json.dumps(case["manifest"]) if "manifest" in case else None)
    if text is not None:
        (out / "manifest" / f"case.{i}").write_bytes(text.encode("utf-8", "surrogatepass"))
PY
cp tests/vectors/tiny_model/manifest.json "$seeds/manifest/tiny_model.json"
cp tests/vectors/hostile_npy/*.npy "$seeds/npy/"
cp tests/vectors/hostile_list/tiles.jsonl "$seeds/tile_list/hostile_tiles.jsonl"

run() {
  local harness="$1" corpus="$work/corpus/$1" log="$work/$1.log" dirs=()
  mkdir -p "$corpus"
  for dir in "tests/fuzz/corpus/$harness" "cpp_runner/fuzz/seeds/$harness" "cpp_runner/fuzz/regressions/$harness" \
             "$seeds/$harness"; do
    [ -d "$dir" ] && dirs+=("$dir")
  done
  # -rss_limit_mb: a harness holding more than that is a leak or a blow-up worth a look.
  if build/fuzz/fuzz_"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/crash/$harness-" "$corpus" "${dirs[@]}" >"$log" 2>&1; then
    local done_line
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    echo "fuzz $harness: ok, ${seconds}s, ${done_line:-(no DONE line)}"
  else
    echo "fuzz $harness: FAILED (log $log)" >&2
    grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -10 >&2 || true
    return 1
  fi
}

failed=0
pids=()
for harness in "${harnesses[@]}"; do
  run "$harness" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"
