//! Plaintext that the analysis engine decrypted with the user's keys (`rtcscope dissect
//! --keylog`, `--srtp-key`, SDES), dissected as what it is: SRTP becomes RTP with its payload
//! in clear, SRTCP a compound RTCP packet read to its end (reports, feedback, SDES), a DTLS
//! record's content SCTP with the data-channel messages (application data) or the handshake
//! messages DTLS 1.3 encrypts. As Wireshark shows decrypted data as a data source of its own,
//! the byte offsets in these trees are into the plaintext, not into the frame: the top node
//! says so.

use crate::datagram::{Dissected, Protocol};
use crate::DissectOptions;
use rtcscope_rtp::srtp::Protection;
use rtcscope_wire::tree::Node;

/// What a piece of plaintext is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decrypted {
    /// A decrypted SRTP packet (RTP header and payload, no tag).
    Srtp,
    /// A decrypted SRTCP packet (the compound RTCP packet, no index or tag).
    Srtcp,
    /// The decrypted content of a DTLS record.
    Dtls {
        /// The record's epoch.
        epoch: u64,
        /// The record's sequence number.
        sequence: u64,
        /// Its real content type (22 handshake, 21 alert, 23 application data, 26 ACK).
        content_type: u8,
    },
}

/// DTLS content type of application data (SCTP in WebRTC).
const APPLICATION_DATA: u8 = 23;

/// Dissects `plaintext` as `what`. `opts` gives the session's knowledge (header-extension
/// ids); the protection is ignored (the plaintext is clear).
pub fn dissect_decrypted(what: Decrypted, plaintext: &[u8], opts: &DissectOptions) -> Dissected {
    let clear = DissectOptions {
        protection: Some(Protection::Clear),
        ..opts.clone()
    };
    let whole = 0..plaintext.len();
    let (title, protocol, inner, info) = match what {
        Decrypted::Srtp => {
            let d = crate::rtp::rtp(plaintext, 0, &clear)
                .unwrap_or_else(|| Dissected::data(plaintext, 0));
            ("Decrypted SRTP".to_owned(), Protocol::Rtp, d.tree, d.info)
        }
        Decrypted::Srtcp => {
            let d = crate::rtcp::rtcp(plaintext, 0, &clear)
                .unwrap_or_else(|| Dissected::data(plaintext, 0));
            ("Decrypted SRTCP".to_owned(), Protocol::Rtcp, d.tree, d.info)
        }
        Decrypted::Dtls {
            epoch,
            sequence,
            content_type,
        } => {
            let title = format!("Decrypted DTLS record (epoch {epoch}, seq {sequence})");
            if content_type == APPLICATION_DATA {
                let mut d = crate::datagram::dissect_sctp(plaintext, 0);
                let d = d.swap_remove(0);
                let info = match d.protocol {
                    Protocol::Sctp => d.info,
                    _ => format!("Application Data ({})", d.info),
                };
                (title, Protocol::Sctp, d.tree, info)
            } else {
                let (node, info) = crate::dtls::decrypted_content(plaintext, content_type);
                (title, Protocol::Dtls, node, info.join(", "))
            }
        }
    };
    let tree = Node::new(title, whole)
        .with_value(format!(
            "{} bytes of plaintext; offsets in this tree are into the plaintext",
            plaintext.len()
        ))
        .child(inner);
    Dissected {
        protocol,
        turn: false,
        info,
        tree,
        inner: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srtcp_plaintext_is_read_to_its_end() {
        // A receiver report (one block) then an SDES CNAME: the whole compound packet.
        let mut p = vec![0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2];
        p.extend_from_slice(&[
            0x05, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ]);
        p.extend_from_slice(&[0x81, 202, 0, 3, 0, 0, 0, 1, 1, 3, b'a', b'b', b'c', 0, 0, 0]);
        let d = dissect_decrypted(Decrypted::Srtcp, &p, &DissectOptions::default());
        assert_eq!(d.protocol, Protocol::Rtcp);
        assert_eq!(d.info, "Receiver Report, Source Description");
        let mut text = String::new();
        d.tree.render(0, &mut text);
        assert!(
            text.starts_with("Decrypted SRTCP: 48 bytes of plaintext"),
            "{text}"
        );
        assert!(!text.contains("Encrypted"), "{text}");
    }

    #[test]
    fn application_data_that_is_not_sctp_is_data() {
        let d = dissect_decrypted(
            Decrypted::Dtls {
                epoch: 1,
                sequence: 4,
                content_type: 23,
            },
            b"hello",
            &DissectOptions::default(),
        );
        assert!(d.info.starts_with("Application Data ("), "{}", d.info);
        assert_eq!(d.tree.range, 0..5);
    }

    #[test]
    fn decrypted_alert() {
        let d = dissect_decrypted(
            Decrypted::Dtls {
                epoch: 3,
                sequence: 9,
                content_type: 21,
            },
            &[1, 0],
            &DissectOptions::default(),
        );
        assert_eq!(d.protocol, Protocol::Dtls);
        assert!(d.info.contains("Alert"), "{}", d.info);
    }
}
