#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for FUZZ_SECONDS (default 600).
#
#   scripts/fuzz.sh                      # both fuzzers, 10 minutes each
#   FUZZ_SECONDS=60 scripts/fuzz.sh      # a short run, as in CI
#   scripts/fuzz.sh FuzzDiscovery        # one fuzzer
#
# Crashes, leaks and timeouts are written to fuzz-artifacts/<target>/; the script exits
# non-zero when any fuzzer finds one. The seed corpora in Fuzz/Corpus/ are read only:
# inputs the fuzzer discovers go to a scratch corpus under .build-fuzz/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-600}"
scratch="${FUZZ_SCRATCH_PATH:-$root/.build-fuzz}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzSpecDecoder FuzzDiscovery); fi

# -sanitize=fuzzer links libFuzzer; -parse-as-library keeps Swift from emitting a main of its own
# (each target defines <Target>_main, the name SwiftPM links as main, and hands over to libFuzzer).
for product in "${targets[@]}"; do
    swift build -c release --package-path "$root/Fuzz" --scratch-path "$scratch" --product "$product" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
done
bin="$(swift build -c release --package-path "$root/Fuzz" --scratch-path "$scratch" --show-bin-path)"

status=0
for target in "${targets[@]}"; do
    case "$target" in
        FuzzSpecDecoder) seeds="$root/Fuzz/Corpus/SpecDecoder" ;;
        FuzzDiscovery) seeds="$root/Fuzz/Corpus/Discovery" ;;
        *) echo "unknown fuzz target: $target" >&2; exit 2 ;;
    esac
    artifacts="$root/fuzz-artifacts/$target"
    work="$scratch/corpus/$target"
    mkdir -p "$artifacts" "$work"
    echo "== $target for ${seconds}s (artifacts: $artifacts)"
    # -rss_limit_mb and -timeout enforce the decoder's bounds: ~100 MB plus ASan's overhead, 2 s per input.
    if ! "$bin/$target" "$work" "$seeds" \
        -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$artifacts/"; then
        echo "!! $target found a failure; see $artifacts" >&2
        status=1
    fi
done
exit $status
