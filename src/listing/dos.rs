//! DOS/IIS style LIST lines: `01-31-24  09:05PM       <DIR>          name` or
//! `01-31-2024  21:05  1234 name`.

use super::{parse_u64, tokens, Entry, EntryKind};
use crate::protocol::Timestamp;

pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in DOS LIST line {:?}", String::from_utf8_lossy(line));
    let toks = tokens(line);
    if toks.len() < 4 {
        return Err(bad("too few fields"));
    }
    let (month, day, year) = date(toks[0].1).ok_or_else(|| bad("bad date"))?;
    // The time may be `09:05PM` or `09:05 PM`.
    let (mut hour, minute, suffix) = time(toks[1].1).ok_or_else(|| bad("bad time"))?;
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
    let (kind, size) = if size_tok.eq_ignore_ascii_case(b"<DIR>") {
        (EntryKind::Dir, None)
    } else {
        let size = parse_u64(size_tok).ok_or_else(|| bad("bad size"))?;
        (EntryKind::File, Some(size))
    };
    let after_size = size_at + size_tok.len();
    let name_start = line[after_size..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|p| after_size + p)
        .ok_or_else(|| bad("no name"))?;
    let modified =
        Timestamp::new(year, month, day, hour, minute, 0).ok_or_else(|| bad("bad date"))?;
    let mut entry = Entry::new(line[name_start..].to_vec(), kind, line);
    entry.size = size;
    entry.modified = Some(modified);
    Ok(entry)
}

fn date(tok: &[u8]) -> Option<(u8, u8, i32)> {
    let mut parts = tok.split(|&b| b == b'-');
    let month = parse_u64(parts.next()?)? as u8;
    let day = parse_u64(parts.next()?)? as u8;
    let year_tok = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = parse_u64(year_tok)? as i32;
    let year = match year_tok.len() {
        2 if year < 70 => 2000 + year,
        2 => 1900 + year,
        4 => year,
        _ => return None,
    };
    Some((month, day, year))
}

fn time(tok: &[u8]) -> Option<(u8, u8, Option<u8>)> {
    let upper = tok.to_ascii_uppercase();
    let (digits, suffix) = match upper.as_slice() {
        [rest @ .., b'A' | b'P', b'M'] => (rest, Some(upper[upper.len() - 2])),
        _ => (upper.as_slice(), None),
    };
    let colon = digits.iter().position(|&b| b == b':')?;
    let hour = parse_u64(&digits[..colon])?;
    let minute = parse_u64(&digits[colon + 1..])?;
    (hour < 24 && minute < 60).then_some((hour as u8, minute as u8, suffix))
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
}
