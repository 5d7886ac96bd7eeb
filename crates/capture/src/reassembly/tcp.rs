//! One direction of a TCP connection, reassembled and cut into framed messages.
//!
//! Two framings carry WebRTC over TCP:
//! * **RFC 4571**: every packet preceded by a 16-bit length (ICE-TCP, RFC 6544);
//! * **STUN / ChannelData back to back** (TURN over TCP, RFC 8656 §12.5): STUN messages delimit
//!   themselves with their length field, ChannelData with its length padded to 4 bytes.
//!
//! The framing is detected from the first message. A capture that starts mid-stream, or a gap
//! (lost segments), loses the message boundaries; the stream then *resynchronises* by scanning
//! for a plausible message start: a STUN header with the magic cookie, a ChannelData header with
//! a channel number the caller knows from a ChannelBind, or an RFC 4571 length followed by such
//! a message. Memory per direction is capped ([`TcpLimits`]).
//!
//! Mid-stream the framing itself is a guess: a STUN check relayed in ChannelData reads, two
//! bytes in, as an RFC 4571 length before that STUN message. The ChannelData reading is taken
//! when what follows does not show RFC 4571 frames, and any framing guessed mid-stream must cut
//! [`TENTATIVE_MESSAGES`] messages before losing sync, or it is forgotten and guessed again.

use std::collections::BTreeMap;

const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];

/// How messages are delimited in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Not yet known.
    Unknown,
    /// RFC 4571: a 16-bit length before every packet.
    Rfc4571,
    /// STUN and ChannelData messages back to back (TURN over TCP).
    StunChannelData,
}

/// Limits per direction.
#[derive(Clone, Copy, Debug)]
pub struct TcpLimits {
    /// Out-of-order bytes held while waiting for a missing segment; beyond this the gap is
    /// declared lost and the stream resynchronises after it.
    pub max_out_of_order: usize,
    /// The largest message accepted (an RFC 4571 frame is at most 65535 + 2 bytes).
    pub max_message: usize,
    /// Segments that may arrive while a gap stays open; after that many the gap is declared
    /// lost. TCP retransmits a lost segment within a few round trips, so a gap still open this
    /// long was lost before the capture (and would otherwise hide the rest of a quiet stream,
    /// which never fills `max_out_of_order`).
    pub max_gap_segments: u32,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_out_of_order: 256 * 1024,
            max_message: 65_535 + 4,
            max_gap_segments: 16,
        }
    }
}

/// Counters for one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Segments with payload.
    pub segments: u64,
    /// New payload bytes.
    pub bytes: u64,
    /// Bytes seen again (retransmissions, overlaps).
    pub retransmitted_bytes: u64,
    /// Gaps declared lost.
    pub gaps: u64,
    /// Bytes lost in those gaps.
    pub gap_bytes: u64,
    /// Times the stream had to resynchronise (mid-stream start, gap, garbage).
    pub resyncs: u64,
    /// Bytes skipped while resynchronising.
    pub skipped_bytes: u64,
    /// Messages emitted.
    pub messages: u64,
}

/// One framed message, borrowed until the callback returns.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The message without any RFC 4571 length prefix (STUN, ChannelData with its header, or
    /// the RFC 4571 payload).
    pub bytes: &'a [u8],
    /// Framing it was cut by.
    pub framing: Framing,
    /// Offset of the message's first byte (prefix included) in the stream, counted from the
    /// first byte this direction delivered.
    pub stream_offset: u64,
    /// Bytes the message takes in the stream: any RFC 4571 prefix, the message, and the
    /// padding of ChannelData over TCP.
    pub wire_len: usize,
}

