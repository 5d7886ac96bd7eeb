//! A capture whose STUN strings attack the terminal, for the terminal-safety tests of every
//! text output (`rtcscope analyze`, `rtcscope dissect`, the TUI).
//!
//! USERNAME, REALM, NONCE, SOFTWARE, the ERROR-CODE reason phrases and an ICE check's ufrags
//! carry ESC [2J (clear the screen), an OSC window title (ESC ] 0 ; … BEL), SGR colours, a C1
//! CSI, bidi overrides and isolates, and CR LF followed by [`FORGED`], a line that must never
//! stand on its own.

use crate::frames::{ipv4_udp, pcap, LINKTYPE_RAW};
use std::net::SocketAddrV4;

/// Ends every crafted string, after a CR or CR LF.
pub const FORGED: &str = "ok  FORGED Allocate succeeded";

/// USERNAME of the Allocate.
pub const USERNAME: &str = "mallory\x1b[2J\x1b]0;pwned\x07\r\nok  FORGED Allocate succeeded";
/// REALM of the Allocate and of its 401.
pub const REALM: &str = "realm\x1b]0;title\x07\u{202e}txt.exe\r\nok  FORGED Allocate succeeded";
/// NONCE of the 401.
pub const NONCE: &str = "nonce\x1b[H\x1b[2J\rok  FORGED Allocate succeeded";
/// SOFTWARE of the Allocate and of its 401.
pub const SOFTWARE: &str = "soft\u{9b}2J\u{2066}ware\r\nok  FORGED Allocate succeeded";
/// Reason phrase of the 401 and of the ICE check's 487.
pub const REASON: &str = "Unauthorized\x1b[31m\r\nok  FORGED Allocate succeeded";
/// USERNAME of the ICE check (`responder:requester`): both ufrags are hostile.
pub const ICE_USERNAME: &str = "ufrag\x1b[2J:peer\x07\r\nok  FORGED Allocate succeeded";

const USERNAME_T: u16 = 0x0006;
const ERROR_CODE_T: u16 = 0x0009;
const REALM_T: u16 = 0x0014;
const NONCE_T: u16 = 0x0015;
const REQUESTED_TRANSPORT_T: u16 = 0x0019;
const PRIORITY_T: u16 = 0x0024;
const SOFTWARE_T: u16 = 0x8022;
const ICE_CONTROLLING_T: u16 = 0x802a;

/// A STUN message (RFC 8489 header, no integrity or fingerprint) of `typ` with `attrs`, each
/// padded to four bytes.
fn stun(typ: u16, txid: u8, attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, v) in attrs {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&u16::try_from(v.len()).unwrap().to_be_bytes());
        body.extend_from_slice(v);
        body.resize(body.len().next_multiple_of(4), 0);
    }
    let mut m = Vec::new();
    m.extend_from_slice(&typ.to_be_bytes());
    m.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    m.extend_from_slice(&0x2112_a442u32.to_be_bytes());
    m.extend_from_slice(&[txid; 12]);
    m.extend_from_slice(&body);
    m
}

fn error_code(code: u16, reason: &str) -> Vec<u8> {
    let mut v = vec![0, 0, (code / 100) as u8, (code % 100) as u8];
    v.extend_from_slice(reason.as_bytes());
    v
}

/// Four packets (raw IPv4, pcap): an Allocate with a hostile USERNAME, REALM and SOFTWARE; the
/// server's 401 with a hostile reason phrase, REALM, NONCE and SOFTWARE; an ICE check with
/// hostile ufrags; and its 487 with the hostile reason phrase.
pub fn hostile_capture() -> Vec<u8> {
    let client: SocketAddrV4 = "10.0.0.1:50000".parse().unwrap();
    let server: SocketAddrV4 = "10.0.0.2:3478".parse().unwrap();
    let peer_a: SocketAddrV4 = "10.0.0.3:40000".parse().unwrap();
    let peer_b: SocketAddrV4 = "10.0.0.4:40001".parse().unwrap();
    let allocate = stun(
        0x0003,
        1,
        &[
            (REQUESTED_TRANSPORT_T, vec![17, 0, 0, 0]),
            (USERNAME_T, USERNAME.into()),
            (REALM_T, REALM.into()),
            (SOFTWARE_T, SOFTWARE.into()),
        ],
    );
    let challenge = stun(
        0x0113,
        1,
        &[
            (ERROR_CODE_T, error_code(401, REASON)),
            (REALM_T, REALM.into()),
            (NONCE_T, NONCE.into()),
            (SOFTWARE_T, SOFTWARE.into()),
        ],
    );
    let check = stun(
        0x0001,
        2,
        &[
            (USERNAME_T, ICE_USERNAME.into()),
            (PRIORITY_T, 0x6e00_1eff_u32.to_be_bytes().to_vec()),
            (ICE_CONTROLLING_T, vec![1; 8]),
        ],
    );
    let check_error = stun(0x0111, 2, &[(ERROR_CODE_T, error_code(487, REASON))]);
    pcap(
        LINKTYPE_RAW,
        &[
            ipv4_udp(client, server, &allocate),
            ipv4_udp(server, client, &challenge),
            ipv4_udp(peer_a, peer_b, &check),
            ipv4_udp(peer_b, peer_a, &check_error),
        ],
    )
}

/// True for what a terminal acts on: C0 controls but LF, DEL, C1 controls, bidi embeddings,
/// overrides and isolates. (Written out here rather than taken from `rtcscope_wire::text`, so
/// the tests do not trust the code they test.)
pub fn acted_on(c: char) -> bool {
    (c.is_control() && c != '\n')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}
