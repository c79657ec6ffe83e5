//! The session pool (`Pool`) against the real servers: parallel downloads and uploads,
//! segmented downloads at awkward sizes, TLS session reuse on every pooled session, a server
//! that allows only 2 connections per client, many threads on one pool, a segment's connection
//! cut mid-range and resumed, and a cancel from another thread. Every file's SHA-256 is
//! checked.

mod common;

use std::fs;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{pattern, scratch_dir, sha256, Kind, Mode, Server, Tls, PASSWORD, USER};
use ftpc::{
    BatchOptions, Error, FilePair, Options, Pool, PoolOptions, RetryPolicy, SegmentedOptions,
    TlsLevel,
};

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        initial_delay: Duration::from_millis(100),
        multiplier: 2.0,
        max_delay: Duration::from_secs(2),
        jitter: 0.1,
    }
}

fn pool_for(server: &Server, options: Options, max: usize) -> Pool {
    let settings = PoolOptions {
        max_sessions: max,
        limit_backoff: Duration::from_millis(200),
        retry: quick_retry(),
        ..PoolOptions::default()
    };
    Pool::new(&server.host, server.port, options, USER, PASSWORD, settings).unwrap()
}

/// Files of assorted sizes (empty, one byte, odd sizes, a few hundred KiB) put on the server.
fn put_files(server: &Server, dir: &str, count: usize) -> Vec<(String, Vec<u8>)> {
    (0..count)
        .map(|i| {
            let len = match i % 5 {
                0 => 0,
                1 => 1,
                2 => 4096,
                3 => 100_003,
                _ => 300_001 + i,
            };
            let name = format!("{dir}/f{i:03}.bin");
            let data = pattern(len, i as u64 + 1);
            server.put_file(&name, &data);
            (name, data)
        })
        .collect()
}

/// Downloads the files with the pool, uploads them back under `up/`, checks every SHA-256.
fn round_trip(server: &Server, pool: &Pool, count: usize) {
    let files = put_files(server, "down", count);
    let local = scratch_dir("pool-local");
    let pairs: Vec<FilePair> = files
        .iter()
        .map(|(name, _)| FilePair::new(name, local.join(name.replace('/', "_"))))
        .collect();
    let report = pool.download_files(&pairs, BatchOptions::default());
    assert!(
        report.is_success(),
        "{}: {:?}\n{}",
        server.kind.label(),
        report.first_error(),
        server.log()
    );
    for ((_, data), pair) in files.iter().zip(&pairs) {
        assert_eq!(sha256(&fs::read(&pair.local).unwrap()), sha256(data));
    }
    server.put_file("up/.keep", b"");
    let ups: Vec<FilePair> = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| FilePair::new(format!("up/u{i:03}.bin"), p.local.clone()))
        .collect();
    let report = pool.upload_files(
        &ups,
        BatchOptions {
            temporary_name: true,
            ..BatchOptions::default()
        },
    );
    assert!(
        report.is_success(),
        "{}: {:?}\n{}",
        server.kind.label(),
        report.first_error(),
        server.log()
    );
    for (i, (_, data)) in files.iter().enumerate() {
        let stored = server.read_file(&format!("up/u{i:03}.bin"));
        assert_eq!(sha256(&stored), sha256(data), "{}", server.kind.label());
    }
    let stats = pool.stats();
    assert!(stats.open <= pool.max_sessions(), "{stats:?}");
    let _ = fs::remove_dir_all(local);
}

#[test]
fn parallel_transfers_on_every_server() {
    for kind in Kind::ALL {
        let server = Server::start(kind);
        let pool = pool_for(&server, server.options(Mode::Epsv), 4);
        round_trip(&server, &pool, 16);
        // Never more than 4 opened: sessions came back and were reused for the uploads.
        let stats = pool.stats();
        assert!(stats.opened <= 4 && stats.reused > 0, "{kind:?} {stats:?}");
    }
}

