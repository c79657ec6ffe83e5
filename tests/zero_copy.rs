//! Transfers between a data connection and a local file without copies through user space
//! (`Client::retr_to_file`: splice(2); `Client::stor_from_file`: sendfile(2)), and the cases
//! that must take the copy loop instead. The path taken shows in the progress steps: with a
//! 4 KiB block size the copy loop reports at most 4 KiB at a time, the zero-copy path whole
//! chunks (up to 1 MiB). This process is a Rust program, so it ignores SIGPIPE and uploads
//! may use sendfile; the C host's side is in `c_faults.rs`.
//!
//! The real-server tests need `--features real-servers`; the scripted ones run anywhere.

mod common;

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::time::{Duration, Instant};

use common::scripted::{drain, login, options, Scripted};
use ftpc::{Error, Options, TimeoutPhase, TransferOptions};

fn scratch_file(dir: &std::path::Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

mod real {
    use super::*;
    use common::{pattern, scratch_dir, sha256, Kind, Mode, Server};
    use ftpc::{Client, Flow, TransferType};
    use std::io::SeekFrom;

    const BLOCK: usize = 4096;

    /// Runs `transfer` with a progress observer; returns its result and the largest step.
    fn with_steps<T>(
        stop_after: Option<u64>,
        transfer: impl FnOnce(TransferOptions<'_>) -> ftpc::Result<T>,
    ) -> (ftpc::Result<T>, u64) {
        let mut last = 0u64;
        let mut largest = 0u64;
        let mut observer = |done: u64, _total: Option<u64>| {
            largest = largest.max(done - last);
            last = done;
            match stop_after {
                Some(limit) if done >= limit => Flow::Stop,
                _ => Flow::Continue,
            }
        };
        let result = transfer(TransferOptions {
            progress: Some(&mut observer),
            ..Default::default()
        });
        (result, largest)
    }

    const SIZES: [usize; 6] = [0, 1, 4095, 65_537, 3 * 1024 * 1024 + 5, 9 * 1024 * 1024 + 3];

    fn client(server: &Server) -> Client {
        let mut opts = server.options(Mode::Epsv);
        opts.block_size = BLOCK;
        opts.zero_copy_upload = true;
        server.client_with(opts)
    }

    fn round_trips(kind: Kind) {
        let server = Server::start(kind);
        let dir = scratch_dir(&format!("zero-copy-{}", kind.label()));
        let mut ftp = client(&server);
        for (i, &size) in SIZES.iter().enumerate() {
            let data = pattern(size, i as u64 + 11);
            let want = sha256(&data);

            // Download into a file (splice).
            let name = format!("down-{size}.bin");
            server.put_file(&name, &data);
            let local = dir.join(&name);
            let mut file = File::create(&local).unwrap();
            let (n, largest) = with_steps(None, |o| ftp.retr_to_file(&name, o, &mut file));
            let n = server.check(n, &format!("retr_to_file {name}"));
            assert_eq!(n as usize, size, "{kind:?} RETR byte count");
            assert_eq!(file.stream_position().unwrap(), size as u64);
            assert_eq!(
                sha256(&std::fs::read(&local).unwrap()),
                want,
                "{kind:?} RETR {size}"
            );
            if size > 1024 * 1024 {
                assert!(largest > BLOCK as u64, "{kind:?}: not spliced ({largest})");
            }

            // Upload from a file (sendfile).
            let up = format!("up-{size}.bin");
            let mut file = File::open(&local).unwrap();
            let (n, largest) = with_steps(None, |mut o| {
                o.total = Some(size as u64);
                ftp.stor_from_file(&up, o, &mut file)
            });
            let n = server.check(n, &format!("stor_from_file {up}"));
            assert_eq!(n as usize, size);
            assert_eq!(sha256(&server.read_file(&up)), want, "{kind:?} STOR {size}");
            if size > 1024 * 1024 {
                assert!(largest > BLOCK as u64, "{kind:?}: not sent with sendfile");
            }
        }

        // Resume a download from a partial local file (REST, written at the file's end).
        let data = pattern(2 * 1024 * 1024 + 17, 99);
        server.put_file("resume.bin", &data);
        let local = scratch_file(&dir, "resume.bin", &data[..777_777]);
        let n = server.check(
            ftp.retr_to_path("resume.bin", &local, true, None),
            "retr_to_path resume",
        );
        assert_eq!(n as usize, data.len() - 777_777);
        assert_eq!(sha256(&std::fs::read(&local).unwrap()), sha256(&data));

        // Stopped by progress: ABOR, and the session goes on, both ways.
        let big = pattern(16 * 1024 * 1024, 5);
        server.put_file("big.bin", &big);
        let mut file = File::create(dir.join("stopped.bin")).unwrap();
        let (result, _) = with_steps(Some(1), |o| ftp.retr_to_file("big.bin", o, &mut file));
        assert!(matches!(result, Err(Error::Aborted { .. })), "{result:?}");
        let local = scratch_file(&dir, "big.bin", &big);
        let mut file = File::open(&local).unwrap();
        let (result, _) = with_steps(Some(1), |o| ftp.stor_from_file("big-up.bin", o, &mut file));
        assert!(matches!(result, Err(Error::Aborted { .. })), "{result:?}");
        assert_eq!(ftp.noop().expect("NOOP after the aborts").code(), 200);

        // And still transfers correctly afterwards.
        let mut file = File::create(dir.join("after.bin")).unwrap();
        let n = server.check(
            ftp.retr_to_file("big.bin", TransferOptions::default(), &mut file),
            "RETR after the aborts",
        );
        assert_eq!(n as usize, big.len());
        assert_eq!(
            sha256(&std::fs::read(dir.join("after.bin")).unwrap()),
            sha256(&big)
        );
        ftp.quit().expect("QUIT");
    }

    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn pyftpdlib_round_trips() {
        round_trips(Kind::Pyftpdlib);
    }

    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn vsftpd_round_trips() {
        round_trips(Kind::Vsftpd);
    }

    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn proftpd_round_trips() {
        round_trips(Kind::Proftpd);
    }

    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn pureftpd_round_trips() {
        round_trips(Kind::PureFtpd);
    }

    /// An upload continued with REST from an offset of the local file.
    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn upload_resumed_from_an_offset() {
        let server = Server::start(Kind::Pyftpdlib);
        let dir = scratch_dir("zero-copy-rest");
        let data = pattern(3 * 1024 * 1024 + 1, 7);
        server.put_file("part.bin", &data[..1_000_001]);
        let local = scratch_file(&dir, "whole.bin", &data);
        let mut ftp = client(&server);
        let mut file = File::open(&local).unwrap();
        file.seek(SeekFrom::Start(1_000_001)).unwrap();
        let options = TransferOptions {
            offset: 1_000_001,
            total: Some(data.len() as u64),
            ..Default::default()
        };
        let n = server.check(
            ftp.stor_from_file("part.bin", options, &mut file),
            "REST STOR",
        );
        assert_eq!(n as usize, data.len() - 1_000_001);
        assert_eq!(sha256(&server.read_file("part.bin")), sha256(&data));
    }

    /// TYPE A and TLS data connections take the copy loop (4 KiB steps), with the same bytes
    /// as before.
    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn ascii_and_tls_take_the_copy_loop() {
        let server = Server::start(Kind::Pyftpdlib);
        let dir = scratch_dir("zero-copy-fallback");
        let text = b"one\r\ntwo\r\n".repeat(100_000);
        server.put_file("text.txt", &text);
        let mut opts = server.options(Mode::Epsv);
        opts.block_size = BLOCK;
        opts.transfer_type = TransferType::Ascii;
        let mut ftp = server.client_with(opts);
        let mut file = File::create(dir.join("text.txt")).unwrap();
        let (n, largest) = with_steps(None, |o| ftp.retr_to_file("text.txt", o, &mut file));
        server.check(n, "ASCII RETR");
        assert!(largest <= BLOCK as u64, "{largest}");
        assert_eq!(
            std::fs::read(dir.join("text.txt")).unwrap(),
            b"one\ntwo\n".repeat(100_000)
        );

        let server = Server::start_tls(Kind::Pyftpdlib, common::Tls::Explicit, "server");
        let data = pattern(3 * 1024 * 1024, 3);
        server.put_file("tls.bin", &data);
        let mut opts = server.tls_options(Mode::Epsv, ftpc::TlsLevel::All);
        opts.block_size = BLOCK;
        opts.zero_copy_upload = true;
        let mut ftp = server.client_with(opts);
        let mut file = File::create(dir.join("tls.bin")).unwrap();
        let (n, largest) = with_steps(None, |o| ftp.retr_to_file("tls.bin", o, &mut file));
        server.check(n, "TLS RETR");
        assert!(largest <= BLOCK as u64, "{largest}");
        assert_eq!(
            sha256(&std::fs::read(dir.join("tls.bin")).unwrap()),
            sha256(&data)
        );
        let mut file = File::open(dir.join("tls.bin")).unwrap();
        let (n, largest) = with_steps(None, |o| ftp.stor_from_file("tls-up.bin", o, &mut file));
        server.check(n, "TLS STOR");
        assert!(largest <= BLOCK as u64, "{largest}");
        assert_eq!(sha256(&server.read_file("tls-up.bin")), sha256(&data));
    }

    /// A FIFO is spliced into; a socket takes the copy loop (splice into a socket could raise
    /// SIGPIPE); uploads keep to the copy loop unless `Options::zero_copy_upload` is on.
    #[test]
    #[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
    fn fifos_sockets_and_the_upload_switch() {
        let server = Server::start(Kind::Vsftpd);
        let data = pattern(4 * 1024 * 1024 + 9, 4);
        server.put_file("f.bin", &data);
        let mut ftp = client(&server);

        let (read, write) = rustix::pipe::pipe().unwrap();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            File::from(read).read_to_end(&mut got).unwrap();
            got
        });
        let mut fifo = File::from(write);
        let (n, largest) = with_steps(None, |o| ftp.retr_to_file("f.bin", o, &mut fifo));
        server.check(n, "RETR into a pipe");
        drop(fifo);
        assert_eq!(sha256(&reader.join().unwrap()), sha256(&data));
        assert!(
            largest > BLOCK as u64,
            "not spliced into the pipe ({largest})"
        );

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let near = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut far, _) = listener.accept().unwrap();
        let reader = std::thread::spawn(move || drain(&mut far));
        let mut socket = File::from(std::os::fd::OwnedFd::from(near));
        let (n, largest) = with_steps(None, |o| ftp.retr_to_file("f.bin", o, &mut socket));
        server.check(n, "RETR into a socket");
        drop(socket);
        assert_eq!(sha256(&reader.join().unwrap()), sha256(&data));
        assert!(largest <= BLOCK as u64, "spliced into a socket ({largest})");

        let dir = scratch_dir("zero-copy-switch");
        let local = scratch_file(&dir, "f.bin", &data);
        let mut opts = server.options(Mode::Epsv);
        opts.block_size = BLOCK;
        assert!(!opts.zero_copy_upload, "off by default");
        let mut ftp = server.client_with(opts);
        let mut file = File::open(&local).unwrap();
        let (n, largest) = with_steps(None, |o| ftp.stor_from_file("g.bin", o, &mut file));
        server.check(n, "STOR by default");
        assert!(largest <= BLOCK as u64, "{largest}");
        assert_eq!(sha256(&server.read_file("g.bin")), sha256(&data));
    }
}

