//! MLSD/MLST lines: `fact=value;fact=value; name` (RFC 3659 section 7).
//!
//! How lenient this is, decided once: strict about the line's shape, lenient about fact
//! values, because one server's odd fact must not cost the entry.
//! - Rejected: a line with no space before the name, an empty name, a fact with no `=`.
//! - Accepted: facts with no `;` before the space (`type=dir;unix.mode=0755 sub`), fact
//!   names in any case, a missing last `;`.
//! - A fact whose value does not parse (`modify=2024`, `size=-1`, `unix.mode=9`) is kept as
//!   the server sent it ([`Entry::fact`]) and the typed accessor ([`Entry::modified`],
//!   [`Entry::size`], [`Entry::unix_mode`]) returns `None`: nothing is guessed, nothing is
//!   lost.

use super::{parse_u64, trim_line_end, Entry, EntryKind, ListFormat};
use crate::protocol::{Reply, Timestamp};

/// Parses one MLSD line. The facts end at the first space; everything after it is the name,
/// so names with spaces and `;` survive. A missing trailing `;` is tolerated and fact names
/// compare case-insensitively.
pub fn parse_mlsd_line(line: &[u8]) -> Result<Entry, String> {
    let line = trim_line_end(line);
    let space = line.iter().position(|&b| b == b' ').ok_or_else(|| {
        format!(
            "MLSD line without a space before the name: {:?}",
            lossy(line)
        )
    })?;
    let (facts_part, name) = (&line[..space], &line[space + 1..]);
    if name.is_empty() {
        return Err(format!("MLSD line with an empty name: {:?}", lossy(line)));
    }
    let mut entry = Entry::new(
        name.to_vec(),
        EntryKind::Other(String::new()),
        line,
        ListFormat::Mlsd,
    );
    let mut kind = None;
    for fact in facts_part.split(|&b| b == b';') {
        if fact.is_empty() {
            continue;
        }
        let fact = String::from_utf8_lossy(fact);
        let (key, value) = fact
            .split_once('=')
            .ok_or_else(|| format!("MLSD fact {fact:?} has no '='"))?;
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "type" => kind = Some(kind_of(value, &mut entry)),
            // `sizd` (a directory's size) only where no `size` is given.
            "size" | "sizd" if key == "size" || entry.size.is_none() => {
                entry.size = parse_u64(value.as_bytes());
            }
            "modify" => entry.modified = Timestamp::parse_mdtm(value),
            _ => {}
        }
        entry.facts.push(&key, value);
    }
    entry.kind = kind.unwrap_or(EntryKind::Other(String::new()));
    Ok(entry.shrink())
}

fn kind_of(value: &str, entry: &mut Entry) -> EntryKind {
    let lower = value.to_ascii_lowercase();
    match lower.as_str() {
        "file" => EntryKind::File,
        "dir" => EntryKind::Dir,
        "cdir" => EntryKind::CurrentDir,
        "pdir" => EntryKind::ParentDir,
        // Not in RFC 3659, but what servers send for symbolic links.
        "link" | "symlink" | "os.unix=symlink" | "os.unix=link" | "os.unix=slink" => {
            EntryKind::Link
        }
        _ if lower.starts_with("os.unix=slink:") => {
            let target = &value["os.unix=slink:".len()..];
            if !target.is_empty() {
                entry.link_target = Some(target.to_string());
            }
            EntryKind::Link
        }
        _ => EntryKind::Other(value.to_string()),
    }
}

