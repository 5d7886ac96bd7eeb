//! The Packets view's field tree: the selected packet's dissection as lines that fold, as
//! Wireshark's packet details do, and the link between a field and its bytes both ways (a field
//! highlights its bytes; a byte selects the narrowest field that covers it).
//!
//! The frame node and the link, IP and transport headers start folded, the messages (STUN,
//! DTLS, RTP, …) open: a packet opens on what it carries, and its TTL or DSCP is one key away.

use rtcscope_dissect::{Dissected, Frame};
use rtcscope_wire::text::Escaped;
use rtcscope_wire::tree::Node;
use std::ops::Range;

/// One line of the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeLine {
    /// Nesting depth.
    pub depth: usize,
    /// `label: value`, escaped for the terminal ([`rtcscope_wire::text`]).
    pub text: String,
    /// The bytes it covers in the frame.
    pub range: Range<usize>,
    /// A warning line.
    pub warning: bool,
}

/// A packet's field tree with its folds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTree {
    lines: Vec<TreeLine>,
    collapsed: Vec<bool>,
    /// Indices into `lines` of the lines not hidden by a folded ancestor, in order.
    visible: Vec<usize>,
}

/// The tree as lines of text, escaped ([`Escaped`]): labels and values hold wire text.
fn flatten(n: &Node, depth: usize, out: &mut Vec<TreeLine>) {
    out.push(TreeLine {
        depth,
        text: match &n.value {
            Some(v) => format!("{}: {}", Escaped(&n.label), Escaped(v)),
            None => Escaped(&n.label).to_string(),
        },
        range: n.range.clone(),
        warning: false,
    });
    for w in &n.warnings {
        out.push(TreeLine {
            depth: depth + 1,
            text: format!("⚠ {}", Escaped(w)),
            range: n.range.clone(),
            warning: true,
        });
    }
    for c in &n.children {
        flatten(c, depth + 1, out);
    }
}

impl FieldTree {
    /// The tree of a dissected frame: the frame node and the header layers folded, the
    /// messages open.
    pub fn of_frame(f: &Frame) -> Self {
        Self::of_frame_and_decrypted(f, &[])
    }

    /// As [`Self::of_frame`], followed by what the engine decrypted in the frame (open). The
    /// decrypted trees' offsets are into the plaintext, not the frame, so their lines cover
    /// no frame bytes: the hex pane highlights nothing for them.
    pub fn of_frame_and_decrypted(f: &Frame, decrypted: &[Dissected]) -> Self {
        let mut lines = Vec::new();
        let mut folded = Vec::new();
        for (n, fold) in std::iter::once((&f.frame, true))
            .chain(f.layers.iter().map(|l| (l, true)))
            .chain(f.messages.iter().map(|m| (&m.tree, false)))
        {
            let at = lines.len();
            flatten(n, 0, &mut lines);
            if fold {
                folded.push(at);
            }
        }
        for d in decrypted {
            let at = lines.len();
            flatten(&d.tree, 0, &mut lines);
            for l in &mut lines[at..] {
                l.range = 0..0;
            }
        }
        Self::new(lines, &folded)
    }

    /// A tree of `lines`, with the lines at `folded` folded.
    pub fn new(lines: Vec<TreeLine>, folded: &[usize]) -> Self {
        let mut collapsed = vec![false; lines.len()];
        for &i in folded {
            if let Some(c) = collapsed.get_mut(i) {
                *c = true;
            }
        }
        let mut t = FieldTree {
            lines,
            collapsed,
            visible: Vec::new(),
        };
        t.relayout();
        t
    }

    fn relayout(&mut self) {
        self.visible.clear();
        let mut hidden_below: Option<usize> = None;
        for (i, l) in self.lines.iter().enumerate() {
            if let Some(d) = hidden_below {
                if l.depth > d {
                    continue;
                }
                hidden_below = None;
            }
            self.visible.push(i);
            if self.collapsed[i] && self.has_children(i) {
                hidden_below = Some(l.depth);
            }
        }
    }

    /// Every line, folded or not.
    pub fn all_lines(&self) -> &[TreeLine] {
        &self.lines
    }

    /// Lines on screen (not hidden by a fold).
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// No lines at all.
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// The `v`-th line on screen.
    pub fn line(&self, v: usize) -> Option<&TreeLine> {
        self.lines.get(*self.visible.get(v)?)
    }

