//! IBM i (OS/400) LIST lines, in the server's NAMEFMT 1 style:
//!
//! ```text
//! QSYSOPR        36864 19/01/05 12:00:01 *DIR       reports/
//! QSYSOPR         6409 19/01/05 12:00:02 *STMF      reports/summary.txt
//! QSYSOPR        45056 19/01/05 12:00:03 *FILE      SALES.FILE
//! QSYSOPR                                *MEM       SALES.FILE/JANUARY.MBR
//! ```
//!
//! `*DIR`, `*DDIR`, `*LIB`, `*FLR` and `*FILE` (a physical file holds members, listed with
//! `LIST SALES.FILE`) are directories, except a save file (`*FILE` named `.SAVF`); `*STMF`,
//! `*DOC`, `*MEM` and `*SAVF` are files; other object types are [`EntryKind::Other`] with the
//! type. Dates follow the job's date format, which the listing does not name: read as
//! `YY/MM/DD` (the server's usual `*YMD`), else `DD/MM/YY`, else `MM/DD/YY`; the text as listed
//! is the `os400.date` fact. Stream file names are the last path component; members keep
//! `FILE.FILE/MEMBER.MBR`.

use super::{lossy, parse_u64, small_number, time_of_day, tokens, Entry, EntryKind, ListFormat};
use crate::protocol::Timestamp;

/// A field `*TYPE` second (members) or fifth.
pub(super) fn looks_like(line: &[u8]) -> bool {
    let toks = tokens(line);
    type_at(&toks).is_some()
}

fn type_at(toks: &[(usize, &[u8])]) -> Option<usize> {
    [1, 4].into_iter().find(|&i| {
        toks.get(i).is_some_and(|(_, t)| {
            t.len() >= 3 && t[0] == b'*' && t[1..].iter().all(u8::is_ascii_uppercase)
        }) && toks.len() > i + 1
    })
}

pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in OS/400 LIST line {:?}", lossy(line));
    let toks = tokens(line);
    let at = type_at(&toks).ok_or_else(|| bad("no object type"))?;
    let (type_start, object_type) = toks[at];
    let after_type = type_start + object_type.len();
    let name_start = line[after_type..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|p| after_type + p)
        .ok_or_else(|| bad("no name"))?;
    let mut name = &line[name_start..];
    let upper_name = name.to_ascii_uppercase();
    let kind = match object_type {
        b"*FILE" if upper_name.ends_with(b".SAVF") => EntryKind::File,
        b"*DIR" | b"*DDIR" | b"*LIB" | b"*FLR" | b"*FILE" => EntryKind::Dir,
        b"*STMF" | b"*DOC" | b"*MEM" | b"*SAVF" | b"*DSTMF" => EntryKind::File,
        other => EntryKind::Other(lossy(other)),
    };
    if object_type != b"*MEM" {
        name = name.strip_suffix(b"/").unwrap_or(name);
        if let Some(slash) = name.iter().rposition(|&b| b == b'/') {
            name = &name[slash + 1..];
        }
    }
    if name.is_empty() {
        return Err(bad("no name"));
    }
    let mut entry = Entry::new(name.to_vec(), kind, line, ListFormat::Os400);
    entry.facts.push("os400.type", &lossy(object_type));
    entry.facts.push("unix.owner", &lossy(toks[0].1));
    if at == 4 {
        let size = parse_u64(toks[1].1).ok_or_else(|| bad("bad size"))?;
        let (hour, minute, second, _) = time_of_day(toks[3].1).ok_or_else(|| bad("bad time"))?;
        let (year, month, day) = date(toks[2].1).ok_or_else(|| bad("bad date"))?;
        let modified = Timestamp::new(year, month, day, hour, minute, second)
            .ok_or_else(|| bad("bad date"))?;
        entry.size = Some(size);
        entry.modified = Some(modified);
        entry.facts.push("os400.date", &lossy(toks[2].1));
    }
    Ok(entry.shrink())
}

