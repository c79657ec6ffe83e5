//! FTPS against the real servers: explicit and implicit, PROT P and PROT C, TLS 1.2 and 1.3,
//! session reuse that vsftpd's require_ssl_reuse accepts on every data connection, and
//! certificate verification with a test CA.

mod common;

use std::io::Read;

use common::{cert_dir, pattern, sha256, Kind, Mode, Server, Tls, PASSWORD, USER};
use ftpc::{Client, DataProtection, Entry, Error, TlsLevel, TlsVersion};

/// Ten and more data connections of mixed kinds on one TLS session, each resumed.
fn many_transfers(kind: Kind, tls: Tls, level: TlsLevel, version: TlsVersion, mode: Mode) {
    let server = Server::start_tls(kind, tls, "server");
    let mut options = server.tls_options(mode, level);
    options.tls.min_version = Some(version);
    options.tls.max_version = Some(version);
    let mut ftp = server.client_with(options);
    assert!(ftp.is_tls());
    let payloads: Vec<Vec<u8>> = (0..4)
        .map(|i| pattern([0, 1, 777_777, 3 * 1024 * 1024 + 5][i], i as u64 + 40))
        .collect();
    let mut data_connections = 0;
    for round in 0..3 {
        for (i, data) in payloads.iter().enumerate() {
            let name = format!("f{round}-{i}.bin");
            ftp.stor(&name, &mut &data[..]).expect("STOR over TLS");
            assert_eq!(
                ftp.last_data_tls_resumed(),
                Some(true),
                "STOR #{data_connections}"
            );
            data_connections += 1;
            assert_eq!(sha256(&server.read_file(&name)), sha256(data));
            let mut back = Vec::new();
            ftp.retr(&name, &mut back).expect("RETR over TLS");
            assert_eq!(
                ftp.last_data_tls_resumed(),
                Some(true),
                "RETR #{data_connections}"
            );
            data_connections += 1;
            assert_eq!(sha256(&back), sha256(data), "{name}");
        }
        let entries: Vec<Entry> = if kind.has_mlsd() {
            ftp.mlsd(None).unwrap().collect::<Result<_, _>>().unwrap()
        } else {
            ftp.list_entries(None)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        data_connections += 1;
        assert_eq!(ftp.last_data_tls_resumed(), Some(true));
        let files = entries.iter().filter(|e| e.is_file()).count();
        assert_eq!(files, 4 * (round + 1));
    }
    assert!(data_connections >= 10);
    assert!(ftp.is_data_protected());
    ftp.quit().expect("QUIT over TLS");
}

#[test]
fn vsftpd_explicit_tls12() {
    many_transfers(
        Kind::Vsftpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls12,
        Mode::Epsv,
    );
}

#[test]
fn vsftpd_explicit_tls13() {
    many_transfers(
        Kind::Vsftpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls13,
        Mode::Pasv,
    );
}

#[test]
fn vsftpd_explicit_tls13_active() {
    many_transfers(
        Kind::Vsftpd,
        Tls::Explicit,
        TlsLevel::Control,
        TlsVersion::Tls13,
        Mode::Port,
    );
}

#[test]
fn vsftpd_implicit_tls12() {
    many_transfers(
        Kind::Vsftpd,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls12,
        Mode::Epsv,
    );
}

#[test]
fn vsftpd_implicit_tls13() {
    many_transfers(
        Kind::Vsftpd,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls13,
        Mode::Eprt,
    );
}

#[test]
fn pyftpdlib_explicit_tls12() {
    many_transfers(
        Kind::Pyftpdlib,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls12,
        Mode::Epsv,
    );
}

#[test]
fn pyftpdlib_explicit_tls13() {
    many_transfers(
        Kind::Pyftpdlib,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls13,
        Mode::Eprt,
    );
}

#[test]
fn pyftpdlib_implicit_tls13() {
    many_transfers(
        Kind::Pyftpdlib,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls13,
        Mode::Pasv,
    );
}

#[test]
fn pyftpdlib_implicit_tls12() {
    many_transfers(
        Kind::Pyftpdlib,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls12,
        Mode::Port,
    );
}

fn prot_clear(kind: Kind) {
    let server = Server::start_tls(kind, Tls::Explicit, "server");
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::Control);
    options.tls.data_protection = DataProtection::Clear;
    let mut ftp = server.client_with(options);
    let data = pattern(1024 * 1024 + 7, 77);
    ftp.stor("clear.bin", &mut &data[..]).unwrap();
    let mut back = Vec::new();
    ftp.retr("clear.bin", &mut back).unwrap();
    assert_eq!(sha256(&back), sha256(&data));
    assert!(ftp.is_tls());
    assert!(!ftp.is_data_protected());
    assert_eq!(ftp.last_data_tls_resumed(), None);
}