#[test]
fn parallel_transfers_over_tls_resume_each_sessions_own_tls_session() {
    for kind in Kind::ALL {
        let server = Server::start_with(kind, Tls::Explicit, "127.0.0.1");
        let pool = pool_for(&server, server.tls_options(Mode::Epsv, TlsLevel::All), 4);
        round_trip(&server, &pool, 10);
        if kind.requires_tls_reuse() {
            // Every pooled session's data connections resume its own control connection's
            // TLS session (the server refuses them otherwise): four sessions at once, each
            // transfers once more and reports the resumption.
            let mut held: Vec<_> = (0..4).map(|_| pool.session().unwrap()).collect();
            for session in &mut held {
                let mut sink = Vec::new();
                let client = server.check(session.data_session(), "data session");
                server.check(client.retr("down/f002.bin", &mut sink), "RETR");
                assert_eq!(sink.len(), 4096);
                assert_eq!(
                    session.session_ref().last_data_tls_resumed(),
                    Some(true),
                    "{kind:?}"
                );
            }
            assert!(pool.stats().open >= 4, "{:?}", pool.stats());
        }
    }
}

/// Segmented downloads at sizes that do not split evenly, with ranges as small as one byte.
fn segmented_sizes(server: &Server, options: Options) {
    let pool = pool_for(server, options, 4);
    let local = scratch_dir("pool-seg");
    for (i, len) in [0usize, 1, 2, 3, 7, 4099, 1_000_003]
        .into_iter()
        .enumerate()
    {
        let data = pattern(len, 77 + i as u64);
        let name = format!("seg{i}.bin");
        server.put_file(&name, &data);
        let target = local.join(&name);
        let min_segment = (len as u64 / 8).max(1);
        let report = server.check(
            pool.download_segmented(
                &name,
                &target,
                SegmentedOptions {
                    max_segments: 4,
                    initial_segments: 4,
                    min_segment,
                    ..SegmentedOptions::default()
                },
            ),
            &format!("segmented download of {len} bytes"),
        );
        assert_eq!(report.size, len as u64);
        if len >= 2 * min_segment as usize {
            assert!(report.single_stream.is_none(), "{len}: {report:?}");
            assert!(report.ranges >= 2, "{len}: {report:?}");
            // ProFTPD's mod_digest offers HASH: the SHA-256 was compared before the rename.
            if server.kind == Kind::Proftpd {
                assert!(report.hash_checked, "{len}: {report:?}");
            }
        }
        assert_eq!(
            sha256(&fs::read(&target).unwrap()),
            sha256(&data),
            "{} {len} bytes {report:?}",
            server.kind.label()
        );
        assert!(!local.join(format!(".{name}.ftpc-part")).exists());
    }
    let _ = fs::remove_dir_all(local);
}

#[test]
fn segment_boundaries_on_every_server() {
    for kind in Kind::ALL {
        let server = Server::start(kind);
        segmented_sizes(&server, server.options(Mode::Epsv));
    }
}

#[test]
fn segment_boundaries_over_tls() {
    for kind in [Kind::Vsftpd, Kind::Proftpd, Kind::Pyftpdlib] {
        let server = Server::start_with(kind, Tls::Explicit, "127.0.0.1");
        segmented_sizes(&server, server.tls_options(Mode::Epsv, TlsLevel::All));
    }
}

