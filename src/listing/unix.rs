//! Unix `ls -l` style LIST lines, as sent by vsftpd, ProFTPD, Pure-FTPd, pyftpdlib and most
//! others: `drwxr-xr-x 2 owner group 4096 Jan  1 12:34 name`.

use super::{parse_u64, tokens, Entry, EntryKind};
use crate::protocol::time::days_in_month;
use crate::protocol::Timestamp;

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

pub(super) fn parse(line: &[u8], now: Timestamp) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in LIST line {:?}", String::from_utf8_lossy(line));
    let toks = tokens(line);
    let (_, perms) = *toks.first().ok_or_else(|| bad("no fields"))?;
    let kind = kind_of(perms).ok_or_else(|| bad("no permission field"))?;

    // Find the date: `Mon DD HH:MM|YYYY` or ISO `YYYY-MM-DD HH:MM`, preceded by the size.
    let (date_at, modified, name_from) = (2..toks.len())
        .find_map(|i| {
            let size_ok = parse_u64(toks[i - 1].1).is_some();
            if !size_ok {
                return None;
            }
            if let Some((ts, end)) = month_day_date(&toks, i, now) {
                return Some((i, ts, end));
            }
            iso_date(&toks, i).map(|(ts, end)| (i, ts, end))
        })
        .ok_or_else(|| bad("no date"))?;

    // Exactly one separator after the date: names may begin with spaces.
    let name_start = name_from + 1;
    if name_start >= line.len() {
        return Err(bad("no name"));
    }
    let mut name = &line[name_start..];
    let mut link_target = None;
    if kind == EntryKind::Link {
        if let Some(arrow) = find(name, b" -> ") {
            link_target = Some(String::from_utf8_lossy(&name[arrow + 4..]).into_owned());
            name = &name[..arrow];
        }
    }

    let mut entry = Entry::new(name.to_vec(), kind, line);
    entry.size = parse_u64(toks[date_at - 1].1);
    entry.modified = Some(modified);
    entry.link_target = link_target;
    if let Some(mode) = mode_bits(perms) {
        entry.facts.push("unix.mode", &format!("{mode:04o}"));
    }
    // Between the permissions and the size: link count, owner and group, when present.
    let mut middle = &toks[1..date_at - 1];
    if let Some((_, first)) = middle.first() {
        if parse_u64(first).is_some() {
            entry.facts.push("unix.nlink", &lossy(first));
            middle = &middle[1..];
        }
    }
    if let Some((_, owner)) = middle.first() {
        entry.facts.push("unix.owner", &lossy(owner));
    }
    if let Some((_, group)) = middle.get(1) {
        entry.facts.push("unix.group", &lossy(group));
    }
    Ok(entry.shrink())
}

fn kind_of(perms: &[u8]) -> Option<EntryKind> {
    if perms.len() < 10 {
        return None;
    }
    let bits_ok = perms[1..10]
        .iter()
        .all(|b| b"rwxsStTlL-".contains(b) || *b == b'+');
    if !bits_ok {
        return None;
    }
    Some(match perms[0] {
        b'-' => EntryKind::File,
        b'd' => EntryKind::Dir,
        b'l' => EntryKind::Link,
        b'c' | b'b' | b'p' | b's' | b'D' => EntryKind::Other((perms[0] as char).to_string()),
        _ => return None,
    })
}

fn mode_bits(perms: &[u8]) -> Option<u32> {
    let mut mode = 0u32;
    for (i, &c) in perms[1..10].iter().enumerate() {
        let bit = 1 << (8 - i);
        match (i % 3, c) {
            (_, b'-') => {}
            (0, b'r') | (1, b'w') | (2, b'x') => mode |= bit,
            (2, b's') | (2, b't') => {
                mode |= bit;
                mode |= special_bit(i);
            }
            (2, b'S') | (2, b'T') | (2, b'l') | (2, b'L') => mode |= special_bit(i),
            _ => return None,
        }
    }
    Some(mode)
}

