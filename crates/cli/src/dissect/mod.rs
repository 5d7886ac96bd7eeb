//! `rtcscope dissect`: one summary line per packet, or the full field tree with byte offsets.
//!
//! Each UDP payload (and each TCP segment's payload) is demultiplexed by RFC 7983's first-byte
//! ranges, then confirmed by the protocol's own structural checks before it is called STUN,
//! DTLS, ChannelData, RTP or RTCP: the first byte alone is only a pre-filter, since ordinary
//! LAN traffic falls into the same ranges. ChannelData and the DATA of Send/Data indications
//! are unwrapped and their content dissected in turn; `--proto`, `--host` and `--port` match
//! what is inside a relay too (the inner protocols, the peer's address), and the JSON
//! `protocols` list names the inner protocols after their carrier. Anything that passes no
//! check is shown as `Data`, never dropped.
//!
//! Packets are dissected in capture order with a little bounded state (see
//! `rtcscope_dissect::session`): IP fragments are reassembled as `analyze` reassembles them
//! (the frame that completes a datagram shows it whole, "reassembled from frames 50, 51"; the
//! fragments before show as "IP fragment … part of datagram id X"), DTLS handshake messages
//! fragmented over several records are shown reassembled on the packet that completes them,
//! as tshark does, and ChannelData names the peer its channel was bound to.
//!
//! What one packet cannot say comes from options: `--sdp` gives the negotiated RTP
//! header-extension IDs (without it they are inferred from a file's packets, as `analyze`
//! infers them, and marked as inferred; from stdin, which cannot be read twice, they are
//! unknown: no implementation's defaults are assumed),
//! `--srtp` the SRTP protection profile (or `none` for cleartext RTP/RTCP; without it payloads
//! are "possibly SRTP ciphertext" and RTCP is cleartext only when its lengths tile the
//! datagram), `--sctp-port` the UDP ports that carry SCTP (RFC 6951).
//!
//! `--keylog FILE` (SSLKEYLOGFILE; pcapng Decryption Secrets Blocks are read too),
//! `--srtp-key` and the `a=crypto` lines of `--sdp` decrypt, as `analyze` does (the same engine
//! runs beside the dissector and hands over what it decrypted for each frame): DTLS records
//! show their content (DTLS 1.3's encrypted handshake, alerts, SCTP with the data-channel
//! messages), SRTP its RTP payload, SRTCP the whole compound packet (reports, feedback, SDES).
//! Decrypted trees come after the packet's own, with offsets into the plaintext (as a
//! separate data source in Wireshark); the summary line ends with `[decrypted: …]`, `--json`
//! has a `decrypted` array and `--proto` matches decrypted protocols too. The display filter
//! (`-Y`) matches the packet as captured.
//!
//! `-Y EXPR` is tshark's display filter, in rtcscope's small language (docs/filters.md, the
//! crate rtcscope-filter): only matching packets are printed, numbered as in the file, and
//! `-c` counts printed packets. Every frame is still dissected in order (reassembly and
//! channel bindings need them all). An invalid filter is refused before the file is read,
//! with the parser's message and a caret under the column, and exit status 2.

use crate::{input, loader};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use rtcscope_analysis::decrypt::PlainKind;
use rtcscope_capture::PacketSource;
use rtcscope_dissect::{
    dissect_decrypted_with, Decrypted, DissectOptions, Dissected, Dissector, ExtensionMap,
    PayloadFormat, Protection, Protocol, SrtpProfile, VideoCodec,
};
use rtcscope_wire::text::Escaped;
use rtcscope_wire::tree::Node;
use serde_json::{json, Value};
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

