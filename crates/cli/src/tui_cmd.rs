//! `rtcscope live` and `rtcscope open`: the terminal UI on a live capture or a capture file.

use crate::value;
use anyhow::{bail, Context as _};
use clap::Args;
use rtcscope_analysis::sdp_hints::{self, SdpKnowledge};
use rtcscope_analysis::{Config, DEFAULT_MAX_FLOWS};
use rtcscope_capture::live::LiveCapture;
use rtcscope_capture::source::PacketSource;
use rtcscope_capture::writer::PcapNgWriter;
use rtcscope_tui::ring::{PacketRing, DEFAULT_MAX_BYTES, DEFAULT_MAX_PACKETS};
use rtcscope_tui::source::{close_live_writer, LiveOptions};
use rtcscope_tui::store::{FileIndex, PacketStore};
use rtcscope_tui::{source, App, CaptureState, Mode, Progress, Shared};
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Settings both commands share.
#[derive(Args, Debug)]
pub struct UiArgs {
    /// STUN server for the NAT check view (HOST:PORT; repeatable; an RFC 5780 server such as
    /// `rtcscope stun-server` runs the full test).
    #[arg(long = "nat-server", value_name = "HOST:PORT")]
    nat_server: Vec<String>,
    /// Packets kept for the packet view of a live capture or standard input (raw bytes,
    /// dissected when shown; 1 to 10000000). A capture file is indexed instead: every packet
    /// can be shown, read back from the file.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_PACKETS,
        value_parser = value::whole(1usize, 10_000_000, "packets"),
        allow_negative_numbers = true
    )]
    ring: usize,
    /// An SDP offer or answer of the call (raw, or a signalling JSON blob): codec names and
    /// clock rates, header-extension ids, RTX groups, the certificate fingerprint check and the
    /// candidates' types in the ICE view; repeatable.
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<String>,
    /// Megabytes of packet data kept for the packet view of a live capture or standard input
    /// (1 to 65536).
    #[arg(
        long,
        value_name = "MB",
        default_value_t = DEFAULT_MAX_BYTES >> 20,
        value_parser = value::whole(1usize, 65_536, "MB"),
        allow_negative_numbers = true
    )]
    ring_mb: usize,
    /// Flows tracked at once; the flow idle longest is forgotten beyond this (1 to 10000000).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_FLOWS,
        value_parser = value::whole(1usize, 10_000_000, "flows"),
        allow_negative_numbers = true
    )]
    max_flows: usize,
    #[command(flatten)]
    keys: crate::loader::KeyArgs,
}

/// Arguments of `rtcscope live`.
#[derive(Args, Debug)]
pub struct LiveArgs {
    /// Interface to capture on (`any` for all); needs root or CAP_NET_RAW.
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        default_value = "any"
    )]
    interface: String,
    /// BPF capture filter (as for tcpdump).
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Save the capture to this pcapng file (with the kernel's drop counts), as `analyze -i -w`.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,
    /// The kernel's capture ring, in MiB, 16 unless given (as tshark's and dumpcap's `-B`;
    /// tcpdump's counts KiB).
    #[arg(
        short = 'B',
        long = "buffer-size",
        value_name = "MiB",
        value_parser = value::whole(1usize, 2048, "MiB"),
        allow_negative_numbers = true
    )]
    buffer_size: Option<usize>,
    /// Stop capturing after N packets; the UI stays open on them.
    #[arg(
        short = 'c',
        long = "count",
        value_name = "N",
        value_parser = value::whole(1u64, u64::MAX, "packets")
    )]
    count: Option<u64>,
    /// Stop capturing after `duration:SECONDS` (at most 30 days); the UI stays open.
    #[arg(
        short = 'a',
        long = "autostop",
        value_name = "duration:S",
        value_parser = value::autostop(0.001, 30.0 * 86_400.0),
        allow_negative_numbers = true
    )]
    autostop: Option<std::time::Duration>,
    #[command(flatten)]
    ui: UiArgs,
}

/// Arguments of `rtcscope open`.
#[derive(Args, Debug)]
pub struct OpenArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(value_name = "FILE", conflicts_with = "read")]
    file: Option<String>,
    /// Capture file to read (`-r -` for standard input).
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    read: Option<String>,
    #[command(flatten)]
    ui: UiArgs,
}

fn new_app(mode: Mode, ui: &UiArgs, sdp: Option<&SdpKnowledge>) -> App {
    let mut app = App::new(mode, 80, 24);
    app.nat_servers = ui.nat_server.clone();
    if let Some(k) = sdp {
        app.sdp_candidates = k.candidates.clone();
    }
    app
}

/// The capture-side state, its engine primed with what the SDPs say (before the capture or
/// loader thread feeds it).
/// A capture file (`index`) is indexed for the packet view; anything else keeps a ring.
fn state(
    ui: &UiArgs,
    progress: Progress,
    sdp: Option<&SdpKnowledge>,
    index: Option<FileIndex>,
    keys: rtcscope_analysis::decrypt::KeyStore,
) -> CaptureState {
    let store: PacketStore = match index {
        Some(i) => i.into(),
        // At most 64 GiB; saturating where usize is narrower.
        None => PacketRing::new(ui.ring, ui.ring_mb.saturating_mul(1 << 20)).into(),
    };
    let mut state = CaptureState::new(
        Config {
            max_flows: ui.max_flows,
            ..Config::default()
        },
        store,
        progress,
    );
    if let Some(k) = sdp {
        state.set_sdp(k.hints.clone(), k.fingerprints.clone(), k.srtp);
        state.engine.set_sdp_candidates(k.candidates.clone());
    }
    // Keys from --keylog, --srtp-key and the SDPs' a=crypto lines, as analyze takes them.
    state.engine.set_keys(keys);
    state
}

