//! `rtcscope sdp FILE...`: summarise and lint SDP offers/answers.
//!
//! Each FILE (or `-` for standard input) holds raw SDP (CRLF or LF line ends) or signalling JSON
//! such as `{"type":"offer","sdp":"v=0\r\n…"}`, arrays of those or objects nesting them. The
//! summary shows, per media section, the kind, mid, direction, port/proto, codecs (PT, clock
//! rate, channels, fmtp, rtcp-fb, RTX pairings), header extensions, SSRCs and their groups,
//! rids/simulcast, candidates, ICE ufrag, fingerprint and setup; then the lint findings, each
//! with severity, rule id and line number.
//!
//! Exit status, like a linter: 0 when no file has an error-severity finding, 1 when at least one
//! has, 2 when a file cannot be read or holds no SDP (JSON that does not parse, or no `"sdp"`).

use anyhow::Context;
use clap::{Args, ValueEnum};
use rtcscope_sdp::{FileReport, SdpType};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Offer/answer type given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    /// An offer.
    Offer,
    /// A provisional answer.
    Pranswer,
    /// An answer (enables answer-only checks such as `setup:actpass`).
    Answer,
}

/// Arguments of `rtcscope sdp`.
#[derive(Args, Debug)]
pub struct SdpArgs {
    /// SDP files: raw SDP or signalling JSON; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the reports as JSON (one object per file) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Treat every description as this type (overrides `"type"` in JSON).
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub sdp_type: Option<TypeArg>,
    /// Print only the findings, one per line as FILE:LINE: severity [rule] message.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Runs `rtcscope sdp`. See the module documentation for the exit status.
pub fn run(args: &SdpArgs) -> anyhow::Result<ExitCode> {
    let sdp_type = args.sdp_type.map(|t| match t {
        TypeArg::Offer => SdpType::Offer,
        TypeArg::Pranswer => SdpType::Pranswer,
        TypeArg::Answer => SdpType::Answer,
    });
    let mut reports = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let (name, bytes) = if path.as_os_str() == "-" {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .context("reading standard input")?;
            ("-".to_owned(), b)
        } else {
            let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            (path.display().to_string(), b)
        };
        reports.push(FileReport::new(&name, &bytes, sdp_type));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else {
        for r in &reports {
            write_escaped_lines(&mut out, &r.to_text(args.quiet))?;
        }
    }
    out.flush()?;
    Ok(if reports.iter().any(|r| r.error.is_some()) {
        ExitCode::from(2)
    } else if reports.iter().any(|r| r.errors() > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes a text report line by line, each line escaped ([`rtcscope_wire::text::Escaped`]).
///
/// The report quotes the SDP (origin, mids, fmtp, cname, candidates), which comes from the other
/// party of a call; SDP is line-based, so no value can hold a line break, and escaping each
/// line keeps the report's own layout while no control sequence or bidi override reaches the
/// terminal.
fn write_escaped_lines(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        write!(out, "{}{end}", rtcscope_wire::text::Escaped(body))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn report_lines_are_escaped_and_kept() {
        let mut out = Vec::new();
        super::write_escaped_lines(&mut out, "### a\n  mid=\x1b[2J\u{202e}x\n\nlast").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "### a\n  mid=\\x1b[2J\\u{202e}x\n\nlast"
        );
    }
}
