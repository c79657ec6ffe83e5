//! The protocol trace: exact transcripts of what was sent and received and what happened to
//! data connections, against scripted servers (plain and TLS) and pyftpdlib; passwords masked
//! even where the server echoes them.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::scripted::{connect, options, Scripted};
use ftpc::{Options, TlsLevel, Trace, TraceEvent, TraceKind};

/// Every event as its line, data ports replaced by `PORT` (they are chosen at run time).
#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    kinds: Arc<Mutex<Vec<(TraceKind, SystemTime, bool)>>>,
}

impl Recorder {
    fn trace(&self) -> Trace {
        let me = self.clone();
        Trace::new(move |event: &TraceEvent<'_>| {
            let mut line = event.to_string();
            if let Some(addr) = event.addr {
                line = line.replace(&addr.port().to_string(), "PORT");
            }
            if let (Some(at), Some(end)) = (line.find("(|||"), line.rfind("|)")) {
                line.replace_range(at + 4..end, "PORT");
            }
            me.lines.lock().unwrap().push(line);
            me.kinds
                .lock()
                .unwrap()
                .push((event.kind, event.time, event.untrusted));
        })
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

#[test]
fn a_plain_session_traces_every_line_and_the_data_connection_with_the_password_masked() {
    let server = Scripted::start(|s| {
        s.send("220-first\r\n220 welcome \x1b[2J\r\n");
        s.expect("USER");
        s.send("331 password please\r\n");
        let pass = s.expect("PASS");
        let echoed = pass.trim_start_matches("PASS ").to_string();
        s.send(&format!("230 hello, your password {echoed} is fine\r\n"));
        s.expect("FEAT");
        s.send("211-Features:\r\n EPSV\r\n211 End\r\n");
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR f");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        data.write_all(b"hello").unwrap();
        drop(data);
        s.send("226 done\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR g");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        let mut got = Vec::new();
        data.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"uploaded");
        s.send("226 stored\r\n");
        s.expect("SITE ECHO");
        s.send("200 you said hunter2-secret\r\n");
        s.serve_until_quit();
    });
    let recorder = Recorder::default();
    let mut opts = options();
    opts.trace = Some(recorder.trace());
    let mut ftp = connect(&server, opts);
    ftp.login("alice", "hunter2-secret").unwrap();
    let mut got = Vec::new();
    ftp.retr("f", &mut got).unwrap();
    ftp.stor("g", &mut &b"uploaded"[..]).unwrap();
    // The password in another command is masked too.
    ftp.sendcmd("SITE ECHO hunter2-secret").unwrap();
    ftp.quit().unwrap();
    server.finish();
    let port = server_port_line(&recorder);
    assert_eq!(
        recorder.lines(),
        [
            port.as_str(),
            "< 220-first",
            "< 220 welcome \\x1b[2J",
            "> USER alice",
            "< 331 password please",
            "> PASS ****",
            "< 230 hello, your password **** is fine",
            "> FEAT",
            "< 211-Features:",
            "<  EPSV",
            "< 211 End",
            "> TYPE I",
            "< 200 ok",
            "> EPSV",
            "< 229 Entering Extended Passive Mode (|||PORT|)",
            "* data connected to 127.0.0.1:PORT",
            "> RETR f",
            "< 150 here",
            "* data bytes: sent 0, received 5",
            "* data connection closed",
            "< 226 done",
            "> EPSV",
            "< 229 Entering Extended Passive Mode (|||PORT|)",
            "* data connected to 127.0.0.1:PORT",
            "> STOR g",
            "< 150 send it",
            "* data bytes: sent 8, received 0",
            "* data connection closed",
            "< 226 stored",
            "> SITE ECHO ****",
            "< 200 you said ****",
            "> QUIT",
            "< 221 bye",
        ]
    );
    let all = recorder.lines().join("\n");
    assert!(!all.contains("hunter2"), "{all}");
    let kinds = recorder.kinds.lock().unwrap().clone();
    // Reply lines, and only they, are flagged as server text; times never go backwards.
    for (kind, _, untrusted) in &kinds {
        assert_eq!(*untrusted, *kind == TraceKind::Reply, "{kind:?}");
    }
    assert!(kinds.windows(2).all(|w| w[0].1 <= w[1].1));
    assert_eq!(TraceKind::DataBytes.code(), 6);
}

/// The `* connected to 127.0.0.1:N` line, which names the scripted server's port.
fn server_port_line(recorder: &Recorder) -> String {
    let first = recorder.lines()[0].clone();
    assert!(first.starts_with("* connected to 127.0.0.1:"), "{first}");
    first
}

