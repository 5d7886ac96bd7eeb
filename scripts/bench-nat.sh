#!/usr/bin/env bash
# NAT check benchmark (run by hand as root; not part of the test suite).
#
#   scripts/bench-nat.sh [RUNS_TIMED] [RUNS_LOSS] [TYPES...]
#
# For every lab type: the median wall time of a full `rtcscope nat` classification and of
# Debian's RFC 3489 `stun` client, side by side, against `rtcscope stun-server` in the lab
# (RUNS_TIMED runs each, default 21); then, with 20% random loss each way on the outside link,
# how often `rtcscope nat` gets the classification wrong (RUNS_LOSS runs, default 200; the loss
# runs of all types go in parallel, each type in its own lab). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
timed=${1:-21}
lossy=${2:-200}
shift 2 || true
types=("$@")
[[ ${#types[@]} -gt 0 ]] || types=(open firewall full-cone restricted port-restricted
  port-restricted-nohairpin address-dependent symmetric-random symmetric-sequential udp-blocked
  ipv6-open ipv6-firewall ipv6-nat66)
[[ $(id -u) == 0 ]] || { echo "bench-nat.sh: needs root (network namespaces)" >&2; exit 2; }
target=${CARGO_TARGET_DIR:-target}
cargo build --quiet --release -p rtcscope-cli
bin=$(realpath "$target/release/rtcscope")
out=$(mktemp -d)
# unlab NAME: stops the lab's servers (by process id) and removes its namespaces.
unlab() {
  if [[ -e $out/$1.pids ]]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$out/$1.pids"
    rm -f "$out/$1.pids"
  fi
  scripts/natlab.sh down --name "$1"
  rm -f "$out/$1.name"
}
cleanup() {
  for f in "$out"/*.name; do [[ -e $f ]] && unlab "$(cat "$f")"; done
  rm -rf "$out"
}
trap cleanup EXIT

expected() {
  case $1 in
    open | ipv6-open) echo open-internet ;;
    firewall | ipv6-firewall) echo symmetric-udp-firewall ;;
    full-cone) echo full-cone ;;
    restricted) echo restricted-cone ;;
    port-restricted | port-restricted-nohairpin | ipv6-nat66) echo port-restricted-cone ;;
    address-dependent | symmetric-random | symmetric-sequential) echo symmetric ;;
    udp-blocked) echo udp-blocked ;;
  esac
}

# lab NAME TYPE LOSS: brings a lab up with rtcscope servers running; prints the server list.
lab() {
  local name=$1 type=$2 loss=$3 fam=4
  [[ $type == ipv6-* ]] && fam=6
  echo "$name" > "$out/$name.name"
  scripts/natlab.sh up "$type" --name "$name" ${loss:+--loss "$loss"} > /dev/null
  local p=198.51.100.2 a=198.51.100.3 s2=198.51.100.130
  if [[ $fam == 6 ]]; then p=2001:db8:2::2 a=2001:db8:2::3 s2=2001:db8:3::2; fi
  ip netns exec "$name-s1" "$bin" stun-server --primary "$p" --alternate "$a" > /dev/null 2>&1 &
  echo $! >> "$out/$name.pids"
  ip netns exec "$name-s2" "$bin" stun-server --primary "$s2" > /dev/null 2>&1 &
  echo $! >> "$out/$name.pids"
  sleep 0.3
  if [[ $fam == 6 ]]; then echo "[$p]:3478 [$s2]:3478"; else echo "$p:3478 $s2:3478"; fi
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
now_ms() { date +%s%N | awk '{printf "%.1f", $1/1e6}'; }

echo "## timed runs ($timed per type, no loss)" >&2
declare -A rt st sv
n=0
for t in "${types[@]}"; do
  n=$((n + 1))
  name="bn$$x$n"
  read -r -a servers < <(lab "$name" "$t" "")
  : > "$out/$t.rt"; : > "$out/$t.st"
  for ((i = 0; i < timed; i++)); do
    s=$(now_ms); ip netns exec "$name-c" "$bin" nat --json "${servers[@]}" > "$out/last.json" || true; e=$(now_ms)
    awk -v e="$e" -v s="$s" 'BEGIN {printf "%.1f\n", e - s}' >> "$out/$t.rt"
    if [[ $t != ipv6-* ]]; then
      s=$(now_ms); ip netns exec "$name-c" stun 198.51.100.2 > "$out/stun.txt" 2>&1 || true; e=$(now_ms)
      awk -v e="$e" -v s="$s" 'BEGIN {printf "%.1f\n", e - s}' >> "$out/$t.st"
    fi
  done
  rt[$t]=$(median < "$out/$t.rt")
  st[$t]=$( [[ -s $out/$t.st ]] && median < "$out/$t.st" || echo "-")
  sv[$t]=$(grep -m1 '^Primary:' "$out/stun.txt" | sed 's/^Primary: *//; s/[[:space:]]*$//' || true)
  [[ -n ${sv[$t]} ]] || sv[$t]=$(grep -v '^$' "$out/stun.txt" | tail -1 | sed 's/[[:space:]]*$//' || echo "-")
  [[ $t == ipv6-* ]] && sv[$t]="(IPv4 only)"
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reports"][0]["classic"])' "$out/last.json")
  echo "$t: rtcscope ${rt[$t]} ms ($got), stun ${st[$t]} ms (${sv[$t]})" >&2
  unlab "$name"
done

echo "## loss runs ($lossy per type, 20% random loss each way, in parallel)" >&2
jobs_=()
for t in "${types[@]}"; do
  n=$((n + 1))
  name="bn$$x$n"
  (
    read -r -a servers < <(lab "$name" "$t" random20)
    want=$(expected "$t")
    bad=0
    : > "$out/$t.lt"
    for ((i = 0; i < lossy; i++)); do
      s=$(now_ms)
      # (exit status 1 is the verdict "no answer", not an error of the benchmark)
      got=$( (ip netns exec "$name-c" "$bin" nat --json "${servers[@]}" || true) |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"][0]["classic"])' || echo error)
      e=$(now_ms)
      awk -v e="$e" -v s="$s" 'BEGIN {printf "%.1f\n", e - s}' >> "$out/$t.lt"
      if [[ $got != "$want" ]]; then bad=$((bad + 1)); echo "$t run $i: $got" >> "$out/$t.wrong"; fi
    done
    echo "$bad" > "$out/$t.bad"
    unlab "$name"
  ) &
  jobs_+=($!)
done
for j in "${jobs_[@]}"; do wait "$j"; done

echo
echo "| lab type | rtcscope nat: verdict | median | \`stun\` client: verdict | median | errors with 20% loss | median with loss |"
echo "| --- | --- | ---: | --- | ---: | ---: | ---: |"
for t in "${types[@]}"; do
  lt=$(median < "$out/$t.lt")
  echo "| $t | $(expected "$t") | ${rt[$t]} ms | ${sv[$t]} | ${st[$t]}$([[ ${st[$t]} != - ]] && echo " ms") | $(cat "$out/$t.bad") / $lossy | $lt ms |"
done
cat "$out"/*.wrong 2>/dev/null | head -20 >&2 || true
