//! Starts the project's real test servers (scripts/servers/ftpserver.py) for one test each.
#![allow(dead_code)]

pub mod cprog;
pub mod scripted;
pub mod tls_scripted;

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ftpc::{ActiveOptions, Client, DataMode, Options, PassiveMode};
use sha2::{Digest, Sha256};

pub const USER: &str = "ftpctest";
pub const PASSWORD: &str = "ftpc-test-pw";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pyftpdlib,
    Vsftpd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    None,
    Explicit,
    Implicit,
}

/// The four ways to open a data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Epsv,
    Pasv,
    Port,
    Eprt,
}

impl Mode {
    pub fn data_mode(self) -> DataMode {
        match self {
            Mode::Epsv => DataMode::Passive(PassiveMode::Epsv),
            Mode::Pasv => DataMode::Passive(PassiveMode::Pasv),
            Mode::Port => DataMode::Active(ActiveOptions::default()),
            Mode::Eprt => DataMode::Active(ActiveOptions {
                use_eprt: true,
                ..ActiveOptions::default()
            }),
        }
    }
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let venv = manifest_dir().join("target/ftp-venv/bin/python");
    assert!(
        venv.exists(),
        "the test servers are not installed: run `bash scripts/servers/install.sh` (as root)"
    );
    venv
}

/// Certificates made by scripts/servers/make-certs.sh.
pub fn cert_dir() -> PathBuf {
    let dir = manifest_dir().join("target/test-certs");
    if !dir.join("selfsigned.pem").exists() {
        let status = Command::new("bash")
            .arg(manifest_dir().join("scripts/servers/make-certs.sh"))
            .arg(&dir)
            .status()
            .expect("run make-certs.sh");
        assert!(status.success(), "make-certs.sh failed");
    }
    dir
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty directory for one test.
pub fn scratch_dir(label: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir()
        .join("ftpc-tests")
        .join(format!("{label}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    // vsftpd's user must be able to reach it.
    let mut p = dir.clone();
    while p.pop() {
        if p == std::env::temp_dir() {
            break;
        }
        let _ = set_mode(&p, 0o755);
    }
    set_mode(&dir, 0o777).expect("chmod scratch dir");
    dir
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// A running server; stopped and its directory removed on drop.
pub struct Server {
    child: Child,
    _stdin: ChildStdin,
    pub kind: Kind,
    pub host: String,
    pub port: u16,
    pub root: PathBuf,
    tls: Tls,
    cert: String,
    extra: Vec<String>,
}

impl Server {
    pub fn start(kind: Kind) -> Server {
        Server::start_with(kind, Tls::None, "127.0.0.1")
    }

    pub fn start_with(kind: Kind, tls: Tls, host: &str) -> Server {
        Server::start_full(kind, tls, host, "server", &[])
    }

    /// A TLS server presenting the certificate `cert` (a name from make-certs.sh).
    pub fn start_tls(kind: Kind, tls: Tls, cert: &str) -> Server {
        Server::start_full(kind, tls, "127.0.0.1", cert, &[])
    }

    pub fn start_full(kind: Kind, tls: Tls, host: &str, cert: &str, extra: &[&str]) -> Server {
        let label = match kind {
            Kind::Pyftpdlib => "pyftpdlib",
            Kind::Vsftpd => "vsftpd",
        };
        let root = scratch_dir(label);
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, stdin, port) = Server::spawn(kind, tls, host, cert, &extra, &root, 0);
        Server {
            child,
            _stdin: stdin,
            kind,
            host: host.to_string(),
            port,
            root,
            tls,
            cert: cert.to_string(),
            extra,
        }
    }

    /// Stops the server process (every session dies with it) and starts it again on the same
    /// port and root.
    pub fn restart(&mut self) {
        self.stop();
        for _ in 0..50 {
            let (child, stdin, port) = match std::panic::catch_unwind(|| {
                Server::spawn(
                    self.kind,
                    self.tls,
                    &self.host,
                    &self.cert,
                    &self.extra,
                    &self.root,
                    self.port,
                )
            }) {
                Ok(started) => started,
                Err(_) => {
                    // The port may linger for a moment after the old process.
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            assert_eq!(port, self.port);
            self.child = child;
            self._stdin = stdin;
            return;
        }
        panic!("could not restart the server on port {}", self.port);
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn spawn(
        kind: Kind,
        tls: Tls,
        host: &str,
        cert: &str,
        extra: &[String],
        root: &Path,
        port: u16,
    ) -> (Child, ChildStdin, u16) {
        let label = match kind {
            Kind::Pyftpdlib => "pyftpdlib",
            Kind::Vsftpd => "vsftpd",
        };
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.with_extension("log"))
            .expect("server log");
        let mut cmd = Command::new(python());
        cmd.arg(manifest_dir().join("scripts/servers/ftpserver.py"))
            .arg(label)
            .arg("--root")
            .arg(root)
            .arg("--host")
            .arg(host)
            .arg("--port")
            .arg(port.to_string());
        if tls != Tls::None {
            let certs = cert_dir();
            cmd.arg("--tls")
                .arg(if tls == Tls::Explicit {
                    "explicit"
                } else {
                    "implicit"
                })
                .arg("--cert")
                .arg(certs.join(format!("{cert}.pem")))
                .arg("--key")
                .arg(certs.join(format!("{cert}.key")));
        }
        cmd.args(extra);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start ftpserver.py");
        let stdin = child.stdin.take().expect("stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read READY line");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                let log = fs::read_to_string(root.with_extension("log")).unwrap_or_default();
                panic!("{label} did not start (got {line:?}); its log:\n{log}")
            });
        (child, stdin, port)
    }

    pub fn options(&self, mode: Mode) -> Options {
        let mut options = Options::default().with_timeout(Some(Duration::from_secs(20)));
        options.data_mode = mode.data_mode();
        options
    }

    /// Options for a TLS session at `level` that trusts the test CA.
    pub fn tls_options(&self, mode: Mode, level: ftpc::TlsLevel) -> Options {
        let mut options = self.options(mode);
        options.tls.level = level;
        options.tls.ca_file = Some(cert_dir().join("ca.pem"));
        options
    }

    /// Connects and logs in.
    pub fn client(&self, mode: Mode) -> Client {
        self.client_with(self.options(mode))
    }

    pub fn client_with(&self, options: Options) -> Client {
        let mut client =
            Client::connect_with(&self.host, self.port, options).expect("connect to test server");
        client.login(USER, PASSWORD).expect("login");
        client
    }

    /// Writes a file into the server's root, readable by the server's user.
    pub fn put_file(&self, rel: &str, data: &[u8]) -> PathBuf {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
            set_mode(parent, 0o777).unwrap();
        }
        fs::write(&path, data).unwrap();
        set_mode(&path, 0o666).unwrap();
        path
    }

    pub fn read_file(&self, rel: &str) -> Vec<u8> {
        fs::read(self.root.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn log(&self) -> String {
        let vsftpd = self.root.with_extension("vsftpd").join("vsftpd.log");
        let mut log = fs::read_to_string(self.root.with_extension("log")).unwrap_or_default();
        log.push_str(&fs::read_to_string(vsftpd).unwrap_or_default());
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.root);
        let _ = fs::remove_dir_all(self.root.with_extension("vsftpd"));
        let _ = fs::remove_file(self.root.with_extension("log"));
    }
}

/// Deterministic pseudo-random bytes (xorshift), so failures are reproducible.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}
