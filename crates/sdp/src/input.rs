//! Getting SDP text out of what people paste: raw SDP, or signalling JSON such as
//! `{"type":"offer","sdp":"v=0\r\n…"}`, arrays of those, or objects nesting them
//! (`{"sdp": {"type": …, "sdp": …}}`, `{"offer": {…}, "answer": {…}}`).

use core::fmt;
use serde_json::Value;

/// The JSEP type of a description (RFC 9429 §4.1.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "lowercase")
)]
pub enum SdpType {
    /// `offer`.
    Offer,
    /// `pranswer` (provisional answer).
    Pranswer,
    /// `answer`.
    Answer,
    /// `rollback`.
    Rollback,
}

impl SdpType {
    /// Parses `offer`, `pranswer`, `answer` or `rollback` (case-insensitive).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "offer" => SdpType::Offer,
            "pranswer" => SdpType::Pranswer,
            "answer" => SdpType::Answer,
            "rollback" => SdpType::Rollback,
            _ => return None,
        })
    }

    /// The lowercase name.
    pub const fn as_str(self) -> &'static str {
        match self {
            SdpType::Offer => "offer",
            SdpType::Pranswer => "pranswer",
            SdpType::Answer => "answer",
            SdpType::Rollback => "rollback",
        }
    }

    /// True for `answer` and `pranswer`.
    pub const fn is_answer(self) -> bool {
        matches!(self, SdpType::Answer | SdpType::Pranswer)
    }
}

impl fmt::Display for SdpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SDP found in an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Where in the input it was: `""` for raw text, a JSON path such as `$[1].sdp` otherwise.
    pub path: String,
    /// The type given next to it in JSON (`"type": "answer"`), if any.
    pub sdp_type: Option<SdpType>,
    /// The SDP text (invalid UTF-8 replaced by U+FFFD).
    pub text: String,
    /// Byte offset of the first invalid UTF-8 sequence in the input, if there was one.
    pub invalid_utf8_at: Option<usize>,
}

/// Why no SDP could be taken from an input.
#[derive(Debug)]
pub enum InputError {
    /// The input looks like JSON (starts with `{` or `[`) but does not parse.
    Json(serde_json::Error),
    /// Valid JSON without any `"sdp": "…"` string in it.
    NoSdpInJson,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Json(e) => write!(f, "input looks like JSON but does not parse: {e}"),
            InputError::NoSdpInJson => f.write_str("JSON input holds no \"sdp\" string"),
        }
    }
}

impl std::error::Error for InputError {}

/// Finds every SDP in `bytes`: raw SDP text gives one [`Document`]; JSON gives one per
/// `"sdp": "<string>"` member found at any depth (in document order), typed by a sibling
/// `"type"`.
pub fn documents(bytes: &[u8]) -> Result<Vec<Document>, InputError> {
    let invalid_utf8_at = std::str::from_utf8(bytes).err().map(|e| e.valid_up_to());
    let text = String::from_utf8_lossy(bytes);
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if body.starts_with('{') || body.starts_with('[') {
        let v: Value = serde_json::from_str(body).map_err(InputError::Json)?;
        let mut out = Vec::new();
        walk(&v, "$".to_owned(), None, &mut out);
        if out.is_empty() {
            return Err(InputError::NoSdpInJson);
        }
        for d in &mut out {
            d.invalid_utf8_at = invalid_utf8_at;
        }
        return Ok(out);
    }
    Ok(vec![Document {
        path: String::new(),
        sdp_type: None,
        text: text.into_owned(),
        invalid_utf8_at,
    }])
}

fn walk(v: &Value, path: String, inherited: Option<SdpType>, out: &mut Vec<Document>) {
    match v {
        Value::Object(m) => {
            let own = m
                .get("type")
                .and_then(Value::as_str)
                .and_then(SdpType::from_name)
                .or(inherited);
            for (k, child) in m {
                let p = format!("{path}.{k}");
                match (k.as_str(), child) {
                    ("sdp", Value::String(s)) => out.push(Document {
                        path: p,
                        sdp_type: own,
                        text: s.clone(),
                        invalid_utf8_at: None,
                    }),
                    // `{"offer": {...}}` and `{"answer": "v=0..."}` name the type by their key.
                    (key, Value::String(s))
                        if SdpType::from_name(key).is_some() && s.starts_with("v=") =>
                    {
                        out.push(Document {
                            path: p,
                            sdp_type: SdpType::from_name(key),
                            text: s.clone(),
                            invalid_utf8_at: None,
                        })
                    }
                    (key, _) => walk(child, p, SdpType::from_name(key).or(own), out),
                }
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), inherited, out);
            }
        }
        _ => {}
    }
}
