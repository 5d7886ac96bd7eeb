//! Lexer and recursive-descent parser.
//!
//! ```text
//! filter  := or
//! or      := and  (("||" | "or")  and)*
//! and     := unary (("&&" | "and") unary)*
//! unary   := ("!" | "not") unary | primary
//! primary := "(" or ")" | PROTOCOL | FIELD [op VALUE]
//! op      := "==" | "!=" | "<" | "<=" | ">" | ">=" | "eq" | "ne" | "lt" | "le" | "gt" | "ge"
//! ```
//!
//! Words (names, numbers, addresses) are runs of ASCII letters, digits and `. _ : /`.
//! Keywords are case-insensitive. Every `(` and `!` nests one level; more than
//! [`MAX_DEPTH`] levels is an error, so neither parsing nor evaluation can exhaust the stack.

use crate::ast::{CmpOp, Expr, Field, Kind, Proto, Value, STUN_CLASSES, STUN_METHODS};
use core::fmt;
use std::net::IpAddr;

/// How deeply parentheses and `!` may nest.
pub const MAX_DEPTH: usize = 64;

/// Why a filter does not parse, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the filter text where the problem is (its length when the text ended
    /// too early).
    pub offset: usize,
    /// Byte offset where the offending token ends (equal to `offset` at the end of the text).
    pub end: usize,
    /// Column (1-based, in characters) of `offset`.
    pub column: usize,
    /// What was expected or is wrong, without the position.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok<'a> {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Op(CmpOp),
    Word(&'a str),
    End,
}

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/')
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Result<Token<'a>, ParseError> {
        let b = self.src.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                tok: Tok::End,
                start,
                end: start,
            });
        };
        let next = b.get(start + 1).copied();
        let (tok, len) = match (c, next) {
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'&', Some(b'&')) => (Tok::And, 2),
            (b'|', Some(b'|')) => (Tok::Or, 2),
            (b'=', Some(b'=')) => (Tok::Op(CmpOp::Eq), 2),
            (b'!', Some(b'=')) => (Tok::Op(CmpOp::Ne), 2),
            (b'<', Some(b'=')) => (Tok::Op(CmpOp::Le), 2),
            (b'>', Some(b'=')) => (Tok::Op(CmpOp::Ge), 2),
            (b'<', _) => (Tok::Op(CmpOp::Lt), 1),
            (b'>', _) => (Tok::Op(CmpOp::Gt), 1),
            (b'!', _) => (Tok::Not, 1),
            (b'&', _) => return Err(error(self.src, start, start + 1, "expected '&&'")),
            (b'|', _) => return Err(error(self.src, start, start + 1, "expected '||'")),
            (b'=', _) => {
                return Err(error(
                    self.src,
                    start,
                    start + 1,
                    "'=' is not an operator (use '==')",
                ))
            }
            (c, _) if is_word_byte(c) => {
                let mut end = start;
                while end < b.len() && is_word_byte(b[end]) {
                    end += 1;
                }
                let w = &self.src[start..end];
                let tok = match w.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "eq" => Tok::Op(CmpOp::Eq),
                    "ne" => Tok::Op(CmpOp::Ne),
                    "lt" => Tok::Op(CmpOp::Lt),
                    "le" => Tok::Op(CmpOp::Le),
                    "gt" => Tok::Op(CmpOp::Gt),
                    "ge" => Tok::Op(CmpOp::Ge),
                    _ => Tok::Word(w),
                };
                (tok, end - start)
            }
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('?');
                return Err(error(
                    self.src,
                    start,
                    start + ch.len_utf8(),
                    &format!("unexpected character {ch:?}"),
                ));
            }
        };
        self.pos = start + len;
        Ok(Token {
            tok,
            start,
            end: start + len,
        })
    }
}

fn column(src: &str, offset: usize) -> usize {
    src.get(..offset).map_or(offset, |s| s.chars().count()) + 1
}

fn error(src: &str, offset: usize, end: usize, message: &str) -> ParseError {
    ParseError {
        offset,
        end,
        column: column(src, offset),
        message: message.to_owned(),
    }
}

