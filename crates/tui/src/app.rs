//! The application state and its input handling.
//!
//! Everything the screen shows is in [`App`]: [`App::refresh`] takes a snapshot from the
//! capture side (skipped while paused) and [`App::update_view`] derives what the current view
//! draws (sparklines of the rows on screen, the chart, the packet rows and the selected
//! packet's tree and bytes); [`crate::ui::render`] then draws from `&App` alone. Input arrives
//! as values ([`App::handle`] takes crossterm events), so tests feed keys and read frames.

use crate::model::{self, Row, RowKey};
pub use crate::scan::SCAN_BUDGET;
use crate::scan::{Matcher, Scan, ScanKey};
use crate::source::{CaptureState, Progress};
use crate::store::PacketStore;
use crate::ui;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};
use rtcscope_analysis::flow::FlowKey;
use rtcscope_analysis::snapshot::{self, Options, Snapshot};
use rtcscope_analysis::streams::StreamKey;
use rtcscope_capture::live::LiveStats;
use rtcscope_dissect::filter::{Expr, ParseError};
use rtcscope_dissect::{dissect_frame_with, DissectOptions};
use rtcscope_wire::text::escape;

/// Bins of a Sessions-view sparkline.
pub const SPARK_BINS: usize = 12;
/// Width of the live-mode time window (charts and sparklines).
pub const LIVE_WINDOW_NS: i64 = 60_000_000_000;

/// The views, in tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Sessions and stray flows.
    Sessions,
    /// ICE pairs and their timeline.
    Ice,
    /// DTLS handshakes.
    Dtls,
    /// RTP streams and bandwidth.
    Streams,
    /// Packets, field tree, hex.
    Packets,
    /// The NAT check.
    Nat,
    /// Why the call failed or degraded: the engine's findings.
    Findings,
    /// TURN allocations, their permissions, channels and errors.
    Turn,
    /// The call's signalling as a ladder diagram between its hosts.
    Ladder,
}

impl View {
    /// All views in tab order.
    pub const ALL: [View; 9] = [
        View::Sessions,
        View::Ice,
        View::Dtls,
        View::Streams,
        View::Packets,
        View::Nat,
        View::Findings,
        View::Turn,
        View::Ladder,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            View::Sessions => "Sessions",
            View::Ice => "ICE",
            View::Dtls => "DTLS",
            View::Streams => "Streams",
            View::Packets => "Packets",
            View::Nat => "NAT check",
            View::Findings => "Findings",
            View::Turn => "TURN",
            View::Ladder => "Ladder",
        }
    }

    fn index(self) -> usize {
        View::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
}

/// Where packets come from, for the title line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Live capture on an interface.
    Live {
        /// Interface.
        interface: String,
        /// BPF filter.
        filter: Option<String>,
        /// The pcapng file the capture is saved to (`live -w`).
        saving: Option<String>,
    },
    /// A capture file (`-` for standard input).
    File {
        /// Its path as given.
        path: String,
    },
}

/// A scrolled list: the selected index and the first row shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Nav {
    /// Selected index.
    pub sel: usize,
    /// First visible index.
    pub offset: usize,
}

impl Nav {
    /// Clamps the selection to `len` and scrolls so it is inside `height` rows.
    pub fn fit(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.sel = self.sel.min(len.saturating_sub(1));
        if self.sel < self.offset {
            self.offset = self.sel;
        }
        if self.sel >= self.offset + height {
            self.offset = self.sel + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    pub(crate) fn step(&mut self, delta: isize, len: usize) {
        self.sel = self
            .sel
            .saturating_add_signed(delta)
            .min(len.saturating_sub(1));
    }
}

/// Which pane of the Packets view keys move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The packet list.
    List,
    /// The field tree (the hex view follows it).
    Tree,
    /// The bytes (the field tree follows the cursor).
    Hex,
}

/// What the bandwidth chart of the Streams view covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartScope {
    /// The selected session (or flow) as a whole.
    Session,
    /// The flow carrying the selected stream.
    Flow,
    /// The selected stream.
    Stream,
}

/// What the Streams view's chart plots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChartMetric {
    /// Bit rate, both directions, of the scope.
    #[default]
    Bitrate,
    /// The selected stream's loss (% of the packets expected in each bin).
    Loss,
    /// The selected stream's interarrival jitter (ms, the highest in each bin).
    Jitter,
    /// The RTCP round-trip time of the selected stream (ms, LSR/DLSR, mean in each bin).
    Rtt,
}

impl ChartMetric {
    /// Its name and unit, for the chart's title.
    pub fn label(self) -> &'static str {
        match self {
            ChartMetric::Bitrate => "bit/s",
            ChartMetric::Loss => "loss %",
            ChartMetric::Jitter => "jitter ms (max per bin)",
            ChartMetric::Rtt => "RTCP RTT ms (mean per bin)",
        }
    }
}

/// A bandwidth chart: bytes per bin in two directions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    /// What it shows.
    pub title: String,
    /// Legends of the two directions.
    pub legends: [String; 2],
    /// Start of the first bin (ns since the epoch).
    pub start_ns: i64,
    /// Width of a bin.
    pub bin_ns: i64,
    /// Bytes per bin, per direction.
    pub bins: Vec<[u64; 2]>,
    /// For a quality metric: the selected stream's value per bin (none where the bin holds
    /// nothing to measure), instead of `bins`.
    pub quality: Option<(ChartMetric, Vec<Option<f64>>)>,
}

/// A packet-list row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketRow {
    /// Packet number.
    pub number: u64,
    /// Time since the capture's start.
    pub offset_ns: i64,
    /// Source.
    pub src: String,
    /// Destination.
    pub dst: String,
    /// Protocol column.
    pub protocol: &'static str,
    /// Captured length.
    pub len: usize,
    /// Info column, escaped for the terminal ([`rtcscope_wire::text`]).
    pub info: String,
}

pub use crate::tree::{FieldTree, TreeLine};

/// The selected packet, dissected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    /// Packet number.
    pub number: u64,
    /// The field tree, with its folds.
    pub tree: FieldTree,
    /// The captured bytes.
    pub bytes: Vec<u8>,
    /// The byte the hex pane's cursor is on (moved in [`Pane::Hex`] or by a click there).
    pub hex_cursor: usize,
}

/// The selected stream's details ([`App::stream_detail`]).
pub type StreamDetail = (
    Box<rtcscope_analysis::streams::Stream>,
    Option<rtcscope_analysis::decrypt::FeedbackFigures>,
    Option<rtcscope_analysis::twcc::ReceiveRate>,
);

