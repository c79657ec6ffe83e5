//! Listings against all four real servers: MLSD and MLST (all but vsftpd), parsed LIST (all; the
//! only structured listing vsftpd offers), NLST, names with spaces, `;`, unicode and bytes that
//! are not UTF-8, and listings stopped early. Pure-FTPd (run with -D, dot files shown) lists `.`
//! and `..` in LIST and NLST too.

mod common;

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;

use common::{Kind, Mode, Server};
use ftpc::{Entry, EntryKind, Error, Flow};

const NAMES: [&str; 5] = [
    "plain.txt",
    "with space.bin",
    "semi;colon; name.txt",
    "ünïcødé-ファイル.txt",
    "x",
];

fn populate(server: &Server) {
    for (i, name) in NAMES.iter().enumerate() {
        server.put_file(name, &common::pattern(i * 1000 + 3, i as u64));
    }
    server.put_file("sub dir/inner.txt", b"inner");
}

fn by_name(entries: Vec<Entry>) -> BTreeMap<String, Entry> {
    entries
        .into_iter()
        .filter(|e| !e.is_self_or_parent())
        .map(|e| (e.name().to_string(), e))
        .collect()
}

fn check_entries(entries: &BTreeMap<String, Entry>) {
    for (i, name) in NAMES.iter().enumerate() {
        let e = entries
            .get(*name)
            .unwrap_or_else(|| panic!("{name} missing from {:?}", entries.keys()));
        assert!(e.is_file(), "{name}: {e:?}");
        assert_eq!(e.size(), Some((i * 1000 + 3) as u64), "{name}");
        let modified = e.modified().expect("modification time");
        let now = ftpc::Timestamp::from_system_time(std::time::SystemTime::now());
        assert!(
            (now.unix_seconds() - modified.unix_seconds()).abs() < 3 * 86_400,
            "{name}: {modified}"
        );
    }
    let dir = entries.get("sub dir").expect("sub dir listed");
    assert_eq!(dir.kind(), &EntryKind::Dir);
    assert_eq!(entries.len(), NAMES.len() + 1, "{:?}", entries.keys());
}

fn parsed_list(kind: Kind, mode: Mode) {
    let server = Server::start(kind);
    populate(&server);
    let mut ftp = server.client(mode);
    let entries: Vec<Entry> = ftp
        .list_entries(None)
        .expect("LIST")
        .collect::<Result<_, _>>()
        .expect("every LIST line parses");
    let entries = by_name(entries);
    check_entries(&entries);
    let plain = &entries["plain.txt"];
    assert_eq!(plain.unix_mode(), Some(0o666));
    assert!(plain.raw().ends_with(" plain.txt"), "{}", plain.raw());

    // The raw lines and NLST agree with it.
    let dots: &[&str] = if kind == Kind::PureFtpd {
        &[".", ".."]
    } else {
        &[]
    };
    let raw = ftp.list(None).expect("LIST raw");
    assert_eq!(raw.len(), NAMES.len() + 1 + dots.len(), "{raw:?}");
    let mut names = ftp.nlst(None).expect("NLST");
    names.sort();
    let mut want: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    want.push("sub dir".into());
    want.extend(dots.iter().map(|s| s.to_string()));
    want.sort();
    assert_eq!(names, want);
    // A listing stopped by its callback leaves the session usable.
    let err = ftp
        .list_lines(None, &mut |_| Flow::Stop)
        .expect_err("stopped");
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert_eq!(ftp.pwd().unwrap(), "/");

    // LIST of a directory whose name has a space. Pure-FTPd splits LIST's argument at spaces
    // as `ls` would (`LIST sub dir` gets `226 0 matches total`; `LIST sub\ dir` works).
    let mut lines = Vec::new();
    ftp.list_lines(Some(b"sub dir"), &mut |line| {
        lines.push(String::from_utf8_lossy(line).into_owned());
        Flow::Continue
    })
    .unwrap();
    assert_eq!(lines.len(), 1 + dots.len(), "{lines:?}");
    assert_eq!(
        lines.iter().filter(|l| l.ends_with(" inner.txt")).count(),
        1,
        "{lines:?}"
    );
}

#[test]
fn parsed_list_pyftpdlib_epsv() {
    parsed_list(Kind::Pyftpdlib, Mode::Epsv);
}

#[test]
fn parsed_list_pyftpdlib_port() {
    parsed_list(Kind::Pyftpdlib, Mode::Port);
}

#[test]
fn parsed_list_vsftpd_pasv() {
    parsed_list(Kind::Vsftpd, Mode::Pasv);
}

#[test]
fn parsed_list_vsftpd_eprt() {
    parsed_list(Kind::Vsftpd, Mode::Eprt);
}

#[test]
fn parsed_list_proftpd_epsv() {
    parsed_list(Kind::Proftpd, Mode::Epsv);
}

#[test]
fn parsed_list_proftpd_port() {
    parsed_list(Kind::Proftpd, Mode::Port);
}

#[test]
fn parsed_list_pureftpd_pasv() {
    parsed_list(Kind::PureFtpd, Mode::Pasv);
}

#[test]
fn parsed_list_pureftpd_eprt() {
    parsed_list(Kind::PureFtpd, Mode::Eprt);
}