/// `YY/MM/DD`, else `DD/MM/YY`, else `MM/DD/YY` (`/`, `.` or `-`; a four-digit year wherever
/// it is settles the order).
fn date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let separator = *tok.iter().find(|b| !b.is_ascii_digit())?;
    if !b"/.-".contains(&separator) {
        return None;
    }
    let parts: Vec<&[u8]> = tok.split(|&b| b == separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let year = |t: &[u8]| -> Option<i32> {
        match t.len() {
            2 => small_number(t, 2, 2).map(|y| if y < 70 { 2000 + y } else { 1900 + y } as i32),
            4 => small_number(t, 4, 4).map(|y| y as i32),
            _ => None,
        }
    };
    let two = |t: &[u8]| small_number(t, 1, 2).map(|n| n as u8);
    let valid = |(y, m, d): (i32, u8, u8)| Timestamp::new(y, m, d, 0, 0, 0).map(|_| (y, m, d));
    let ymd = || valid((year(a)?, two(b)?, two(c)?));
    let dmy = || valid((year(c)?, two(b)?, two(a)?));
    let mdy = || valid((year(c)?, two(a)?, two(b)?));
    if a.len() == 4 {
        return ymd();
    }
    if c.len() == 4 {
        return dmy().or_else(mdy);
    }
    ymd().or_else(dmy).or_else(mdy)
}

#[cfg(test)]
mod tests {
    use super::super::parse_list_line;
    use super::*;

    fn parse_one(line: &str) -> Entry {
        let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
        parse_list_line(line.as_bytes(), now).unwrap().unwrap()
    }

    #[test]
    fn object_types() {
        let d = parse_one("QSYSOPR        36864 19/01/05 12:00:01 *DIR       reports/");
        assert!(d.is_dir());
        assert_eq!(d.name(), "reports");
        assert_eq!(d.size(), Some(36864));
        assert_eq!(d.modified().unwrap().to_string(), "2019-01-05T12:00:01Z");
        assert_eq!(d.format(), ListFormat::Os400);
        let f =
            parse_one("QSYSOPR         6409 19/01/05 12:00:02 *STMF      reports/summary 2019.txt");
        assert!(f.is_file());
        assert_eq!(f.name(), "summary 2019.txt");
        assert_eq!(f.fact("unix.owner"), Some("QSYSOPR"));
        assert_eq!(f.fact("os400.type"), Some("*STMF"));
        let p = parse_one("QSYSOPR        45056 19/01/05 12:00:03 *FILE      SALES.FILE");
        assert!(p.is_dir());
        let s = parse_one("QSYSOPR        45056 19/01/05 12:00:03 *FILE      BACKUP.SAVF");
        assert!(s.is_file());
        let m =
            parse_one("QSYSOPR                                *MEM       SALES.FILE/JANUARY.MBR");
        assert!(m.is_file());
        assert_eq!(m.name(), "SALES.FILE/JANUARY.MBR");
        assert_eq!((m.size(), m.modified()), (None, None));
        let o = parse_one("QSYSOPR         4096 19/01/05 12:00:03 *USRSPC    SPACE.USRSPC");
        assert_eq!(o.kind(), &EntryKind::Other("*USRSPC".into()));
    }

    #[test]
    fn date_orders() {
        let e = parse_one("QSYSOPR  10 19/12/25 08:00:00 *STMF  a");
        assert_eq!(e.modified().unwrap().to_string(), "2019-12-25T08:00:00Z");
        assert_eq!(e.fact("os400.date"), Some("19/12/25"));
        // 31 is neither a month nor, second, a month: month first.
        let e = parse_one("QSYSOPR  10 01/31/19 08:00:00 *STMF  a");
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-31T08:00:00Z");
        let e = parse_one("QSYSOPR  10 12/25/2019 08:00:00 *STMF  b");
        assert_eq!(e.modified().unwrap().to_string(), "2019-12-25T08:00:00Z");
        let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
        let err = parse_list_line(b"QSYSOPR  10 19/13/45 08:00:00 *STMF  c", now).unwrap_err();
        assert!(err.contains("OS/400 LIST line"), "{err}");
    }
}
