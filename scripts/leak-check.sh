#!/usr/bin/env bash
# Runs 500 (or $1) local runs back to back in one process and prints what the process holds
# before and after: open file descriptors, threads, resident memory and zombie children, and
# whether any process of any run (a quarter of them leave a descendant behind) outlived it.
# The test fails if any of them grows (see Tests/TygerKitTests/LeakTests.swift).
#
#   scripts/leak-check.sh [RUNS]        # default 500
#
# SCRATCH_PATH selects the build directory (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-500}"
scratch="${SCRATCH_PATH:-.build}"
swift build --build-tests --scratch-path "$scratch"
TYGER_LEAK_RUNS="$runs" swift test --skip-build --scratch-path "$scratch" --filter 'TygerKitTests.LeakTests' 2>&1 \
    | grep -vE '^(◇|\[)|started\.$'
