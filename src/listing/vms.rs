//! OpenVMS LIST lines, as its FTP servers (TCPIP Services, MultiNet, TCPware) send them:
//!
//! ```text
//! Directory DISK$USER:[ALICE]
//!
//! LOGIN.COM;3            12/14      5-JAN-2019 12:00:01  [STAFF,ALICE]  (RWED,RWED,RE,)
//! SUBDIR.DIR;1            1/3       5-JAN-2019 12:00     [ALICE]        (RWE,RWE,RE,RE)
//! A_NAME_TOO_LONG_FOR_ITS_COLUMN.DAT;12
//!                       256/256     1-FEB-2018 08:30:00.12  [STAFF,ALICE]  (RWED,RWED,R,)
//!
//! Total of 3 files, 269/273 blocks.
//! ```
//!
//! Names are given without their version (`LOGIN.COM`, kept in the `vms.version` fact);
//! directories without `.DIR` (`SUBDIR`). Sizes are in 512-byte blocks: [`Entry::size`] is the
//! used blocks times 512 (the file may end anywhere in its last block) and `vms.blocks` the
//! count as listed.

use super::{
    english_month, lossy, parse_u64, small_number, time_of_day, tokens, Entry, EntryKind,
    ListFormat,
};
use crate::protocol::Timestamp;

const BLOCK: u64 = 512;

/// A first field `NAME.TYPE;VERSION`, or a header or trailer line.
pub(super) fn looks_like(line: &[u8]) -> bool {
    let first = line.split(u8::is_ascii_whitespace).next().unwrap_or(b"");
    split_version(first).is_some() || is_noise(line)
}

/// `Directory DISK:[DIR]`, `Total of 3 files, 269/273 blocks.`, `Grand total of ...`.
pub(super) fn is_noise(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    let lower = trimmed.to_ascii_lowercase();
    (lower.starts_with(b"directory ") && trimmed.ends_with(b"]"))
        || lower.starts_with(b"total of ")
        || lower.starts_with(b"grand total of ")
}

/// A line holding only a name: its details are on the next line.
pub(super) fn is_name_only(line: &[u8]) -> bool {
    let toks = tokens(line);
    toks.len() == 1 && split_version(toks[0].1).is_some() && !line[0].is_ascii_whitespace()
}

/// An entry's name line and its details line, joined by a line feed (kept so in
/// [`Entry::raw`]).
pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in VMS LIST line {:?}", lossy(line));
    let toks = tokens(line);
    let (_, first) = *toks.first().ok_or_else(|| bad("no fields"))?;
    let (name, version) = split_version(first).ok_or_else(|| bad("no NAME;VERSION"))?;
    let rest = &toks[1..];
    // `%RMS-E-PRV, insufficient privilege or file protection violation`
    if rest.first().is_some_and(|(_, t)| t.starts_with(b"%")) {
        return Err(bad("an error instead of the file's details"));
    }
    let (_, size_tok) = *rest.first().ok_or_else(|| bad("no size"))?;
    let blocks = blocks(size_tok).ok_or_else(|| bad("bad size"))?;
    let (_, date_tok) = *rest.get(1).ok_or_else(|| bad("no date"))?;
    let (year, month, day) = date(date_tok).ok_or_else(|| bad("bad date"))?;
    let mut next = 2;
    let (hour, minute, second, nanosecond) = match rest.get(2).and_then(|(_, t)| time_of_day(t)) {
        Some(time) => {
            next = 3;
            time
        }
        None => (0, 0, 0, 0),
    };
    let modified = Timestamp::new(year, month, day, hour, minute, second)
        .map(|t| Timestamp { nanosecond, ..t })
        .ok_or_else(|| bad("bad date"))?;

    let upper_name = name.to_ascii_uppercase();
    let (kind, shown) = match upper_name.strip_suffix(b".DIR") {
        Some(_) => (EntryKind::Dir, &name[..name.len() - 4]),
        None => (EntryKind::File, name),
    };
    if shown.is_empty() {
        return Err(bad("no name"));
    }
    let mut entry = Entry::new(shown.to_vec(), kind, line, ListFormat::Vms);
    entry.size = blocks.checked_mul(BLOCK);
    entry.modified = Some(modified);
    entry.facts.push("vms.version", &lossy(version));
    entry.facts.push("vms.blocks", &blocks.to_string());
    for (_, tok) in &rest[next..] {
        if let Some(owner) = tok.strip_prefix(b"[").and_then(|t| t.strip_suffix(b"]")) {
            entry.facts.push("vms.owner", &lossy(owner));
        } else if tok.starts_with(b"(") && tok.ends_with(b")") {
            entry.facts.push("vms.protection", &lossy(tok));
        }
    }
    Ok(entry.shrink())
}

/// `NAME.TYPE;12` → (`NAME.TYPE`, `12`).
fn split_version(tok: &[u8]) -> Option<(&[u8], &[u8])> {
    let semicolon = tok.iter().rposition(|&b| b == b';')?;
    let (name, version) = (&tok[..semicolon], &tok[semicolon + 1..]);
    (!name.is_empty() && small_number(version, 1, 5).is_some()).then_some((name, version))
}

/// `12` or `12/14` (used/allocated): the used blocks.
fn blocks(tok: &[u8]) -> Option<u64> {
    match tok.iter().position(|&b| b == b'/') {
        Some(slash) => {
            parse_u64(&tok[slash + 1..])?;
            parse_u64(&tok[..slash])
        }
        None => parse_u64(tok),
    }
}

