//! Session and file/directory commands against both real servers.

mod common;

use std::time::Duration;

use common::{Kind, Mode, Server, PASSWORD, USER};
use ftpc::{Client, Error, Options, Timestamp};

fn session_basics(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp = Client::connect_with("127.0.0.1", server.port, server.options(Mode::Epsv))
        .expect("connect");
    assert_eq!(ftp.welcome().code(), 220);
    let banner = match kind {
        Kind::Pyftpdlib => "ftpc test server (pyftpdlib) ready",
        Kind::Vsftpd => "ftpc test server (vsftpd) ready",
    };
    assert_eq!(ftp.welcome().text(), banner);
    let reply = ftp.login(USER, PASSWORD).expect("login");
    assert_eq!(reply.code(), 230);

    // FEAT was read at login; both servers list UTF8, so OPTS UTF8 ON was sent.
    let features = ftp.features().expect("FEAT").clone();
    assert!(features.has("UTF8"), "{features:?}");
    assert!(features.has("SIZE") && features.has("MDTM") && features.has("EPSV"));
    assert_eq!(features.has("MLST"), kind == Kind::Pyftpdlib);

    assert!(ftp.syst().expect("SYST").contains("UNIX"));
    assert_eq!(ftp.noop().expect("NOOP").code(), 200);
    let stat = ftp.stat(None).expect("STAT");
    assert_eq!(stat.code(), 211);
    assert!(stat.lines().len() > 1, "multi-line STAT: {stat:?}");

    // sendcmd returns any reply; voidcmd insists on 2xx.
    let reply = ftp.sendcmd("XYZZY").expect("sendcmd");
    assert_eq!(reply.code() / 100, 5);
    let err = ftp.voidcmd("XYZZY").unwrap_err();
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert_eq!(err.reply_code() / 100, 5);
    assert_eq!(ftp.voidcmd("NOOP").expect("voidcmd NOOP").code(), 200);
    // The control connection is still in step after the errors.
    assert_eq!(ftp.pwd().expect("PWD"), "/");
    assert_eq!(ftp.quit().expect("QUIT").code(), 221);
}

fn directories_and_files(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp = server.client(Mode::Epsv);
    assert_eq!(ftp.pwd().unwrap(), "/");

    // MKD returns the created path; names with spaces and quotes survive.
    let made = ftp.mkd("dir one").expect("MKD");
    assert_eq!(made, "/dir one");
    let quoted = ftp.mkd("say \"hi\"").expect("MKD with quotes");
    assert_eq!(quoted, "/say \"hi\"");
    assert!(server.root.join("say \"hi\"").is_dir());
    ftp.cwd("dir one").expect("CWD");
    assert_eq!(ftp.pwd().unwrap(), "/dir one");
    ftp.mkd("nested").unwrap();
    ftp.cwd("nested").unwrap();
    assert_eq!(ftp.pwd().unwrap(), "/dir one/nested");
    ftp.cdup().expect("CDUP");
    assert_eq!(ftp.pwd().unwrap(), "/dir one");
    ftp.rmd("nested").expect("RMD");
    assert!(!server.root.join("dir one/nested").exists());
    ftp.cwd("/").unwrap();

    // Files: SIZE, MDTM, RNFR/RNTO, DELE.
    server.put_file("file.txt", b"0123456789");
    let old = filetime(&server.root.join("file.txt"), 1_600_000_000);
    assert_eq!(ftp.size("file.txt").unwrap(), 10);
    let mtime = ftp.mdtm("file.txt").expect("MDTM");
    assert_eq!(mtime.unix_seconds(), old);
    ftp.rename("file.txt", "dir one/renamed.txt")
        .expect("rename");
    assert!(server.root.join("dir one/renamed.txt").exists());
    assert!(!server.root.join("file.txt").exists());
    ftp.delete("dir one/renamed.txt").expect("DELE");
    assert!(!server.root.join("dir one/renamed.txt").exists());
    ftp.rmd("dir one").unwrap();

    // MFMT where the server has it (pyftpdlib); vsftpd refuses it with 500.
    server.put_file("stamp.txt", b"x");
    let when = Timestamp::new(2021, 3, 4, 5, 6, 7).unwrap();
    match kind {
        Kind::Pyftpdlib => {
            ftp.mfmt("stamp.txt", when).expect("MFMT");
            assert_eq!(ftp.mdtm("stamp.txt").unwrap(), when);
        }
        Kind::Vsftpd => {
            let err = ftp.mfmt("stamp.txt", when).unwrap_err();
            assert!(matches!(err, Error::Permanent { .. }), "{err}");
        }
    }

    // Errors keep the whole reply and name the command.
    let err = ftp.size("missing.bin").unwrap_err();
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert_eq!(err.reply_code(), 550);
    assert!(
        err.to_string().starts_with("SIZE missing.bin: 550"),
        "{err}"
    );
    let err = ftp.cwd("no such dir").unwrap_err();
    assert_eq!(err.reply_code(), 550);
    let err = ftp.rename("missing.bin", "x").unwrap_err();
    assert!(
        err.to_string().starts_with("RNFR missing.bin: 550"),
        "{err}"
    );
    let err = ftp.delete("missing.bin").unwrap_err();
    assert_eq!(err.reply_code(), 550);
    assert_eq!(ftp.noop().unwrap().code(), 200);
}

