//! TURN ChannelData messages (RFC 8656 §12.4, RFC 5766 §11.4).

use crate::field::channel_data as f;
use rtcscope_wire::{pad4, Error, ErrorKind, Field, Layer, Result};
use std::borrow::Cow;
use std::ops::RangeInclusive;

/// Channel numbers a ChannelData message may carry: 0x4000..=0x7FFF (RFC 5766 §11). RFC 8656
/// §12 narrows the allowed numbers to 0x4000..=0x4FFF and reserves the rest; see
/// [`ChannelData::is_rfc8656_channel`].
pub const CHANNEL_NUMBERS: RangeInclusive<u16> = 0x4000..=0x7FFF;

/// Channel numbers RFC 8656 §12 allows.
pub const RFC8656_CHANNEL_NUMBERS: RangeInclusive<u16> = 0x4000..=0x4FFF;

/// A checked view of one ChannelData message.
///
/// Over UDP the padding to four bytes is optional (RFC 8656 §12.5); over TCP and TLS it is
/// required so that the next message stays aligned. [`ChannelData::parse`] accepts a datagram
/// with or without it; [`ChannelData::parse_prefix`] reads one message from a stream and
/// requires it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    msg: &'a [u8],
    padding: &'a [u8],
}

fn check(buf: &[u8]) -> Result<(u16, usize)> {
    if buf.len() < f::DATA {
        return Err(Error::truncated(
            Layer::ChannelData,
            0,
            "ChannelData header",
            f::DATA,
            buf.len(),
        ));
    }
    let channel = u16::from_be_bytes([buf[0], buf[1]]);
    if !CHANNEL_NUMBERS.contains(&channel) {
        return Err(Error::bad_value(
            Layer::ChannelData,
            f::CHANNEL.start,
            "channel number",
            "0x4000..=0x7FFF",
            u64::from(channel),
        ));
    }
    let len = u16::from_be_bytes([buf[2], buf[3]]) as usize;
    if buf.len() - f::DATA < len {
        return Err(Error::truncated(
            Layer::ChannelData,
            f::DATA,
            "application data",
            len,
            buf.len() - f::DATA,
        ));
    }
    Ok((channel, f::DATA + len))
}

impl<'a> ChannelData<'a> {
    /// A ChannelData datagram: header, data, and at most the padding to four bytes.
    pub fn parse(buf: &'a [u8]) -> Result<Self> {
        let (_, end) = check(buf)?;
        let padding = &buf[end..];
        if buf.len() > pad4(end) {
            return Err(Error::new(
                Layer::ChannelData,
                pad4(end),
                "end of ChannelData",
                ErrorKind::TrailingBytes {
                    count: buf.len() - pad4(end),
                },
            ));
        }
        Ok(ChannelData {
            msg: &buf[..end],
            padding,
        })
    }

    /// One ChannelData message at the start of a stream, padding included; returns it and
    /// the bytes after it.
    pub fn parse_prefix(buf: &'a [u8]) -> Result<(Self, &'a [u8])> {
        let (_, end) = check(buf)?;
        let padded = pad4(end);
        if buf.len() < padded {
            return Err(Error::truncated(
                Layer::ChannelData,
                end,
                "ChannelData padding",
                padded - end,
                buf.len() - end,
            ));
        }
        Ok((
            ChannelData {
                msg: &buf[..end],
                padding: &buf[end..padded],
            },
            &buf[padded..],
        ))
    }

    /// The channel number.
    pub fn channel_number(&self) -> u16 {
        u16::from_be_bytes([self.msg[0], self.msg[1]])
    }

    /// True when the channel number is in the range RFC 8656 allows (0x4000..=0x4FFF).
    pub fn is_rfc8656_channel(&self) -> bool {
        RFC8656_CHANNEL_NUMBERS.contains(&self.channel_number())
    }

    /// The length field (of the application data).
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.msg[2], self.msg[3]])
    }

    /// The application data.
    pub fn data(&self) -> &'a [u8] {
        &self.msg[f::DATA..]
    }

    /// Where the application data is.
    pub fn data_range(&self) -> Field {
        f::DATA..self.msg.len()
    }

    /// The padding bytes present after the data (0 to 3).
    pub fn padding(&self) -> &'a [u8] {
        self.padding
    }

    /// Header and data, without padding.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.msg
    }

    /// Bytes this message occupied, padding included.
    pub fn wire_len(&self) -> usize {
        self.msg.len() + self.padding.len()
    }
}

impl core::fmt::Debug for ChannelData<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChannelData")
            .field("channel", &format_args!("0x{:04x}", self.channel_number()))
            .field("length", &self.length())
            .field("padding", &self.padding.len())
            .finish()
    }
}

/// The owned representation of a ChannelData message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChannelDataRepr<'a> {
    /// The channel number (0x4000..=0x7FFF).
    pub channel: u16,
    /// The application data.
    pub data: Cow<'a, [u8]>,
}

impl<'a> ChannelDataRepr<'a> {
    /// Copies the fields out of a view (borrowing the data).
    pub fn parse(view: &ChannelData<'a>) -> Self {
        ChannelDataRepr {
            channel: view.channel_number(),
            data: Cow::Borrowed(view.data()),
        }
    }

    /// Encodes the message; `pad` adds the zero padding to four bytes that stream transports
    /// need. Returns `None` when the data is longer than 65535 bytes or the channel number is
    /// outside 0x4000..=0x7FFF.
    pub fn emit(&self, pad: bool) -> Option<Vec<u8>> {
        let len = u16::try_from(self.data.len()).ok()?;
        if !CHANNEL_NUMBERS.contains(&self.channel) {
            return None;
        }
        let mut out = Vec::with_capacity(pad4(4 + self.data.len()));
        out.extend_from_slice(&self.channel.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.data);
        if pad {
            out.resize(pad4(out.len()), 0);
        }
        Some(out)
    }

    /// Converts into a representation that owns its data.
    pub fn into_owned(self) -> ChannelDataRepr<'static> {
        ChannelDataRepr {
            channel: self.channel,
            data: Cow::Owned(self.data.into_owned()),
        }
    }
}