#[test]
fn an_aborted_download_is_traced_as_aborted() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR big");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        let _ = data.write_all(&[7u8; 1000]);
        s.expect("ABOR");
        s.send("426 aborted\r\n226 abort ok\r\n");
        s.expect("NOOP");
        s.send("200 ok\r\n");
        s.serve_until_quit();
    });
    let recorder = Recorder::default();
    let mut opts = options();
    opts.trace = Some(recorder.trace());
    let mut ftp = connect(&server, opts);
    ftp.login("u", "p").unwrap();
    let err = ftp
        .retr_with("big", Default::default(), &mut |_| {
            Err(ftpc::StopTransfer::io_error())
        })
        .unwrap_err();
    assert!(matches!(err, ftpc::Error::Aborted { .. }), "{err}");
    drop(ftp);
    server.finish();
    let lines = recorder.lines();
    let from = lines.iter().position(|l| l == "> RETR big").unwrap();
    assert_eq!(
        lines[from..],
        [
            "> RETR big",
            "< 150 here",
            "* data bytes: sent 0, received 1000",
            "* data connection aborted",
            "> ABOR",
            "< 426 aborted",
            // NOOP goes out after ABOR's first answer (see abort_transfer).
            "> NOOP",
            "< 226 abort ok",
            "< 200 ok",
            "> QUIT",
        ]
    );
}

#[test]
fn a_tls_session_traces_handshakes_resumption_and_close_notify() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("RETR f");
        s.send("150 here\r\n");
        let mut data = s.accept_data(&listener);
        data.write_all(b"secret data").unwrap();
        data.conn.send_close_notify();
        data.flush().unwrap();
        let mut rest = Vec::new();
        let _ = data.read_to_end(&mut rest);
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let recorder = Recorder::default();
    let mut opts = Options::default().with_timeout(Some(Duration::from_secs(10)));
    opts.tls.level = TlsLevel::Implicit;
    opts.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    opts.trace = Some(recorder.trace());
    let mut ftp = connect(&server, opts);
    ftp.login("u", "p").unwrap();
    let mut got = Vec::new();
    ftp.retr("f", &mut got).unwrap();
    assert_eq!(got, b"secret data");
    ftp.quit().unwrap();
    server.finish();
    let lines = recorder.lines();
    assert_eq!(lines[1], "* TLS handshake (control): TLS 1.3, new session");
    let from = lines.iter().position(|l| l == "> RETR f").unwrap();
    assert_eq!(
        lines[from..],
        [
            "> RETR f",
            "< 150 here",
            "* TLS handshake (data): TLS 1.3, resumed",
            "* close_notify received (data)",
            "* close_notify sent (data)",
            "* data bytes: sent 0, received 11",
            "* data connection closed",
            "< 226 done",
            "> QUIT",
            "< 221 bye",
            "* close_notify sent (control)",
        ]
    );
}

#[test]
#[cfg_attr(not(feature = "real-servers"), ignore = "needs feature real-servers")]
fn pyftpdlib_transcript_masks_the_password_it_echoes() {
    use common::{Kind, Mode, Server, PASSWORD, USER};
    let server = Server::start(Kind::Pyftpdlib);
    server.put_file("a.txt", b"abc");
    let recorder = Recorder::default();
    let mut opts = server.options(Mode::Epsv);
    opts.trace = Some(recorder.trace());
    let mut ftp = server.client_with(opts);
    // pyftpdlib names the directory it made: the password, echoed back.
    server.check(ftp.mkd(PASSWORD), "MKD");
    let mut got = Vec::new();
    server.check(ftp.retr("a.txt", &mut got), "RETR");
    server.check(ftp.quit(), "QUIT");
    let lines = recorder.lines();
    let all = lines.join("\n");
    assert!(!all.contains(PASSWORD), "{all}");
    let from = lines.iter().position(|l| l.starts_with("> USER")).unwrap();
    let expected = [
        format!("> USER {USER}"),
        "< 331 Username ok, send password.".to_string(),
        "> PASS ****".to_string(),
        "< 230 Login successful.".to_string(),
    ];
    assert_eq!(lines[from..from + 4], expected, "{all}");
    assert!(
        lines.contains(&"> MKD ****".to_string()),
        "the password in MKD's argument is masked: {all}"
    );
    assert!(
        lines.contains(&"< 257 \"/****\" directory created.".to_string()),
        "{all}"
    );
    let retr = lines.iter().position(|l| l == "> RETR a.txt").unwrap();
    // pyftpdlib says 125 when it has accepted the data connection before RETR arrives, 150
    // when not yet: a race between its loop and our connect, either is right.
    let preliminary = [
        "< 125 Data connection already open. Transfer starting.",
        "< 150 File status okay. About to open data connection.",
    ];
    assert!(preliminary.contains(&lines[retr + 1].as_str()), "{all}");
    assert_eq!(
        [&lines[retr], &lines[retr + 2], &lines[retr + 3]],
        [
            "> RETR a.txt",
            "* data bytes: sent 0, received 3",
            "* data connection closed",
        ],
        "{all}"
    );
    assert_eq!(lines.last().unwrap(), "< 221 Goodbye.");
}
