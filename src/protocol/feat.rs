//! FEAT reply parsing (RFC 2389).

use std::collections::BTreeMap;

use super::Reply;

/// The features a server announced in its FEAT reply. Names are upper-cased; each maps to its
/// parameters as sent (for example `MLST` to `type*;size*;modify*;`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    map: BTreeMap<String, String>,
}

impl Features {
    /// Parses a 211 FEAT reply. Feature lines are the lines between the first and the last;
    /// besides the standard leading space, a `211-` prefix that some servers put on every line
    /// is tolerated.
    pub fn parse(reply: &Reply) -> Features {
        let mut map = BTreeMap::new();
        let lines = reply.lines();
        if lines.len() < 3 {
            return Features { map };
        }
        for line in &lines[1..lines.len() - 1] {
            let line = line
                .strip_prefix(&format!("{}-", reply.code()))
                .unwrap_or(line);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (name, params) = match line.find(' ') {
                Some(i) => (&line[..i], line[i + 1..].trim()),
                None => (line, ""),
            };
            map.insert(name.to_ascii_uppercase(), params.to_string());
        }
        Features { map }
    }

    /// Whether the feature is listed (case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(&name.to_ascii_uppercase())
    }

    /// The parameters of a listed feature, `""` when it has none.
    pub fn params(&self, name: &str) -> Option<&str> {
        self.map.get(&name.to_ascii_uppercase()).map(String::as_str)
    }

    /// Every feature name, upper-cased, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Whether no feature is listed (FEAT refused or empty).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(lines: &[&str]) -> Reply {
        Reply::new(211, lines.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn standard_feat() {
        let f = Features::parse(&reply(&[
            "211-Features supported:",
            " EPRT",
            " MDTM",
            " MLST type*;size*;modify*;perm*;",
            " REST STREAM",
            " UTF8",
            "211 End FEAT.",
        ]));
        assert!(f.has("eprt"));
        assert!(f.has("UTF8"));
        assert_eq!(f.params("MLST"), Some("type*;size*;modify*;perm*;"));
        assert_eq!(f.params("rest"), Some("STREAM"));
        assert_eq!(f.params("MDTM"), Some(""));
        assert!(!f.has("Features"));
        assert!(!f.has("End"));
    }

    #[test]
    fn code_prefixed_lines() {
        let f = Features::parse(&reply(&[
            "211-Extensions:",
            "211-EPSV",
            "211-SIZE",
            "211 END",
        ]));
        assert!(f.has("EPSV"));
        assert!(f.has("SIZE"));
        assert_eq!(f.names().count(), 2);
    }

    #[test]
    fn single_line_has_no_features() {
        let f = Features::parse(&Reply::new(211, vec!["211 no-features".into()]));
        assert!(f.is_empty());
    }
}
