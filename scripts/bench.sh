#!/usr/bin/env bash
# The whole-command benchmark of issue #14: `rtcscope analyze` (text and --json) against
# `tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams` and the read floor (`cat FILE >
# /dev/null`), on the same page-cached captures, interleaved and repeated, on one core
# (`taskset -c 0`, where `analyze` runs on one thread) and on all cores (where it reads on one
# thread and analyses on another, its default for files of 64 MiB and more, and, for
# comparison on the same cores, with `--threads 1`). Wall time (median of the rounds), packets/s, bytes/s, peak
# resident set (GNU time), and the ratios; the table replaces the marked section of
# docs/benchmarks.md.
#
#   scripts/bench.sh [--rounds N] [--files "mixed-1M audio-1M …"] [--tshark-10m once|skip|all]
#                    [--no-docs]
#
#   --rounds N         rounds per file and core setting (default 5); each round runs every
#                      command once, the order rotated from one round to the next
#   --files LIST       which captures (default "mixed-1M audio-1M mixed-10M audio-10M");
#                      NAME-SIZE, NAME one of mixed, audio, direct, relay (gen-capture's
#                      variants), SIZE a packet count with an optional M or k
#   --tshark-10m MODE  tshark on files of 10M packets or more: once per core setting (default),
#                      skip, or all rounds (about a minute a run)
#   --no-docs          print the table only, leave docs/benchmarks.md alone
#
# The captures (target/bench/NAME-SIZE.pcapng, out of git) are made by gen-capture when
# missing: the real Chromium calls of fixtures/webrtc/ replayed as distinct sessions
# (crates/testkit/src/gencap.rs). To lower the noise from other work on the machine, run it as
# `sudo nice -n -5 scripts/bench.sh`; the table says the niceness and the load it ran under.
# Needs GNU time, taskset (util-linux), python3 and tshark.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
files="mixed-1M audio-1M mixed-10M audio-10M"
tshark_10m=once
docs=true
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --tshark-10m) tshark_10m=$2; shift 2 ;;
        --no-docs) docs=false; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done
case "$tshark_10m" in once | skip | all) ;; *) echo "bench.sh: --tshark-10m once|skip|all" >&2; exit 2 ;; esac
for tool in /usr/bin/time taskset python3 tshark; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool missing (apt-get install time util-linux python3 tshark)" >&2; exit 1; }
done

dir=target/bench
mkdir -p "$dir"
cargo build --release -q --bin rtcscope -p rtcscope-cli
cargo build --release -q -p rtcscope-testkit --features capture --bin gen-capture
rtcscope=target/release/rtcscope

packets_of() { # "10M" -> 10000000, "500k" -> 500000
    case "$1" in
        *M) echo $((${1%M} * 1000000)) ;;
        *k) echo $((${1%k} * 1000)) ;;
        *) echo "$1" ;;
    esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=$dir/bench-results.tsv
: >"$results"
for f in $files; do
    variant=${f%-*}
    n=$(packets_of "${f##*-}")
    cap=$dir/$f.pcapng
    [ -s "$cap" ] || target/release/gen-capture --variant "$variant" --packets "$n" -o "$cap"
done

one_run() { # one_run FILE MODE TOOL: appends "file mode tool seconds peak-KiB" to $results
    local cap=$1 mode=$2 tool=$3 pin=() cmd t0 t1 rss
    [ "$mode" = 1core ] && pin=(taskset -c 0)
    case "$tool" in
        rtcscope) cmd=("$rtcscope" analyze "$cap") ;;
        rtcscope-json) cmd=("$rtcscope" analyze --json "$cap") ;;
        rtcscope-t1) cmd=("$rtcscope" analyze --threads 1 "$cap") ;;
        rtcscope-json-t1) cmd=("$rtcscope" analyze --json --threads 1 "$cap") ;;
        tshark) cmd=(tshark -q -o rtp.heuristic_rtp:TRUE -z rtp,streams -r "$cap") ;;
        cat) cmd=(cat "$cap") ;;
    esac
    t0=$(date +%s%N)
    "${pin[@]}" /usr/bin/time -o "$dir/time.txt" -f '%M' "${cmd[@]}" >/dev/null 2>"$dir/stderr.txt" ||
        { echo "bench.sh: ${cmd[*]} failed:" >&2; cat "$dir/stderr.txt" >&2; exit 1; }
    t1=$(date +%s%N)
    rss=$(tail -1 "$dir/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$cap" .pcapng)" "$mode" "$tool" \
        "$(python3 -c "print(($t1 - $t0) / 1e9)")" "$rss" >>"$results"
}