// ---- scripted servers: faults ------------------------------------------------------------

fn temp_dir(label: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ftpc-zero-copy-{label}-{}-{}",
        std::process::id(),
        rustix::process::getuid().as_raw()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The scripted servers' options, with uploads by sendfile(2).
fn zero_copy_upload() -> Options {
    let mut opts = options();
    opts.zero_copy_upload = true;
    opts
}

/// A server that stops sending mid-download: a data idle timeout, not a hang.
#[test]
fn a_stalled_download_times_out() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        data.write_all(&[5u8; 100_000]).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let mut opts = options();
    opts.data_idle_timeout = Some(Duration::from_millis(500));
    let mut ftp = login(&server, opts);
    let dir = temp_dir("stall");
    let mut file = File::create(dir.join("f")).unwrap();
    let started = Instant::now();
    let err = ftp
        .retr_to_file("f", TransferOptions::default(), &mut file)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::DataIdle,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // What arrived before the stall is in the file.
    assert_eq!(file.stream_position().unwrap(), 100_000);
    drop(ftp);
    server.finish();
}

/// A server that stops reading mid-upload: a data idle timeout.
#[test]
fn a_stalled_upload_times_out() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR f");
        let (data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let mut opts = options();
    opts.data_idle_timeout = Some(Duration::from_millis(500));
    opts.zero_copy_upload = true;
    let mut ftp = login(&server, opts);
    let dir = temp_dir("stall-up");
    let local = scratch_file(&dir, "f", &vec![3u8; 64 * 1024 * 1024]);
    let mut file = File::open(local).unwrap();
    let started = Instant::now();
    let err = ftp
        .stor_from_file("f", TransferOptions::default(), &mut file)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::DataIdle,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(ftp);
    server.finish();
}

