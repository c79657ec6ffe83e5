//! 16 threads, each with its own handle, 50 round trips each, against both servers, plain
//! and TLS, through the C API (tests/c/stress_test.c). Every file the threads stored is then
//! checked here by SHA-256 against the same deterministic content.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::cprog::{compile, Link};
use common::{cert_dir, sha256, Kind, Server, Tls, PASSWORD, USER};

const THREADS: u32 = 16;
const TRANSFERS: u32 = 50;

fn build(label: &str) -> PathBuf {
    compile(
        "stress_test.c",
        &format!("stress_test_{label}"),
        Link::Static,
        "-O2",
    )
}

/// The content stress_test.c writes for thread `t`, round `i`.
fn expected(t: u32, i: u32) -> Vec<u8> {
    let size = 1000 + (t.wrapping_mul(7919).wrapping_add(i.wrapping_mul(104_729))) % 60_000;
    (0..size)
        .map(|j| (j.wrapping_mul(31).wrapping_add(t * 7).wrapping_add(i * 13) & 0xff) as u8)
        .collect()
}

fn stress(kind: Kind, tls: bool) {
    let exe = build(&format!("{kind:?}_{tls}"));
    let server = if tls {
        Server::start_tls(kind, Tls::Explicit, "server")
    } else {
        Server::start(kind)
    };
    let out = Command::new(&exe)
        .arg("127.0.0.1")
        .arg(server.port.to_string())
        .args([USER, PASSWORD, if tls { "1" } else { "0" }])
        .arg(cert_dir().join("ca.pem"))
        .arg(THREADS.to_string())
        .arg(TRANSFERS.to_string())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    for t in 0..THREADS {
        for i in 0..TRANSFERS {
            let stored = server.read_file(&format!("t{t}-{i}.bin"));
            assert_eq!(sha256(&stored), sha256(&expected(t, i)), "t{t}-{i}.bin");
        }
    }
}

#[test]
fn stress_pyftpdlib_plain() {
    stress(Kind::Pyftpdlib, false);
}

#[test]
fn stress_pyftpdlib_tls() {
    stress(Kind::Pyftpdlib, true);
}

#[test]
fn stress_vsftpd_plain() {
    stress(Kind::Vsftpd, false);
}

#[test]
fn stress_vsftpd_tls() {
    stress(Kind::Vsftpd, true);
}
