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

/// The path in a reply to MKD of `requested`. RFC 959 doubles quotes inside the quoted path;
/// some servers (Pure-FTPd) do not (`257 "say "hi"" : created`), which reads two ways. The
/// reading whose path ends with the name that was asked for wins; otherwise RFC 959's.
pub fn parse_mkd_path(text: &str, requested: &str) -> Option<String> {
    let rfc = parse_quoted_path(text);
    let wanted = requested.trim_end_matches('/');
    let wanted = wanted.rsplit('/').next().unwrap_or(wanted);
    let fits = |p: &String| p.trim_end_matches('/').ends_with(wanted);
    if rfc.as_ref().is_some_and(fits) || wanted.is_empty() {
        return rfc;
    }
    // Undoubled: from the first quote to the last quote that ends a word.
    let start = text.find('"')? + 1;
    let literal = text[start..]
        .char_indices()
        .filter(|&(i, c)| {
            c == '"'
                && text[start + i + 1..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map(|(i, _)| text[start..start + i].to_string())
        .find(fits);
    literal.or(rfc)
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
        // Pure-FTPd does not double quotes; the name asked for settles the reading.
        assert_eq!(
            parse_mkd_path("\"say \"hi\"\" : The directory was created", "say \"hi\"").as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(
            parse_mkd_path("\"/a \"\"q\"\"\" created", "/a \"q\"").as_deref(),
            Some("/a \"q\"")
        );
        assert_eq!(
            parse_mkd_path("\"/x\" is your \"new\" directory", "/x").as_deref(),
            Some("/x")
        );
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
