//! TLS data streams cut short: a download that ends without close_notify is an error, never
//! a complete file, unless the byte count equals the size the server announced or the caller
//! relaxed the check for a server known not to send close_notify.

mod common;

use std::io::Write;
use std::time::Duration;

use common::scripted::{login, Scripted};
use ftpc::{Client, Error, Options, TlsLevel};

/// A server that sends `send` bytes of a file it announces as `announce` bytes (or without
/// announcing), then drops the TCP connection without close_notify and claims success.
fn cut_download(announce: Option<usize>, send: usize, allow: bool) -> Result<Vec<u8>, Error> {
    let server = Scripted::start_tls(move |s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("RETR");
        let announced = announce
            .map(|n| format!(" ({n} bytes)"))
            .unwrap_or_default();
        s.send(&format!(
            "150 Opening BINARY mode data connection for f{announced}\r\n"
        ));
        let mut data = s.accept_data(&listener);
        data.write_all(&vec![0x5a; send]).unwrap();
        data.flush().unwrap();
        // No close_notify: the TCP connection just ends.
        data.sock.shutdown(std::net::Shutdown::Both).unwrap();
        drop(data);
        s.send("226 Transfer complete\r\n");
        s.serve_until_quit();
    });
    let mut options = Options::default().with_timeout(Some(Duration::from_secs(10)));
    options.tls.level = TlsLevel::Implicit;
    options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    options.tls.allow_missing_close_notify = allow;
    let mut ftp = login(&server, options);
    let mut got = Vec::new();
    let result = ftp.retr("f", &mut got).map(|_| got);
    // Whatever happened, the control connection is still in step.
    assert_eq!(ftp.noop().unwrap().code(), 200);
    ftp.quit().unwrap();
    server.finish();
    result
}

#[test]
fn truncated_without_announcement_is_an_error() {
    let err = cut_download(None, 600_000, false).unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("without TLS close_notify"), "{text}");
    assert!(text.contains("truncated"), "{text}");
    assert!(text.starts_with("RETR f"), "{text}");
}

#[test]
fn truncated_short_of_the_announced_size_is_an_error() {
    let err = cut_download(Some(1_000_000), 600_000, false).unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("after 600000 bytes"), "{err}");
}

#[test]
fn missing_close_notify_at_the_announced_size_is_complete() {
    let data = cut_download(Some(600_000), 600_000, false).unwrap();
    assert_eq!(data.len(), 600_000);
}

#[test]
fn relaxed_for_servers_without_close_notify() {
    let data = cut_download(None, 600_000, true).unwrap();
    assert_eq!(data.len(), 600_000);
}

#[test]
fn implicit_handshake_stall_times_out_in_tls_phase() {
    // A server that accepts TCP and never answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (socket, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(socket);
    });
    let mut options = Options::default();
    options.connect_timeout = Some(Duration::from_millis(600));
    options.tls.level = TlsLevel::Implicit;
    options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    let start = std::time::Instant::now();
    let err = Client::connect_with("127.0.0.1", port, options)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: ftpc::TimeoutPhase::TlsHandshake,
                ..
            }
        ),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_millis(600 + 1500));
    holder.join().unwrap();
}

/// CCC: no real test server implements it (pyftpdlib and vsftpd answer 500), so a scripted
/// rustls server checks the exchange: close_notify both ways, then plain commands on the same
/// connection, while data connections stay under TLS.
#[test]
fn clear_command_channel_after_login() {
    let server = Scripted::start_tls(|s| {
        s.send("220 scripted implicit FTPS\r\n");
        s.expect("USER");
        s.send("331 pw\r\n");
        s.expect("PASS");
        s.send("230 in\r\n");
        s.expect("FEAT");
        s.send("211-Features:\r\n CCC\r\n211 End\r\n");
        s.expect("PBSZ 0");
        s.send("200 ok\r\n");
        s.expect("PROT P");
        s.send("200 ok\r\n");
        s.expect("CCC");
        s.send("200 CCC ok\r\n");
        // The client's close_notify ends the TLS stream; answer with ours.
        let mut rest = Vec::new();
        use std::io::Read;
        assert_eq!(s.control.read_to_end(&mut rest).unwrap(), 0);
        s.control.conn.send_close_notify();
        s.control.flush().unwrap();
        // From here on the control connection is plain text.
        let mut plain = std::io::BufReader::new(s.control.sock.try_clone().unwrap());
        let mut out = s.control.sock.try_clone().unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut plain, &mut line).unwrap();
        assert_eq!(line, "TYPE I\r\n");
        out.write_all(b"200 ok\r\n").unwrap();
        line.clear();
        std::io::BufRead::read_line(&mut plain, &mut line).unwrap();
        assert_eq!(line, "EPSV\r\n");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        out.write_all(format!("229 ok (|||{port}|)\r\n").as_bytes())
            .unwrap();
        line.clear();
        std::io::BufRead::read_line(&mut plain, &mut line).unwrap();
        assert_eq!(line, "RETR f\r\n");
        out.write_all(b"150 here\r\n").unwrap();
        let mut data = s.accept_data(&listener);
        data.write_all(b"protected data").unwrap();
        data.conn.send_close_notify();
        data.flush().unwrap();
        drop(data);
        out.write_all(b"226 done\r\n").unwrap();
        line.clear();
        std::io::BufRead::read_line(&mut plain, &mut line).unwrap();
        assert_eq!(line, "QUIT\r\n");
        out.write_all(b"221 bye\r\n").unwrap();
    });
    let mut options = Options::default().with_timeout(Some(Duration::from_secs(10)));
    options.tls.level = TlsLevel::Implicit;
    options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    options.tls.clear_command_channel = true;
    let mut ftp = login(&server, options);
    assert!(!ftp.is_tls());
    let mut got = Vec::new();
    ftp.retr("f", &mut got).unwrap();
    assert_eq!(got, b"protected data");
    assert!(ftp.is_data_protected());
    ftp.quit().unwrap();
    server.finish();
}