/// Each server configured to allow 2 connections per client (vsftpd `max_per_ip` and
/// Pure-FTPd `-C` answer 421 at the greeting, pyftpdlib `max_cons_per_ip` too, ProFTPD's
/// `MaxClientsPerHost` a 530 at login): a pool of 4 settles at 2 and no transfer fails.
#[test]
fn a_server_allowing_two_connections_settles_the_pool_at_two() {
    for kind in Kind::ALL {
        let server = Server::start_full(
            kind,
            Tls::None,
            "127.0.0.1",
            "server",
            &["--max-per-ip", "2"],
        );
        let pool = pool_for(&server, server.options(Mode::Epsv), 4);
        round_trip(&server, &pool, 12);
        let stats = pool.stats();
        assert_eq!(stats.cap, 2, "{kind:?} {stats:?}");
        assert!(stats.refused >= 1, "{kind:?} {stats:?}");
        // A segmented download works within the limit too.
        let data = pattern(2_000_003, 5);
        server.put_file("big.bin", &data);
        let local = scratch_dir("pool-limit");
        let report = server.check(
            pool.download_segmented(
                "big.bin",
                local.join("big.bin"),
                SegmentedOptions {
                    initial_segments: 4,
                    min_segment: 64 * 1024,
                    ..SegmentedOptions::default()
                },
            ),
            "segmented download under a limit",
        );
        // Within the limit: the cap it settled at, or one more where the pool probed again
        // after its backoff and the server had a connection to spare by then (timing).
        assert!(report.connections <= pool.stats().cap + 1, "{report:?}");
        assert_eq!(
            sha256(&fs::read(local.join("big.bin")).unwrap()),
            sha256(&data)
        );
    }
}

#[test]
fn many_threads_share_one_pool() {
    let server = Server::start(Kind::Pyftpdlib);
    let pool = Arc::new(pool_for(&server, server.options(Mode::Epsv), 3));
    let local = scratch_dir("pool-threads");
    let threads: Vec<_> = (0..12)
        .map(|t| {
            let data = pattern(50_000 + t * 1013, t as u64);
            server.put_file(&format!("t{t}.bin"), &data);
            let pool = Arc::clone(&pool);
            let local = local.clone();
            thread::spawn(move || {
                for round in 0..3 {
                    let mut agent = pool.session().unwrap();
                    let target = local.join(format!("t{t}-{round}.bin"));
                    agent
                        .download_file(format!("t{t}.bin"), &target, Default::default())
                        .unwrap();
                    assert_eq!(sha256(&fs::read(&target).unwrap()), sha256(&data));
                    agent
                        .upload_file(&target, format!("t{t}-{round}.up"), Default::default())
                        .unwrap();
                }
                data
            })
        })
        .collect();
    for (t, thread) in threads.into_iter().enumerate() {
        let data = thread.join().unwrap();
        for round in 0..3 {
            assert_eq!(
                sha256(&server.read_file(&format!("t{t}-{round}.up"))),
                sha256(&data)
            );
        }
    }
    let stats = pool.stats();
    assert!(stats.opened <= 3, "{stats:?}");
    assert!(stats.open <= 3, "{stats:?}");
    let _ = fs::remove_dir_all(local);
}

#[test]
fn a_cut_segment_resumes_from_where_it_was() {
    // 2 MB/s per connection, so the cut comes in the middle of every range.
    let mut server = Server::start_full(
        Kind::Vsftpd,
        Tls::None,
        "127.0.0.1",
        "server",
        &["--max-rate", "2000000"],
    );
    let data = pattern(4_000_037, 9);
    server.put_file("cut.bin", &data);
    let pool = pool_for(&server, server.options(Mode::Epsv), 4);
    let local = scratch_dir("pool-cut");
    let target = local.join("cut.bin");
    let halfway = std::sync::atomic::AtomicBool::new(false);
    let mut progress = |done: u64, _total: u64| {
        if done > 1_000_000 {
            halfway.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        ftpc::Flow::Continue
    };
    let report = thread::scope(|scope| {
        let download = scope.spawn(|| {
            pool.download_segmented(
                "cut.bin",
                &target,
                SegmentedOptions {
                    initial_segments: 4,
                    min_segment: 256 * 1024,
                    progress: Some(&mut progress),
                    ..SegmentedOptions::default()
                },
            )
        });
        while !halfway.load(std::sync::atomic::Ordering::SeqCst) && !download.is_finished() {
            thread::sleep(Duration::from_millis(10));
        }
        // Every session dies with the server; the ranges resume on new ones.
        server.restart();
        download.join().unwrap()
    });
    let report = server.check(report, "segmented download across a server restart");
    assert!(report.resumed >= 1, "{report:?}");
    assert!(report.ranges >= 2, "{report:?}");
    assert_eq!(sha256(&fs::read(&target).unwrap()), sha256(&data));
    let _ = fs::remove_dir_all(local);
}

#[test]
fn cancel_from_another_thread_stops_every_session() {
    let server = Server::start_full(
        Kind::Vsftpd,
        Tls::None,
        "127.0.0.1",
        "server",
        &["--max-rate", "500000"],
    );
    let files: Vec<FilePair> = (0..4)
        .map(|i| {
            server.put_file(&format!("slow{i}.bin"), &pattern(5_000_000, i));
            FilePair::new(
                format!("slow{i}.bin"),
                scratch_dir("pool-cancel").join("x.bin"),
            )
        })
        .collect();
    let pool = pool_for(&server, server.options(Mode::Epsv), 4);
    let canceller = pool.clone();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(500));
        canceller.cancel();
    });
    let started = Instant::now();
    let report = pool.download_files(&files, BatchOptions::default());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(!report.is_success());
    assert!(
        matches!(report.first_error(), Some(Error::Aborted { .. })),
        "{report:?}"
    );
    stopper.join().unwrap();
    assert!(matches!(pool.session(), Err(Error::Aborted { .. })));
    assert!(pool.clear_cancel());
    let mut agent = pool.session().unwrap();
    agent.session().noop().unwrap();
}