/// Arguments of `rtcscope dissect`.
#[derive(Args, Debug)]
pub struct DissectArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(value_name = "FILE", required_unless_present = "read")]
    file: Option<String>,
    /// Capture file to read, as in tshark (`-r -` for standard input).
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        conflicts_with = "file"
    )]
    read: Option<String>,
    /// Print the full field tree of every shown packet, with byte offsets.
    #[arg(short = 'V', long)]
    verbose: bool,
    /// Print a hex dump of every shown packet.
    #[arg(short = 'x', long)]
    hex: bool,
    /// Print JSON (one array of packets, each with its summary and field tree).
    #[arg(long, conflicts_with_all = ["verbose", "hex"])]
    json: bool,
    /// Stop after printing N packets.
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Show only packets carrying these protocols (comma-separated), inside a TURN relay
    /// (ChannelData, Send/Data indications) or an ICMP error's quote too.
    #[arg(
        long = "proto",
        value_enum,
        value_delimiter = ',',
        value_name = "PROTO"
    )]
    protocols: Vec<ProtoFilter>,
    /// Show only packets to or from this address (a relayed peer's, or the endpoints of a
    /// datagram an ICMP error quotes, included).
    #[arg(long, value_name = "ADDR")]
    host: Option<IpAddr>,
    /// Show only packets to or from this port (a relayed peer's, or the ports of a datagram an
    /// ICMP error quotes, included).
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// Display filter, as tshark's -Y: show only packets that match EXPR, e.g. `stun`,
    /// `rtp.ssrc == 0x1234abcd`, `ip.addr == 10.0.0.0/8 && !dtls`, `stun.type ==
    /// allocate_error` (docs/filters.md lists the fields). Relayed and quoted packets match
    /// by what they carry.
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR")]
    display_filter: Option<String>,
    /// SDP offer or answer (raw, or signalling JSON) whose `a=extmap` lines name the RTP
    /// header-extension IDs; repeat for both sides. Without it the IDs are inferred from the
    /// file's packets and marked as inferred (from stdin they are unknown: libwebrtc's and
    /// Firefox's IDs differ, so none are assumed).
    #[arg(long = "sdp", value_name = "FILE")]
    sdp: Vec<String>,
    /// How RTP/RTCP is protected: an SRTP profile (`AES_CM_128_HMAC_SHA1_80`,
    /// `AES_CM_128_HMAC_SHA1_32`, `AEAD_AES_128_GCM`, `AEAD_AES_256_GCM`, `NULL_HMAC_SHA1_80`,
    /// `NULL_HMAC_SHA1_32`, or the DTLS-SRTP names), or `none` for cleartext. Without it the
    /// protection is unknown: RTP payloads are shown as possibly ciphertext.
    #[arg(long = "srtp", value_name = "PROFILE", value_parser = parse_srtp)]
    srtp: Option<Protection>,
    /// Dissect UDP payloads to or from this port as SCTP (RFC 6951); repeatable.
    #[arg(long = "sctp-port", value_name = "PORT")]
    sctp_ports: Vec<u16>,
    #[command(flatten)]
    keys: loader::KeyArgs,
}

/// The analysis engine running beside the dissector to decrypt, and the Decryption Secrets
/// Blocks already given to it.
struct Decryptor {
    engine: rtcscope_analysis::Engine,
    dsbs: usize,
}

impl Decryptor {
    /// An engine keyed by `--keylog`, `--srtp-key`, the SDPs' `a=crypto` lines and the key
    /// logs a pcapng file holds before its first packet; `None` when there is no key at all.
    fn new(args: &DissectArgs, path: &str) -> anyhow::Result<Option<Decryptor>> {
        let keys = args.keys.load(&args.sdp)?;
        let leading = if path == "-" {
            Vec::new()
        } else {
            loader::leading_dsbs(path)
        };
        if keys.is_empty() && leading.is_empty() {
            return Ok(None);
        }
        let mut engine = rtcscope_analysis::Engine::default();
        engine.set_keys(keys);
        loader::apply_sdp(&mut engine, &args.sdp)?;
        let dsbs = loader::add_dsbs(&mut engine, &leading, 0);
        engine.keep_plaintext(true);
        Ok(Some(Decryptor { engine, dsbs }))
    }

