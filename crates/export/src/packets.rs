//! The `packets` table: one row per frame, with what the engine made of it
//! ([`Verdict`]) and the per-protocol fields read from its payload by the parser crates.
//!
//! Rows go straight into Arrow builders (addresses and hex are formatted into the string
//! builders' own buffers), so a packet allocates nothing of its own; every `batch_rows` rows
//! become one record batch, one Parquet row group, and the builders start again.

use crate::columns::timestamp_type;
use crate::sink::Sink;
use crate::Error;
use arrow_array::builder::{
    BooleanBuilder, StringBuilder, TimestampNanosecondBuilder, UInt16Builder, UInt32Builder,
    UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use rtcscope_analysis::demux::Kind;
use rtcscope_analysis::flow::{FlowKey, Transport};
use rtcscope_analysis::Verdict;
use rtcscope_capture::file::Packet;
use rtcscope_capture::link::{decode, decode_transport, Decoded, NotTransport};
use rtcscope_capture::reassembly::IpReassembler;
use rtcscope_rtp::rtcp::Compound;
use rtcscope_rtp::rtp::RtpPacket;
use rtcscope_stun::{AttributeType, ChannelData, Class, Message};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The engine's name of a payload kind, as the flows' `counts` name it.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Stun => "stun",
        Kind::ClassicStun => "classic_stun",
        Kind::ChannelData => "channel_data",
        Kind::Dtls => "dtls",
        Kind::Rtp => "rtp",
        Kind::Rtcp => "rtcp",
        Kind::Sctp => "sctp",
        Kind::Unknown => "unknown",
    }
}

/// The columns of `packets`, in order (name, type).
pub fn columns() -> Vec<(&'static str, DataType)> {
    use DataType::*;
    vec![
        ("number", UInt64),
        ("time", timestamp_type()),
        ("frame_len", UInt32),
        ("wire_len", UInt32),
        ("transport", Utf8),
        ("src_ip", Utf8),
        ("src_port", UInt16),
        ("dst_ip", Utf8),
        ("dst_port", UInt16),
        ("flow_a", Utf8),
        ("flow_b", Utf8),
        ("direction", Utf8),
        ("payload_len", UInt32),
        ("kind", Utf8),
        ("ice_session", UInt32),
        ("inner_kind", Utf8),
        ("inner_a", Utf8),
        ("inner_b", Utf8),
        ("inner_relay", UInt32),
        ("relay_copy", UInt32),
        ("stun_class", Utf8),
        ("stun_method", Utf8),
        ("stun_type", UInt16),
        ("stun_transaction_id", Utf8),
        ("rtp_ssrc", UInt32),
        ("rtp_payload_type", UInt8),
        ("rtp_seq", UInt16),
        ("rtp_timestamp", UInt32),
        ("rtp_marker", Boolean),
        ("rtcp_types", Utf8),
        ("rtcp_ssrc", UInt32),
    ]
}

/// The Arrow schema of `packets`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(
        columns()
            .into_iter()
            .map(|(n, t)| Field::new(n, t, n != "number" && n != "time"))
            .collect::<Vec<_>>(),
    ))
}

/// Builders for one batch of `packets` rows.
struct Builders {
    number: UInt64Builder,
    time: TimestampNanosecondBuilder,
    frame_len: UInt32Builder,
    wire_len: UInt32Builder,
    transport: StringBuilder,
    src_ip: StringBuilder,
    src_port: UInt16Builder,
    dst_ip: StringBuilder,
    dst_port: UInt16Builder,
    flow_a: StringBuilder,
    flow_b: StringBuilder,
    direction: StringBuilder,
    payload_len: UInt32Builder,
    kind: StringBuilder,
    ice_session: UInt32Builder,
    inner_kind: StringBuilder,
    inner_a: StringBuilder,
    inner_b: StringBuilder,
    inner_relay: UInt32Builder,
    relay_copy: UInt32Builder,
    stun_class: StringBuilder,
    stun_method: StringBuilder,
    stun_type: UInt16Builder,
    stun_transaction_id: StringBuilder,
    rtp_ssrc: UInt32Builder,
    rtp_payload_type: UInt8Builder,
    rtp_seq: UInt16Builder,
    rtp_timestamp: UInt32Builder,
    rtp_marker: BooleanBuilder,
    rtcp_types: StringBuilder,
    rtcp_ssrc: UInt32Builder,
}