fn special_bit(i: usize) -> u32 {
    match i / 3 {
        0 => 0o4000,
        1 => 0o2000,
        _ => 0o1000,
    }
}

/// `Mon DD HH:MM` or `Mon DD YYYY` at token `i`; returns the time and the byte offset where
/// the date ends.
fn month_day_date(toks: &[(usize, &[u8])], i: usize, now: Timestamp) -> Option<(Timestamp, usize)> {
    let month = month_number(toks.get(i)?.1)?;
    let day = parse_u64(toks.get(i + 1)?.1).filter(|d| (1..=31).contains(d))? as u8;
    let (at, third) = *toks.get(i + 2)?;
    let end = at + third.len();
    if let Some((hour, minute)) = hour_minute(third) {
        // No year: the most recent year that does not put the date more than a day ahead.
        let mut year = now.year;
        let candidate =
            |y: i32| Timestamp::new(y, month, day.min(days_in_month(y, month)), hour, minute, 0);
        let mut ts = candidate(year)?;
        if ts.unix_seconds() > now.unix_seconds() + 86_400 {
            year -= 1;
            ts = candidate(year)?;
        }
        return Some((ts, end));
    }
    if third.len() == 4 {
        let year = parse_u64(third)? as i32;
        return Some((Timestamp::new(year, month, day, 0, 0, 0)?, end));
    }
    None
}

/// `YYYY-MM-DD HH:MM` (ls --time-style=long-iso) at token `i`.
fn iso_date(toks: &[(usize, &[u8])], i: usize) -> Option<(Timestamp, usize)> {
    let date = toks.get(i)?.1;
    if date.len() != 10 || date[4] != b'-' || date[7] != b'-' {
        return None;
    }
    let year = parse_u64(&date[..4])? as i32;
    let month = parse_u64(&date[5..7])? as u8;
    let day = parse_u64(&date[8..])? as u8;
    let (at, time) = *toks.get(i + 1)?;
    let (hour, minute) = hour_minute(time)?;
    Some((
        Timestamp::new(year, month, day, hour, minute, 0)?,
        at + time.len(),
    ))
}

fn month_number(tok: &[u8]) -> Option<u8> {
    if tok.len() != 3 {
        return None;
    }
    let lower = tok.to_ascii_lowercase();
    MONTHS
        .iter()
        .position(|m| *m == lower.as_slice())
        .map(|p| p as u8 + 1)
}

