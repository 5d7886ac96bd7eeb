#!/usr/bin/env bash
# The main job on a bundled capture, set-up included: installs the one system library the
# binary links (libpcap, for live capture), builds rtcscope, and analyses a real Chromium call
# relayed through coturn with both peers behind NATs (fixtures/webrtc/relay).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build
dir=fixtures/webrtc/relay
exec cargo run --release --quiet --bin rtcscope -- analyze \
    --sdp "$dir/offer.sdp" --sdp "$dir/answer.sdp" "$dir/capture.pcapng" "$@"