#[test]
fn prot_clear_pyftpdlib() {
    prot_clear(Kind::Pyftpdlib);
}

#[test]
fn prot_clear_vsftpd() {
    prot_clear(Kind::Vsftpd);
}

#[test]
fn prot_clear_with_level_all_is_refused() {
    let mut options = ftpc::Options::default();
    options.tls.level = TlsLevel::All;
    options.tls.data_protection = DataProtection::Clear;
    let err = Client::connect_with("127.0.0.1", 1, options).err().unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn vsftpd_without_session_reuse_says_why() {
    let server = Server::start_tls(Kind::Vsftpd, Tls::Explicit, "server");
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.session_reuse = false;
    let mut ftp = server.client_with(options);
    let data = pattern(10_000, 1);
    server.put_file("x.bin", &data);
    let err = ftp.retr("x.bin", &mut Vec::new()).unwrap_err();
    assert_eq!(err.reply_code(), 522, "{err}");
    assert!(
        err.to_string()
            .contains("did not resume the control connection's TLS session"),
        "{err}"
    );
    assert_eq!(ftp.last_data_tls_resumed(), Some(false));
    // vsftpd ends the session after a failed reuse; the client says so plainly.
    let err = ftp.pwd().unwrap_err();
    assert!(
        err.to_string()
            .contains("server closed the control connection"),
        "{err}"
    );
    assert!(!ftp.is_usable());
}

#[test]
fn try_level_falls_back_on_a_plain_server() {
    let server = Server::start(Kind::Pyftpdlib);
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::Try);
    options.tls.ca_file = None;
    let mut ftp = server.client_with(options);
    assert!(!ftp.is_tls());
    assert!(ftp.nlst(None).unwrap().is_empty());
    // Control (required) refuses the same server.
    let options = server.tls_options(Mode::Epsv, TlsLevel::Control);
    let err = Client::connect_with("127.0.0.1", server.port, options)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("AUTH TLS: 5"), "{err}");
}

fn connect_err(server: &Server, options: ftpc::Options) -> Error {
    match Client::connect_with("127.0.0.1", server.port, options) {
        Ok(mut c) => c.login(USER, PASSWORD).unwrap_err(),
        Err(e) => e,
    }
}

#[test]
fn verification_with_the_test_ca() {
    // Signed by the test CA: accepted with the CA, refused by default.
    let server = Server::start_tls(Kind::Pyftpdlib, Tls::Explicit, "server");
    let mut ftp = server.client_with(server.tls_options(Mode::Epsv, TlsLevel::All));
    assert_eq!(ftp.pwd().unwrap(), "/");
    let mut options = server.options(Mode::Epsv);
    options.tls.level = TlsLevel::All;
    let err = connect_err(&server, options);
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("unknown issuer"), "{err}");
    // The same with a CA directory instead of a file.
    let ca_dir = common::scratch_dir("ca-dir");
    std::fs::copy(cert_dir().join("ca.pem"), ca_dir.join("ca.pem")).unwrap();
    let mut options = server.options(Mode::Epsv);
    options.tls.level = TlsLevel::All;
    options.tls.ca_dir = Some(ca_dir);
    let mut ftp = server.client_with(options);
    assert_eq!(ftp.noop().unwrap().code(), 200);
    // A verification name that the certificate does not carry.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.server_name = Some("other.example".into());
    let err = connect_err(&server, options);
    assert!(err.to_string().contains("name mismatch"), "{err}");
    // `localhost` is in the certificate.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.server_name = Some("localhost".into());
    server.client_with(options);
}

#[test]
fn wrong_host_is_rejected() {
    let server = Server::start_tls(Kind::Pyftpdlib, Tls::Explicit, "wronghost");
    let err = connect_err(&server, server.tls_options(Mode::Epsv, TlsLevel::All));
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("name mismatch"), "{err}");
}

