//! The production layer against the four real servers: transfers interrupted by a server
//! restart resume byte-identically, a changed remote file restarts the download, 5xx is never
//! retried, mkdir -p, structured listings, sync and mirror.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{pattern, sha256, Kind, Mode, Server, Tls};
use ftpc::{
    Agent, DownloadOptions, Error, Flow, RetryPolicy, SyncAction, SyncOptions, TlsLevel,
    UploadOptions,
};

const BIG: usize = 64 * 1024 * 1024;
const CUT_AT: u64 = 24 * 1024 * 1024;

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    }
}

fn start(kind: Kind, tls: bool) -> Server {
    if tls {
        Server::start_tls(kind, Tls::Explicit, "server")
    } else {
        Server::start(kind)
    }
}

fn client_for(server: &Server, tls: bool) -> Agent {
    let options = if tls {
        server.tls_options(Mode::Epsv, TlsLevel::All)
    } else {
        server.options(Mode::Epsv)
    };
    let mut ftp = server.agent_with(options);
    ftp.set_retry_policy(quick_retries());
    ftp
}

/// Records the retries a client makes.
fn count_retries(ftp: &mut Agent) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    ftp.set_retry_observer(Some(Box::new(move |event| {
        log.lock()
            .unwrap()
            .push(format!("{}: {}", event.attempt, event.error));
        Flow::Continue
    })));
    seen
}

/// Progress values of a transfer interrupted once: the last value before the cut and the
/// first one after it.
#[derive(Default)]
struct Interruption {
    before: u64,
    after: Option<u64>,
    cut: bool,
}

fn interrupted_download(kind: Kind, tls: bool, change_remote: bool) {
    let mut server = start(kind, tls);
    let data = pattern(BIG, 5);
    let changed = pattern(BIG - 12_345, 6);
    server.put_file("big.bin", &data);
    let mut ftp = client_for(&server, tls);
    let retries = count_retries(&mut ftp);
    let local = common::scratch_dir("download").join("big.bin");
    let server_cell = Mutex::new(&mut server);
    let state = Mutex::new(Interruption::default());
    let retried = retries.clone();
    let mut progress = |done: u64, _total: Option<u64>| {
        let mut s = state.lock().unwrap();
        if !s.cut && done >= CUT_AT {
            s.cut = true;
            let mut server = server_cell.lock().unwrap();
            if change_remote {
                server.put_file("big.bin", &changed);
            }
            server.restart();
        } else if s.cut && s.after.is_none() && !retried.lock().unwrap().is_empty() {
            // The first block of the retried attempt.
            s.after = Some(done);
        } else if s.after.is_none() {
            // Bytes of the first attempt still arriving after the cut.
            s.before = done;
        }
        Flow::Continue
    };
    let size = ftp
        .download_file(
            "big.bin",
            &local,
            DownloadOptions {
                progress: Some(&mut progress),
                ..Default::default()
            },
        )
        .expect("download survives the restart");
    let expected = if change_remote { &changed } else { &data };
    assert_eq!(size as usize, expected.len());
    assert_eq!(sha256(&fs::read(&local).unwrap()), sha256(expected));
    assert!(!local.with_file_name(".big.bin.ftpc-part").exists());
    let s = state.lock().unwrap();
    assert!(s.cut);
    let after = s.after.expect("progress after the restart");
    let retries = retries.lock().unwrap();
    assert!(!retries.is_empty(), "the interruption was retried");
    if change_remote {
        // The file changed between attempts: the download started over.
        assert!(after <= 1024 * 1024, "restarted from {after}");
    } else {
        // Resumed from what it had: fewer bytes than a restart would have sent.
        assert!(
            after > CUT_AT / 2,
            "resumed at {after}, cut at {}",
            s.before
        );
        let sent = s.before + (BIG as u64 - (after - after.min(1024 * 1024)));
        assert!(sent < BIG as u64 + BIG as u64 / 2, "sent {sent}");
    }
}