/// One direction of a TCP connection.
pub struct TcpStream {
    limits: TcpLimits,
    next_seq: Option<u32>,
    out_of_order: BTreeMap<u64, Vec<u8>>,
    ooo_bytes: usize,
    /// Segments pushed since the current gap opened.
    gap_segments: u32,
    /// Bytes received in order but not yet a whole message.
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    buf_offset: u64,
    /// Stream offset of the next in-order byte (64-bit, unwrapped).
    delivered: u64,
    framing: Framing,
    /// Messages still to be cut before a framing guessed by a mid-stream resynchronisation is
    /// trusted; losing sync before that forgets the guess (see [`TENTATIVE_MESSAGES`]).
    tentative: u8,
    in_sync: bool,
    stats: StreamStats,
}

/// Messages a framing guessed mid-stream must cut in a row before it is kept. Mid-stream the
/// two framings can read the same bytes: a STUN message relayed in ChannelData (its 4-byte
/// header, channel then length) is also an RFC 4571 length before that STUN message, two bytes
/// in. A guess the following messages contradict is dropped, and the stream scans again.
const TENTATIVE_MESSAGES: u8 = 3;

impl Default for TcpStream {
    fn default() -> Self {
        Self::new(TcpLimits::default())
    }
}

impl TcpStream {
    /// A new direction.
    pub fn new(limits: TcpLimits) -> Self {
        TcpStream {
            limits,
            next_seq: None,
            out_of_order: BTreeMap::new(),
            ooo_bytes: 0,
            gap_segments: 0,
            buf: Vec::new(),
            buf_offset: 0,
            delivered: 0,
            framing: Framing::Unknown,
            tentative: 0,
            in_sync: false,
            stats: StreamStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// The framing in use.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// True while message boundaries are known.
    pub fn in_sync(&self) -> bool {
        self.in_sync
    }

    /// Where a segment's payload would start in the stream (the offsets of
    /// [`Message::stream_offset`]), asked before the segment is pushed: after a SYN, or for the
    /// first segment seen, the next byte to be delivered; otherwise `seq` relative to it (negative
    /// for a retransmission of bytes before the first one seen).
    pub fn offset_of(&self, seq: u32, flags: u8) -> i64 {
        const SYN: u8 = 0x02;
        let delivered = self.delivered as i64;
        match self.next_seq {
            Some(next) if flags & SYN == 0 => delivered + i64::from(seq.wrapping_sub(next) as i32),
            _ => delivered,
        }
    }

    /// Bytes held in memory (partial message plus out-of-order segments).
    pub fn buffered_bytes(&self) -> usize {
        self.buf.len() + self.ooo_bytes
    }

    /// Feeds one segment. `known_channel` says whether a ChannelData channel number was bound
    /// (it makes resynchronisation on ChannelData possible). Complete messages go to `emit`.
    pub fn push(
        &mut self,
        seq: u32,
        flags: u8,
        payload: &[u8],
        known_channel: &dyn Fn(u16) -> bool,
        emit: &mut dyn FnMut(Message<'_>),
    ) {
        const SYN: u8 = 0x02;
        let seq = if flags & SYN != 0 {
            // The SYN takes one sequence number; data starts after it, on a message boundary.
            self.next_seq = Some(seq.wrapping_add(1));
            self.in_sync = true;
            seq.wrapping_add(1)
        } else {
            seq
        };
        if payload.is_empty() {
            return;
        }
        self.stats.segments += 1;
        let next = *self.next_seq.get_or_insert(seq);
        // Position of this segment relative to the next expected byte (wrapping arithmetic).
        let rel = seq.wrapping_sub(next) as i32;
        if rel < 0 {
            let old = (-(rel as i64)) as usize;
            if old >= payload.len() {
                self.stats.retransmitted_bytes += payload.len() as u64;
                return;
            }
            self.stats.retransmitted_bytes += old as u64;
            self.deliver(&payload[old..], known_channel, emit);
        } else if rel == 0 {
            self.deliver(payload, known_channel, emit);
        } else {
            let at = self.delivered + rel as u64;
            if !self.out_of_order.contains_key(&at) {
                self.ooo_bytes += payload.len();
                self.out_of_order.insert(at, payload.to_vec());
            } else {
                self.stats.retransmitted_bytes += payload.len() as u64;
            }
        }
        self.drain_out_of_order(known_channel, emit);
        if self.out_of_order.is_empty() {
            self.gap_segments = 0;
        } else {
            self.gap_segments += 1;
        }
        // Give up on gaps while too much is held (each give-up releases the segments up to the
        // next hole, so with many small segments between holes it may take several), or once
        // a gap has stayed open for too many segments.
        while !self.out_of_order.is_empty()
            && (self.ooo_bytes > self.limits.max_out_of_order
                || self.gap_segments > self.limits.max_gap_segments)
        {
            self.give_up_gap();
            self.drain_out_of_order(known_channel, emit);
            self.gap_segments = 0;
        }
    }

    /// Ends the input: every gap still open is declared lost (counted in
    /// [`StreamStats::gaps`] and [`StreamStats::gap_bytes`]) and the segments held after it are
    /// delivered, so their messages go to `emit` (or their bytes are skipped and counted while
    /// the stream resynchronises). Without this, a hole followed by fewer than
    /// [`TcpLimits::max_gap_segments`] segments before the capture ends would never be counted
    /// and the bytes after it never analysed.
    ///
    /// Afterwards nothing out of order is held: every new byte is emitted, skipped or part of
    /// the unfinished message at the end ([`TcpStream::buffered_bytes`]). Calling it again does
    /// nothing; a segment pushed afterwards is handled as usual (one that fills a hole already
    /// given up counts as retransmitted).
    pub fn finish(
        &mut self,
        known_channel: &dyn Fn(u16) -> bool,
        emit: &mut dyn FnMut(Message<'_>),
    ) {
        while !self.out_of_order.is_empty() {
            self.give_up_gap();
            self.drain_out_of_order(known_channel, emit);
        }
        self.gap_segments = 0;
    }

    /// Declares the bytes up to the first held segment lost: the partial message before the
    /// gap is dropped (counted as skipped) and the stream resynchronises after it.
    fn give_up_gap(&mut self) {
        let Some((&first, _)) = self.out_of_order.iter().next() else {
            return;
        };
        let lost = first - self.delivered;
        self.stats.gaps += 1;
        self.stats.gap_bytes += lost;
        self.stats.skipped_bytes += self.buf.len() as u64;
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(lost as u32));
        self.delivered = first;
        self.buf.clear();
        self.buf_offset = first;
        self.in_sync = false;
    }

    fn drain_out_of_order(
        &mut self,
        known_channel: &dyn Fn(u16) -> bool,
        emit: &mut dyn FnMut(Message<'_>),
    ) {
        while let Some((&at, _)) = self.out_of_order.iter().next() {
            if at > self.delivered {
                break;
            }
            let seg = self.out_of_order.remove(&at).expect("present");
            self.ooo_bytes -= seg.len();
            let skip = (self.delivered - at) as usize;
            if skip >= seg.len() {
                self.stats.retransmitted_bytes += seg.len() as u64;
                continue;
            }
            self.stats.retransmitted_bytes += skip as u64;
            self.deliver(&seg[skip..], known_channel, emit);
        }
    }

    /// Appends in-order bytes and emits every complete message.
    fn deliver(
        &mut self,
        data: &[u8],
        known_channel: &dyn Fn(u16) -> bool,
        emit: &mut dyn FnMut(Message<'_>),
    ) {
        self.stats.bytes += data.len() as u64;
        if let Some(n) = self.next_seq.as_mut() {
            *n = n.wrapping_add(data.len() as u32);
        }
        self.delivered += data.len() as u64;
        if self.buf.is_empty() {
            // Fast path: cut messages straight out of the segment, keep only the tail.
            self.buf_offset = self.delivered - data.len() as u64;
            let used = self.cut(data, known_channel, emit);
            self.buf.extend_from_slice(&data[used..]);
            self.buf_offset += used as u64;
        } else {
            self.buf.extend_from_slice(data);
            let buf = std::mem::take(&mut self.buf);
            let used = self.cut(&buf, known_channel, emit);
            self.buf = buf;
            self.buf.drain(..used);
            self.buf_offset += used as u64;
        }
        if self.buf.len() > self.limits.max_message + 4 {
            // A partial message cannot be this long: lose sync and keep scanning.
            let drop = self.buf.len() - 8;
            self.stats.skipped_bytes += drop as u64;
            self.buf.drain(..drop);
            self.buf_offset += drop as u64;
            self.in_sync = false;
        }
    }

    /// Cuts complete messages from `data` (which starts at `self.buf_offset`); returns how many
    /// bytes were used (emitted or skipped).
    ///
    /// Progress: every turn of the loop emits a message (at least one byte), skips bytes, or
    /// returns. A resynchronisation lands only on a message its framing accepts whole (see
    /// [`candidate`]), so the frame at that offset is either cut or waited for, never rejected;
    /// should that ever fail, the stream steps one byte past the offset instead of scanning the
    /// same bytes again (and a debug build stops there).
    fn cut(
        &mut self,
        data: &[u8],
        known_channel: &dyn Fn(u16) -> bool,
        emit: &mut dyn FnMut(Message<'_>),
    ) -> usize {
        let max = self.limits.max_message;
        let mut pos = 0;
        // Where the last resynchronisation landed: losing sync there again would loop.
        let mut resynced_at = None;
        loop {
            let rest = &data[pos..];
            if !self.in_sync {
                match resync(rest, self.framing, known_channel, max) {
                    Some((skip, framing)) => {
                        self.stats.resyncs += 1;
                        self.stats.skipped_bytes += skip as u64;
                        pos += skip;
                        if self.framing == Framing::Unknown {
                            self.framing = framing;
                            self.tentative = TENTATIVE_MESSAGES;
                        }
                        self.in_sync = true;
                        resynced_at = Some(pos);
                        continue;
                    }
                    None => {
                        // Keep the last few bytes: a header may straddle the next segment.
                        let keep = rest.len().min(KEEP_WHILE_SCANNING);
                        let skip = rest.len() - keep;
                        self.stats.skipped_bytes += skip as u64;
                        return pos + skip;
                    }
                }
            }
            if rest.is_empty() {
                return pos;
            }
            if self.framing == Framing::Unknown {
                match detect(rest, Framing::Unknown, known_channel, max) {
                    Some(f) => self.framing = f,
                    None if rest.len() < 10 => return pos,
                    None => {
                        self.lose_sync(&mut pos, resynced_at);
                        continue;
                    }
                }
            }
            // A guessed RFC 4571 framing is checked frame by frame as soon as a frame's first
            // bytes are there: its content must look like what ICE-TCP carries.
            if self.tentative > 0
                && self.framing == Framing::Rfc4571
                && rest.len() >= 4
                && !rfc4571_at(rest, known_channel, false)
            {
                self.lose_sync(&mut pos, resynced_at);
                continue;
            }
            match frame_len(self.framing, rest) {
                Frame::Need => return pos,
                Frame::Len { total, .. } if total > max + 2 => {
                    self.lose_sync(&mut pos, resynced_at);
                }
                Frame::Bad => self.lose_sync(&mut pos, resynced_at),
                Frame::Len {
                    prefix,
                    body,
                    total,
                } => {
                    if rest.len() < total {
                        return pos;
                    }
                    self.stats.messages += 1;
                    self.tentative = self.tentative.saturating_sub(1);
                    emit(Message {
                        bytes: &rest[prefix..prefix + body],
                        framing: self.framing,
                        stream_offset: self.buf_offset + pos as u64,
                        wire_len: total,
                    });
                    pos += total;
                }
            }
        }
    }

    /// Marks the boundaries lost at `pos`. If a resynchronisation landed exactly there, the next
    /// scan starts one byte further, so the same bytes are never scanned twice in a row.
    fn lose_sync(&mut self, pos: &mut usize, resynced_at: Option<usize>) {
        self.in_sync = false;
        if self.tentative > 0 {
            // The guessed framing did not hold: guess again.
            self.framing = Framing::Unknown;
            self.tentative = 0;
        }
        if resynced_at == Some(*pos) {
            debug_assert!(
                false,
                "TCP framing: resynchronised at stream offset {} on a message its framing rejects",
                self.buf_offset + *pos as u64
            );
            *pos += 1;
            self.stats.skipped_bytes += 1;
        }
    }
}

/// Bytes kept at the end of a scan that found nothing: the longest header a candidate needs to
/// be recognised (an RFC 4571 length, a STUN header up to its magic cookie) minus one.
const KEEP_WHILE_SCANNING: usize = 9;

enum Frame {
    Need,
    Bad,
    Len {
        prefix: usize,
        body: usize,
        total: usize,
    },
}

fn frame_len(framing: Framing, b: &[u8]) -> Frame {
    match framing {
        Framing::Rfc4571 => {
            if b.len() < 2 {
                return Frame::Need;
            }
            let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
            if len == 0 {
                return Frame::Bad;
            }
            Frame::Len {
                prefix: 2,
                body: len,
                total: 2 + len,
            }
        }
        Framing::StunChannelData | Framing::Unknown => {
            if b.len() < 4 {
                return Frame::Need;
            }
            let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
            match b[0] >> 6 {
                0 => {
                    if len % 4 != 0 {
                        return Frame::Bad;
                    }
                    if b.len() >= 8 && b[4..8] != MAGIC_COOKIE {
                        return Frame::Bad;
                    }
                    Frame::Len {
                        prefix: 0,
                        body: 20 + len,
                        total: 20 + len,
                    }
                }
                1 => Frame::Len {
                    prefix: 0,
                    body: 4 + len,
                    // Over TCP, ChannelData is padded to a multiple of 4 (RFC 8656 §12.5).
                    total: (4 + len).next_multiple_of(4),
                },
                _ => Frame::Bad,
            }
        }
    }
}

fn stun_at(b: &[u8]) -> bool {
    b.len() >= 8
        && b[0] >> 6 == 0
        && b[4..8] == MAGIC_COOKIE
        && u16::from_be_bytes([b[2], b[3]]) % 4 == 0
}

fn channel_at(b: &[u8], known_channel: &dyn Fn(u16) -> bool) -> bool {
    b.len() >= 4 && b[0] >> 6 == 1 && known_channel(u16::from_be_bytes([b[0], b[1]]))
}

/// An RFC 4571 frame whose content looks like STUN, RTP/RTCP (version 2) or DTLS. `strict`
/// (used while the framing is still unknown) accepts STUN only: an ICE-TCP connection opens with
/// a Binding request (RFC 6544), and TLS or other text protocols easily look like a length
/// followed by a byte of the form 0b10xxxxxx.
fn rfc4571_at(b: &[u8], known_channel: &dyn Fn(u16) -> bool, strict: bool) -> bool {
    if b.len() < 4 {
        return false;
    }
    let len = usize::from(u16::from_be_bytes([b[0], b[1]]));
    let inner = &b[2..];
    if len < 12 {
        return false;
    }
    if strict {
        return stun_at(inner);
    }
    stun_at(inner)
        || inner[0] >> 6 == 2
        || (20..=63).contains(&inner[0]) && inner.len() >= 3 && inner[1] == 0xfe
        || channel_at(inner, known_channel)
}

/// Mid-stream, an RFC 4571 frame holding STUN found at `i` may instead be STUN relayed in
/// ChannelData starting at `i - 2` (its channel number, then the same length). Returns
/// `i - 2` when that reading is as good: a channel number (0x40 to 0x7f first), a message
/// within `max`, and after it (with its padding) either the end of what is there, or a byte
/// that starts STUN or ChannelData while the RFC 4571 reading's next frame would not hold what
/// ICE-TCP carries.
fn channel_data_reading(b: &[u8], i: usize, max: usize) -> Option<usize> {
    let at = i.checked_sub(2)?;
    if b[at] >> 6 != 1 {
        return None;
    }
    let Frame::Len { total, .. } = frame_len(Framing::StunChannelData, &b[at..]) else {
        return None;
    };
    if total > max + 2 {
        return None;
    }
    let Frame::Len {
        total: rfc_total, ..
    } = frame_len(Framing::Rfc4571, &b[i..])
    else {
        return None;
    };
    let after_cd = b.get(at + total..).unwrap_or(&[]);
    let after_rfc = b.get(i + rfc_total..).unwrap_or(&[]);
    let cd_next_ok = after_cd.is_empty() || matches!(after_cd[0] >> 6, 0 | 1);
    let rfc_next_ok = after_rfc.len() >= 4 && rfc4571_at(after_rfc, &|_| false, false);
    (cd_next_ok && !rfc_next_ok).then_some(at)
}

/// The framing a message starting at `b[0]` would be cut by, given the framing already in use
/// (`Unknown` before the first message). Only a message that framing accepts whole (known
/// length, within `max`) is a candidate, so the cutter never lands on a start it then rejects.
fn detect(
    b: &[u8],
    current: Framing,
    known_channel: &dyn Fn(u16) -> bool,
    max: usize,
) -> Option<Framing> {
    // Prefer the self-describing STUN/ChannelData reading: an RFC 4571 length of 0x00xx
    // followed by "STUN" can only be misread when the STUN type itself looks like a length.
    let found = match current {
        Framing::StunChannelData => {
            (stun_at(b) || channel_at(b, known_channel)).then_some(Framing::StunChannelData)
        }
        Framing::Rfc4571 => rfc4571_at(b, known_channel, false).then_some(Framing::Rfc4571),
        Framing::Unknown => {
            if stun_at(b) || channel_at(b, known_channel) {
                Some(Framing::StunChannelData)
            } else if rfc4571_at(b, known_channel, true) {
                Some(Framing::Rfc4571)
            } else {
                None
            }
        }
    }?;
    match frame_len(found, b) {
        Frame::Len { total, .. } if total <= max + 2 => Some(found),
        Frame::Need => Some(found),
        _ => None,
    }
}

/// Finds the first plausible message start for the framing in use; returns its offset and
/// framing. Linear in `b`, and cheap per byte: STUN (and, while the framing is unknown, an
/// RFC 4571 frame holding STUN) is found by searching for the magic cookie, which a vectorised
/// search does at memory speed; only ChannelData (first byte 0x40 to 0x7f, on a known channel)
/// and an established RFC 4571 framing need each byte looked at. Every candidate is then
/// checked whole by [`detect`].
fn resync(
    b: &[u8],
    current: Framing,
    known_channel: &dyn Fn(u16) -> bool,
    max: usize,
) -> Option<(usize, Framing)> {
    static COOKIE: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let cookie = COOKIE.get_or_init(|| memchr::memmem::Finder::new(&MAGIC_COOKIE));
    let end = b.len().saturating_sub(3);
    // The first cookie at or after offset `from`, or past the end.
    let next_cookie = |from: usize| {
        b.get(from..)
            .and_then(|rest| cookie.find(rest))
            .map_or(usize::MAX, |p| from + p)
    };
    let mut cookie_at = next_cookie(4);
    for i in 0..end {
        if cookie_at < i + 4 {
            cookie_at = next_cookie(i + 4);
        }
        let by_cookie = cookie_at == i + 4 || cookie_at == i + 6;
        let by_byte = current == Framing::Rfc4571
            || (b[i] >> 6 == 1 && known_channel(u16::from_be_bytes([b[i], b[i + 1]])));
        if by_cookie || by_byte {
            if let Some(f) = detect(&b[i..], current, known_channel, max) {
                if f == Framing::Rfc4571 && current == Framing::Unknown && i >= 2 {
                    if let Some(at) = channel_data_reading(b, i, max) {
                        return Some((at, Framing::StunChannelData));
                    }
                }
                return Some((i, f));
            }
        }
    }
    None
}
