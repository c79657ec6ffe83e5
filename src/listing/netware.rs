//! Novell NetWare LIST lines: a type (`d` or `-`), the trustee rights in brackets, the owner,
//! the size and the date:
//!
//! ```text
//! d [RWCEAFMS] alice                512 Nov 24  2005 Projects
//! - [RWCEAFMS] alice              19968 Mar 12 15:20 Budget 2019.xls
//! d [----AF--]          0           512 10-04-2001 _ADMIN
//! ```

use super::{
    english_month, lossy, parse_u64, recent_date, small_number, time_of_day, tokens, Entry,
    EntryKind, ListFormat,
};
use crate::protocol::Timestamp;

pub(super) fn looks_like(line: &[u8]) -> bool {
    let toks = tokens(line);
    matches!(toks.first(), Some((_, b"d" | b"-")))
        && toks
            .get(1)
            .is_some_and(|(_, t)| t.starts_with(b"[") && t.ends_with(b"]"))
}

pub(super) fn parse(line: &[u8], now: Timestamp) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in NetWare LIST line {:?}", lossy(line));
    if !looks_like(line) {
        return Err(bad("no type and rights"));
    }
    let toks = tokens(line);
    let kind = if toks[0].1 == b"d" {
        EntryKind::Dir
    } else {
        EntryKind::File
    };
    let rights = toks[1].1;
    let (date_at, modified, date_end) = (3..toks.len())
        .find_map(|i| {
            parse_u64(toks[i - 1].1)?;
            let (time, end) = date_at(&toks, i, now)?;
            Some((i, time, end))
        })
        .ok_or_else(|| bad("no date"))?;
    let name_start = date_end + 1;
    if name_start >= line.len() {
        return Err(bad("no name"));
    }
    let mut entry = Entry::new(line[name_start..].to_vec(), kind, line, ListFormat::NetWare);
    entry.size = parse_u64(toks[date_at - 1].1);
    entry.modified = Some(modified);
    entry
        .facts
        .push("netware.rights", &lossy(&rights[1..rights.len() - 1]));
    let owner: Vec<String> = toks[2..date_at - 1].iter().map(|(_, t)| lossy(t)).collect();
    if !owner.is_empty() {
        entry.facts.push("unix.owner", &owner.join(" "));
    }
    Ok(entry.shrink())
}

/// `Mon DD HH:MM`, `Mon DD YYYY` or `MM-DD-YYYY`.
fn date_at(toks: &[(usize, &[u8])], i: usize, now: Timestamp) -> Option<(Timestamp, usize)> {
    let (at, first) = *toks.get(i)?;
    if let Some(month) = english_month(first).filter(|_| first.len() == 3) {
        let day = small_number(toks.get(i + 1)?.1, 1, 2)? as u8;
        let (at, third) = *toks.get(i + 2)?;
        let end = at + third.len();
        if let Some((hour, minute, 0, 0)) = time_of_day(third).filter(|_| third.len() <= 5) {
            return Some((recent_date(now, month, day, hour, minute)?, end));
        }
        let year = small_number(third, 4, 4)? as i32;
        return Some((Timestamp::new(year, month, day, 0, 0, 0)?, end));
    }
    let mut parts = first.split(|&b| b == b'-');
    let month = small_number(parts.next()?, 2, 2)? as u8;
    let day = small_number(parts.next()?, 2, 2)? as u8;
    let year = small_number(parts.next()?, 4, 4)? as i32;
    if parts.next().is_some() {
        return None;
    }
    Some((Timestamp::new(year, month, day, 0, 0, 0)?, at + first.len()))
}

#[cfg(test)]
mod tests {
    use super::super::parse_list_line;
    use super::*;

    fn now() -> Timestamp {
        Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap()
    }

    #[test]
    fn netware_lines() {
        let d = parse_list_line(
            b"d [RWCEAFMS] alice                512 Nov 24  2005 Projects",
            now(),
        )
        .unwrap()
        .unwrap();
        assert!(d.is_dir());
        assert_eq!(d.name(), "Projects");
        assert_eq!(d.fact("netware.rights"), Some("RWCEAFMS"));
        assert_eq!(d.fact("unix.owner"), Some("alice"));
        assert_eq!(d.format(), ListFormat::NetWare);
        let f = parse_list_line(
            b"- [RWCEAFMS] alice              19968 Mar 12 15:20 Budget 2019.xls",
            now(),
        )
        .unwrap()
        .unwrap();
        assert!(f.is_file());
        assert_eq!(f.size(), Some(19968));
        assert_eq!(f.name(), "Budget 2019.xls");
        assert_eq!(f.modified().unwrap().to_string(), "2024-03-12T15:20:00Z");
        let a = parse_list_line(
            b"d [----AF--]          0           512 10-04-2001 _ADMIN",
            now(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.name(), "_ADMIN");
        assert_eq!(a.modified().unwrap().to_string(), "2001-10-04T00:00:00Z");
        assert_eq!(a.fact("unix.owner"), Some("0"));
        let err = parse_list_line(b"- [RWCEAFMS] alice 19968 Feb 30 15:20 x", now()).unwrap_err();
        assert!(err.contains("NetWare LIST line"), "{err}");
    }
}