/// Parses a 250 MLST reply: the entry is on the line that starts with a space between the
/// first and the last line (RFC 3659 section 7.2).
pub fn parse_mlst_reply(reply: &Reply) -> Result<Entry, String> {
    let lines = reply.lines();
    let line = lines
        .iter()
        .skip(1)
        .take(lines.len().saturating_sub(2))
        .find_map(|l| l.strip_prefix(' '))
        .or_else(|| {
            // Some servers omit the leading space on the fact line.
            lines
                .iter()
                .skip(1)
                .take(lines.len().saturating_sub(2))
                .find(|l| l.contains('='))
                .map(String::as_str)
        })
        .ok_or_else(|| format!("MLST reply without a fact line: {reply}"))?;
    parse_mlsd_line(line.as_bytes())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_line() {
        let e = parse_mlsd_line(
            b"type=file;size=1024;modify=20240131123456;perm=adfrw;unique=802U1; report.pdf\r\n",
        )
        .unwrap();
        assert_eq!(e.name(), "report.pdf");
        assert_eq!(e.kind(), &EntryKind::File);
        assert_eq!(e.size(), Some(1024));
        assert_eq!(e.modified().unwrap().to_mdtm(), "20240131123456");
        assert_eq!(e.perm(), Some("adfrw"));
        assert_eq!(e.unique(), Some("802U1"));
        assert_eq!(e.fact("PERM"), Some("adfrw"));
    }

    #[test]
    fn names_with_spaces_and_semicolons() {
        let e = parse_mlsd_line(b"type=file;size=1; my file; v2;.txt").unwrap();
        assert_eq!(e.name(), "my file; v2;.txt");
        let e = parse_mlsd_line(b"type=dir;  leading space").unwrap();
        assert_eq!(e.name(), " leading space");
        assert!(e.is_dir());
    }

    #[test]
    fn case_insensitive_facts_and_missing_semicolon() {
        let e = parse_mlsd_line(b"Type=DIR;Modify=20200101000000;UNIX.mode=0755 sub").unwrap();
        assert!(e.is_dir());
        assert_eq!(e.unix_mode(), Some(0o755));
        assert_eq!(e.fact("unix.MODE"), Some("0755"));
        assert_eq!(e.name(), "sub");
        // pyftpdlib writes Python's octal literal.
        let e = parse_mlsd_line(b"type=file;unix.mode=0o644; f").unwrap();
        assert_eq!(e.unix_mode(), Some(0o644));
    }

    #[test]
    fn cdir_pdir_and_links() {
        assert_eq!(
            parse_mlsd_line(b"type=cdir; /x").unwrap().kind(),
            &EntryKind::CurrentDir
        );
        assert!(parse_mlsd_line(b"type=pdir; ..")
            .unwrap()
            .is_self_or_parent());
        let l = parse_mlsd_line(b"type=OS.unix=slink:/etc/target; link").unwrap();
        assert_eq!(l.kind(), &EntryKind::Link);
        assert_eq!(l.link_target(), Some("/etc/target"));
        let o = parse_mlsd_line(b"type=OS.unix=blk; sda").unwrap();
        assert_eq!(o.kind(), &EntryKind::Other("OS.unix=blk".into()));
    }

    #[test]
    fn no_facts_and_bad_lines() {
        let e = parse_mlsd_line(b" bare name").unwrap();
        assert_eq!(e.name(), "bare name");
        assert_eq!(e.facts().len(), 0);
        assert!(parse_mlsd_line(b"type=file;size=1;").is_err());
        assert!(parse_mlsd_line(b"type=file;size=1; ").is_err());
        assert!(parse_mlsd_line(b"typefile; x").is_err());
    }

    #[test]
    fn undecodable_name_is_kept_as_bytes() {
        let e = parse_mlsd_line(b"type=file; caf\xe9").unwrap();
        assert_eq!(e.name_bytes(), b"caf\xe9");
        assert_eq!(e.name(), "caf\u{fffd}");
    }

    #[test]
    fn mlst_reply() {
        let r = Reply::new(
            250,
            vec![
                "250-Listing a.txt".into(),
                " type=file;size=5;modify=20240101000000; /home/a.txt".into(),
                "250 End.".into(),
            ],
        );
        let e = parse_mlst_reply(&r).unwrap();
        assert_eq!(e.name(), "/home/a.txt");
        assert_eq!(e.size(), Some(5));
        assert!(parse_mlst_reply(&Reply::new(250, vec!["250 nothing".into()])).is_err());
    }

    #[test]
    fn every_link_spelling_is_a_link() {
        let l = parse_mlsd_line(b"type=OS.unix=slink:/srv/data/current; current").unwrap();
        assert_eq!(l.kind(), &EntryKind::Link);
        assert_eq!(l.link_target(), Some("/srv/data/current"));
        for line in [
            &b"type=link; l1"[..],
            b"Type=LINK;size=9; l2",
            b"type=OS.UNIX=symlink; l3",
            b"type=OS.unix=slink; l4",
            b"type=OS.unix=slink:; l5",
        ] {
            let e = parse_mlsd_line(line).unwrap();
            assert_eq!(
                e.kind(),
                &EntryKind::Link,
                "{}",
                String::from_utf8_lossy(line)
            );
            assert_eq!(e.link_target(), None);
            assert_eq!(e.format(), ListFormat::Mlsd);
        }
        let c = parse_mlsd_line(b"Type=OS.unix=chr-13/29; device").unwrap();
        assert_eq!(c.kind(), &EntryKind::Other("OS.unix=chr-13/29".into()));
    }

    #[test]
    fn leniency_as_documented() {
        // Bad values: the fact is kept, the typed accessor gives None.
        let e = parse_mlsd_line(b"type=file;size=-1;modify=2024;unix.mode=9; f").unwrap();
        assert_eq!((e.size(), e.modified(), e.unix_mode()), (None, None, None));
        assert_eq!(e.fact("size"), Some("-1"));
        assert_eq!(e.fact("modify"), Some("2024"));
        // unix.mode: one to four digits as they are; five or six (st_mode) masked.
        for (mode, want) in [
            ("00", Some(0)),
            ("644", Some(0o644)),
            ("0755", Some(0o755)),
            ("100644", Some(0o644)),
            ("1234567", None),
            ("0o600", Some(0o600)),
            ("", None),
        ] {
            let line = format!("type=file;unix.mode={mode}; f");
            assert_eq!(
                parse_mlsd_line(line.as_bytes()).unwrap().unix_mode(),
                want,
                "{mode}"
            );
        }
        // No `;` before the space: accepted.
        let e = parse_mlsd_line(b"type=dir;perm=el sub").unwrap();
        assert_eq!((e.name(), e.perm()), ("sub", Some("el")));
        // The line's shape: rejected.
        assert!(parse_mlsd_line(b"type=file;size=1;name").is_err());
        assert!(parse_mlsd_line(b"type=file;oops; name").is_err());
    }
}
