//! pcapng Decryption Secrets Blocks: the reader hands out the NSS key log text that
//! `editcap --inject-secrets tls,FILE` embeds, byte for byte, and still reads every packet.

use rtcscope_capture::CaptureReader;

#[test]
fn injected_tls_key_log_is_handed_out() {
    let Some(editcap) =
        rtcscope_testkit::require_tool("injected_tls_key_log_is_handed_out", "editcap")
    else {
        return;
    };
    let dir = rtcscope_testkit::fixtures().join("dtls");
    let keys = dir.join("dtls12-srtp.keys");
    let plain = dir.join("dtls12-srtp.pcapng");
    let out = std::env::temp_dir().join(format!("rtcscope-dsb-{}.pcapng", std::process::id()));
    let status = std::process::Command::new(editcap)
        .arg("--inject-secrets")
        .arg(format!("tls,{}", keys.display()))
        .arg(&plain)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let count = |path: &std::path::Path| {
        let mut r = CaptureReader::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut n = 0;
        while r.next_packet().unwrap().is_some() {
            n += 1;
        }
        (n, r.tls_key_logs().to_vec(), r.tls_key_log_bytes_dropped())
    };
    let (n_plain, logs_plain, _) = count(&plain);
    let (n, logs, dropped) = count(&out);
    std::fs::remove_file(&out).unwrap();
    assert!(logs_plain.is_empty());
    assert_eq!(n, n_plain);
    assert_eq!(dropped, 0);
    assert_eq!(logs, vec![std::fs::read_to_string(&keys).unwrap()]);
}
