//! DOS/IIS style LIST lines: `01-31-24  09:05PM       <DIR>          name`,
//! `01-31-2024  21:05  1,234 name`, and the numeric dates of Windows CE and newer IIS
//! (`2024-01-31  21:05`, `01/31/2024`, `31.01.2024`).

use super::{grouped_size, lossy, small_number, time_of_day, tokens, Entry, EntryKind, ListFormat};
use crate::protocol::Timestamp;

/// A first field with the shape of a numeric date (checked when parsed, so that a bad date
/// is a DOS error).
pub(super) fn looks_like(line: &[u8]) -> bool {
    let first = line.split(u8::is_ascii_whitespace).next().unwrap_or(b"");
    let Some(&separator) = first.iter().find(|b| !b.is_ascii_digit()) else {
        return false;
    };
    let parts: Vec<&[u8]> = first.split(|&b| b == separator).collect();
    b"-/.".contains(&separator)
        && parts.len() == 3
        && parts
            .iter()
            .all(|p| matches!(p.len(), 1 | 2 | 4) && p.iter().all(u8::is_ascii_digit))
}

pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in DOS LIST line {:?}", lossy(line));
    let toks = tokens(line);
    if toks.len() < 4 {
        return Err(bad("too few fields"));
    }
    let (year, month, day) = date(toks[0].1).ok_or_else(|| bad("bad date"))?;
    // The time may be `09:05PM` or `09:05 PM`.
    let (mut hour, minute, second, suffix) = time(toks[1].1).ok_or_else(|| bad("bad time"))?;
    let mut next = 2;
    let meridiem = match suffix {
        Some(m) => Some(m),
        None => {
            let t = toks[2].1.to_ascii_uppercase();
            if t == b"AM" || t == b"PM" {
                next = 3;
                Some(t[0])
            } else {
                None
            }
        }
    };
    if let Some(m) = meridiem {
        if !(1..=12).contains(&hour) {
            return Err(bad("bad 12-hour time"));
        }
        hour %= 12;
        if m == b'P' {
            hour += 12;
        }
    }
    let (size_at, size_tok) = *toks.get(next).ok_or_else(|| bad("no size"))?;
    let upper = size_tok.to_ascii_uppercase();
    let (kind, size) = match upper.as_slice() {
        b"<DIR>" => (EntryKind::Dir, None),
        b"<JUNCTION>" | b"<SYMLINKD>" | b"<SYMLINK>" => (EntryKind::Link, None),
        _ => {
            let size = grouped_size(size_tok).ok_or_else(|| bad("bad size"))?;
            (EntryKind::File, Some(size))
        }
    };
    let after_size = size_at + size_tok.len();
    let name_start = line[after_size..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|p| after_size + p)
        .ok_or_else(|| bad("no name"))?;
    let modified =
        Timestamp::new(year, month, day, hour, minute, second).ok_or_else(|| bad("bad date"))?;
    let mut name = &line[name_start..];
    let mut link_target = None;
    // `dir` shows a junction's or link's target in brackets after its name.
    if kind == EntryKind::Link {
        if let (Some(open), Some(b']')) = (name.iter().rposition(|&b| b == b'['), name.last()) {
            if open > 0 && name[open - 1] == b' ' {
                link_target = Some(lossy(&name[open + 1..name.len() - 1]));
                name = &name[..open - 1];
            }
        }
    }
    let mut entry = Entry::new(name.to_vec(), kind, line, ListFormat::Dos);
    entry.size = size;
    entry.modified = Some(modified);
    entry.link_target = link_target;
    Ok(entry.shrink())
}

/// `MM-DD-YY`, `MM-DD-YYYY`, `MM/DD/YY[YY]`, `YYYY-MM-DD`, `YYYY/MM/DD` or `DD.MM.YYYY`:
/// (year, month, day), the month and day checked roughly (the whole date is checked later).
fn date(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let separator = *tok.iter().find(|b| !b.is_ascii_digit())?;
    if !b"-/.".contains(&separator) {
        return None;
    }
    let parts: Vec<&[u8]> = tok.split(|&b| b == separator).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (year, month, day) = if a.len() == 4 {
        (
            small_number(a, 4, 4)?,
            small_number(b, 1, 2)?,
            small_number(c, 1, 2)?,
        )
    } else if separator == b'.' {
        (year_of(c)?, small_number(b, 1, 2)?, small_number(a, 1, 2)?)
    } else {
        (year_of(c)?, small_number(a, 1, 2)?, small_number(b, 1, 2)?)
    };
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((
        year as i32,
        month as u8,
        day as u8,
    ))
}

/// Two-digit years are 1970 to 2069.
fn year_of(tok: &[u8]) -> Option<u32> {
    match tok.len() {
        2 => small_number(tok, 2, 2).map(|y| if y < 70 { 2000 + y } else { 1900 + y }),
        4 => small_number(tok, 4, 4),
        _ => None,
    }
}