/// The server reads a little, then resets the data connection and explains: its reply is
/// the error (sendfile's EPIPE raises SIGPIPE, which this Rust process ignores), and the
/// session goes on.
#[test]
fn an_upload_reset_by_the_server_is_its_reply() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        let mut buf = [0u8; 10_000];
        let _ = data.read(&mut buf);
        socket2::SockRef::from(&data)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(data);
        s.send("452 Insufficient storage space\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, zero_copy_upload());
    let dir = temp_dir("reset");
    let local = scratch_file(&dir, "f", &vec![1u8; 64 * 1024 * 1024]);
    let mut file = File::open(local).unwrap();
    let err = ftp
        .stor_from_file("f", TransferOptions::default(), &mut file)
        .unwrap_err();
    assert_eq!(err.reply_code(), 452, "{err}");
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    server.finish();
}

/// Fewer bytes than the 150 reply announced: an error, as in the copy loop.
#[test]
fn a_short_download_is_an_error() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 Opening BINARY mode data connection for f (1000 bytes)\r\n");
        data.write_all(&[7u8; 600]).unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let dir = temp_dir("short");
    let mut file = File::create(dir.join("f")).unwrap();
    let err = ftp
        .retr_to_file("f", TransferOptions::default(), &mut file)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("received 600 bytes but the server announced 1000"),
        "{err}"
    );
    drop(ftp);
    server.finish();
}