impl Builders {
    fn new(rows: usize) -> Self {
        let s = || StringBuilder::with_capacity(rows, rows * 8);
        Builders {
            number: UInt64Builder::with_capacity(rows),
            time: TimestampNanosecondBuilder::with_capacity(rows).with_timezone("UTC"),
            frame_len: UInt32Builder::with_capacity(rows),
            wire_len: UInt32Builder::with_capacity(rows),
            transport: s(),
            src_ip: s(),
            src_port: UInt16Builder::with_capacity(rows),
            dst_ip: s(),
            dst_port: UInt16Builder::with_capacity(rows),
            flow_a: s(),
            flow_b: s(),
            direction: s(),
            payload_len: UInt32Builder::with_capacity(rows),
            kind: s(),
            ice_session: UInt32Builder::with_capacity(rows),
            inner_kind: s(),
            inner_a: s(),
            inner_b: s(),
            inner_relay: UInt32Builder::with_capacity(rows),
            relay_copy: UInt32Builder::with_capacity(rows),
            stun_class: s(),
            stun_method: s(),
            stun_type: UInt16Builder::with_capacity(rows),
            stun_transaction_id: s(),
            rtp_ssrc: UInt32Builder::with_capacity(rows),
            rtp_payload_type: UInt8Builder::with_capacity(rows),
            rtp_seq: UInt16Builder::with_capacity(rows),
            rtp_timestamp: UInt32Builder::with_capacity(rows),
            rtp_marker: BooleanBuilder::with_capacity(rows),
            rtcp_types: s(),
            rtcp_ssrc: UInt32Builder::with_capacity(rows),
        }
    }

    fn finish(&mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.number.finish()),
            Arc::new(self.time.finish()),
            Arc::new(self.frame_len.finish()),
            Arc::new(self.wire_len.finish()),
            Arc::new(self.transport.finish()),
            Arc::new(self.src_ip.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_ip.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.flow_a.finish()),
            Arc::new(self.flow_b.finish()),
            Arc::new(self.direction.finish()),
            Arc::new(self.payload_len.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.ice_session.finish()),
            Arc::new(self.inner_kind.finish()),
            Arc::new(self.inner_a.finish()),
            Arc::new(self.inner_b.finish()),
            Arc::new(self.inner_relay.finish()),
            Arc::new(self.relay_copy.finish()),
            Arc::new(self.stun_class.finish()),
            Arc::new(self.stun_method.finish()),
            Arc::new(self.stun_type.finish()),
            Arc::new(self.stun_transaction_id.finish()),
            Arc::new(self.rtp_ssrc.finish()),
            Arc::new(self.rtp_payload_type.finish()),
            Arc::new(self.rtp_seq.finish()),
            Arc::new(self.rtp_timestamp.finish()),
            Arc::new(self.rtp_marker.finish()),
            Arc::new(self.rtcp_types.finish()),
            Arc::new(self.rtcp_ssrc.finish()),
        ]
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends a `Display` value to a string builder without a temporary `String`.
fn put(b: &mut StringBuilder, v: impl std::fmt::Display) {
    let _ = write!(b, "{v}");
    b.append_value("");
}

/// The text of an address as the tables write it, `ip:port` and `ip`.
struct AddrText {
    addr: SocketAddr,
    full: String,
    ip: String,
}

/// Addresses formatted once and reused: a packet's four addresses would otherwise cost a
/// quarter of the export's time in `fmt`. Direct-mapped, fixed size, and its strings keep their
/// capacity (room for the longest IPv6 text), so a miss formats in place without allocating.
struct AddrCache {
    slots: Vec<AddrText>,
}

impl AddrCache {
    const SLOTS: usize = 256;

