//! Scripted FTP servers for fault tests only: each test writes what the server says and does,
//! and gets back the exact command transcript the client sent. Real behaviour is tested
//! against real servers; these exist to misbehave on purpose.
//!
//! One [`Scripted`] server accepts one control connection on 127.0.0.1 and runs the test's
//! script on a thread, with a [`Session`]: plain TCP ([`Scripted::start`]) or implicit FTPS
//! ([`Scripted::start_tls`], in tls_scripted.rs). Both sessions have the same `send`,
//! `recv` and `expect`. A script that panics (a failed `expect`) fails the test in
//! [`Scripted::finish`].
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ftpc::{Agent, Client, Options};

/// Every timeout of a client of a scripted server (see [`options`]): a script that goes wrong
/// fails its test within seconds. Tests that need other limits set them on top, in the test.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a plain session's `recv` waits for a command before it returns `None` (a script
/// may change it with [`Session::set_read_timeout`]).
pub const RECV_TIMEOUT: Duration = Duration::from_secs(30);

/// Options for a client of a scripted server: the defaults, every timeout [`CLIENT_TIMEOUT`].
pub fn options() -> Options {
    Options::default().with_timeout(Some(CLIENT_TIMEOUT))
}

/// A client connected to `server` with `options`, not logged in.
pub fn connect(server: &Scripted, options: Options) -> Client {
    Client::connect_with("127.0.0.1", server.port, options).expect("connect to the scripted server")
}

/// A client connected to `server` with `options` and logged in as `u` with password `p`.
pub fn login(server: &Scripted, options: Options) -> Client {
    let mut ftp = connect(server, options);
    ftp.login("u", "p").expect("login to the scripted server");
    ftp
}

/// An agent connected to `server` with `options` and logged in as `u` with password `p`.
pub fn agent(server: &Scripted, options: Options) -> Agent {
    let mut agent =
        Agent::connect("127.0.0.1", server.port, options).expect("connect to the scripted server");
    agent.login("u", "p").expect("login to the scripted server");
    agent
}

/// What a session runs over: plain TCP, or TLS over TCP.
pub trait Transport: Read + Write {
    /// The TCP connection underneath.
    fn tcp(&self) -> &TcpStream;
}

impl Transport for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

pub struct Scripted {
    pub port: u16,
    transcript: Arc<Mutex<Vec<String>>>,
    handle: Option<JoinHandle<()>>,
}

impl Scripted {
    /// Listens on 127.0.0.1 and runs `script` on the first connection, in plain text.
    pub fn start(script: impl FnOnce(&mut Session) + Send + 'static) -> Scripted {
        Scripted::start_with(
            |tcp| {
                tcp.set_read_timeout(Some(RECV_TIMEOUT)).unwrap();
                tcp
            },
            script,
        )
    }

    /// Listens on 127.0.0.1, accepts the first connection, makes it a `S` with `wrap`, and
    /// runs `script` on it.
    pub fn start_with<S: Transport>(
        wrap: impl FnOnce(TcpStream) -> S + Send + 'static,
        script: impl FnOnce(&mut Session<S>) + Send + 'static,
    ) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let log = transcript.clone();
        let handle = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut session = Session {
                control: wrap(tcp),
                transcript: log,
            };
            script(&mut session);
        });
        Scripted {
            port,
            transcript,
            handle: Some(handle),
        }
    }

    /// Listens on 127.0.0.1 and runs `script` on each of the first `sessions` connections in
    /// turn (for a client that reconnects), with the connection's number from 0.
    pub fn start_sessions(
        sessions: usize,
        script: impl Fn(usize, &mut Session) + Send + 'static,
    ) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let log = transcript.clone();
        let handle = std::thread::spawn(move || {
            for n in 0..sessions {
                let (tcp, _) = listener.accept().unwrap();
                tcp.set_read_timeout(Some(RECV_TIMEOUT)).unwrap();
                let mut session = Session {
                    control: tcp,
                    transcript: log.clone(),
                };
                script(n, &mut session);
            }
        });
        Scripted {
            port,
            transcript,
            handle: Some(handle),
        }
    }

    /// The commands received so far, without line endings.
    pub fn transcript(&self) -> Vec<String> {
        self.transcript.lock().unwrap().clone()
    }

    /// Waits for the script to end; a failed assertion inside it fails the test here.
    pub fn finish(mut self) -> Vec<String> {
        if let Some(handle) = self.handle.take() {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        self.transcript()
    }
}