fn describe(src: &str, t: &Token<'_>) -> String {
    match t.tok {
        Tok::End => "the end of the filter".to_owned(),
        _ => format!("'{}'", &src[t.start..t.end]),
    }
}

/// Parses a filter. The empty (or all-blank) text is an error: callers treat it as "no
/// filter" before asking.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        src,
        lex: Lexer { src, pos: 0 },
        peeked: None,
    };
    if p.peek()?.tok == Tok::End {
        return Err(error(src, 0, 0, "empty filter"));
    }
    let e = p.or(0)?;
    let t = p.peek()?;
    match t.tok {
        Tok::End => Ok(e),
        Tok::RParen => Err(error(src, t.start, t.end, "unbalanced ')'")),
        _ => Err(error(
            src,
            t.start,
            t.end,
            &format!(
                "expected '&&', '||' or the end of the filter, found {}",
                describe(src, &t)
            ),
        )),
    }
}

struct Parser<'a> {
    src: &'a str,
    lex: Lexer<'a>,
    peeked: Option<Token<'a>>,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<Token<'a>, ParseError> {
        if let Some(t) = self.peeked {
            return Ok(t);
        }
        let t = self.lex.next()?;
        self.peeked = Some(t);
        Ok(t)
    }

    fn bump(&mut self) -> Result<Token<'a>, ParseError> {
        let t = self.peek()?;
        self.peeked = None;
        Ok(t)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let first = self.and(depth)?;
        if self.peek()?.tok != Tok::Or {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.peek()?.tok == Tok::Or {
            let op = self.bump()?;
            v.push(self.operand_after(depth, &op, Parser::and)?);
        }
        Ok(Expr::Or(v))
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let first = self.unary(depth)?;
        if self.peek()?.tok != Tok::And {
            return Ok(first);
        }
        let mut v = vec![first];
        while self.peek()?.tok == Tok::And {
            let op = self.bump()?;
            v.push(self.operand_after(depth, &op, Parser::unary)?);
        }
        Ok(Expr::And(v))
    }

    /// The operand after a binary operator: says which operator lacks it.
    fn operand_after(
        &mut self,
        depth: usize,
        op: &Token<'a>,
        f: fn(&mut Self, usize) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let t = self.peek()?;
        if matches!(
            t.tok,
            Tok::End | Tok::RParen | Tok::And | Tok::Or | Tok::Op(_)
        ) {
            return Err(error(
                self.src,
                t.start,
                t.end,
                &format!(
                    "expected a protocol, a field or '(' after '{}'",
                    &self.src[op.start..op.end]
                ),
            ));
        }
        f(self, depth)
    }

    fn nest(&self, depth: usize, t: &Token<'_>) -> Result<usize, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(error(
                self.src,
                t.start,
                t.end,
                &format!("nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(depth + 1)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let t = self.peek()?;
        if t.tok == Tok::Not {
            let depth = self.nest(depth, &t)?;
            self.bump()?;
            let next = self.peek()?;
            if matches!(
                next.tok,
                Tok::End | Tok::RParen | Tok::And | Tok::Or | Tok::Op(_)
            ) {
                return Err(error(
                    self.src,
                    next.start,
                    next.end,
                    &format!(
                        "expected a protocol, a field or '(' after '{}'",
                        &self.src[t.start..t.end]
                    ),
                ));
            }
            return Ok(Expr::Not(Box::new(self.unary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let t = self.bump()?;
        match t.tok {
            Tok::LParen => {
                let depth = self.nest(depth, &t)?;
                if self.peek()?.tok == Tok::RParen {
                    let r = self.peek()?;
                    return Err(error(
                        self.src,
                        r.start,
                        r.end,
                        "expected a protocol, a field or '(' after '('",
                    ));
                }
                let e = self.or(depth)?;
                let close = self.bump()?;
                if close.tok != Tok::RParen {
                    return Err(error(
                        self.src,
                        close.start,
                        close.end,
                        &format!(
                            "expected ')' to close the '(' at column {}, found {}",
                            column(self.src, t.start),
                            describe(self.src, &close)
                        ),
                    ));
                }
                Ok(e)
            }
            Tok::Word(w) => self.name(w, &t),
            _ => Err(error(
                self.src,
                t.start,
                t.end,
                &format!(
                    "expected a protocol, a field or '(', found {}",
                    describe(self.src, &t)
                ),
            )),
        }
    }

    fn name(&mut self, w: &'a str, t: &Token<'a>) -> Result<Expr, ParseError> {
        let op = self.peek()?;
        if let Some(p) = Proto::ALL.iter().find(|p| p.name().eq_ignore_ascii_case(w)) {
            if let Tok::Op(_) = op.tok {
                return Err(error(
                    self.src,
                    op.start,
                    op.end,
                    &format!(
                        "{} is a protocol, not a field: it cannot be compared (fields: {})",
                        p.name(),
                        fields_of(p.name())
                    ),
                ));
            }
            return Ok(Expr::Proto(*p));
        }
        let Some(field) = Field::from_name(w) else {
            let close = close_names(w);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(", "))
            };
            return Err(error(
                self.src,
                t.start,
                t.end,
                &format!("unknown field or protocol '{w}'{hint}"),
            ));
        };
        let Tok::Op(cmp) = op.tok else {
            return Ok(Expr::Has(field));
        };
        self.bump()?;
        let op_text = &self.src[op.start..op.end];
        let kind = field.kind();
        if !matches!(kind, Kind::Int(_)) && !matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
            return Err(error(
                self.src,
                op.start,
                op.end,
                &format!("{} can only be compared with '==' or '!='", field.name()),
            ));
        }
        let v = self.bump()?;
        let Tok::Word(text) = v.tok else {
            return Err(error(
                self.src,
                v.start,
                v.end,
                &format!(
                    "expected {} after '{op_text}', found {}",
                    expected(field),
                    describe(self.src, &v)
                ),
            ));
        };
        match value(field, text) {
            Some(value) => Ok(Expr::Cmp(field, cmp, value)),
            None => Err(error(
                self.src,
                v.start,
                v.end,
                &format!(
                    "expected {} after '{op_text}', found '{text}'",
                    expected(field)
                ),
            )),
        }
    }
}

/// What a field's value looks like, for error messages.
fn expected(field: Field) -> String {
    match field.kind() {
        Kind::Addr => "an IPv4 or IPv6 address (optionally /prefix)".to_owned(),
        Kind::Int(max) => {
            let names = named_ints(field);
            let mut s = format!("a value for {} (0-{max}", field.name());
            if field == Field::RtpSsrc || field == Field::RtcpSsrc {
                s.push_str(", decimal or 0x hex");
            }
            if !names.is_empty() {
                s.push_str(", or ");
                let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                s.push_str(&list.join(", "));
            }
            s.push(')');
            s
        }
        Kind::Bool => "0, 1, true or false".to_owned(),
        Kind::StunType => "a STUN type (binding, allocate, refresh, send, data, createpermission, \
             channelbind, …, optionally with _request, _success, _error or _indication; \
             or a number)"
            .to_owned(),
        Kind::Bytes => "a transaction ID (12 or 16 bytes, 0x… hex or aa:bb:…)".to_owned(),
    }
}

/// Registered names accepted for integer fields.
fn named_ints(field: Field) -> &'static [(&'static str, u64)] {
    match field {
        Field::RtcpPt => &[
            ("sr", 200),
            ("rr", 201),
            ("sdes", 202),
            ("bye", 203),
            ("app", 204),
            ("rtpfb", 205),
            ("psfb", 206),
            ("xr", 207),
        ],
        Field::DtlsContentType => &[
            ("change_cipher_spec", 20),
            ("alert", 21),
            ("handshake", 22),
            ("application_data", 23),
            ("heartbeat", 24),
            ("tls12_cid", 25),
            ("ack", 26),
        ],
        Field::DtlsHandshakeType => &[
            ("hello_request", 0),
            ("client_hello", 1),
            ("server_hello", 2),
            ("hello_verify_request", 3),
            ("new_session_ticket", 4),
            ("end_of_early_data", 5),
            ("hello_retry_request", 6),
            ("encrypted_extensions", 8),
            ("request_connection_id", 9),
            ("new_connection_id", 10),
            ("certificate", 11),
            ("server_key_exchange", 12),
            ("certificate_request", 13),
            ("server_hello_done", 14),
            ("certificate_verify", 15),
            ("client_key_exchange", 16),
            ("finished", 20),
            ("key_update", 24),
            ("message_hash", 254),
        ],
        Field::SctpPpid => &[
            ("dcep", 50),
            ("string", 51),
            ("binary", 53),
            ("string_empty", 56),
            ("binary_empty", 57),
        ],
        _ => &[],
    }
}

