//! Misbehaving servers: every fault becomes a clear error within its timeout, never a crash,
//! a hang, unbounded memory, a desynchronised session or a short file reported complete. Each
//! case checks the client's result and the exact commands it sent. (More cases: scripted.rs,
//! tls_faults.rs, managed_faults.rs.)

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::scripted::{connect, login, options, Scripted, Session};
use ftpc::{Client, DataMode, Error, PassiveMode, TimeoutPhase, TlsLevel};

/// Greeting and login, then TYPE I and EPSV answered: returns the data listener.
fn until_data(s: &mut Session) -> TcpListener {
    s.greet_and_login();
    s.expect("TYPE I");
    s.send("200 ok\r\n");
    s.answer_epsv()
}

fn commands(transcript: &[String]) -> Vec<&str> {
    transcript
        .iter()
        .map(|c| c.split(' ').next().unwrap_or(""))
        .collect()
}

// ---- replies ----------------------------------------------------------------------------

#[test]
fn reply_code_out_of_range() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("600 what is this\r\n");
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("u", "p").unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("malformed reply line"), "{err}");
    assert!(!ftp.is_usable());
    assert_eq!(commands(&server.finish()), ["USER"]);
}

#[test]
fn truncated_multi_line_reply() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("331-first line\r\n a continuation");
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("u", "p").unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("in the middle of a reply"),
        "{err}"
    );
    assert!(!ftp.is_usable());
    server.finish();
}

#[test]
fn two_mib_reply_is_refused_not_buffered() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        let mut reply = String::from("331-a very long reply\r\n");
        while reply.len() < 2 * 1024 * 1024 {
            reply.push_str(" padding padding padding padding padding padding padding\r\n");
        }
        reply.push_str("331 end\r\n");
        s.send(&reply);
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("u", "p").unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("reply longer than"), "{err}");
    drop(ftp);
    server.finish();
}

#[test]
fn line_without_crlf_then_close() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("331 password please");
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("u", "p").unwrap_err();
    assert!(
        err.to_string().contains("in the middle of a reply"),
        "{err}"
    );
    server.finish();
}

#[test]
fn line_without_crlf_then_silence_times_out() {
    let server = Scripted::start(|s| {
        s.send("220 hi");
        std::thread::sleep(Duration::from_secs(3));
    });
    let mut opts = options();
    opts.reply_timeout = Some(Duration::from_millis(600));
    let started = Instant::now();
    let err = Client::connect_with("127.0.0.1", server.port, opts)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Reply,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(600 + 1500));
    server.finish();
}

