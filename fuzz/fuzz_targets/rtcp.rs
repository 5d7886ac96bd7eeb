//! Fuzz target: RTCP compound walk (every packet type and nested list), SRTCP views,
//! transport-cc FCI, repr round trip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_rtp::fuzzing::fuzz_rtcp(data);
});
