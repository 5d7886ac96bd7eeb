//! TCP as `rtcscope dissect` shows it: the loader runs a dissector with state over the TCP
//! frames (the engine's stream cutter, `rtcscope_dissect::Dissector`), and keeps the frames
//! whose rows that state changes: a message completed from earlier segments, a retransmission,
//! a segment held after a gap or holding the start of a message, a segment read alone where the
//! stream was out of step. The packet list and the field tree show those frames as kept; every
//! other row is still dissected on its own, on demand, which gives the same answer.
//!
//! Kept: at most [`MAX_STREAM_FRAMES`] frames; beyond that the oldest are forgotten (their rows
//! then read the segment alone) and counted.

use rtcscope_dissect::{DissectOptions, Dissector, Frame};
use std::collections::{HashMap, VecDeque};

/// Frames kept at most.
pub const MAX_STREAM_FRAMES: usize = 16_384;

/// The TCP frames whose rows the stream's state changes, by packet number.
pub struct StreamFrames {
    dissector: Dissector,
    frames: HashMap<u64, Frame>,
    order: VecDeque<u64>,
    forgotten: u64,
}

impl Default for StreamFrames {
    fn default() -> Self {
        StreamFrames {
            dissector: Dissector::new(DissectOptions::default()),
            frames: HashMap::new(),
            order: VecDeque::new(),
            forgotten: 0,
        }
    }
}

impl std::fmt::Debug for StreamFrames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamFrames")
            .field("kept", &self.frames.len())
            .field("forgotten", &self.forgotten)
            .finish()
    }
}

impl StreamFrames {
    /// Feeds one TCP frame, in capture order; keeps it when the stream's state changed what it
    /// shows.
    pub fn feed(
        &mut self,
        number: u64,
        ts_nanos: i128,
        link: rtcscope_capture::LinkType,
        data: &[u8],
        orig_len: u32,
    ) {
        let f = self.dissector.frame(number, ts_nanos, link, data, orig_len);
        if !self.dissector.used_stream_state() {
            return;
        }
        while self.frames.len() >= MAX_STREAM_FRAMES {
            match self.order.pop_front() {
                Some(old) => {
                    self.frames.remove(&old);
                    self.forgotten += 1;
                }
                None => break,
            }
        }
        if self.frames.insert(number, f).is_none() {
            self.order.push_back(number);
        }
    }

    /// The kept frame of packet `number`, when its row is the stream's.
    pub fn get(&self, number: u64) -> Option<&Frame> {
        self.frames.get(&number)
    }

    /// Frames forgotten to stay under [`MAX_STREAM_FRAMES`].
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }
}