meta=$dir/bench-meta.tsv
: >"$meta"
for f in $files; do
    cap=$dir/$f.pcapng
    big=false
    [ "$(packets_of "${f##*-}")" -ge 10000000 ] && big=true
    echo "bench.sh: $cap: counting packets" >&2
    count=$("$rtcscope" analyze --json "$cap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
    printf '%s\t%s\t%s\n' "$f" "$count" "$(stat -c %s "$cap")" >>"$meta"
    cat "$cap" >/dev/null # into the page cache
    for mode in 1core 2cores; do
        tools=(rtcscope rtcscope-json tshark cat)
        [ "$mode" = 2cores ] && tools+=(rtcscope-t1 rtcscope-json-t1)
        for ((r = 0; r < rounds; r++)); do
            echo "bench.sh: $f, $mode, round $((r + 1))/$rounds" >&2
            for ((i = 0; i < ${#tools[@]}; i++)); do
                tool=${tools[$(((i + r) % ${#tools[@]}))]}
                if [ "$tool" = tshark ] && $big; then
                    case "$tshark_10m" in
                        skip) continue ;;
                        once) [ "$r" -eq 0 ] || continue ;;
                    esac
                fi
                one_run "$cap" "$mode" "$tool"
            done
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

table=$dir/bench-table.md
python3 - "$results" "$meta" "$rounds" "$load_before" "$load_after" "$(nice)" "$tshark_10m" >"$table" <<'PY'
import collections, statistics, subprocess, sys, platform, datetime
results, meta, rounds, load_before, load_after, niceness, tshark_10m = sys.argv[1:]
size = {}
for line in open(meta):
    f, packets, nbytes = line.split("\t")
    size[f] = (int(packets), int(nbytes))
runs = collections.defaultdict(list)
rss = collections.defaultdict(int)
for line in open(results):
    f, mode, tool, secs, kib = line.rstrip("\n").split("\t")
    runs[f, mode, tool].append(float(secs))
    rss[f, mode, tool] = max(rss[f, mode, tool], int(kib))

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "?"

cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
mem = sh("free -g | awk '/^Mem:/ {print $2}'")
print(f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by `scripts/bench.sh "
      f"--rounds {rounds} --tshark-10m {tshark_10m}`: {cpu}, {sh('nproc')} cores, {mem} GiB, "
      f"{platform.platform()}, {sh('rustc --version')}, {sh('tshark --version | head -1').rstrip('.')}. "
      f"Niceness {niceness}; load average {load_before} before, {load_after} after "
      f"(1, 5, 15 min). Median of the runs; peak RSS is the largest of them. "
      f"× tshark: tshark's time over this one's; × read: this time over `cat`'s; "
      f"× 1 core: the same command's time on one core over this one's.")
print()
print("| capture | packets | size | cores | command | runs | median wall | packets/s | bytes/s | peak RSS | × tshark | × read | × 1 core |")
print("|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
names = {"rtcscope": "`rtcscope analyze`", "rtcscope-json": "`rtcscope analyze --json`",
         "rtcscope-t1": "`rtcscope analyze --threads 1`",
         "rtcscope-json-t1": "`rtcscope analyze --json --threads 1`",
         "tshark": "tshark `-z rtp,streams`", "cat": "`cat` (read floor)"}
one_core_of = {"rtcscope": "rtcscope", "rtcscope-json": "rtcscope-json",
               "rtcscope-t1": "rtcscope", "rtcscope-json-t1": "rtcscope-json",
               "tshark": "tshark", "cat": "cat"}
order = [f for f in size]
for f in order:
    packets, nbytes = size[f]
    for mode in ("1core", "2cores"):
        t_tshark = statistics.median(runs[f, mode, "tshark"]) if runs[f, mode, "tshark"] else None
        t_cat = statistics.median(runs[f, mode, "cat"])
        for tool in ("rtcscope", "rtcscope-json", "rtcscope-t1", "rtcscope-json-t1", "tshark", "cat"):
            ts = runs[f, mode, tool]
            if not ts:
                continue
            t = statistics.median(ts)
            vs_tshark = f"{t_tshark / t:.1f}×" if t_tshark and tool.startswith("rtcscope") else "–"
            vs_read = f"{t / t_cat:.1f}" if tool != "cat" else "1"
            one = runs[f, "1core", one_core_of[tool]]
            vs_one = f"{statistics.median(one) / t:.2f}×" if one and mode == "2cores" else "–"
            # analyze's default: a second thread on two cores for files of 64 MiB and more.
            two = mode == "2cores" and nbytes >= 64 << 20
            name = names[tool] + ((" (2 threads)" if two else " (1 thread)")
                                  if tool in ("rtcscope", "rtcscope-json") else "")
            print(f"| {f} | {packets:,} | {nbytes / 1e6:,.0f} MB | {'1 (`taskset -c 0`)' if mode == '1core' else '2'} "
                  f"| {name} | {len(ts)} | {t:.3f} s | {packets / t / 1e6:.2f} M | {nbytes / t / 1e6:,.0f} MB/s "
                  f"| {rss[f, mode, tool] / 1024:,.1f} MiB | {vs_tshark} | {vs_read} | {vs_one} |")
PY
cat "$table"
if $docs; then
    python3 - docs/benchmarks.md "$table" <<'PY'
import sys
doc_path, table_path = sys.argv[1:]
doc = open(doc_path).read()
begin, end = "<!-- bench.sh begin -->", "<!-- bench.sh end -->"
table = open(table_path).read()
if begin not in doc or end not in doc:
    sys.exit("bench.sh: docs/benchmarks.md has no bench.sh markers")
head, rest = doc.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc_path, "w").write(head + begin + "\n" + table + end + tail)
print("bench.sh: table written into docs/benchmarks.md", file=sys.stderr)
PY
fi
