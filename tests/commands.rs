//! Session and file/directory commands against all four real servers, Pure-FTPd's multi-line
//! banner and relative MKD replies included.

mod common;

use std::time::Duration;

use common::{Kind, Mode, Server, PASSWORD, USER};
use ftpc::{Client, Error, Options, Timestamp};

fn session_basics(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp = Client::connect_with("127.0.0.1", server.port, server.options(Mode::Epsv))
        .expect("connect");
    assert_eq!(ftp.welcome().code(), 220);
    match kind.banner() {
        Some(banner) => assert_eq!(ftp.welcome().text(), banner),
        None => {
            // Pure-FTPd: a five-line 220- banner, every line kept (the middle lines as sent,
            // with their `220-`).
            let welcome = ftp.welcome();
            assert_eq!(welcome.lines().len(), 5, "{welcome:?}");
            let text = welcome.text();
            assert_eq!(text.lines().count(), 5, "{text:?}");
            assert!(
                text.starts_with("--------- Welcome to Pure-FTPd"),
                "{text:?}"
            );
            for part in [
                "You are user number ",
                &format!("Server port: {}.", server.port),
                "This is a private system - No anonymous login",
            ] {
                assert!(text.contains(part), "{part:?} in {text:?}");
            }
            assert!(
                text.ends_with("\nYou will be disconnected after 15 minutes of inactivity."),
                "{text:?}"
            );
        }
    }
    let reply = server.check(ftp.login(USER, PASSWORD), "login");
    assert_eq!(reply.code(), 230);

    // FEAT was read at login; every server lists UTF8, so OPTS UTF8 ON was sent (Pure-FTPd
    // answers it with 504, which does not fail the login).
    let features = ftp.features().expect("FEAT").clone();
    assert!(features.has("UTF8"), "{features:?}");
    assert!(features.has("SIZE") && features.has("MDTM") && features.has("EPSV"));
    assert_eq!(features.has("MLST"), kind.has_mlsd(), "{features:?}");

    assert!(ftp.syst().expect("SYST").contains("UNIX"));
    assert_eq!(ftp.noop().expect("NOOP").code(), 200);
    let stat = ftp.stat(None).expect("STAT");
    assert_eq!(stat.code(), 211);
    // A multi-line status, except from Pure-FTPd (`211 https://www.pureftpd.org/`).
    assert_eq!(
        stat.lines().len() > 1,
        kind != Kind::PureFtpd,
        "STAT: {stat:?}"
    );

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

    // MKD returns the created path as the server reports it: absolute, or relative to the
    // current directory from Pure-FTPd (`257 "dir one" : The directory was successfully
    // created`). Names with spaces survive (and quotes, at the end).
    let absolute = |path: &str| match kind {
        Kind::PureFtpd => path.rsplit('/').next().unwrap().to_string(),
        _ => path.to_string(),
    };
    let made = server.check(ftp.mkd("dir one"), "MKD");
    assert_eq!(made, absolute("/dir one"));
    assert!(server.root.join("dir one").is_dir());
    ftp.cwd("dir one").expect("CWD");
    assert_eq!(ftp.pwd().unwrap(), "/dir one");
    let nested = server.check(ftp.mkd("nested"), "MKD in a subdirectory");
    assert_eq!(nested, absolute("/dir one/nested"));
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

    // MFMT where the server has it (all but vsftpd, which refuses it with 500; Pure-FTPd
    // answers `213 UTIME OK`).
    server.put_file("stamp.txt", b"x");
    let when = Timestamp::new(2021, 3, 4, 5, 6, 7).unwrap();
    match kind {
        Kind::Vsftpd => {
            let err = ftp.mfmt("stamp.txt", when).unwrap_err();
            assert!(matches!(err, Error::Permanent { .. }), "{err}");
        }
        _ => {
            server.check(ftp.mfmt("stamp.txt", when), "MFMT");
            assert_eq!(ftp.mdtm("stamp.txt").unwrap(), when);
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

    // A name with quotes, which RFC 959 has the server double inside the quoted path;
    // Pure-FTPd does not (`257 "say "hi"" : The directory was successfully created`), and
    // the name must survive that too.
    let quoted = server.check(ftp.mkd("say \"hi\""), "MKD with quotes");
    assert!(server.root.join("say \"hi\"").is_dir());
    assert_eq!(quoted, absolute("/say \"hi\""));
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
    let reply = server.check(ftp.login(USER, PASSWORD), "login after refusals");
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

macro_rules! per_server {
    ($($name:ident: $kind:ident;)*) => {
        $(mod $name {
            use super::*;

            #[test]
            fn session_basics() {
                super::session_basics(Kind::$kind);
            }

            #[test]
            fn directories_and_files() {
                super::directories_and_files(Kind::$kind);
            }

            #[test]
            fn login_failures() {
                super::login_failures(Kind::$kind);
            }
        })*
    };
}

per_server! {
    pyftpdlib: Pyftpdlib;
    vsftpd: Vsftpd;
    proftpd: Proftpd;
    pureftpd: PureFtpd;
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
