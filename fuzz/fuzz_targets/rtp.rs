//! Fuzz target: RTP header, extensions, typed decoders, SRTP views, repr round trip.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_rtp::fuzzing::fuzz_rtp(data);
});
