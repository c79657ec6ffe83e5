//! A representative subset of the fault cases, through the public C API: each scripted
//! server misbehaves once, and the C program must get the right result class, reply code and
//! message, within its timeouts, with nothing injected on the wire.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::cert_dir;
use common::cprog::{compile, Link};
use common::scripted::{tree_server, Scripted, Tree};

const FTP_ERR_INVALID_ARGUMENT: i32 = -1;
const FTP_ERR_TEMPORARY: i32 = -2;
const FTP_ERR_PROTOCOL: i32 = -5;
const FTP_ERR_ABORTED: i32 = -9;
const FTP_ERR_IO: i32 = -6;
const FTP_ERR_TIMEOUT: i32 = -7;
const FTP_ERR_TLS: i32 = -8;

fn client_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| compile("fault_client.c", "fault_client", Link::Static, "-O0"))
        .clone()
}

/// Runs the C client: (result code, reply code, message, seconds taken). The client keeps
/// SIGPIPE's default action; dying by any signal fails the test.
fn run(port: u16, op: &str) -> (i32, i32, String, Duration) {
    run_with(port, op, &cert_dir().join("ca.pem"))
}

/// [`run`] with `arg` (a CA file or a local path) as the third argument.
fn run_with(port: u16, op: &str, arg: &std::path::Path) -> (i32, i32, String, Duration) {
    let exe = client_binary();
    let started = Instant::now();
    let out = Command::new(exe)
        .arg(port.to_string())
        .arg(op)
        .arg(arg)
        .output()
        .unwrap();
    let took = started.elapsed();
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            None,
            "the C client was killed by a signal (13 is SIGPIPE); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let rest = line
        .strip_prefix("rc=")
        .unwrap_or_else(|| panic!("no result line: {line:?}"));
    let (rc, rest) = rest.split_once(" reply=").unwrap();
    let (reply, msg) = rest.split_once(" msg=").unwrap();
    (
        rc.parse().unwrap(),
        reply.parse().unwrap(),
        msg.to_string(),
        took,
    )
}

#[test]
fn garbage_reply() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("complete nonsense\r\n");
    });
    let (rc, _, msg, _) = run(server.port, "login");
    assert_eq!(rc, FTP_ERR_PROTOCOL, "{msg}");
    assert!(msg.contains("malformed reply line"), "{msg}");
    server.finish();
}

#[test]
fn service_closing_at_login() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("421 Too many users\r\n");
    });
    let (rc, reply, msg, _) = run(server.port, "login");
    assert_eq!((rc, reply), (FTP_ERR_TEMPORARY, 421), "{msg}");
    assert!(msg.starts_with("USER u: 421"), "{msg}");
    server.finish();
}

#[test]
fn banner_never_sent() {
    let server = Scripted::start(|s| {
        std::thread::sleep(Duration::from_secs(3));
        drop(s.recv());
    });
    let (rc, _, msg, took) = run(server.port, "login");
    assert_eq!(rc, FTP_ERR_TIMEOUT, "{msg}");
    assert!(
        msg.contains("timed out after 600 ms waiting for reply"),
        "{msg}"
    );
    assert!(took < Duration::from_millis(600 + 1500), "{took:?}");
    server.finish();
}

#[test]
fn pasv_port_zero() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        s.expect("PASV");
        s.send("227 Entering Passive Mode (127,0,0,1,0,0)\r\n");
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "retr_pasv");
    assert_eq!(rc, FTP_ERR_PROTOCOL, "{msg}");
    assert!(msg.contains("port 0"), "{msg}");
    assert!(!server.finish().iter().any(|c| c.starts_with("RETR")));
}

#[test]
fn data_stall() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (data, _) = listener.accept().unwrap();
        s.send("150 coming\r\n");
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let (rc, _, msg, took) = run(server.port, "retr_epsv");
    assert_eq!(rc, FTP_ERR_TIMEOUT, "{msg}");
    assert!(msg.contains("waiting for data idle"), "{msg}");
    assert!(took < Duration::from_millis(600 + 2000), "{took:?}");
    server.finish();
}

#[test]
fn tls_data_cut_without_close_notify() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("RETR");
        s.send("150 here\r\n");
        let mut data = s.accept_data(&listener);
        data.write_all(&[1u8; 100_000]).unwrap();
        data.flush().unwrap();
        data.sock.shutdown(std::net::Shutdown::Both).unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "retr_tls");
    assert_eq!(rc, FTP_ERR_TLS, "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
    server.finish();
}

