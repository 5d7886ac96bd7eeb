//! protect → unprotect round trips as properties, across every profile, with and without an
//! MKI: streams that start mid-call (unknown ROC), wrap their sequence number, lose and
//! reorder packets and repeat some; SRTCP with either E flag; and single-bit damage, which
//! must always be refused.

use proptest::prelude::*;
use rtcscope_rtp::rtcp::parse_compound;
use rtcscope_srtp::{
    AuthFailure, ContextConfig, MasterKey, Mki, ProfileKeyLengths, Replay, SrtpContext, SrtpError,
    SrtpProfile,
};

fn key(profile: SrtpProfile, seed: u8, mki: Option<u8>) -> MasterKey {
    let n = profile.master_key_len() + profile.master_salt_len();
    let bytes: Vec<u8> = (0..n as u8)
        .map(|i| i.wrapping_mul(seed | 1) ^ seed)
        .collect();
    let k = MasterKey::from_key_salt(profile, &bytes).unwrap();
    match mki {
        Some(len) => k.with_mki(Mki::from_value(7, usize::from(len)).unwrap()),
        None => k,
    }
}

/// An RTP packet: `csrcs` CSRCs, an optional one-byte-form extension, payload, padding.
fn rtp(seq: u16, ssrc: u32, csrcs: u8, ext: bool, payload: &[u8], padding: u8) -> Vec<u8> {
    let mut p = vec![0x80 | csrcs, 96, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0];
    if padding > 0 {
        p[0] |= 0x20;
    }
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p[8..12].copy_from_slice(&ssrc.to_be_bytes());
    for c in 0..csrcs {
        p.extend_from_slice(&u32::from(c).to_be_bytes());
    }
    if ext {
        p[0] |= 0x10;
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0]);
    }
    p.extend_from_slice(payload);
    if padding > 0 {
        p.extend(std::iter::repeat_n(0, usize::from(padding) - 1));
        p.push(padding);
    }
    p
}

fn profile() -> impl Strategy<Value = SrtpProfile> {
    prop::sample::select(SrtpProfile::ALL.to_vec())
}

