#!/usr/bin/env bash
# The whole test suite, set-up included: the README's test command and what CI runs.
#   scripts/test.sh              everything (needs root for the NAT-lab and live-capture tests,
#                                which otherwise skip with a visible SKIPPED line)
# Environment: RTCSCOPE_FUZZ_SECONDS (default 60), RTCSCOPE_CORPUS (default ../shared/corpus);
# RTCSCOPE_REQUIRE_CORPUS / _ROOT / _TOOLS=1 turn skips into failures (.ci/run sets them).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

# A whole run writes about 9 GiB into a clean clone (target/ with the dev and release builds,
# fuzz/target; measured with the dev profile's line tables only). Without the room, builds and
# tests fail halfway with errors far from the cause (CI's run of 2026-12-05 did): say it here.
need_gib=12
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir"
have_gib=$(( $(du -sk "$target_dir" | cut -f1) / 1048576 ))
free_gib=$(( $(df -Pk "$target_dir" | awk 'NR==2 {print $4}') / 1048576 ))
if (( free_gib + have_gib < need_gib )); then
    echo "error: ${free_gib} GiB free on the disk of $target_dir (which holds ${have_gib} GiB);" \
        "the test suite needs about ${need_gib} GiB there: free some (e.g. 'cargo clean')" \
        "and run it again" >&2
    exit 1
fi

step "installing system packages and cargo-fuzz (only what is missing)"
scripts/install-deps.sh
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked --quiet

step "rustfmt"
cargo fmt --all -- --check

step "clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "fuzzing every parser for ${RTCSCOPE_FUZZ_SECONDS:-60}s each"
scripts/fuzz.sh "${RTCSCOPE_FUZZ_SECONDS:-60}"

step "doc tests"
cargo test --workspace --all-features --doc --quiet

step "API docs of the library crates, links checked"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --lib --quiet

step "tests"
cargo nextest run --workspace --all-features --no-fail-fast --status-level skip \
    --final-status-level slow --success-output never --failure-output final
