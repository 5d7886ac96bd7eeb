//! Fuzzes the SDP parser, linter, report rendering and round trips (see
//! `rtcscope_sdp::fuzzing::run`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_sdp::fuzzing::run(data);
});
