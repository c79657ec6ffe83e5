//! Unix `ls -l` style LIST lines, as sent by vsftpd, ProFTPD, Pure-FTPd, pyftpdlib and most
//! others: `drwxr-xr-x 2 owner group 4096 Jan  1 12:34 name`. The columns between the
//! permissions and the size vary (no group, no link count), so the size is taken as the
//! number just before the first date; a device has major and minor numbers there instead.

use super::{
    english_month, lossy, parse_u64, recent_date, small_number, time_of_day, tokens, Entry,
    EntryKind, ListFormat,
};
use crate::protocol::Timestamp;

/// A first field of ten characters: a type letter and nine permission characters, possibly
/// followed by an ACL, SELinux or extended-attribute marker.
pub(super) fn looks_like(line: &[u8]) -> bool {
    let first = line.split(u8::is_ascii_whitespace).next().unwrap_or(b"");
    kind_of(first).is_some()
}

pub(super) fn parse(line: &[u8], now: Timestamp) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in Unix LIST line {:?}", lossy(line));
    let toks = tokens(line);
    let (_, perms) = *toks.first().ok_or_else(|| bad("no fields"))?;
    let kind = kind_of(perms).ok_or_else(|| bad("no permission field"))?;
    let device = matches!(&kind, EntryKind::Other(k) if k == "c" || k == "b");

    // The first date preceded by a size (or, for a device, its major and minor numbers).
    let mut found = None;
    for i in 2..toks.len() {
        // Cheap first: a size (or device numbers) starts with a digit.
        if !toks[i - 1].1[0].is_ascii_digit() {
            continue;
        }
        let Some(date) = date_at(&toks, i, now) else {
            continue;
        };
        let Some(size) = size_before(&toks, i, device) else {
            continue;
        };
        found = Some((i, date, size));
        break;
    }
    let (_, (modified, time_is_utc, date_end), size) = found.ok_or_else(|| bad("no date"))?;

    // Exactly one separator after the date: names may begin with spaces.
    let name_start = date_end + 1;
    if name_start >= line.len() {
        return Err(bad("no name"));
    }
    let mut name = &line[name_start..];
    let mut link_target = None;
    if kind == EntryKind::Link {
        if let Some(arrow) = find(name, b" -> ") {
            link_target = Some(lossy(&name[arrow + 4..]));
            name = &name[..arrow];
        }
    }
    if name.is_empty() {
        return Err(bad("no name"));
    }

    let mut entry = Entry::new(name.to_vec(), kind, line, ListFormat::Unix);
    entry.modified = Some(modified);
    entry.time_is_utc = time_is_utc;
    entry.link_target = link_target;
    if let Some(mode) = mode_bits(perms) {
        entry.facts.push("unix.mode", &format!("{mode:04o}"));
    }
    // Between the permissions and the size: link count, owner and group, when present.
    let mut middle = &toks[1..size.first_token];
    if let Some((_, first)) = middle.first() {
        if parse_u64(first).is_some() && middle.len() > 1 {
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
    match size.value {
        Size::Bytes(bytes) => entry.size = Some(bytes),
        Size::Device(major, minor) => {
            entry.facts.push("unix.major", &major.to_string());
            entry.facts.push("unix.minor", &minor.to_string());
        }
        Size::None => {}
    }
    Ok(entry.shrink())
}

enum Size {
    Bytes(u64),
    /// A device's major and minor numbers.
    Device(u64, u64),
    /// A device listed with a plain number: not a size.
    None,
}

struct SizeField {
    value: Size,
    /// Index of the size's first token.
    first_token: usize,
}

/// The size just before the date at token `date`: a number, or for a device `major, minor`
/// (one token or two).
fn size_before(toks: &[(usize, &[u8])], date: usize, device: bool) -> Option<SizeField> {
    let last = toks[date - 1].1;
    if device {
        if let Some((major, minor)) = split_device(last) {
            return Some(SizeField {
                value: Size::Device(major, minor),
                first_token: date - 1,
            });
        }
        let minor = parse_u64(last)?;
        if date >= 3 {
            if let Some(major) = toks[date - 2].1.strip_suffix(b",").and_then(parse_u64) {
                return Some(SizeField {
                    value: Size::Device(major, minor),
                    first_token: date - 2,
                });
            }
        }
        return Some(SizeField {
            value: Size::None,
            first_token: date - 1,
        });
    }
    Some(SizeField {
        value: Size::Bytes(parse_u64(last)?),
        first_token: date - 1,
    })
}

/// `4,64` or `4,` (the minor in the next token is read by the caller).
fn split_device(tok: &[u8]) -> Option<(u64, u64)> {
    let comma = tok.iter().position(|&b| b == b',')?;
    Some((parse_u64(&tok[..comma])?, parse_u64(&tok[comma + 1..])?))
}

fn kind_of(perms: &[u8]) -> Option<EntryKind> {
    if perms.len() < 10 || !perms[10..].iter().all(|b| b"+.@".contains(b)) || perms.len() > 11 {
        return None;
    }
    let bits_ok = perms[1..10].iter().all(|b| b"rwxsStTlL-".contains(b));
    if !bits_ok {
        return None;
    }
    Some(match perms[0] {
        b'-' => EntryKind::File,
        b'd' => EntryKind::Dir,
        b'l' => EntryKind::Link,
        // Devices, pipes, sockets, doors and whatever else a server writes there.
        c if c.is_ascii_alphabetic() => EntryKind::Other((c as char).to_string()),
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

/// A date at token `i`: the time (server-local unless it carried its zone), whether it is
/// UTC, and the byte offset where it ends.
fn date_at(toks: &[(usize, &[u8])], i: usize, now: Timestamp) -> Option<(Timestamp, bool, usize)> {
    if let Some((time, end)) = month_day_date(toks, i, now) {
        return Some((time, false, end));
    }
    numeric_date(toks, i, now)
}

/// `Mon DD HH:MM|YYYY` in English, or the CJK `1月 5日 12:00`, `1月 5 2019年`, `1월 5일`.
fn month_day_date(toks: &[(usize, &[u8])], i: usize, now: Timestamp) -> Option<(Timestamp, usize)> {
    let (month_tok, day_tok) = (toks.get(i)?.1, toks.get(i + 1)?.1);
    let (month, cjk) = match english_month(month_tok) {
        Some(month) => (month, false),
        None => (cjk_number(month_tok, &["月", "월"], 1, 2)? as u8, true),
    };
    let day = if cjk {
        cjk_number(day_tok, &["日", "일"], 1, 2)
    } else {
        small_number(day_tok, 1, 2)
    }? as u8;
    let (at, third) = *toks.get(i + 2)?;
    let end = at + third.len();
    if let Some((hour, minute, 0, 0)) = time_of_day(third).filter(|_| third.len() <= 5) {
        return Some((recent_date(now, month, day, hour, minute)?, end));
    }
    // BSD `ls -lT`: `Jan  5 12:00:01 2019`.
    if let (false, Some((hour, minute, second, 0)), Some(&(year_at, year))) = (
        cjk,
        time_of_day(third).filter(|_| third.len() == 8),
        toks.get(i + 3),
    ) {
        let year = small_number(year, 4, 4)? as i32;
        let time = Timestamp::new(year, month, day, hour, minute, second)?;
        return Some((time, year_at + 4));
    }
    let year = if cjk {
        cjk_number(third, &["年", "년"], 4, 4)
    } else {
        small_number(third, 4, 4)
    }?;
    Some((Timestamp::new(year as i32, month, day, 0, 0, 0)?, end))
}

/// `12月`, `5日`, `2019年`: digits, optionally followed by one of the suffixes.
fn cjk_number(tok: &[u8], suffixes: &[&str], min: usize, max: usize) -> Option<u32> {
    let digits = suffixes
        .iter()
        .find_map(|s| tok.strip_suffix(s.as_bytes()))
        .unwrap_or(tok);
    small_number(digits, min, max)
}

/// `ls --time-style`: `YYYY-MM-DD HH:MM` (long-iso), `YYYY-MM-DD HH:MM:SS.fff +zzzz`
/// (full-iso, in UTC from its zone), `MM-DD HH:MM` and `YYYY-MM-DD` (iso); `/` or `.` may
/// separate the date's parts.
fn numeric_date(
    toks: &[(usize, &[u8])],
    i: usize,
    now: Timestamp,
) -> Option<(Timestamp, bool, usize)> {
    let (at, date) = *toks.get(i)?;
    let parts: Vec<&[u8]> = date
        .split(|&b| b == b'-' || b == b'/' || b == b'.')
        .collect();
    let time = toks
        .get(i + 1)
        .and_then(|&(at, t)| Some((time_of_day(t)?, at + t.len())));
    match parts.as_slice() {
        [year, month, day] => {
            let year = small_number(year, 4, 4)? as i32;
            let (month, day) = (
                small_number(month, 2, 2)? as u8,
                small_number(day, 2, 2)? as u8,
            );
            let Some(((hour, minute, second, nanosecond), time_end)) = time else {
                return Some((
                    Timestamp::new(year, month, day, 0, 0, 0)?,
                    false,
                    at + date.len(),
                ));
            };
            let local = Timestamp::new(year, month, day, hour, minute, second)?;
            let local = Timestamp {
                nanosecond,
                ..local
            };
            // full-iso: the zone follows.
            if let Some(&(zone_at, zone)) = toks.get(i + 2) {
                if let Some(offset) = zone_offset(zone) {
                    let utc = Timestamp::from_unix_seconds(local.unix_seconds() - offset);
                    return Some((Timestamp { nanosecond, ..utc }, true, zone_at + zone.len()));
                }
            }
            Some((local, false, time_end))
        }
        [month, day] => {
            let (month, day) = (
                small_number(month, 2, 2)? as u8,
                small_number(day, 2, 2)? as u8,
            );
            let ((hour, minute, 0, 0), time_end) = time? else {
                return None;
            };
            Some((recent_date(now, month, day, hour, minute)?, false, time_end))
        }
        _ => None,
    }
}

/// `+0100`, `-0530`: seconds east of UTC.
fn zone_offset(tok: &[u8]) -> Option<i64> {
    let (sign, digits) = match tok.split_first()? {
        (b'+', rest) => (1, rest),
        (b'-', rest) => (-1, rest),
        _ => return None,
    };
    let hours = small_number(digits.get(..2)?, 2, 2)?;
    let minutes = small_number(digits.get(2..)?, 2, 2)?;
    (hours <= 14 && minutes < 60).then_some(sign * i64::from(hours * 3600 + minutes * 60))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
            "1rw-r--r-- 1 a b 1 Jan 1 2020 n",
            "-rw-r--r-x- 1 a b 1 Jan 1 2020 n",
            "-rw-r--r-- 1 a b 1 Foo 1 2020 n",
            "-rw-r--r-- 1 a b 1 Jan 32 2020 n",
            "-rw-r--r-- 1 a b 1 Jan 1 25:00 n",
        ] {
            assert!(parse_list_line(bad.as_bytes(), now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn cjk_dates() {
        // Chinese and Japanese `ls`: month and day with their characters, time or year.
        let e = parse_one("-rw-r--r-- 1 wang staff 10 1月 5 12:00 a.txt");
        assert_eq!(e.modified().unwrap().to_string(), "2024-01-05T12:00:00Z");
        assert_eq!(e.size(), Some(10));
        assert_eq!(e.name(), "a.txt");
        let e = parse_one("-rw-r--r-- 1 wang staff 10 12月 31日 2019年 年末.txt");
        assert_eq!(e.modified().unwrap().to_string(), "2019-12-31T00:00:00Z");
        assert_eq!(e.name(), "年末.txt");
        let e = parse_one("drwxr-xr-x 2 tanaka users 4096  6月 14日 09:30 資料");
        assert!(e.is_dir());
        assert_eq!(e.modified().unwrap().to_string(), "2024-06-14T09:30:00Z");
        // Korean.
        let e = parse_one("-rw-r--r-- 1 kim users 77 3월 9일 2021년 보고서.hwp");
        assert_eq!(e.modified().unwrap().to_string(), "2021-03-09T00:00:00Z");
        let e = parse_one("-rw-r--r-- 1 kim users 77 11월 2 08:05 memo");
        assert_eq!(e.modified().unwrap().to_string(), "2023-11-02T08:05:00Z");
        assert!(
            parse_list_line("-rw-r--r-- 1 kim users 77 13월 2 08:05 x".as_bytes(), now()).is_err()
        );
    }

    #[test]
    fn devices_have_no_size() {
        let c = parse_one("crw-rw---- 1 root tty 4, 64 Jan 5 12:00 tty0");
        assert_eq!(c.kind(), &EntryKind::Other("c".into()));
        assert_eq!(c.size(), None);
        assert_eq!(c.fact("unix.major"), Some("4"));
        assert_eq!(c.fact("unix.minor"), Some("64"));
        assert_eq!(c.fact("unix.group"), Some("tty"));
        assert_eq!(c.name(), "tty0");
        let b = parse_one("brw-rw---- 1 root disk 8,0 Jan 5 12:00 sda");
        assert_eq!(b.size(), None);
        assert_eq!(
            (b.fact("unix.major"), b.fact("unix.minor")),
            (Some("8"), Some("0"))
        );
        assert_eq!(b.fact("unix.group"), Some("disk"));
        // A device listed with one number: still no size.
        let c = parse_one("crw-rw-rw- 1 root root 0 Jan 5 12:00 null");
        assert_eq!((c.size(), c.fact("unix.minor")), (None, None));
    }

    #[test]
    fn unknown_type_letters_are_other() {
        for (line, letter) in [
            ("frw-r--r-- 1 a b 5 Jan 1 2020 f-file", "f"),
            ("Drw-r--r-- 1 a b 5 Jan 1 2020 door", "D"),
            ("prw-r--r-- 1 a b 0 Jan 1 2020 fifo", "p"),
            ("srwxrwxrwx 1 a b 0 Jan 1 2020 sock", "s"),
        ] {
            let e = parse_one(line);
            assert_eq!(e.kind(), &EntryKind::Other(letter.into()), "{line}");
            assert_eq!(
                e.size(),
                Some(if letter == "f" || letter == "D" { 5 } else { 0 })
            );
        }
    }

    #[test]
    fn size_is_the_number_before_the_date() {
        // No group column.
        let e = parse_one("-rw-r--r-- 1 owner 1234 Jan 5 12:00 a");
        assert_eq!(e.size(), Some(1234));
        assert_eq!(e.fact("unix.nlink"), Some("1"));
        assert_eq!(e.fact("unix.owner"), Some("owner"));
        assert_eq!(e.fact("unix.group"), None);
        // Numeric owner and no group: the owner is not the size.
        let e = parse_one("-rw-r--r-- 1 1000 77 Jan 5 12:00 b");
        assert_eq!(e.size(), Some(77));
        assert_eq!(e.fact("unix.owner"), Some("1000"));
        // No link count either.
        let e = parse_one("drwxrwxr-x folder 2 May 10 1996 Folder-Audio");
        assert_eq!(e.size(), Some(2));
        assert_eq!(e.fact("unix.owner"), Some("folder"));
        // Owner and group with spaces.
        let e = parse_one("-rw-r--r-- 1 group domain user 531 Jan 29 03:26 File-9.txt");
        assert_eq!(e.size(), Some(531));
        assert_eq!(e.name(), "File-9.txt");
    }

    #[test]
    fn impossible_dates_are_rejected_and_years_inferred() {
        for bad in [
            "-rw-r--r-- 1 a b 1 Nov 31 10:00 n",
            "-rw-r--r-- 1 a b 1 Feb 30 10:00 n",
            "-rw-r--r-- 1 a b 1 Feb 29 2023 n",
            "-rw-r--r-- 1 a b 1 Apr 31 2020 n",
        ] {
            let err = parse_list_line(bad.as_bytes(), now()).unwrap_err();
            assert!(err.contains("Unix LIST line"), "{bad}: {err}");
        }
        // Feb 29 without a year: the last leap year in which it is not in the future.
        let e = parse_one("-rw-r--r-- 1 a b 1 Feb 29 10:00 leap");
        assert_eq!(e.modified().unwrap().to_string(), "2024-02-29T10:00:00Z");
        let later = Timestamp::new(2027, 1, 10, 0, 0, 0).unwrap();
        let e = parse_list_line(b"-rw-r--r-- 1 a b 1 Feb 29 10:00 leap", later)
            .unwrap()
            .unwrap();
        assert_eq!(e.modified().unwrap().year, 2024);
        // Across New Year: a December date seen in January is last year's.
        let january = Timestamp::new(2025, 1, 2, 0, 0, 0).unwrap();
        let e = parse_list_line(b"-rw-r--r-- 1 a b 1 Dec 31 23:00 eve", january)
            .unwrap()
            .unwrap();
        assert_eq!(e.modified().unwrap().year, 2024);
        // A date up to a day ahead (a server east of UTC) stays in this year.
        let e = parse_list_line(b"-rw-r--r-- 1 a b 1 Jan 2 20:00 soon", january)
            .unwrap()
            .unwrap();
        assert_eq!(e.modified().unwrap().year, 2025);
    }

    #[test]
    fn numeric_dates() {
        let e = parse_one("-rw-r--r-- 1 a b 10 2019-01-05 12:00 long-iso");
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-05T12:00:00Z");
        let e = parse_one("-rw-r--r-- 1 a b 10 2019-01-05 old-iso");
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-05T00:00:00Z");
        assert_eq!(e.name(), "old-iso");
        let e = parse_one("-rw-r--r-- 1 a b 10 01-05 12:00 recent-iso");
        assert_eq!(e.modified().unwrap().to_string(), "2024-01-05T12:00:00Z");
        let e = parse_one("-rw-r--r-- 1 a b 10 Jan  5 12:00:01 2019 bsd-T");
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-05T12:00:01Z");
        assert_eq!(e.name(), "bsd-T");
        let e = parse_one("-rw-r--r-- 1 a b 10 1999/10/12 17:12 slashes");
        assert_eq!(e.modified().unwrap().to_string(), "1999-10-12T17:12:00Z");
        // full-iso carries its zone: converted to UTC, the configured offset not applied.
        let mut config = super::super::ListConfig::new(now());
        config.utc_offset_minutes = 180;
        let e = super::super::parse_list_line_with(
            b"-rw-r--r-- 1 a b 10 2019-01-05 12:00:30.250000000 +0100 full-iso",
            &config,
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.modified().unwrap().to_string(), "2019-01-05T11:00:30Z");
        assert_eq!(e.modified().unwrap().nanosecond, 250_000_000);
        assert_eq!(e.name(), "full-iso");
        assert!(parse_list_line(b"-rw-r--r-- 1 a b 10 2019-02-30 12:00 n", now()).is_err());
    }

    #[test]
    fn server_offset_converts_to_utc() {
        let mut config = super::super::ListConfig::new(now());
        config.utc_offset_minutes = 120;
        let e = super::super::parse_list_line_with(b"-rw-r--r-- 1 a b 1 Jan 5 2020 x", &config)
            .unwrap()
            .unwrap();
        assert_eq!(e.modified().unwrap().to_string(), "2020-01-04T22:00:00Z");
        // The year of a year-less date is inferred on the server's clock: at 12:00 UTC it
        // is already 14:00 there, so 13:30 today is not in the future.
        let e = super::super::parse_list_line_with(b"-rw-r--r-- 1 a b 1 Jun 15 13:30 y", &config)
            .unwrap()
            .unwrap();
        assert_eq!(e.modified().unwrap().to_string(), "2024-06-15T11:30:00Z");
        assert_eq!(e.format(), ListFormat::Unix);
    }
}
