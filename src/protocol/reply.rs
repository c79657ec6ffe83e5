//! Server replies and a sans-IO parser for them: feed bytes, take complete replies.

use std::fmt;

use super::untrusted::{escape_controls, mask_secret};

/// Longest line accepted in a reply, CRLF included.
pub const MAX_LINE_LEN: usize = 8 * 1024;
/// Largest whole reply accepted (all lines of a multi-line reply together).
pub const MAX_REPLY_LEN: usize = 1024 * 1024;

/// One complete server reply: the raw three-digit code and every line as sent (without the
/// line ending). The code is kept as a number, never folded into a catch-all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    /// Builds a reply from its code and raw lines (each line as the server sent it, code
    /// included). Mostly for tests and for errors synthesised by the client.
    pub fn new(code: u16, lines: Vec<String>) -> Reply {
        Reply { code, lines }
    }

    /// The three-digit reply code. For a multi-line reply it is the code of the last line.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The lines as the server sent them, codes included, line endings removed.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text of the reply without the codes: the text after `ddd-`/`ddd ` on the first and
    /// last line, and middle lines unchanged, joined with `\n`.
    pub fn text(&self) -> String {
        let last = self.lines.len().saturating_sub(1);
        let mut out = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if i == 0 || i == last {
                out.push_str(strip_code(line));
            } else {
                out.push_str(line);
            }
        }
        out
    }

    /// The text of the first line only, without its code.
    pub fn first_line_text(&self) -> &str {
        self.lines.first().map_or("", |l| strip_code(l))
    }

    /// 1xx: a positive preliminary reply (a transfer is starting).
    pub fn is_preliminary(&self) -> bool {
        self.code / 100 == 1
    }

    /// 2xx: a positive completion reply.
    pub fn is_completion(&self) -> bool {
        self.code / 100 == 2
    }

    /// 3xx: a positive intermediate reply (more input is needed, as after USER or RNFR).
    pub fn is_intermediate(&self) -> bool {
        self.code / 100 == 3
    }
}

impl Reply {
    /// The reply with every occurrence of `secret` in its lines replaced by `****` (see
    /// [`mask_secret`]).
    pub fn masked(self, secret: &str) -> Reply {
        if !self.lines.iter().any(|l| l.contains(secret)) {
            return self;
        }
        let lines = self
            .lines
            .iter()
            .map(|l| mask_secret(l, secret).into_owned())
            .collect();
        Reply {
            code: self.code,
            lines,
        }
    }
}

impl fmt::Display for Reply {
    /// One line for messages and logs: the code and the text, a multi-line reply's lines
    /// joined by ` | `, control characters escaped (server text is untrusted; the raw text is
    /// [`Reply::lines`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.text();
        let text = text.trim_end().replace('\n', " | ");
        if text.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} {}", self.code, escape_controls(&text))
        }
    }
}

fn strip_code(line: &str) -> &str {
    match line.as_bytes() {
        [a, b, c, sep, ..] if is_code(*a, *b, *c) && (*sep == b' ' || *sep == b'-') => &line[4..],
        [a, b, c] if is_code(*a, *b, *c) => "",
        _ => line,
    }
}

fn is_code(a: u8, b: u8, c: u8) -> bool {
    (b'1'..=b'5').contains(&a) && b.is_ascii_digit() && c.is_ascii_digit()
}

/// Why the byte stream is not a valid reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyError {
    /// A line longer than [`MAX_LINE_LEN`].
    LineTooLong,
    /// A multi-line reply larger than [`MAX_REPLY_LEN`].
    ReplyTooLong,
    /// A line that should start a reply does not start with a valid code (1xx–5xx).
    BadLine(String),
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::LineTooLong => {
                write!(f, "reply line longer than {MAX_LINE_LEN} bytes")
            }
            ReplyError::ReplyTooLong => write!(f, "reply longer than {MAX_REPLY_LEN} bytes"),
            ReplyError::BadLine(line) => write!(f, "malformed reply line {line:?}"),
        }
    }
}