/// Runs `tests/c/pool_test.c` (built as `exe`, under `wrapper` when given) against
/// pyftpdlib: handles, per-file results, the first error, progress that adds up, a segmented
/// download, callbacks calling back in. Returns its output.
fn run_pool_test(exe: &std::path::Path, wrapper: &[&str], env: &[(&str, &str)]) -> String {
    let server = Server::start(Kind::Pyftpdlib);
    for i in 0..6 {
        server.put_file(&format!("f{i}.bin"), &pattern(i * 1000 + 1, i as u64));
    }
    let big = pattern(3 * 1024 * 1024 + 1, 99);
    server.put_file("big.bin", &big);
    let work = scratch_dir("pool-c");
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut cmd = std::process::Command::new(program);
            cmd.args(args).arg(exe);
            cmd
        }
        None => std::process::Command::new(exe),
    };
    let out = cmd
        .args([&server.host, &server.port.to_string(), USER, PASSWORD])
        .arg(&work)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let output = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{output}");
    assert!(output.contains("all ok"), "{output}");
    assert_eq!(
        sha256(&fs::read(work.join("big.bin")).unwrap()),
        sha256(&big)
    );
    for i in 0..6 {
        assert_eq!(
            sha256(&server.read_file(&format!("up{i}.bin"))),
            sha256(&pattern(i * 1000 + 1, i as u64))
        );
    }
    let _ = fs::remove_dir_all(work);
    output
}

#[test]
fn the_c_api() {
    use common::cprog::{compile, Link};
    let exe = compile("pool_test.c", "pool_test", Link::Shared, "-O1");
    run_pool_test(&exe, &[], &[]);
}

#[test]
fn the_c_api_under_address_sanitizer() {
    use common::cprog::{compile, Link};
    let exe = compile("pool_test.c", "pool_test_asan", Link::StaticAsan, "-O1");
    let out = run_pool_test(
        &exe,
        &[],
        &[(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:exitcode=86",
        )],
    );
    assert!(
        !out.contains("AddressSanitizer") && !out.contains("LeakSanitizer"),
        "{out}"
    );
}

#[test]
fn the_c_api_under_valgrind() {
    use common::cprog::{compile, Link};
    let exe = compile("pool_test.c", "pool_test_valgrind", Link::Shared, "-O1");
    run_pool_test(
        &exe,
        &[
            "valgrind",
            "--quiet",
            "--error-exitcode=87",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ],
        &[],
    );
}

