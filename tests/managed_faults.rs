//! The production layer against a scripted server: backoff timings with an injectable clock,
//! a vetoed retry, and a mirror that refuses malicious names.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::scripted::{agent, options, Scripted};
use ftpc::{Agent, Clock, Error, Flow, Options, RetryPolicy, SyncAction, SyncOptions};

/// Records every sleep instead of sleeping.
#[derive(Clone, Default)]
struct FakeClock(Arc<Mutex<Vec<Duration>>>);

impl Clock for FakeClock {
    fn sleep(&mut self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

/// LIST answered 450 `busy` times, then served.
fn busy_list_server(busy: usize) -> Scripted {
    Scripted::start(move |s| {
        s.greet_and_login();
        // Before its first parsed LIST, a session asks SYST for a hint of the format.
        s.expect("SYST");
        s.send("215 UNIX Type: L8\r\n");
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        for attempt in 0..=busy {
            let listener = match s.recv() {
                Some(line) if line == "EPSV" => s.listen_epsv(),
                _ => return,
            };
            match s.recv() {
                Some(line) if line == "LIST" => {}
                _ => return,
            }
            if attempt < busy {
                s.send("450 busy, try later\r\n");
                continue;
            }
            let (mut data, _) = listener.accept().unwrap();
            s.send("150 here\r\n");
            data.write_all(b"-rw-r--r-- 1 u g 5 Jan 1 2020 f.txt\r\n")
                .unwrap();
            drop(data);
            s.send("226 done\r\n");
        }
        s.serve_until_quit();
    })
}

#[test]
fn backoff_timings_with_an_injectable_clock() {
    let server = busy_list_server(3);
    let mut ftp = agent(&server, options());
    let clock = FakeClock::default();
    ftp.set_retry_clock(Box::new(clock.clone()));
    ftp.set_retry_policy(RetryPolicy {
        max_attempts: 5,
        initial_delay: Duration::from_millis(100),
        multiplier: 3.0,
        max_delay: Duration::from_millis(500),
        jitter: 0.0,
    });
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = events.clone();
    ftp.set_retry_observer(Some(Box::new(move |e| {
        log.lock()
            .unwrap()
            .push((e.attempt, e.error.reply_code(), e.delay));
        Flow::Continue
    })));
    let started = std::time::Instant::now();
    let entries = ftp.list_dir("").expect("succeeds on the fourth attempt");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name(), "f.txt");
    // 100 ms, then x3 = 300 ms, then x3 = 900 ms capped at 500 ms; nothing actually slept.
    let ms = |v: u64| Duration::from_millis(v);
    assert_eq!(*clock.0.lock().unwrap(), [ms(100), ms(300), ms(500)]);
    assert_eq!(
        *events.lock().unwrap(),
        [(1, 450, ms(100)), (2, 450, ms(300)), (3, 450, ms(500))]
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    ftp.quit().unwrap();
    let transcript = server.finish();
    assert_eq!(transcript.iter().filter(|c| *c == "LIST").count(), 4);
}

#[test]
fn attempts_run_out_and_a_veto_stops_retrying() {
    let server = busy_list_server(10);
    let mut ftp = agent(&server, options());
    let clock = FakeClock::default();
    ftp.set_retry_clock(Box::new(clock.clone()));
    ftp.set_retry_policy(RetryPolicy {
        max_attempts: 3,
        jitter: 0.0,
        ..RetryPolicy::default()
    });
    let err = ftp.list_dir("").unwrap_err();
    assert!(matches!(err, Error::Temporary { .. }), "{err}");
    assert_eq!(
        clock.0.lock().unwrap().len(),
        2,
        "three attempts, two waits"
    );
    // A veto ends it at once.
    ftp.set_retry_observer(Some(Box::new(|_| Flow::Stop)));
    let err = ftp.list_dir("").unwrap_err();
    assert_eq!(err.reply_code(), 450);
    assert_eq!(clock.0.lock().unwrap().len(), 2, "no wait after a veto");
    drop(ftp);
    let transcript = server.finish();
    assert_eq!(transcript.iter().filter(|c| *c == "LIST").count(), 4);
}

#[test]
fn mirror_refuses_malicious_names() {
    let server = Scripted::start(|s| {
        s.send("220 scripted\r\n");
        while let Some(line) = s.recv() {
            let verb = line.split(' ').next().unwrap_or("").to_string();
            match verb.as_str() {
                "USER" => s.send("331 pw\r\n"),
                "PASS" => s.send("230 in\r\n"),
                "FEAT" => {
                    s.send("211-Features:\r\n MLST type*;size*;modify*;\r\n EPSV\r\n211 End\r\n")
                }
                "TYPE" | "NOOP" => s.send("200 ok\r\n"),
                "SIZE" => s.send("213 5\r\n"),
                "MDTM" => s.send("213 20240101000000\r\n"),
                "EPSV" => {
                    let listener = s.listen_epsv();
                    let next = s.recv().unwrap_or_default();
                    let (mut data, _) = listener.accept().unwrap();
                    s.send("150 here\r\n");
                    if next.starts_with("MLSD") {
                        data.write_all(
                            b"type=file;size=5;modify=20240101000000; ../evil.txt\r\n\
                              type=file;size=5;modify=20240101000000; /tmp/ftpc-evil-absolute.txt\r\n\
                              type=file;size=5;modify=20240101000000; a/b.txt\r\n\
                              type=dir;modify=20240101000000; ..\r\n\
                              type=file;size=5;modify=20240101000000; ok.txt\r\n",
                        )
                        .unwrap();
                    } else if next == "RETR ok.txt" {
                        data.write_all(b"hello").unwrap();
                    } else {
                        panic!("the client asked for {next:?}");
                    }
                    drop(data);
                    s.send("226 done\r\n");
                }
                "QUIT" => {
                    s.send("221 bye\r\n");
                    return;
                }
                _ => s.send("500 no\r\n"),
            }
        }
    });
    let mut ftp = agent(&server, options());
    let base = common::scratch_dir("mirror-evil");
    let target = base.join("inside");
    let mut refused = Vec::new();
    let mut on_event = |e: &ftpc::SyncEvent<'_>| {
        if e.action == SyncAction::Failed {
            refused.push(e.path.to_string());
            assert!(e
                .error
                .unwrap()
                .to_string()
                .contains("refused as a local file name"));
        }
        Flow::Continue
    };
    let report = ftp
        .mirror_directory(
            "",
            &target,
            SyncOptions {
                on_event: Some(&mut on_event),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.downloaded, 1);
    assert_eq!(report.failed, 3, "{refused:?}");
    assert_eq!(std::fs::read(target.join("ok.txt")).unwrap(), b"hello");
    let inside: Vec<_> = std::fs::read_dir(&target).unwrap().collect();
    assert_eq!(inside.len(), 1);
    assert!(!base.join("evil.txt").exists());
    assert!(!std::path::Path::new("/tmp/ftpc-evil-absolute.txt").exists());
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn sync_compares_by_server_side_hash() {
    fn sha256_hex(data: &[u8]) -> String {
        common::sha256(data)
    }
    let server = Scripted::start(|s| {
        s.send("220 scripted\r\n");
        let mut stored = Vec::new();
        while let Some(line) = s.recv() {
            let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match verb {
                "USER" => s.send("331 pw\r\n"),
                "PASS" => s.send("230 in\r\n"),
                "FEAT" => s.send(
                    "211-Features:\r\n MLST type*;size*;modify*;\r\n HASH SHA-1*;SHA-256;MD5\r\n EPSV\r\n211 End\r\n",
                ),
                "OPTS" if arg == "HASH SHA-256" => s.send("200 SHA-256\r\n"),
                "TYPE" => s.send("200 ok\r\n"),
                "MLST" if arg == "up" => s.send("250-facts\r\n type=dir; up\r\n250 End\r\n"),
                "HASH" if arg == "up/same.txt" => {
                    s.send(&format!("213 SHA-256 0-4 {} up/same.txt\r\n", sha256_hex(b"hello")))
                }
                "HASH" if arg == "up/diff.txt" => {
                    s.send(&format!("213 SHA-256 0-4 {} up/diff.txt\r\n", sha256_hex(b"other")))
                }
                "SIZE" if arg == "up/diff.txt" => s.send("213 5\r\n"),
                "MDTM" => s.send("213 20000101000000\r\n"),
                "EPSV" => {
                    let listener = s.listen_epsv();
                    let next = s.recv().unwrap_or_default();
                    let (mut data, _) = listener.accept().unwrap();
                    s.send("150 here\r\n");
                    if next == "MLSD up" {
                        data.write_all(
                            b"type=file;size=5;modify=20000101000000; same.txt\r\n\
                              type=file;size=5;modify=20000101000000; diff.txt\r\n",
                        )
                        .unwrap();
                    } else if next == "STOR up/diff.txt" {
                        stored = common::scripted::drain(&mut data);
                    } else {
                        panic!("unexpected {next:?}");
                    }
                    drop(data);
                    s.send("226 done\r\n");
                }
                "QUIT" => {
                    s.send("221 bye\r\n");
                    break;
                }
                _ => s.send("500 no\r\n"),
            }
        }
        assert_eq!(stored, b"world");
    });
    let local = common::scratch_dir("hash-sync");
    std::fs::write(local.join("same.txt"), b"hello").unwrap();
    std::fs::write(local.join("diff.txt"), b"world").unwrap();
    let mut ftp = agent(&server, options());
    let mut events = Vec::new();
    let mut on_event = |e: &ftpc::SyncEvent<'_>| {
        events.push((e.action, e.path.to_string()));
        Flow::Continue
    };
    let report = ftp
        .sync_directory(
            &local,
            "up",
            SyncOptions {
                on_event: Some(&mut on_event),
                ..Default::default()
            },
        )
        .unwrap();
    // same.txt is older on the server than locally, but its content is the same: skipped.
    assert_eq!(
        (report.skipped, report.uploaded, report.failed),
        (1, 1, 0),
        "{events:?}"
    );
    assert!(events.contains(&(SyncAction::Skipped, "same.txt".to_string())));
    assert!(events.contains(&(SyncAction::Uploaded, "diff.txt".to_string())));
    ftp.quit().unwrap();
    let transcript = server.finish();
    assert!(
        transcript.contains(&"OPTS HASH SHA-256".to_string()),
        "{transcript:?}"
    );
    assert!(transcript.contains(&"HASH up/same.txt".to_string()));
}

/// A server whose `MLST a` resolves relative to `/` (not the working directory) and whose MKD
/// of an existing directory answers `550 File not found`: ensure_directory of a relative path
/// works on absolute paths and checks a refused MLST again with CWD.
#[test]
fn ensure_directory_on_a_server_with_odd_mlst_and_mkd() {
    let server = Scripted::start(|s| {
        s.send("220 odd server\r\n");
        s.expect("USER");
        s.send("331 pw\r\n");
        s.expect("PASS");
        s.send("230 in\r\n");
        let mut dirs: Vec<String> = vec!["/".into(), "/home".into(), "/home/a".into()];
        let mut cwd = "/home".to_string();
        let resolve_wrong = |p: &str| {
            if p.starts_with('/') {
                p.to_string()
            } else {
                format!("/{p}")
            }
        };
        while let Some(line) = s.recv() {
            let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
            let cwd_join = |cwd: &str, p: &str| {
                if p.starts_with('/') {
                    p.to_string()
                } else {
                    format!("{}/{p}", cwd.trim_end_matches('/'))
                }
            };
            match verb {
                "FEAT" => s.send("211-Features:\r\n MLST type*;\r\n211 End\r\n"),
                "PWD" => s.send(&format!("257 \"{cwd}\"\r\n")),
                "MLST" => {
                    // The bug: relative to / whatever the working directory.
                    let p = resolve_wrong(arg);
                    if dirs.contains(&p) {
                        s.send(&format!("250-Listing\r\n type=dir; {p}\r\n250 End\r\n"));
                    } else {
                        s.send("550 No such file\r\n");
                    }
                }
                "CWD" => {
                    let p = cwd_join(&cwd, arg);
                    if dirs.contains(&p) {
                        cwd = p;
                        s.send("250 ok\r\n");
                    } else {
                        s.send("550 No such directory\r\n");
                    }
                }
                "MKD" => {
                    let p = cwd_join(&cwd, arg);
                    if dirs.contains(&p) {
                        s.send("550 File not found\r\n");
                    } else {
                        dirs.push(p.clone());
                        s.send(&format!("257 \"{p}\" created\r\n"));
                    }
                }
                "QUIT" => {
                    s.send("221 bye\r\n");
                    break;
                }
                _ => s.send("502 not here\r\n"),
            }
        }
        assert!(dirs.contains(&"/home/a/b/c".to_string()), "{dirs:?}");
    });
    let mut ftp = Agent::connect(
        "127.0.0.1",
        server.port,
        Options::default().with_timeout(Some(Duration::from_secs(5))),
    )
    .unwrap();
    ftp.login("u", "p").unwrap();
    ftp.ensure_directory("a/b/c").expect("ensure_directory");
    ftp.ensure_directory("a/b/c").expect("again: it exists");
    ftp.quit().unwrap();
    server.finish();
}