/// Sans-IO reply parser. Push bytes as they arrive with [`ReplyParser::push`]; take complete
/// replies with [`ReplyParser::next_reply`]. Bytes after a complete reply stay buffered for the
/// next one, so a reply that arrives early is never lost.
#[derive(Debug, Default)]
pub struct ReplyParser {
    buf: Vec<u8>,
    /// Where the unconsumed bytes of `buf` start.
    start: usize,
    /// Bytes after `start` already scanned for a line end, so a reply split into single bytes
    /// costs linear time, not quadratic.
    scanned: usize,
    /// Raw size of the line last taken, terminator included, for the reply size bound.
    last_line_bytes: usize,
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    lines: Vec<String>,
    size: usize,
}

impl ReplyParser {
    pub fn new() -> ReplyParser {
        ReplyParser::default()
    }

    /// Appends bytes received from the server.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// How many received bytes are not yet taken as replies.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start + self.pending.as_ref().map_or(0, |p| p.size)
    }

    /// Whether some bytes of an incomplete reply are buffered.
    pub fn has_partial(&self) -> bool {
        self.buf.len() > self.start || self.pending.is_some()
    }

    /// The next complete reply, `Ok(None)` when more bytes are needed, or the reason the bytes
    /// cannot be a reply. After an error the parser should be discarded with its connection.
    pub fn next_reply(&mut self) -> Result<Option<Reply>, ReplyError> {
        loop {
            let Some(line) = self.take_line()? else {
                return Ok(None);
            };
            if let Some(reply) = self.accept_line(line)? {
                return Ok(Some(reply));
            }
        }
    }

    fn take_line(&mut self) -> Result<Option<String>, ReplyError> {
        let pending = &self.buf[self.start..];
        let Some(pos) = pending[self.scanned..].iter().position(|&b| b == b'\n') else {
            self.scanned = pending.len();
            if pending.len() > MAX_LINE_LEN {
                return Err(ReplyError::LineTooLong);
            }
            // Drop what was consumed only now, once per push, not once per line.
            if self.start > 0 {
                self.buf.drain(..self.start);
                self.start = 0;
            }
            return Ok(None);
        };
        let end = self.scanned + pos;
        if end + 1 > MAX_LINE_LEN {
            return Err(ReplyError::LineTooLong);
        }
        let mut line = &pending[..end];
        if let [rest @ .., b'\r'] = line {
            line = rest;
        }
        let text = String::from_utf8_lossy(line).into_owned();
        self.last_line_bytes = end + 1;
        self.start += end + 1;
        self.scanned = 0;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Ok(Some(text))
    }

    /// Adds one line; returns the reply when this line completes it.
    fn accept_line(&mut self, line: String) -> Result<Option<Reply>, ReplyError> {
        let code = line_code(&line);
        match self.pending.as_mut() {
            None => {
                let Some((code, continues)) = code else {
                    return Err(ReplyError::BadLine(truncate_for_error(&line)));
                };
                if continues {
                    let size = self.last_line_bytes;
                    self.pending = Some(Pending {
                        lines: vec![line],
                        size,
                    });
                    Ok(None)
                } else {
                    Ok(Some(Reply::new(code, vec![line])))
                }
            }
            Some(pending) => {
                pending.size += self.last_line_bytes;
                if pending.size > MAX_REPLY_LEN {
                    return Err(ReplyError::ReplyTooLong);
                }
                // Like curl, any `ddd ` line ends a multi-line reply, even when its code differs
                // from the first line's; the last line's code is the reply's.
                let ends = matches!(code, Some((_, false)));
                pending.lines.push(line);
                if ends {
                    let pending = self.pending.take().expect("pending reply");
                    let (code, _) = code.expect("final line has a code");
                    Ok(Some(Reply::new(code, pending.lines)))
                } else {
                    Ok(None)
                }
            }
        }
    }
}

/// The code of a line that starts a reply (`ddd-...`) or ends one (`ddd ...` or bare `ddd`),
/// with whether the reply continues after it.
fn line_code(line: &str) -> Option<(u16, bool)> {
    let b = line.as_bytes();
    if b.len() < 3 || !is_code(b[0], b[1], b[2]) {
        return None;
    }
    let code = u16::from(b[0] - b'0') * 100 + u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
    match b.get(3) {
        None | Some(b' ') => Some((code, false)),
        Some(b'-') => Some((code, true)),
        _ => None,
    }
}

