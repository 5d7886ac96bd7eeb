#!/usr/bin/env bash
# Installs what rtcscope's test suite needs on a Debian machine: tshark (differential tests),
# tcpdump, coturn and stun-client (reference servers and clients), nftables and iproute2 (the NAT
# lab), libpcap (live capture), tmux (TUI tests), chromium (the HTML report opened headless,
# tests/tests/report_html.rs), valgrind (the engine's instruction-count check,
# crates/analysis/tests/instructions.rs), default-jre-headless (Spark), GNU time and linux-perf
# (scripts/bench.sh and its profiles); cargo-fuzz from crates.io
# and DuckDB's and PySpark's Python packages from PyPI (the export tests).
# Safe to run again: it installs only what is missing.
#
#   scripts/install-deps.sh          everything the test suite needs
#   scripts/install-deps.sh --build  only what building rtcscope needs (libpcap, for live capture)
set -euo pipefail

packages=(tshark tcpdump coturn stun-client nftables iproute2 libpcap-dev tmux openssl chromium valgrind)
# Java for Spark (tests/tests/export_spark.rs): bookworm's default is OpenJDK 17.
packages+=(default-jre-headless)
# firefox-esr: the HTML report opened in headless Firefox over Marionette (tests/tests/report_html.rs).
packages+=(firefox-esr)
# GNU time (peak RSS) for scripts/bench.sh, and linux-perf for the per-thread profiles of
# docs/benchmarks.md ("Two cores": perf record, perf report --sort comm).
packages+=(time linux-perf)
build_only=false
if [ "${1:-}" = "--build" ]; then
    packages=(libpcap-dev)
    build_only=true
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# pip, for DuckDB's Python package below (Debian's python3 comes without it).
if ! $build_only && ! python3 -m pip --version >/dev/null 2>&1; then
    missing+=(python3-pip)
fi
if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: not a Debian system; please install: ${missing[*]}" >&2
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    # coturn's package would start a system-wide server; the tests start their own.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# DuckDB (the Python package, from PyPI) reads `rtcscope export`'s datasets back in
# tests/tests/export_duckdb.rs. Debian's python3 is externally managed (PEP 668): the package
# goes beside the system's own, as root's pip does on CI's throwaway machines.
if ! $build_only && ! python3 -c 'import duckdb' >/dev/null 2>&1; then
    echo "install-deps: installing duckdb (Python) from PyPI"
    python3 -m pip install --quiet --break-system-packages duckdb 2>/dev/null \
        || python3 -m pip install --quiet duckdb
fi

# PySpark (from PyPI; it brings Spark's jars) reads the export in tests/tests/export_spark.rs,
# which runs docs/export.md's Spark code. 3.5.x runs on Java 8, 11 and 17.
if ! $build_only && ! python3 -c 'import pyspark' >/dev/null 2>&1; then
    echo "install-deps: installing pyspark (Python) from PyPI"
    python3 -m pip install --quiet --break-system-packages pyspark==3.5.9 2>/dev/null \
        || python3 -m pip install --quiet pyspark==3.5.9
fi

# pylibsrtp (from PyPI; its wheel carries libsrtp 2, the reference SRTP implementation) is
# the other side of crates/srtp/tests/libsrtp.rs, a byte-for-byte differential test.
if ! $build_only && ! python3 -c 'import pylibsrtp' >/dev/null 2>&1; then
    echo "install-deps: installing pylibsrtp (Python) from PyPI"
    python3 -m pip install --quiet --break-system-packages pylibsrtp==0.12.0 2>/dev/null \
        || python3 -m pip install --quiet pylibsrtp==0.12.0
fi

if ! $build_only && ! cargo fuzz --version >/dev/null 2>&1; then
    echo "install-deps: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --version 0.13.2 --quiet
fi