/// A source shorter than the announced total: ABOR, never a stored file.
#[test]
fn an_upload_short_of_its_total_is_aborted() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        // Reset by the client's ABOR, as the copy loop does: never ended as a whole file.
        let got = drain(&mut data);
        assert!(got.len() <= 3_000_000);
        s.expect("ABOR");
        s.send("226 abort ok\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, zero_copy_upload());
    let dir = temp_dir("short-up");
    let local = scratch_file(&dir, "f", &vec![9u8; 3_000_000]);
    let mut file = File::open(local).unwrap();
    let options = TransferOptions {
        total: Some(4_000_000),
        ..Default::default()
    };
    let err = ftp.stor_from_file("f", options, &mut file).unwrap_err();
    assert!(
        err.to_string()
            .contains("ended after 3000000 of the 4000000"),
        "{err}"
    );
    drop(ftp);
    let transcript = server.finish();
    assert!(transcript.iter().any(|c| c == "ABOR"), "{transcript:?}");
}

/// A cancel from another thread ends a stalled zero-copy download at once.
#[test]
fn cancel_ends_a_stalled_download() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        data.write_all(&[5u8; 10_000]).unwrap();
        std::thread::sleep(Duration::from_secs(4));
        drop(data);
    });
    let mut opts = options();
    opts.data_idle_timeout = Some(Duration::from_secs(30));
    let mut ftp = login(&server, opts);
    let canceller = ftp.canceller();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        canceller.cancel();
    });
    let dir = temp_dir("cancel");
    let mut file = File::create(dir.join("f")).unwrap();
    let started = Instant::now();
    let err = ftp
        .retr_to_file("f", TransferOptions::default(), &mut file)
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    stopper.join().unwrap();
    drop(ftp);
    server.finish();
}

/// A download limit paces the spliced chunks.
#[test]
fn a_download_limit_paces_spliced_chunks() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        let _ = data.write_all(&vec![1u8; 2 * 1024 * 1024]);
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let mut opts: Options = options();
    opts.download_rate = Some(ftpc::RateLimit::new(2 * 1024 * 1024).unwrap());
    let mut ftp = login(&server, opts);
    let dir = temp_dir("rate");
    let mut file = File::create(dir.join("f")).unwrap();
    let started = Instant::now();
    let n = ftp
        .retr_to_file("f", TransferOptions::default(), &mut file)
        .unwrap();
    assert_eq!(n, 2 * 1024 * 1024);
    // 2 MiB at 2 MiB/s: about a second (the first bytes may pass in the burst).
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    drop(ftp);
    server.finish();
}

/// Keepalive NOOPs go out while a slow zero-copy download runs, and their answers are told
/// apart from the final reply.
#[test]
fn keepalives_during_a_spliced_download() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        for _ in 0..8 {
            data.write_all(&[2u8; 1000]).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.keepalive_interval = Some(Duration::from_millis(200));
    let mut ftp = login(&server, opts);
    let dir = temp_dir("keepalive");
    let mut file = File::create(dir.join("f")).unwrap();
    let n = ftp
        .retr_to_file("f", TransferOptions::default(), &mut file)
        .unwrap();
    assert_eq!(n, 8000);
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    let transcript = server.finish();
    assert!(
        transcript.iter().filter(|c| *c == "NOOP").count() >= 2,
        "{transcript:?}"
    );
}