fn hour_minute(tok: &[u8]) -> Option<(u8, u8)> {
    let colon = tok.iter().position(|&b| b == b':')?;
    let hour = parse_u64(&tok[..colon])?;
    let minute = parse_u64(&tok[colon + 1..])?;
    (hour < 24 && minute < 60 && tok.len() - colon == 3).then_some((hour as u8, minute as u8))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::super::parse_list_line;
    use super::*;

    fn now() -> Timestamp {
        Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap()
    }

    fn parse_one(line: &str) -> Entry {
        parse_list_line(line.as_bytes(), now()).unwrap().unwrap()
    }

    #[test]
    fn vsftpd_lines() {
        let e = parse_one("-rw-r--r--    1 1000     1000         1234 Jun 14 09:05 report.txt");
        assert_eq!(e.name(), "report.txt");
        assert!(e.is_file());
        assert_eq!(e.size(), Some(1234));
        assert_eq!(e.modified().unwrap().to_string(), "2024-06-14T09:05:00Z");
        assert_eq!(e.unix_mode(), Some(0o644));
        assert_eq!(e.fact("unix.owner"), Some("1000"));
        assert_eq!(e.fact("unix.group"), Some("1000"));
        let d = parse_one("drwxr-xr-x    2 1000     1000         4096 Jan 01  2020 sub dir");
        assert!(d.is_dir());
        assert_eq!(d.name(), "sub dir");
        assert_eq!(d.modified().unwrap().to_string(), "2020-01-01T00:00:00Z");
    }

    #[test]
    fn year_inference_goes_back_for_future_dates() {
        let e = parse_one("-rw-r--r-- 1 a b 1 Dec 24 10:00 xmas");
        assert_eq!(e.modified().unwrap().year, 2023);
        let e = parse_one("-rw-r--r-- 1 a b 1 Jun 16 10:00 tomorrow");
        assert_eq!(e.modified().unwrap().year, 2024);
    }

    #[test]
    fn proftpd_and_pureftpd_lines() {
        let e = parse_one("-rw-r--r--   1 ftp      ftp        524288 Feb  3 11:22 big file.iso");
        assert_eq!(e.name(), "big file.iso");
        assert_eq!(e.size(), Some(524_288));
        // Pure-FTPd: owner and group names, a sticky directory.
        let d = parse_one("drwxrwxrwt    3 0          0                4096 Mar 31 08:00 tmp");
        assert_eq!(d.unix_mode(), Some(0o1777));
        // No group column, as some servers send.
        let e = parse_one("-rwxr-xr-x 1 owner 42 May 5 2019 tool");
        assert_eq!(e.size(), Some(42));
        assert_eq!(e.fact("unix.owner"), Some("owner"));
        assert_eq!(e.fact("unix.group"), None);
        // ACL marker after the permissions.
        let e = parse_one("-rw-r--r--+ 1 a b 7 Jan 1 2000 acl");
        assert_eq!(e.name(), "acl");
    }

    #[test]
    fn links_devices_and_odd_names() {
        let l = parse_one("lrwxrwxrwx 1 root root 7 Jan 1 12:00 current -> releases/v2");
        assert_eq!(l.kind(), &EntryKind::Link);
        assert_eq!(l.name(), "current");
        assert_eq!(l.link_target(), Some("releases/v2"));
        let c = parse_one("crw-rw-rw- 1 root root 1, 3 Jan 1 2020 null");
        assert_eq!(c.kind(), &EntryKind::Other("c".into()));
        assert_eq!(c.name(), "null");
        let e = parse_one("-rw-r--r-- 1 a b 1 Jan 1 2020  leading space");
        assert_eq!(e.name(), " leading space");
        let e = parse_one("-rw-r--r-- 1 a b 1 Jan 1 2020 Jan 1 2020 tricky");
        assert_eq!(e.name(), "Jan 1 2020 tricky");
        let e = parse_one("-rw-r--r-- 1 a b 1 2023-04-05 06:07 iso");
        assert_eq!(e.modified().unwrap().to_string(), "2023-04-05T06:07:00Z");
        assert_eq!(e.name(), "iso");
        assert_eq!(e.raw(), "-rw-r--r-- 1 a b 1 2023-04-05 06:07 iso");
    }

    #[test]
    fn setuid_bits() {
        let e = parse_one("-rwsr-sr-x 1 a b 1 Jan 1 2020 su");
        assert_eq!(e.unix_mode(), Some(0o6755));
        let e = parse_one("-rwSr--r-T 1 a b 1 Jan 1 2020 su");
        assert_eq!(e.unix_mode(), Some(0o5644));
    }

    #[test]
    fn rejects_bad_lines() {
        for bad in [
            "-rw-r--r-- 1 a b 1 Jan 1 2020",
            "-rw-r--r-- 1 a b 1 Jan 1 2020 ",
            "-rw-r--r-- 1 a b x Jan 1 2020 n",
            "xrw-r--r-- 1 a b 1 Jan 1 2020 n",
            "-rw-r--r-- 1 a b 1 Foo 1 2020 n",
            "-rw-r--r-- 1 a b 1 Jan 32 2020 n",
            "-rw-r--r-- 1 a b 1 Jan 1 25:00 n",
        ] {
            assert!(parse_list_line(bad.as_bytes(), now()).is_err(), "{bad}");
        }
    }
}
