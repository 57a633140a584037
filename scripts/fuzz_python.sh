#!/usr/bin/env bash
# Coverage-guided fuzzing of the Python parsers that take outside bytes (atheris, libFuzzer):
# the downlink decoder, the .npy tile reader, the tile list reader and the manifest reader
# (tests/fuzz/README.md says what each harness checks).
#
#   bash scripts/fuzz_python.sh [decode|npy|tile_list|manifest ...]   (default: all four)
#
# Each harness runs FUZZ_SECONDS (default 20) from its seeds, tests/fuzz/corpus/NAME, with the
# tokens of tests/fuzz/dicts/NAME.dict. The seeds are only read: new corpus entries go to a
# scratch folder, FUZZ_WORK (default a fresh /tmp/quakesat-fuzz.XXXXXX), as NAME/corpus/, the
# log as NAME/fuzz.log. A crash (an exception, a failed contract assertion, a hang over
# FUZZ_TIMEOUT seconds, default 10) stops that harness with its input saved as
# NAME/NAME-crash-<sha1> (or -timeout-, -oom-); the script goes on to the next harness and
# exits 1 at the end, listing the inputs. Replay one with `python tests/fuzz/fuzz_NAME.py FILE`;
# once fixed, keep it as tests/fuzz/regressions/NAME/<what it is> (tests/fuzz/README.md).
# FUZZ_ARGS adds libFuzzer flags; PYTHON picks the interpreter (atheris: the dev extra).
#
# Long run: an hour per harness, the scratch corpus kept, so a second run goes on from the
# first (one process per harness; run two harnesses in two shells to use two cores):
#   FUZZ_WORK=/tmp/quakesat-fuzz FUZZ_SECONDS=3600 nice bash scripts/fuzz_python.sh tile_list
# The seeds are what tests/fuzz/make_corpus.py writes from tests/vectors; nothing found here
# is merged into them (tests/fuzz/test_fuzz_regressions.py checks that they are).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-20}
timeout=${FUZZ_TIMEOUT:-10}
python=${PYTHON:-python}
work=${FUZZ_WORK:-$(mktemp -d /tmp/quakesat-fuzz.XXXXXX)}
read -r -a extra <<<"${FUZZ_ARGS:-}"
if [ $# -gt 0 ]; then harnesses=("$@"); else harnesses=(decode npy tile_list manifest); fi

if ! "$python" -c "import atheris" 2>/dev/null; then
    echo "fuzz_python: atheris is not installed for $python (pip install -e '.[dev]')" >&2
    exit 2
fi

crashed=()
for name in "${harnesses[@]}"; do
    harness=tests/fuzz/fuzz_$name.py
    seeds=tests/fuzz/corpus/$name
    if [ ! -f "$harness" ] || [ ! -d "$seeds" ]; then
        echo "fuzz_python: no harness $harness or seeds $seeds" >&2
        exit 2
    fi
    mkdir -p "$work/$name/corpus" "$work/$name/tmp"
    dict=()
    if [ -f "tests/fuzz/dicts/$name.dict" ]; then dict=(-dict="tests/fuzz/dicts/$name.dict"); fi
    log=$work/$name/fuzz.log
    echo "== $name: ${seconds}s, corpus $work/$name/corpus"
    # libFuzzer adds new entries to the first corpus folder only: the scratch one. No standard
    # input: a tile list may name /dev/stdin as an image. TMPDIR: the harnesses' scratch files
    # (libFuzzer's exit skips their clean-up).
    if TMPDIR="$work/$name/tmp" "$python" "$harness" "$work/$name/corpus" "$seeds" \
        -max_total_time="$seconds" -timeout="$timeout" -artifact_prefix="$work/$name/$name-" -print_final_stats=1 \
        ${dict[@]+"${dict[@]}"} ${extra[@]+"${extra[@]}"} </dev/null >"$log" 2>&1; then
        grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -n 1 || tail -n 3 "$log"
    else
        found=$(find "$work/$name" -maxdepth 1 -name "$name-*" -type f | sort)
        if [ -z "$found" ]; then found="(no input saved; see $log)"; fi
        echo "!! $name failed:"
        grep -E "^(Traceback|  File|[A-Za-z]*Error|=== Uncaught)" "$log" | tail -n 12 || true
        crashed+=("$found")
    fi
done

if [ ${#crashed[@]} -gt 0 ]; then
    echo "fuzz_python: crashes (inputs under $work):"
    printf '  %s\n' "${crashed[@]}"
    exit 1
fi
echo "fuzz_python: no crash in ${harnesses[*]} (${seconds}s each); scratch corpus in $work"