#[test]
fn replies_split_into_single_bytes() {
    let server = Scripted::start(|s| {
        let slowly = |s: &mut Session, text: &str| {
            for b in text.bytes() {
                s.send_bytes(&[b]);
                std::thread::sleep(Duration::from_micros(200));
            }
        };
        slowly(s, "220-multi\r\n line\r\n220 end\r\n");
        s.expect("USER");
        slowly(s, "331 pw\r\n");
        s.expect("PASS");
        slowly(s, "230 in\r\n");
        s.expect("FEAT");
        slowly(s, "211-Features:\r\n SIZE\r\n211 End\r\n");
        s.expect("PWD");
        slowly(s, "257 \"/byte by byte\" here\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    assert_eq!(ftp.welcome().lines().len(), 3);
    assert!(ftp.features().unwrap().has("SIZE"));
    assert_eq!(ftp.pwd().unwrap(), "/byte by byte");
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn unsolicited_reply_is_discarded() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("331 pw\r\n");
        s.expect("PASS");
        s.send("230 in\r\n");
        s.expect("FEAT");
        // The FEAT answer and, uninvited, one more reply.
        s.send("211-Features:\r\n SIZE\r\n211 End\r\n200 surprise!\r\n");
        s.expect("PWD");
        s.send("257 \"/\" is current\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(ftp.pwd().unwrap(), "/");
    assert_eq!(ftp.noop().unwrap().code(), 200);
    ftp.quit().unwrap();
    assert_eq!(
        commands(&server.finish()),
        ["USER", "PASS", "FEAT", "PWD", "NOOP", "QUIT"]
    );
}

#[test]
fn unsolicited_421_ends_the_session() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.send("421 Service shutting down\r\n");
        std::thread::sleep(Duration::from_millis(500));
    });
    let mut ftp = login(&server, options());
    std::thread::sleep(Duration::from_millis(100));
    let err = ftp.pwd().unwrap_err();
    assert!(matches!(err, Error::Temporary { .. }), "{err}");
    assert_eq!(err.reply_code(), 421);
    assert!(!ftp.is_usable());
    // PWD was never sent: the 421 was read first.
    assert_eq!(commands(&server.finish()), ["USER", "PASS", "FEAT"]);
}

#[test]
fn service_closing_mid_listing() {
    let server = Scripted::start(|s| {
        let listener = until_data(s);
        s.expect("LIST");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 listing\r\n");
        data.write_all(b"-rw-r--r-- 1 u g 1 Jan 1 2020 a\r\n")
            .unwrap();
        drop(data);
        s.send("421 Service not available, closing control connection\r\n");
    });
    let mut ftp = login(&server, options());
    let err = ftp.list(None).unwrap_err();
    assert_eq!(err.reply_code(), 421, "{err}");
    assert!(err.is_transient());
    assert!(!ftp.is_usable());
    server.finish();
}

#[test]
fn service_closing_mid_transfer() {
    let server = Scripted::start(|s| {
        let listener = until_data(s);
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here (1000000 bytes)\r\n");
        data.write_all(&[1u8; 300_000]).unwrap();
        s.send("421 Timeout, closing\r\n");
        drop(data);
    });
    let mut ftp = login(&server, options());
    let mut got = Vec::new();
    let err = ftp.retr("f", &mut got).unwrap_err();
    assert_eq!(err.reply_code(), 421, "{err}");
    assert!(!ftp.is_usable());
    server.finish();
}

// ---- data connections -------------------------------------------------------------------

fn pasv_reply_case(reply: &'static str) -> (Error, Vec<String>) {
    let server = Scripted::start(move |s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        s.expect("PASV");
        s.send(reply);
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.data_mode = DataMode::Passive(PassiveMode::Pasv);
    let mut ftp = login(&server, opts);
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    drop(ftp);
    (err, server.finish())
}

#[test]
fn malformed_pasv_reply() {
    let (err, transcript) = pasv_reply_case("227 Entering Passive Mode\r\n");
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(
        !transcript.iter().any(|c| c.starts_with("RETR")),
        "{transcript:?}"
    );
}

#[test]
fn pasv_reply_with_port_zero() {
    let (err, transcript) = pasv_reply_case("227 Entering Passive Mode (127,0,0,1,0,0)\r\n");
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("port 0"), "{err}");
    assert!(!transcript.iter().any(|c| c.starts_with("RETR")));
}

#[test]
fn epsv_reply_with_port_zero() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        s.expect("EPSV");
        s.send("229 Entering Extended Passive Mode (|||0|)\r\n");
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.data_mode = DataMode::Passive(PassiveMode::Epsv);
    let mut ftp = login(&server, opts);
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    assert!(!server.finish().iter().any(|c| c.starts_with("RETR")));
}

#[test]
fn data_connection_refused() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        s.expect("EPSV");
        // A port nobody listens on.
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        s.send(&format!("229 ok (|||{port}|)\r\n"));
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("data connection"), "{err}");
    // Nothing was sent after EPSV but the next command: the session is in step.
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    assert!(!server.finish().iter().any(|c| c.starts_with("RETR")));
}

