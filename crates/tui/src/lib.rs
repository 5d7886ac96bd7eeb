//! rtcscope's terminal UI: a live capture or a capture file, with ICE progress, DTLS, per-stream
//! quality and the packets themselves in one place.
//!
//! The shape follows trippy and bandwhich: the capture (or the file loader) runs on its own
//! thread and feeds the sans-IO analysis engine and the packet store ([`store`]: an index of a file, or a
//! bounded ring of a live capture's raw packets) ([`source`]); each tick the UI locks that state briefly, takes a light snapshot
//! ([`rtcscope_analysis::snapshot`]) and derives what the current view draws ([`app`]);
//! [`ui::render`] is a pure function of that state. Terminal events arrive as values, so tests
//! drive the UI with keys and snapshot whole frames; [`term`] owns the real terminal and
//! restores it on every exit path, panics included.

pub mod app;
pub mod decrypted;
pub mod events;
pub mod ladder;
pub mod model;
pub mod nat;
pub mod ring;
pub mod scan;
pub mod source;
pub mod store;
pub mod streams;
pub mod term;
pub mod tree;
pub mod ui;

pub use app::{Action, App, Mode, View};
pub use source::{CaptureState, Progress, Shared};
