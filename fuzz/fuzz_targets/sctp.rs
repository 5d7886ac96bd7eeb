#![no_main]
//! Fuzzes every SCTP parser at once: packet, chunks (with and without a common header),
//! parameters, causes, DCEP, the channel tracker and the owned round trips.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_sctp::fuzzing::sctp(data);
});
