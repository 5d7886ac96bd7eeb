//! RFC 7983 demultiplexing: the rules live in `rtcscope-demux`, shared with the dissector;
//! the engine supplies what it knows of each flow (bound channels, DTLS seen, ports).

pub use rtcscope_demux::*;
