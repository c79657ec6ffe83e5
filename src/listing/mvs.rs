//! IBM z/OS LIST lines. Its FTP server lists four things, each under its own header:
//!
//! ```text
//! Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname
//! WORK01 3390   2019/01/05  1   15  FB      80  3120  PS  USER.REPORT.DATA
//! WORK02 3390   2019/01/07  2   45  FB      80 27920  PO  USER.SOURCE
//! Migrated                                                USER.OLD.DATA
//!
//!  Name     VV.MM   Created       Changed      Size  Init   Mod   Id
//! PAYROLL   01.03 2018/12/01 2019/01/05 12:00    42    40     0 USER1
//! NOSTATS
//!
//!  Name      Size     TTR   Alias-of AC --------- Attributes --------- Amode Rmode
//! LOADMOD   000A20   00001F          00 FO             RN RU            31    ANY
//!
//! JOBNAME  JOBID    OWNER    STATUS CLASS
//! NIGHTLY  JOB01234 USER1    OUTPUT A        RC=0000 3 spool files
//! ```
//!
//! Data sets: a partitioned one (`PO`, `PO-E`) is a directory, listed by its members; others
//! are files. Their size is in tracks, not bytes, so [`Entry::size`] is `None`; the last
//! referenced date is the `mvs.referred` fact, not a modification time. Members: the time is
//! the last change; the size is a count of records (`mvs.records`), not bytes. Load modules:
//! the size is in bytes (hexadecimal in the listing). JES jobs: the name is the job id (what
//! RETR takes), the job name and status are facts.

use super::{lossy, parse_u64, small_number, time_of_day, tokens, Entry, EntryKind, ListFormat};
use crate::protocol::Timestamp;

/// Which listing a header announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Listing {
    DataSets,
    Members,
    LoadModules,
    Jes,
}

pub(super) fn header(line: &[u8]) -> Option<Listing> {
    let toks: Vec<&[u8]> = tokens(line).into_iter().map(|(_, t)| t).collect();
    let has = |word: &[u8]| toks.iter().any(|t| t.eq_ignore_ascii_case(word));
    match toks.first().map(|t| t.to_ascii_uppercase()).as_deref() {
        Some(b"VOLUME") if has(b"Dsname") => Some(Listing::DataSets),
        Some(b"NAME") if has(b"VV.MM") => Some(Listing::Members),
        Some(b"NAME") if has(b"TTR") => Some(Listing::LoadModules),
        Some(b"JOBNAME") if has(b"JOBID") => Some(Listing::Jes),
        _ => None,
    }
}

/// A header, or a line with the shape of one of the four listings.
pub(super) fn looks_like(line: &[u8]) -> bool {
    if header(line).is_some() {
        return true;
    }
    let toks: Vec<&[u8]> = tokens(line).into_iter().map(|(_, t)| t).collect();
    match toks.as_slice() {
        [first, ..] if first.eq_ignore_ascii_case(b"Migrated") => toks.len() == 2,
        [_, second, third, ..] => {
            is_job_id(second)
                || (is_version(second) && is_date(third))
                || (is_date_shape(third) && toks.len() >= 5)
                || (is_hex6(second) && is_hex6(third))
        }
        _ => false,
    }
}

pub(super) fn parse(line: &[u8], listing: Option<Listing>) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in z/OS LIST line {:?}", lossy(line));
    let toks: Vec<&[u8]> = tokens(line).into_iter().map(|(_, t)| t).collect();
    if toks.is_empty() {
        return Err(bad("no fields"));
    }
    let listing = listing.unwrap_or_else(|| match toks.as_slice() {
        [_, second, ..] if is_job_id(second) => Listing::Jes,
        [_, second, ..] if is_version(second) => Listing::Members,
        [_, second, third, ..] if is_hex6(second) && is_hex6(third) => Listing::LoadModules,
        _ => Listing::DataSets,
    });
    let entry = match listing {
        Listing::DataSets => data_set(line, &toks),
        Listing::Members => member(line, &toks),
        Listing::LoadModules => load_module(line, &toks),
        Listing::Jes => job(line, &toks),
    };
    entry.map_err(bad).map(Entry::shrink)
}