fn interrupted_upload(kind: Kind, tls: bool) {
    let mut server = start(kind, tls);
    let data = pattern(BIG, 9);
    let dir = common::scratch_dir("upload");
    let local = dir.join("up.bin");
    fs::write(&local, &data).unwrap();
    let mut ftp = client_for(&server, tls);
    let retries = count_retries(&mut ftp);
    let server_cell = Mutex::new(&mut server);
    let state = Mutex::new(Interruption::default());
    let mut saw_partial_target = false;
    let retried = retries.clone();
    let mut progress = |done: u64, _total: Option<u64>| {
        let mut s = state.lock().unwrap();
        if !s.cut && done >= CUT_AT {
            s.cut = true;
            let mut server = server_cell.lock().unwrap();
            saw_partial_target |= server.root.join("up.bin").exists();
            server.restart();
        } else if s.cut && s.after.is_none() && !retried.lock().unwrap().is_empty() {
            s.after = Some(done);
        } else if s.after.is_none() {
            s.before = done;
        }
        Flow::Continue
    };
    ftp.upload_file(
        &local,
        "up.bin",
        UploadOptions {
            temporary_name: true,
            progress: Some(&mut progress),
            ..Default::default()
        },
    )
    .expect("upload survives the restart");
    assert_eq!(sha256(&server.read_file("up.bin")), sha256(&data));
    assert!(!server.root.join(".up.bin.ftpc-part").exists());
    assert!(
        !saw_partial_target,
        "readers never see a partial file under the final name"
    );
    let s = state.lock().unwrap();
    let after = s.after.expect("progress after the restart");
    assert!(
        after > 1024 * 1024,
        "continued from what the server kept, at {after}"
    );
    assert!(!retries.lock().unwrap().is_empty());
}

#[test]
fn download_resumes_after_restart_pyftpdlib() {
    interrupted_download(Kind::Pyftpdlib, false, false);
}

#[test]
fn download_resumes_after_restart_vsftpd_tls() {
    interrupted_download(Kind::Vsftpd, true, false);
}

#[test]
fn download_resumes_after_restart_pyftpdlib_tls() {
    interrupted_download(Kind::Pyftpdlib, true, false);
}

#[test]
fn download_resumes_after_restart_vsftpd() {
    interrupted_download(Kind::Vsftpd, false, false);
}

#[test]
fn changed_remote_file_restarts_download() {
    interrupted_download(Kind::Pyftpdlib, false, true);
}

#[test]
fn upload_resumes_after_restart_pyftpdlib() {
    interrupted_upload(Kind::Pyftpdlib, false);
}

#[test]
fn upload_resumes_after_restart_vsftpd_tls() {
    interrupted_upload(Kind::Vsftpd, true);
}

#[test]
fn upload_resumes_after_restart_vsftpd() {
    interrupted_upload(Kind::Vsftpd, false);
}

#[test]
fn upload_resumes_after_restart_pyftpdlib_tls() {
    interrupted_upload(Kind::Pyftpdlib, true);
}

#[test]
fn download_resumes_after_restart_proftpd() {
    interrupted_download(Kind::Proftpd, false, false);
}

#[test]
fn download_resumes_after_restart_proftpd_tls() {
    interrupted_download(Kind::Proftpd, true, false);
}

#[test]
fn download_resumes_after_restart_pureftpd() {
    interrupted_download(Kind::PureFtpd, false, false);
}

#[test]
fn download_resumes_after_restart_pureftpd_tls() {
    interrupted_download(Kind::PureFtpd, true, false);
}

#[test]
fn upload_resumes_after_restart_proftpd() {
    interrupted_upload(Kind::Proftpd, false);
}

#[test]
fn upload_resumes_after_restart_proftpd_tls() {
    interrupted_upload(Kind::Proftpd, true);
}

#[test]
fn upload_resumes_after_restart_pureftpd() {
    interrupted_upload(Kind::PureFtpd, false);
}

#[test]
fn upload_resumes_after_restart_pureftpd_tls() {
    interrupted_upload(Kind::PureFtpd, true);
}

