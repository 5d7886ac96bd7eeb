//! Telling RTP from RTCP on a multiplexed port (RFC 7983 §7, RFC 5761 §4).
//!
//! RFC 7983 demultiplexes on the first byte: 128–191 is RTP or RTCP (version 2 in the top two
//! bits); 0–3 STUN, 16–19 ZRTP, 20–63 DTLS, 64–79 TURN channels. Within 128–191, RFC 5761 §4
//! separates RTCP by the second byte: with the marker bit it is the RTCP packet type, and RTCP
//! packet types 192–223 are kept clear of RTP payload types 64–95, so
//!
//! ```text
//!  byte 0: 10xx xxxx   (version 2)
//!  byte 1: 192..=223 → RTCP (packet types FIR(192)..=223, i.e. PT 64..95 with M=1)
//!          otherwise → RTP
//! ```
//!
//! This is a cheap heuristic: it looks at two bytes and the minimum lengths only.

use crate::{rtcp, rtp};

/// What the first two bytes say a datagram is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RtpOrRtcp {
    /// An RTP (or SRTP) packet.
    Rtp,
    /// An RTCP (or SRTCP) packet.
    Rtcp,
}

/// Classifies a datagram as RTP or RTCP per RFC 7983 / RFC 5761, or `None` when the version is
/// not 2 or it is shorter than the fixed header of what it claims to be (12 bytes for RTP, 4 for
/// RTCP).
///
/// ```
/// use rtcscope_rtp::{classify, RtpOrRtcp};
/// assert_eq!(classify(&[0x80, 0xc8, 0, 0]), Some(RtpOrRtcp::Rtcp));
/// assert_eq!(classify(&[0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]), Some(RtpOrRtcp::Rtp));
/// assert_eq!(classify(&[0x00, 0x01, 0, 0]), None); // STUN
/// ```
#[inline]
pub fn classify(buf: &[u8]) -> Option<RtpOrRtcp> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    if !(128..=191).contains(&b0) {
        return None;
    }
    if (192..=223).contains(&b1) {
        (buf.len() >= rtcp::HEADER_LEN).then_some(RtpOrRtcp::Rtcp)
    } else {
        (buf.len() >= rtp::HEADER_LEN).then_some(RtpOrRtcp::Rtp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut p = [0u8; 12];
        p[0] = 0x80;
        for b1 in 0..=255u8 {
            p[1] = b1;
            let want = if (192..=223).contains(&b1) {
                RtpOrRtcp::Rtcp
            } else {
                RtpOrRtcp::Rtp
            };
            assert_eq!(classify(&p), Some(want), "byte 1 = {b1}");
        }
        for b0 in [0u8, 3, 16, 20, 63, 64, 79, 127, 192, 255] {
            p[0] = b0;
            p[1] = 200;
            assert_eq!(classify(&p), None, "byte 0 = {b0}");
        }
        assert_eq!(classify(&[0x80, 0x60, 0, 1]), None, "RTP shorter than 12");
        assert_eq!(classify(&[0x80, 0xc9, 0]), None, "RTCP shorter than 4");
        assert_eq!(classify(&[0x80]), None);
    }
}
