//! Writing pcapng, including the Interface Statistics Block with the drop counts.
//!
//! libpcap writes classic pcap only, which cannot carry drop counts or several interfaces, so
//! rtcscope writes pcapng itself (pcapng specification, draft-ietf-opsawg-pcapng): one Section
//! Header Block, one Interface Description Block per interface (nanosecond timestamps), Enhanced
//! Packet Blocks, and an Interface Statistics Block per interface at the end.

use crate::link::LinkType;
use std::io::{self, Write};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const ISB: u32 = 0x0000_0005;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Counters for an Interface Statistics Block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterfaceStats {
    /// Packets the capture received (`isb_ifrecv`).
    pub received: u64,
    /// Packets dropped by the interface (`isb_ifdrop`).
    pub if_dropped: u64,
    /// Packets dropped by the operating system, e.g. a full kernel buffer (`isb_osdrop`).
    pub os_dropped: u64,
}

/// A pcapng writer over any [`Write`].
pub struct PcapNgWriter<W: Write> {
    out: W,
    interfaces: u32,
    scratch: Vec<u8>,
}

impl<W: Write> PcapNgWriter<W> {
    /// Writes the Section Header Block, naming rtcscope as the writing application.
    pub fn new(mut out: W) -> io::Result<Self> {
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        let app = concat!("rtcscope ", env!("CARGO_PKG_VERSION"));
        option(&mut body, 4, app.as_bytes()); // shb_userappl
        end_of_options(&mut body);
        block(&mut out, SHB, &body)?;
        Ok(PcapNgWriter {
            out,
            interfaces: 0,
            scratch: Vec::with_capacity(2048),
        })
    }

    /// Declares an interface; returns its id for [`write_packet`](Self::write_packet).
    /// Timestamps are written with nanosecond resolution.
    pub fn add_interface(&mut self, link: LinkType, snaplen: u32, name: &str) -> io::Result<u32> {
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&(link.0 as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&snaplen.to_le_bytes());
        if !name.is_empty() {
            option(&mut body, 2, name.as_bytes()); // if_name
        }
        option(&mut body, 9, &[9]); // if_tsresol: 10^-9
        end_of_options(&mut body);
        block(&mut self.out, IDB, &body)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes one packet (an Enhanced Packet Block). No allocation after the first packets:
    /// the block is assembled in a reused buffer.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts_nanos: i128,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let ts = u64::try_from(ts_nanos.max(0)).unwrap_or(u64::MAX);
        let b = &mut self.scratch;
        b.clear();
        b.extend_from_slice(&interface.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&orig_len.to_le_bytes());
        b.extend_from_slice(data);
        b.resize(b.len().next_multiple_of(4), 0);
        block(&mut self.out, EPB, b)
    }

    /// Writes an Interface Statistics Block (typically once per interface, at the end).
    pub fn write_stats(
        &mut self,
        interface: u32,
        ts_nanos: i128,
        stats: InterfaceStats,
    ) -> io::Result<()> {
        let ts = u64::try_from(ts_nanos.max(0)).unwrap_or(u64::MAX);
        let mut body = Vec::with_capacity(64);
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        option(&mut body, 4, &stats.received.to_le_bytes()); // isb_ifrecv
        option(&mut body, 5, &stats.if_dropped.to_le_bytes()); // isb_ifdrop
        option(&mut body, 7, &stats.os_dropped.to_le_bytes()); // isb_osdrop
        end_of_options(&mut body);
        block(&mut self.out, ISB, &body)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn option(body: &mut Vec<u8>, code: u16, value: &[u8]) {
    body.extend_from_slice(&code.to_le_bytes());
    body.extend_from_slice(&(value.len() as u16).to_le_bytes());
    body.extend_from_slice(value);
    body.resize(body.len().next_multiple_of(4), 0);
}

fn end_of_options(body: &mut Vec<u8>) {
    body.extend_from_slice(&[0, 0, 0, 0]);
}

fn block<W: Write>(out: &mut W, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}
