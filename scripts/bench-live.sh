#!/usr/bin/env bash
# Live capture rate without drops (issue #14): the highest RTP packet rate at which
# `tcpdump -w /dev/null`, `rtcscope analyze -i` (the headless live mode) and `rtcscope live`
# (the TUI, run inside tmux) keep up with zero kernel drops.
#
#   sudo scripts/bench-live.sh [RATE ...]        (default ladder: 50000 100000 200000 400000 1000000)
#
# Environment: DURATION (seconds of traffic per run, default 60), PAYLOAD (RTP payload bytes,
# default 160: a 172-byte RTP packet, 214 bytes on the wire), SSRCS (default 4), BUFFER_MIB
# (tcpdump's -B, default 16 = rtcscope's own fixed libpcap buffer, crates/capture/src/live.rs),
# GEN_CPU may list several CPUs ("0 1"): one generator per CPU, each sending its share of the
# rate on its own SSRCs (a VM with two cores offers 1M packets/s only with both sending, the
# capturer then sharing its core with a generator). CAPTURERS (default "tcpdump analyze live"), GEN (raw: whole frames through an AF_PACKET socket
# with PACKET_QDISC_BYPASS, the default; udp: datagrams through a UDP socket, the sender's full
# UDP/IP path, which offers about two thirds of the rate), NS_PREFIX (namespace and veth names, default rtcb:
# rtcb-tx/rtcb-rx, rtcb0/rtcb1; at most 12 characters), GEN_CPU / CAP_CPU (default 0 / 1), RTCSCOPE
# and RTP_FLOOD (binaries; default target/release/…, built if missing), OUT (results file,
# default target/bench-live/results.tsv).
#
# Topology: two network namespaces joined by a veth pair; `rtp-flood` (crates/testkit) sends
# from $NS_PREFIX-tx (10.77.0.1, CPU GEN_CPU) to 10.77.0.2:40000 in $NS_PREFIX-rx, where each capturer in
# turn (one at a time, on the same traffic: never two at once, as each packet socket gets its
# own copy) captures on ${NS_PREFIX}1 (CPU CAP_CPU). An nftables netdev ingress rule drops the
# datagrams after the capture taps (taps run before the ingress hook), so no UDP/ICMP work
# follows; the neighbour entry is static. The veth's receive path (and the copy into the
# capturer's ring) runs in softirq on the sender's CPU.
#
# Each row: target and achieved packets/s (the generator says when it falls short), packets
# the capturer counted, the kernel drops it reports (libpcap pcap_stats: ps_drop + ps_ifdrop),
# the veth's and the softnet backlog's drops, and ok = zero drops and every sent packet seen.
set -euo pipefail

cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-live: needs root (namespaces, packet capture)" >&2; exit 1; }
CAPTURERS=${CAPTURERS:-"tcpdump analyze live"}
tools="ip nft taskset python3"
case " $CAPTURERS " in *" tcpdump "*) tools="$tools tcpdump" ;; esac
case " $CAPTURERS " in *" live "*) tools="$tools tmux" ;; esac
for t in $tools; do
    command -v "$t" >/dev/null || { echo "bench-live: $t not found (scripts/install-deps.sh)" >&2; exit 1; }
done

DURATION=${DURATION:-60}
PAYLOAD=${PAYLOAD:-160}
SSRCS=${SSRCS:-4}
BUFFER_MIB=${BUFFER_MIB:-16}
GEN=${GEN:-raw}
case $GEN in raw | udp) ;; *) echo "bench-live: GEN must be raw or udp" >&2; exit 1 ;; esac
GEN_CPU=${GEN_CPU:-0}
read -r -a GEN_CPUS <<<"$GEN_CPU"
CAP_CPU=${CAP_CPU:-1}
RTCSCOPE=${RTCSCOPE:-target/release/rtcscope}
RTP_FLOOD=${RTP_FLOOD:-target/release/rtp-flood}
OUT=${OUT:-target/bench-live/results.tsv}
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(50000 100000 200000 400000 1000000)

[ -x "$RTCSCOPE" ] || cargo build --release -p rtcscope-cli
[ -x "$RTP_FLOOD" ] || cargo build --release -p rtcscope-testkit --bin rtp-flood
RTCSCOPE=$(realpath "$RTCSCOPE")
RTP_FLOOD=$(realpath "$RTP_FLOOD")
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d)

P=${NS_PREFIX:-rtcb}
TX=$P-tx RX=$P-rx TXIF=${P}0 RXIF=${P}1 DST=10.77.0.2 PORT=40000
TMUX_SOCK=rtcbench-$$