fn mlsd_and_mlst(kind: Kind) {
    let server = Server::start(kind);
    populate(&server);
    let mut ftp = server.client(Mode::Epsv);
    // Ask for more facts than the default set, to see any fact by name (Pure-FTPd has no
    // perm fact).
    ftp.voidcmd("OPTS MLST type;size;modify;perm;unique;unix.mode;")
        .expect("OPTS MLST");
    let entries: Vec<Entry> = ftp
        .mlsd(None)
        .expect("MLSD")
        .collect::<Result<_, _>>()
        .expect("every MLSD line parses");
    let entries = by_name(entries);
    check_entries(&entries);
    let e = &entries["semi;colon; name.txt"];
    if kind == Kind::PureFtpd {
        assert_eq!(e.perm(), None, "{e:?}");
    } else {
        assert!(e.perm().is_some_and(|p| p.contains('r')), "{e:?}");
    }
    assert!(e.unique().is_some(), "{e:?}");
    assert_eq!(e.unix_mode(), Some(0o666));
    // pyftpdlib sends Python's octal literal, the others C's; the fact keeps it as sent.
    let mode = if kind == Kind::Pyftpdlib {
        "0o666"
    } else {
        "0666"
    };
    assert_eq!(e.fact("UNIX.MODE"), Some(mode));

    // MLSD of a subdirectory, by path.
    let inner: Vec<Entry> = ftp
        .mlsd(Some(b"sub dir"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let inner = by_name(inner);
    assert_eq!(inner.keys().collect::<Vec<_>>(), ["inner.txt"]);

    // MLST of one file.
    let e = ftp.mlst(Some("with space.bin".as_bytes())).expect("MLST");
    assert_eq!(e.size(), Some(1003));
    assert!(e.is_file());
    assert!(e.name().ends_with("with space.bin"), "{}", e.name());
    let err = ftp.mlst(Some(b"missing")).unwrap_err();
    assert_eq!(err.reply_code(), 550);
}

#[test]
fn mlsd_and_mlst_pyftpdlib() {
    mlsd_and_mlst(Kind::Pyftpdlib);
}

#[test]
fn mlsd_and_mlst_proftpd() {
    mlsd_and_mlst(Kind::Proftpd);
}

#[test]
fn mlsd_and_mlst_pureftpd() {
    mlsd_and_mlst(Kind::PureFtpd);
}

fn mlsd_streams_and_stops_early(kind: Kind) {
    let server = Server::start(kind);
    for i in 0..3000 {
        server.put_file(&format!("file-{i:05}.dat"), b"");
    }
    let mut ftp = server.client(Mode::Epsv);
    {
        let mut listing = ftp.mlsd(None).unwrap();
        let first = listing.next().unwrap().unwrap();
        assert!(first.name().starts_with("file-") || first.is_self_or_parent());
        // Dropped here after one entry: the listing is aborted.
    }
    assert_eq!(ftp.pwd().unwrap(), "/");
    let mut listing = ftp.mlsd(None).unwrap();
    let mut n = 0;
    while let Some(entry) = listing.next_entry().unwrap() {
        if !entry.is_self_or_parent() {
            n += 1;
        }
        if n == 10 {
            break;
        }
    }
    listing.abort().expect("ABOR");
    assert_eq!(ftp.noop().unwrap().code(), 200);
    let all = ftp.mlsd(None).unwrap().filter(|e| e.is_ok()).count();
    assert!(all >= 3000, "{all}");
}

#[test]
fn mlsd_streams_and_stops_early_pyftpdlib() {
    mlsd_streams_and_stops_early(Kind::Pyftpdlib);
}

#[test]
fn mlsd_streams_and_stops_early_proftpd() {
    mlsd_streams_and_stops_early(Kind::Proftpd);
}

#[test]
fn mlsd_streams_and_stops_early_pureftpd() {
    mlsd_streams_and_stops_early(Kind::PureFtpd);
}

#[test]
fn mlsd_refused_by_vsftpd() {
    let server = Server::start(Kind::Vsftpd);
    let mut ftp = server.client(Mode::Epsv);
    let err = ftp.mlsd(None).err().expect("vsftpd has no MLSD");
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert_eq!(err.reply_code(), 500);
    assert_eq!(ftp.pwd().unwrap(), "/");
}

#[test]
fn undecodable_names_vsftpd() {
    let server = Server::start(Kind::Vsftpd);
    let raw_name: &[u8] = b"caf\xe9-latin1.txt";
    let path = server.root.join(std::ffi::OsStr::from_bytes(raw_name));
    std::fs::write(&path, b"latin").unwrap();
    server.put_file("fine.txt", b"ok");
    let mut ftp = server.client(Mode::Epsv);
    let entries: Vec<Entry> = ftp
        .list_entries(None)
        .unwrap()
        .collect::<Result<_, _>>()
        .expect("one undecodable name does not fail the listing");
    let odd = entries
        .iter()
        .find(|e| e.name_bytes() == raw_name)
        .expect("raw name kept");
    assert_eq!(odd.name(), "caf\u{fffd}-latin1.txt");
    // The raw bytes can be sent back as a path.
    let mut data = Vec::new();
    ftp.retr(odd.name_bytes(), &mut data).unwrap();
    assert_eq!(data, b"latin");
}