    /// Feeds the frame to the engine and dissects what it decrypted.
    fn frame(&mut self, p: &rtcscope_capture::Packet<'_>, opts: &DissectOptions) -> Vec<Dissected> {
        self.engine.feed_packet(p);
        self.engine
            .plaintexts()
            .iter()
            .map(|pt| {
                let what = match pt.kind {
                    PlainKind::Srtp => Decrypted::Srtp,
                    PlainKind::Srtcp => Decrypted::Srtcp,
                    PlainKind::Dtls {
                        epoch,
                        sequence,
                        content_type,
                    } => Decrypted::Dtls {
                        epoch,
                        sequence,
                        content_type,
                    },
                };
                // The SDP's rtpmap says which payload types carry a video payload format.
                let codecs = &self.engine.streams().hints.codecs;
                let format = |t: u8| {
                    let c = codecs.get(&t)?;
                    if c.is_red() {
                        Some(PayloadFormat::Red)
                    } else {
                        VideoCodec::from_encoding_name(&c.name).map(PayloadFormat::Video)
                    }
                };
                dissect_decrypted_with(what, &pt.bytes, opts, &format)
            })
            .collect()
    }

    /// Key logs found in Decryption Secrets Blocks since the last call.
    fn more_dsbs(&mut self, source: &PacketSource<'_>) {
        if let Some(r) = source.reader() {
            if r.tls_key_logs().len() > self.dsbs {
                self.dsbs = loader::add_dsbs(&mut self.engine, r.tls_key_logs(), self.dsbs);
            }
        }
    }
}

/// `--srtp` values: `none`, or an SRTP profile by its SDES or DTLS-SRTP name.
fn parse_srtp(s: &str) -> Result<Protection, String> {
    if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("clear") {
        return Ok(Protection::Clear);
    }
    let upper = s.to_ascii_uppercase();
    SrtpProfile::from_name(&upper)
        .map(Protection::srtp)
        .ok_or_else(|| {
            let names: Vec<&str> = SrtpProfile::ALL.iter().map(|p| p.sdes_name()).collect();
            format!(
                "unknown SRTP profile {s:?}; use none or one of {}",
                names.join(", ")
            )
        })
}

/// The header-extension ids the analysis engine infers from the capture's own packets
/// (`None` when it can name none): the same answer `analyze` reads mids with.
fn inferred_extmap(path: &str) -> anyhow::Result<Option<ExtensionMap>> {
    let mut source = PacketSource::new(input::open(path)?)
        .with_context(|| format!("cannot read capture {path}"))?;
    let mut engine = rtcscope_analysis::Engine::default();
    // As analyze reads and ends its input (the streams held after an open TCP gap included).
    engine.feed_all(&mut source);
    Ok(engine
        .streams()
        .inferred_extmap()
        .filter(|m| m.ids.iter().any(|i| i.kind.is_some()))
        .map(|m| m.map()))
}

/// The extension map of the SDPs' `a=extmap` lines (`None` when they have none).
fn extmap_from_sdps(paths: &[String]) -> anyhow::Result<Option<ExtensionMap>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut map = ExtensionMap::empty();
    let mut any = false;
    for path in paths {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read SDP {path}"))?;
        let reports =
            rtcscope_sdp::analyze(&bytes, None).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        if reports.is_empty() {
            anyhow::bail!("{path}: no SDP found");
        }
        for m in reports.iter().flat_map(|r| &r.media) {
            for e in &m.extmaps {
                if let Ok(id) = u8::try_from(e.id) {
                    map.insert_uri(id, &e.uri);
                    any = true;
                }
            }
        }
    }
    if !any {
        eprintln!("rtcscope: the SDP has no a=extmap lines; header extensions stay undecoded");
    }
    Ok(Some(map))
}