#[test]
fn data_connection_closed_early() {
    let server = Scripted::start(|s| {
        let listener = until_data(s);
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        data.write_all(&[9u8; 50_000]).unwrap();
        drop(data);
        s.send("426 Connection closed; transfer aborted\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::Temporary { .. }), "{err}");
    assert_eq!(err.reply_code(), 426);
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    server.finish();
}

#[test]
fn failure_reply_after_a_full_transfer() {
    let server = Scripted::start(|s| {
        let listener = until_data(s);
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here (1000 bytes)\r\n");
        data.write_all(&[3u8; 1000]).unwrap();
        drop(data);
        s.send("426 Transfer aborted after all\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let mut got = Vec::new();
    let err = ftp.retr("f", &mut got).unwrap_err();
    assert_eq!(
        err.reply_code(),
        426,
        "all bytes arrived, but the server said it failed"
    );
    drop(ftp);
    server.finish();
}

// ---- TLS and stalls ---------------------------------------------------------------------

#[test]
fn auth_tls_refused() {
    let refusing = || {
        Scripted::start(|s| {
            s.send("220 hi\r\n");
            s.expect("AUTH TLS");
            s.send("534 TLS not available\r\n");
            s.serve_until_quit();
        })
    };
    let server = refusing();
    let mut opts = options();
    opts.tls.level = TlsLevel::All;
    let err = Client::connect_with("127.0.0.1", server.port, opts)
        .err()
        .unwrap();
    assert!(matches!(err, Error::Permanent { .. }), "{err}");
    assert_eq!(err.reply_code(), 534);
    // USER never went out in the clear.
    assert_eq!(commands(&server.finish()), ["AUTH"]);
}

#[test]
fn tls_handshake_failure() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("AUTH TLS");
        s.send("234 go ahead\r\n");
        // Not TLS at all.
        s.send("this is not a TLS server hello, just text\r\n");
        std::thread::sleep(Duration::from_millis(300));
    });
    let mut opts = options();
    opts.tls.level = TlsLevel::All;
    opts.tls.dangerous_disable_verification = true;
    let err = Client::connect_with("127.0.0.1", server.port, opts)
        .err()
        .unwrap();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("handshake failure"), "{err}");
    server.finish();
}

#[test]
fn stall_in_the_middle_of_a_reply() {
    let server = Scripted::start(|s| {
        s.send("220-welcome, and then nothing\r\n");
        std::thread::sleep(Duration::from_secs(3));
    });
    let mut opts = options();
    opts.reply_timeout = Some(Duration::from_millis(500));
    let started = Instant::now();
    let err = Client::connect_with("127.0.0.1", server.port, opts)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: TimeoutPhase::Reply,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(500 + 1500));
    server.finish();
}

// ---- injection --------------------------------------------------------------------------

#[test]
fn cr_lf_nul_never_reach_the_wire() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.serve_until_quit();
    });
    let mut ftp = connect(&server, options());
    for bad in ["u\r\nDELE x", "u\nDELE x", "u\0"] {
        assert!(matches!(
            ftp.login(bad, "p"),
            Err(Error::InvalidArgument(_))
        ));
    }
    ftp.login("u", "p").unwrap();
    for bad in ["x\r\nDELE y", "x\nRMD /", "x\0y", "\r"] {
        assert!(matches!(ftp.cwd(bad), Err(Error::InvalidArgument(_))));
        assert!(matches!(ftp.delete(bad), Err(Error::InvalidArgument(_))));
        assert!(matches!(ftp.sendcmd(bad), Err(Error::InvalidArgument(_))));
        assert!(matches!(
            ftp.rename("a", bad),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            ftp.stor(bad, &mut &b""[..]),
            Err(Error::InvalidArgument(_))
        ));
    }
    ftp.quit().unwrap();
    assert_eq!(commands(&server.finish()), ["USER", "PASS", "FEAT", "QUIT"]);
}