fn int(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.len() <= 16 => u64::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None if !text.is_empty()
            && text.len() <= 20
            && text.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.parse().ok()
        }
        None => None,
    }
}

fn value(field: Field, text: &str) -> Option<Value> {
    match field.kind() {
        Kind::Addr => {
            let (a, prefix) = match text.split_once('/') {
                Some((a, p))
                    if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    (a, Some(p.parse::<u8>().ok()?))
                }
                Some(_) => return None,
                None => (text, None),
            };
            let addr: IpAddr = a.parse().ok()?;
            let full = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(full);
            (prefix <= full).then_some(Value::Net { addr, prefix })
        }
        Kind::Int(max) => {
            let v = int(text).or_else(|| {
                named_ints(field)
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(text))
                    .map(|&(_, v)| v)
            })?;
            (v <= max).then_some(Value::Int(v))
        }
        Kind::Bool => match text.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(Value::Bool(true)),
            "0" | "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Kind::StunType => {
            if let Some(v) = int(text) {
                return (v <= 0x3FFF).then_some(Value::Int(v));
            }
            let lower = text.to_ascii_lowercase();
            if let Some(&(_, method)) = STUN_METHODS.iter().find(|(n, _)| *n == lower) {
                return Some(Value::StunName {
                    method,
                    class: None,
                });
            }
            for &(name, method) in &STUN_METHODS {
                let Some(rest) = lower.strip_prefix(name).and_then(|r| r.strip_prefix('_')) else {
                    continue;
                };
                let rest = match rest {
                    "success_response" | "response" => "success",
                    "error_response" => "error",
                    r => r,
                };
                if let Some(&(_, class)) = STUN_CLASSES.iter().find(|(c, _)| *c == rest) {
                    return Some(Value::StunName {
                        method,
                        class: Some(class),
                    });
                }
            }
            None
        }
        Kind::Bytes => {
            let mut bytes = [0u8; 16];
            let mut len = 0usize;
            if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                if hex.len() % 2 != 0 || hex.len() > 32 || hex.is_empty() {
                    return None;
                }
                for i in (0..hex.len()).step_by(2) {
                    bytes[len] = u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?;
                    len += 1;
                }
            } else {
                for part in text.split(':') {
                    if part.len() != 2 || len >= 16 {
                        return None;
                    }
                    bytes[len] = u8::from_str_radix(part, 16).ok()?;
                    len += 1;
                }
            }
            (len == 12 || len == 16).then_some(Value::Bytes {
                bytes,
                len: len as u8,
            })
        }
    }
}

/// The fields of protocol `proto` (by name prefix), for an error message.
fn fields_of(proto: &str) -> String {
    let v: Vec<&str> = Field::ALL
        .iter()
        .map(|f| f.name())
        .filter(|n| n.split('.').next() == Some(proto))
        .collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

/// Names close to `w`: within two edits, or of the same protocol.
fn close_names(w: &str) -> Vec<&'static str> {
    let w = w.to_ascii_lowercase();
    let names = Proto::ALL
        .iter()
        .map(|p| p.name())
        .chain(Field::ALL.iter().map(|f| f.name()));
    let mut scored: Vec<(usize, &'static str)> = names
        .filter_map(|n| {
            let d = edit_distance(&w, n);
            let same_proto =
                w.contains('.') && n.contains('.') && n.split('.').next() == w.split('.').next();
            (d <= 2 || same_proto).then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