    fn new() -> Self {
        let unset = SocketAddr::from(([0, 0, 0, 0], 0));
        AddrCache {
            slots: (0..Self::SLOTS)
                .map(|_| {
                    let mut t = AddrText {
                        addr: unset,
                        full: String::with_capacity(56),
                        ip: String::with_capacity(48),
                    };
                    t.fill(unset);
                    t
                })
                .collect(),
        }
    }

    fn get(&mut self, addr: SocketAddr) -> &AddrText {
        let h = match addr.ip() {
            IpAddr::V4(ip) => u64::from(ip.to_bits()),
            IpAddr::V6(ip) => {
                let b = ip.to_bits();
                (b as u64) ^ ((b >> 64) as u64)
            }
        };
        let h = (h ^ u64::from(addr.port()) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = &mut self.slots[(h >> 56) as usize % Self::SLOTS];
        if slot.addr != addr {
            slot.fill(addr);
        }
        slot
    }
}

impl AddrText {
    fn fill(&mut self, addr: SocketAddr) {
        self.addr = addr;
        self.full.clear();
        self.ip.clear();
        let _ = write!(self.full, "{addr}");
        let _ = write!(self.ip, "{}", addr.ip());
    }
}

fn put_str_opt(b: &mut StringBuilder, v: Option<&str>) {
    match v {
        Some(v) => b.append_value(v),
        None => b.append_null(),
    }
}

fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
    }
}

/// The message a TCP segment or UDP datagram starts with: for TCP, RTP and RTCP carry the
/// RFC 4571 two-byte length first, and so does STUN on an ICE-TCP connection (RFC 6544 §3),
/// told from STUN on a TURN connection (RFC 8656 §5: no length before it) by where the magic
/// cookie is. (A TCP message that began in an earlier segment is not read again: its fields
/// stay null.)
fn message(transport: Transport, kind: Kind, payload: &[u8]) -> &[u8] {
    let cookie = rtcscope_stun::MAGIC_COOKIE.to_be_bytes();
    let framed = || {
        let len = usize::from(u16::from_be_bytes([payload[0], payload[1]]));
        payload.get(2..2 + len).unwrap_or(&payload[2..])
    };
    match (transport, kind) {
        (Transport::Tcp, Kind::Rtp | Kind::Rtcp) if payload.len() >= 2 => framed(),
        (Transport::Tcp, Kind::Stun)
            if payload.get(4..8) != Some(&cookie[..])
                && payload.get(6..10) == Some(&cookie[..]) =>
        {
            framed()
        }
        _ => payload,
    }
}

/// What a TURN relay message carries: ChannelData's data, a Send or Data indication's DATA.
fn relayed(kind: Kind, msg: &[u8]) -> Option<&[u8]> {
    match kind {
        Kind::ChannelData => ChannelData::parse_prefix(msg).ok().map(|(c, _)| c.data()),
        Kind::Stun => Message::parse_lax(msg)
            .ok()?
            .get(AttributeType::DATA)
            .map(|a| a.value()),
        _ => None,
    }
}

/// The `packets` table of one capture being written: batches of `batch_rows` rows, files of
/// at most `file_rows` rows (`part-0`, `part-1`, …).
pub(crate) struct PacketTable {
    b: Builders,
    ip: IpReassembler,
    addrs: AddrCache,
    schema: SchemaRef,
    pending: usize,
    batch_rows: usize,
    target: crate::Target,
    /// The file being written (`None` between a full file and the next batch).
    sink: Option<Sink>,
    part: usize,
    file_rows: u64,
    rows_in_file: u64,
    written: u64,
}

impl PacketTable {
    /// Opens `part-0` at once, so a capture without packets still has its (empty) file.
    pub(crate) fn new(target: crate::Target) -> Result<Self, Error> {
        let (batch_rows, file_rows) = target.rows();
        Ok(PacketTable {
            b: Builders::new(batch_rows.min(1 << 16)),
            ip: IpReassembler::default(),
            addrs: AddrCache::new(),
            schema: schema(),
            pending: 0,
            batch_rows,
            sink: Some(target.open(0)?),
            target,
            part: 0,
            file_rows,
            rows_in_file: 0,
            written: 0,
        })
    }

