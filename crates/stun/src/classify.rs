//! Cheap pre-checks for a demultiplexer (RFC 7983 §7) and stream framing (RFC 8489 §6.2.2,
//! RFC 8656 §12.5, RFC 6062).
//!
//! RFC 7983 sorts packets on one 5-tuple by their first byte:
//!
//! ```text
//!              +----------------+
//!              |        [0..3] -+--> forward to STUN
//!              |                |
//!              |      [16..19] -+--> forward to ZRTP
//!              |                |
//!  packet -->  |      [20..63] -+--> forward to DTLS
//!              |                |
//!              |      [64..79] -+--> forward to TURN Channel
//!              |                |
//!              |    [128..191] -+--> forward to RTP/RTCP
//!              +----------------+
//! ```
//!
//! The first byte alone is a weak test; [`classify`] adds the structural checks that make a
//! false positive unlikely without walking attributes (except for classic STUN, which has no
//! magic cookie and so gets a walk of its attribute headers).

use crate::channel::{ChannelData, CHANNEL_NUMBERS};
use crate::field;
use crate::message::{check_header_with, Message};
use crate::types::Flavor;
use crate::MAGIC_COOKIE;
use rtcscope_wire::{pad4, Error, Layer, Result};

/// What a datagram looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// STUN with the magic cookie (RFC 5389 / 8489).
    Stun,
    /// Classic STUN (RFC 3489): a known RFC 3489 message type, no magic cookie.
    ClassicStun,
    /// A TURN ChannelData message.
    ChannelData,
}

/// The message types RFC 3489 §11.1 defines: Binding and Shared Secret request, response and
/// error response.
const CLASSIC_TYPES: [u16; 6] = [0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112];

/// Classifies one datagram (a UDP payload) as STUN, classic STUN or ChannelData, or `None`.
///
/// * STUN: first two bits zero, magic cookie, a length that matches the datagram exactly. The
///   length may be other than a multiple of four (an unpadded last attribute, sent by real
///   clients; parse it with [`Message::parse_lax`], which flags it).
/// * Classic STUN: one of the six RFC 3489 message types, no cookie, exact length, and the
///   attribute headers tile the body exactly.
/// * ChannelData: first byte 0x40..=0x7F, and the length field matches the datagram up to the
///   optional padding.
///
/// Reads at most the header (the attribute headers for classic STUN); never allocates.
pub fn classify(buf: &[u8]) -> Option<Kind> {
    let first = *buf.first()?;
    match first {
        0x00..=0x03 => {
            let (flavor, total, _) = check_header_with(buf, true).ok()?;
            if total != buf.len() {
                return None;
            }
            match flavor {
                Flavor::Rfc5389 => Some(Kind::Stun),
                Flavor::Rfc3489 => {
                    let t = u16::from_be_bytes([buf[0], buf[1]]);
                    (CLASSIC_TYPES.contains(&t)
                        && attribute_headers_tile(&buf[field::header::LEN..]))
                    .then_some(Kind::ClassicStun)
                }
            }
        }
        0x40..=0x7F => ChannelData::parse(buf).ok().map(|_| Kind::ChannelData),
        _ => None,
    }
}

/// Alias of [`classify`] under the name a demultiplexer looks for.
pub fn is_probably_stun(buf: &[u8]) -> Option<Kind> {
    classify(buf)
}

fn attribute_headers_tile(mut body: &[u8]) -> bool {
    while !body.is_empty() {
        if body.len() < 4 {
            return false;
        }
        let len = pad4(u16::from_be_bytes([body[2], body[3]]) as usize);
        match body.get(4 + len..) {
            Some(rest) => {
                debug_assert!(
                    rest.len() < body.len(),
                    "attribute_headers_tile did not advance"
                );
                body = rest;
            }
            None => return false,
        }
    }
    true
}

/// The structural check of a STUN datagram: header bits, length, exact size; returns the
/// flavor (magic cookie or not). Unlike [`classify`] it says why a datagram is not STUN.
pub fn check_structure(buf: &[u8]) -> Result<Flavor> {
    Message::parse(buf).map(|m| m.flavor())
}

/// True when bytes 4..8 hold the magic cookie.
pub fn has_magic_cookie(buf: &[u8]) -> bool {
    buf.get(field::header::MAGIC_COOKIE) == Some(&MAGIC_COOKIE.to_be_bytes()[..])
}

/// One message read from a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A STUN message.
    Stun(Message<'a>),
    /// A ChannelData message (with its padding).
    ChannelData(ChannelData<'a>),
}

/// How many bytes the next STUN or ChannelData message at the start of a stream buffer
/// occupies (ChannelData padding included), from its first four bytes.
///
/// `None` when fewer than four bytes are buffered; `Err` when the bytes are neither (the first
/// two bits are 0b10 or 0b11, or a channel number outside 0x4000..=0x7FFF).
pub fn frame_len(buf: &[u8]) -> Option<Result<usize>> {
    if buf.len() < 4 {
        return None;
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    Some(match buf[0] >> 6 {
        0b00 => Ok(field::header::LEN + len),
        0b01 => {
            let ch = u16::from_be_bytes([buf[0], buf[1]]);
            if CHANNEL_NUMBERS.contains(&ch) {
                Ok(pad4(4 + len))
            } else {
                Err(Error::bad_value(
                    Layer::ChannelData,
                    0,
                    "channel number",
                    "0x4000..=0x7FFF",
                    u64::from(ch),
                ))
            }
        }
        _ => Err(Error::bad_value(
            Layer::Stun,
            0,
            "first byte",
            "0x00..=0x3F (STUN) or 0x40..=0x7F (ChannelData)",
            u64::from(buf[0]),
        )),
    })
}

/// Splits a stream buffer into back-to-back STUN and ChannelData messages (TURN over TCP/TLS,
/// RFC 8656 §12.5; RFC 6062). Errors are located relative to the start of the buffer.
///
/// The iterator stops, without an error, at an incomplete message at the end;
/// [`StreamFrames::consumed`] says how many bytes were used, so the caller can keep the rest
/// for the next read.
#[derive(Clone, Debug)]
pub struct StreamFrames<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> StreamFrames<'a> {
    /// Frames over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        StreamFrames {
            buf,
            pos: 0,
            done: false,
        }
    }

    /// Bytes consumed by the frames yielded so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// The bytes not consumed yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }
}

impl<'a> Iterator for StreamFrames<'a> {
    type Item = Result<Frame<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = &self.buf[self.pos..];
        let base = self.pos;
        let n = match frame_len(rest)? {
            Ok(n) => n,
            Err(e) => {
                self.done = true;
                return Some(Err(e.shifted(base)));
            }
        };
        if rest.len() < n {
            return None;
        }
        let item = if rest[0] >> 6 == 0 {
            Message::parse_prefix(rest).map(|(m, _)| Frame::Stun(m))
        } else {
            ChannelData::parse_prefix(rest).map(|(c, _)| Frame::ChannelData(c))
        };
        match item {
            Ok(f) => {
                // Progress: `frame_len` counts the 4- or 20-byte header, so `n` is never 0.
                debug_assert!(n >= 4, "StreamFrames::next did not advance");
                self.pos += n;
                Some(Ok(f))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e.shifted(base)))
            }
        }
    }
}