/// The Packets view's state.
#[derive(Clone, Debug)]
pub struct Packets {
    /// Packets matching the selection and the filter.
    pub matched: usize,
    /// The rows on screen.
    pub rows: Vec<PacketRow>,
    /// List scroll.
    pub nav: Nav,
    /// Keep the newest packet selected as packets arrive.
    pub follow: bool,
    /// Which pane keys move.
    pub pane: Pane,
    /// The selected packet.
    pub detail: Option<Detail>,
    /// Tree scroll.
    pub tree_nav: Nav,
    /// Show every packet instead of the selection's.
    pub all: bool,
    /// Characters of the Info column scrolled off to the left (`<` / `>`).
    pub info_scroll: usize,
    selected_number: Option<u64>,
    scan: Scan,
    /// While a filter or a selection is still being applied to a long capture: packets looked
    /// at and packets to look at.
    pub scanning: Option<(u64, u64)>,
}

/// The NAT check's state.
#[derive(Clone, Debug, Default)]
pub enum NatState {
    /// Not run yet.
    #[default]
    Idle,
    /// Running.
    Running,
    /// Finished: one report per address family, and errors.
    Done {
        /// Reports.
        reports: Vec<rtcscope_nat::Report>,
        /// Errors (unresolvable servers, socket errors).
        errors: Vec<String>,
    },
}

/// Capture-side status shown in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Loading or capturing.
    pub progress: Progress,
    /// Kernel counters (live).
    pub kernel: Option<LiveStats>,
    /// What stopped the source, or the first damaged record it skipped.
    pub error: Option<String>,
    /// Damaged records skipped while reading a file.
    pub skipped: u64,
    /// Packets the packet view can show.
    pub store_len: usize,
    /// The ring's packet limit (none for a file's index, which holds every packet).
    pub store_capacity: Option<usize>,
    /// Packets a live capture's ring forgot.
    pub store_evicted: u64,
}

/// How far the engine has got: packets fed, the time span (a live clock moves it without
/// packets), and whether the file is loaded; the findings are re-derived when it changes.
type EngineMark = (u64, Option<(i64, i64)>, bool);

/// What the caller should do after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond redrawing.
    None,
    /// Leave.
    Quit,
    /// Start the NAT check against [`App::nat_servers`].
    RunNat,
    /// Save the packets the list shows to this new file ([`App::save_packets`]).
    SavePackets(String),
}

/// The whole UI state.
pub struct App {
    /// Live or file.
    pub mode: Mode,
    /// The current view.
    pub view: View,
    /// Terminal size.
    pub size: Rect,
    /// The last snapshot taken.
    pub snap: Snapshot,
    /// Snapshots are not taken while paused (the capture goes on).
    pub paused: bool,
    /// Packets above this number are hidden while paused.
    pub frozen_at: Option<u64>,
    /// The key overlay.
    pub help: bool,
    /// The first key line the help shows (a short terminal shows a page; j/k scroll).
    pub help_scroll: usize,
    /// The file name being typed after `w` (save the listed packets).
    pub save_prompt: Option<String>,
    /// What the last action did (a file saved, or why not), until the next key.
    pub notice: Option<Result<String, String>>,
    /// The filter in force.
    pub filter: String,
    /// The filter being typed, when the prompt is open.
    pub editing: Option<String>,
    /// Capture-side status.
    pub status: Status,
    /// Sessions-view rows (filtered).
    pub rows: Vec<Row>,
    /// Sparklines of the rows on screen (by row index).
    pub sparks: Vec<(usize, Vec<u64>)>,
    /// Sessions-view scroll.
    pub rows_nav: Nav,
    /// The selected row's key.
    pub selected: Option<RowKey>,
    /// ICE pair scroll.
    pub pairs_nav: Nav,
    /// DTLS association scroll.
    pub dtls_nav: Nav,
    /// TURN allocation scroll.
    pub turn_nav: Nav,
    /// The ladder view.
    pub ladder: crate::ladder::Ladder,
    /// Stream indices into `snap.streams`, filtered and sorted.
    pub streams: Vec<usize>,
    /// Stream scroll.
    pub streams_nav: Nav,
    /// Show every stream instead of the selection's.
    pub all_streams: bool,
    /// Chart scope.
    pub chart_scope: ChartScope,
    /// What the chart plots (`m` cycles).
    pub chart_metric: ChartMetric,
    /// The Streams chart's zoom: it shows 1/2^zoom of the capture's window (`+`/`-`).
    pub chart_zoom: u32,
    /// Where the zoomed chart's window is centred, as a fraction of the whole window
    /// (`<`/`>` pan it by a quarter of what is shown).
    pub chart_center: f64,
    /// The chart.
    pub chart: Chart,
    /// The selected stream as the engine holds it now (video frames, receiver reports), the
    /// feedback its receiver sent about it (NACK, PLI, FIR: from decrypted RTCP), and the rate
    /// the receiver's transport-wide feedback shows for the stream's direction.
    pub stream_detail: Option<StreamDetail>,
    /// The Packets view.
    pub packets: Packets,
    /// The engine's findings (why the call failed or degraded), worst first.
    pub findings: Vec<rtcscope_analysis::diagnosis::Finding>,
    /// When the findings were last derived (they are re-derived at most once a second).
    findings_at: Option<std::time::Instant>,
    /// What the engine had seen then: packets, time span, whether the file was loaded.
    findings_key: Option<EngineMark>,
    /// The engine's mark when [`Self::snap`] was taken.
    snap_key: Option<EngineMark>,
    /// SCTP associations and their data channels (in the clear, or decrypted), taken with the
    /// snapshot.
    pub data_channels: Vec<rtcscope_analysis::datachannels::AssociationReport>,
    /// The Sessions view shows the selection's event log (`e`) instead of its summary.
    pub show_events: bool,
    /// Lines of the event log scrolled off (`J`/`K`).
    pub events_scroll: usize,
    /// What [`Self::stream_detail`] was made for.
    stream_detail_key: Option<(StreamKey, Option<EngineMark>)>,
    /// Findings scroll.
    pub findings_nav: Nav,
    /// NAT-check servers (`HOST:PORT`).
    pub nat_servers: Vec<String>,
    /// How long one tick may spend applying a filter or a selection to the packets of a long
    /// capture ([`SCAN_BUDGET`]; the rest is done in the ticks after, the list saying how far
    /// it got). Tests that draw one frame set it unbounded.
    pub scan_budget: std::time::Duration,
    /// Candidates the SDPs given with `--sdp` announced; the ICE view takes candidate types
    /// from them (empty: types are inferred from the addresses).
    pub sdp_candidates: Vec<rtcscope_analysis::sdp_hints::SdpCandidate>,
    /// NAT-check state.
    pub nat: NatState,
    /// Snapshot options.
    pub options: Options,
}

