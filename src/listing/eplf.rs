//! EPLF, D. J. Bernstein's Easily Parsed LIST Format (publicfile, anonftpd):
//! `+` then comma-separated facts, a tab, the name: `+i8388621.29609,m824255902,/,\tpub`.
//! `/`: a directory; `r`: a file to RETR; `s`: the size; `m`: the modification time in
//! seconds since 1970 UTC; `i`: an identifier (kept as `unique`); `up`: the permission bits
//! in octal (kept as `unix.mode`). Unknown facts are ignored, as the format asks.

use super::{lossy, parse_u64, Entry, EntryKind, ListFormat};
use crate::protocol::Timestamp;

pub(super) fn looks_like(line: &[u8]) -> bool {
    line.first() == Some(&b'+') && line.contains(&b'\t')
}

pub(super) fn parse(line: &[u8]) -> Result<Entry, String> {
    let bad = |why: &str| format!("{why} in EPLF LIST line {:?}", lossy(line));
    let body = line
        .strip_prefix(b"+")
        .ok_or_else(|| bad("no leading '+'"))?;
    let tab = body
        .iter()
        .position(|&b| b == b'\t')
        .ok_or_else(|| bad("no tab"))?;
    let (facts, name) = (&body[..tab], &body[tab + 1..]);
    if name.is_empty() {
        return Err(bad("no name"));
    }
    let (mut dir, mut file) = (false, false);
    let (mut size, mut modified, mut unique, mut mode) = (None, None, None, None);
    for fact in facts.split(|&b| b == b',') {
        match fact {
            b"/" => dir = true,
            b"r" => file = true,
            [b's', digits @ ..] => size = Some(parse_u64(digits).ok_or_else(|| bad("bad size"))?),
            [b'm', digits @ ..] => {
                let secs = parse_u64(digits)
                    .filter(|&s| s < 253_402_300_800) // before year 10000
                    .ok_or_else(|| bad("bad time"))?;
                modified = Some(Timestamp::from_unix_seconds(secs as i64));
            }
            [b'i', id @ ..] if !id.is_empty() => unique = Some(lossy(id)),
            [b'u', b'p', octal @ ..]
                if !octal.is_empty()
                    && octal.iter().all(|b| (b'0'..=b'7').contains(b))
                    && octal.len() <= 6 =>
            {
                mode = Some(lossy(octal))
            }
            _ => {}
        }
    }
    let kind = match (dir, file) {
        (true, _) => EntryKind::Dir,
        (false, true) => EntryKind::File,
        (false, false) => EntryKind::Other(String::new()),
    };
    let mut entry = Entry::new(name.to_vec(), kind, line, ListFormat::Eplf);
    entry.size = size;
    entry.modified = modified;
    entry.time_is_utc = true;
    if let Some(unique) = unique {
        entry.facts.push("unique", &unique);
    }
    if let Some(mode) = mode {
        entry.facts.push("unix.mode", &mode);
    }
    Ok(entry.shrink())
}

#[cfg(test)]
mod tests {
    use super::super::{parse_list_line_with, ListConfig};
    use super::*;

    #[test]
    fn eplf_lines() {
        let mut config = ListConfig::new(Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap());
        // EPLF times are UTC already: the server's offset does not apply.
        config.utc_offset_minutes = 120;
        let f = parse_list_line_with(
            b"+i8388621.48594,m825718503,r,s280,up644,\treadme.txt",
            &config,
        )
        .unwrap()
        .unwrap();
        assert!(f.is_file());
        assert_eq!(f.name(), "readme.txt");
        assert_eq!(f.size(), Some(280));
        assert_eq!(f.modified().unwrap().unix_seconds(), 825_718_503);
        assert_eq!(f.unique(), Some("8388621.48594"));
        assert_eq!(f.unix_mode(), Some(0o644));
        assert_eq!(f.format(), ListFormat::Eplf);
        let d = parse_list_line_with(b"+i8388621.50690,m824255907,/,\tpub lic", &config)
            .unwrap()
            .unwrap();
        assert!(d.is_dir());
        assert_eq!(d.name(), "pub lic");
        for bad in ["+r,s1,\t", "+s12x,r,\tname", "+m99999999999999,r,\tname"] {
            let err = parse_list_line_with(bad.as_bytes(), &config).unwrap_err();
            assert!(err.contains("EPLF LIST line"), "{bad}: {err}");
        }
    }
}
