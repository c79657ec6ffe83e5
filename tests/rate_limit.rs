//! Bandwidth limits in real transfers against scripted servers: the first block counts, uploads
//! and downloads are paced, and one `RateLimit` shared by two sessions holds for both together.
//! (The limiter's arithmetic is tested with an injected clock in src/rate.rs; `make bench`
//! measures a 10 s transfer at 20 MB/s.)

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::scripted::{login, options, Scripted};
use ftpc::RateLimit;

/// A server that sends `size` bytes for `RETR f` as fast as it can.
fn fast_download(size: usize) -> Scripted {
    Scripted::start(move |s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        data.write_all(&vec![1u8; size]).unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    })
}

#[test]
fn a_download_keeps_to_its_limit_from_the_first_block() {
    let server = fast_download(1_000_000);
    let mut opts = options();
    opts.download_rate = Some(RateLimit::new(4_000_000).unwrap());
    let mut ftp = login(&server, opts);
    let started = Instant::now();
    let mut got = Vec::new();
    assert_eq!(ftp.retr("f", &mut got).unwrap(), 1_000_000);
    let took = started.elapsed();
    // 1 MB at 4 MB/s: 250 ms, the first block included (the bucket starts empty).
    assert!(took >= Duration::from_millis(245), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    drop(ftp);
    server.finish();
}

#[test]
fn an_upload_keeps_to_its_limit() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR g");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send\r\n");
        assert_eq!(common::scripted::drain(&mut data).len(), 600_000);
        s.send("226 stored\r\n");
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.upload_rate = Some(RateLimit::new(2_000_000).unwrap());
    // A download limit does not slow uploads.
    opts.download_rate = Some(RateLimit::new(1).unwrap());
    let mut ftp = login(&server, opts);
    let started = Instant::now();
    ftp.stor("g", &mut &vec![2u8; 600_000][..]).unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(295), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    drop(ftp);
    server.finish();
}

#[test]
fn one_limit_shared_by_two_sessions_holds_for_both() {
    let shared = RateLimit::new(4_000_000).unwrap();
    let servers = [fast_download(500_000), fast_download(500_000)];
    let started = Instant::now();
    std::thread::scope(|scope| {
        for server in &servers {
            let mut opts = options();
            opts.download_rate = Some(shared.clone());
            scope.spawn(move || {
                let mut ftp = login(server, opts);
                let mut got = Vec::new();
                assert_eq!(ftp.retr("f", &mut got).unwrap(), 500_000);
            });
        }
    });
    let took = started.elapsed();
    // 1 MB in all through one 4 MB/s bucket: 250 ms at least, whichever session moved what.
    assert!(took >= Duration::from_millis(245), "{took:?}");
    for server in servers {
        server.finish();
    }
}

#[test]
fn a_cancelled_session_stops_waiting_for_its_limit() {
    let server = fast_download(1_000_000);
    let mut opts = options();
    opts.download_rate = Some(RateLimit::new(100_000).unwrap());
    let mut ftp = login(&server, opts);
    let canceller = ftp.canceller();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        canceller.cancel();
    });
    let started = Instant::now();
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    // 1 MB at 100 kB/s would take 10 s; the cancel ends it at once.
    assert!(started.elapsed() < Duration::from_secs(2), "{err}");
    assert!(matches!(err, ftpc::Error::Aborted { .. }), "{err}");
    stopper.join().unwrap();
    drop(ftp);
    drop(server);
}

/// The pool's sessions are made from one `Options`, so one `RateLimit` in it holds for all of
/// them together: four files over four workers take as long as the limit says for the total.
#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn a_pool_shares_one_limit_across_its_sessions() {
    use common::{Kind, Mode, Server};
    use ftpc::{BatchOptions, FilePair, Pool, PoolOptions};
    let server = Server::start(Kind::Pyftpdlib);
    let dir = common::scratch_dir("rate-pool");
    let mut files = Vec::new();
    for i in 0..4 {
        server.put_file(&format!("f{i}.bin"), &common::pattern(250_000, i));
        files.push(FilePair::new(
            format!("f{i}.bin"),
            dir.join(format!("f{i}.bin")),
        ));
    }
    let mut options = server.options(Mode::Epsv);
    options.download_rate = Some(RateLimit::new(2_000_000).unwrap());
    let pool = Pool::new(
        "127.0.0.1",
        server.port,
        options,
        common::USER,
        common::PASSWORD,
        PoolOptions::default(),
    )
    .unwrap();
    let started = Instant::now();
    let report = pool.download_files(
        &files,
        BatchOptions {
            workers: 4,
            ..Default::default()
        },
    );
    let took = started.elapsed();
    assert_eq!(report.done(), 4, "{:?}", report.first_error());
    // 1 MB in all at 2 MB/s: half a second at least, however the workers share it.
    assert!(took >= Duration::from_millis(490), "{took:?}");
}