/// `examples-c/ftpget --segments N`, plain and over TLS.
#[test]
fn ftpget_with_segments() {
    use common::cprog::{compile, Link};
    let exe = compile("../../examples-c/ftpget.c", "ftpget", Link::Shared, "-O1");
    for (kind, tls) in [(Kind::Pyftpdlib, false), (Kind::Vsftpd, true)] {
        let server = if tls {
            Server::start_tls(kind, Tls::Explicit, "server")
        } else {
            Server::start(kind)
        };
        let data = pattern(5 * 1024 * 1024 + 7, 3);
        server.put_file("five.bin", &data);
        let work = scratch_dir("pool-ftpget");
        let scheme = if tls { "ftpes" } else { "ftp" };
        let url = format!("{scheme}://{USER}@127.0.0.1:{}/five.bin", server.port);
        let out = std::process::Command::new(&exe)
            .args(["--segments", "4", &url, "copy.bin"])
            .current_dir(&work)
            .env("FTP_PASSWORD", PASSWORD)
            .env("FTPC_CA_FILE", common::cert_dir().join("ca.pem"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("saved copy.bin ("), "{stdout}");
        assert_eq!(
            sha256(&fs::read(work.join("copy.bin")).unwrap()),
            sha256(&data)
        );
        let _ = fs::remove_dir_all(work);
    }
}

/// A local tree: files at the top, in directories, two levels down, an empty directory.
fn make_tree(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let files = [
        "top1.txt",
        "top2.bin",
        "a/a1.bin",
        "a/a2.bin",
        "a/x/ax1.bin",
        "a/x/ax2.bin",
        "b/b1.bin",
        "b/b2.bin",
        "b/b3.bin",
        "d/d1.txt",
        "d/e/f/def1.bin",
    ];
    fs::create_dir_all(root.join("c-empty")).unwrap();
    files
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let data = pattern(i * 7919 + 1, i as u64 + 40);
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &data).unwrap();
            (rel.to_string(), data)
        })
        .collect()
}

type Seen = Vec<(String, ftpc::SyncAction)>;