/// A receive order: the send order with loss, duplicates and local reordering.
fn receive_order(n: usize, edits: &[(u8, u16)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for &(op, at) in edits {
        let i = usize::from(at) % order.len().max(1);
        match op % 4 {
            0 if order.len() > 1 => {
                order.remove(i);
            }
            1 => order.insert(i, order[i]),
            _ => {
                let j = (i + 1 + usize::from(op) % 8).min(order.len() - 1);
                order.swap(i, j);
            }
        }
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn srtp_stream_round_trips(
        profile in profile(),
        mki in prop::option::of(1u8..6),
        roc0 in 0u32..40,
        seq0 in any::<u16>(),
        count in 1usize..300,
        step in prop::sample::select(vec![1u16, 1, 1, 7, 113, 257]),
        edits in prop::collection::vec((any::<u8>(), any::<u16>()), 0..40),
        shape in (0u8..4, any::<bool>(), prop::collection::vec(any::<u8>(), 0..200), 0u8..9),
        ssrc in any::<u32>(),
    ) {
        let (csrcs, ext, payload, padding) = shape;
        let k = key(profile, 3, mki);
        let sender = SrtpContext::new(&k, ContextConfig::default());
        let mut receiver = SrtpContext::new(&k, ContextConfig::default());
        // Packet i has index start + i·step: ROC and SEQ follow, wrapping as they go.
        let start = (u64::from(roc0) << 16) | u64::from(seq0);
        let sent: Vec<(u64, Vec<u8>, Vec<u8>)> = (0..count as u64)
            .map(|i| {
                let index = start + i * u64::from(step);
                let plain = rtp(index as u16, ssrc, csrcs, ext, &payload, padding);
                let mut out = vec![0u8; plain.len() + 32];
                let n = sender.protect_rtp(&plain, (index >> 16) as u32, &mut out).unwrap();
                prop_assert_eq!(n, sender.protected_rtp_len(plain.len()));
                out.truncate(n);
                Ok((index, plain, out))
            })
            .collect::<Result<_, TestCaseError>>()?;
        let mut seen = std::collections::HashSet::new();
        let mut highest: Option<u64> = None;
        let mut out = vec![0u8; 600];
        for i in receive_order(count, &edits) {
            let (index, plain, srtp) = &sent[i];
            let got = receiver.unprotect_rtp(srtp, &mut out).unwrap_or_else(|e| {
                panic!("packet {i} (index {index:#x}) of {count}: {e}")
            });
            prop_assert_eq!(&out[..got.len], &plain[..]);
            prop_assert_eq!(got.index, *index);
            prop_assert_eq!(got.roc, (*index >> 16) as u32);
            // Older than the window: TooOld (fresh or not); otherwise exact.
            let too_old = highest.is_some_and(|h: u64| *index + rtcscope_srtp::REPLAY_WINDOW <= h);
            let fresh = seen.insert(*index);
            let want = match (too_old, fresh) {
                (true, _) => Replay::TooOld,
                (false, true) => Replay::Fresh,
                (false, false) => Replay::Duplicate,
            };
            prop_assert_eq!(got.replay, want);
            highest = highest.max(Some(*index));
        }
        prop_assert_eq!(receiver.stats().auth_failures, 0);
    }

    #[test]
    fn srtcp_round_trips(
        profile in profile(),
        mki in prop::option::of(1u8..6),
        index in 0u32..0x8000_0000,
        encrypt in any::<bool>(),
        body in prop::collection::vec(any::<u8>(), 0..50),
        ssrc in any::<u32>(),
    ) {
        let k = key(profile, 9, mki);
        let mut ctx = SrtpContext::new(&k, ContextConfig::default());
        // One RR (no report blocks) followed by an APP packet carrying `body`, 4-aligned.
        let mut rtcp = vec![0x80, 201, 0, 1];
        rtcp.extend_from_slice(&ssrc.to_be_bytes());
        let words = body.len().div_ceil(4);
        rtcp.extend_from_slice(&[0x80, 204, 0, 2 + words as u8]);
        rtcp.extend_from_slice(&ssrc.to_be_bytes());
        rtcp.extend_from_slice(b"test");
        rtcp.extend_from_slice(&body);
        rtcp.resize(rtcp.len().div_ceil(4) * 4, 0);
        parse_compound(&rtcp, false).unwrap();
        let mut sealed = vec![0u8; rtcp.len() + 64];
        let n = ctx.protect_rtcp(&rtcp, index, encrypt, &mut sealed).unwrap();
        prop_assert_eq!(n, ctx.protected_rtcp_len(rtcp.len()));
        if !encrypt {
            // E = 0: the compound travels in clear.
            prop_assert_eq!(&sealed[..rtcp.len()], &rtcp[..]);
        }
        let mut out = vec![0u8; n];
        let got = ctx.unprotect_rtcp(&sealed[..n], &mut out).unwrap();
        prop_assert_eq!(&out[..got.len], &rtcp[..]);
        prop_assert_eq!((got.index, got.encrypted, got.ssrc), (index, encrypt, ssrc));
        let again = ctx.unprotect_rtcp(&sealed[..n], &mut out).unwrap();
        prop_assert_eq!(again.replay, Replay::Duplicate);
    }

    #[test]
    fn any_single_bit_flip_is_refused(
        profile in profile(),
        mki in prop::option::of(1u8..3),
        payload in prop::collection::vec(any::<u8>(), 1..64),
        bit in any::<prop::sample::Index>(),
        rtcp in any::<bool>(),
    ) {
        let k = key(profile, 5, mki);
        let mut ctx = SrtpContext::new(&k, ContextConfig::default());
        let plain = rtp(1000, 0x1234, 1, true, &payload, 0);
        let mut sealed = vec![0u8; plain.len() + 64];
        let n = if rtcp {
            let mut c = vec![0x80, 201, 0, 1, 0, 0, 0x12, 0x34];
            c.extend_from_slice(&payload);
            ctx.protect_rtcp(&c, 77, true, &mut sealed).unwrap()
        } else {
            ctx.protect_rtp(&plain, 2, &mut sealed).unwrap()
        };
        let mut bad = sealed[..n].to_vec();
        let b = bit.index(n * 8);
        bad[b / 8] ^= 1 << (b % 8);
        let mut out = vec![0xffu8; n];
        let r = if rtcp {
            ctx.unprotect_rtcp(&bad, &mut out).map(|u| u.len)
        } else {
            ctx.unprotect_rtp(&bad, &mut out).map(|u| u.len)
        };
        prop_assert!(r.is_err(), "bit {} flipped, accepted", b);
        prop_assert!(out.iter().all(|&x| x == 0));
        // The intact packet still goes through afterwards: a refusal changes no state.
        let r = if rtcp {
            ctx.unprotect_rtcp(&sealed[..n], &mut out).map(|u| u.len)
        } else {
            ctx.unprotect_rtp(&sealed[..n], &mut out).map(|u| u.len)
        };
        prop_assert!(r.is_ok());
    }
}

/// A gap of more than 2^15 packets: the RFC 3711 estimate picks the wrong ROC, and the
/// neighbour it then tries is right.
#[test]
fn long_gap_corrects_roc() {
    let k = key(SrtpProfile::Aes128CmHmacSha1_80, 1, None);
    let tx = SrtpContext::new(&k, ContextConfig::default());
    let mut rx = SrtpContext::new(&k, ContextConfig::default());
    let mut out = vec![0u8; 200];
    let mut send = |index: u64, rx: &mut SrtpContext| {
        let plain = rtp(index as u16, 42, 0, false, b"payload", 0);
        let mut s = vec![0u8; 100];
        let n = tx
            .protect_rtp(&plain, (index >> 16) as u32, &mut s)
            .unwrap();
        rx.unprotect_rtp(&s[..n], &mut out)
    };
    assert_eq!(send(100, &mut rx).unwrap().roc, 0);
    // 40 000 packets later (same ROC, seq 40 100): the estimate says ROC −1.
    let r = send(40_100, &mut rx).unwrap();
    assert_eq!((r.roc, r.index), (0, 40_100));
    // 60 000 further (ROC 1, seq 34 564): the estimate says ROC 0.
    let r = send(100_100, &mut rx).unwrap();
    assert_eq!((r.roc, r.index), (1, 100_100));
    assert_eq!(rx.stats().roc_corrections, 2);
    // 240 000 further (ROC 5 where the estimate says 1): beyond reach, said as such.
    let e = send(340_100, &mut rx).unwrap_err();
    assert!(
        matches!(
            e,
            SrtpError::AuthFailed {
                reason: AuthFailure::RocOutOfSync { estimated_roc: 1 },
                ..
            }
        ),
        "{e:?}"
    );
}

/// The SSRC cap: authenticated packets of one SSRC too many are refused and counted; known
/// SSRCs go on.
#[test]
fn ssrc_cap_refuses_and_counts() {
    let k = key(SrtpProfile::AeadAes128Gcm, 2, None);
    let config = ContextConfig {
        max_ssrcs: 3,
        ..ContextConfig::default()
    };
    let tx = SrtpContext::new(&k, config);
    let mut rx = SrtpContext::new(&k, config);
    let mut out = vec![0u8; 200];
    let mut s = vec![0u8; 100];
    for ssrc in 1..=5u32 {
        let n = tx
            .protect_rtp(&rtp(1, ssrc, 0, false, b"x", 0), 0, &mut s)
            .unwrap();
        let r = rx.unprotect_rtp(&s[..n], &mut out);
        if ssrc <= 3 {
            assert!(r.unwrap().new_ssrc);
        } else {
            assert_eq!(r.unwrap_err(), SrtpError::TooManySsrcs { ssrc, cap: 3 });
        }
    }
    assert_eq!(rx.stats().refused_ssrcs, 2);
    let n = tx
        .protect_rtp(&rtp(2, 1, 0, false, b"x", 0), 0, &mut s)
        .unwrap();
    assert!(!rx.unprotect_rtp(&s[..n], &mut out).unwrap().new_ssrc);
}

/// Two SSRCs under one key, then a third protected with another key: the reason names the
/// SSRC as not under this key (rather than a wrong key overall); the MKI of another key is
/// refused as such.
#[test]
fn failure_reasons() {
    let k = key(SrtpProfile::Aes128CmHmacSha1_32, 4, Some(2));
    let other = key(SrtpProfile::Aes128CmHmacSha1_32, 6, Some(2));
    let tx = SrtpContext::new(&k, ContextConfig::default());
    let tx_other = SrtpContext::new(&other, ContextConfig::default());
    let mut rx = SrtpContext::new(&k, ContextConfig::default());
    let mut out = vec![0u8; 200];
    let mut s = vec![0u8; 100];
    let n = tx_other
        .protect_rtp(&rtp(5, 9, 0, false, b"abc", 0), 0, &mut s)
        .unwrap();
    assert!(matches!(
        rx.unprotect_rtp(&s[..n], &mut out),
        Err(SrtpError::AuthFailed {
            ssrc: 9,
            reason: AuthFailure::WrongKey { .. }
        })
    ));
    let n2 = tx
        .protect_rtp(&rtp(5, 8, 0, false, b"abc", 0), 0, &mut s[50..])
        .unwrap();
    rx.unprotect_rtp(&s[50..50 + n2], &mut out).unwrap();
    let e = rx.unprotect_rtp(&s[..n], &mut out).unwrap_err();
    assert!(
        matches!(
            e,
            SrtpError::AuthFailed {
                ssrc: 9,
                reason: AuthFailure::SsrcNotUnderThisKey { .. }
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("not protected with this key"), "{e}");
    // Another MKI value.
    let third = MasterKey::from_key_salt(k.profile(), &[0; 30])
        .unwrap()
        .with_mki(Mki::from_value(8, 2).unwrap());
    let n = SrtpContext::new(&third, ContextConfig::default())
        .protect_rtp(&rtp(6, 8, 0, false, b"abc", 0), 0, &mut s)
        .unwrap();
    assert_eq!(
        rx.unprotect_rtp(&s[..n], &mut out),
        Err(SrtpError::MkiMismatch)
    );
    // SRTCP given as SRTP and the reverse: said as such.
    let mut c = vec![0x80, 200, 0, 6, 0, 0, 0, 8];
    c.resize(28, 0);
    let n = tx.protect_rtcp(&c, 1, true, &mut s).unwrap();
    let e = rx.unprotect_rtp(&s[..n], &mut out).unwrap_err();
    assert!(e.to_string().contains("use unprotect_rtcp"), "{e}");
    let n = tx
        .protect_rtp(&rtp(9, 8, 0, false, b"abc", 0), 0, &mut s)
        .unwrap();
    let e = rx.unprotect_rtcp(&s[..n], &mut out).unwrap_err();
    assert!(e.to_string().contains("use unprotect_rtp"), "{e}");
    // Too short to be SRTP of this profile.
    assert!(matches!(
        rx.unprotect_rtp(&[0x80, 0, 0, 1], &mut out),
        Err(SrtpError::NotSrtp(_))
    ));
    // Too small an output buffer.
    assert!(matches!(
        rx.unprotect_rtp(&s[..n], &mut out[..4]),
        Err(SrtpError::OutputTooSmall { .. })
    ));
}

/// A capture that starts mid-call with ROC 63 (the edge of the default search) and one
/// with ROC 65 (outside it, found once `initial_roc` says where to look).
#[test]
fn unknown_initial_roc() {
    for profile in SrtpProfile::ALL {
        let k = key(profile, 8, None);
        let tx = SrtpContext::new(&k, ContextConfig::default());
        let mut s = vec![0u8; 100];
        let mut out = vec![0u8; 200];
        let n = tx
            .protect_rtp(&rtp(30_000, 1, 0, false, b"mid", 0), 63, &mut s)
            .unwrap();
        let mut rx = SrtpContext::new(&k, ContextConfig::default());
        let r = rx.unprotect_rtp(&s[..n], &mut out).unwrap();
        assert_eq!((r.roc, r.new_ssrc), (63, true), "{profile:?}");

        let n = tx
            .protect_rtp(&rtp(30_000, 1, 0, false, b"mid", 0), 65, &mut s)
            .unwrap();
        let mut rx = SrtpContext::new(&k, ContextConfig::default());
        assert!(matches!(
            rx.unprotect_rtp(&s[..n], &mut out),
            Err(SrtpError::AuthFailed {
                reason: AuthFailure::WrongKey {
                    roc_min: 0,
                    roc_max: 64
                },
                ..
            })
        ));
        let hinted = ContextConfig {
            initial_roc: 60,
            ..ContextConfig::default()
        };
        let mut rx = SrtpContext::new(&k, hinted);
        assert_eq!(rx.unprotect_rtp(&s[..n], &mut out).unwrap().roc, 65);
    }
}
