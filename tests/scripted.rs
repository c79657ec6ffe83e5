//! Behaviour that real servers cannot be made to show on demand, checked against a scripted
//! server together with the exact commands the client sent.

mod common;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::scripted::{connect, login, options, Scripted};
use ftpc::{Client, DataMode, Error, PassiveMode, TimeoutPhase};

#[test]
fn epsv_refused_falls_back_to_pasv_and_remembers() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        s.expect("EPSV");
        s.send("500 EPSV not understood\r\n");
        for _ in 0..2 {
            let listener = s.answer_pasv(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into());
            s.expect("NLST");
            let (mut data, _) = listener.accept().unwrap();
            s.send("150 here\r\n");
            data.write_all(b"a\r\nb\r\n").unwrap();
            drop(data);
            s.send("226 done\r\n");
        }
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    assert_eq!(ftp.nlst(None).unwrap(), ["a", "b"]);
    assert_eq!(ftp.nlst(None).unwrap(), ["a", "b"]);
    ftp.quit().unwrap();
    let transcript = server.finish();
    let data_cmds: Vec<&str> = transcript
        .iter()
        .map(String::as_str)
        .filter(|c| ["EPSV", "PASV"].contains(&c.split(' ').next().unwrap()))
        .collect();
    assert_eq!(data_cmds, ["EPSV", "PASV", "PASV"]);
}

#[test]
fn forced_epsv_does_not_fall_back() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        s.expect("EPSV");
        s.send("500 EPSV not understood\r\n");
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.data_mode = DataMode::Passive(PassiveMode::Epsv);
    let mut ftp = login(&server, opts);
    let err = ftp.nlst(None).unwrap_err();
    assert!(err.to_string().starts_with("EPSV: 500"), "{err}");
    drop(ftp);
    assert!(!server.finish().iter().any(|c| c == "PASV"));
}

/// The server announces 127.0.0.2 in PASV; the data listener is on `listen_on`.
fn pasv_elsewhere(trust: bool, listen_on: IpAddr) -> Result<Vec<String>, Error> {
    let server = Scripted::start(move |s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_pasv(Ipv4Addr::new(127, 0, 0, 2).into(), listen_on);
        listener.set_nonblocking(false).unwrap();
        match s.recv() {
            Some(line) if line.starts_with("NLST") => {
                let (mut data, _) = listener.accept().unwrap();
                s.send("150 here\r\n");
                data.write_all(b"x\r\n").unwrap();
                drop(data);
                s.send("226 done\r\n");
            }
            _ => return,
        }
        s.serve_until_quit();
    });
    let mut opts = options();
    opts.data_mode = DataMode::Passive(PassiveMode::Pasv);
    opts.trust_pasv_address = trust;
    opts.data_connect_timeout = Some(Duration::from_secs(2));
    let mut ftp = login(&server, opts);
    let result = ftp.nlst(None);
    drop(ftp);
    let _ = server.finish();
    result
}

