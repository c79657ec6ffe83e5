//! TLS from C against the real servers that require data connections to resume the control
//! connection's session (vsftpd, ProFTPD), explicit and implicit: every data connection
//! resumes, and `ftp_last_data_tls_resumed` says so.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::cprog::{compile, Link};
use common::{cert_dir, Kind, Server, Tls, PASSWORD, USER};

fn tls_resume_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| compile("tls_resume.c", "tls_resume", Link::Shared, "-O1"))
        .clone()
}

fn resumes_from_c(kind: Kind, tls: Tls) {
    let server = Server::start_tls(kind, tls, "server");
    let out = Command::new(tls_resume_binary())
        .args(["127.0.0.1", &server.port.to_string(), USER, PASSWORD])
        .arg(cert_dir().join("ca.pem"))
        .arg(if tls == Tls::Implicit { "1" } else { "0" })
        .output()
        .expect("run tls_resume");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains(" passed, 0 failed"),
        "{kind:?} {tls:?}:\n{text}\n{}",
        server.log()
    );
}

#[test]
fn vsftpd_explicit() {
    resumes_from_c(Kind::Vsftpd, Tls::Explicit);
}

#[test]
fn vsftpd_implicit() {
    resumes_from_c(Kind::Vsftpd, Tls::Implicit);
}

#[test]
fn proftpd_explicit() {
    resumes_from_c(Kind::Proftpd, Tls::Explicit);
}

#[test]
fn proftpd_implicit() {
    resumes_from_c(Kind::Proftpd, Tls::Implicit);
}
