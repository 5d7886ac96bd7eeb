//! A dissection tree: what `rtcscope dissect -V` prints and `--json` serialises.
//!
//! Building a tree allocates (labels are formatted text); it is for display, never for the
//! analysis hot path, which reads views directly.
//!
//! Labels, values and warnings hold text as decoded, wire strings included, unescaped (JSON
//! output keeps them exact). [`Node::render`] escapes them for the terminal; any other text
//! rendering must write them through [`crate::text::Escaped`] too.

use crate::text::Escaped;
use crate::Field;
use core::fmt::Write as _;

/// One node of a dissection tree: a label, an optional value, the bytes it covers, children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// What the node is (`"Message Type"`, `"XOR-MAPPED-ADDRESS"`).
    pub label: String,
    /// Its decoded value, when it has one (`"Binding Request (0x0001)"`).
    pub value: Option<String>,
    /// The bytes it covers, as absolute offsets in the frame.
    pub range: Field,
    /// Problems found here (a bad FINGERPRINT, a truncated attribute).
    pub warnings: Vec<String>,
    /// Sub-fields.
    pub children: Vec<Node>,
}

impl Node {
    /// A node with a label and no value.
    pub fn new(label: impl Into<String>, range: Field) -> Self {
        Node {
            label: label.into(),
            range,
            ..Node::default()
        }
    }

    /// A leaf with a value.
    pub fn leaf(label: impl Into<String>, value: impl ToString, range: Field) -> Self {
        Node {
            label: label.into(),
            value: Some(value.to_string()),
            range,
            ..Node::default()
        }
    }

    /// Sets the value.
    #[must_use]
    pub fn with_value(mut self, value: impl ToString) -> Self {
        self.value = Some(value.to_string());
        self
    }

    /// Appends a child and returns `self` (builder style).
    #[must_use]
    pub fn child(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }

    /// Appends a child.
    pub fn push(&mut self, node: Node) -> &mut Node {
        self.children.push(node);
        self.children.last_mut().expect("just pushed")
    }

    /// Appends a leaf child.
    pub fn add(&mut self, label: impl Into<String>, value: impl ToString, range: Field) {
        self.children.push(Node::leaf(label, value, range));
    }

    /// Records a warning on this node.
    pub fn warn(&mut self, text: impl Into<String>) {
        self.warnings.push(text.into());
    }

    /// Moves every range in this subtree `by` bytes further into an enclosing buffer.
    pub fn shift(&mut self, by: usize) {
        self.range = self.range.start + by..self.range.end + by;
        for c in &mut self.children {
            c.shift(by);
        }
    }

    /// True when this node or any descendant carries a warning.
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty() || self.children.iter().any(Node::has_warnings)
    }

    /// Renders the tree as indented text, one node a line, with byte ranges:
    /// `    Message Type: Binding Request (0x0001)  [0..2]`. Labels, values and warnings are
    /// escaped ([`Escaped`]), so text from the wire can neither break a line nor reach the
    /// terminal as a control sequence.
    pub fn render(&self, indent: usize, out: &mut String) {
        let pad = "    ".repeat(indent);
        let label = Escaped(&self.label);
        let _ = match &self.value {
            Some(v) => write!(out, "{pad}{label}: {}", Escaped(v)),
            None => write!(out, "{pad}{label}"),
        };
        let _ = writeln!(out, "  [{}..{}]", self.range.start, self.range.end);
        for w in &self.warnings {
            let _ = writeln!(out, "{pad}    [!] {}", Escaped(w));
        }
        for c in &self.children {
            c.render(indent + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_escapes_labels_values_and_warnings() {
        let mut n = Node::new("USERNAME\x1b]0;t\x07", 20..32);
        n.add("Value", "alice\r\nok  fake line", 24..32);
        n.warn("bad\x1b[2J");
        let mut out = String::new();
        n.render(0, &mut out);
        assert_eq!(
            out,
            "USERNAME\\x1b]0;t\\x07  [20..32]\n    [!] bad\\x1b[2J\n    \
             Value: alice\\r\\nok  fake line  [24..32]\n"
        );
        // The node itself keeps the text as decoded (for JSON).
        assert_eq!(
            n.children[0].value.as_deref(),
            Some("alice\r\nok  fake line")
        );
    }
}
