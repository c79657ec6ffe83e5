//! Integrity: file hashes computed by the server (HASH with OPTS HASH, then the X commands),
//! "the server cannot say", and transfers verified by them, a corrupted file included.

mod common;

use std::io::Write;

use common::scripted::{agent, options, Scripted, Session};
use ftpc::{DownloadOptions, Error, HashAlgorithm, UploadOptions};

/// The digests of `hello`.
const HELLO: [(HashAlgorithm, &str); 4] = [
    (
        HashAlgorithm::Sha256,
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    ),
    (
        HashAlgorithm::Sha1,
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
    ),
    (HashAlgorithm::Md5, "5d41402abc4b2a76b9719d911017c592"),
    (HashAlgorithm::Crc32, "3610a686"),
];

/// Greeting and login, with `feat` as the FEAT lines.
fn login_with_features(s: &mut Session, feat: &str) {
    s.send("220 scripted\r\n");
    s.expect("USER");
    s.send("331 password\r\n");
    s.expect("PASS");
    s.send("230 in\r\n");
    s.expect("FEAT");
    s.send(&format!("211-Features:\r\n EPSV\r\n{feat}211 End\r\n"));
}

/// TYPE, SIZE, MDTM, EPSV and RETR of a 5-byte file whose content is `hello`.
fn serve_hello_download(s: &mut Session) {
    s.expect("TYPE I");
    s.send("200 ok\r\n");
    s.expect("SIZE f");
    s.send("213 5\r\n");
    s.expect("MDTM f");
    s.send("213 20200101000000\r\n");
    let listener = s.answer_epsv();
    s.expect("RETR f");
    let (mut data, _) = listener.accept().unwrap();
    s.send("150 here\r\n");
    data.write_all(b"hello").unwrap();
    drop(data);
    s.send("226 done\r\n");
}