#[test]
fn permanent_errors_are_not_retried() {
    let server = Server::start(Kind::Vsftpd);
    let mut ftp = client_for(&server, false);
    let retries = count_retries(&mut ftp);
    let dir = common::scratch_dir("perm");
    let err = ftp
        .download_file("missing.bin", dir.join("x"), DownloadOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert!(retries.lock().unwrap().is_empty());
    assert!(!dir.join("x").exists());
    assert!(
        !dir.join(".x.ftpc-part").exists(),
        "no empty partial file is left behind"
    );
    // An explicit resume continues a partial file left behind.
    let data = pattern(3_000_000, 2);
    server.put_file("r.bin", &data);
    fs::write(dir.join(".r.bin.ftpc-part"), &data[..1_000_000]).unwrap();
    let mut first = None;
    let mut progress = |done: u64, _| {
        first.get_or_insert(done);
        Flow::Continue
    };
    ftp.download_file(
        "r.bin",
        dir.join("r.bin"),
        DownloadOptions {
            resume: true,
            progress: Some(&mut progress),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(fs::read(dir.join("r.bin")).unwrap(), data);
    assert!(first.unwrap() > 1_000_000);
}

fn directories(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp = client_for(&server, false);
    ftp.ensure_directory("a/b/c d/é").expect("mkdir -p");
    assert!(server.root.join("a/b/c d/é").is_dir());
    ftp.ensure_directory("a/b/c d/é")
        .expect("again: nothing to do");
    ftp.ensure_directory("/a/b/x").expect("absolute path");
    assert!(server.root.join("a/b/x").is_dir());
    server.put_file("a/file", b"x");
    let err = ftp.ensure_directory("a/file/sub").unwrap_err();
    assert!(err.reply().is_some(), "{err}");
    // Two clients creating the same tree at once both succeed.
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let mut c = client_for(&server, false);
            std::thread::spawn(move || c.ensure_directory("p/q/r/s/t/u/v"))
        })
        .collect();
    for h in handles {
        h.join().unwrap().expect("concurrent mkdir -p");
    }
    assert!(server.root.join("p/q/r/s/t/u/v").is_dir());
    // Structured listing without . and ..
    let entries = ftp.list_dir("a").unwrap();
    let mut names: Vec<(String, bool)> = entries
        .iter()
        .map(|e| (e.name().to_string(), e.is_dir()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [("b".to_string(), true), ("file".to_string(), false)]
    );
    let file = entries.iter().find(|e| e.name() == "file").unwrap();
    assert_eq!(file.size(), Some(1));
    assert!(file.modified().is_some());
}

#[test]
fn directories_pyftpdlib() {
    directories(Kind::Pyftpdlib);
}

#[test]
fn directories_vsftpd() {
    directories(Kind::Vsftpd);
}

#[test]
fn directories_proftpd() {
    directories(Kind::Proftpd);
}

#[test]
fn directories_pureftpd() {
    directories(Kind::PureFtpd);
}

/// Every file under `root`, as relative path → SHA-256, skipping ftpc's partial files.
fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(format!("{rel}/"), String::new());
                walk(base, &path, out);
            } else {
                out.insert(rel, sha256(&fs::read(&path).unwrap()));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn make_local_tree(dir: &Path) {
    let files: [(&str, usize); 7] = [
        ("top.txt", 10),
        ("docs/readme.md", 2000),
        ("docs/guide/chapter one.txt", 70_000),
        ("docs/guide/日本語.txt", 333),
        ("data/blob.bin", 1_500_000),
        ("data/empty.bin", 0),
        ("data/deep/er/x.bin", 5),
    ];
    for (i, (rel, len)) in files.iter().enumerate() {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, pattern(*len, i as u64 + 100)).unwrap();
    }
}

fn collect_events(
    events: &mut Vec<(SyncAction, String)>,
) -> impl FnMut(&ftpc::SyncEvent<'_>) -> Flow + '_ {
    move |e| {
        assert!(e.files_done <= e.files_total);
        events.push((e.action, e.path.to_string()));
        Flow::Continue
    }
}

fn sync_round_trip(kind: Kind, tls: bool) {
    let server = start(kind, tls);
    let mut ftp = client_for(&server, tls);
    let local = common::scratch_dir("sync-local");
    make_local_tree(&local);

    // A dry run plans and changes nothing.
    let mut events = Vec::new();
    let report = ftp
        .sync_directory(
            &local,
            "mirror/root",
            SyncOptions {
                dry_run: true,
                on_event: Some(&mut collect_events(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.uploaded, 7);
    assert!(!server.root.join("mirror").exists());
    assert!(events
        .iter()
        .any(|(a, p)| *a == SyncAction::Uploaded && p == "docs/guide/日本語.txt"));

    let report = ftp
        .sync_directory(&local, "mirror/root", SyncOptions::default())
        .unwrap();
    assert_eq!((report.uploaded, report.failed), (7, 0), "{report:?}");
    assert_eq!(tree(&server.root.join("mirror/root")), tree(&local));

    // Nothing changed: nothing moves.
    let report = ftp
        .sync_directory(&local, "mirror/root", SyncOptions::default())
        .unwrap();
    assert_eq!(
        (report.uploaded, report.skipped, report.bytes),
        (0, 7, 0),
        "{report:?}"
    );

    // Rename, change, delete; then sync with delete.
    fs::rename(local.join("top.txt"), local.join("renamed top.txt")).unwrap();
    fs::write(local.join("data/blob.bin"), pattern(1_500_001, 77)).unwrap();
    fs::remove_dir_all(local.join("data/deep")).unwrap();
    let mut events = Vec::new();
    let report = ftp
        .sync_directory(
            &local,
            "mirror/root",
            SyncOptions {
                delete: true,
                on_event: Some(&mut collect_events(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(report.uploaded, 2, "{events:?}");
    assert_eq!(report.deleted, 2, "{events:?}");
    assert_eq!(tree(&server.root.join("mirror/root")), tree(&local));
    let report = ftp
        .sync_directory(
            &local,
            "mirror/root",
            SyncOptions {
                delete: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (report.uploaded, report.deleted, report.bytes),
        (0, 0, 0),
        "{report:?}"
    );

    // Mirror back to a fresh local directory, then again: nothing to do.
    let back = common::scratch_dir("mirror-back").join("copy");
    let report = ftp
        .mirror_directory("mirror/root", &back, SyncOptions::default())
        .unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert_eq!(tree(&back), tree(&local));
    let report = ftp
        .mirror_directory("mirror/root", &back, SyncOptions::default())
        .unwrap();
    assert_eq!((report.downloaded, report.bytes), (0, 0), "{report:?}");
    // Mirror with delete removes what the server no longer has.
    fs::write(back.join("stray.txt"), b"not on the server").unwrap();
    let report = ftp
        .mirror_directory(
            "mirror/root",
            &back,
            SyncOptions {
                delete: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.deleted, 1);
    assert_eq!(tree(&back), tree(&local));
}

#[test]
fn sync_pyftpdlib() {
    sync_round_trip(Kind::Pyftpdlib, false);
}

#[test]
fn sync_vsftpd() {
    sync_round_trip(Kind::Vsftpd, false);
}

#[test]
fn sync_vsftpd_tls() {
    sync_round_trip(Kind::Vsftpd, true);
}

#[test]
fn sync_pyftpdlib_tls() {
    sync_round_trip(Kind::Pyftpdlib, true);
}

#[test]
fn sync_proftpd() {
    sync_round_trip(Kind::Proftpd, false);
}

#[test]
fn sync_proftpd_tls() {
    sync_round_trip(Kind::Proftpd, true);
}

#[test]
fn sync_pureftpd() {
    sync_round_trip(Kind::PureFtpd, false);
}

#[test]
fn sync_pureftpd_tls() {
    sync_round_trip(Kind::PureFtpd, true);
}