/// `5-JAN-2019`.
fn date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let mut parts = tok.split(|&b| b == b'-');
    let day = small_number(parts.next()?, 1, 2)? as u8;
    let month_tok = parts.next()?;
    let month = english_month(month_tok).filter(|_| month_tok.len() == 3)?;
    let year = small_number(parts.next()?, 4, 4)? as i32;
    parts.next().is_none().then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::super::{ListConfig, ListParser};
    use super::*;

    fn parser() -> ListParser {
        ListParser::new(ListConfig::new(
            Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap(),
        ))
    }

    #[test]
    fn listing_with_header_trailer_and_a_two_line_entry() {
        let mut p = parser();
        let lines: &[&[u8]] = &[
            b"Directory DISK$USER:[ALICE]",
            b"",
            b"LOGIN.COM;3            12/14      5-JAN-2019 12:00:01  [STAFF,ALICE]  (RWED,RWED,RE,)",
            b"SUBDIR.DIR;1            1/3       5-JAN-2019 12:00     [ALICE]        (RWE,RWE,RE,RE)",
            b"A_NAME_TOO_LONG_FOR_ITS_COLUMN.DAT;12",
            b"                      256/256     1-FEB-2018 08:30:00.12  [STAFF,ALICE]  (RWED,RWED,R,)",
            b"NOTES.TXT;1             7         2-MAR-2020",
            b"",
            b"Total of 4 files, 276/280 blocks.",
        ];
        let mut entries = Vec::new();
        for line in lines {
            if let Some(e) = p.feed(line).unwrap() {
                entries.push(e);
            }
        }
        assert_eq!(p.finish(), Ok(None));
        assert_eq!(entries.len(), 4);
        let login = &entries[0];
        assert_eq!(login.name(), "LOGIN.COM");
        assert!(login.is_file());
        assert_eq!(login.size(), Some(12 * 512));
        assert_eq!(login.fact("vms.blocks"), Some("12"));
        assert_eq!(login.fact("vms.version"), Some("3"));
        assert_eq!(login.fact("vms.owner"), Some("STAFF,ALICE"));
        assert_eq!(login.fact("vms.protection"), Some("(RWED,RWED,RE,)"));
        assert_eq!(
            login.modified().unwrap().to_string(),
            "2019-01-05T12:00:01Z"
        );
        assert_eq!(login.format(), ListFormat::Vms);
        let dir = &entries[1];
        assert!(dir.is_dir());
        assert_eq!(dir.name(), "SUBDIR");
        let long = &entries[2];
        assert_eq!(long.name(), "A_NAME_TOO_LONG_FOR_ITS_COLUMN.DAT");
        assert_eq!(long.size(), Some(256 * 512));
        assert_eq!(long.modified().unwrap().nanosecond, 120_000_000);
        assert_eq!(long.fact("vms.version"), Some("12"));
        assert!(long.raw().contains('\n'));
        assert!(long.raw().starts_with("A_NAME_TOO_LONG"));
        let notes = &entries[3];
        assert_eq!(
            notes.modified().unwrap().to_string(),
            "2020-03-02T00:00:00Z"
        );
        assert_eq!(notes.size(), Some(7 * 512));
    }

    #[test]
    fn versions_of_one_file_are_separate_entries() {
        let mut p = parser();
        let a = p
            .feed(b"DATA.CSV;2  3  5-JAN-2019 12:00:01")
            .unwrap()
            .unwrap();
        let b = p
            .feed(b"DATA.CSV;1  2  4-JAN-2019 12:00:01")
            .unwrap()
            .unwrap();
        assert_eq!((a.name(), b.name()), ("DATA.CSV", "DATA.CSV"));
        assert_eq!(a.fact("vms.version"), Some("2"));
        assert_eq!(b.fact("vms.version"), Some("1"));
    }

    #[test]
    fn bad_vms_lines_name_vms() {
        let mut p = parser();
        for bad in [
            "SECRET.DAT;1  %RMS-E-PRV, insufficient privilege or file protection violation",
            "BAD.DAT;1  12/x  5-JAN-2019 12:00",
            "BAD.DAT;1  12  31-FEB-2019 12:00",
            "BAD.DAT;1  12  5-FOO-2019 12:00",
        ] {
            let err = p.feed(bad.as_bytes()).unwrap_err();
            assert!(err.contains("VMS LIST line"), "{bad}: {err}");
        }
        // A name line followed by another name: the first is an error, the second waits.
        assert_eq!(p.feed(b"FIRST.TXT;1"), Ok(None));
        assert!(p.feed(b"SECOND.TXT;1").unwrap_err().contains("FIRST.TXT;1"));
        let second = p.feed(b"   4  5-JAN-2019 12:00").unwrap().unwrap();
        assert_eq!(second.name(), "SECOND.TXT");
        // Or by the trailer.
        assert_eq!(p.feed(b"THIRD.TXT;1"), Ok(None));
        assert!(p
            .feed(b"Total of 1 file, 4/4 blocks.")
            .unwrap_err()
            .contains("THIRD.TXT;1"));
        assert_eq!(p.finish(), Ok(None));
        // A name line at the end, its details never sent.
        assert_eq!(p.feed(b"LONELY.TXT;1"), Ok(None));
        assert!(p.finish().unwrap_err().contains("LONELY.TXT;1"));
    }
}
