//! Directory listings parsed into one entry type, whichever way the server lists: MLSD/MLST
//! facts (RFC 3659), or Unix-style and DOS/IIS-style LIST lines for servers without MLSD.

mod dos;
mod mlsd;
mod unix;

use crate::protocol::Timestamp;

pub use mlsd::{parse_mlsd_line, parse_mlst_reply};

/// What kind of object an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    /// The listed directory itself (`type=cdir`).
    CurrentDir,
    /// Its parent (`type=pdir`).
    ParentDir,
    /// A symbolic link (`l` in LIST, `OS.unix=symlink`/`OS.unix=slink:...` in MLSD).
    Link,
    /// Anything else; the server's own word for it is kept.
    Other(String),
}

/// One listed object. Names are kept both as the server's bytes (to send back unchanged) and
/// decoded lossily as UTF-8 (to show), so one undecodable name never fails a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    // Listings can hold millions of entries: each keeps its name once (a lossy copy only when
    // it is not UTF-8) and no spare capacity.
    name_bytes: Box<[u8]>,
    name_lossy: Option<Box<str>>,
    kind: EntryKind,
    size: Option<u64>,
    modified: Option<Timestamp>,
    link_target: Option<String>,
    /// Facts with lower-cased names, in the order the server gave them.
    facts: Facts,
    raw: Box<str>,
}

impl Entry {
    pub(crate) fn new(name_bytes: Vec<u8>, kind: EntryKind, raw: &[u8]) -> Entry {
        let name_lossy = match String::from_utf8_lossy(&name_bytes) {
            std::borrow::Cow::Owned(lossy) => Some(lossy.into_boxed_str()),
            std::borrow::Cow::Borrowed(_) => None,
        };
        Entry {
            name_bytes: name_bytes.into_boxed_slice(),
            name_lossy,
            kind,
            size: None,
            modified: None,
            link_target: None,
            facts: Facts::default(),
            raw: String::from_utf8_lossy(raw).into(),
        }
    }

    /// Drops spare capacity once parsing is done.
    pub(crate) fn shrink(mut self) -> Entry {
        self.facts.shrink();
        self
    }

    /// The name as shown (lossy UTF-8).
    pub fn name(&self) -> &str {
        match &self.name_lossy {
            Some(lossy) => lossy,
            None => std::str::from_utf8(&self.name_bytes).unwrap_or_default(),
        }
    }

    /// The name exactly as the server sent it.
    pub fn name_bytes(&self) -> &[u8] {
        &self.name_bytes
    }

    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, EntryKind::Dir)
    }

    pub fn is_file(&self) -> bool {
        matches!(self.kind, EntryKind::File)
    }

    /// `.`/`..` entries and MLSD's `cdir`/`pdir`.
    pub fn is_self_or_parent(&self) -> bool {
        matches!(self.kind, EntryKind::CurrentDir | EntryKind::ParentDir)
            || &*self.name_bytes == b"."
            || &*self.name_bytes == b".."
    }

    /// Size in bytes, when listed.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Last modification time, when listed. From LIST lines that show only month and day the
    /// year is inferred as the most recent one that does not put the date in the future.
    pub fn modified(&self) -> Option<Timestamp> {
        self.modified
    }

    /// Where a symbolic link points, when the listing says.
    pub fn link_target(&self) -> Option<&str> {
        self.link_target.as_deref()
    }

    /// Any fact by name, case-insensitively: MLSD's own (`perm`, `unique`, `unix.mode`, ...)
    /// and, for LIST lines, `unix.mode`, `unix.owner`, `unix.group`, `unix.nlink` derived from
    /// the line.
    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All facts as (name, value), names lower-cased, in the server's order.
    pub fn facts(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.facts.iter()
    }

    /// `perm` fact (MLSD).
    pub fn perm(&self) -> Option<&str> {
        self.fact("perm")
    }

    /// `unique` fact (MLSD).
    pub fn unique(&self) -> Option<&str> {
        self.fact("unique")
    }

    /// Unix permission bits, from the `unix.mode` fact (octal; pyftpdlib's `0o644` form is
    /// accepted too).
    pub fn unix_mode(&self) -> Option<u32> {
        let value = self.fact("unix.mode")?;
        let digits = value.strip_prefix("0o").unwrap_or(value);
        u32::from_str_radix(digits, 8).ok()
    }

    /// The listing line this entry was parsed from.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

/// An entry's facts in one string (`name`, `value`, `name`, `value`, ... back to back) and
/// where each piece ends: two allocations however many facts, not two per fact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Facts {
    text: String,
    /// End of each fact's name, then of its value, in `text`.
    ends: Vec<(u32, u32)>,
}

impl Facts {
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len() as u32;
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len() as u32));
    }

    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&(name_end, end)| {
            let (name_end, end) = (name_end as usize, end as usize);
            let fact = (&self.text[start..name_end], &self.text[name_end..end]);
            start = end;
            fact
        })
    }
}

/// Which parser a LIST line needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Unix,
    Dos,
}

/// Guesses the format of a LIST line: DOS/IIS lines start with a `MM-DD-YY` date.
pub fn detect_list_format(line: &[u8]) -> ListFormat {
    let dos = line.len() >= 8
        && line[0].is_ascii_digit()
        && line[1].is_ascii_digit()
        && line[2] == b'-'
        && line[3].is_ascii_digit()
        && line[4].is_ascii_digit()
        && line[5] == b'-';
    if dos {
        ListFormat::Dos
    } else {
        ListFormat::Unix
    }
}

/// Parses one LIST line in whichever format it is. `Ok(None)` for lines that are not entries
/// (`total 12`, blank lines); `Err` with a reason for lines that cannot be parsed. `now` is
/// used to infer the year of recent Unix dates.
pub fn parse_list_line(line: &[u8], now: Timestamp) -> Result<Option<Entry>, String> {
    let line = trim_line_end(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if line.starts_with(b"total ") && line[6..].iter().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match detect_list_format(line) {
        ListFormat::Dos => dos::parse(line).map(Some),
        ListFormat::Unix => unix::parse(line, now).map(Some),
    }
}

pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut line = line;
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

/// Splits a line into whitespace-separated tokens with their byte offsets.
pub(crate) fn tokens(line: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < line.len() && !line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > start {
            out.push((start, &line[start..i]));
        }
    }
    out
}

pub(crate) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_and_skips_noise() {
        let now = Timestamp::new(2024, 6, 1, 0, 0, 0).unwrap();
        assert_eq!(parse_list_line(b"total 12", now), Ok(None));
        assert_eq!(parse_list_line(b"   \r\n", now), Ok(None));
        assert_eq!(
            detect_list_format(b"01-02-20  10:00AM  <DIR>  x"),
            ListFormat::Dos
        );
        assert_eq!(
            detect_list_format(b"-rw-r--r-- 1 a b 1 Jan 1 2020 x"),
            ListFormat::Unix
        );
        assert!(parse_list_line(b"garbage line here", now).is_err());
    }
}
