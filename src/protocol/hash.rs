//! Replies to HASH (draft-bryan-ftp-hash): `213 <algorithm> <start>-<end> <hex> <path>`, on
//! the reply's last line (ProFTPD first sends `213-Computing SHA-256 digest`).

use super::Reply;

/// A parsed HASH reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHash {
    /// The algorithm as the server names it (`SHA-256`, `MD5`, ...).
    pub algorithm: String,
    /// The byte range hashed: `start` and `end` as the server wrote them.
    pub start: u64,
    pub end: u64,
    /// The digest in lower-case hex.
    pub hex: String,
}

/// Parses the final line of a 213 reply to HASH.
pub fn parse_hash_reply(reply: &Reply) -> Result<FileHash, String> {
    let last = reply.lines().last().map(String::as_str).unwrap_or("");
    let text = last.get(4..).unwrap_or("");
    let mut fields = text.split_whitespace();
    let algorithm = fields.next().unwrap_or("");
    let range = fields.next().unwrap_or("");
    let hex = fields.next().unwrap_or("").to_ascii_lowercase();
    let (start, end) = range
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .ok_or_else(|| format!("no byte range in HASH reply {reply}"))?;
    if algorithm.is_empty() || hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("not a HASH reply: {reply}"));
    }
    Ok(FileHash {
        algorithm: algorithm.to_string(),
        start,
        end,
        hex,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply::new(213, lines.iter().map(|l| l.to_string()).collect())
    }

    #[test]
    fn single_and_multi_line_replies() {
        let hex = "a".repeat(64);
        let one = parse_hash_reply(&reply(&[&format!("213 SHA-256 0-49 {hex} a file")])).unwrap();
        assert_eq!(
            (one.algorithm.as_str(), one.start, one.end),
            ("SHA-256", 0, 49)
        );
        let proftpd = reply(&[
            "213-Computing SHA-256 digest",
            &format!("213 SHA-256 0-1024 {} /dir/x", hex.to_uppercase()),
        ]);
        let two = parse_hash_reply(&proftpd).unwrap();
        assert_eq!((two.end, two.hex), (1024, hex));
    }

    #[test]
    fn rejects_what_is_not_a_hash() {
        assert!(parse_hash_reply(&reply(&["213 SHA-256 zz 1234 x"])).is_err());
        assert!(parse_hash_reply(&reply(&["213 SHA-256 0-4 nothex! x"])).is_err());
        assert!(parse_hash_reply(&reply(&["213 Computing"])).is_err());
    }
}