    /// Appends the row of one frame and the engine's verdict on it.
    pub(crate) fn push(&mut self, p: &Packet<'_>, v: &Verdict) -> Result<(), Error> {
        let b = &mut self.b;
        b.number.append_value(p.number);
        b.time
            .append_value(rtcscope_analysis::timestamp_ns(p.ts_nanos));
        b.frame_len
            .append_value(u32::try_from(p.data.len()).unwrap_or(u32::MAX));
        b.wire_len.append_value(p.orig_len);
        // The frame's own addresses and payload. IP fragments go through a reassembler of
        // their own, the engine's kind with its limits, so the fragment that completes a
        // datagram carries the datagram's fields as the engine read them (the others have
        // none); only fragmented datagrams cost an allocation here, as in the engine.
        let reassembled;
        let decoded: Option<Decoded<'_>> = match decode(p.link_type, p.data) {
            Ok(Ok(d)) => Some(d),
            Ok(Err(NotTransport::Fragment(f))) => match self.ip.push(&f, p.ts_nanos) {
                Some(r) => {
                    reassembled = r;
                    match decode_transport(
                        reassembled.protocol,
                        reassembled.src,
                        reassembled.dst,
                        &reassembled.payload,
                    ) {
                        Ok(Ok(d)) => Some(d),
                        _ => None,
                    }
                }
                None => None,
            },
            _ => None,
        };
        let transport =
            v.flow
                .map(|f| f.transport)
                .or(decoded.as_ref().map(|d| match d.transport {
                    rtcscope_capture::Transport::Udp => Transport::Udp,
                    rtcscope_capture::Transport::Tcp { .. } => Transport::Tcp,
                }));
        put_str_opt(&mut b.transport, transport.map(transport_name));
        match &decoded {
            Some(d) => {
                b.src_ip.append_value(&self.addrs.get(d.src).ip);
                b.src_port.append_value(d.src.port());
                b.dst_ip.append_value(&self.addrs.get(d.dst).ip);
                b.dst_port.append_value(d.dst.port());
                b.payload_len
                    .append_value(u32::try_from(d.payload.len()).unwrap_or(u32::MAX));
            }
            None => {
                b.src_ip.append_null();
                b.src_port.append_null();
                b.dst_ip.append_null();
                b.dst_port.append_null();
                b.payload_len.append_null();
            }
        }
        match v.flow {
            Some(f) => {
                b.flow_a.append_value(&self.addrs.get(f.lo).full);
                b.flow_b.append_value(&self.addrs.get(f.hi).full);
                match &decoded {
                    Some(d) if (d.src, d.dst) == (f.lo, f.hi) => b.direction.append_value("a_to_b"),
                    Some(d) if (d.src, d.dst) == (f.hi, f.lo) => b.direction.append_value("b_to_a"),
                    _ => b.direction.append_null(),
                }
            }
            None => {
                b.flow_a.append_null();
                b.flow_b.append_null();
                b.direction.append_null();
            }
        }
        put_str_opt(&mut b.kind, v.kind.map(kind_name));
        b.ice_session.append_option(v.ice_session);
        let inner: Option<(Kind, FlowKey)> = v.inner;
        put_str_opt(&mut b.inner_kind, inner.map(|(k, _)| kind_name(k)));
        match inner {
            Some((_, f)) => {
                b.inner_a.append_value(&self.addrs.get(f.lo).full);
                b.inner_b.append_value(&self.addrs.get(f.hi).full);
            }
            None => {
                b.inner_a.append_null();
                b.inner_b.append_null();
            }
        }
        b.inner_relay
            .append_option(inner.and_then(|(_, f)| f.relay));
        b.relay_copy.append_option(v.relay_copy);

