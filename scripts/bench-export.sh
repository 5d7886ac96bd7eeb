#!/usr/bin/env bash
# `rtcscope export` on a long capture: throughput and peak resident memory, beside `rtcscope
# analyze` on the same packets (the engine's share), at two lengths to show that memory does
# not grow with the capture.
#
#   scripts/bench-export.sh [ROUNDS] [FORMAT]   (default 5609 rounds of the Chromium direct call,
#                                                10,000,847 packets; FORMAT parquet, csv, jsonl)
# The capture is generated on the fly and piped in (`export -`), so it needs no disk; the
# dataset goes to target/bench/export-*. Needs GNU time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5609}
format=${2:-parquet}
command -v /usr/bin/time >/dev/null || { echo "bench-export: GNU time missing (apt-get install time)" >&2; exit 1; }
mkdir -p target/bench
cargo build --release -q --bin rtcscope -p rtcscope-cli
cargo build --release -q -p rtcscope-capture --example replicate
call=fixtures/webrtc/direct/capture.pcapng
replicate=target/release/examples/replicate

run() { # ROUNDS COMMAND...: wall seconds and peak KiB of COMMAND reading the replicated call
    local n=$1; shift
    /usr/bin/time -f '%e %M' -o target/bench/export.time \
        bash -c "$replicate $call /dev/stdout $n 2>/dev/null | $*" >/dev/null
    cat target/bench/export.time
}
for n in $((rounds / 10)) "$rounds"; do
    packets=$((n * 1783))
    out=target/bench/export-$format-x$n
    rm -rf "$out"
    read -r wall kib < <(run "$n" target/release/rtcscope export --format "$format" -o "$out" -)
    read -r awall akib < <(run "$n" target/release/rtcscope analyze --json -r -)
    python3 - "$packets" "$wall" "$kib" "$awall" "$akib" "$(du -sb "$out" | cut -f1)" "$format" <<'PY'
import sys
p, w, k, aw, ak, size, fmt = int(sys.argv[1]), *map(float, sys.argv[2:7]), sys.argv[7]
print(f"{p:,} packets: export --format {fmt} {w:.1f} s ({p / w / 1e6:.2f} M packets/s), "
      f"peak {k / 1024:.1f} MiB, dataset {size / 2**20:.0f} MiB ({size / p:.1f} B/packet); "
      f"analyze {aw:.1f} s, peak {ak / 1024:.1f} MiB")
PY
done
