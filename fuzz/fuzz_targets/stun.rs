//! Fuzz target for rtcscope-stun: parses the input as STUN (and classic STUN), walks and
//! decodes every attribute, verifies integrity with a fixed key and the fingerprint, parses
//! ChannelData and stream framing, and re-encodes whatever parsed (see
//! `rtcscope_stun::fuzzing::run`, which `cargo test -p rtcscope-stun` also runs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_stun::fuzzing::run(data);
});