/// Protocol names accepted by `--proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ProtoFilter {
    /// STUN, classic STUN and TURN messages (also inside ChannelData).
    Stun,
    /// TURN: ChannelData, and STUN messages of TURN methods.
    Turn,
    /// DTLS records.
    Dtls,
    /// RTP (or SRTP) packets.
    Rtp,
    /// RTCP (or SRTCP) packets.
    Rtcp,
    /// SCTP packets (on the ports given with --sctp-port).
    Sctp,
    /// ICMP errors that quote a UDP datagram.
    Icmp,
    /// Anything no dissector recognised.
    Data,
}

impl ProtoFilter {
    /// True when the message or anything inside it (relayed, quoted) is of this protocol.
    fn matches(self, d: &Dissected) -> bool {
        d.protocols().any(|(p, turn)| self.matches_one(p, turn))
    }

    fn matches_one(self, p: Protocol, turn: bool) -> bool {
        match self {
            ProtoFilter::Stun => matches!(p, Protocol::Stun | Protocol::ClassicStun),
            ProtoFilter::Turn => p == Protocol::ChannelData || turn,
            ProtoFilter::Dtls => p == Protocol::Dtls,
            ProtoFilter::Rtp => p == Protocol::Rtp,
            ProtoFilter::Rtcp => p == Protocol::Rtcp,
            ProtoFilter::Sctp => p == Protocol::Sctp,
            ProtoFilter::Icmp => p == Protocol::Icmp,
            ProtoFilter::Data => p == Protocol::Data,
        }
    }
}

