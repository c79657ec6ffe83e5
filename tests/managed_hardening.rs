//! The production layer under hostile conditions: symlinks planted in local trees, server
//! names that collide with partial files, trees without end, and listings too big to collect.
//! Real servers where they can show the fault; a scripted server where only a misbehaving one
//! can.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use common::scripted::{agent, options, tree_server, Scripted, Tree};
use common::{Kind, Mode, Server};
use ftpc::{Agent, DownloadOptions, Flow, Options, RetryPolicy, SyncAction, SyncOptions};

fn no_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    }
}

/// (action, path, error message) of every event.
type Events = Vec<(SyncAction, String, String)>;

fn record(events: &mut Events) -> impl FnMut(&ftpc::SyncEvent<'_>) -> Flow + '_ {
    move |e| {
        let message = e.error.map(|e| e.to_string()).unwrap_or_default();
        events.push((e.action, e.path.to_string(), message));
        Flow::Continue
    }
}

/// A logged-in agent of `server` that never retries.
fn login_without_retries(server: &Scripted, options: Options) -> Agent {
    let mut ftp = agent(server, options);
    ftp.set_retry_policy(no_retries());
    ftp
}

fn count(transcript: &[String], prefix: &str) -> usize {
    transcript.iter().filter(|c| c.starts_with(prefix)).count()
}

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
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn download_never_writes_through_a_symlinked_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.agent(Mode::Epsv);
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
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn resume_never_reuses_a_partial_file_linked_elsewhere() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.agent(Mode::Epsv);
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
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn resume_continues_its_own_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.agent(Mode::Epsv);
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
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn mirror_never_writes_through_a_symlinked_partial_file() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("src/x", b"from the server");
    let mut ftp = server.agent(Mode::Epsv);
    let (victim, dir) = victim_and_dir("mirror-partial-symlink");
    symlink(&victim, dir.join(".x.ftpc-part")).unwrap();
    let report = ftp
        .mirror_directory("src", &dir, SyncOptions::default())
        .unwrap();
    assert_eq!((report.downloaded, report.failed), (1, 0), "{report:?}");
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_regular_with(&dir.join("x"), b"from the server");
}

