//! Proof that the hot path allocates nothing: unprotecting SRTP and SRTCP for every profile,
//! new SSRCs up to the cap included (the per-SSRC tables are sized when the context is made),
//! and failures (wrong tag, replay), under a counting global allocator.

use rtcscope_srtp::{ContextConfig, MasterKey, ProfileKeyLengths, SrtpContext, SrtpProfile};
use rtcscope_testkit::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn unprotect_does_not_allocate() {
    for profile in SrtpProfile::ALL {
        let n = profile.master_key_len() + profile.master_salt_len();
        let key = MasterKey::from_key_salt(profile, &vec![7u8; n]).unwrap();
        let config = ContextConfig {
            max_ssrcs: 16,
            ..ContextConfig::default()
        };
        let tx = SrtpContext::new(&key, config);
        let mut rx = SrtpContext::new(&key, config);
        // 16 SSRCs × 4 packets of SRTP, and one SRTCP each, all protected up front.
        let mut srtp = Vec::new();
        let mut srtcp = Vec::new();
        for ssrc in 0..16u32 {
            for seq in 0..4u16 {
                let mut p = vec![0x80, 96, 0, 0, 0, 0, 0, 0];
                p[2..4].copy_from_slice(&(65534u16.wrapping_add(seq)).to_be_bytes());
                p.extend_from_slice(&ssrc.to_be_bytes());
                p.extend_from_slice(&[0x42; 1000]);
                let mut out = vec![0u8; 1100];
                let len = tx.protect_rtp(&p, 3, &mut out).unwrap();
                out.truncate(len);
                srtp.push(out);
            }
            let mut c = vec![0x80, 201, 0, 1];
            c.extend_from_slice(&ssrc.to_be_bytes());
            let mut out = vec![0u8; 100];
            let len = tx.protect_rtcp(&c, 9, true, &mut out).unwrap();
            out.truncate(len);
            srtcp.push(out);
        }
        let mut bad = srtp[0].clone();
        *bad.last_mut().unwrap() ^= 1;
        let mut out = vec![0u8; 2048];
        let allocations = CountingAlloc::count(|| {
            for p in &srtp {
                rx.unprotect_rtp(p, &mut out).unwrap();
            }
            for p in &srtcp {
                rx.unprotect_rtcp(p, &mut out).unwrap();
            }
            rx.unprotect_rtp(&srtp[5], &mut out).unwrap(); // a replay
            rx.unprotect_rtp(&bad, &mut out).unwrap_err();
        });
        assert_eq!(allocations, 0, "{profile:?}");
        assert_eq!(rx.stats().rtp_authenticated, 65);
        assert_eq!(rx.stats().duplicates, 1);
    }
}
