//! HP NonStop (Tandem) Guardian LIST lines:
//!
//! ```text
//! File         Code             EOF  Last Modification    Owner  RWEP
//! PAYROLL       101            16384  5-Jan-19 12:00:01  255, 12 "NUNU"
//! ```
//!
//! Guardian has no directories: every entry is a file. The file code is the `tandem.code`
//! fact, the owner (`group,user`) `unix.owner`, the security string `tandem.rwep`.

use super::{
    english_month, lossy, parse_u64, small_number, time_of_day, tokens, Entry, EntryKind,
    ListFormat,
};
use crate::protocol::Timestamp;

pub(super) fn is_header(line: &[u8]) -> bool {
    let toks: Vec<&[u8]> = tokens(line).into_iter().map(|(_, t)| t).collect();
    toks.first() == Some(&&b"File"[..])
        && toks.contains(&&b"EOF"[..])
        && toks.contains(&&b"RWEP"[..])
}

/// The header, or a fourth field `D-Mon-YY`.
pub(super) fn looks_like(line: &[u8]) -> bool {
    let toks = tokens(line);
    is_header(line) || toks.get(3).is_some_and(|(_, t)| date(t).is_some())
}

pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in Tandem LIST line {:?}", lossy(line));
    let toks = tokens(line);
    if toks.len() < 6 {
        return Err(bad("too few fields"));
    }
    let name = toks[0].1;
    let code = toks[1].1;
    let size = parse_u64(toks[2].1).ok_or_else(|| bad("bad EOF"))?;
    let (year, month, day) = date(toks[3].1).ok_or_else(|| bad("bad date"))?;
    let (hour, minute, second, _) = time_of_day(toks[4].1).ok_or_else(|| bad("bad time"))?;
    let modified =
        Timestamp::new(year, month, day, hour, minute, second).ok_or_else(|| bad("bad date"))?;
    // The owner is `group,user`, with or without a space after the comma.
    let mut next = 5;
    let mut owner = toks[5].1.to_vec();
    if owner.ends_with(b",") {
        let user = toks.get(6).ok_or_else(|| bad("no owner"))?.1;
        owner.extend_from_slice(user);
        next = 7;
    }
    let mut entry = Entry::new(name.to_vec(), EntryKind::File, line, ListFormat::Tandem);
    entry.size = Some(size);
    entry.modified = Some(modified);
    entry.facts.push("tandem.code", &lossy(code));
    entry.facts.push("unix.owner", &lossy(&owner));
    if let Some((_, rwep)) = toks.get(next) {
        let rwep = rwep.strip_prefix(b"\"").unwrap_or(rwep);
        let rwep = rwep.strip_suffix(b"\"").unwrap_or(rwep);
        entry.facts.push("tandem.rwep", &lossy(rwep));
    }
    Ok(entry.shrink())
}

/// `5-Jan-19`: two-digit years are 1970 to 2069.
fn date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let mut parts = tok.split(|&b| b == b'-');
    let day = small_number(parts.next()?, 1, 2)? as u8;
    let month_tok = parts.next()?;
    let month = english_month(month_tok).filter(|_| month_tok.len() == 3)?;
    let year = small_number(parts.next()?, 2, 2)?;
    let year = if year < 70 { 2000 + year } else { 1900 + year } as i32;
    parts.next().is_none().then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::super::{parse_list_line, ListConfig, ListParser};
    use super::*;

    #[test]
    fn guardian_listing() {
        let mut p = ListParser::new(ListConfig::new(
            Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap(),
        ));
        assert_eq!(
            p.feed(b"File         Code             EOF  Last Modification    Owner  RWEP"),
            Ok(None)
        );
        let e = p
            .feed(b"PAYROLL       101            16384  5-Jan-19 12:00:01  255, 12 \"NUNU\"")
            .unwrap()
            .unwrap();
        assert_eq!(e.name(), "PAYROLL");
        assert!(e.is_file());
        assert_eq!(e.size(), Some(16384));
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-05T12:00:01Z");
        assert_eq!(e.fact("unix.owner"), Some("255,12"));
        assert_eq!(e.fact("tandem.code"), Some("101"));
        assert_eq!(e.fact("tandem.rwep"), Some("NUNU"));
        assert_eq!(e.format(), ListFormat::Tandem);
        let e = p
            .feed(b"LOGFILE 180 0 28-Feb-24 23:59:59 100,255 \"OOOO\"")
            .unwrap()
            .unwrap();
        assert_eq!(e.fact("unix.owner"), Some("100,255"));
        assert_eq!(e.size(), Some(0));
    }

    #[test]
    fn bad_tandem_lines() {
        let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
        for bad in [
            "PAYROLL 101 x 5-Jan-19 12:00:01 255,12 \"NUNU\"",
            "PAYROLL 101 1 30-Feb-19 12:00:01 255,12 \"NUNU\"",
            "PAYROLL 101 1 5-Jan-19 25:00:01 255,12 \"NUNU\"",
        ] {
            let err = parse_list_line(bad.as_bytes(), now).unwrap_err();
            assert!(err.contains("Tandem LIST line"), "{bad}: {err}");
        }
    }
}