fn data_set(line: &[u8], toks: &[&[u8]]) -> Result<Entry, &'static str> {
    let name = unquote(toks.last().ok_or("no name")?);
    if name.is_empty() {
        return Err("no name");
    }
    // Migrated, or on tape: only the name is known.
    if toks[0].eq_ignore_ascii_case(b"Migrated") || line_has(line, b"Not Direct Access Device") {
        if toks.len() < 2 {
            return Err("no name");
        }
        let mut entry = Entry::new(name.to_vec(), EntryKind::File, line, ListFormat::Mvs);
        entry.facts.push("mvs.volume", &lossy(toks[0]));
        return Ok(entry);
    }
    if toks.len() < 5 {
        return Err("too few fields");
    }
    let referred = toks[2];
    if !is_date(referred) && referred != b"**NONE**" {
        return Err("bad referred date");
    }
    let dsorg = toks[toks.len() - 2];
    let kind = match dsorg.to_ascii_uppercase().as_slice() {
        b"PO" | b"PO-E" => EntryKind::Dir,
        b"PS" | b"DA" | b"IS" => EntryKind::File,
        b"VS" | b"VSAM" => EntryKind::Other("VSAM".into()),
        _ => return Err("unknown data set organisation"),
    };
    let mut entry = Entry::new(name.to_vec(), kind, line, ListFormat::Mvs);
    entry.facts.push("mvs.volume", &lossy(toks[0]));
    entry.facts.push("mvs.unit", &lossy(toks[1]));
    if is_date(referred) {
        entry.facts.push("mvs.referred", &lossy(referred));
    }
    if toks.len() >= 10 {
        entry.facts.push("mvs.recfm", &lossy(toks[toks.len() - 5]));
        entry.facts.push("mvs.lrecl", &lossy(toks[toks.len() - 4]));
        entry
            .facts
            .push("mvs.blksize", &lossy(toks[toks.len() - 3]));
    }
    entry.facts.push("mvs.dsorg", &lossy(dsorg));
    Ok(entry)
}

fn member(line: &[u8], toks: &[&[u8]]) -> Result<Entry, &'static str> {
    let name = toks[0];
    let mut entry = Entry::new(name.to_vec(), EntryKind::File, line, ListFormat::Mvs);
    if toks.len() == 1 {
        // A member saved without statistics.
        return Ok(entry);
    }
    if toks.len() < 9 || !is_version(toks[1]) {
        return Err("too few fields");
    }
    let created = toks[2];
    let changed = ymd(toks[3]).ok_or("bad date")?;
    let (hour, minute, second, _) = time_of_day(toks[4]).ok_or("bad time")?;
    let modified =
        Timestamp::new(changed.0, changed.1, changed.2, hour, minute, second).ok_or("bad date")?;
    ymd(created).ok_or("bad date")?;
    let records = parse_u64(toks[5]).ok_or("bad size")?;
    entry.modified = Some(modified);
    entry.facts.push("mvs.version", &lossy(toks[1]));
    entry.facts.push("mvs.created", &lossy(created));
    entry.facts.push("mvs.records", &records.to_string());
    entry.facts.push("mvs.user", &lossy(toks[8]));
    Ok(entry)
}

fn load_module(line: &[u8], toks: &[&[u8]]) -> Result<Entry, &'static str> {
    let mut entry = Entry::new(toks[0].to_vec(), EntryKind::File, line, ListFormat::Mvs);
    if toks.len() == 1 {
        return Ok(entry);
    }
    if toks.len() < 3 || !is_hex6(toks[1]) || !is_hex6(toks[2]) {
        return Err("bad size or TTR");
    }
    let size = std::str::from_utf8(toks[1])
        .ok()
        .and_then(|s| u64::from_str_radix(s, 16).ok());
    entry.size = Some(size.ok_or("bad size")?);
    entry.facts.push("mvs.ttr", &lossy(toks[2]));
    // An alias names its module before the two-digit authorisation code.
    if let Some(alias_of) = toks
        .get(3)
        .filter(|t| !(t.len() == 2 && t.iter().all(u8::is_ascii_hexdigit)))
    {
        entry.facts.push("mvs.alias_of", &lossy(alias_of));
    }
    Ok(entry)
}

