#!/usr/bin/env bash
# Adversarial captures against `rtcscope analyze`: time (median of three) and peak memory of each crafted input
# (crates/analysis/examples/adversarial.rs says what each holds) beside a real call of the same
# packet count, in one run. Not a test: the figures go to docs/benchmarks.md.
#
#   scripts/bench-adversarial.sh [N]     N packets per capture (default 1000000); the TCP
#                                        stream is 750 segments per 1000 packets (1 GB at 1M)
# Needs GNU time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dir=target/bench/adversarial
mkdir -p "$dir"
cargo build --release -q --bin rtcscope -p rtcscope-cli
cargo build --release -q -p rtcscope-analysis --example adversarial
cargo build --release -q -p rtcscope-capture --example replicate
gen=target/release/examples/adversarial

# The reference: the Chromium direct call replayed to about N packets.
per_round=$(target/release/rtcscope analyze --json fixtures/webrtc/direct/capture.pcapng |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
rounds=$(( (n + per_round - 1) / per_round ))
real=$dir/real-call-$n.pcapng
[ -f "$real" ] || target/release/examples/replicate fixtures/webrtc/direct/capture.pcapng "$real" "$rounds"

kinds=(flows ssrcs ufrags stun-flows stream-flows ice-flows turn-users turn-held channels sparse-flows fragments tcp)
for k in "${kinds[@]}"; do
    count=$n
    [ "$k" = tcp ] && count=$((n * 3 / 4))
    f=$dir/$k-$n.pcapng
    [ -f "$f" ] || "$gen" "$k" "$f" "$count"
done

run() { # run FILE: prints "seconds peak-KiB packets", the median time of three runs from the
    # page cache (a warm-up read first) and the largest peak
    local packets times=() peak=0 t m
    cat "$1" >/dev/null
    for _ in 1 2 3; do
        packets=$(/usr/bin/time -o "$dir/time.txt" -f '%e %M' target/release/rtcscope analyze --json "$1" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
        read -r t m <"$dir/time.txt"
        times+=("$t")
        ((m > peak)) && peak=$m
    done
    echo "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p) $peak $packets"
}

printf '| capture | packets | size | time (s) | peak RSS (MiB) | time / real call |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
read -r rt rm rp < <(run "$real")
printf '| real call (replayed) | %s | %s | %s | %.1f | 1.0 |\n' "$rp" "$(du -h "$real" | cut -f1)" "$rt" \
    "$(echo "$rm / 1024" | bc -l)"
for k in "${kinds[@]}"; do
    f=$dir/$k-$n.pcapng
    read -r t m p < <(run "$f")
    printf '| %s | %s | %s | %s | %.1f | %.1f |\n' "$k" "$p" "$(du -h "$f" | cut -f1)" "$t" \
        "$(echo "$m / 1024" | bc -l)" "$(echo "$t / $rt" | bc -l)"
done