#[test]
fn pasv_address_is_ignored_by_default() {
    // Listening on the control peer's address: the client must go there, not to 127.0.0.2.
    let names = pasv_elsewhere(false, Ipv4Addr::LOCALHOST.into()).unwrap();
    assert_eq!(names, ["x"]);
    // Listening only on the announced address: the default client never goes there.
    let err = pasv_elsewhere(false, Ipv4Addr::new(127, 0, 0, 2).into()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
}

#[test]
fn pasv_address_is_used_when_trusted() {
    let names = pasv_elsewhere(true, Ipv4Addr::new(127, 0, 0, 2).into()).unwrap();
    assert_eq!(names, ["x"]);
}

#[test]
fn banner_never_sent_times_out_in_reply_phase() {
    let server = Scripted::start(|s| {
        std::thread::sleep(Duration::from_secs(3));
        drop(s.recv());
    });
    let mut opts = options();
    opts.reply_timeout = Some(Duration::from_millis(700));
    let start = Instant::now();
    let err = Client::connect_with("127.0.0.1", server.port, opts)
        .err()
        .unwrap();
    let took = start.elapsed();
    match &err {
        Error::Timeout { phase, after, .. } => {
            assert_eq!(*phase, TimeoutPhase::Reply);
            assert_eq!(*after, Duration::from_millis(700));
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(took < Duration::from_millis(700 + 1500), "{took:?}");
    assert!(
        err.to_string()
            .contains("timed out after 700 ms waiting for reply"),
        "{err}"
    );
}

#[test]
fn preliminary_welcome_multiline_and_account() {
    let server = Scripted::start(|s| {
        s.send("120 ready in 1 minute\r\n220-Welcome\r\n to the\r\n220 server\r\n");
        s.expect("USER bob");
        s.send("331 password please\r\n");
        assert_eq!(s.expect("PASS"), "PASS secret");
        s.send("332 account please\r\n");
        assert_eq!(s.expect("ACCT"), "ACCT acct-1");
        s.send("230 logged in\r\n");
        s.expect("FEAT");
        s.send("500 no FEAT here\r\n");
        s.serve_until_quit();
    });
    let mut ftp = connect(&server, options());
    assert_eq!(ftp.welcome().code(), 220);
    assert_eq!(ftp.welcome().text(), "Welcome\n to the\nserver");
    ftp.login_with_account("bob", "secret", Some("acct-1"))
        .unwrap();
    assert!(ftp.features().unwrap().is_empty());
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn account_requested_but_not_given() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("332 need account\r\n");
        s.serve_until_quit();
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("bob", "pw").unwrap_err();
    assert!(matches!(err, Error::UnexpectedReply { .. }), "{err}");
    assert!(err.to_string().contains("ACCT"), "{err}");
}

#[test]
fn service_closing_at_login_is_temporary_and_final() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("421 too many users\r\n");
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("bob", "pw").unwrap_err();
    assert!(matches!(err, Error::Temporary { .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(err.reply_code(), 421);
    assert!(!ftp.is_usable());
    assert!(matches!(ftp.noop(), Err(Error::InvalidState(_))));
    server.finish();
}

#[test]
fn final_reply_before_data_is_drained() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        // 125 instead of 150, and 226 before a single data byte.
        s.send("125 go\r\n226 all sent\r\n");
        for chunk in 0..50u8 {
            data.write_all(&[chunk; 1000]).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(data);
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let mut got = Vec::new();
    ftp.retr("f", &mut got).unwrap();
    assert_eq!(got.len(), 50_000);
    assert!(got
        .chunks(1000)
        .enumerate()
        .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
    assert_eq!(ftp.noop().unwrap().code(), 200);
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn completion_without_preliminary_reply() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("NLST");
        let (data, _) = listener.accept().unwrap();
        drop(data);
        s.send("226 nothing to list\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    assert!(ftp.nlst(None).unwrap().is_empty());
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    server.finish();
}

#[test]
fn short_download_against_announced_size_is_an_error() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 Opening BINARY mode data connection for f (1000 bytes)\r\n");
        data.write_all(&[7u8; 600]).unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("received 600 bytes but the server announced 1000"),
        "{err}"
    );
    drop(ftp);
    server.finish();
}

#[test]
fn data_stall_times_out_in_data_idle_phase() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let mut opts = options();
    opts.data_idle_timeout = Some(Duration::from_millis(500));
    let mut ftp = login(&server, opts);
    let start = Instant::now();
    let err = ftp.retr("f", &mut Vec::new()).unwrap_err();
    match &err {
        Error::Timeout { phase, .. } => assert_eq!(*phase, TimeoutPhase::DataIdle),
        other => panic!("expected a data idle timeout, got {other}"),
    }
    assert!(start.elapsed() < Duration::from_millis(500 + 1500));
    // After a stall the session's state is unknown: the client says so instead of guessing.
    assert!(!ftp.is_usable());
    drop(ftp);
    server.finish();
}

#[test]
fn server_error_during_upload_is_reported() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        let mut buf = [0u8; 10_000];
        let _ = std::io::Read::read(&mut data, &mut buf);
        s.send("452 Insufficient storage space\r\n");
        drop(data);
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let big = vec![1u8; 64 * 1024 * 1024];
    let err = ftp.stor("f", &mut &big[..]).unwrap_err();
    assert!(matches!(err, Error::Temporary { .. }), "{err}");
    assert_eq!(err.reply_code(), 452);
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    server.finish();
}

#[test]
fn abort_sends_abor_and_resynchronises() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        let _ = data.write_all(&[1u8; 100_000]);
        s.expect("ABOR");
        // The client sends its NOOP only once ABOR was answered (a server may drop a NOOP
        // read in the same buffer as ABOR).
        s.send("426 Transfer aborted\r\n226 ABOR successful\r\n");
        s.expect("NOOP");
        s.send("200 NOOP ok\r\n");
        drop(data);
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let mut stream = ftp.open_data("RETR f", 0).unwrap();
    let mut buf = [0u8; 10];
    std::io::Read::read_exact(&mut stream, &mut buf).unwrap();
    stream.abort().unwrap();
    assert_eq!(ftp.noop().unwrap().code(), 200);
    drop(ftp);
    let transcript = server.finish();
    let tail: Vec<&str> = transcript
        .iter()
        .map(String::as_str)
        .skip_while(|c| !c.starts_with("RETR"))
        .collect();
    assert_eq!(&tail[..3], ["RETR f", "ABOR", "NOOP"]);
}

#[test]
fn garbage_reply_is_a_protocol_error() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("hello, I am not an FTP server\r\n");
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("u", "p").unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(!ftp.is_usable());
    server.finish();
}

#[test]
fn connect_timeout_names_its_phase() {
    // Connecting stalls until the connect timeout.
    let stalled = common::scripted::stalled_listener();
    let addr = stalled.addr;
    let mut opts = options();
    opts.connect_timeout = Some(Duration::from_millis(500));
    let start = Instant::now();
    let err = Client::connect_with("127.0.0.1", addr.port(), opts)
        .err()
        .unwrap();
    match &err {
        Error::Timeout { phase, .. } => {
            assert_eq!(*phase, TimeoutPhase::Connect);
            assert!(start.elapsed() < Duration::from_millis(500 + 1500));
        }
        other => panic!("expected a connect timeout, got {other}"),
    }
    assert!(err.to_string().contains("waiting for connect"), "{err}");
    drop(stalled);
}

/// Serves one RETR of `body` on a fresh EPSV data connection (after the client's TYPE and
/// optional REST, which the caller expects first).
fn serve_retr(s: &mut common::scripted::Session, body: &[u8]) {
    let listener = s.answer_epsv();
    s.expect("RETR");
    let (mut data, _) = listener.accept().unwrap();
    s.send("150 here\r\n");
    data.write_all(body).unwrap();
    drop(data);
    s.send("226 done\r\n");
}

#[test]
fn raw_type_and_rest_commands_are_not_trusted_to_leave_the_session_as_it_was() {
    // A raw TYPE A must not leave the next binary download in ASCII (the server would turn
    // LF into CRLF), and a raw REST must not start the next whole download in the middle.
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        serve_retr(s, b"a\nb\n");
        s.expect("TYPE A");
        s.send("200 ascii\r\n");
        s.expect("REST 2");
        s.send("350 restarting\r\n");
        // The library's own download: back to binary, and from the start.
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("REST 0");
        s.send("350 from the start\r\n");
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        data.write_all(b"a\nb\n").unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let mut first = Vec::new();
    ftp.retr("f", &mut first).unwrap();
    ftp.sendcmd("TYPE A").unwrap();
    ftp.sendcmd("REST 2").unwrap();
    let mut second = Vec::new();
    ftp.retr("f", &mut second).unwrap();
    assert_eq!(first, second);
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn a_relative_cwd_is_learnt_so_a_new_session_goes_back_there() {
    let server = Scripted::start_sessions(2, |n, s| {
        s.greet_and_login();
        if n == 0 {
            s.expect("CWD sub");
            s.send("250 ok\r\n");
            s.expect("PWD");
            s.send("257 \"/home/u/sub\" is here\r\n");
            s.expect("CWD /abs");
            s.send("250 ok\r\n");
            s.expect("CWD /home/u/sub");
            s.send("250 ok\r\n");
            // No PWD after an absolute CWD.
            s.expect("NOOP");
            s.send("200 ok\r\n");
            let _ = s.recv();
        } else {
            s.expect("CWD /home/u/sub");
            s.send("250 ok\r\n");
            s.serve_until_quit();
        }
    });
    let mut agent = common::scripted::agent(&server, options());
    let reply = agent.session().cwd("sub").unwrap();
    // The caller's reply is its CWD's, not the PWD asked after it.
    assert_eq!(reply.code(), 250);
    assert_eq!(agent.session_ref().last_reply().unwrap().code(), 250);
    agent.session().cwd("/abs").unwrap();
    agent.session().cwd("/home/u/sub").unwrap();
    agent.session().noop().unwrap();
    agent.reconnect().unwrap();
    agent.quit().unwrap();
    server.finish();
}

#[test]
fn the_last_reply_after_login_is_the_logins() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.serve_until_quit();
    });
    let ftp = login(&server, options());
    assert_eq!(ftp.last_reply().unwrap().code(), 230);
    ftp.quit().unwrap();
    server.finish();
}