fn time(tok: &[u8]) -> Option<(u8, u8, u8, Option<u8>)> {
    let upper = tok.to_ascii_uppercase();
    let (digits, suffix) = match upper.as_slice() {
        [rest @ .., b'A' | b'P', b'M'] => (rest, Some(upper[upper.len() - 2])),
        _ => (upper.as_slice(), None),
    };
    let (hour, minute, second, _) = time_of_day(digits)?;
    Some((hour, minute, second, suffix))
}

#[cfg(test)]
mod tests {
    use super::super::parse_list_line;
    use super::*;

    fn parse_one(line: &str) -> Entry {
        let now = Timestamp::new(2024, 6, 15, 0, 0, 0).unwrap();
        parse_list_line(line.as_bytes(), now).unwrap().unwrap()
    }

    #[test]
    fn iis_lines() {
        let d = parse_one("01-31-24  09:05PM       <DIR>          My Documents");
        assert!(d.is_dir());
        assert_eq!(d.name(), "My Documents");
        assert_eq!(d.modified().unwrap().to_string(), "2024-01-31T21:05:00Z");
        let f = parse_one("12-01-99  12:00AM                 1234 old.txt");
        assert_eq!(f.size(), Some(1234));
        assert_eq!(f.modified().unwrap().to_string(), "1999-12-01T00:00:00Z");
        let f = parse_one("06-15-2024  13:45  77 report final.xlsx");
        assert_eq!(f.name(), "report final.xlsx");
        assert_eq!(f.modified().unwrap().hour, 13);
        let f = parse_one("06-15-2024  01:45 PM  77 spaced-meridiem");
        assert_eq!(f.modified().unwrap().hour, 13);
        assert_eq!(f.name(), "spaced-meridiem");
    }

    #[test]
    fn rejects_bad_dos_lines() {
        let now = Timestamp::new(2024, 6, 15, 0, 0, 0).unwrap();
        for bad in [
            "13-01-24  09:05PM  <DIR>  x",
            "01-31-24  13:05PM  <DIR>  x",
            "01-31-24  09:05PM  12x  x",
            "01-31-24  09:05PM  <DIR>",
        ] {
            assert!(parse_list_line(bad.as_bytes(), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn thousands_separators_and_numeric_dates() {
        let f = parse_one("01-05-19  12:00PM    1,048,576 big.bin");
        assert_eq!(f.size(), Some(1_048_576));
        assert_eq!(f.name(), "big.bin");
        let f = parse_one("05.01.2019  12:00    1.048.576 gross.bin");
        assert_eq!(f.size(), Some(1_048_576));
        assert_eq!(f.modified().unwrap().to_string(), "2019-01-05T12:00:00Z");
        // Windows CE and newer IIS: year first, 24-hour clock.
        let d = parse_one("2019-01-05  18:48       <DIR>          Folder16");
        assert!(d.is_dir());
        assert_eq!(d.modified().unwrap().to_string(), "2019-01-05T18:48:00Z");
        let f = parse_one("2013-09-02  19:06                9,730 File17");
        assert_eq!(f.size(), Some(9730));
        let f = parse_one("01/05/2019  07:15 AM       12 slashes.txt");
        assert_eq!(f.modified().unwrap().to_string(), "2019-01-05T07:15:00Z");
        assert_eq!(f.format(), ListFormat::Dos);
        let l = parse_one("01-05-2019  12:00  <JUNCTION>  Documents [C:\\Users\\me\\Documents]");
        assert_eq!(l.kind(), &EntryKind::Link);
        assert_eq!(l.name(), "Documents");
        assert_eq!(l.link_target(), Some("C:\\Users\\me\\Documents"));
        let now = Timestamp::new(2024, 6, 15, 0, 0, 0).unwrap();
        for bad in [
            "01-05-19  12:00PM  1,04,576 x",
            "01-05-19  12:00PM  1,048,5767 x",
            "01-05-19  12:00PM  ,048 x",
        ] {
            assert!(parse_list_line(bad.as_bytes(), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn dos_errors_name_dos() {
        let now = Timestamp::new(2024, 6, 15, 0, 0, 0).unwrap();
        for bad in [
            "01-05-19  12:00PM  twelve  x",
            "02-30-19  12:00PM  12  x",
            "2019-01-05  25:00  12  x",
            "1-5-19  12:00PM",
            "13-01-24  09:05PM  <DIR>  x",
            "01-32-2024  09:05PM  <DIR>  x",
        ] {
            let err = parse_list_line(bad.as_bytes(), now).unwrap_err();
            assert!(err.contains("DOS LIST line"), "{bad}: {err}");
            assert!(!err.contains("permission"), "{bad}: {err}");
        }
    }
}
