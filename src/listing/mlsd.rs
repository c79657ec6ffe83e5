//! MLSD/MLST lines: `fact=value;fact=value; name` (RFC 3659 section 7).

use super::{parse_u64, trim_line_end, Entry, EntryKind};
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
    let mut entry = Entry::new(name.to_vec(), EntryKind::Other(String::new()), line);
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
        "os.unix=symlink" => EntryKind::Link,
        _ if lower.starts_with("os.unix=slink") => {
            if let Some((_, target)) = value.split_once(':') {
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
}
