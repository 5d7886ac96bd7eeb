#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS seconds each (default 60), two at a time.
# Uses the stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags, and no sanitizer
# is needed because the parser crates forbid unsafe code (debug assertions stay on, so integer
# overflow is caught). Seeds come from the project's fixtures and, when present, the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list --fuzz-dir fuzz)
cargo fuzz build --fuzz-dir fuzz --sanitizer none --debug-assertions
run() {
    local t=$1
    mkdir -p "fuzz/corpus/$t"
    local log="fuzz/$t.log"
    if cargo fuzz run --fuzz-dir fuzz --sanitizer none --debug-assertions "$t" "fuzz/corpus/$t" \
        -- -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
        echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds}s, no crash"
    else
        echo "fuzz $t: FAILED (see $log)"
        tail -40 "$log"
        return 1
    fi
}
status=0
pids=()
names=()
for t in $targets; do
    run "$t" &
    pids+=($!)
    names+=("$t")
    if ((${#pids[@]} == 2)); then
        for p in "${pids[@]}"; do wait "$p" || status=1; done
        pids=()
    fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
