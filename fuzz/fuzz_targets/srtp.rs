#![no_main]
//! Fuzzes SRTP/SRTCP unprotection with fixed keys for every profile (with and without MKI):
//! arbitrary bytes never panic and a refused packet leaves no plaintext; bytes that form an
//! RTP or RTCP packet round-trip through protect → unprotect.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_srtp::fuzzing::fuzz_srtp(data);
});