fn recorder(
    seen: &std::cell::RefCell<Seen>,
) -> impl FnMut(&ftpc::SyncEvent<'_>) -> ftpc::Flow + '_ {
    move |event| {
        assert!(event.files_done <= event.files_total, "{event:?}");
        seen.borrow_mut()
            .push((event.path.to_string(), event.action));
        ftpc::Flow::Continue
    }
}

fn sorted(mut seen: Seen) -> Seen {
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    seen
}

#[test]
fn parallel_sync_and_mirror_match_the_sequential_ones() {
    use ftpc::{ParallelSyncOptions, SyncAction, SyncOptions};
    for kind in Kind::ALL {
        let server = Server::start(kind);
        let local = scratch_dir("pool-tree");
        let files = make_tree(&local);
        let pool = pool_for(&server, server.options(Mode::Epsv), 4);
        // A dry run plans exactly what the sequential dry run plans, one event per path.
        let sequential = std::cell::RefCell::new(Seen::new());
        let mut agent = server.agent(Mode::Epsv);
        let mut on_event = recorder(&sequential);
        let options = SyncOptions {
            dry_run: true,
            on_event: Some(&mut on_event),
            ..SyncOptions::default()
        };
        server.check(agent.sync_directory(&local, "tree", options), "dry run");
        let parallel = std::cell::RefCell::new(Seen::new());
        let mut on_event = recorder(&parallel);
        let options = ParallelSyncOptions {
            dry_run: true,
            on_event: Some(&mut on_event),
            ..ParallelSyncOptions::default()
        };
        server.check(
            pool.sync_directory(&local, "tree", options),
            "parallel dry run",
        );
        assert_eq!(
            sorted(parallel.take()),
            sorted(sequential.take()),
            "{kind:?}"
        );
        // The real run, then nothing left to do.
        let seen = std::cell::RefCell::new(Seen::new());
        let mut on_event = recorder(&seen);
        let options = ParallelSyncOptions {
            on_event: Some(&mut on_event),
            ..ParallelSyncOptions::default()
        };
        let report = server.check(pool.sync_directory(&local, "tree", options), "sync");
        assert_eq!(report.uploaded, files.len() as u64, "{kind:?} {report:?}");
        assert_eq!(report.failed, 0);
        let seen = seen.take();
        let paths: std::collections::HashSet<_> = seen.iter().map(|s| s.0.clone()).collect();
        assert_eq!(paths.len(), seen.len(), "one event per path: {seen:?}");
        for (rel, data) in &files {
            assert_eq!(
                sha256(&server.read_file(&format!("tree/{rel}"))),
                sha256(data)
            );
        }
        let again = server.check(
            pool.sync_directory(&local, "tree", ParallelSyncOptions::default()),
            "second sync",
        );
        assert_eq!(again.uploaded, 0, "{kind:?} {again:?}");
        assert_eq!(again.skipped, files.len() as u64, "{kind:?} {again:?}");
        // Mirror it back into a new directory, then with delete over a changed copy.
        let back = scratch_dir("pool-mirror");
        let report = server.check(
            pool.mirror_directory("tree", &back, ParallelSyncOptions::default()),
            "mirror",
        );
        assert_eq!(report.downloaded, files.len() as u64, "{kind:?} {report:?}");
        for (rel, data) in &files {
            assert_eq!(sha256(&fs::read(back.join(rel)).unwrap()), sha256(data));
        }
        fs::write(back.join("b/extra.bin"), b"not on the server").unwrap();
        let seen = std::cell::RefCell::new(Seen::new());
        let mut on_event = recorder(&seen);
        let options = ParallelSyncOptions {
            delete: true,
            on_event: Some(&mut on_event),
            ..ParallelSyncOptions::default()
        };
        let report = server.check(
            pool.mirror_directory("tree", &back, options),
            "mirror with delete",
        );
        assert_eq!(report.deleted, 1, "{kind:?} {report:?}");
        assert!(seen
            .borrow()
            .contains(&("b/extra.bin".to_string(), SyncAction::Deleted)));
        assert!(!back.join("b/extra.bin").exists());
        let _ = fs::remove_dir_all(local);
        let _ = fs::remove_dir_all(back);
    }
}

/// `examples-c/ftpsync --parallel N` (ftp_pool_sync, ftp_pool_mirror), over TLS on ProFTPD.
#[test]
fn ftpsync_with_parallel() {
    use common::cprog::{compile, Link};
    let exe = compile("../../examples-c/ftpsync.c", "ftpsync", Link::Shared, "-O1");
    let server = Server::start_tls(Kind::Proftpd, Tls::Explicit, "server");
    let work = scratch_dir("pool-ftpsync");
    let files = make_tree(&work.join("tree"));
    let url = format!("ftpes://{USER}@127.0.0.1:{}/synced", server.port);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(&exe)
            .args(args)
            .current_dir(&work)
            .env("FTP_PASSWORD", PASSWORD)
            .env("FTPC_CA_FILE", common::cert_dir().join("ca.pem"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let out = run(&["--parallel", "4", "tree", &url]);
    assert_eq!(out.matches("uploaded").count(), files.len(), "{out}");
    let out = run(&["--parallel", "4", "tree", &url]);
    assert_eq!(out.matches("up to date").count(), files.len(), "{out}");
    let out = run(&["--download", "--parallel", "3", &url, "copy"]);
    assert_eq!(out.matches("downloaded").count(), files.len(), "{out}");
    for (rel, data) in &files {
        assert_eq!(
            sha256(&fs::read(work.join("copy").join(rel)).unwrap()),
            sha256(data)
        );
    }
    let _ = fs::remove_dir_all(work);
}

/// A server that does not announce `REST STREAM`: one stream, never a REST.
#[test]
fn without_rest_stream_a_segmented_download_is_one_stream() {
    use common::scripted::{tree_server, Tree};
    let data = pattern(3 * 1024 * 1024 + 5, 8);
    let served = data.clone();
    let server = tree_server(Tree {
        list: Box::new(|_| None),
        file: Box::new(move |path| (path == "big.bin").then(|| served.clone())),
    });
    let pool = Pool::new(
        "127.0.0.1",
        server.port,
        common::scripted::options(),
        "u",
        "p",
        PoolOptions::default(),
    )
    .unwrap();
    let local = scratch_dir("pool-norest");
    let report = pool
        .download_segmented(
            "big.bin",
            local.join("big.bin"),
            SegmentedOptions::default(),
        )
        .unwrap();
    assert_eq!(report.connections, 1, "{report:?}");
    assert!(
        report.single_stream.as_deref().unwrap().contains("REST"),
        "{report:?}"
    );
    assert_eq!(
        sha256(&fs::read(local.join("big.bin")).unwrap()),
        sha256(&data)
    );
    drop(pool);
    let transcript = server.finish();
    assert!(
        !transcript.iter().any(|c| c.starts_with("REST")),
        "{transcript:?}"
    );
    let _ = fs::remove_dir_all(local);
}

/// Many ranges on each session over TLS on ProFTPD, which requires every data connection to
/// resume the control connection's TLS session: six segmented downloads on the same two
/// sessions (a range's session is renewed first when its tickets are spent, as the agent's
/// own transfers do; this run did not need it), every byte checked.
#[test]
fn many_ranges_per_session_over_tls_on_proftpd() {
    let server = Server::start_with(Kind::Proftpd, Tls::Explicit, "127.0.0.1");
    let pool = pool_for(&server, server.tls_options(Mode::Epsv, TlsLevel::All), 2);
    let data = pattern(2_000_001, 12);
    server.put_file("many.bin", &data);
    let local = scratch_dir("pool-many-ranges");
    for round in 0..6 {
        let target = local.join(format!("many{round}.bin"));
        let report = server.check(
            pool.download_segmented(
                "many.bin",
                &target,
                SegmentedOptions {
                    initial_segments: 2,
                    min_segment: 16 * 1024,
                    ..SegmentedOptions::default()
                },
            ),
            &format!("segmented download {round}"),
        );
        assert!(report.ranges >= 2, "{report:?}");
        assert_eq!(sha256(&fs::read(&target).unwrap()), sha256(&data));
    }
    assert!(pool.stats().opened >= 2, "{:?}", pool.stats());
    let _ = fs::remove_dir_all(local);
}

/// A segmented download cancelled from another thread ends at once with `Aborted`, every
/// range's connection cut; the pool works again after `clear_cancel`.
#[test]
fn cancel_stops_a_segmented_download() {
    let server = Server::start_full(
        Kind::Vsftpd,
        Tls::None,
        "127.0.0.1",
        "server",
        &["--max-rate", "500000"],
    );
    server.put_file("slow.bin", &pattern(8_000_000, 4));
    let pool = pool_for(&server, server.options(Mode::Epsv), 4);
    let local = scratch_dir("pool-cancel-seg");
    let canceller = pool.clone();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        canceller.cancel();
    });
    let started = Instant::now();
    let err = pool
        .download_segmented(
            "slow.bin",
            local.join("slow.bin"),
            SegmentedOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(!local.join("slow.bin").exists());
    stopper.join().unwrap();
    assert!(pool.clear_cancel());
    let mut agent = pool.session().unwrap();
    agent.session().noop().unwrap();
    let _ = fs::remove_dir_all(local);
}

/// Idle sessions are checked with NOOP before reuse: after a server restart killed them all,
/// the next batch opens new ones and nothing fails; an idle session older than the idle
/// timeout is closed instead of reused.
#[test]
fn dead_or_old_idle_sessions_are_not_reused() {
    let mut server = Server::start(Kind::Pyftpdlib);
    let settings = PoolOptions {
        max_sessions: 3,
        retry: quick_retry(),
        ..PoolOptions::default()
    };
    let options = server.options(Mode::Epsv);
    let pool = Pool::new(&server.host, server.port, options, USER, PASSWORD, settings).unwrap();
    round_trip(&server, &pool, 6);
    let before = pool.stats();
    assert!(before.idle > 0, "{before:?}");
    server.restart();
    round_trip(&server, &pool, 6);
    let after = pool.stats();
    assert!(after.opened > before.opened, "{before:?} {after:?}");
    // Idle for longer than allowed: closed, and a new session opened.
    let settings = PoolOptions {
        max_sessions: 1,
        idle_timeout: Duration::from_millis(50),
        ..PoolOptions::default()
    };
    let options = server.options(Mode::Epsv);
    let pool = Pool::new(&server.host, server.port, options, USER, PASSWORD, settings).unwrap();
    drop(pool.session().unwrap());
    thread::sleep(Duration::from_millis(200));
    drop(pool.session().unwrap());
    let stats = pool.stats();
    assert_eq!((stats.opened, stats.reused), (2, 0), "{stats:?}");
    drop(pool.session().unwrap());
    assert_eq!(pool.stats().reused, 1, "{:?}", pool.stats());
}

#[test]
fn a_flat_directory_is_spread_over_the_workers() {
    // No subdirectories at all: the files themselves go to the workers.
    use ftpc::ParallelSyncOptions;
    let server = Server::start(Kind::Pyftpdlib);
    let local = scratch_dir("pool-flat");
    let mut files = Vec::new();
    for i in 0..24 {
        let data = pattern(200_000 + i * 1_000, i as u64);
        fs::write(local.join(format!("f{i:02}.bin")), &data).unwrap();
        files.push((format!("f{i:02}.bin"), data));
    }
    let pool = pool_for(&server, server.options(Mode::Epsv), 4);
    let mut totals = Vec::new();
    let mut on_event = |event: &ftpc::SyncEvent<'_>| {
        totals.push((event.files_done, event.files_total));
        ftpc::Flow::Continue
    };
    let options = ParallelSyncOptions {
        on_event: Some(&mut on_event),
        ..ParallelSyncOptions::default()
    };
    let report = server.check(pool.sync_directory(&local, "flat", options), "sync");
    assert_eq!((report.uploaded, report.failed), (24, 0), "{report:?}");
    // The total is known from the first event, and the count reaches it.
    assert!(totals.iter().all(|&(_, total)| total == 24), "{totals:?}");
    assert_eq!(totals.last(), Some(&(24, 24)));
    assert!(pool.stats().opened >= 2, "{:?}", pool.stats());
    for (name, data) in &files {
        assert_eq!(
            sha256(&server.read_file(&format!("flat/{name}"))),
            sha256(data)
        );
    }
    let back = scratch_dir("pool-flat-back");
    let report = server.check(
        pool.mirror_directory("flat", &back, ParallelSyncOptions::default()),
        "mirror",
    );
    assert_eq!((report.downloaded, report.failed), (24, 0), "{report:?}");
    for (name, data) in &files {
        assert_eq!(sha256(&fs::read(back.join(name)).unwrap()), sha256(data));
    }
}

#[test]
fn parallel_sync_verifies_each_file_where_the_server_can_hash() {
    use ftpc::ParallelSyncOptions;
    for (kind, can_hash) in [(Kind::Proftpd, true), (Kind::Vsftpd, false)] {
        let server = Server::start(kind);
        let local = scratch_dir("pool-verify");
        for i in 0..6 {
            fs::write(
                local.join(format!("v{i}.bin")),
                pattern(50_000 + i, i as u64),
            )
            .unwrap();
        }
        let pool = pool_for(&server, server.options(Mode::Epsv), 3);
        let options = ParallelSyncOptions {
            verify: true,
            ..ParallelSyncOptions::default()
        };
        let report = server.check(pool.sync_directory(&local, "verified", options), "sync");
        if can_hash {
            assert_eq!(
                (report.uploaded, report.failed),
                (6, 0),
                "{kind:?} {report:?}"
            );
        } else {
            // A server that cannot say: every transferred file is a failed path, none passes.
            assert_eq!(
                (report.uploaded, report.failed),
                (0, 6),
                "{kind:?} {report:?}"
            );
        }
    }
}