/// Runs `rtcscope dissect`.
pub fn run(args: &DissectArgs) -> anyhow::Result<ExitCode> {
    // The filter first: a typo is reported before a large file is read (twice).
    let filter = match args.display_filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match rtcscope_dissect::filter::parse(text) {
            Ok(f) => Some(f),
            Err(e) => {
                eprintln!("rtcscope: invalid display filter (-Y): {e}");
                eprintln!("  {}", Escaped(text));
                eprintln!("  {}^", " ".repeat(e.column - 1));
                return Ok(ExitCode::from(2));
            }
        },
    };
    let path = args.read.as_deref().or(args.file.as_deref()).unwrap_or("-");
    // Without an SDP the ids come from the capture itself, as the engine infers them (a
    // first pass over the file); stdin cannot be read twice, so there none is assumed.
    let (extmap, extmap_inferred) = match extmap_from_sdps(&args.sdp)? {
        Some(m) => (Some(m), false),
        None if path != "-" => (inferred_extmap(path)?, true),
        None => (None, false),
    };
    let opts = DissectOptions {
        extmap,
        extmap_inferred,
        protection: args.srtp,
        sctp_ports: args.sctp_ports.clone(),
        // The stateful dissector below remembers which flows carried DTLS.
        no_dtls_before: false,
        skip_header_layers: false,
    };
    let mut decryptor = Decryptor::new(args, path)?;
    let mut dissector = Dissector::new(opts.clone());
    let source = input::open(path)?;
    // Damaged records the reader can skip are skipped and counted by the source, as analyze
    // does; a fatal error ends the file and is named after the output.
    let mut source =
        PacketSource::new(source).with_context(|| format!("cannot read capture {path}"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0u64;
    let mut first_ts = None;
    let mut damaged = Problems::default();
    let mut json_first = true;
    if args.json {
        out.write_all(b"[\n")?;
    }
    loop {
        if args.count.is_some_and(|c| shown >= c) {
            break;
        }
        if let Some(d) = decryptor.as_mut() {
            d.more_dsbs(&source);
        }
        let Some(packet) = source.next_packet() else {
            break;
        };
        let decrypted = match decryptor.as_mut() {
            Some(d) => d.frame(&packet, &opts),
            None => Vec::new(),
        };
        let t0 = *first_ts.get_or_insert(packet.ts_nanos);
        let rel = (packet.ts_nanos - t0) as f64 / 1e9;
        // Every frame goes through the dissector, shown or not: reassembly and channel
        // bindings need the whole capture in order.
        let f = dissector.frame(
            packet.number,
            packet.ts_nanos,
            packet.link_type,
            packet.data,
            packet.orig_len,
        );
        if filter.as_ref().is_some_and(|e| !e.matches(&f.fields)) {
            continue;
        }
        if args.host.is_some() || args.port.is_some() {
            let addresses = f.addresses();
            if let Some(h) = args.host {
                if !addresses.iter().any(|a| a.ip() == h) {
                    continue;
                }
            }
            if let Some(p) = args.port {
                if !addresses.iter().any(|a| a.port() == p) {
                    continue;
                }
            }
        }
        if let Some(e) = &f.error {
            damaged.add((packet.number, e.clone()));
        }
        let mut frame = f.frame;
        // After the arrival and epoch times.
        let at = frame.children.len().min(2);
        frame.children.insert(
            at,
            Node::leaf(
                "Time since the first frame",
                format!(
                    "{}.{:09} s",
                    (packet.ts_nanos - t0).div_euclid(1_000_000_000),
                    (packet.ts_nanos - t0).rem_euclid(1_000_000_000)
                ),
                0..0,
            ),
        );
        let headers = f.layers;
        let dissected = f.messages;
        let endpoints = f.endpoints.map(|(s, d)| (s.to_string(), d.to_string()));
        if !args.protocols.is_empty()
            && !dissected
                .iter()
                .chain(&decrypted)
                .any(|d| args.protocols.iter().any(|f| f.matches(d)))
        {
            continue;
        }
        for d in &dissected {
            if d.tree.has_warnings() && d.protocol != Protocol::Data {
                damaged.add((packet.number, first_warning(&d.tree)));
            }
        }
        shown += 1;
        let mut summary = summary_line(
            packet.number,
            rel,
            endpoints.as_ref(),
            &dissected,
            packet.orig_len,
        );
        if !decrypted.is_empty() {
            let infos: Vec<&str> = decrypted.iter().map(|d| d.info.as_str()).collect();
            // Decrypted text (data-channel messages) is wire text: escaped.
            summary.push_str(&format!(" [decrypted: {}]", Escaped(&infos.join(" ; "))));
        }
        if args.json {
            let mut layers: Vec<Value> = vec![node_json(&frame)];
            layers.extend(headers.iter().map(node_json));
            layers.extend(dissected.iter().map(|d| node_json(&d.tree)));
            let v = json!({
                "number": packet.number,
                "time_ns": packet.ts_nanos.to_string(),
                "time_relative": rel,
                "length": packet.orig_len,
                "captured": packet.data.len(),
                "src": endpoints.as_ref().map(|e| &e.0),
                "dst": endpoints.as_ref().map(|e| &e.1),
                // Each message's protocol, then those inside it (relayed, quoted).
                "protocols": dissected
                    .iter()
                    .flat_map(Dissected::protocols)
                    .map(|(p, _)| p.name())
                    .collect::<Vec<_>>(),
                "info": dissected.iter().map(|d| d.info.as_str()).collect::<Vec<_>>().join("; "),
                "layers": layers,
            });
            let mut v = v;
            if !decrypted.is_empty() {
                v["decrypted"] = decrypted
                    .iter()
                    .map(|d| {
                        json!({
                            "protocol": d.protocol.name(),
                            "info": d.info,
                            "tree": node_json(&d.tree),
                        })
                    })
                    .collect();
            }
            if !json_first {
                out.write_all(b",\n")?;
            }
            json_first = false;
            serde_json::to_writer(&mut out, &v)?;
        } else {
            writeln!(out, "{summary}")?;
            if args.verbose {
                let mut text = String::new();
                frame.render(0, &mut text);
                for h in &headers {
                    h.render(0, &mut text);
                }
                for d in dissected.iter().chain(&decrypted) {
                    d.tree.render(0, &mut text);
                }
                writeln!(out, "{text}")?;
            }
            if args.hex {
                writeln!(out, "{}", hex_dump(packet.data))?;
            }
        }
    }
    if args.json {
        out.write_all(b"\n]\n")?;
    }
    out.flush()?;
    drop(out);
    report_damage(&damaged, &source, path);
    Ok(if source.fatal().is_some() || source.skipped() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn first_warning(n: &Node) -> String {
    n.warnings
        .first()
        .cloned()
        .or_else(|| {
            n.children
                .iter()
                .find(|c| c.has_warnings())
                .map(first_warning)
        })
        .unwrap_or_default()
}

/// The first problems of one kind, and how many there were: memory stays bounded however
/// damaged the file is.
struct Problems<T> {
    first: Vec<T>,
    count: u64,
}

impl<T> Default for Problems<T> {
    fn default() -> Self {
        Problems {
            first: Vec::new(),
            count: 0,
        }
    }
}

impl<T> Problems<T> {
    /// How many are listed by name.
    const LISTED: usize = 20;

    fn add(&mut self, problem: T) {
        if self.first.len() < Self::LISTED {
            self.first.push(problem);
        }
        self.count += 1;
    }

    /// How many there were beyond those listed.
    fn unlisted(&self) -> u64 {
        self.count - self.first.len() as u64
    }
}

/// Damaged packets, skipped records and what ended the file early go to standard error, so
/// the output stays clean for pipes.
fn report_damage(damaged: &Problems<(u64, String)>, source: &PacketSource<'_>, path: &str) {
    for what in source.skipped_messages() {
        eprintln!("rtcscope: {path}: {} (skipped)", Escaped(what));
    }
    if source.unlisted() > 0 {
        eprintln!(
            "rtcscope: {path}: … and {} more damaged records skipped",
            source.unlisted()
        );
    }
    if damaged.count > 0 {
        eprintln!("rtcscope: {} packet(s) with problems:", damaged.count);
        for (n, what) in &damaged.first {
            eprintln!("  packet {n}: {}", Escaped(what));
        }
        if damaged.unlisted() > 0 {
            eprintln!("  … and {} more", damaged.unlisted());
        }
    }
    if let Some(e) = source.fatal() {
        eprintln!("rtcscope: {path}: {e}");
    }
}

fn summary_line(
    number: u64,
    rel: f64,
    endpoints: Option<&(String, String)>,
    dissected: &[Dissected],
    len: u32,
) -> String {
    let (src, dst) = endpoints
        .map(|(s, d)| (s.as_str(), d.as_str()))
        .unwrap_or(("", ""));
    let protos: Vec<&str> = dissected.iter().map(|d| d.protocol.name()).collect();
    let info: Vec<&str> = dissected.iter().map(|d| d.info.as_str()).collect();
    let proto = protos.first().copied().unwrap_or("");
    // The info column carries wire text (USERNAME, REALM, reason phrases): escaped.
    format!(
        "{number:>6} {rel:>11.6} {src:>21} → {dst:<21} {proto:<11} {len:>5} {}",
        Escaped(&info.join(" ; "))
    )
}

fn node_json(n: &Node) -> Value {
    let mut v = json!({
        "label": n.label,
        "range": [n.range.start, n.range.end],
    });
    if let Some(val) = &n.value {
        v["value"] = json!(val);
    }
    if !n.warnings.is_empty() {
        v["warnings"] = json!(n.warnings);
    }
    if !n.children.is_empty() {
        v["children"] = Value::Array(n.children.iter().map(node_json).collect());
    }
    v
}

fn hex_dump(data: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in data.chunks(16).enumerate() {
        use std::fmt::Write as _;
        let _ = write!(s, "{:04x}  ", i * 16);
        for (j, b) in chunk.iter().enumerate() {
            let _ = write!(s, "{b:02x} ");
            if j == 7 {
                s.push(' ');
            }
        }
        for j in chunk.len()..16 {
            s.push_str("   ");
            if j == 7 {
                s.push(' ');
            }
        }
        s.push(' ');
        s.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        s.push('\n');
    }
    s
}