/// A signal (SIGTERM from `kill`, SIGHUP from a closed terminal, SIGINT from outside: in raw
/// mode Ctrl-C is a key, not a signal) puts the terminal back before the process ends, so the
/// shell is not left in raw mode on the alternate screen.
fn restore_terminal_on_signals() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        rtcscope_tui::term::restore();
        std::process::exit(143);
    })
    .context("installing the signal handler")
}

fn need_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!("the terminal UI needs a terminal; for a report use `rtcscope analyze`");
    }
    Ok(())
}

/// Runs `rtcscope live`.
pub fn run_live(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    need_terminal()?;
    restore_terminal_on_signals()?;
    let sdp = sdp_hints::load(&args.ui.sdp)?;
    // Opened before the screen switches, so a missing privilege or an unwritable `-w` file
    // prints plainly with its fix.
    let ring = args
        .buffer_size
        .map_or(rtcscope_capture::live::DEFAULT_BUFFER_BYTES, |m| m << 20);
    let cap = LiveCapture::open(&args.interface, args.filter.as_deref(), 0, ring)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let writer = match &args.write {
        Some(path) => {
            let f = std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?;
            let out: Box<dyn std::io::Write + Send> = Box::new(std::io::BufWriter::new(f));
            let mut w = PcapNgWriter::new(out).with_context(|| format!("writing {path}"))?;
            w.add_interface(cap.link_type(), 0, &args.interface)
                .with_context(|| format!("writing {path}"))?;
            Some(Arc::new(Mutex::new(Some(w))))
        }
        None => None,
    };
    let keys = args.ui.keys.load(&args.ui.sdp)?;
    let shared = Shared::new(state(&args.ui, Progress::Live, sdp.as_ref(), None, keys));
    let stop = Arc::new(AtomicBool::new(false));
    let options = LiveOptions {
        autostop: args.autostop,
        writer: writer.clone(),
    };
    let source = PacketSource::live(cap).with_limit(args.count);
    let worker = source::spawn_live(shared.clone(), source, options, stop.clone());
    let app = new_app(
        Mode::Live {
            interface: args.interface.clone(),
            filter: args.filter.clone(),
            saving: args.write.clone(),
        },
        &args.ui,
        sdp.as_ref(),
    );
    let ran = rtcscope_tui::term::run(app, shared.clone(), stop.clone());
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    // libpcap's read timeout does not always fire on an idle interface (Linux TPACKET_V3
    // starts it at the first packet), so the capture thread is not waited for: it sees `stop`
    // at its next packet, or ends with the process. The saved file is closed here (a no-op
    // when the capture thread closed it at `-c` or `-a`), with the last counters the thread
    // read and a timestamp just past the last packet's.
    drop(worker);
    if let (Some(w), Some(path)) = (&writer, &args.write) {
        let (stats, last_ts) = {
            let s = shared.lock();
            (
                s.kernel,
                s.engine.time_span().map_or(0, |(_, last)| i128::from(last)),
            )
        };
        close_live_writer(w, stats, last_ts).with_context(|| format!("saving {path}"))?;
    }
    ran?;
    finish(&shared)
}

/// Runs `rtcscope open`.
pub fn run_open(args: &OpenArgs) -> anyhow::Result<ExitCode> {
    let path = args
        .read
        .as_deref()
        .or(args.file.as_deref())
        .context("give a capture file, -r FILE or -r - (standard input)")?;
    let total = (path != "-")
        .then(|| std::fs::metadata(path).ok().map(|m| m.len()))
        .flatten();
    let sdp = sdp_hints::load(&args.ui.sdp)?;
    // Read the capture's header before the screen switches, so a text file, a directory or an
    // empty file is refused with the message `analyze` gives, not shown as an empty capture.
    let source = PacketSource::new(crate::input::open(path)?)
        .with_context(|| format!("cannot read capture {path}"))?;
    // A regular file is indexed: the packet view reads packets back from it rather than
    // keeping them. A pipe (`-`, `<(zcat ...)`) cannot be read twice and keeps a ring.
    let regular = path != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let index = regular
        .then(|| FileIndex::open(std::path::Path::new(path)))
        .transpose()
        .with_context(|| format!("cannot open {path}"))?;
    need_terminal()?;
    restore_terminal_on_signals()?;
    let keys = args.ui.keys.load(&args.ui.sdp)?;
    let shared = Shared::new(state(
        &args.ui,
        Progress::Loading { read: 0, total },
        sdp.as_ref(),
        index,
        keys,
    ));
    if path != "-" {
        // Key logs a pcapng carries before its first packet, as analyze reads them (the
        // loader gives the engine those found later in the file).
        shared
            .lock()
            .add_key_logs(&crate::loader::leading_dsbs(path));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let worker = source::spawn_source_loader(shared.clone(), source, total, stop.clone());
    let app = new_app(
        Mode::File {
            path: path.to_owned(),
        },
        &args.ui,
        sdp.as_ref(),
    );
    rtcscope_tui::term::run(app, shared.clone(), stop)?;
    // Reading standard input may block; the loader is not waited for then.
    if path != "-" {
        let _ = worker.join();
    }
    finish(&shared)
}

fn finish(shared: &Shared) -> anyhow::Result<ExitCode> {
    match &shared.lock().error {
        Some(e) => {
            eprintln!("rtcscope: {e}");
            Ok(ExitCode::from(1))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}