/// `JOBNAME JOBID OWNER STATUS CLASS [RC=0000|ABEND=522|(JCL error)] [n spool files]`, or
/// the older `JOBNAME JOBID STATUS n spool files`.
fn job(line: &[u8], toks: &[&[u8]]) -> Result<Entry, &'static str> {
    if toks.len() < 3 || !is_job_id(toks[1]) {
        return Err("no job id");
    }
    let mut entry = Entry::new(toks[1].to_vec(), EntryKind::File, line, ListFormat::Mvs);
    entry.facts.push("mvs.jobname", &lossy(toks[0]));
    let old_style = is_job_status(toks[2]);
    if old_style {
        entry.facts.push("mvs.status", &lossy(toks[2]));
    } else {
        entry.facts.push("mvs.owner", &lossy(toks[2]));
        if let Some(status) = toks.get(3) {
            entry.facts.push("mvs.status", &lossy(status));
        }
        if let Some(class) = toks.get(4) {
            entry.facts.push("mvs.class", &lossy(class));
        }
    }
    let rest = if old_style {
        &toks[3..]
    } else {
        toks.get(5..).unwrap_or(&[])
    };
    for (i, tok) in rest.iter().enumerate() {
        let upper = tok.to_ascii_uppercase();
        if upper.starts_with(b"RC=") || upper.starts_with(b"ABEND=") {
            entry.facts.push("mvs.completion", &lossy(tok));
        } else if rest
            .get(i + 1)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"spool"))
        {
            if let Some(count) = parse_u64(tok) {
                entry.facts.push("mvs.spool_files", &count.to_string());
            }
        }
    }
    Ok(entry)
}

fn is_job_status(tok: &[u8]) -> bool {
    [&b"OUTPUT"[..], b"ACTIVE", b"INPUT", b"HELD"]
        .iter()
        .any(|s| tok.eq_ignore_ascii_case(s))
}

/// `JOB01234`, `TSU01234`, `STC01234`, or the seven-digit `J0123456`, `T0123456`, `S0123456`.
fn is_job_id(tok: &[u8]) -> bool {
    let upper = tok.to_ascii_uppercase();
    let digits = |d: &[u8], n: usize| d.len() == n && d.iter().all(u8::is_ascii_digit);
    match upper.as_slice() {
        [b'J', b'O', b'B', rest @ ..]
        | [b'T', b'S', b'U', rest @ ..]
        | [b'S', b'T', b'C', rest @ ..] => digits(rest, 5),
        [b'J' | b'T' | b'S', rest @ ..] => digits(rest, 7),
        _ => false,
    }
}

/// `VV.MM`: a member's version and modification level.
fn is_version(tok: &[u8]) -> bool {
    tok.len() == 5
        && tok[2] == b'.'
        && small_number(&tok[..2], 2, 2).is_some()
        && small_number(&tok[3..], 2, 2).is_some()
}

fn is_hex6(tok: &[u8]) -> bool {
    tok.len() == 6 && tok.iter().all(u8::is_ascii_hexdigit)
}

/// `NNNN/NN/NN`, whether or not the date exists.
fn is_date_shape(tok: &[u8]) -> bool {
    tok.len() == 10
        && tok[4] == b'/'
        && tok[7] == b'/'
        && tok
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit())
}

fn is_date(tok: &[u8]) -> bool {
    ymd(tok).is_some()
}

/// `YYYY/MM/DD`, checked.
fn ymd(tok: &[u8]) -> Option<(i32, u8, u8)> {
    let mut parts = tok.split(|&b| b == b'/');
    let year = small_number(parts.next()?, 4, 4)? as i32;
    let month = small_number(parts.next()?, 2, 2)? as u8;
    let day = small_number(parts.next()?, 2, 2)? as u8;
    if parts.next().is_some() {
        return None;
    }
    Timestamp::new(year, month, day, 0, 0, 0).map(|_| (year, month, day))
}

fn unquote(tok: &[u8]) -> &[u8] {
    tok.strip_prefix(b"'")
        .and_then(|t| t.strip_suffix(b"'"))
        .unwrap_or(tok)
}

