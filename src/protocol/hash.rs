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

/// A file hash a server may compute: by HASH (draft-bryan-ftp-hash) or by the older
/// XSHA256/XSHA1/XMD5/XCRC commands. Strongest first in [`HashAlgorithm::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    Sha256,
    Sha1,
    Md5,
    Crc32,
}

impl HashAlgorithm {
    /// Every algorithm, strongest first: the order a verification tries them in.
    pub const ALL: [HashAlgorithm; 4] = [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha1,
        HashAlgorithm::Md5,
        HashAlgorithm::Crc32,
    ];

    /// The name HASH and FEAT use: `SHA-256`, `SHA-1`, `MD5`, `CRC32`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Crc32 => "CRC32",
        }
    }

    /// The algorithm a name stands for, case aside, with or without the dash (`sha256`,
    /// `SHA-256`, `crc32`); `None` for others.
    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        let plain: String = name
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        match plain.as_str() {
            "SHA256" => Some(HashAlgorithm::Sha256),
            "SHA1" => Some(HashAlgorithm::Sha1),
            "MD5" => Some(HashAlgorithm::Md5),
            "CRC32" | "CRC" => Some(HashAlgorithm::Crc32),
            _ => None,
        }
    }

    /// The older command that computes it: `XSHA256`, `XSHA1`, `XMD5`, `XCRC`.
    pub fn x_command(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "XSHA256",
            HashAlgorithm::Sha1 => "XSHA1",
            HashAlgorithm::Md5 => "XMD5",
            HashAlgorithm::Crc32 => "XCRC",
        }
    }

    /// Hex digits of a digest.
    pub fn hex_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha1 => 40,
            HashAlgorithm::Md5 => 32,
            HashAlgorithm::Crc32 => 8,
        }
    }
}

/// Parses a 2xx reply to XSHA256/XSHA1/XMD5/XCRC: the digest is the word of the last line
/// that is hex of the algorithm's length (`250 5d41402abc4b2a76b9719d911017c592`, with or
/// without the path around it). A CRC may come without its leading zeros. Lower-case hex.
pub fn parse_x_hash_reply(reply: &Reply, algorithm: HashAlgorithm) -> Result<String, String> {
    let last = reply.lines().last().map(String::as_str).unwrap_or("");
    let text = last.get(4..).unwrap_or("");
    let want = algorithm.hex_len();
    let is_hex = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_hexdigit());
    let found = text.split_whitespace().find(|w| {
        is_hex(w) && (w.len() == want || (algorithm == HashAlgorithm::Crc32 && w.len() < want))
    });
    match found {
        Some(word) => Ok(format!("{:0>want$}", word.to_ascii_lowercase())),
        None => Err(format!(
            "no {} digest in the reply {reply}",
            algorithm.name()
        )),
    }
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
    fn x_command_replies() {
        let md5 = "5d41402abc4b2a76b9719d911017c592";
        let one = Reply::new(250, vec![format!("250 {}", md5.to_uppercase())]);
        assert_eq!(parse_x_hash_reply(&one, HashAlgorithm::Md5).unwrap(), md5);
        let with_path = Reply::new(213, vec![format!("213 /dir/a 12 {md5}")]);
        assert_eq!(
            parse_x_hash_reply(&with_path, HashAlgorithm::Md5).unwrap(),
            md5
        );
        let crc = Reply::new(250, vec!["250 3610A686".into()]);
        assert_eq!(
            parse_x_hash_reply(&crc, HashAlgorithm::Crc32).unwrap(),
            "3610a686"
        );
        let short = Reply::new(250, vec!["250 610a686".into()]);
        assert_eq!(
            parse_x_hash_reply(&short, HashAlgorithm::Crc32).unwrap(),
            "0610a686"
        );
        assert!(parse_x_hash_reply(&one, HashAlgorithm::Sha1).is_err());
        assert_eq!(
            HashAlgorithm::from_name("sha256"),
            Some(HashAlgorithm::Sha256)
        );
        assert_eq!(HashAlgorithm::from_name("SHA-1"), Some(HashAlgorithm::Sha1));
        assert_eq!(HashAlgorithm::from_name("SHA-512"), None);
    }

    #[test]
    fn rejects_what_is_not_a_hash() {
        assert!(parse_hash_reply(&reply(&["213 SHA-256 zz 1234 x"])).is_err());
        assert!(parse_hash_reply(&reply(&["213 SHA-256 0-4 nothex! x"])).is_err());
        assert!(parse_hash_reply(&reply(&["213 Computing"])).is_err());
    }
}