#[test]
fn a_download_whose_hash_differs_is_an_error_and_never_renamed() {
    let server = Scripted::start(|s| {
        login_with_features(s, " HASH SHA-1;SHA-256*;MD5\r\n");
        serve_hello_download(s);
        s.expect("HASH f");
        // The server's copy is not what arrived: a corrupted transfer.
        s.send(&format!("213 SHA-256 0-5 {} f\r\n", "0".repeat(64)));
        s.serve_until_quit();
    });
    let dir = common::scratch_dir("integrity");
    let local = dir.join("f");
    let mut ftp = agent(&server, options());
    let err = ftp
        .download_file(
            "f",
            &local,
            DownloadOptions {
                verify: true,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("integrity check failed: the server's SHA-256 of the file is 0000"),
        "{message}"
    );
    assert!(message.contains(HELLO[0].1), "{message}");
    assert!(!err.is_transient());
    assert!(
        !local.exists(),
        "a corrupt download is never renamed into place"
    );
    assert!(
        !dir.join(".f.ftpc-part").exists(),
        "nor kept to resume from"
    );
    drop(ftp);
    assert_eq!(
        server.finish(),
        [
            "USER u", "PASS p", "FEAT", "TYPE I", "SIZE f", "MDTM f", "EPSV", "RETR f", "HASH f",
            "QUIT"
        ]
    );
}

#[test]
fn without_hash_the_x_commands_are_tried_strongest_first() {
    let server = Scripted::start(|s| {
        login_with_features(s, "");
        serve_hello_download(s);
        s.expect("XSHA256 f");
        s.send("502 not implemented\r\n");
        s.expect("XSHA1 f");
        s.send("250 AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D\r\n");
        s.expect("XMD5 f");
        s.send("250 5d41402abc4b2a76b9719d911017c592\r\n");
        s.serve_until_quit();
    });
    let dir = common::scratch_dir("integrity");
    let local = dir.join("f");
    let mut ftp = agent(&server, options());
    let options = DownloadOptions {
        verify: true,
        ..Default::default()
    };
    ftp.download_file("f", &local, options).unwrap();
    assert_eq!(std::fs::read(&local).unwrap(), b"hello");
    // A refused X command is not asked again on this session.
    let err = ftp.hash_file("f", HashAlgorithm::Sha256).unwrap_err();
    assert!(matches!(err, Error::NotAvailable { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("the server cannot say: it offers no HASH with SHA-256"),
        "{err}"
    );
    assert_eq!(ftp.hash_file("f", HashAlgorithm::Md5).unwrap(), HELLO[2].1);
    drop(ftp);
    let transcript = server.finish();
    assert_eq!(
        transcript[7..],
        ["RETR f", "XSHA256 f", "XSHA1 f", "XMD5 f", "QUIT"]
    );
}

#[test]
fn hash_selects_the_algorithm_with_opts_hash_once() {
    let server = Scripted::start(|s| {
        login_with_features(s, " HASH SHA-256*;MD5;CRC32\r\n");
        s.expect("OPTS HASH MD5");
        s.send("200 MD5\r\n");
        s.expect("HASH a");
        s.send("213-Computing MD5 digest\r\n213 MD5 0-5 5D41402ABC4B2A76B9719D911017C592 a\r\n");
        s.expect("HASH b");
        s.send("213 MD5 0-5 5d41402abc4b2a76b9719d911017c592 b\r\n");
        s.expect("OPTS HASH SHA-256");
        s.send("200 SHA-256\r\n");
        s.expect("HASH c");
        s.send(&format!("213 SHA-256 0-5 {} c\r\n", HELLO[0].1));
        s.expect("XSHA1 d");
        s.send("500 unknown command\r\n");
        s.serve_until_quit();
    });
    let mut ftp = agent(&server, options());
    let session = ftp.session();
    assert_eq!(
        session.hash_file("a", HashAlgorithm::Md5).unwrap(),
        HELLO[2].1
    );
    assert_eq!(
        session.hash_file("b", HashAlgorithm::Md5).unwrap(),
        HELLO[2].1
    );
    assert_eq!(
        session.hash_file("c", HashAlgorithm::Sha256).unwrap(),
        HELLO[0].1
    );
    let err = session.hash_file("d", HashAlgorithm::Sha1).unwrap_err();
    assert!(matches!(err, Error::NotAvailable { .. }), "{err}");
    drop(ftp);
    server.finish();
}

#[test]
fn an_upload_whose_hash_differs_is_not_renamed_into_place() {
    let server = Scripted::start(|s| {
        login_with_features(s, " HASH SHA-256*\r\n");
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR .g.ftpc-part");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send\r\n");
        assert_eq!(common::scripted::drain(&mut data), b"hello");
        s.send("226 stored\r\n");
        s.expect("SIZE .g.ftpc-part");
        s.send("213 5\r\n");
        s.expect("MDTM .g.ftpc-part");
        s.send("550 no time\r\n");
        s.expect("HASH .g.ftpc-part");
        s.send(&format!(
            "213 SHA-256 0-5 {} .g.ftpc-part\r\n",
            "1".repeat(64)
        ));
        s.serve_until_quit();
    });
    let dir = common::scratch_dir("integrity");
    let local = dir.join("g");
    std::fs::write(&local, b"hello").unwrap();
    let mut ftp = agent(&server, options());
    let err = ftp
        .upload_file(
            &local,
            "g",
            UploadOptions {
                temporary_name: true,
                verify: true,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Integrity { .. }), "{err}");
    drop(ftp);
    let transcript = server.finish();
    assert!(
        !transcript.iter().any(|c| c.starts_with("RNFR")),
        "{transcript:?}"
    );
}

#[cfg(feature = "real-servers")]
mod real {
    use super::*;
    use common::{Kind, Mode, Server};
    use ftpc::SyncOptions;

    #[test]
    fn proftpd_hashes_with_every_algorithm_and_verified_transfers_pass() {
        let server = Server::start(Kind::Proftpd);
        server.put_file("hello.txt", b"hello");
        let mut ftp = server.agent(Mode::Epsv);
        for (algorithm, hex) in HELLO {
            let got = server.check(ftp.hash_file("hello.txt", algorithm), "HASH");
            assert_eq!(got, hex, "{algorithm:?}");
        }
        // The strongest it offers.
        let (algorithm, hex) = server.check(
            ftp.session().hash_file_strongest("hello.txt"),
            "strongest hash",
        );
        assert_eq!((algorithm, hex.as_str()), HELLO[0]);
        let data = common::pattern(3 * 1024 * 1024 + 5, 7);
        server.put_file("big.bin", &data);
        let dir = common::scratch_dir("integrity-proftpd");
        let verify = || DownloadOptions {
            verify: true,
            ..Default::default()
        };
        server.check(
            ftp.download_file("big.bin", dir.join("big.bin"), verify()),
            "download",
        );
        assert_eq!(std::fs::read(dir.join("big.bin")).unwrap(), data);
        let upload = UploadOptions {
            temporary_name: true,
            verify: true,
            ..Default::default()
        };
        server.check(
            ftp.upload_file(dir.join("big.bin"), "up.bin", upload),
            "upload",
        );
        assert_eq!(server.read_file("up.bin"), data);
        // Sync and mirror verify every file they move.
        let tree = dir.join("tree");
        std::fs::create_dir_all(tree.join("sub")).unwrap();
        std::fs::write(tree.join("a.txt"), b"a").unwrap();
        std::fs::write(tree.join("sub/b.bin"), &data[..100_000]).unwrap();
        let report = server.check(
            ftp.sync_directory(
                &tree,
                "synced",
                SyncOptions {
                    verify: true,
                    ..Default::default()
                },
            ),
            "sync",
        );
        assert_eq!((report.uploaded, report.failed), (2, 0), "{report:?}");
        let report = server.check(
            ftp.mirror_directory(
                "synced",
                dir.join("back"),
                SyncOptions {
                    verify: true,
                    ..Default::default()
                },
            ),
            "mirror",
        );
        assert_eq!((report.downloaded, report.failed), (2, 0), "{report:?}");
    }

    #[test]
    fn vsftpd_cannot_say_and_a_verified_download_is_not_renamed() {
        let server = Server::start(Kind::Vsftpd);
        server.put_file("hello.txt", b"hello");
        let mut ftp = server.agent(Mode::Epsv);
        for algorithm in HashAlgorithm::ALL {
            let err = ftp.hash_file("hello.txt", algorithm).unwrap_err();
            assert!(matches!(err, Error::NotAvailable { .. }), "{err}");
        }
        let dir = common::scratch_dir("integrity-vsftpd");
        let local = dir.join("hello.txt");
        let options = DownloadOptions {
            verify: true,
            ..Default::default()
        };
        let err = ftp.download_file("hello.txt", &local, options).unwrap_err();
        assert!(matches!(err, Error::NotAvailable { .. }), "{err}");
        assert!(!local.exists());
        // What arrived is kept, not renamed: the caller may decide without verification.
        assert_eq!(
            std::fs::read(dir.join(".hello.txt.ftpc-part")).unwrap(),
            b"hello"
        );
        // The session is still usable.
        server.check(ftp.session().noop(), "NOOP");
    }
}
