//! Fuzz target body (hidden from docs; used by `fuzz/fuzz_targets/srtp.rs` and a test).
//!
//! Arbitrary bytes go through `unprotect_rtp` and `unprotect_rtcp` of every profile, with and
//! without an MKI, under fixed keys: nothing may panic, and a packet that is refused must leave
//! the output zeroed. When the bytes are a valid RTP (or RTCP-sized) packet, protecting them
//! and unprotecting the result must give them back.

use crate::{ContextConfig, MasterKey, Mki, ProfileKeyLengths, SrtpContext, SrtpProfile};

fn key(profile: SrtpProfile, mki: bool) -> MasterKey {
    let n = profile.master_key_len() + profile.master_salt_len();
    let bytes: Vec<u8> = (0..n as u8)
        .map(|b| b.wrapping_mul(37).wrapping_add(11))
        .collect();
    let k = MasterKey::from_key_salt(profile, &bytes).expect("fixed key of the right length");
    if mki {
        k.with_mki(Mki::new(&[0xa5, 0x5a]).expect("2-byte MKI"))
    } else {
        k
    }
}

/// One fuzz input. The first byte picks the profile, the MKI and the ROC / SRTCP index.
pub fn fuzz_srtp(data: &[u8]) {
    let Some((&sel, pkt)) = data.split_first() else {
        return;
    };
    let profile = SrtpProfile::ALL[usize::from(sel) % SrtpProfile::ALL.len()];
    let with_mki = sel & 0x08 != 0;
    let roc = u32::from(sel >> 4);
    let k = key(profile, with_mki);
    let mut ctx = SrtpContext::new(&k, ContextConfig::default());
    let mut out = vec![0u8; pkt.len() + 64];

    // Arbitrary bytes as SRTP and SRTCP: an error or an authenticated packet, never a panic.
    for _ in 0..2 {
        if ctx.unprotect_rtp(pkt, &mut out).is_err() {
            assert!(
                out.iter().all(|&b| b == 0),
                "refused packet left plaintext behind"
            );
        }
        if ctx.unprotect_rtcp(pkt, &mut out).is_err() {
            assert!(
                out.iter().all(|&b| b == 0),
                "refused packet left plaintext behind"
            );
        }
    }

    // Round trips through a fresh context.
    let mut rx = SrtpContext::new(&k, ContextConfig::default());
    let mut sealed = vec![0u8; pkt.len() + 64];
    if let Ok(n) = ctx.protect_rtp(pkt, roc, &mut sealed) {
        let got = rx
            .unprotect_rtp(&sealed[..n], &mut out)
            .expect("a packet just protected authenticates");
        assert_eq!(&out[..got.len], pkt);
        assert_eq!(got.roc, roc);
    }
    let index = (u32::from(sel) * 0x0101_0101) & 0x7fff_ffff;
    if let Ok(n) = ctx.protect_rtcp(pkt, index, sel & 0x04 != 0, &mut sealed) {
        let got = rx
            .unprotect_rtcp(&sealed[..n], &mut out)
            .expect("an RTCP packet just protected authenticates");
        assert_eq!(&out[..got.len], pkt);
        assert_eq!(got.index, index);
    }
}

#[cfg(test)]
mod tests {
    use super::fuzz_srtp;

    /// The fuzz body over every selector byte (every profile, MKI or not, ROCs 0–15) with an
    /// RTP packet (round-trip branch), an RTCP packet (SRTCP round trip) and bytes that are
    /// neither.
    #[test]
    fn fuzz_body_smoke() {
        let rtp = [0x80, 96, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4, 5];
        let rtcp = [0x81, 201, 0, 7, 0, 0, 0, 3, 9, 9, 9, 9];
        let junk = [0xffu8; 40];
        for sel in 0..=255u8 {
            for body in [&rtp[..], &rtcp[..], &junk[..], &[][..]] {
                let mut input = vec![sel];
                input.extend_from_slice(body);
                fuzz_srtp(&input);
            }
        }
        fuzz_srtp(&[]);
    }
}
