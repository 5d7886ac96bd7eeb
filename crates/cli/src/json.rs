//! The layout of `analyze --json`: indented like `serde_json`'s pretty printer, except that an
//! array whose first element is a number, a boolean or `null` is written on one line, and so is
//! an object in an array whose members are all numbers, booleans, `null`s or strings and which
//! fits in [`FLAT_OBJECT`] bytes.
//!
//! The report's time series are columns of numbers or arrays of small objects (one element per
//! 100 ms bucket of every flow and stream); pretty-printed one number to a line, they made up
//! most of the report's lines and bytes and a fifth of the whole command's work
//! (docs/benchmarks.md). On one line they read as the rows and columns they are, and the rest
//! keeps the indented layout a reader (or `grep`) expects. The text is the same JSON value
//! either way.

use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use std::io::{self, Write};

/// An object in an array is written on one line when it is at most this long.
pub const FLAT_OBJECT: usize = 160;

/// Writes `value` to `out` in this module's layout.
pub fn to_writer<W: Write, T: serde::Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Layout::default());
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// An open array or object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Open {
    /// An array before its first element is known.
    Array,
    /// An array whose first element has begun and is not known yet.
    ArrayFirst,
    /// An array on one line.
    Flat,
    /// An array with one element to a line.
    Tall,
    /// An object (with at least one member once `true`).
    Object(bool),
}

/// The formatter: the stack of open arrays and objects (as deep as the value, not as long), and
/// the object in an array being held back until it is known to be flat (it ends with scalar
/// members only, short enough) or tall (a member is an array or an object, or it grows too
/// long). A held object is written in the flat layout into `flat`, with where each member
/// starts in `members`, from which the tall layout is made when it turns out tall. The two
/// buffers are reused from one object to the next.
#[derive(Debug, Default)]
struct Layout {
    open: Vec<Open>,
    /// The depth of the stack with the held object open, when one is held.
    held: Option<usize>,
    flat: Vec<u8>,
    members: Vec<usize>,
}

const INDENT: &[u8] = b"  ";

/// A line break and `depth` levels of indentation.
fn line_break<X: ?Sized + Write>(x: &mut X, depth: usize) -> io::Result<()> {
    x.write_all(b"\n")?;
    for _ in 0..depth {
        x.write_all(INDENT)?;
    }
    Ok(())
}

impl Layout {
    /// Writes `bytes`, or holds them.
    fn put<W: ?Sized + Write>(&mut self, w: &mut W, bytes: &[u8]) -> io::Result<()> {
        if self.held.is_some() {
            self.flat.extend_from_slice(bytes);
            Ok(())
        } else {
            w.write_all(bytes)
        }
    }

    /// The held object turned out tall: what it has so far goes out in that layout, one
    /// member to a line.
    fn release_tall<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let Some(depth) = self.held.take() else {
            return Ok(());
        };
        let flat = &self.flat;
        w.write_all(&flat[..self.members.first().map_or(flat.len(), |&m| m)])?;
        for (i, &start) in self.members.iter().enumerate() {
            // Members are separated by ", " in the flat layout.
            let end = self.members.get(i + 1).map_or(flat.len(), |&next| next - 2);
            if i > 0 {
                w.write_all(b",")?;
            }
            line_break(w, depth)?;
            w.write_all(&flat[start..end])?;
        }
        self.flat.clear();
        self.members.clear();
        Ok(())
    }

    /// Called before a value is written: decides the layout of an array at its first element,
    /// flat for a scalar (`scalar`), tall otherwise; a container inside a held object makes it
    /// tall.
    fn value<W: ?Sized + Write>(&mut self, w: &mut W, scalar: bool) -> io::Result<()> {
        if !scalar {
            self.release_tall(w)?;
        }
        let depth = self.open.len();
        if let Some(top) = self.open.last_mut() {
            if *top == Open::ArrayFirst {
                if scalar {
                    *top = Open::Flat;
                } else {
                    *top = Open::Tall;
                    line_break(w, depth)?;
                }
            }
        }
        Ok(())
    }

    /// After a piece of a held object: a held object grown too long is tall.
    fn check_length<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.held.is_some() && self.flat.len() > FLAT_OBJECT {
            self.release_tall(w)?;
        }
        Ok(())
    }
}

/// Each scalar writer: decide the enclosing array's layout, then write as `CompactFormatter`
/// (into the held object, if any).
macro_rules! scalars {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W, v: $t) -> io::Result<()> {
            self.value(w, true)?;
            if self.held.is_none() {
                return CompactFormatter.$name(w, v);
            }
            CompactFormatter.$name(&mut self.flat, v)?;
            self.check_length(w)
        }
    )*};
}

