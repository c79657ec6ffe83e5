//! Every timeout is a total deadline for the phase it names, plain and TLS alike, whatever the
//! peer sends: a server that keeps sending preliminary replies, trickles a TLS record one byte
//! at a time, or stops reading an upload cannot stretch a wait past its limit.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::scripted::{connect, login, Scripted};
use common::tls_scripted::TlsStream;
use ftpc::{Client, Error, Options, TimeoutPhase, TlsLevel};

const LIMIT: Duration = Duration::from_millis(800);
/// What a deadline may overrun by on a busy 2-core machine.
const SLACK: Duration = Duration::from_millis(1500);
/// How long the misbehaving peers below would go on: far past every limit.
const PEER_GOES_ON: Duration = Duration::from_secs(12);

fn assert_timeout(err: &Error, phase: TimeoutPhase, started: Instant) {
    assert!(
        matches!(err, Error::Timeout { phase: p, .. } if *p == phase),
        "expected a {phase} timeout, got: {err}"
    );
    let took = started.elapsed();
    assert!(took < LIMIT + SLACK, "took {took:?} for a {LIMIT:?} limit");
}

/// Sends `bytes` one at a time, `gap` apart, until the client goes away.
fn trickle(sock: &mut TcpStream, bytes: &[u8], gap: Duration) {
    let until = Instant::now() + PEER_GOES_ON;
    for b in bytes {
        if Instant::now() > until || sock.write_all(&[*b]).is_err() {
            return;
        }
        std::thread::sleep(gap);
    }
}

/// Encrypts `text` as TLS records and trickles them.
fn trickle_tls(stream: &mut TlsStream, text: &str, gap: Duration) {
    stream.conn.writer().write_all(text.as_bytes()).unwrap();
    let mut records = Vec::new();
    while stream.conn.wants_write() {
        stream.conn.write_tls(&mut records).unwrap();
    }
    trickle(&mut stream.sock, &records, gap);
}

/// Runs the server side of a TLS handshake, trickling everything it sends.
fn trickle_handshake(stream: &mut TlsStream, gap: Duration) {
    let until = Instant::now() + PEER_GOES_ON;
    while stream.conn.is_handshaking() && Instant::now() < until {
        if stream.conn.wants_write() {
            let mut out = Vec::new();
            while stream.conn.wants_write() {
                stream.conn.write_tls(&mut out).unwrap();
            }
            trickle(&mut stream.sock, &out, gap);
        } else if stream.conn.read_tls(&mut stream.sock).unwrap_or(0) == 0
            || stream.conn.process_new_packets().is_err()
        {
            return;
        }
    }
}

fn tls_options() -> Options {
    let mut options = Options::default().with_timeout(Some(LIMIT));
    options.tls.level = TlsLevel::Implicit;
    options.tls.ca_file = Some(common::cert_dir().join("ca.pem"));
    options
}

#[test]
fn preliminary_replies_do_not_extend_the_greeting() {
    let server = Scripted::start(|s| {
        let until = Instant::now() + PEER_GOES_ON;
        while Instant::now() < until {
            if !s.try_send("120 Service ready in 5 minutes\r\n") {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let started = Instant::now();
    let options = Options::default().with_timeout(Some(LIMIT));
    let err = Client::connect_with("127.0.0.1", server.port, options)
        .err()
        .expect("a greeting that never comes is an error");
    assert_timeout(&err, TimeoutPhase::Reply, started);
    drop(server);
}

#[test]
fn a_trickled_tls_reply_ends_at_the_reply_timeout() {
    let server = Scripted::start_tls(|s| {
        s.send("220 scripted implicit FTPS\r\n");
        s.expect("USER");
        let text = format!("331 {}\r\n", "slowly ".repeat(20));
        trickle_tls(&mut s.control, &text, Duration::from_millis(100));
    });
    let mut ftp = connect(&server, tls_options());
    let started = Instant::now();
    let err = ftp.login("u", "p").unwrap_err();
    assert_timeout(&err, TimeoutPhase::Reply, started);
    drop(ftp);
    server.finish();
}

#[test]
fn a_trickled_implicit_handshake_ends_at_the_connect_timeout() {
    let server = Scripted::start_tls(|s| {
        trickle_handshake(&mut s.control, Duration::from_millis(100));
    });
    let started = Instant::now();
    let err = Client::connect_with("127.0.0.1", server.port, tls_options())
        .err()
        .expect("a handshake that never ends is an error");
    assert_timeout(&err, TimeoutPhase::TlsHandshake, started);
    server.finish();
}

#[test]
fn a_trickled_data_handshake_ends_at_the_data_connect_timeout() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("RETR");
        s.send("150 here it comes\r\n");
        let (tcp, _) = listener.accept().unwrap();
        let mut data = common::tls_scripted::accept_tls(tcp);
        trickle_handshake(&mut data, Duration::from_millis(100));
        s.send("426 gone\r\n");
        s.serve_until_quit();
    });
    let mut ftp = login(&server, tls_options());
    let started = Instant::now();
    let err = ftp.retr("file.bin", &mut Vec::new()).unwrap_err();
    assert_timeout(&err, TimeoutPhase::TlsHandshake, started);
    drop(ftp);
    server.finish();
}

#[test]
fn an_upload_the_server_stops_reading_ends_at_the_idle_timeout() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR");
        let (data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        // Never read: the client's send buffer and our receive buffer fill, then it stalls.
        std::thread::sleep(PEER_GOES_ON);
        drop(data);
    });
    let mut ftp = login(&server, Options::default().with_timeout(Some(LIMIT)));
    let endless = std::io::repeat(b'x');
    let mut source = std::io::Read::take(endless, 1 << 40);
    let started = Instant::now();
    let err = ftp.stor("big.bin", &mut source).unwrap_err();
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
    let took = started.elapsed();
    assert!(took < LIMIT + SLACK, "took {took:?}");
    drop(ftp);
    drop(server);
}

#[test]
fn a_tls_upload_the_server_stops_reading_ends_at_the_idle_timeout() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("STOR");
        s.send("150 send it\r\n");
        let data = s.accept_data(&listener);
        // Handshake done, then never read again.
        std::thread::sleep(PEER_GOES_ON);
        drop(data);
    });
    let mut ftp = login(&server, tls_options());
    let mut source = std::io::Read::take(std::io::repeat(b'x'), 1 << 40);
    let started = Instant::now();
    let err = ftp.stor("big.bin", &mut source).unwrap_err();
    assert_timeout(&err, TimeoutPhase::DataIdle, started);
    drop(ftp);
    drop(server);
}