fn truncate_for_error(line: &str) -> String {
    const SHOWN: usize = 80;
    if line.len() <= SHOWN {
        return line.to_string();
    }
    let mut end = SHOWN;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Result<Vec<Reply>, ReplyError> {
        let mut p = ReplyParser::new();
        p.push(bytes);
        let mut out = Vec::new();
        while let Some(r) = p.next_reply()? {
            out.push(r);
        }
        Ok(out)
    }

    #[test]
    fn single_line() {
        let r = parse_all(b"220 Welcome here\r\n").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code(), 220);
        assert_eq!(r[0].text(), "Welcome here");
        assert_eq!(r[0].to_string(), "220 Welcome here");
    }

    #[test]
    fn multi_line_keeps_every_line() {
        let bytes = b"211-Features:\r\n MDTM\r\n REST STREAM\r\n211 End\r\n";
        let r = parse_all(bytes).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code(), 211);
        assert_eq!(
            r[0].lines(),
            &["211-Features:", " MDTM", " REST STREAM", "211 End"]
        );
        assert_eq!(r[0].text(), "Features:\n MDTM\n REST STREAM\nEnd");
    }

    #[test]
    fn multi_line_with_code_prefixed_middle_lines() {
        let bytes = b"211-Extensions:\r\n211-EPSV\r\n211-MDTM\r\n211 END\r\n";
        let r = parse_all(bytes).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].lines().len(), 4);
    }

    #[test]
    fn different_final_code_ends_reply() {
        let r = parse_all(b"230-Hello\r\n more\r\n220 done\r\n").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].code(), 220);
    }

    #[test]
    fn lines_without_text_and_bare_lf() {
        let r = parse_all(b"200\n331-\n\n331\r\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].code(), 200);
        assert_eq!(r[0].text(), "");
        assert_eq!(r[1].code(), 331);
        assert_eq!(r[1].lines(), &["331-", "", "331"]);
    }

    #[test]
    fn byte_at_a_time() {
        let bytes = b"150-Opening\r\n  data\r\n150 BINARY connection (1234 bytes)\r\n226 ok\r\n";
        let mut p = ReplyParser::new();
        let mut replies = Vec::new();
        for b in bytes {
            p.push(std::slice::from_ref(b));
            while let Some(r) = p.next_reply().unwrap() {
                replies.push(r);
            }
        }
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].code(), 150);
        assert_eq!(replies[1].code(), 226);
        assert!(!p.has_partial());
    }

    #[test]
    fn incomplete_reply_waits() {
        let mut p = ReplyParser::new();
        p.push(b"220-first\r\n220 sec");
        assert_eq!(p.next_reply().unwrap(), None);
        assert!(p.has_partial());
        p.push(b"ond\r\n");
        assert_eq!(p.next_reply().unwrap().unwrap().code(), 220);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            parse_all(b"hello there\r\n"),
            Err(ReplyError::BadLine(_))
        ));
        assert!(matches!(
            parse_all(b"999 out of range\r\n"),
            Err(ReplyError::BadLine(_))
        ));
        assert!(matches!(
            parse_all(b"099 out of range\r\n"),
            Err(ReplyError::BadLine(_))
        ));
        assert!(matches!(
            parse_all(b"22 x\r\n"),
            Err(ReplyError::BadLine(_))
        ));
        assert!(matches!(
            parse_all(b"220x\r\n"),
            Err(ReplyError::BadLine(_))
        ));
    }

    #[test]
    fn overlong_line_is_an_error() {
        let mut long = b"220 ".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_LINE_LEN + 10));
        assert_eq!(parse_all(&long), Err(ReplyError::LineTooLong));
        long.extend_from_slice(b"\r\n");
        assert_eq!(parse_all(&long), Err(ReplyError::LineTooLong));
    }

    #[test]
    fn overlong_reply_is_an_error() {
        let mut bytes = b"211-start\r\n".to_vec();
        while bytes.len() <= MAX_REPLY_LEN + 100 {
            bytes.extend_from_slice(b" a line of a long multi-line reply\r\n");
        }
        bytes.extend_from_slice(b"211 end\r\n");
        // No assert_eq: a failure would print a megabyte of reply.
        assert!(matches!(parse_all(&bytes), Err(ReplyError::ReplyTooLong)));
    }

    #[test]
    fn non_utf8_text_is_kept_lossily() {
        let r = parse_all(b"257 \"/caf\xe9\" created\r\n").unwrap();
        assert_eq!(r[0].code(), 257);
        assert!(r[0].text().starts_with("\"/caf"));
    }
}