impl App {
    /// A new UI for `mode`, sized `width`×`height`.
    pub fn new(mode: Mode, width: u16, height: u16) -> Self {
        App {
            mode,
            view: View::Sessions,
            size: Rect::new(0, 0, width, height),
            snap: Snapshot::default(),
            paused: false,
            frozen_at: None,
            help: false,
            help_scroll: 0,
            save_prompt: None,
            notice: None,
            filter: String::new(),
            editing: None,
            status: Status {
                progress: Progress::Loaded,
                kernel: None,
                error: None,
                skipped: 0,
                store_len: 0,
                store_capacity: None,
                store_evicted: 0,
            },
            rows: Vec::new(),
            sparks: Vec::new(),
            rows_nav: Nav::default(),
            selected: None,
            pairs_nav: Nav::default(),
            dtls_nav: Nav::default(),
            turn_nav: Nav::default(),
            ladder: crate::ladder::Ladder::default(),
            streams: Vec::new(),
            streams_nav: Nav::default(),
            all_streams: false,
            chart_scope: ChartScope::Session,
            chart_metric: ChartMetric::Bitrate,
            chart_zoom: 0,
            chart_center: 0.5,
            chart: Chart::default(),
            stream_detail: None,
            packets: Packets {
                matched: 0,
                rows: Vec::new(),
                nav: Nav::default(),
                follow: false,
                pane: Pane::List,
                detail: None,
                tree_nav: Nav::default(),
                all: false,
                info_scroll: 0,
                selected_number: None,
                scan: Scan::default(),
                scanning: None,
            },
            findings: Vec::new(),
            findings_at: None,
            findings_key: None,
            snap_key: None,
            stream_detail_key: None,
            show_events: false,
            data_channels: Vec::new(),
            events_scroll: 0,
            findings_nav: Nav::default(),
            nat_servers: Vec::new(),
            scan_budget: SCAN_BUDGET,
            sdp_candidates: Vec::new(),
            nat: NatState::Idle,
            options: Options::default(),
        }
    }

    fn is_live(&self) -> bool {
        matches!(self.mode, Mode::Live { .. })
    }

    /// The filter text in effect (the prompt's text while typing).
    pub fn filter_text(&self) -> &str {
        self.editing.as_deref().unwrap_or(&self.filter)
    }

    /// The filter text as a display-filter expression (docs/filters.md), or why it is not
    /// one; `None` when there is no filter. An expression filters the Packets view only (it
    /// names packet fields); text that does not parse is matched as words, in every list.
    pub fn filter_expr(&self) -> Option<Result<Expr, ParseError>> {
        let text = self.filter_text().trim();
        (!text.is_empty()).then(|| rtcscope_dissect::filter::parse(text))
    }

    /// The filter's lower-cased words, when it is not an expression (empty when it is).
    pub fn filter_words(&self) -> Vec<String> {
        if matches!(self.filter_expr(), Some(Ok(_))) {
            return Vec::new();
        }
        self.filter_text()
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect()
    }

    fn matches(words: &[String], haystack: &str) -> bool {
        words.iter().all(|w| haystack.contains(w.as_str()))
    }

