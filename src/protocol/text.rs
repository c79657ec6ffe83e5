//! Small parsers for values carried in reply text.

/// The path in a 257 reply (`257 "/a ""quoted"" dir" created`): the text between the first
/// quote and its closing quote, with `""` read as one quote (RFC 959 appendix II).
pub fn parse_quoted_path(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let mut out = String::new();
    let mut chars = text[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// The size announced in a 150/125 reply, as in `150 Opening BINARY mode data connection for
/// a.bin (1234 bytes).`: the number in the last parenthesis followed by `bytes`.
pub fn parse_announced_size(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let end = lower.rfind("bytes")?;
    let open = lower[..end].rfind('(')?;
    lower[open + 1..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths() {
        assert_eq!(
            parse_quoted_path("\"/home/x\" is the current directory").as_deref(),
            Some("/home/x")
        );
        assert_eq!(
            parse_quoted_path("\"/a \"\"q\"\" dir\" created").as_deref(),
            Some("/a \"q\" dir")
        );
        assert_eq!(parse_quoted_path("\"\"\"\"").as_deref(), Some("\""));
        assert_eq!(parse_quoted_path("no quotes"), None);
        assert_eq!(parse_quoted_path("\"unterminated"), None);
    }

    #[test]
    fn announced_sizes() {
        assert_eq!(
            parse_announced_size("Opening BINARY mode data connection for a (1234 bytes)."),
            Some(1234)
        );
        assert_eq!(
            parse_announced_size("Data connection already open (0 bytes)"),
            Some(0)
        );
        assert_eq!(
            parse_announced_size("Here comes the directory listing."),
            None
        );
        assert_eq!(parse_announced_size("(lots of bytes)"), None);
    }
}
