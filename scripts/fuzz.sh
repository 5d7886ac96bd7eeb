#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS seconds each (default 60), two at a time.
#
# Uses the stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags, and no sanitizer
# is needed because the parser crates forbid unsafe code (debug assertions stay on, so integer
# overflow is caught).
#
# Seeds (fuzz/seeds/<target>, rebuilt on every run): the inputs of fuzz/regressions/<target>
# that once broke a target; payloads of real captures (the fixtures
# and, when present, the shared corpus's captures), classified by the analysis engine's
# demultiplexer; the SDP fixtures; and, when present, the corpus's fuzzer corpora (Janus,
# mediasoup/Chromium, usrsctp) and SDP files. New inputs go to fuzz/corpus/<target>.
#
# The whole-pipeline targets (pipeline: file reader to JSON report; dissect: file reader to
# `dissect -V` trees) are seeded with every capture as a whole file, plus windows of records
# from the middle of each (libFuzzer reads a seed's first -max_len bytes only); tcp_framing with
# every capture's TCP segments in its input layout (crates/analysis/examples/fuzz_seeds.rs).
# These three run whole captures, so they get a larger -max_len, and -timeout and
# -rss_limit_mb: an input that takes 10 s or 512 MB is a finding (issue #16: no capture can
# hang rtcscope or make it slow or large), not something to wait out.
#
# libFuzzer's seed is fixed (RTCSCOPE_FUZZ_SEED, default 1) so that a run is reproducible: the
# same code and seeds explore the same inputs, and a finding in CI can be replayed exactly.
# For exploratory runs pass RTCSCOPE_FUZZ_SEED=0 (a random seed) and more seconds.
#
# RTCSCOPE_FUZZ_TARGETS (default: every target) picks targets, and RTCSCOPE_FUZZ_JOBS (default 2)
# how many run at once: long runs on a shared machine go one target at a time, e.g.
#   RTCSCOPE_FUZZ_SEED=0 RTCSCOPE_FUZZ_TARGETS=pipeline RTCSCOPE_FUZZ_JOBS=1 nice scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
seed=${RTCSCOPE_FUZZ_SEED:-1}
corpus=${RTCSCOPE_CORPUS:-../shared/corpus}
export RUSTC_BOOTSTRAP=1

seeds=fuzz/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{stun,rtp,rtcp,dtls,sctp,sdp,pipeline,dissect,tcp_framing,srtp,filter,codec}
# filter: one display-filter expression a seed, a line of fuzz/filter_seeds.txt each.
n=0
while IFS= read -r line; do
    printf '%s' "$line" >"$seeds/filter/$n"
    n=$((n + 1))
done <fuzz/filter_seeds.txt
captures=$(git ls-files 'fixtures/*.pcap' 'fixtures/*.pcapng')
if [[ -f $corpus/MANIFEST.md ]]; then
    captures+=" $(find "$corpus" -name '*.pcap' -o -name '*.pcapng' | sort | tr '\n' ' ')"
    copy() { # copy FROM-DIR TARGET: every regular file, named by content
        local f
        [[ -d $1 ]] || return 0
        while IFS= read -r -d '' f; do
            cp "$f" "$seeds/$2/$(sha1sum "$f" | cut -c1-16)"
        done < <(find "$1" -type f ! -name 'LICENSE*' ! -name COPYING ! -name 'README*' -print0)
    }
    copy "$corpus/janus-gateway-fuzzer-corpora/rtp_fuzzer" rtp
    copy "$corpus/janus-gateway-fuzzer-corpora/rtcp_fuzzer" rtcp
    copy "$corpus/janus-gateway-fuzzer-corpora/sdp_fuzzer" sdp
    copy "$corpus/mediasoup-webrtc-fuzzer-corpora/rtp-corpus" rtp
    copy "$corpus/mediasoup-webrtc-fuzzer-corpora/rtcp-corpus" rtcp
    copy "$corpus/mediasoup-webrtc-fuzzer-corpora/stun-corpus" stun
    copy "$corpus/mediasoup-webrtc-fuzzer-corpora/sdp-corpus" sdp
    copy "$corpus/usrsctp-fuzzer-corpus" sctp
    while IFS= read -r -d '' f; do
        cp "$f" "$seeds/sdp/$(sha1sum "$f" | cut -c1-16)"
    done < <(find "$corpus" -name '*.sdp' -print0)