/// Sets a file's modification time and returns it.
fn filetime(path: &std::path::Path, unix: i64) -> i64 {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    let when = std::time::UNIX_EPOCH + Duration::from_secs(unix as u64);
    file.set_modified(when).unwrap();
    unix
}

fn login_failures(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp =
        Client::connect_with("127.0.0.1", server.port, server.options(Mode::Epsv)).unwrap();
    let err = ftp.login(USER, "wrong-secret-password").unwrap_err();
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert_eq!(err.reply_code(), 530);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("wrong-secret-password"), "{shown}");
    assert!(err.to_string().starts_with("PASS ****: 530"), "{err}");

    // CR/LF/NUL never reach the wire: the session is still in step afterwards.
    for bad in ["a\r\nDELE x", "a\nb", "a\0b"] {
        let err = ftp.login(bad, PASSWORD).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        let err = ftp.login(USER, bad).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        assert!(!err.to_string().contains(bad), "{err}");
    }
    let reply = ftp.login(USER, PASSWORD).expect("login after refusals");
    assert_eq!(reply.code(), 230);
    for bad in ["x\r\nDELE y", "x\ny", "x\0y"] {
        assert!(matches!(ftp.cwd(bad), Err(Error::InvalidArgument(_))));
        assert!(matches!(ftp.sendcmd(bad), Err(Error::InvalidArgument(_))));
        assert!(matches!(
            ftp.retr(bad, &mut Vec::new()),
            Err(Error::InvalidArgument(_))
        ));
    }
    assert_eq!(ftp.pwd().unwrap(), "/");
}

#[test]
fn session_basics_pyftpdlib() {
    session_basics(Kind::Pyftpdlib);
}

#[test]
fn session_basics_vsftpd() {
    session_basics(Kind::Vsftpd);
}

#[test]
fn directories_and_files_pyftpdlib() {
    directories_and_files(Kind::Pyftpdlib);
}

#[test]
fn directories_and_files_vsftpd() {
    directories_and_files(Kind::Vsftpd);
}

#[test]
fn login_failures_pyftpdlib() {
    login_failures(Kind::Pyftpdlib);
}

#[test]
fn login_failures_vsftpd() {
    login_failures(Kind::Vsftpd);
}

#[test]
fn ipv6_pyftpdlib() {
    let server = Server::start_with(Kind::Pyftpdlib, common::Tls::None, "::1");
    for mode in [Mode::Epsv, Mode::Eprt] {
        let mut ftp = Client::connect_with("::1", server.port, server.options(mode)).unwrap();
        assert!(ftp.peer_addr().is_ipv6());
        ftp.login(USER, PASSWORD).unwrap();
        let data = common::pattern(100_000, 9);
        ftp.stor("v6.bin", &mut &data[..]).unwrap();
        let mut back = Vec::new();
        ftp.retr("v6.bin", &mut back).unwrap();
        assert_eq!(common::sha256(&back), common::sha256(&data));
        // Brackets are accepted too, as in URLs.
        let ftp2 = Client::connect_with("[::1]", server.port, server.options(mode)).unwrap();
        assert_eq!(ftp2.welcome().code(), 220);
    }
    // PORT cannot carry an IPv6 address: asking for plain PASV on IPv6 still uses EPSV.
    let mut ftp = Client::connect_with("::1", server.port, server.options(Mode::Pasv)).unwrap();
    ftp.login(USER, PASSWORD).unwrap();
    assert_eq!(ftp.nlst(None).unwrap(), vec!["v6.bin".to_string()]);
}

#[test]
fn host_name_connect() {
    let server = Server::start(Kind::Pyftpdlib);
    let mut ftp = Client::connect_with("localhost", server.port, Options::default()).unwrap();
    ftp.login(USER, PASSWORD).unwrap();
    assert_eq!(ftp.pwd().unwrap(), "/");
}
