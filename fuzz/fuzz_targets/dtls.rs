#![no_main]
//! Fuzzes every DTLS parser at once: records, handshake fragments and messages, extensions,
//! reassembly, the session tracker and the owned round trips.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_dtls::fuzzing::dtls(data);
});