    /// The lines on screen, each with whether it folds (`Some(folded)`) or is a leaf (`None`).
    pub fn shown(&self) -> impl Iterator<Item = (&TreeLine, Option<bool>)> + '_ {
        self.visible.iter().map(|&i| {
            let fold = self.has_children(i).then(|| self.collapsed[i]);
            (&self.lines[i], fold)
        })
    }

    fn has_children(&self, i: usize) -> bool {
        match (self.lines.get(i), self.lines.get(i + 1)) {
            (Some(a), Some(b)) => b.depth > a.depth,
            _ => false,
        }
    }

    /// Folds (`true`) or opens the `v`-th line on screen; `false` when it has no children or
    /// already was so.
    pub fn set_folded(&mut self, v: usize, fold: bool) -> bool {
        let Some(&i) = self.visible.get(v) else {
            return false;
        };
        if !self.has_children(i) || self.collapsed[i] == fold {
            return false;
        }
        self.collapsed[i] = fold;
        self.relayout();
        true
    }

    /// Folds an open line, opens a folded one.
    pub fn toggle(&mut self, v: usize) {
        if let Some(&i) = self.visible.get(v) {
            let fold = !self.collapsed[i];
            self.set_folded(v, fold);
        }
    }

    /// The line on screen that holds the `v`-th one.
    pub fn parent(&self, v: usize) -> Option<usize> {
        let depth = self.line(v)?.depth;
        (0..v)
            .rev()
            .find(|&u| self.lines[self.visible[u]].depth < depth)
    }

    /// Folds or opens every line; the line that held `keep` stays on screen, and its new
    /// position is returned.
    pub fn set_all(&mut self, fold: bool, keep: usize) -> usize {
        let mut target = self.visible.get(keep).copied().unwrap_or(0);
        if fold {
            // The outermost line holding it.
            while let Some(p) = (0..target)
                .rev()
                .find(|&j| self.lines[j].depth < self.lines[target].depth)
            {
                target = p;
            }
        }
        self.collapsed.iter_mut().for_each(|c| *c = fold);
        self.relayout();
        self.visible.iter().position(|&i| i == target).unwrap_or(0)
    }

    /// The narrowest field covering byte `at` of the frame (the deepest among equals; never a
    /// warning line), its folded ancestors opened: its position on screen.
    pub fn field_at(&mut self, at: usize) -> Option<usize> {
        let best = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.warning && l.range.contains(&at))
            .min_by_key(|(_, l)| (l.range.len(), std::cmp::Reverse(l.depth)))?
            .0;
        // Open every line that holds it.
        let mut depth = self.lines[best].depth;
        for j in (0..best).rev() {
            if self.lines[j].depth < depth {
                self.collapsed[j] = false;
                depth = self.lines[j].depth;
            }
        }
        self.relayout();
        self.visible.iter().position(|&i| i == best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(depth: usize, text: &str, range: Range<usize>) -> TreeLine {
        TreeLine {
            depth,
            text: text.into(),
            range,
            warning: false,
        }
    }

    /// Frame [0..60] { time }, IPv4 [14..34] { ttl [22..23] }, STUN [42..60] { type [42..44] }.
    fn sample() -> FieldTree {
        FieldTree::new(
            vec![
                line(0, "Frame", 0..60),
                line(1, "Arrival time", 0..0),
                line(0, "IPv4", 14..34),
                line(1, "TTL", 22..23),
                line(0, "STUN", 42..60),
                line(1, "Type", 42..44),
            ],
            &[0, 2],
        )
    }

    fn texts(t: &FieldTree) -> Vec<&str> {
        t.shown().map(|(l, _)| l.text.as_str()).collect()
    }

    #[test]
    fn folds_hide_children_and_open_again() {
        let mut t = sample();
        assert_eq!(texts(&t), ["Frame", "IPv4", "STUN", "Type"]);
        let folds: Vec<Option<bool>> = t.shown().map(|(_, f)| f).collect();
        assert_eq!(folds, [Some(true), Some(true), Some(false), None]);
        assert!(t.set_folded(1, false));
        assert_eq!(texts(&t), ["Frame", "IPv4", "TTL", "STUN", "Type"]);
        assert!(!t.set_folded(1, false), "already open");
        assert!(!t.set_folded(2, true), "a leaf does not fold");
        t.toggle(3);
        assert_eq!(texts(&t), ["Frame", "IPv4", "TTL", "STUN"]);
        assert_eq!(t.parent(2), Some(1));
        assert_eq!(t.parent(1), None);
    }

    #[test]
    fn a_byte_selects_the_narrowest_field_and_opens_its_fold() {
        let mut t = sample();
        // Byte 22 is the TTL, inside the folded IPv4 header and the frame.
        let v = t.field_at(22).unwrap();
        assert_eq!(t.line(v).unwrap().text, "TTL");
        assert_eq!(texts(&t), ["Frame", "IPv4", "TTL", "STUN", "Type"]);
        // A byte only the frame covers selects the frame.
        let v = t.field_at(5).unwrap();
        assert_eq!(t.line(v).unwrap().text, "Frame");
        assert_eq!(t.field_at(60), None);
        // The field's own bytes select it back.
        let v = t.field_at(43).unwrap();
        assert_eq!(t.line(v).unwrap().range, 42..44);
    }

    #[test]
    fn fold_all_keeps_the_outermost_line_of_the_selection() {
        let mut t = sample();
        let v = t.field_at(43).unwrap();
        let at = t.set_all(true, v);
        assert_eq!(texts(&t), ["Frame", "IPv4", "STUN"]);
        assert_eq!(t.line(at).unwrap().text, "STUN");
        let at = t.set_all(false, at);
        assert_eq!(t.len(), 6);
        assert_eq!(t.line(at).unwrap().text, "STUN");
    }
}