#[test]
fn server_closed_between_commands() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        // Gone without a word.
    });
    let mut ftp = login(&server, options());
    std::thread::sleep(Duration::from_millis(100));
    let err = ftp.pwd().unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("server closed the control connection"),
        "{err}"
    );
    assert!(!ftp.is_usable());
    // PWD was never sent into the closed connection.
    assert_eq!(commands(&server.finish()), ["USER", "PASS", "FEAT"]);
}

/// A server that floods unsolicited replies after answering: the buffer stays bounded and the
/// session ends with a protocol error instead of taking flood lines for later answers.
#[test]
fn unsolicited_reply_flood_ends_the_session() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        let mut flood = String::from("200 ok\r\n");
        for _ in 0..20_000 {
            flood.push_str("211 x\r\n");
        }
        s.send(&flood);
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    ftp.noop().expect("the first NOOP is answered");
    std::thread::sleep(Duration::from_millis(300));
    let err = ftp.noop().unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("flood"), "{err}");
    assert!(!ftp.is_usable());
    drop(ftp);
    let transcript = server.finish();
    assert_eq!(commands(&transcript), ["USER", "PASS", "FEAT", "NOOP"]);
}

/// A few unsolicited replies (a notice) are read and dropped; the session stays in step.
#[test]
fn a_few_unsolicited_replies_are_dropped() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        s.send("200 ok\r\n211 notice one\r\n211 notice two\r\n");
        s.expect("PWD");
        s.send("257 \"/here\"\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    ftp.noop().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(ftp.pwd().unwrap(), "/here");
    drop(ftp);
    server.finish();
}

/// A server without EPRT (`500`): active transfers fall back to PORT, and the choice is
/// remembered for the session.
#[test]
fn eprt_refused_falls_back_to_port_once() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        for round in 0..2 {
            if round == 0 {
                s.expect("EPRT");
                s.send("500 Command not implemented\r\n");
            }
            let port_line = s.expect("PORT ");
            let nums: Vec<u16> = port_line[5..]
                .split(',')
                .map(|n| n.trim().parse().unwrap())
                .collect();
            let port = nums[4] * 256 + nums[5];
            s.send("200 PORT ok\r\n");
            s.expect("RETR");
            s.send("150 here\r\n");
            let mut data = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            data.write_all(b"hello").unwrap();
            drop(data);
            s.send("226 done\r\n");
        }
        s.serve_until_quit();
    });
    let mut options = options();
    options.data_mode = DataMode::Active(ftpc::ActiveOptions {
        use_eprt: true,
        ..Default::default()
    });
    let mut ftp = login(&server, options);
    for _ in 0..2 {
        let mut got = Vec::new();
        ftp.retr("f", &mut got).unwrap();
        assert_eq!(got, b"hello");
    }
    ftp.quit().unwrap();
    let transcript = server.finish();
    assert_eq!(
        commands(&transcript),
        ["USER", "PASS", "FEAT", "TYPE", "EPRT", "PORT", "RETR", "PORT", "RETR", "QUIT"]
    );
}

/// NLST collects names within the listing bounds: past them the listing is aborted and the
/// call fails naming the bound, with the session usable.
#[test]
fn nlst_is_bounded() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("NLST");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 names\r\n");
        let mut names = String::new();
        for i in 0..50 {
            names.push_str(&format!("name-{i}\r\n"));
        }
        let _ = data.write_all(names.as_bytes());
        drop(data);
        s.send("226 done\r\n");
        s.expect("ABOR");
        s.send("225 nothing to abort\r\n");
        s.expect("NOOP");
        s.send("200 ok\r\n");
        s.serve_until_quit();
    });
    let mut options = options();
    options.max_listing_entries = 10;
    let mut ftp = login(&server, options);
    let err = ftp.nlst(None).unwrap_err();
    assert!(err.to_string().contains("max_listing_entries"), "{err}");
    ftp.quit().unwrap();
    server.finish();
}