else
    echo "fuzz: no corpus at $corpus; seeding from the fixtures only"
fi
# Inputs that once broke a target (fuzz/regressions/<target>, committed): replayed on every run.
for d in fuzz/regressions/*/; do
    t=$(basename "$d")
    mkdir -p "$seeds/$t"
    find "$d" -type f -exec cp {} "$seeds/$t/" \;
done
for f in $(git ls-files 'fixtures/*.sdp'); do
    cp "$f" "$seeds/sdp/$(sha1sum "$f" | cut -c1-16)"
done
for f in $captures; do
    for t in pipeline dissect; do cp "$f" "$seeds/$t/$(sha1sum "$f" | cut -c1-16)"; done
done
# shellcheck disable=SC2086 # one argument per capture
cargo run --quiet --release -p rtcscope-analysis --example fuzz_seeds -- "$seeds" $captures
# srtp: RTP and RTCP seeds behind the selector byte fuzz_srtp reads (profile, MKI, ROC).
sel=0
while IFS= read -r f; do
    { printf "\\$(printf '%03o' "$sel")"; cat "$f"; } >"$seeds/srtp/$(basename "$f")"
    sel=$(((sel + 37) % 256))
done < <(find "$seeds/rtp" "$seeds/rtcp" -type f | sort | head -n 400)

# codec: RTP payloads, the rtp seeds without their 12-byte fixed header (header extensions
# stay, and are noise the payload parsers must survive).
while IFS= read -r f; do
    tail -c +13 "$f" >"$seeds/codec/$(basename "$f")"
done < <(find "$seeds/rtp" -type f | sort | head -n 400)

targets=${RTCSCOPE_FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir fuzz)}
jobs=${RTCSCOPE_FUZZ_JOBS:-2}
cargo fuzz build --fuzz-dir fuzz --sanitizer none --debug-assertions
# Per-target libFuzzer options: the parsers take one message (4 KiB is plenty); the pipeline
# targets take whole captures, under a time and memory budget per input.
options() {
    case $1 in
    pipeline | dissect) echo "-max_len=65536 -timeout=10 -rss_limit_mb=512" ;;
    tcp_framing) echo "-max_len=16384 -timeout=10 -rss_limit_mb=512" ;;
    *) echo "-max_len=4096" ;;
    esac
}
run() {
    local t=$1
    mkdir -p "fuzz/corpus/$t"
    local log="fuzz/$t.log"
    # shellcheck disable=SC2046 # one word per option
    if cargo fuzz run --fuzz-dir fuzz --sanitizer none --debug-assertions "$t" \
        "fuzz/corpus/$t" "$seeds/$t" \
        -- -seed="$seed" -max_total_time="$seconds" $(options "$t") -print_final_stats=1 \
        >"$log" 2>&1; then
        echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds}s from $(find "$seeds/$t" -type f | wc -l) seeds, no crash"
    else
        echo "fuzz $t: FAILED (see $log)"
        failure "$t" "$log"
        return 1
    fi
}
# What a failed target's log says, most telling first: CI keeps only part of its output and
# deletes its clone, so the panic, libFuzzer's verdict and a small input itself come before
# the log's tail (a finding of 8 KiB or less can be replayed from the base64 alone).
failure() { # failure TARGET LOG
    local t=$1 log=$2 artifact size
    grep -m1 -A3 'panicked at' "$log" || true
    grep -m1 -E '^==[0-9]+== ?ERROR: libFuzzer' "$log" || true
    artifact=$(grep -o -m1 "fuzz/artifacts/$t/[a-z-]*[0-9a-f]\{40\}" "$log" | head -n1 || true)
    if [[ -n $artifact && -f $artifact ]]; then
        size=$(stat -c %s "$artifact")
        echo "input: $artifact, $size bytes"
        if ((size <= 8192)); then
            echo "base64: $(base64 -w0 "$artifact")"
        fi
    fi
    tail -20 "$log"
}
status=0
pids=()
for t in $targets; do
    run "$t" &
    pids+=($!)
    if ((${#pids[@]} >= jobs)); then
        for p in "${pids[@]}"; do wait "$p" || status=1; done
        pids=()
    fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
