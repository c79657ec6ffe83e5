//! Keepalive: a server that drops a control connection idle for 3 s, and a download throttled
//! to last 10 s. With NOOPs every second the download succeeds; without, the client reports
//! the server's closing reply clearly.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::scripted::{login, options, Scripted};
use ftpc::{Error, Options};

const CHUNKS: usize = 10;
const CHUNK: usize = 10_000;

fn idle_dropping_server() -> Scripted {
    Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here comes a slow file\r\n");
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..CHUNKS {
                let _ = data.write_all(&[i as u8; CHUNK]);
                std::thread::sleep(Duration::from_secs(1));
            }
            drop(data);
            finished.store(true, Ordering::SeqCst);
        });
        // Poll briefly, so the final reply goes out as soon as the data is done, and count
        // idleness from the last command.
        s.set_read_timeout(Duration::from_millis(200));
        let mut last_command = std::time::Instant::now();
        loop {
            if done.load(Ordering::SeqCst) {
                s.send("226 Transfer complete\r\n");
                break;
            }
            match s.recv() {
                Some(line) if line == "NOOP" => {
                    last_command = std::time::Instant::now();
                    s.send("200 NOOP ok\r\n");
                }
                Some(_) => s.send("500 not now\r\n"),
                None if last_command.elapsed() >= Duration::from_secs(3) => {
                    s.send("421 Idle timeout, closing control connection\r\n");
                    writer.join().unwrap();
                    return;
                }
                None => {}
            }
        }
        writer.join().unwrap();
        s.set_read_timeout(Duration::from_secs(10));
        s.serve_until_quit();
    })
}

fn download(keepalive: Option<Duration>) -> (Result<Vec<u8>, Error>, Vec<String>) {
    let server = idle_dropping_server();
    let mut options = Options::default().with_timeout(Some(Duration::from_secs(20)));
    options.keepalive_interval = keepalive;
    let mut ftp = login(&server, options);
    let mut got = Vec::new();
    let result = ftp.retr("slow.bin", &mut got).map(|_| got);
    if result.is_ok() {
        // The NOOP replies were all accounted for: the session is in step.
        assert_eq!(ftp.noop().unwrap().code(), 200);
        ftp.quit().unwrap();
    } else {
        drop(ftp);
    }
    (result, server.finish())
}

#[test]
fn with_keepalive_the_slow_download_completes() {
    let (result, transcript) = download(Some(Duration::from_secs(1)));
    let data =
        result.unwrap_or_else(|e| panic!("keepalive failed: {e}; transcript {transcript:?}"));
    assert_eq!(data.len(), CHUNKS * CHUNK);
    let noops = transcript.iter().filter(|c| *c == "NOOP").count();
    assert!(
        noops >= 6,
        "NOOPs sent during the transfer: {noops} ({transcript:?})"
    );
}

#[test]
fn without_keepalive_the_idle_drop_is_reported() {
    let (result, transcript) = download(None);
    let err = result.unwrap_err();
    assert_eq!(err.reply_code(), 421, "{err}");
    assert!(err.to_string().contains("Idle timeout"), "{err}");
    assert!(!transcript.iter().any(|c| c == "NOOP"));
}

/// A server that refuses NOOP during transfers (`500`) and then completes the transfer: the
/// download succeeds, the refusal is not taken for its outcome, and no more NOOPs are sent.
#[test]
fn a_refused_keepalive_does_not_decide_the_transfer() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 slow file\r\n");
        let writer = std::thread::spawn(move || {
            for i in 0..4u8 {
                let _ = data.write_all(&[i; CHUNK]);
                std::thread::sleep(Duration::from_millis(400));
            }
        });
        s.expect("NOOP");
        s.send("500 NOOP not allowed during a transfer\r\n");
        writer.join().unwrap();
        s.send("226 Transfer complete\r\n");
        s.serve_until_quit();
    });
    let mut options = options();
    options.keepalive_interval = Some(Duration::from_millis(200));
    let mut ftp = login(&server, options);
    let mut got = Vec::new();
    let n = ftp
        .retr("slow.bin", &mut got)
        .expect("the transfer completed");
    assert_eq!(n as usize, 4 * CHUNK);
    ftp.noop().expect("the session is in step");
    ftp.quit().unwrap();
    let transcript = server.finish();
    let noops = transcript.iter().filter(|c| *c == "NOOP").count();
    assert_eq!(
        noops, 2,
        "one keepalive, then only our own NOOP: {transcript:?}"
    );
}