#[test]
fn injection_is_refused_before_sending() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "inject");
    assert_eq!(rc, FTP_ERR_INVALID_ARGUMENT, "{msg}");
    assert!(msg.contains("contains LF"), "{msg}");
    let transcript = server.finish();
    assert_eq!(transcript, ["USER u", "PASS p", "FEAT", "QUIT"]);
}

/// The server resets the data connection in the middle of a TLS upload: the C host (SIGPIPE
/// at its default action) gets an error, not death by SIGPIPE.
#[test]
fn tls_upload_reset_by_the_server_raises_no_sigpipe() {
    let server = Scripted::start_tls(|s| {
        s.greet_and_prepare();
        let listener = s.answer_epsv();
        s.expect("STOR");
        s.send("150 go ahead\r\n");
        let mut data = s.accept_data(&listener);
        let mut buf = vec![0u8; 64 * 1024];
        let _ = std::io::Read::read(&mut data, &mut buf);
        reset(data.sock);
        s.send("426 connection reset\r\n");
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "stor_tls");
    assert!(rc < 0, "an upload cut by a reset must fail: {msg}");
    server.finish();
}

/// The server resets the data connection in the middle of a plain `ftp_stor_fd` upload from
/// a regular file: the C host gets an error, not death by SIGPIPE, whether it keeps
/// SIGPIPE's default action or ignores it (sendfile(2), which cannot suppress the signal, is
/// only ever used when the process ignores it, and only with `Options::zero_copy_upload`).
#[test]
fn stor_fd_reset_by_the_server_raises_no_sigpipe() {
    let dir = std::env::temp_dir().join(format!("ftpc-stor-fd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("big.bin");
    std::fs::write(&local, vec![7u8; 32 * 1024 * 1024]).unwrap();
    for op in ["stor_fd", "stor_fd_sigign"] {
        let server = Scripted::start(|s| {
            s.greet_and_login();
            s.expect("TYPE I");
            s.send("200 ok\r\n");
            let listener = s.answer_epsv();
            s.expect("STOR");
            let (mut data, _) = listener.accept().unwrap();
            s.send("150 go ahead\r\n");
            let mut buf = vec![0u8; 64 * 1024];
            let _ = std::io::Read::read(&mut data, &mut buf);
            reset(data);
            s.send("426 connection reset\r\n");
            s.serve_until_quit();
        });
        let (rc, reply, msg, _) = run_with(server.port, op, &local);
        assert!(rc < 0, "{op}: an upload cut by a reset must fail: {msg}");
        assert_eq!(reply, 426, "{op}: {msg}");
        server.finish();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ftp_retr_fd` into a regular file (spliced) when the server stalls mid-transfer: a data
/// idle timeout, within the C host's 600 ms limit.
#[test]
fn retr_fd_stalled_by_the_server_times_out() {
    let dir = std::env::temp_dir().join(format!("ftpc-retr-fd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = dir.join("got.bin");
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here\r\n");
        std::io::Write::write_all(&mut data, &[1u8; 5000]).unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let (rc, _, msg, took) = run_with(server.port, "download_fd", &local);
    assert_eq!(rc, FTP_ERR_TIMEOUT, "{msg}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(std::fs::read(&local).unwrap().len(), 5000);
    server.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// QUIT sent by hand, the server resets the connection after its 221, then `ftp_close` sends
/// close_notify into the reset socket: no SIGPIPE.
#[test]
fn close_after_quit_on_a_reset_tls_connection_raises_no_sigpipe() {
    let server = Scripted::start_tls(|s| {
        s.send("220 scripted implicit FTPS\r\n");
        s.expect("USER");
        s.send("331 pw\r\n");
        s.expect("PASS");
        s.send("230 in\r\n");
        s.expect("FEAT");
        s.send("211 no features\r\n");
        s.expect("QUIT");
        s.send("221 bye\r\n");
        std::thread::sleep(Duration::from_millis(100));
        let tcp = s.control.sock.try_clone().unwrap();
        reset(tcp);
    });
    let (rc, reply, msg, _) = run(server.port, "quit_tls");
    assert_eq!((rc, reply), (0, 0), "{msg}");
    server.finish();
}

/// Closes with RST instead of FIN, so the client's next writes fail with EPIPE/ECONNRESET.
fn reset(tcp: std::net::TcpStream) {
    let socket = socket2::SockRef::from(&tcp);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(tcp);
}

/// An upload that announced 1,024 bytes and whose source ends after 500: an error, and the
/// transfer is aborted (never a 226 taken for success).
#[test]
fn upload_short_of_its_announced_total_fails() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("STOR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 send it\r\n");
        let mut got = Vec::new();
        let _ = std::io::Read::read_to_end(&mut data, &mut got);
        assert_eq!(got.len(), 500);
        s.expect("ABOR");
        s.send("226 got what you sent\r\n");
        s.expect("NOOP");
        s.send("200 ok\r\n");
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "stor_short");
    assert_eq!(rc, FTP_ERR_IO, "{msg}");
    assert!(msg.contains("ended after 500 of the 1024 bytes"), "{msg}");
    server.finish();
}

/// The raw data stream closed after 500 of 1,024 announced bytes: an error, as for ftp_retr.
#[test]
fn raw_stream_closed_short_of_the_announced_size_fails() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 Opening BINARY mode data connection for file.bin (1024 bytes)\r\n");
        data.write_all(&[7u8; 500]).unwrap();
        drop(data);
        s.send("226 done\r\n");
        s.serve_until_quit();
    });
    let (rc, _, msg, _) = run(server.port, "data_short");
    assert_eq!(rc, FTP_ERR_PROTOCOL, "{msg}");
    assert!(
        msg.contains("received 500 bytes but the server announced 1024"),
        "{msg}"
    );
    server.finish();
}

/// A server that echoes the password in its answer to PASS: neither the thread's message nor
/// the handle's contains it.
#[test]
fn echoed_password_is_masked_in_c_messages() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("331 pw\r\n");
        let pass = s.expect("PASS");
        s.send(&format!("530 wrong password: {pass}\r\n"));
        s.serve_until_quit();
    });
    let (rc, reply, msg, _) = run(server.port, "login_secret");
    assert_eq!(reply, 530, "{msg}");
    assert!(rc < 0);
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(
        msg.contains("handle=PASS ****: 530 wrong password: PASS ****"),
        "{msg}"
    );
    server.finish();
}

/// Options carry a retry policy, so connecting and logging in retry from C: the first
/// connection is refused with 421 at the greeting, the second with 421 at USER, the third
/// logs in.
#[test]
fn connect_retries_with_the_options_policy() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut first, _) = listener.accept().unwrap();
        first
            .write_all(b"421 Too many connections, try later\r\n")
            .unwrap();
        drop(first);
        let (mut second, _) = listener.accept().unwrap();
        second.write_all(b"220 ready\r\n").unwrap();
        let mut line = String::new();
        let mut reader = std::io::BufReader::new(second.try_clone().unwrap());
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        assert!(line.starts_with("USER"), "{line}");
        second
            .write_all(b"421 Too many users, closing\r\n")
            .unwrap();
        drop(second);
        let (second, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(second.try_clone().unwrap());
        let mut writer = second;
        let mut seen = Vec::new();
        writer.write_all(b"220 ready\r\n").unwrap();
        for answer in ["331 pw", "230 in", "211 none", "221 bye"] {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
                break;
            }
            seen.push(line.split(' ').next().unwrap_or("").trim().to_string());
            writer
                .write_all(format!("{answer}\r\n").as_bytes())
                .unwrap();
        }
        seen
    });
    let (rc, _, msg, _) = run(port, "connect_retry");
    assert_eq!(rc, 0, "{msg}");
    assert_eq!(server.join().unwrap(), ["USER", "PASS", "FEAT", "QUIT"]);
}

/// `ftp_dir_list_open` of a listing over `ftp_options_set_max_listing_entries`: the call fails
/// whole, naming the bound, and the session stays usable (the listing was aborted).
#[test]
fn dir_list_over_its_entry_bound() {
    let server = tree_server(Tree {
        list: Box::new(|_| {
            Some(b"type=file; a\r\ntype=file; b\r\ntype=file; c\r\ntype=file; d\r\n".to_vec())
        }),
        file: Box::new(|_| None),
    });
    let (rc, _, msg, _) = run(server.port, "dir_list_bound");
    assert_eq!(rc, FTP_ERR_PROTOCOL, "{msg}");
    assert!(msg.contains("more than 3 entries"), "{msg}");
    assert!(msg.contains("ftp_options_set_max_listing_entries"), "{msg}");
    server.finish();
}

/// `ftp_mirror_directory` of a server whose every directory holds another: it stops at
/// `ftp_options_set_max_tree_depth` and changes nothing.
#[test]
fn mirror_of_an_endless_tree() {
    let server = tree_server(Tree {
        list: Box::new(|_| Some(b"type=dir; d\r\n".to_vec())),
        file: Box::new(|_| None),
    });
    let target = common::scratch_dir("c-endless").join("copy");
    let (rc, _, msg, _) = run_with(server.port, "mirror_deep", &target);
    assert_eq!(rc, FTP_ERR_PROTOCOL, "{msg}");
    assert!(msg.contains("ftp_options_set_max_tree_depth"), "{msg}");
    assert!(!target.exists());
    let transcript = server.finish();
    assert_eq!(
        transcript.iter().filter(|c| c.starts_with("MLSD")).count(),
        9
    );
}

/// `ftp_download_file` where a symbolic link was planted at the partial file's name: the
/// link's target is never written and the file lands as a regular file.
#[test]
fn download_file_never_follows_a_planted_partial_file() {
    let server = tree_server(Tree {
        list: Box::new(|_| None),
        file: Box::new(|path| (path == "x").then(|| b"from the server".to_vec())),
    });
    let base = common::scratch_dir("c-partial-symlink");
    let victim = base.join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, base.join(".x.ftpc-part")).unwrap();
    let (rc, _, msg, _) = run_with(server.port, "download_file", &base.join("x"));
    assert_eq!(rc, 0, "{msg}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let meta = std::fs::symlink_metadata(base.join("x")).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(std::fs::read(base.join("x")).unwrap(), b"from the server");
    server.finish();
}

/// A raw data stream whose server stalls: the failure of ftp_data_read is kept on the session
/// handle (code and message), and ftp_errreply is the failure's reply code (none: 0) while
/// ftp_reply_code is still the last reply, 150.
#[test]
fn data_stream_failure_is_kept_on_the_handle() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (data, _) = listener.accept().unwrap();
        s.send("150 coming\r\n");
        std::thread::sleep(Duration::from_secs(3));
        drop(data);
    });
    let exe = client_binary();
    let out = Command::new(exe)
        .arg(server.port.to_string())
        .arg("data_stall")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let handle = text
        .lines()
        .find(|l| l.starts_with("handle_code="))
        .unwrap_or_else(|| panic!("no handle line: {text}"));
    assert!(
        handle.starts_with(&format!(
            "handle_code={FTP_ERR_TIMEOUT} handle_reply=0 last_reply=150 handle_msg="
        )),
        "{handle}"
    );
    assert!(handle.contains("waiting for data idle"), "{handle}");
    drop(server);
}

#[test]
fn ftp_cancel_from_another_thread_stops_the_call_and_the_handle_reconnects() {
    // Session 1: login, then a RETR whose data never comes. Session 2 (after the cancel): the
    // handle logs in again by itself, and PWD answers.
    let server = Scripted::start_sessions(2, |n, s| {
        s.greet_and_login();
        if n == 0 {
            s.expect("TYPE I");
            s.send("200 ok\r\n");
            let listener = s.answer_epsv();
            s.expect("RETR");
            let (_data, _) = listener.accept().unwrap();
            s.send("150 here it comes\r\n");
            let _ = s.recv();
        } else {
            s.expect("PWD");
            s.send("257 \"/\" is here\r\n");
            s.serve_until_quit();
        }
    });
    let (rc, _, msg, took) = run(server.port, "cancel_retr");
    assert_eq!(rc, FTP_ERR_ABORTED, "{msg}");
    // The call in progress was stopped; a cancel with no call running stops nothing.
    assert!(msg.contains(" cancel=0 idle_cancel=1 "), "{msg}");
    assert!(msg.contains(" pwd=0 dir=/"), "{msg}");
    assert!(took < Duration::from_secs(20), "{took:?}");
    server.finish();
}
