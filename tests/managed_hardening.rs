//! The production layer under hostile conditions: symlinks planted in local trees.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::{Kind, Mode, Server};
use ftpc::{DownloadOptions, SyncOptions};

// ---------------------------------------------------------------------------------------------
// 1. Partial files never follow symlinks.

/// A victim file outside the download directory, and a download directory beside it.
fn victim_and_dir(label: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = common::scratch_dir(label);
    let victim = base.join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    let dir = base.join("dir");
    fs::create_dir(&dir).unwrap();
    (victim, dir)
}

fn assert_regular_with(path: &Path, data: &[u8]) {
    let meta = fs::symlink_metadata(path).unwrap();
    assert!(
        meta.file_type().is_file(),
        "{} is not a regular file",
        path.display()
    );
    assert_eq!(fs::read(path).unwrap(), data);
}

#[test]
fn download_never_writes_through_a_symlinked_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.client(Mode::Epsv);
    for resume in [false, true] {
        let (victim, dir) = victim_and_dir("partial-symlink");
        symlink(&victim, dir.join(".x.ftpc-part")).unwrap();
        ftp.download_file(
            "x",
            dir.join("x"),
            DownloadOptions {
                resume,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious", "resume: {resume}");
        assert_regular_with(&dir.join("x"), b"from the server");
    }
}

#[test]
fn resume_never_reuses_a_partial_file_linked_elsewhere() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.client(Mode::Epsv);
    let (victim, dir) = victim_and_dir("partial-hardlink");
    // A hard link: a regular file, but also someone else's name for it.
    fs::hard_link(&victim, dir.join(".x.ftpc-part")).unwrap();
    ftp.download_file(
        "x",
        dir.join("x"),
        DownloadOptions {
            resume: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_regular_with(&dir.join("x"), b"from the server");
}

#[test]
fn resume_continues_its_own_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.client(Mode::Epsv);
    let dir = common::scratch_dir("partial-own");
    // What an interrupted download left: the first bytes of the same file.
    fs::write(dir.join(".x.ftpc-part"), b"from the").unwrap();
    ftp.download_file(
        "x",
        dir.join("x"),
        DownloadOptions {
            resume: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_regular_with(&dir.join("x"), b"from the server");
    assert!(!dir.join(".x.ftpc-part").exists());
}

#[test]
fn mirror_never_writes_through_a_symlinked_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("src/x", b"from the server");
    let mut ftp = server.client(Mode::Epsv);
    let (victim, dir) = victim_and_dir("mirror-partial-symlink");
    symlink(&victim, dir.join(".x.ftpc-part")).unwrap();
    let report = ftp
        .mirror_directory("src", &dir, SyncOptions::default())
        .unwrap();
    assert_eq!((report.downloaded, report.failed), (1, 0), "{report:?}");
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_regular_with(&dir.join("x"), b"from the server");
}