    /// Takes a new snapshot (unless paused) and rebuilds every view's data.
    pub fn refresh(&mut self, state: &mut CaptureState) {
        self.status = Status {
            progress: state.progress.clone(),
            kernel: state.kernel,
            error: state.error.clone(),
            skipped: state.skipped,
            store_len: state.store.len(),
            store_capacity: state.store.capacity(),
            store_evicted: state.store.evicted(),
        };
        if let (None, Some(e)) = (&self.status.error, state.store.error()) {
            self.status.error = Some(e.to_owned());
        }
        if !self.paused {
            // A new snapshot only when the engine has moved on: a loaded file (or a quiet
            // interface) keeps the one it has, so a tick costs the rows and the drawing only.
            let mark = (
                state.engine.counters().packets,
                state.engine.time_span(),
                state.progress == Progress::Loaded,
            );
            if self.snap_key != Some(mark) {
                self.snap = Snapshot::take(&state.engine, &self.options);
                self.data_channels = state.engine.data_channels();
                self.snap_key = Some(mark);
            }
            // The findings read the whole report (what `analyze` prints at its top); that costs
            // more than a snapshot, so they are derived at most once a second.
            // And only when the engine has moved on: a loaded file's findings are derived
            // once, not every second (on a long file that costs tens of milliseconds a tick).
            let key = (
                self.snap.counters.packets,
                state.engine.time_span(),
                state.progress == Progress::Loaded,
            );
            let due = self
                .findings_at
                .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(1))
                || key.2 && self.findings_key.is_none_or(|k| !k.2);
            if due && self.findings_key != Some(key) {
                self.findings = rtcscope_analysis::report::Report::new(&state.engine).findings;
                self.findings_at = Some(std::time::Instant::now());
                self.findings_key = Some(key);
            }
        }
        self.rebuild_rows();
        self.update_view(state);
    }

    fn rebuild_rows(&mut self) {
        let words = self.filter_words();
        let mut rows = model::rows(&self.snap);
        if !words.is_empty() {
            rows.retain(|r| Self::matches(&words, &r.haystack()));
        }
        self.rows = rows;
        if let Some(i) = self
            .selected
            .and_then(|k| self.rows.iter().position(|r| r.key == k))
        {
            self.rows_nav.sel = i;
        }
        let h = ui::list_height(self.size, View::Sessions);
        self.rows_nav.fit(self.rows.len(), h);
        self.selected = self.rows.get(self.rows_nav.sel).map(|r| r.key);
    }

    /// The selected Sessions-view row.
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.rows_nav.sel)
    }

    /// The selected ICE session.
    pub fn selected_session(&self) -> Option<&rtcscope_analysis::snapshot::SessionSnapshot> {
        match self.selected? {
            RowKey::Session(id) => self.snap.sessions.iter().find(|s| s.session.id == id),
            RowKey::Flow(_) => None,
        }
    }

    /// The time window of charts and sparklines: the whole capture, or the last minute live.
    pub fn window(&self) -> (i64, i64) {
        let (s, e) = (
            self.snap.start_ns.unwrap_or(0),
            self.snap.end_ns.unwrap_or(0),
        );
        let s = if self.is_live() {
            s.max(e - LIVE_WINDOW_NS)
        } else {
            s
        };
        (s, e.max(s + 1))
    }

    fn flow_in_selection(&self, key: &FlowKey) -> bool {
        self.selected_row()
            .is_some_and(|r| r.flows.iter().any(|(k, _)| k == key))
    }

    /// TURN allocations of the selection (all of them when the selection has none), matching
    /// the word filter.
    pub fn turn_list(&self) -> Vec<usize> {
        self.of_selection(
            self.snap.allocations.len(),
            |i| {
                let a = &self.snap.allocations[i];
                format!(
                    "{} {} {} {} {}",
                    a.client,
                    a.server,
                    a.relayed.map(|r| r.to_string()).unwrap_or_default(),
                    a.username.as_deref().unwrap_or(""),
                    a.realm.as_deref().unwrap_or("")
                )
            },
            |i| {
                let a = &self.snap.allocations[i];
                FlowKey::of(a.transport, a.client, a.server, None).0
            },
        )
    }

    /// The items `0..n` whose text (`hay`) matches the word filter, narrowed to those whose
    /// flow (`flow`) belongs to the selection when any does.
    fn of_selection(
        &self,
        n: usize,
        hay: impl Fn(usize) -> String,
        flow: impl Fn(usize) -> FlowKey,
    ) -> Vec<usize> {
        let words = self.filter_words();
        let all: Vec<usize> = (0..n)
            .filter(|&i| Self::matches(&words, &hay(i).to_ascii_lowercase()))
            .collect();
        let mine: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| self.flow_in_selection(&flow(i)))
            .collect();
        if mine.is_empty() {
            all
        } else {
            mine
        }
    }

    /// DTLS associations of the selection (all of them when the selection has none).
    pub fn dtls_list(&self) -> Vec<usize> {
        self.of_selection(
            self.snap.dtls.len(),
            |i| {
                let d = &self.snap.dtls[i];
                format!(
                    "{} {} {} {}",
                    d.a,
                    d.b,
                    d.version.as_deref().unwrap_or(""),
                    d.cipher_suite.as_deref().unwrap_or("")
                )
            },
            // The engine's flow key, transport included (DTLS over ICE-TCP too).
            |i| self.snap.dtls[i].flow,
        )
    }

    /// Pairs of the selected session, filtered, by first check.
    pub fn pair_list(&self) -> Vec<usize> {
        let Some(s) = self.selected_session() else {
            return Vec::new();
        };
        let words = self.filter_words();
        let mut v: Vec<usize> = (0..s.pairs.len())
            .filter(|&i| {
                let p = &s.pairs[i];
                let hay = format!(
                    "{} {} {:?}{}",
                    p.pair.local,
                    p.pair.remote,
                    p.state,
                    if p.pair.nominated { " nominated" } else { "" }
                )
                .to_ascii_lowercase();
                Self::matches(&words, &hay)
            })
            .collect();
        v.sort_by_key(|&i| (s.pairs[i].pair.first_ns, s.pairs[i].pair.id));
        v
    }

    /// Rebuilds what the current view draws from the capture side (sparklines, chart,
    /// packets).
    pub fn update_view(&mut self, state: &mut CaptureState) {
        let engine = &state.engine;
        let (ws, we) = self.window();
        match self.view {
            View::Sessions => {
                let h = ui::list_height(self.size, View::Sessions);
                self.rows_nav.fit(self.rows.len(), h);
                let end = (self.rows_nav.offset + h).min(self.rows.len());
                self.sparks = (self.rows_nav.offset..end)
                    .map(|i| {
                        let c =
                            snapshot::flows_chart(engine, &self.rows[i].flows, ws, we, SPARK_BINS);
                        (i, c.iter().map(|b| b[0] + b[1]).collect())
                    })
                    .collect();
            }
            View::Ice => {
                let n = self.pair_list().len();
                self.pairs_nav.fit(n, ui::list_height(self.size, View::Ice));
            }
            View::Dtls => {
                let n = self.dtls_list().len();
                self.dtls_nav.fit(n, ui::list_height(self.size, View::Dtls));
            }
            View::Streams => {
                self.rebuild_streams();
                self.streams_nav.fit(
                    self.streams.len(),
                    ui::list_height(self.size, View::Streams),
                );
                // A file's chart spans the selected session or flow (one call of many in a
                // long capture is not squeezed into the first bins); zoom and pan work
                // within it. Live, the last minute.
                let (bs, be) = match self.selected_row() {
                    Some(r) if !self.is_live() && r.first_ns < r.last_ns => (
                        r.first_ns.max(ws),
                        r.last_ns.min(we).max(r.first_ns.max(ws) + 1),
                    ),
                    _ => (ws, we),
                };
                let (cs, ce) = self.chart_window(bs, be);
                self.chart = self.build_chart(engine, cs, ce);
                // The selected stream's details (a whole decryption report behind them): made
                // again only for another stream or when the engine has moved on.
                let key = self.selected_stream().map(|k| (k, self.snap_key));
                if key != self.stream_detail_key {
                    self.stream_detail_key = key;
                    self.stream_detail = self.selected_stream().and_then(|k| {
                        let s = engine.streams().current(&k)?;
                        let d = engine.decryption();
                        let rtcp = || {
                            d.associations
                                .iter()
                                .map(|a| &a.srtp)
                                .chain(d.sdes.as_ref().map(|x| &x.srtp))
                                .map(|x| &x.rtcp)
                        };
                        let feedback = rtcp()
                            .flat_map(|r| r.feedback.iter())
                            .find(|f| f.media_ssrc == k.ssrc)
                            .cloned();
                        let rate = rtcp()
                            .flat_map(|r| r.receive_rate.iter())
                            .find(|r| r.from == s.src && r.to == s.dst && r.relay == s.relay)
                            .cloned();
                        Some((Box::new(s), feedback, rate))
                    });
                }
            }
            View::Packets => self.rebuild_packets(&mut state.store, &state.engine),
            View::Nat => {}
            View::Turn => {
                let n = self.turn_list().len();
                self.turn_nav.fit(n, ui::list_height(self.size, View::Turn));
            }
            View::Ladder => {
                let wire = self
                    .selected_row()
                    .map(|r| r.wire.clone())
                    .unwrap_or_default();
                let frozen = if self.paused { self.frozen_at } else { None };
                self.ladder.update(
                    &mut state.store,
                    wire,
                    frozen,
                    self.scan_budget,
                    ui::list_height(self.size, View::Ladder),
                    self.snap.start_ns.unwrap_or(0),
                );
            }
            View::Findings => {
                let n = self.findings.len();
                self.findings_nav
                    .fit(n, ui::list_height(self.size, View::Findings));
            }
        }
    }

    fn rebuild_streams(&mut self) {
        let words = self.filter_words();
        let snap = &self.snap;
        let mut v: Vec<usize> = (0..snap.streams.len())
            .filter(|&i| {
                let s = &snap.streams[i];
                let hay = format!(
                    "{:08x} {} {} {} {} {:?}",
                    s.key.ssrc,
                    s.key.ssrc,
                    s.codec.as_deref().unwrap_or(""),
                    s.src,
                    s.dst,
                    s.kind
                )
                .to_ascii_lowercase();
                Self::matches(&words, &hay)
            })
            .collect();
        if !self.all_streams {
            let mine: Vec<usize> = v
                .iter()
                .copied()
                .filter(|&i| self.flow_in_selection(&snap.streams[i].key.flow))
                .collect();
            if !mine.is_empty() || self.selected_session().is_some() {
                v = mine;
            }
        }
        v.sort_by(|&x, &y| {
            let (a, b) = (&snap.streams[x], &snap.streams[y]);
            (a.relay, a.src, a.dst, a.first_ns, a.key.ssrc)
                .cmp(&(b.relay, b.src, b.dst, b.first_ns, b.key.ssrc))
        });
        self.streams = v;
    }

    /// The selected stream's key.
    pub fn selected_stream(&self) -> Option<StreamKey> {
        self.streams
            .get(self.streams_nav.sel)
            .map(|&i| self.snap.streams[i].key)
    }

    /// The Streams chart's time window within the capture's `ws..we`: all of it, or zoomed
    /// in (1/2^[`Self::chart_zoom`] of it, centred at [`Self::chart_center`], kept inside).
    pub fn chart_window(&self, ws: i64, we: i64) -> (i64, i64) {
        let whole = we.saturating_sub(ws).max(1);
        let span = (whole >> self.chart_zoom.min(40)).max(1);
        let center = ws.saturating_add((whole as f64 * self.chart_center.clamp(0.0, 1.0)) as i64);
        let start = center
            .saturating_sub(span / 2)
            .clamp(ws, we.saturating_sub(span).max(ws));
        (start, start.saturating_add(span))
    }

    fn build_chart(&self, engine: &rtcscope_analysis::Engine, ws: i64, we: i64) -> Chart {
        let bins = ui::chart_bins(self.size);
        let bin_ns = ((we - ws) / bins as i64).max(1);
        let row = self.selected_row();
        let name = |r: &Row| format!("{} ⇄ {}", r.a, r.b);
        let (title, legends, data) = match (self.chart_scope, self.selected_stream(), row) {
            (ChartScope::Stream, Some(k), _) => {
                let s = self
                    .streams
                    .iter()
                    .map(|&i| &self.snap.streams[i])
                    .find(|s| s.key == k);
                let (src, dst) = s.map_or((k.flow.lo, k.flow.hi), |s| (s.src, s.dst));
                (
                    format!("stream SSRC {:#010x}", k.ssrc),
                    [format!("{src} → {dst}"), String::new()],
                    snapshot::stream_chart(engine, &k, ws, we, bins),
                )
            }
            (ChartScope::Flow, Some(k), _) => (
                format!("flow {} ⇄ {}", k.flow.lo, k.flow.hi),
                [
                    format!("{} → {}", k.flow.lo, k.flow.hi),
                    format!("{} → {}", k.flow.hi, k.flow.lo),
                ],
                snapshot::flows_chart(engine, &[(k.flow, false)], ws, we, bins),
            ),
            (_, _, Some(r)) => (
                match r.key {
                    RowKey::Session(id) => format!("session {id}: {}", name(r)),
                    RowKey::Flow(_) => format!("flow {}", name(r)),
                },
                [format!("{} → {}", r.a, r.b), format!("{} → {}", r.b, r.a)],
                snapshot::flows_chart(engine, &r.flows, ws, we, bins),
            ),
            _ => (
                String::from("nothing selected"),
                Default::default(),
                Vec::new(),
            ),
        };
        // Quality metrics are the selected stream's, whatever the scope.
        let quality = match (self.chart_metric, self.selected_stream()) {
            (ChartMetric::Bitrate, _) | (_, None) => None,
            (m, Some(k)) => {
                let q = snapshot::stream_quality(engine, &k, ws, we, bins);
                let values = q
                    .iter()
                    .map(|b| match m {
                        ChartMetric::Loss => b.loss_fraction().map(|f| f * 100.0),
                        ChartMetric::Jitter => b.jitter_max_ms(),
                        ChartMetric::Rtt => b.rtt_mean_ms(),
                        ChartMetric::Bitrate => None,
                    })
                    .collect();
                Some((m, values))
            }
        };
        let title = match (&quality, self.selected_stream()) {
            (Some(_), Some(k)) => format!("stream SSRC {:#010x}", k.ssrc),
            _ => title,
        };
        Chart {
            title,
            legends,
            start_ns: ws,
            bin_ns,
            bins: data,
            quality,
        }
    }

    /// A name for `w` to offer: the capture's name with `-packets`, numbered past the files
    /// that exist, in the current directory.
    fn save_name(&self) -> String {
        let stem = match &self.mode {
            Mode::File { path } => std::path::Path::new(path)
                .file_stem()
                .map_or("capture".into(), |s| s.to_string_lossy().into_owned()),
            Mode::Live { interface, .. } => format!("live-{interface}"),
        };
        // A name that is easy to type: no separators or controls from the capture's name.
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        (1..100)
            .map(|i| match i {
                1 => format!("{stem}-packets.pcapng"),
                i => format!("{stem}-packets-{i}.pcapng"),
            })
            .find(|n| !std::path::Path::new(n).exists())
            .unwrap_or_else(|| format!("{stem}-packets.pcapng"))
    }

    /// Writes every packet the list shows (the filter's and the selection's matches, not only
    /// the rows on screen) to a new pcapng file at `path`, one interface per link type; never
    /// overwrites a file. Returns the number of packets, and says so in [`App::notice`].
    pub fn save_packets(&mut self, state: &mut CaptureState, path: &str) -> Result<u64, String> {
        let result = self.write_packets(state, path);
        self.notice = Some(match &result {
            Ok(n) => Ok(format!(
                "saved {n} packet{} to {path}",
                if *n == 1 { "" } else { "s" }
            )),
            Err(e) => Err(e.clone()),
        });
        result
    }

    fn write_packets(&mut self, state: &mut CaptureState, path: &str) -> Result<u64, String> {
        // The list's matches, whole: finish a scan still under way.
        let budget = std::mem::replace(&mut self.scan_budget, std::time::Duration::MAX);
        self.rebuild_packets(&mut state.store, &state.engine);
        self.scan_budget = budget;
        let file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| format!("cannot create {path}: {e}"))?;
        let failed = |e: std::io::Error| format!("writing {path}: {e}");
        let mut w = rtcscope_capture::writer::PcapNgWriter::new(std::io::BufWriter::new(file))
            .map_err(failed)?;
        let store = &mut state.store;
        let scan = &self.packets.scan;
        let mut links: Vec<rtcscope_capture::LinkType> = Vec::new();
        let mut written = 0u64;
        for i in 0..scan.len(store) {
            let Some(pos) = scan.get(store, i) else {
                break;
            };
            let wrote = store.with_packet(pos, |p| {
                let iface = match links.iter().position(|&l| l == p.link) {
                    Some(i) => i as u32,
                    None => {
                        let id = w.add_interface(p.link, 0, "")?;
                        links.push(p.link);
                        id
                    }
                };
                w.write_packet(iface, p.ts_nanos, p.data, p.orig_len)
            });
            match wrote {
                Some(r) => r.map_err(failed)?,
                // The file shrank under us, or a ring forgot the packet meanwhile.
                None => {
                    return Err(format!(
                        "{path}: packet at position {pos} could not be read back; {written} saved"
                    ))
                }
            }
            written += 1;
        }
        w.finish().map_err(failed)?;
        Ok(written)
    }

    fn rebuild_packets(&mut self, store: &mut PacketStore, engine: &rtcscope_analysis::Engine) {
        let words = self.filter_words();
        let expr = self.filter_expr().and_then(Result::ok);
        let key = ScanKey {
            filter: self.filter_text().trim().to_owned(),
            wire: if self.packets.all {
                Vec::new()
            } else {
                self.selected_row()
                    .map(|r| r.wire.clone())
                    .unwrap_or_default()
            },
            frozen: if self.paused { self.frozen_at } else { None },
        };
        let budget = self.scan_budget;
        let pk = &mut self.packets;
        let scan = &mut pk.scan;
        let m = Matcher {
            expr: expr.as_ref(),
            words: if key.filter.is_empty() { &[] } else { &words },
            decrypted_signalling: false,
        };
        pk.scanning = scan.advance(store, key, &m, budget, |_, _, _| {});
        let matched = scan.len(store);
        pk.matched = matched;
        // Keep the same packet selected as the list moves; follow the tail when asked.
        if pk.follow {
            pk.nav.sel = matched.saturating_sub(1);
        } else if let Some(n) = pk.selected_number {
            pk.nav.sel = scan.find(store, n);
        }
        let h = ui::list_height(self.size, View::Packets);
        pk.nav.fit(matched, h);
        let end = (pk.nav.offset + h).min(matched);
        let start = self.snap.start_ns.unwrap_or(0);
        pk.rows = (pk.nav.offset..end)
            .filter_map(|i| {
                let pos = scan.get(store, i)?;
                let info = store.row(pos)?;
                let (number, ts, len) =
                    store.with_packet(pos, |p| (p.number, p.ts_nanos, p.data.len()))?;
                let (src, dst) = info
                    .endpoints
                    .map(|(s, d)| (s.to_string(), d.to_string()))
                    .unwrap_or_default();
                Some(PacketRow {
                    number,
                    offset_ns: i64::try_from(ts).unwrap_or(i64::MAX) - start,
                    src,
                    dst,
                    protocol: info.summary.protocol,
                    len,
                    // USERNAME, REALM, reason phrases: wire text, escaped for the terminal.
                    info: escape(&info.summary.info).into_owned(),
                })
            })
            .collect();
        let sel = scan.get(store, pk.nav.sel);
        pk.selected_number = sel.and_then(|p| store.number(p));
        match (sel, pk.selected_number) {
            (Some(pos), Some(n)) if pk.detail.as_ref().map(|d| d.number) != Some(n) => {
                // Header-extension ids as the engine knows them: the SDP's, else inferred from
                // the packets so far (never assumed).
                let streams = engine.streams();
                let opts = match &streams.hints.extmap {
                    Some(m) => DissectOptions {
                        extmap: Some(m.clone()),
                        ..DissectOptions::default()
                    },
                    None => DissectOptions {
                        extmap: streams.inferred_extmap().map(|i| i.map()),
                        extmap_inferred: true,
                        ..DissectOptions::default()
                    },
                };
                // What the engine decrypted in it, dissected as `dissect --keylog -V` shows it.
                let decrypted: Vec<_> = store
                    .decrypted
                    .get(n)
                    .map(|note| {
                        note.pieces
                            .iter()
                            .map(|pt| {
                                let what = crate::decrypted::decrypted_kind(pt.kind);
                                rtcscope_dissect::dissect_decrypted(what, &pt.bytes, &opts)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // A TCP segment whose row the stream's reassembly changed shows that frame
                // (as `dissect` does); any other packet is dissected alone.
                let stream_frame = store
                    .with_packet(pos, |p| (p.number, p.data.to_vec()))
                    .and_then(|(n, bytes)| {
                        let f = store.streams.get(n)?;
                        Some(Detail {
                            number: n,
                            tree: FieldTree::of_frame_and_decrypted(f, &decrypted),
                            bytes,
                            hex_cursor: 0,
                        })
                    });
                pk.detail = stream_frame.or_else(|| {
                    store.with_packet(pos, |p| {
                        // A unified header is not DTLS where the engine found none, as in the
                        // list.
                        let opts = DissectOptions {
                            no_dtls_before: p.no_dtls,
                            ..opts.clone()
                        };
                        let f = dissect_frame_with(
                            p.number, p.ts_nanos, p.link, p.data, p.orig_len, &opts,
                        );
                        Detail {
                            number: p.number,
                            tree: FieldTree::of_frame_and_decrypted(&f, &decrypted),
                            bytes: p.data.to_vec(),
                            hex_cursor: 0,
                        }
                    })
                });
                // Start on the first message: after the frame node and the header layers,
                // which start folded (one line each).
                let first_message = pk.detail.as_ref().and_then(|d| {
                    (1..d.tree.len()).find(|&v| {
                        d.tree
                            .line(v)
                            .is_some_and(|l| l.depth == 0 && !is_header_layer(&l.text))
                    })
                });
                pk.tree_nav = Nav {
                    sel: first_message.unwrap_or(0),
                    offset: 0,
                };
            }
            (Some(_), Some(_)) => {}
            _ => pk.detail = None,
        }
        let tree_len = pk.detail.as_ref().map_or(0, |d| d.tree.len());
        pk.tree_nav.fit(tree_len, ui::tree_height(self.size));
    }

    /// Handles one input. The caller then calls [`App::update_view`] (or [`App::refresh`])
    /// and redraws.
    pub fn handle(&mut self, event: &Event) -> Action {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.key(*k),
            Event::Mouse(m) => {
                self.mouse(*m);
                Action::None
            }
            Event::Resize(w, h) => {
                self.size = Rect::new(0, 0, *w, *h);
                Action::None
            }
            _ => Action::None,
        }
    }

    fn key(&mut self, k: KeyEvent) -> Action {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(k.code, KeyCode::Char('c') | KeyCode::Char('q')) {
            return Action::Quit;
        }
        self.notice = None;
        if let Some(buf) = self.save_prompt.as_mut() {
            match k.code {
                KeyCode::Enter => {
                    let path = self.save_prompt.take().unwrap_or_default();
                    if !path.trim().is_empty() {
                        return Action::SavePackets(path.trim().to_owned());
                    }
                }
                KeyCode::Esc => self.save_prompt = None,
                _ => edit_line(buf, k),
            }
            return Action::None;
        }
        if let Some(buf) = self.editing.as_mut() {
            match k.code {
                KeyCode::Enter => {
                    self.filter = self.editing.take().unwrap_or_default();
                }
                KeyCode::Esc => self.editing = None,
                _ => edit_line(buf, k),
            }
            self.rebuild_rows();
            return Action::None;
        }
        if self.help {
            // j/k (arrows, pages) scroll a help taller than the terminal; any other key
            // closes it, and q still quits.
            let page = ui::help_page(self.size);
            let scroll = |s: usize, d: isize| ui::help_top(s.saturating_add_signed(d), page);
            match k.code {
                KeyCode::Char('j') | KeyCode::Down => {
                    self.help_scroll = scroll(self.help_scroll, 1)
                }
                KeyCode::Char('k') | KeyCode::Up => self.help_scroll = scroll(self.help_scroll, -1),
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    self.help_scroll = scroll(self.help_scroll, page as isize)
                }
                KeyCode::PageUp => self.help_scroll = scroll(self.help_scroll, -(page as isize)),
                KeyCode::Char('q') => return Action::Quit,
                _ => self.help = false,
            }
            return Action::None;
        }
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') | KeyCode::F(1) => {
                self.help = true;
                self.help_scroll = 0;
            }
            KeyCode::Char(c @ '1'..='9') => {
                self.view = View::ALL[(c as u8 - b'1') as usize];
            }
            KeyCode::Tab => self.view = View::ALL[(self.view.index() + 1) % View::ALL.len()],
            KeyCode::BackTab => {
                self.view = View::ALL[(self.view.index() + View::ALL.len() - 1) % View::ALL.len()]
            }
            KeyCode::Char('/') => self.editing = Some(self.filter.clone()),
            // The Streams chart: zoom in and out of time, pan a quarter of the window.
            KeyCode::Char('+') | KeyCode::Char('=') if self.view == View::Streams => {
                self.chart_zoom = (self.chart_zoom + 1).min(12)
            }
            KeyCode::Char('-') if self.view == View::Streams => {
                self.chart_zoom = self.chart_zoom.saturating_sub(1);
                if self.chart_zoom == 0 {
                    self.chart_center = 0.5;
                }
            }
            KeyCode::Char('<') | KeyCode::Char('>') if self.view == View::Streams => {
                let step = 0.25 / f64::from(1u32 << self.chart_zoom.min(12));
                let half = 0.5 / f64::from(1u32 << self.chart_zoom.min(12));
                let c = self.chart_center
                    + if k.code == KeyCode::Char('>') {
                        step
                    } else {
                        -step
                    };
                self.chart_center = c.clamp(half, 1.0 - half);
            }
            KeyCode::Char('>') if self.view == View::Packets => {
                self.packets.info_scroll = (self.packets.info_scroll + 8).min(1 << 12);
            }
            KeyCode::Char('<') if self.view == View::Packets => {
                self.packets.info_scroll = self.packets.info_scroll.saturating_sub(8);
            }
            KeyCode::Char('w') if self.view == View::Packets => {
                self.save_prompt = Some(self.save_name());
            }
            KeyCode::Esc => {
                self.filter.clear();
                self.rebuild_rows();
            }
            KeyCode::Char('p') | KeyCode::Char(' ') => {
                self.paused = !self.paused;
                self.frozen_at = self.paused.then_some(self.snap.counters.packets);
            }
            KeyCode::Char(']') => self.move_session(1),
            KeyCode::Char('[') => self.move_session(-1),
            KeyCode::Char('a') => match self.view {
                View::Streams => self.all_streams = !self.all_streams,
                View::Packets => self.packets.all = !self.packets.all,
                _ => {}
            },
            KeyCode::Char('m') if self.view == View::Streams => {
                self.chart_metric = match self.chart_metric {
                    ChartMetric::Bitrate => ChartMetric::Loss,
                    ChartMetric::Loss => ChartMetric::Jitter,
                    ChartMetric::Jitter => ChartMetric::Rtt,
                    ChartMetric::Rtt => ChartMetric::Bitrate,
                };
            }
            KeyCode::Char('c') if self.view == View::Streams => {
                self.chart_scope = match self.chart_scope {
                    ChartScope::Session => ChartScope::Flow,
                    ChartScope::Flow => ChartScope::Stream,
                    ChartScope::Stream => ChartScope::Session,
                };
            }
            KeyCode::Char('r') | KeyCode::Enter
                if self.view == View::Nat
                    && !matches!(self.nat, NatState::Running)
                    && !self.nat_servers.is_empty() =>
            {
                self.nat = NatState::Running;
                return Action::RunNat;
            }
            KeyCode::Enter if self.view == View::Sessions => self.view = View::Ice,
            KeyCode::Enter if self.view == View::Ladder => {
                // The arrow's packet in the Packets view: fields and bytes.
                if let Some(n) = self.ladder.selected().map(|r| r.number) {
                    self.view = View::Packets;
                    self.packets.selected_number = Some(n);
                    self.packets.follow = false;
                    self.packets.pane = Pane::List;
                }
            }
            _ if self.view == View::Packets && self.packets_key(k.code) => {}
            KeyCode::Char('+') | KeyCode::Char('=') if self.view == View::Ladder => {
                self.ladder.zoom_by(1)
            }
            KeyCode::Char('-') if self.view == View::Ladder => self.ladder.zoom_by(-1),
            KeyCode::Char('e') if self.view == View::Sessions => {
                self.show_events = !self.show_events;
                self.events_scroll = 0;
            }
            KeyCode::Char('J') if self.view == View::Sessions && self.show_events => {
                self.events_scroll = self.events_scroll.saturating_add(3)
            }
            KeyCode::Char('K') if self.view == View::Sessions && self.show_events => {
                self.events_scroll = self.events_scroll.saturating_sub(3)
            }
            KeyCode::Down | KeyCode::Char('j') => self.move_sel(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_sel(-1),
            KeyCode::PageDown => self.move_sel(self.page()),
            KeyCode::PageUp => self.move_sel(-self.page()),
            KeyCode::Home | KeyCode::Char('g') => self.move_sel(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => {
                self.move_sel(isize::MAX / 2);
                if self.view == View::Packets && self.packets.pane == Pane::List {
                    self.packets.follow = true;
                }
            }
            _ => {}
        }
        Action::None
    }

    /// The Packets view's own keys: panes (h/l), the field tree's folds, the hex cursor.
    /// `false` when the key is not one of them there.
    fn packets_key(&mut self, code: KeyCode) -> bool {
        let height = ui::tree_height(self.size);
        let pk = &mut self.packets;
        match (pk.pane, code) {
            (Pane::List, KeyCode::Right | KeyCode::Char('l')) => pk.pane = Pane::Tree,
            (Pane::Tree, KeyCode::Char('h')) => pk.pane = Pane::List,
            (Pane::Tree, KeyCode::Char('l')) => {
                pk.pane = Pane::Hex;
                // The cursor starts on the selected field's first byte.
                if let Some(d) = pk.detail.as_mut() {
                    if let Some(l) = d.tree.line(pk.tree_nav.sel) {
                        d.hex_cursor = l.range.start.min(d.bytes.len().saturating_sub(1));
                    }
                }
            }
            (Pane::Hex, KeyCode::Char('h')) => pk.pane = Pane::Tree,
            (Pane::Tree, KeyCode::Enter | KeyCode::Right | KeyCode::Left | KeyCode::Char('+'))
            | (Pane::Tree, KeyCode::Char('-')) => {
                let Some(d) = pk.detail.as_mut() else {
                    return true;
                };
                let v = pk.tree_nav.sel;
                match code {
                    KeyCode::Enter => d.tree.toggle(v),
                    // Open, else step into the first child.
                    KeyCode::Right => {
                        if !d.tree.set_folded(v, false) {
                            let deeper = d.tree.line(v + 1).map(|l| l.depth)
                                > d.tree.line(v).map(|l| l.depth);
                            if deeper {
                                pk.tree_nav.sel = v + 1;
                            }
                        }
                    }
                    // Fold, else go to the line that holds it; at the top, back to the list.
                    KeyCode::Left => {
                        if !d.tree.set_folded(v, true) {
                            match d.tree.parent(v) {
                                Some(p) => pk.tree_nav.sel = p,
                                None => pk.pane = Pane::List,
                            }
                        }
                    }
                    KeyCode::Char('+') => pk.tree_nav.sel = d.tree.set_all(false, v),
                    _ => pk.tree_nav.sel = d.tree.set_all(true, v),
                }
                pk.tree_nav.fit(d.tree.len(), height);
            }
            (Pane::Hex, KeyCode::Left | KeyCode::Right) => {
                let delta = if code == KeyCode::Left { -1 } else { 1 };
                self.move_hex_cursor(delta);
            }
            (Pane::Hex, KeyCode::Char('+') | KeyCode::Char('-') | KeyCode::Enter) => {}
            (_, KeyCode::Left | KeyCode::Char('h')) => pk.pane = Pane::List,
            _ => return false,
        }
        true
    }

    /// Moves the hex cursor by `delta` bytes; the field tree selects the narrowest field
    /// holding the new byte.
    fn move_hex_cursor(&mut self, delta: isize) {
        let height = ui::tree_height(self.size);
        let pk = &mut self.packets;
        let Some(d) = pk.detail.as_mut() else {
            return;
        };
        let last = d.bytes.len().saturating_sub(1);
        d.hex_cursor = d.hex_cursor.saturating_add_signed(delta).min(last);
        if let Some(v) = d.tree.field_at(d.hex_cursor) {
            pk.tree_nav.sel = v;
        }
        pk.tree_nav.fit(d.tree.len(), height);
    }

    fn page(&self) -> isize {
        ui::list_height(self.size, self.view).max(2) as isize - 1
    }

    fn move_session(&mut self, delta: isize) {
        self.rows_nav.step(delta, self.rows.len());
        self.selected = self.rows.get(self.rows_nav.sel).map(|r| r.key);
        self.pairs_nav = Nav::default();
        self.dtls_nav = Nav::default();
        self.streams_nav = Nav::default();
        self.packets.nav = Nav::default();
        self.packets.selected_number = None;
        self.packets.follow = false;
    }

    fn move_sel(&mut self, delta: isize) {
        match self.view {
            View::Sessions => self.move_session(delta),
            View::Ice => {
                let n = self.pair_list().len();
                self.pairs_nav.step(delta, n);
            }
            View::Dtls => {
                let n = self.dtls_list().len();
                self.dtls_nav.step(delta, n);
            }
            View::Streams => self.streams_nav.step(delta, self.streams.len()),
            View::Packets => match self.packets.pane {
                Pane::List => {
                    self.packets.nav.step(delta, self.packets.matched);
                    self.packets.follow = false;
                    // The row list covers the screen only; the new selection is resolved by
                    // position on the next update.
                    self.packets.selected_number = None;
                }
                Pane::Tree => {
                    let n = self.packets.detail.as_ref().map_or(0, |d| d.tree.len());
                    self.packets.tree_nav.step(delta, n);
                }
                // A row of bytes a step.
                Pane::Hex => {
                    let per = ui::hex_per_line(ui::hex_area(self.size));
                    self.move_hex_cursor(delta.saturating_mul(per as isize));
                }
            },
            View::Nat => {}
            View::Findings => self.findings_nav.step(delta, self.findings.len()),
            View::Turn => {
                let n = self.turn_list().len();
                self.turn_nav.step(delta, n);
            }
            View::Ladder => self.ladder.step(delta),
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(v) = ui::tab_at(self.size, at) {
                    self.view = v;
                    return;
                }
                let hex = ui::hex_area(self.size);
                if self.view == View::Packets && hex.contains(at) {
                    let focus = match (&self.packets.detail, self.packets.pane) {
                        (Some(d), Pane::Hex) => Some(d.hex_cursor),
                        (Some(d), _) => d
                            .tree
                            .line(self.packets.tree_nav.sel)
                            .map(|l| l.range.start),
                        (None, _) => None,
                    };
                    let len = self.packets.detail.as_ref().map_or(0, |d| d.bytes.len());
                    if let Some(b) = focus.and_then(|f| ui::hex_byte_at(hex, at, f, len)) {
                        self.packets.pane = Pane::Hex;
                        if let Some(d) = self.packets.detail.as_mut() {
                            d.hex_cursor = b;
                        }
                        self.move_hex_cursor(0);
                    }
                    return;
                }
                if self.view == View::Packets && ui::tree_area(self.size).contains(at) {
                    self.packets.pane = Pane::Tree;
                    let a = ui::tree_area(self.size);
                    let i =
                        self.packets.tree_nav.offset + usize::from(at.y.saturating_sub(a.y + 1));
                    let n = self.packets.detail.as_ref().map_or(0, |d| d.tree.len());
                    if i < n {
                        self.packets.tree_nav.sel = i;
                    }
                    return;
                }
                if let Some(r) = ui::list_row_at(self.size, self.view, at) {
                    let nav = match self.view {
                        View::Sessions => self.rows_nav,
                        View::Ice => self.pairs_nav,
                        View::Dtls => self.dtls_nav,
                        View::Streams => self.streams_nav,
                        View::Packets => self.packets.nav,
                        View::Findings => self.findings_nav,
                        View::Turn => self.turn_nav,
                        View::Ladder => self.ladder.nav,
                        View::Nat => return,
                    };
                    let target = nav.offset + r;
                    self.move_sel(target as isize - nav.sel as isize);
                    if self.view == View::Packets {
                        self.packets.pane = Pane::List;
                    }
                }
            }
            MouseEventKind::ScrollDown => self.move_sel(3),
            MouseEventKind::ScrollUp => self.move_sel(-3),
            _ => {}
        }
    }

    /// Records the NAT check's outcome.
    pub fn nat_finished(&mut self, reports: Vec<rtcscope_nat::Report>, errors: Vec<String>) {
        self.nat = NatState::Done { reports, errors };
    }
}

/// A header layer's line (`Ethernet II, …`, `Internet Protocol Version 4, …`): the field
/// tree's lines that are not messages.
fn is_header_layer(text: &str) -> bool {
    [
        "Ethernet II",
        "802.1Q",
        "MACsec",
        "Linux cooked",
        "Loopback",
        "Internet Protocol",
        "User Datagram Protocol",
        "Transmission Control Protocol",
    ]
    .iter()
    .any(|h| text.starts_with(h))
}

/// A key typed into a one-line prompt (the filter, the save path), with the shell's line
/// editing: Backspace deletes a character, Ctrl-U the whole line, Ctrl-W the word before the
/// cursor (the cursor is the end).
fn edit_line(buf: &mut String, k: KeyEvent) {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Backspace => {
            buf.pop();
        }
        KeyCode::Char('u') if ctrl => buf.clear(),
        KeyCode::Char('w') if ctrl => {
            let kept = buf
                .trim_end()
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            buf.truncate(kept);
        }
        KeyCode::Char(c) if !ctrl => buf.push(c),
        _ => {}
    }
}
