//! rtcscope's display-filter language: a small, exact subset of Wireshark's, shared by
//! `rtcscope dissect -Y` and the TUI's packet filter.
//!
//! ```
//! use rtcscope_filter::{parse, Fields, RtpHeader};
//! let filter = parse("rtp.ssrc == 0x1234 && !rtcp").unwrap();
//! let mut fields = Fields::new();
//! fields.add_rtp(RtpHeader { ssrc: 0x1234, pt: 111, seq: 7, marker: false });
//! assert!(filter.matches(&fields));
//! assert_eq!(
//!     parse("ip.src == ").unwrap_err().to_string(),
//!     "expected an IPv4 or IPv6 address (optionally /prefix) after '==', found the end of \
//!      the filter at column 11"
//! );
//! ```
//!
//! * [`parse`] turns text into an [`Expr`] or a [`ParseError`] with the byte offset and
//!   column of the problem and what was expected there (for a filter bar that turns red as
//!   one types). The grammar and the fields are in `docs/filters.md` and in [`parser`]'s docs.
//! * A dissector fills a [`Fields`] record per frame (fixed size, no heap); [`Expr::matches`]
//!   evaluates a filter on it without allocating.
//! * [`Expr`]'s `Display` prints a canonical form that parses back to the same tree.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ast;
mod eval;
pub mod fields;
pub mod parser;

pub use ast::{CmpOp, Expr, Field, Kind, Proto, Value};
pub use fields::{Fields, Multi, Protocols, RtpHeader, TransactionId};
pub use parser::{parse, ParseError, MAX_DEPTH};
