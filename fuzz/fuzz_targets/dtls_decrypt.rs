#![no_main]
//! Fuzzes DTLS decryption: a decryptor keyed (by fixed hellos and a fixed key log) for one of
//! eight suites (DTLS 1.0/1.2 GCM, ChaCha20-Poly1305, CBC with and without encrypt-then-MAC,
//! DTLS 1.3 AES-GCM and ChaCha20), then arbitrary datagrams from either side.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rtcscope_dtls::fuzzing::dtls_decrypt(data);
});