#[test]
fn expired_is_rejected() {
    let server = Server::start_tls(Kind::Vsftpd, Tls::Explicit, "expired");
    let err = connect_err(&server, server.tls_options(Mode::Epsv, TlsLevel::All));
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn self_signed_needs_a_pin_or_the_dangerous_option() {
    let server = Server::start_tls(Kind::Pyftpdlib, Tls::Explicit, "selfsigned");
    let err = connect_err(&server, server.tls_options(Mode::Epsv, TlsLevel::All));
    assert!(matches!(err, Error::Tls { .. }), "{err}");

    let pem = std::fs::read_to_string(cert_dir().join("selfsigned.pem")).unwrap();
    let der = pem_to_der(&pem);
    // Pinned by the certificate's SHA-256.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.pinned_sha256 = vec![ftpc::parse_pin(&common::sha256(&der)).unwrap()];
    let mut ftp = server.client_with(options);
    ftp.stor("p.bin", &mut &b"pinned"[..]).unwrap();
    // Pinned by its public key, curl style (sha256//base64 of the SPKI), computed by openssl.
    let spki_pin = openssl_spki_pin(&cert_dir().join("selfsigned.pem"));
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.pinned_sha256 = vec![ftpc::parse_pin(&spki_pin).unwrap()];
    server.client_with(options);
    // A pin that does not match.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.pinned_sha256 = vec![[7u8; 32]];
    let err = connect_err(&server, options);
    assert!(err.to_string().contains("pinned"), "{err}");
    // Verification explicitly off.
    let mut options = server.options(Mode::Epsv);
    options.tls.level = TlsLevel::All;
    options.tls.dangerous_disable_verification = true;
    let mut ftp = server.client_with(options);
    let mut back = Vec::new();
    ftp.retr("p.bin", &mut back).unwrap();
    assert_eq!(back, b"pinned");
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-outform", "DER"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(pem.as_bytes())?;
            let mut der = Vec::new();
            child.stdout.take().unwrap().read_to_end(&mut der)?;
            child.wait()?;
            Ok(der)
        })
        .unwrap();
    assert!(!out.is_empty());
    out
}

fn openssl_spki_pin(cert: &std::path::Path) -> String {
    let script = format!(
        "openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64",
        cert.display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    format!("sha256//{}", String::from_utf8(out.stdout).unwrap().trim())
}

#[test]
fn raw_stream_and_abort_over_tls() {
    let server = Server::start_tls(Kind::Vsftpd, Tls::Explicit, "server");
    let data = pattern(16 * 1024 * 1024, 3);
    server.put_file("big.bin", &data);
    let mut ftp = server.client_with(server.tls_options(Mode::Epsv, TlsLevel::All));
    {
        let mut stream = ftp.open_data("RETR big.bin", 0).unwrap();
        let mut head = [0u8; 4096];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(&head[..], &data[..4096]);
        stream.abort().unwrap();
    }
    let mut back = Vec::new();
    ftp.retr("big.bin", &mut back).unwrap();
    assert_eq!(sha256(&back), sha256(&data));
    assert_eq!(ftp.last_data_tls_resumed(), Some(true));
}

#[test]
fn client_certificate() {
    let ca = cert_dir().join("ca.pem");
    let ca = ca.to_str().unwrap();
    let server = Server::start_full(
        Kind::Pyftpdlib,
        Tls::Explicit,
        "127.0.0.1",
        "server",
        &["--client-ca", ca],
    );
    // Without a client certificate the server ends the handshake.
    let err = connect_err(&server, server.tls_options(Mode::Epsv, TlsLevel::All));
    assert!(matches!(err, Error::Tls { .. } | Error::Io { .. }), "{err}");
    // With one, the session and its data connections work.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.client_cert = Some((cert_dir().join("client.pem"), cert_dir().join("client.key")));
    let mut ftp = server.client_with(options);
    let data = pattern(300_000, 8);
    ftp.stor("c.bin", &mut &data[..]).unwrap();
    let mut back = Vec::new();
    ftp.retr("c.bin", &mut back).unwrap();
    assert_eq!(back, data);
    // A missing key file is the caller's error, reported before connecting.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.client_cert = Some((cert_dir().join("client.pem"), cert_dir().join("nope.key")));
    let err = Client::connect_with("127.0.0.1", server.port, options)
        .err()
        .unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}
