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

use ftpc::{ActiveOptions, Agent, Client, DataMode, Options, PassiveMode};
use sha2::{Digest, Sha256};

pub const USER: &str = "ftpctest";
pub const PASSWORD: &str = "ftpc-test-pw";

/// The project's four test servers (see SERVERS.md in the shared notes and
/// scripts/servers/ftpserver.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pyftpdlib,
    Vsftpd,
    Proftpd,
    PureFtpd,
}

impl Kind {
    /// Every test server, for tests that run against each in turn.
    pub const ALL: [Kind; 4] = [Kind::Pyftpdlib, Kind::Vsftpd, Kind::Proftpd, Kind::PureFtpd];

    /// The name ftpserver.py knows the server by; also names its directories and logs.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pyftpdlib => "pyftpdlib",
            Kind::Vsftpd => "vsftpd",
            Kind::Proftpd => "proftpd",
            Kind::PureFtpd => "pureftpd",
        }
    }

    /// The TLS modes the server offers: all four have explicit FTPS (AUTH TLS); Debian's
    /// Pure-FTPd has no implicit FTPS.
    pub fn tls_modes(self) -> &'static [Tls] {
        match self {
            Kind::PureFtpd => &[Tls::Explicit],
            _ => &[Tls::Explicit, Tls::Implicit],
        }
    }

    /// Whether the server refuses a TLS data connection that does not resume the control
    /// connection's TLS session (vsftpd's require_ssl_reuse, ProFTPD's default).
    pub fn requires_tls_reuse(self) -> bool {
        matches!(self, Kind::Vsftpd | Kind::Proftpd)
    }

    /// Whether the server resumes the control connection's TLS session on data connections
    /// when the client offers it. Pure-FTPd does under TLS 1.2, never under TLS 1.3 (a full
    /// handshake each time, also for OpenSSL clients; measured with Python's ssl module).
    pub fn resumes_tls_sessions(self, version: ftpc::TlsVersion) -> bool {
        self != Kind::PureFtpd || version == ftpc::TlsVersion::Tls12
    }

    /// Whether the server has MLSD/MLST (vsftpd has neither).
    pub fn has_mlsd(self) -> bool {
        self != Kind::Vsftpd
    }

    /// The 220 banner's text as ftpserver.py configures it (Pure-FTPd's is its own, several
    /// lines, see `session_basics` in tests/commands.rs).
    pub fn banner(self) -> Option<&'static str> {
        match self {
            Kind::Pyftpdlib => Some("ftpc test server (pyftpdlib) ready"),
            Kind::Vsftpd => Some("ftpc test server (vsftpd) ready"),
            Kind::Proftpd => Some("ftpc test server (proftpd) ready"),
            Kind::PureFtpd => None,
        }
    }
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

/// A fresh, empty directory for one test, under a directory of the user's own (a root run of
/// scripts/test.sh leaves its directory behind, writable by root only).
pub fn scratch_dir(label: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let uid = rustix::process::geteuid().as_raw();
    let dir = std::env::temp_dir()
        .join(format!("ftpc-tests-{uid}"))
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

/// The test user's uid and gid, from /etc/passwd (install.sh creates the user).
fn test_user_ids() -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == USER)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

/// Makes `path` the test user's, where this process may (as root).
fn give_to_test_user(path: &Path) {
    if let Some((uid, gid)) = test_user_ids() {
        let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
    }
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
        let root = scratch_dir(kind.label());
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
        let label = kind.label();
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

    /// An agent in `mode`, logged in.
    pub fn agent(&self, mode: Mode) -> Agent {
        self.agent_with(self.options(mode))
    }

    /// An agent (settings, credentials, retry above one session), logged in.
    pub fn agent_with(&self, options: Options) -> Agent {
        let mut agent =
            Agent::connect(&self.host, self.port, options).expect("connect to test server");
        agent.login(USER, PASSWORD).expect("login");
        agent
    }

    pub fn client_with(&self, options: Options) -> Client {
        let mut client =
            Client::connect_with(&self.host, self.port, options).expect("connect to test server");
        client.login(USER, PASSWORD).expect("login");
        client
    }

    /// Writes a file into the server's root, owned by the test user (as a file the user
    /// uploaded: servers that run sessions as that user, such as ProFTPD and Pure-FTPd, let
    /// only the owner set a file's time with MFMT) and writable by everyone.
    pub fn put_file(&self, rel: &str, data: &[u8]) -> PathBuf {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
            set_mode(parent, 0o777).unwrap();
            give_to_test_user(parent);
        }
        fs::write(&path, data).unwrap();
        set_mode(&path, 0o666).unwrap();
        give_to_test_user(&path);
        path
    }

    pub fn read_file(&self, rel: &str) -> Vec<u8> {
        fs::read(self.root.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// The directory ftpserver.py keeps the server's configuration and logs in.
    fn state_dir(&self) -> PathBuf {
        self.root.with_extension(self.kind.label())
    }

    /// What the server logged: the launcher's output, then each log file in its state
    /// directory (vsftpd's protocol log; ProFTPD's system, extended (every command), transfer
    /// and TLS logs; Pure-FTPd's transfer log), each under its name.
    pub fn log(&self) -> String {
        let mut log = fs::read_to_string(self.root.with_extension("log")).unwrap_or_default();
        let mut files: Vec<PathBuf> = fs::read_dir(self.state_dir())
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "log"));
        files.sort();
        for file in files {
            let text = fs::read_to_string(&file).unwrap_or_default();
            log.push_str(&format!("--- {} ---\n{text}", file.display()));
        }
        log
    }

    /// The value of `result`, or a panic that says what failed against which server, with
    /// the server's logs.
    pub fn check<T>(&self, result: ftpc::Result<T>, what: &str) -> T {
        result.unwrap_or_else(|err| {
            panic!(
                "{what} against {}: {err}\n{}",
                self.kind.label(),
                self.log()
            )
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.root);
        let _ = fs::remove_dir_all(self.state_dir());
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
