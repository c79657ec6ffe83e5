//! FTPS against the real servers: explicit and implicit, PROT P and PROT C, TLS 1.2 and 1.3,
//! session reuse that vsftpd's require_ssl_reuse and ProFTPD's default accept on every data
//! connection (Pure-FTPd resumes under TLS 1.2 only, and does not require it), long runs of
//! uploads and downloads on one session, and certificate verification with a test CA.

mod common;

use std::io::Read;

use common::{cert_dir, pattern, sha256, Kind, Mode, Server, Tls, PASSWORD, USER};
use ftpc::{Client, DataProtection, Entry, Error, TlsLevel, TlsVersion};

/// Ten and more data connections of mixed kinds on one TLS session, each resumed (where the
/// server resumes at all).
fn many_transfers(kind: Kind, tls: Tls, level: TlsLevel, version: TlsVersion, mode: Mode) {
    let server = Server::start_tls(kind, tls, "server");
    let mut options = server.tls_options(mode, level);
    options.tls.min_version = Some(version);
    options.tls.max_version = Some(version);
    let mut ftp = server.agent_with(options);
    assert!(ftp.session_ref().is_tls());
    let resumed = Some(kind.resumes_tls_sessions(version));
    let payloads: Vec<Vec<u8>> = (0..4)
        .map(|i| pattern([0, 1, 777_777, 3 * 1024 * 1024 + 5][i], i as u64 + 40))
        .collect();
    let mut data_connections = 0;
    for round in 0..3 {
        for (i, data) in payloads.iter().enumerate() {
            let name = format!("f{round}-{i}.bin");
            let what = format!("STOR #{data_connections} {name} over {version:?}");
            server.check(
                ftp.data_session().unwrap().stor(&name, &mut &data[..]),
                &what,
            );
            assert_eq!(
                ftp.session_ref().last_data_tls_resumed(),
                resumed,
                "{what}\n{}",
                server.log()
            );
            data_connections += 1;
            assert_eq!(sha256(&server.read_file(&name)), sha256(data));
            let mut back = Vec::new();
            let what = format!("RETR #{data_connections} {name} over {version:?}");
            server.check(ftp.data_session().unwrap().retr(&name, &mut back), &what);
            assert_eq!(
                ftp.session_ref().last_data_tls_resumed(),
                resumed,
                "{what}\n{}",
                server.log()
            );
            data_connections += 1;
            assert_eq!(sha256(&back), sha256(data), "{name}");
        }
        let entries: Vec<Entry> = if kind.has_mlsd() {
            ftp.data_session()
                .unwrap()
                .mlsd(None)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        } else {
            ftp.data_session()
                .unwrap()
                .list_entries(None)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        data_connections += 1;
        assert_eq!(ftp.session_ref().last_data_tls_resumed(), resumed);
        let files = entries.iter().filter(|e| e.is_file()).count();
        assert_eq!(files, 4 * (round + 1));
    }
    assert!(data_connections >= 10);
    assert!(ftp.session_ref().is_data_protected());
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

#[test]
fn proftpd_explicit_tls12() {
    many_transfers(
        Kind::Proftpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls12,
        Mode::Epsv,
    );
}

#[test]
fn proftpd_explicit_tls13() {
    many_transfers(
        Kind::Proftpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls13,
        Mode::Pasv,
    );
}

#[test]
fn proftpd_explicit_tls13_active() {
    many_transfers(
        Kind::Proftpd,
        Tls::Explicit,
        TlsLevel::Control,
        TlsVersion::Tls13,
        Mode::Port,
    );
}

#[test]
fn proftpd_implicit_tls12() {
    many_transfers(
        Kind::Proftpd,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls12,
        Mode::Eprt,
    );
}

#[test]
fn proftpd_implicit_tls13() {
    many_transfers(
        Kind::Proftpd,
        Tls::Implicit,
        TlsLevel::Implicit,
        TlsVersion::Tls13,
        Mode::Epsv,
    );
}

#[test]
fn pureftpd_explicit_tls12() {
    many_transfers(
        Kind::PureFtpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls12,
        Mode::Epsv,
    );
}

#[test]
fn pureftpd_explicit_tls13() {
    many_transfers(
        Kind::PureFtpd,
        Tls::Explicit,
        TlsLevel::All,
        TlsVersion::Tls13,
        Mode::Port,
    );
}

/// Every server in every TLS mode it offers, TLS 1.2 and TLS 1.3: an upload and a download,
/// each data connection resumed where the server resumes sessions.
#[test]
fn every_server_every_tls_mode() {
    for kind in Kind::ALL {
        for &tls in kind.tls_modes() {
            let server = Server::start_tls(kind, tls, "server");
            let level = match tls {
                Tls::Implicit => TlsLevel::Implicit,
                _ => TlsLevel::All,
            };
            for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
                let what = format!("{tls:?} {version:?}");
                let mut options = server.tls_options(Mode::Epsv, level);
                options.tls.min_version = Some(version);
                options.tls.max_version = Some(version);
                let mut ftp = server.check(
                    ftpc::Agent::connect(&server.host, server.port, options),
                    &format!("connect, {what}"),
                );
                server.check(ftp.login(USER, PASSWORD), &format!("login, {what}"));
                assert!(ftp.session_ref().is_tls(), "{what}");
                let data = pattern(300_000, 5);
                let resumed = Some(kind.resumes_tls_sessions(version));
                server.check(
                    ftp.data_session().unwrap().stor("m.bin", &mut &data[..]),
                    &format!("STOR, {what}"),
                );
                assert_eq!(
                    ftp.session_ref().last_data_tls_resumed(),
                    resumed,
                    "{kind:?} STOR {what}"
                );
                assert!(ftp.session_ref().is_data_protected(), "{what}");
                let mut back = Vec::new();
                server.check(
                    ftp.data_session().unwrap().retr("m.bin", &mut back),
                    &format!("RETR, {what}"),
                );
                assert_eq!(
                    ftp.session_ref().last_data_tls_resumed(),
                    resumed,
                    "{kind:?} RETR {what}"
                );
                assert_eq!(sha256(&back), sha256(&data), "{kind:?} {what}");
                server.check(ftp.quit(), &format!("QUIT, {what}"));
            }
        }
    }
}

/// Twenty uploads in a row, then twenty downloads, on one session, in each data mode: every data connection
/// must resume the control connection's TLS session (vsftpd and ProFTPD refuse one that
/// does not), and every file arrives intact.
fn in_a_row(kind: Kind, tls: Tls, version: TlsVersion) {
    let server = Server::start_tls(kind, tls, "server");
    let level = match tls {
        Tls::Implicit => TlsLevel::Implicit,
        _ => TlsLevel::All,
    };
    let payloads: Vec<Vec<u8>> = (0..20)
        .map(|i| pattern(1000 + i * 37_501, i as u64 + 200))
        .collect();
    // Every data mode, each on a session of its own.
    for mode in [Mode::Epsv, Mode::Pasv, Mode::Port, Mode::Eprt] {
        let mut options = server.tls_options(mode, level);
        options.tls.min_version = Some(version);
        options.tls.max_version = Some(version);
        let mut ftp = server.agent_with(options);
        let what =
            |op: &str, i: usize| format!("{op} #{} of 20 in a row, {version:?}, {mode:?}", i + 1);
        for (i, data) in payloads.iter().enumerate() {
            let name = format!("row-{i}.bin");
            server.check(
                ftp.data_session().unwrap().stor(&name, &mut &data[..]),
                &what("STOR", i),
            );
            assert_eq!(
                ftp.session_ref().last_data_tls_resumed(),
                Some(true),
                "{}\n{}",
                what("STOR", i),
                server.log()
            );
            assert_eq!(sha256(&server.read_file(&name)), sha256(data), "{name}");
        }
        // The servers built on OpenSSL issue a ticket on every upload's connection under TLS
        // 1.3 (ProFTPD issues none there): the wait for it must have seen it arrive.
        if version == TlsVersion::Tls13 && kind != Kind::Proftpd {
            assert!(
                !ftp.session_ref().quirks().upload_tickets_missing(),
                "{kind:?} {mode:?}: an upload's session ticket was not seen\n{}",
                server.log()
            );
        }
        for (i, data) in payloads.iter().enumerate() {
            let name = format!("row-{i}.bin");
            let mut back = Vec::new();
            server.check(
                ftp.data_session().unwrap().retr(&name, &mut back),
                &what("RETR", i),
            );
            assert_eq!(
                ftp.session_ref().last_data_tls_resumed(),
                Some(true),
                "{}\n{}",
                what("RETR", i),
                server.log()
            );
            assert_eq!(sha256(&back), sha256(data), "{name}");
        }
        server.check(ftp.quit(), "QUIT");
    }
}

macro_rules! in_a_row {
    ($($name:ident: $kind:ident, $tls:ident, $version:ident;)*) => {
        $(#[test]
        fn $name() {
            in_a_row(Kind::$kind, Tls::$tls, TlsVersion::$version);
        })*
    };
}

in_a_row! {
    in_a_row_proftpd_explicit_tls12: Proftpd, Explicit, Tls12;
    in_a_row_proftpd_explicit_tls13: Proftpd, Explicit, Tls13;
    in_a_row_proftpd_implicit_tls12: Proftpd, Implicit, Tls12;
    in_a_row_proftpd_implicit_tls13: Proftpd, Implicit, Tls13;
    in_a_row_vsftpd_explicit_tls12: Vsftpd, Explicit, Tls12;
    in_a_row_vsftpd_explicit_tls13: Vsftpd, Explicit, Tls13;
    in_a_row_vsftpd_implicit_tls12: Vsftpd, Implicit, Tls12;
    in_a_row_vsftpd_implicit_tls13: Vsftpd, Implicit, Tls13;
    // pyftpdlib does not require reuse, but resumes, and sends tickets on data connections.
    in_a_row_pyftpdlib_explicit_tls13: Pyftpdlib, Explicit, Tls13;
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
fn prot_clear_proftpd() {
    prot_clear(Kind::Proftpd);
}

#[test]
fn prot_clear_pureftpd() {
    prot_clear(Kind::PureFtpd);
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
fn proftpd_without_session_reuse_says_why() {
    let server = Server::start_tls(Kind::Proftpd, Tls::Explicit, "server");
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.session_reuse = false;
    let mut ftp = server.client_with(options);
    let data = pattern(10_000, 1);
    server.put_file("x.bin", &data);
    let err = ftp.retr("x.bin", &mut Vec::new()).unwrap_err();
    // `425 Unable to build data connection: Operation not permitted`; the TLS log says why.
    assert_eq!(err.reply_code(), 425, "{err}");
    assert!(
        err.to_string()
            .contains("did not resume the control connection's TLS session"),
        "{err}"
    );
    assert_eq!(ftp.last_data_tls_resumed(), Some(false));
    let log = server.log();
    assert!(log.contains("client did not reuse TLS session"), "{log}");
    // ProFTPD keeps the session.
    assert_eq!(ftp.pwd().unwrap(), "/");
    assert!(ftp.is_usable());
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

    // Trusted as a CA file: it is its own CA, which rustls refuses; said in words, with what
    // to do, never a library's Debug output.
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.ca_file = Some(cert_dir().join("selfsigned.pem"));
    let err = connect_err(&server, options);
    let text = err.to_string();
    assert!(text.contains("a CA certificate as its own"), "{text}");
    assert!(text.contains("ftp_options_add_tls_pin"), "{text}");
    assert!(
        !text.contains("Other(") && !text.contains("OtherError"),
        "{text}"
    );

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

fn raw_stream_and_abort_over_tls(kind: Kind) {
    let server = Server::start_tls(kind, Tls::Explicit, "server");
    let data = pattern(16 * 1024 * 1024, 3);
    server.put_file("big.bin", &data);
    let mut ftp = server.client_with(server.tls_options(Mode::Epsv, TlsLevel::All));
    {
        let mut stream = ftp.open_data("RETR big.bin", 0).unwrap();
        let mut head = [0u8; 4096];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(&head[..], &data[..4096]);
        server.check(stream.abort(), "ABOR of a TLS download");
    }
    let mut back = Vec::new();
    server.check(ftp.retr("big.bin", &mut back), "RETR after ABOR");
    assert_eq!(sha256(&back), sha256(&data));
    // TLS 1.3 is negotiated.
    assert_eq!(
        ftp.last_data_tls_resumed(),
        Some(kind.resumes_tls_sessions(TlsVersion::Tls13))
    );
}

#[test]
fn raw_stream_and_abort_over_tls_vsftpd() {
    raw_stream_and_abort_over_tls(Kind::Vsftpd);
}

#[test]
fn raw_stream_and_abort_over_tls_proftpd() {
    raw_stream_and_abort_over_tls(Kind::Proftpd);
}

#[test]
fn raw_stream_and_abort_over_tls_pureftpd() {
    raw_stream_and_abort_over_tls(Kind::PureFtpd);
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

#[test]
fn prot_c_and_p_and_active_mode_can_be_chosen_on_a_connected_session() {
    // ftplib code calls prot_p()/prot_c() and set_pasv() after connecting.
    for kind in [Kind::Pyftpdlib, Kind::Vsftpd] {
        let server = Server::start_tls(kind, Tls::Explicit, "server");
        let mut ftp = server.agent_with(server.tls_options(Mode::Epsv, TlsLevel::Control));
        let data = pattern(100_000, 9);
        ftp.set_data_protection(DataProtection::Clear).unwrap();
        ftp.data_session()
            .unwrap()
            .stor("clear.bin", &mut &data[..])
            .unwrap();
        assert!(!ftp.session_ref().is_data_protected(), "{kind:?}");
        assert_eq!(ftp.session_ref().last_data_tls_resumed(), None);
        ftp.set_data_protection(DataProtection::Private).unwrap();
        ftp.set_data_mode(ftpc::DataMode::Active(Default::default()))
            .unwrap();
        let mut back = Vec::new();
        ftp.data_session()
            .unwrap()
            .retr("clear.bin", &mut back)
            .unwrap();
        assert!(ftp.session_ref().is_data_protected(), "{kind:?}");
        assert_eq!(sha256(&back), sha256(&data));
        // A new session (after a reconnect) keeps the choices.
        ftp.reconnect().unwrap();
        let mut again = Vec::new();
        ftp.data_session()
            .unwrap()
            .retr("clear.bin", &mut again)
            .unwrap();
        assert!(ftp.session_ref().is_data_protected());
        assert!(matches!(
            ftp.session_ref().options().data_mode,
            ftpc::DataMode::Active(_)
        ));
        ftp.quit().unwrap();
    }
    // Without TLS there is no PROT to choose.
    let server = Server::start(Kind::Pyftpdlib);
    let mut ftp = server.agent(Mode::Epsv);
    assert!(matches!(
        ftp.set_data_protection(DataProtection::Private),
        Err(Error::InvalidState(_))
    ));
}

#[test]
fn a_ca_given_as_pem_text_is_trusted_and_junk_is_refused() {
    let server = Server::start_tls(Kind::Pyftpdlib, Tls::Explicit, "server");
    let mut options = server.tls_options(Mode::Epsv, TlsLevel::All);
    options.tls.ca_file = None;
    options.tls.use_system_roots = false;
    let pem = std::fs::read(cert_dir().join("ca.pem")).unwrap();
    assert!(options.tls.add_ca_pem(b"not a certificate").is_err());
    assert!(options.tls.ca_pem.is_empty());
    options.tls.add_ca_pem(&pem).unwrap();
    let mut ftp = server.agent_with(options.clone());
    assert!(ftp.session_ref().is_tls());
    let mut listing = Vec::new();
    ftp.data_session()
        .unwrap()
        .retr_lines("LIST", &mut |l| {
            listing.push(l.to_vec());
            ftpc::Flow::Continue
        })
        .unwrap();
    ftp.quit().unwrap();
    // Another CA's PEM only: the server's certificate does not verify.
    let mut other = options;
    other.tls.ca_pem = Vec::new();
    other
        .tls
        .add_ca_pem(&std::fs::read(cert_dir().join("selfsigned.pem")).unwrap())
        .unwrap();
    let err = ftpc::Agent::connect(&server.host, server.port, other).unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
}