cleanup() {
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
    ip netns del "$TX" 2>/dev/null || true
    ip netns del "$RX" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

ip netns del "$TX" 2>/dev/null || true
ip netns del "$RX" 2>/dev/null || true
ip netns add "$TX"
ip netns add "$RX"
for ns in "$TX" "$RX"; do
    # No IPv6: its router and multicast listener messages would be counted with the RTP.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip link add "$TXIF" netns "$TX" type veth peer name "$RXIF" netns "$RX"
ip -n "$TX" addr add 10.77.0.1/24 dev "$TXIF"
ip -n "$RX" addr add "$DST/24" dev "$RXIF"
ip -n "$TX" link set "$TXIF" up
ip -n "$RX" link set "$RXIF" up
RXMAC=$(ip netns exec "$RX" cat /sys/class/net/$RXIF/address)
ip -n "$TX" neigh replace "$DST" lladdr "$RXMAC" dev "$TXIF" nud permanent
ip netns exec "$RX" nft -f - <<EOF
table netdev rtcbench {
  chain ingress {
    type filter hook ingress device "$RXIF" priority 0; policy accept;
    udp dport $PORT drop
  }
}
EOF

softnet_drops() { # total of the per-CPU backlog drop counters (second column, hex)
    local s=0 _ d
    while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
    echo "$s"
}
veth_drops() {
    echo $(( $(ip netns exec "$TX" cat /sys/class/net/$TXIF/statistics/tx_dropped) \
           + $(ip netns exec "$RX" cat /sys/class/net/$RXIF/statistics/rx_dropped) ))
}

# Runs the generator for DURATION at $1 packets/s; its summary line goes to $WORK/gen.
generate() {
    local raw=() i pids=()
    [ "$GEN" = raw ] && raw=(--raw "$TXIF" --dst-mac "$RXMAC" --src 10.77.0.1:$PORT)
    rm -f "$WORK"/gen.*
    for i in "${!GEN_CPUS[@]}"; do
        ip netns exec "$TX" taskset -c "${GEN_CPUS[$i]}" "$RTP_FLOOD" --dst "$DST:$PORT" \
            --rate $(($1 / ${#GEN_CPUS[@]})) --duration "$DURATION" --payload "$PAYLOAD" \
            --ssrcs "$SSRCS" --first-stream $((i * SSRCS)) "${raw[@]}" \
            >"$WORK/gen.$i" 2>"$WORK/gen.err.$i" &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    # One summary line for all generators: packets and rates added, reached only if all did.
    awk '{ for (f = 1; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
           sent += v["sent"]; rate += v["rate"]; target += v["target"]; err += v["send_errors"]
           if (v["reached"] != "yes") miss = 1 }
         END { printf "sent=%d rate=%d target=%d send_errors=%d reached=%s\n", sent, rate, target, err, miss ? "no" : "yes" }' \
        "$WORK"/gen.[0-9]* >"$WORK/gen"
}

# One capturer at one rate: prints "counted drops".
run_tcpdump() {
    ip netns exec "$RX" taskset -c "$CAP_CPU" tcpdump -n -i "$RXIF" -B $((BUFFER_MIB * 1024)) \
        -w /dev/null 2>"$WORK/cap.err" &
    local pid=$!
    sleep 1.5
    generate "$1"
    sleep 1
    kill -INT "$pid"
    wait "$pid" || true
    local captured dropped
    captured=$(awk '/packets captured/ { print $1 }' "$WORK/cap.err")
    dropped=$(awk '/dropped by kernel/ { k = $1 } /dropped by interface/ { i = $1 } END { print k + i }' "$WORK/cap.err")
    echo "${captured:-?} ${dropped:-?}"
}
run_analyze() {
    ip netns exec "$RX" taskset -c "$CAP_CPU" "$RTCSCOPE" analyze -i "$RXIF" \
        -a "duration:$((DURATION + 3))" --json >"$WORK/cap.json" 2>"$WORK/cap.err" &
    local pid=$!
    sleep 1.5
    generate "$1"
    wait "$pid" || true
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(c["packets"], c["capture_drops"])' \
        "$WORK/cap.json" 2>/dev/null || echo "? ?"
}
run_live() {
    # The TUI in a detached tmux pane; after the autostop its status bar keeps the figures.
    tmux -L "$TMUX_SOCK" new-session -d -x 200 -y 50 \
        "ip netns exec $RX taskset -c $CAP_CPU $RTCSCOPE live -i $RXIF -a duration:$((DURATION + 3))"
    sleep 1.5
    generate "$1"
    sleep 3
    tmux -L "$TMUX_SOCK" capture-pane -p >"$WORK/pane" || true
    tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
    # " 1234 pkts · … · kernel drops 0"
    python3 - "$WORK/pane" <<'EOF'
import re, sys
t = open(sys.argv[1], encoding="utf-8", errors="replace").read()
p = re.findall(r"(\d+) pkts", t)
d = re.findall(r"kernel drops (\d+)", t)
print(p[-1] if p else "?", d[-1] if d else "?")
EOF
}

printf '# %s  kernel %s  %s CPUs  generator %s  duration %ss  payload %sB  ssrcs %s  tcpdump -B %s MiB, rtcscope buffer 16 MiB\n' \
    "$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)" "$GEN on CPU $GEN_CPU" "$DURATION" "$PAYLOAD" "$SSRCS" "$BUFFER_MIB" | tee -a "$OUT"
printf 'target_pps\tcapturer\tsent\tachieved_pps\tgen_reached\tcounted\tkernel_drops\tveth_drops\tsoftnet_drops\tok\tloadavg\n' | tee -a "$OUT"
for rate in "${RATES[@]}"; do
    for cap in $CAPTURERS; do
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        s0=$(softnet_drops) v0=$(veth_drops)
        read -r counted drops < <("run_$cap" "$rate")
        s1=$(softnet_drops) v1=$(veth_drops)
        sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$WORK/gen")
        achieved=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' "$WORK/gen")
        reached=$(sed -n 's/.*reached=\([a-z]*\).*/\1/p' "$WORK/gen")
        ok=no
        if [ "$drops" = 0 ] && [ "$counted" = "$sent" ] && [ $((v1 - v0)) = 0 ] && [ $((s1 - s0)) = 0 ]; then
            ok=yes
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rate" "$cap" "${sent:-?}" \
            "${achieved:-?}" "${reached:-?}" "$counted" "$drops" $((v1 - v0)) $((s1 - s0)) "$ok" "$load" | tee -a "$OUT"
    done
done