        // The per-protocol fields describe the message the engine analysed: the relayed one
        // when a TURN relay carried it, else the packet's own.
        let outer = match (&decoded, v.kind, transport) {
            (Some(d), Some(k), Some(t)) => Some((k, message(t, k, d.payload))),
            _ => None,
        };
        let analysed = match (outer, inner) {
            (Some((k, msg)), Some((ik, _))) => relayed(k, msg).map(|m| (ik, m)),
            (o, None) => o,
            (None, Some(_)) => None,
        };
        let (mut stun, mut rtp, mut rtcp) = (None, None, None);
        match analysed {
            Some((Kind::Stun | Kind::ClassicStun, m)) => stun = Message::parse_lax(m).ok(),
            Some((Kind::Rtp, m)) => rtp = RtpPacket::new_checked_opaque(m).ok(),
            Some((Kind::Rtcp, m)) => rtcp = Some(Compound::new(m)),
            _ => {}
        }
        match &stun {
            Some(m) => {
                let class = m.class();
                b.stun_class.append_value(match class {
                    Class::REQUEST => "request",
                    Class::INDICATION => "indication",
                    Class::SUCCESS => "success",
                    _ => "error",
                });
                match m.method().name() {
                    Some(name) => b.stun_method.append_value(name),
                    None => put(&mut b.stun_method, m.method()),
                }
                b.stun_type.append_value(m.raw_type());
                let mut hex = [0u8; 32];
                let tid = m.transaction_id();
                let id = tid.as_bytes();
                for (i, byte) in id.iter().take(16).enumerate() {
                    hex[2 * i] = HEX[usize::from(byte >> 4)];
                    hex[2 * i + 1] = HEX[usize::from(byte & 15)];
                }
                let n = 2 * id.len().min(16);
                b.stun_transaction_id
                    .append_value(std::str::from_utf8(&hex[..n]).unwrap_or_default());
            }
            None => {
                b.stun_class.append_null();
                b.stun_method.append_null();
                b.stun_type.append_null();
                b.stun_transaction_id.append_null();
            }
        }
        match &rtp {
            Some(r) => {
                b.rtp_ssrc.append_value(r.ssrc());
                b.rtp_payload_type.append_value(r.payload_type());
                b.rtp_seq.append_value(r.sequence_number());
                b.rtp_timestamp.append_value(r.timestamp());
                b.rtp_marker.append_value(r.marker());
            }
            None => {
                // The engine's SSRC when the header did not parse here (a TCP message that
                // began in an earlier segment).
                b.rtp_ssrc.append_option(v.ssrc);
                b.rtp_payload_type.append_null();
                b.rtp_seq.append_null();
                b.rtp_timestamp.append_null();
                b.rtp_marker.append_null();
            }
        }
        match &rtcp {
            Some(c) => {
                // The packet types of the compound packet, up to the first that does not parse
                // (under SRTCP only the first header is clear).
                let mut first = None;
                for (i, p) in c.iter().map_while(Result::ok).enumerate() {
                    if i == 0 {
                        first = p.sender_ssrc();
                    } else {
                        let _ = b.rtcp_types.write_char(',');
                    }
                    let _ = write!(b.rtcp_types, "{}", p.packet_type().0);
                }
                b.rtcp_types.append_value("");
                b.rtcp_ssrc.append_option(first);
            }
            None => {
                b.rtcp_types.append_null();
                b.rtcp_ssrc.append_null();
            }
        }
        self.pending += 1;
        if self.pending >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if self.pending == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new(self.schema.clone(), self.b.finish())
            .map_err(|e| Error::Schema(e.to_string()))?;
        self.pending = 0;
        let sink = match &mut self.sink {
            Some(s) => s,
            None => {
                self.part += 1;
                self.rows_in_file = 0;
                self.sink.insert(self.target.open(self.part)?)
            }
        };
        sink.write(&batch)?;
        self.rows_in_file += batch.num_rows() as u64;
        if self.rows_in_file >= self.file_rows {
            if let Some(full) = self.sink.take() {
                self.written += full.finish()?;
            }
        }
        Ok(())
    }

    /// Writes what is pending and closes the file; returns the rows written.
    pub(crate) fn finish(mut self) -> Result<u64, Error> {
        self.flush()?;
        if let Some(s) = self.sink.take() {
            self.written += s.finish()?;
        }
        Ok(self.written)
    }
}