/// A resumed download (REST 1000) from a server that never sends close_notify: complete when
/// offset + bytes received reach the announced size, as for a whole-file download.
#[test]
fn resumed_download_without_close_notify_counts_the_offset() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("REST 1000");
        s.send("350 Restarting at 1000\r\n");
        s.expect("RETR");
        s.send("150 Opening BINARY mode data connection for f (1500 bytes)\r\n");
        let mut data = s.accept_data(&listener);
        data.write_all(&[0x5a; 500]).unwrap();
        data.flush().unwrap();
        data.sock.shutdown(std::net::Shutdown::Both).unwrap();
        drop(data);
        s.send("226 Transfer complete\r\n");
        s.serve_until_quit();
    });
    let mut options = Options::default().with_timeout(Some(Duration::from_secs(10)));
    options.tls.level = TlsLevel::Implicit;
    options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    let mut ftp = login(&server, options);
    let mut got = Vec::new();
    let n = ftp
        .retr_with(
            "f",
            ftpc::TransferOptions {
                offset: 1000,
                ..Default::default()
            },
            &mut |chunk| {
                got.extend_from_slice(chunk);
                Ok(())
            },
        )
        .expect("offset + received = announced size is complete");
    assert_eq!(n, 500);
    ftp.quit().unwrap();
    server.finish();
}

/// A truncated stream is not transient (another attempt meets the same server), and its
/// message names the option that accepts such servers.
#[test]
fn truncation_names_the_option_and_is_not_retried() {
    let err = cut_download(None, 10_000, false).unwrap_err();
    assert!(!err.is_transient(), "{err}");
    let text = err.to_string();
    assert!(text.contains("allow_missing_close_notify"), "{text}");
}

/// The server sends a short file and its close_notify together with the last flight of its
/// handshake (TLS 1.3 data sent right after its Finished, before ours arrives), so all of it
/// comes in the client's last handshake read: the file is complete, not a handshake failure.
#[test]
fn data_and_close_notify_in_the_handshake_flight() {
    for body in [&b"hello"[..], &b""[..]] {
        let server = Scripted::start_tls(move |s| {
            s.greet_and_prepare();
            let listener = s.answer_epsv();
            s.expect("RETR");
            s.send("150 Opening BINARY mode data connection for f\r\n");
            let (mut tcp, _) = listener.accept().unwrap();
            // TLS 1.3 lets a server send right after its Finished ("0.5-RTT" data).
            let mut config = (*common::tls_scripted::server_config()).clone();
            config.send_half_rtt_data = true;
            let mut conn = rustls::ServerConnection::new(std::sync::Arc::new(config)).unwrap();
            // Read the ClientHello until the server's flight (ending with its Finished) is
            // ready, then seal the file and close_notify behind it and send it all at once.
            while !conn.wants_write() {
                conn.read_tls(&mut tcp).unwrap();
                conn.process_new_packets().unwrap();
            }
            conn.writer().write_all(body).unwrap();
            conn.send_close_notify();
            let mut flight = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut flight).unwrap();
            }
            tcp.write_all(&flight).unwrap();
            // The client's Finished, then the end.
            while conn.is_handshaking() {
                if conn.complete_io(&mut tcp).is_err() {
                    break;
                }
            }
            drop(tcp);
            s.send("226 Transfer complete\r\n");
            s.serve_until_quit();
        });
        let mut options = Options::default().with_timeout(Some(Duration::from_secs(10)));
        options.tls.level = TlsLevel::Implicit;
        options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
        let mut ftp = login(&server, options);
        let mut got = Vec::new();
        ftp.retr("f", &mut got).expect("RETR");
        assert_eq!(got, body);
        ftp.quit().unwrap();
        server.finish();
    }
}