/// The server's side of one control connection.
pub struct Session<S: Transport = TcpStream> {
    /// The control connection itself, for scripts that work below whole lines (a TLS record
    /// at a time, a reset, CCC). `recv` reads nothing ahead, so both can be mixed.
    pub control: S,
    transcript: Arc<Mutex<Vec<String>>>,
}

impl<S: Transport> Session<S> {
    /// How long `recv` waits for a command before giving up (returning `None`).
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.control.tcp().set_read_timeout(Some(timeout)).unwrap();
    }

    /// Sends raw bytes (include the CRLF yourself).
    pub fn send(&mut self, raw: &str) {
        let _ = self.try_send(raw);
    }

    /// Sends raw bytes; false once the client has gone away.
    pub fn try_send(&mut self, raw: &str) -> bool {
        self.write(raw.as_bytes()).is_ok()
    }

    pub fn send_bytes(&mut self, raw: &[u8]) {
        let _ = self.write(raw);
    }

    fn write(&mut self, raw: &[u8]) -> std::io::Result<()> {
        self.control.write_all(raw)?;
        self.control.flush()
    }

    /// Reads one command line, a byte at a time so that nothing past it is read; `None` when
    /// the client closed the connection before sending one, or the read failed or timed out.
    pub fn recv(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match self.control.read(&mut byte) {
                Ok(1) => {
                    line.push(byte[0]);
                    if byte[0] == b'\n' {
                        break;
                    }
                }
                Ok(_) if !line.is_empty() => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => return None,
            }
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_string();
        self.transcript.lock().unwrap().push(text.clone());
        Some(text)
    }

    /// Reads one command and checks that it starts with `prefix`.
    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.recv().unwrap_or_default();
        assert!(
            line.starts_with(prefix),
            "expected {prefix:?}, client sent {line:?}"
        );
        line
    }

    /// The usual greeting and login exchange.
    pub fn greet_and_login(&mut self) {
        self.send("220 scripted\r\n");
        self.expect("USER");
        self.send("331 password\r\n");
        self.expect("PASS");
        self.send("230 in\r\n");
        self.expect("FEAT");
        self.send("211-Features:\r\n EPSV\r\n211 End\r\n");
    }

    /// Answers EPSV with a fresh listener on 127.0.0.1.
    pub fn answer_epsv(&mut self) -> TcpListener {
        self.expect("EPSV");
        self.listen_epsv()
    }

    /// Opens a listener on 127.0.0.1 and announces it in a 229 reply (for a script that has
    /// read the EPSV command itself).
    pub fn listen_epsv(&mut self) -> TcpListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        self.send(&format!(
            "229 Entering Extended Passive Mode (|||{port}|)\r\n"
        ));
        listener
    }

    /// Answers PASV announcing `announced` but listening on `actual`.
    pub fn answer_pasv(&mut self, announced: IpAddr, actual: IpAddr) -> TcpListener {
        self.expect("PASV");
        let listener = TcpListener::bind(SocketAddr::new(actual, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let IpAddr::V4(ip) = announced else {
            panic!("PASV is IPv4 only")
        };
        let o = ip.octets();
        self.send(&format!(
            "227 Entering Passive Mode ({},{},{},{},{},{})\r\n",
            o[0],
            o[1],
            o[2],
            o[3],
            port >> 8,
            port & 0xff
        ));
        listener
    }

    /// Keeps answering until the client quits or closes.
    pub fn serve_until_quit(&mut self) {
        while let Some(line) = self.recv() {
            if line.starts_with("QUIT") {
                self.send("221 bye\r\n");
                return;
            }
            self.send("200 ok\r\n");
        }
    }
}

/// Reads everything the client sends on a data connection.
pub fn drain(stream: &mut impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// The MLSD body of a directory (`None`: 550), and the bytes of a file (`None`: 550). Paths
/// are the arguments the client sent ("" for the current directory).
pub struct Tree {
    pub list: Answer,
    pub file: Answer,
}

/// The bytes served for a path, or `None` for a 550.
pub type Answer = Box<dyn Fn(&str) -> Option<Vec<u8>> + Send>;

/// Serves `tree` with MLSD, MLST, SIZE, MDTM and RETR; MKD, RMD, DELE and STOR succeed (what
/// is stored is thrown away).
pub fn tree_server(tree: Tree) -> Scripted {
    Scripted::start(move |s| {
        s.send("220 scripted\r\n");
        while let Some(line) = s.recv() {
            let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match verb {
                "USER" => s.send("331 pw\r\n"),
                "PASS" => s.send("230 in\r\n"),
                "FEAT" => s.send(
                    "211-Features:\r\n MLST type*;size*;modify*;unique*;\r\n EPSV\r\n SIZE\r\n MDTM\r\n211 End\r\n",
                ),
                "TYPE" | "NOOP" => s.send("200 ok\r\n"),
                "ABOR" => s.send("226 aborted\r\n"),
                "PWD" => s.send("257 \"/\"\r\n"),
                "MKD" | "RMD" | "DELE" | "CWD" => s.send("250 ok\r\n"),
                "MLST" => match (tree.list)(arg) {
                    Some(_) => s.send(&format!("250-facts\r\n type=dir; {arg}\r\n250 End\r\n")),
                    None => s.send("550 no such directory\r\n"),
                },
                "SIZE" => match (tree.file)(arg) {
                    Some(data) => s.send(&format!("213 {}\r\n", data.len())),
                    None => s.send("550 no such file\r\n"),
                },
                "MDTM" => s.send("213 20240101000000\r\n"),
                "EPSV" => {
                    let listener = s.listen_epsv();
                    let next = s.recv().unwrap_or_default();
                    let (verb, arg) = next.split_once(' ').unwrap_or((next.as_str(), ""));
                    let body = match verb {
                        "MLSD" => (tree.list)(arg),
                        "RETR" => (tree.file)(arg),
                        "STOR" => Some(Vec::new()),
                        _ => None,
                    };
                    let Some(body) = body else {
                        s.send("550 no\r\n");
                        continue;
                    };
                    let (mut data, _) = listener.accept().unwrap();
                    s.send("150 here\r\n");
                    if verb == "STOR" {
                        drain(&mut data);
                    } else {
                        // The client may stop reading (a bound was hit): that is fine.
                        let _ = data.write_all(&body);
                    }
                    drop(data);
                    s.send("226 done\r\n");
                }
                "QUIT" => {
                    s.send("221 bye\r\n");
                    return;
                }
                _ => s.send("500 no\r\n"),
            }
        }
    })
}

/// A listener on 127.0.0.1 whose accept queue is full (nobody accepts): the kernel drops
/// further SYNs, so a connect to `.addr` stalls (nothing leaves the machine). Keep it alive
/// for as long as connects should stall.
pub struct StalledListener {
    pub addr: SocketAddr,
    _listener: socket2::Socket,
    _fillers: Vec<TcpStream>,
}

pub fn stalled_listener() -> StalledListener {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    listener.bind(&any.into()).unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    StalledListener {
        addr,
        _listener: listener,
        _fillers: fillers,
    }
}