// ---------------------------------------------------------------------------------------------
// 2. Mirror and sync never descend through a local symlink.

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn mirror_never_descends_through_a_local_symlink() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("src/sub/a.txt", b"remote a");
    server.put_file("src/top.txt", b"remote top");
    let mut ftp = server.agent(Mode::Epsv);
    let base = common::scratch_dir("mirror-symlink-dir");
    let outside = base.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("keep.txt"), b"keep me").unwrap();
    let target = base.join("target");
    fs::create_dir(&target).unwrap();
    symlink(&outside, target.join("sub")).unwrap();
    let mut events = Events::new();
    let report = ftp
        .mirror_directory(
            "src",
            &target,
            SyncOptions {
                delete: true,
                on_event: Some(&mut record(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    // Nothing outside the target was deleted or written.
    assert_eq!(fs::read(outside.join("keep.txt")).unwrap(), b"keep me");
    assert!(!outside.join("a.txt").exists());
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);
    // The link is reported as a failed entry of its own and left alone.
    assert_eq!(report.failed, 1, "{events:?}");
    let (_, _, message) = events
        .iter()
        .find(|(a, p, _)| *a == SyncAction::Failed && p == "sub")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(message.contains("symbolic link"), "{message}");
    assert!(fs::symlink_metadata(target.join("sub"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_regular_with(&target.join("top.txt"), b"remote top");
}

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn mirror_never_replaces_a_local_file_symlink() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("src/f.txt", b"remote f");
    let mut ftp = server.agent(Mode::Epsv);
    let (victim, dir) = victim_and_dir("mirror-symlink-file");
    symlink(&victim, dir.join("f.txt")).unwrap();
    let mut events = Events::new();
    let report = ftp
        .mirror_directory(
            "src",
            &dir,
            SyncOptions {
                on_event: Some(&mut record(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.failed, 1, "{events:?}");
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(fs::symlink_metadata(dir.join("f.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn sync_never_follows_local_symlinks() {
    let server = Server::start(Kind::Pyftpdlib);
    let mut ftp = server.agent(Mode::Epsv);
    let base = common::scratch_dir("sync-symlinks");
    let outside = base.join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret.txt"), b"secret").unwrap();
    let local = base.join("local");
    fs::create_dir(&local).unwrap();
    fs::write(local.join("real.txt"), b"real").unwrap();
    symlink(&outside, local.join("linked dir")).unwrap();
    symlink(outside.join("secret.txt"), local.join("linked file")).unwrap();
    // A loop back to the tree itself.
    symlink(&local, local.join("loop")).unwrap();
    let mut events = Events::new();
    let report = ftp
        .sync_directory(
            &local,
            "up",
            SyncOptions {
                on_event: Some(&mut record(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((report.uploaded, report.failed), (1, 0), "{events:?}");
    assert_eq!(report.skipped, 3, "{events:?}");
    let uploaded: Vec<_> = fs::read_dir(server.root.join("up"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(uploaded, ["real.txt"]);
}

// ---------------------------------------------------------------------------------------------
// 3. Partial-file names never collide with names being transferred.

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn mirror_refuses_server_names_reserved_for_partial_files() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("src/x", b"the file");
    server.put_file("src/.x.ftpc-part", b"a file named like our partial file");
    let mut ftp = server.agent(Mode::Epsv);
    let target = common::scratch_dir("mirror-collide").join("copy");
    let mut events = Events::new();
    let report = ftp
        .mirror_directory(
            "src",
            &target,
            SyncOptions {
                on_event: Some(&mut record(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((report.downloaded, report.failed), (1, 1), "{events:?}");
    let (_, _, message) = events
        .iter()
        .find(|(a, p, _)| *a == SyncAction::Failed && p == ".x.ftpc-part")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(message.contains("reserved"), "{message}");
    assert_regular_with(&target.join("x"), b"the file");
    let names: Vec<_> = fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["x"]);
}

// ---------------------------------------------------------------------------------------------
// 4. Trees without end.

/// Every directory holds one more directory, `d`; with `unique`, each has the same MLSD
/// `unique` fact (a loop), else none.
fn endless_server(unique: bool) -> Scripted {
    tree_server(Tree {
        list: Box::new(move |_| {
            Some(if unique {
                b"type=cdir;unique=801g1; .\r\ntype=dir;unique=801g1;modify=20240101000000; d\r\n"
                    .to_vec()
            } else {
                b"type=dir;modify=20240101000000; d\r\n".to_vec()
            })
        }),
        file: Box::new(|_| None),
    })
}

/// Runs `f` on a thread with a 256 KiB stack, as a small worker thread of a C host has.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn mirror_of_an_endless_tree_stops_at_the_depth_limit() {
    let server = endless_server(false);
    let port = server.port;
    let target = common::scratch_dir("endless-mirror").join("copy");
    let (result, created) = on_small_stack(move || {
        let mut ftp = Agent::connect("127.0.0.1", port, options()).unwrap();
        ftp.login("u", "p").unwrap();
        ftp.set_retry_policy(no_retries());
        let result = ftp
            .mirror_directory("", &target, SyncOptions::default())
            .map(|r| format!("{r:?}"))
            .map_err(|e| e.to_string());
        let _ = ftp.quit();
        (result, target.exists())
    });
    let err = result.unwrap_err();
    assert!(err.contains("max_tree_depth"), "{err}");
    assert!(err.contains("ftp_options_set_max_tree_depth"), "{err}");
    assert!(!created, "a failed plan changes nothing");
    let transcript = server.finish();
    // The root and 64 levels below it, no more.
    assert_eq!(count(&transcript, "MLSD"), 65);
}

#[test]
fn remove_tree_and_sync_delete_of_an_endless_tree_stop_at_the_depth_limit() {
    let server = endless_server(false);
    let port = server.port;
    let local = common::scratch_dir("endless-sync");
    let (removed, synced) = on_small_stack(move || {
        let mut options = options();
        options.max_tree_depth = 10;
        let mut ftp = Agent::connect("127.0.0.1", port, options).unwrap();
        ftp.login("u", "p").unwrap();
        ftp.set_retry_policy(no_retries());
        let removed = ftp.remove_tree("top").map_err(|e| e.to_string());
        let synced = ftp
            .sync_directory(
                &local,
                "top",
                SyncOptions {
                    delete: true,
                    ..Default::default()
                },
            )
            .map(|r| (r.deleted, r.failed, r.first_error.map(|e| e.to_string())));
        let _ = ftp.quit();
        (removed, synced.map_err(|e| e.to_string()))
    });
    let err = removed.unwrap_err();
    assert!(err.contains("max_tree_depth"), "{err}");
    let (deleted, failed, first) = synced.unwrap();
    assert_eq!((deleted, failed), (0, 1));
    assert!(first.unwrap().contains("max_tree_depth"));
    let transcript = server.finish();
    assert_eq!(
        count(&transcript, "RMD"),
        0,
        "nothing removed: {transcript:?}"
    );
}

#[test]
fn mirror_detects_a_directory_loop_by_its_unique_fact() {
    let server = endless_server(true);
    let mut ftp = login_without_retries(&server, options());
    let target = common::scratch_dir("loop-mirror").join("copy");
    let mut events = Events::new();
    let report = ftp
        .mirror_directory(
            "",
            &target,
            SyncOptions {
                on_event: Some(&mut record(&mut events)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.failed, 1, "{events:?}");
    assert!(events[events.len() - 1].2.contains("loop"), "{events:?}");
    ftp.quit().unwrap();
    assert_eq!(count(&server.finish(), "MLSD"), 1);
}

#[test]
fn a_wide_tree_stops_at_the_total_entry_bound() {
    // Every directory holds 20 directories: the walk goes deep first, 20 entries a level.
    let server = tree_server(Tree {
        list: Box::new(|_| {
            let mut body = Vec::new();
            for i in 0..20 {
                body.extend_from_slice(format!("type=dir; d{i}\r\n").as_bytes());
            }
            Some(body)
        }),
        file: Box::new(|_| None),
    });
    let mut options = options();
    options.max_tree_depth = 100;
    options.max_tree_entries = 1000;
    let mut ftp = login_without_retries(&server, options);
    let target = common::scratch_dir("wide-mirror").join("copy");
    let err = ftp
        .mirror_directory("", &target, SyncOptions::default())
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("max_tree_entries"), "{message}");
    assert!(
        message.contains("ftp_options_set_max_tree_entries"),
        "{message}"
    );
    assert!(!target.exists());
    ftp.quit().unwrap();
    // 1000 entries are 50 listings; the 51st goes over.
    assert_eq!(count(&server.finish(), "MLSD"), 51);
}

// ---------------------------------------------------------------------------------------------
// 5. Bounded collected listings; a listing that fails anywhere fails the whole operation.

fn flat_server(entries: usize, name_len: usize) -> Scripted {
    tree_server(Tree {
        list: Box::new(move |_| {
            let mut body = Vec::new();
            for i in 0..entries {
                let name = format!("{i:0>width$}", width = name_len);
                body.extend_from_slice(format!("type=file;size=1; {name}\r\n").as_bytes());
            }
            Some(body)
        }),
        file: Box::new(|_| Some(b"x".to_vec())),
    })
}

#[test]
fn list_dir_is_bounded_in_entries() {
    let mut options = options();
    options.max_listing_entries = 10;
    let server = flat_server(10, 4);
    let mut ftp = login_without_retries(&server, options.clone());
    assert_eq!(ftp.list_dir("").unwrap().len(), 10, "exactly at the bound");
    ftp.quit().unwrap();
    server.finish();

    let server = flat_server(11, 4);
    let mut ftp = login_without_retries(&server, options);
    let message = ftp.list_dir("").unwrap_err().to_string();
    assert!(message.contains("more than 10 entries"), "{message}");
    assert!(message.contains("max_listing_entries"), "{message}");
    assert!(
        message.contains("ftp_options_set_max_listing_entries"),
        "{message}"
    );
    // The session is still usable.
    ftp.session().noop().unwrap();
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn list_dir_is_bounded_in_bytes() {
    let mut options = options();
    options.max_listing_bytes = 100_000;
    // 4 lines of 30,000-byte names: 120,000 bytes.
    let server = flat_server(4, 30_000);
    let mut ftp = login_without_retries(&server, options);
    let message = ftp.list_dir("").unwrap_err().to_string();
    assert!(message.contains("more than 100000 bytes"), "{message}");
    assert!(message.contains("max_listing_bytes"), "{message}");
    assert!(
        message.contains("ftp_options_set_max_listing_bytes"),
        "{message}"
    );
    ftp.quit().unwrap();
    server.finish();
}

/// A local tree a mirror with delete must leave alone when the listing fails.
fn local_copy(label: &str) -> std::path::PathBuf {
    let dir = common::scratch_dir(label);
    fs::write(dir.join("keep.txt"), b"keep").unwrap();
    dir
}

#[test]
fn mirror_with_delete_never_acts_on_a_listing_that_hit_a_bound() {
    let server = flat_server(50, 4);
    let mut options = options();
    options.max_listing_entries = 20;
    let mut ftp = login_without_retries(&server, options);
    let dir = local_copy("bound-mirror");
    let err = ftp
        .mirror_directory(
            "",
            &dir,
            SyncOptions {
                delete: true,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("max_listing_entries"), "{err}");
    assert_eq!(fs::read(dir.join("keep.txt")).unwrap(), b"keep");
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
    ftp.quit().unwrap();
    assert_eq!(count(&server.finish(), "RETR"), 0);
}

/// A listing whose middle line is bad: longer than the line limit, or not MLSD.
fn bad_line_server(line: Vec<u8>) -> Scripted {
    tree_server(Tree {
        list: Box::new(move |_| {
            let mut body = b"type=file;size=1; a\r\n".to_vec();
            body.extend_from_slice(&line);
            body.extend_from_slice(b"\r\ntype=file;size=1; z\r\n");
            Some(body)
        }),
        file: Box::new(|_| Some(b"x".to_vec())),
    })
}

#[test]
fn a_listing_with_one_failed_line_fails_list_dir_and_mirror() {
    let long = {
        let mut line = b"type=file;size=1; ".to_vec();
        line.resize(ftpc::MAX_LISTING_LINE + 10, b'n');
        line
    };
    let garbage = b"this is not an MLSD line".to_vec();
    for (bad, what) in [(long, "longer than"), (garbage, "")] {
        let server = bad_line_server(bad.clone());
        let mut ftp = login_without_retries(&server, options());
        let err = ftp.list_dir("").unwrap_err();
        assert!(matches!(err, ftpc::Error::Protocol { .. }), "{err}");
        assert!(err.to_string().contains(what), "{err}");
        let dir = local_copy("bad-line-mirror");
        let err = ftp
            .mirror_directory(
                "",
                &dir,
                SyncOptions {
                    delete: true,
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(matches!(err, ftpc::Error::Protocol { .. }), "{err}");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "nothing deleted");
        let _ = ftp.quit();
        assert_eq!(count(&server.finish(), "RETR"), 0);
    }
}

#[test]
fn bounds_have_their_documented_defaults() {
    let options = Options::default();
    assert_eq!(options.max_listing_entries, 100_000);
    assert_eq!(options.max_listing_bytes, 32 * 1024 * 1024);
    assert_eq!(options.max_tree_depth, 64);
    assert_eq!(options.max_tree_entries, 1_000_000);
}

#[test]
fn sync_of_a_local_tree_deeper_than_the_bound_fails_before_uploading() {
    let server = tree_server(Tree {
        list: Box::new(|_| Some(Vec::new())),
        file: Box::new(|_| None),
    });
    let local = common::scratch_dir("deep-sync");
    fs::create_dir_all(local.join("a/b/c")).unwrap();
    fs::write(local.join("top.txt"), b"top").unwrap();
    let mut options = options();
    options.max_tree_depth = 2;
    let mut ftp = login_without_retries(&server, options);
    let err = ftp
        .sync_directory(&local, "up", SyncOptions::default())
        .unwrap_err();
    assert!(matches!(err, ftpc::Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("max_tree_depth"), "{err}");
    ftp.quit().unwrap();
    let transcript = server.finish();
    assert_eq!(count(&transcript, "STOR") + count(&transcript, "MKD"), 0);
}

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn download_replaces_a_symlinked_target_without_following_it() {
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("x", b"from the server");
    let mut ftp = server.agent(Mode::Epsv);
    let (victim, dir) = victim_and_dir("target-symlink");
    symlink(&victim, dir.join("x")).unwrap();
    ftp.download_file("x", dir.join("x"), DownloadOptions::default())
        .unwrap();
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert_regular_with(&dir.join("x"), b"from the server");
}

#[test]
fn retr_to_path_never_writes_through_a_local_symlink() {
    // The download is refused when the local file is opened, before any command is sent.
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.serve_until_quit();
    });
    let dir = common::scratch_dir("retr-symlink");
    let victim = dir.join("victim.txt");
    fs::write(&victim, b"keep me").unwrap();
    let link = dir.join("download.bin");
    symlink(&victim, &link).unwrap();
    let mut agent = agent(&server, options());
    for resume in [false, true] {
        let err = agent
            .session()
            .retr_to_path("file.bin", &link, resume, None)
            .unwrap_err();
        assert!(matches!(err, ftpc::Error::Io { .. }), "{err}");
    }
    assert_eq!(fs::read(&victim).unwrap(), b"keep me");
    agent.quit().unwrap();
    let transcript = server.finish();
    assert!(
        !transcript.iter().any(|c| c.starts_with("RETR")),
        "{transcript:?}"
    );
}