impl Formatter for Layout {
    scalars!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_f32(f32),
        write_f64(f64),
        write_number_str(&str),
    );

    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, true)?;
        self.put(w, b"null")
    }

    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        // An array of strings is tall (one to a line); a string in an object (a key or a
        // member) leaves a held object flat. `value` leaves objects alone.
        if !matches!(self.open.last(), Some(Open::Object(_))) {
            self.value(w, false)?;
        }
        self.put(w, b"\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.put(w, b"\"")?;
        self.check_length(w)
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, f: &str) -> io::Result<()> {
        self.put(w, f.as_bytes())?;
        self.check_length(w)
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, w: &mut W, c: CharEscape) -> io::Result<()> {
        if self.held.is_none() {
            return CompactFormatter.write_char_escape(w, c);
        }
        CompactFormatter.write_char_escape(&mut self.flat, c)?;
        self.check_length(w)
    }

    fn write_raw_fragment<W: ?Sized + Write>(&mut self, w: &mut W, f: &str) -> io::Result<()> {
        self.value(w, false)?;
        w.write_all(f.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        self.open.push(Open::Array);
        w.write_all(b"[")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        let depth = self.open.len();
        match self.open.last_mut() {
            Some(top @ Open::Array) => *top = Open::ArrayFirst,
            Some(Open::Flat) if !first => w.write_all(b",")?,
            Some(Open::Tall) if !first => {
                w.write_all(b",")?;
                line_break(w, depth)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.open.pop() == Some(Open::Tall) {
            line_break(w, self.open.len())?;
        }
        w.write_all(b"]")
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value(w, false)?;
        let in_array = self.open.last() == Some(&Open::Tall);
        self.open.push(Open::Object(false));
        if in_array {
            self.held = Some(self.open.len());
        }
        self.put(w, b"{")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if let Some(top) = self.open.last_mut() {
            *top = Open::Object(true);
        }
        if self.held.is_some() {
            if !first {
                self.flat.extend_from_slice(b", ");
            }
            self.members.push(self.flat.len());
            return Ok(());
        }
        if !first {
            w.write_all(b",")?;
        }
        line_break(w, self.open.len())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.put(w, b": ")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let depth = self.open.len();
        let members = self.open.pop() == Some(Open::Object(true));
        if self.held == Some(depth) {
            self.held = None;
            w.write_all(&self.flat)?;
            self.flat.clear();
            self.members.clear();
            return w.write_all(b"}");
        }
        if members {
            line_break(w, self.open.len())?;
        }
        w.write_all(b"}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn text(v: &Value) -> String {
        let mut out = Vec::new();
        to_writer(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_and_small_objects_on_one_line_the_rest_indented() {
        let long = "x".repeat(FLAT_OBJECT);
        let v = json!({
            "series": {"start_ns": 5, "bytes": [1, 2, 3], "jitter": [null, 1.5, null]},
            "flags": [true, false],
            "names": ["a", "b\n"],
            "empty": [],
            "none": {},
            "rows": [{"a": 1, "s": "q\"\t"}, {}, {"b": [[1, 2], [3]]}, {"c": {"d": 1}}],
            "nested": [[1, 2], []],
            "long": [{"k": long}],
        });
        let want = r#"{
  "empty": [],
  "flags": [true,false],
  "long": [
    {
      "k": "LONG"
    }
  ],
  "names": [
    "a",
    "b\n"
  ],
  "nested": [
    [1,2],
    []
  ],
  "none": {},
  "rows": [
    {"a": 1, "s": "q\"\t"},
    {},
    {
      "b": [
        [1,2],
        [3]
      ]
    },
    {
      "c": {
        "d": 1
      }
    }
  ],
  "series": {
    "bytes": [1,2,3],
    "jitter": [null,1.5,null],
    "start_ns": 5
  }
}"#
        .replace("LONG", &long);
        assert_eq!(text(&v), want);
    }

    /// Whatever the value, the text reads back as the same value, and it is what
    /// `to_string_pretty` writes once the whitespace outside strings is removed.
    #[test]
    fn any_value_reads_back_the_same() {
        let values = [
            json!(null),
            json!(1),
            json!("x"),
            json!([]),
            json!([1, "a", {"k": [null]}, [[]], 2.5e300]),
            json!([{"k": 1}, 2, [3, {"z": []}]]),
            json!([{"a": "x".repeat(200), "b": [1]}, {"a": 1, "b": {"c": [{"d": null}]}}]),
            json!([{"e": "\u{1}\\\"", "f": true}, [{"g": -0.5}]]),
            json!({"a": {"b": {"c": [[[1]]]}}, "d": [-1, 18446744073709551615u64]}),
        ];
        for v in values {
            let t = text(&v);
            assert_eq!(serde_json::from_str::<Value>(&t).unwrap(), v, "{t}");
            let strip = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(
                strip(&t),
                strip(&serde_json::to_string_pretty(&v).unwrap()),
                "{t}"
            );
        }
    }
}
