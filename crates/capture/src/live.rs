//! Live capture through libpcap.
//!
//! The capture runs non-blocking and waits on its file descriptor with `poll` for at most 100 ms
//! when drained, so a caller's loop reacts to Ctrl-C, `-a duration:` or a refresh tick even on
//! an idle interface ([`LiveCapture::next_packet`] returns `Ok(None)` then). Packets come a
//! ring block at a time (TPACKET_V3, not immediate mode): a block is handed over when full or
//! 100 ms old, so a packet is seen at most about 100 ms after it arrived.

use crate::file::Packet;
use crate::link::LinkType;
use std::fmt;

/// The fix printed with a missing-privilege error.
pub const PRIVILEGE_FIX: &str = "run as root, or grant the capability once with \
     `sudo setcap cap_net_raw,cap_net_admin=eip \"$(command -v rtcscope)\"`";

/// Why a live capture could not start or stopped.
#[derive(Debug)]
pub enum LiveError {
    /// The process may not capture on this interface.
    Permission {
        /// The interface.
        interface: String,
        /// libpcap's message.
        message: String,
    },
    /// No interface of that name.
    NoSuchInterface {
        /// The name given.
        interface: String,
        /// libpcap's message.
        message: String,
    },
    /// The capture filter does not compile.
    BadFilter {
        /// The filter given.
        filter: String,
        /// libpcap's message.
        message: String,
    },
    /// Any other libpcap error.
    Pcap(String),
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Permission { interface, message } => write!(
                f,
                "no permission to capture on {interface} ({message}); {PRIVILEGE_FIX}"
            ),
            LiveError::NoSuchInterface { interface, message } => write!(
                f,
                "no interface {interface} ({message}); `rtcscope analyze -D` lists them"
            ),
            LiveError::BadFilter { filter, message } => {
                write!(f, "capture filter {filter:?} is not valid BPF: {message}")
            }
            LiveError::Pcap(m) => write!(f, "libpcap: {m}"),
        }
    }
}

impl std::error::Error for LiveError {}

fn classify(interface: &str, e: pcap::Error) -> LiveError {
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Permission {
            interface: interface.to_owned(),
            message,
        }
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        LiveError::NoSuchInterface {
            interface: interface.to_owned(),
            message,
        }
    } else {
        LiveError::Pcap(message)
    }
}

/// An interface as `-D` lists it.
#[derive(Clone, Debug)]
pub struct InterfaceInfo {
    /// Name to pass to `-i`.
    pub name: String,
    /// Description, when the system has one.
    pub description: Option<String>,
    /// Its addresses.
    pub addresses: Vec<std::net::IpAddr>,
    /// Whether it is up.
    pub up: bool,
    /// Whether it is a loopback interface.
    pub loopback: bool,
}

/// Lists the interfaces libpcap can capture on.
pub fn list_interfaces() -> Result<Vec<InterfaceInfo>, LiveError> {
    let devices = pcap::Device::list().map_err(|e| classify("(any)", e))?;
    Ok(devices
        .into_iter()
        .map(|d| InterfaceInfo {
            up: d.flags.is_up(),
            loopback: d.flags.is_loopback(),
            addresses: d.addresses.iter().map(|a| a.addr).collect(),
            description: d.desc,
            name: d.name,
        })
        .collect())
}

/// Now, in the clock live packets are stamped with (the system's real-time clock, ns since
/// the Unix epoch), for callers that age what they saw while no packet arrives.
pub fn clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The kernel ring's size unless `-B` chooses another: 16 MiB, in which no rate this project's
/// generator could offer (865k packets/s, docs/benchmarks.md) lost a packet.
pub const DEFAULT_BUFFER_BYTES: usize = 16 << 20;

/// Kernel and interface counters of a live capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveStats {
    /// Packets received by the filter.
    pub received: u64,
    /// Packets dropped because the kernel buffer was full.
    pub dropped: u64,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// A running live capture.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    link_type: LinkType,
    interface: String,
    packets: u64,
    /// The last read found nothing: wait on the descriptor before reading again.
    drained: bool,
}

impl LiveCapture {
    /// Opens `interface` (`any` captures on every interface) with an optional BPF `filter`
    /// and a kernel ring of `buffer_bytes` ([`DEFAULT_BUFFER_BYTES`] unless the user chose).
    /// `snaplen` 0 means the whole packet.
    pub fn open(
        interface: &str,
        filter: Option<&str>,
        snaplen: u32,
        buffer_bytes: usize,
    ) -> Result<Self, LiveError> {
        let snap = if snaplen == 0 { 262_144 } else { snaplen };
        let inactive = pcap::Capture::from_device(interface)
            .map_err(|e| classify(interface, e))?
            .snaplen(i32::try_from(snap).unwrap_or(i32::MAX))
            // Not immediate mode: libpcap then uses TPACKET_V3, whose ring hands over a block of
            // packets per wakeup (a full block, or one 100 ms old) instead of waking the reader
            // for every packet; at 100k packets/s immediate mode spent a third of its time in
            // context switches and dropped 1.4 % (docs/benchmarks.md). A packet waits at most
            // the 100 ms block timeout, which the non-blocking poll below also bounds.
            .immediate_mode(false)
            .timeout(100)
            .buffer_size(i32::try_from(buffer_bytes).unwrap_or(i32::MAX));
        let mut cap = inactive
            .open()
            .and_then(pcap::Capture::setnonblock)
            .map_err(|e| classify(interface, e))?;
        if let Some(f) = filter {
            cap.filter(f, true).map_err(|e| LiveError::BadFilter {
                filter: f.to_owned(),
                message: e.to_string(),
            })?;
        }
        let link_type = LinkType(cap.get_datalink().0 as u32);
        Ok(LiveCapture {
            cap,
            link_type,
            interface: interface.to_owned(),
            packets: 0,
            drained: false,
        })
    }

    /// The interface name.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The link type of captured frames.
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// Packets returned so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The next packet, or `Ok(None)` when none arrived within 100 ms.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, LiveError> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        if self.drained {
            let mut fds = [PollFd::new(&self.cap, PollFlags::IN)];
            let wait = Timespec {
                tv_sec: 0,
                tv_nsec: 100_000_000,
            };
            match poll(&mut fds, Some(&wait)) {
                Ok(0) => return Ok(None),
                Ok(_) => {}
                // A signal (Ctrl-C) interrupts the wait: let the caller look at its flags.
                Err(rustix::io::Errno::INTR) => return Ok(None),
                Err(e) => return Err(LiveError::Pcap(format!("poll: {e}"))),
            }
        }
        match self.cap.next_packet() {
            Ok(p) => {
                self.drained = false;
                self.packets += 1;
                let ts = i128::from(p.header.ts.tv_sec) * 1_000_000_000
                    + i128::from(p.header.ts.tv_usec) * 1_000;
                Ok(Some(Packet {
                    number: self.packets,
                    ts_nanos: ts,
                    interface: 0,
                    link_type: self.link_type,
                    data: p.data,
                    orig_len: p.header.len,
                    stream_offset: None,
                }))
            }
            Err(pcap::Error::TimeoutExpired) => {
                self.drained = true;
                Ok(None)
            }
            Err(e) => Err(classify(&self.interface, e)),
        }
    }

    /// The kernel's counters so far (libpcap's `pcap_stats`).
    pub fn stats(&mut self) -> Result<LiveStats, LiveError> {
        let s = self.cap.stats().map_err(|e| classify(&self.interface, e))?;
        Ok(LiveStats {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        })
    }
}