fn line_has(line: &[u8], needle: &[u8]) -> bool {
    line.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::{ListConfig, ListParser};
    use super::*;

    fn feed_all(lines: &[&str]) -> Vec<Entry> {
        let mut p = ListParser::new(ListConfig::new(
            Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap(),
        ));
        let mut out = Vec::new();
        for line in lines {
            if let Some(e) = p.feed(line.as_bytes()).unwrap() {
                out.push(e);
            }
        }
        out
    }

    #[test]
    fn data_sets() {
        let e = feed_all(&[
            "Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname",
            "WORK01 3390   2019/01/05  1   15  FB      80  3120  PS  USER.REPORT.DATA",
            "WORK02 3390   2019/01/07  2   45  FB      80 27920  PO  USER.SOURCE",
            "WORK03 3390   2020/02/29  1+++++  VB   32756 32760  PO-E  USER.LIBRARY",
            "Migrated                                                USER.OLD.DATA",
            "ARCIVE Not Direct Access Device                         USER.ON.TAPE",
        ]);
        assert_eq!(e.len(), 5);
        assert!(e[0].is_file());
        assert_eq!(e[0].name(), "USER.REPORT.DATA");
        assert_eq!(e[0].size(), None);
        assert_eq!(e[0].modified(), None);
        assert_eq!(e[0].fact("mvs.referred"), Some("2019/01/05"));
        assert_eq!(e[0].fact("mvs.recfm"), Some("FB"));
        assert_eq!(e[0].fact("mvs.lrecl"), Some("80"));
        assert_eq!(e[0].format(), ListFormat::Mvs);
        assert!(e[1].is_dir());
        assert!(e[2].is_dir());
        assert_eq!(e[2].name(), "USER.LIBRARY");
        assert_eq!(e[3].name(), "USER.OLD.DATA");
        assert_eq!(e[3].fact("mvs.volume"), Some("Migrated"));
        assert_eq!(e[4].name(), "USER.ON.TAPE");
    }

    #[test]
    fn members_and_load_modules() {
        let e = feed_all(&[
            " Name     VV.MM   Created       Changed      Size  Init   Mod   Id",
            "PAYROLL   01.03 2018/12/01 2019/01/05 12:00    42    40     0 USER1",
            "NOSTATS",
        ]);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name(), "PAYROLL");
        assert_eq!(e[0].modified().unwrap().to_string(), "2019-01-05T12:00:00Z");
        assert_eq!(e[0].size(), None);
        assert_eq!(e[0].fact("mvs.records"), Some("42"));
        assert_eq!(e[0].fact("mvs.user"), Some("USER1"));
        assert_eq!(e[1].name(), "NOSTATS");
        let e = feed_all(&[
            " Name      Size     TTR   Alias-of AC --------- Attributes --------- Amode Rmode",
            "LOADMOD   000A20   00001F          00 FO             RN RU            31    ANY",
            "ALIAS1    000A20   00001F LOADMOD  00 FO             RN RU            31    ANY",
        ]);
        assert_eq!(e[0].size(), Some(0xA20));
        assert_eq!(e[0].fact("mvs.alias_of"), None);
        assert_eq!(e[1].fact("mvs.alias_of"), Some("LOADMOD"));
        // Without the header, a member line is still recognised by its shape.
        let e =
            feed_all(&["REPORT2   01.00 2019/01/05 2019/01/06 08:15:30    7     7     0 USER2"]);
        assert_eq!(e[0].modified().unwrap().to_string(), "2019-01-06T08:15:30Z");
    }

    #[test]
    fn jes_jobs() {
        let e = feed_all(&[
            "JOBNAME  JOBID    OWNER    STATUS CLASS",
            "NIGHTLY  JOB01234 USER1    OUTPUT A        RC=0000 3 spool files",
            "BROKEN   JOB01235 USER1    OUTPUT A        ABEND=522 2 spool files",
            "RUNNING  J0012345 USER1    ACTIVE A",
        ]);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].name(), "JOB01234");
        assert_eq!(e[0].fact("mvs.jobname"), Some("NIGHTLY"));
        assert_eq!(e[0].fact("mvs.status"), Some("OUTPUT"));
        assert_eq!(e[0].fact("mvs.completion"), Some("RC=0000"));
        assert_eq!(e[0].fact("mvs.spool_files"), Some("3"));
        assert_eq!(e[1].fact("mvs.completion"), Some("ABEND=522"));
        assert_eq!(e[2].name(), "J0012345");
        let old = feed_all(&["USER1A   JOB00042  OUTPUT    4 Spool Files"]);
        assert_eq!(old[0].name(), "JOB00042");
        assert_eq!(old[0].fact("mvs.status"), Some("OUTPUT"));
        assert_eq!(old[0].fact("mvs.spool_files"), Some("4"));
    }

    #[test]
    fn bad_zos_lines_name_zos() {
        let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
        // Without a header too: the line has the shape of a data set line.
        let err =
            super::super::parse_list_line(b"WORK01 3390 2019/02/30 1 15 FB 80 3120 PS X.Y", now)
                .unwrap_err();
        assert!(err.contains("z/OS LIST line"), "{err}");
        let mut p = ListParser::new(ListConfig::new(now));
        assert_eq!(
            p.feed(b"Volume Unit    Referred Ext Used Recfm Lrecl BlkSz Dsorg Dsname"),
            Ok(None)
        );
        let err = p
            .feed(b"WORK01 3390   2019/02/30  1   15  FB  80  3120  PS  X.Y")
            .unwrap_err();
        assert!(err.contains("z/OS LIST line"), "{err}");
    }
}
