#!/usr/bin/env bash
# Whole-command benchmark: `rtcscope analyze` against `tshark -q -o rtp.heuristic_rtp:TRUE
# -z rtp,streams` on the same capture, side by side in one run: wall time (hyperfine, median
# of several runs), packets per second, and peak resident memory (GNU time).
#
#   scripts/bench-analyze.sh [ROUNDS]     (default 1000: the Chromium direct call replayed 1000
#                                          times, about 1.8 million packets, 11 minutes of media)
# Needs hyperfine, GNU time and tshark (apt-get install hyperfine time tshark).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1000}
for tool in hyperfine tshark /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-analyze: $tool missing (apt-get install hyperfine time tshark)" >&2; exit 1; }
done
mkdir -p target/bench
cargo build --release -q --bin rtcscope -p rtcscope-cli
cargo build --release -q -p rtcscope-capture --example replicate
big=target/bench/direct-x$rounds.pcapng
[ -f "$big" ] || target/release/examples/replicate fixtures/webrtc/direct/capture.pcapng "$big" "$rounds"
small=target/bench/direct-x$((rounds / 10)).pcapng
[ -f "$small" ] || target/release/examples/replicate fixtures/webrtc/direct/capture.pcapng "$small" $((rounds / 10))
packets=$(capinfos -M -c "$big" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
echo "capture: $big, $packets packets, $(du -h "$big" | cut -f1)"

rtcscope="target/release/rtcscope analyze --json $big"
tshark_cmd="tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r $big"
hyperfine --warmup 1 --runs 5 --export-json target/bench/analyze.json \
    -n rtcscope "$rtcscope > /dev/null" \
    -n tshark "$tshark_cmd > /dev/null 2>&1"

peak() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
echo
echo "peak resident set (KiB), $rounds rounds vs $((rounds / 10)) rounds (memory must not grow with length):"
printf '  rtcscope: %s vs %s\n' "$(peak target/release/rtcscope analyze --json "$big")" \
    "$(peak target/release/rtcscope analyze --json "$small")"
printf '  tshark:   %s vs %s\n' "$(peak tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r "$big")" \
    "$(peak tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r "$small")"
python3 - "$packets" <<'PY'
import json, sys
packets = int(sys.argv[1])
r = {x["command"]: x for x in json.load(open("target/bench/analyze.json"))["results"]}
for name in ("rtcscope", "tshark"):
    m = r[name]["median"]
    print(f"{name}: median {m:.3f} s, {packets / m / 1e6:.2f} M packets/s")
print(f"ratio: rtcscope is {r['tshark']['median'] / r['rtcscope']['median']:.1f}x faster")
PY
