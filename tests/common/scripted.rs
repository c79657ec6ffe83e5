//! A scripted FTP server for fault tests only: each test writes what the server says and
//! does, and gets back the exact command transcript the client sent. Real behaviour is tested
//! against real servers; this one exists to misbehave on purpose.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Scripted {
    pub port: u16,
    transcript: Arc<Mutex<Vec<String>>>,
    handle: Option<JoinHandle<()>>,
}

impl Scripted {
    /// Listens on 127.0.0.1 and runs `script` on the first connection.
    pub fn start(script: impl FnOnce(&mut Session) + Send + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let log = transcript.clone();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut session = Session {
                reader: BufReader::new(stream.try_clone().unwrap()),
                writer: stream,
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

pub struct Session {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    transcript: Arc<Mutex<Vec<String>>>,
}

impl Session {
    /// How long `recv` waits for a command before giving up (returning `None`).
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.writer.set_read_timeout(Some(timeout)).unwrap();
    }

    /// Sends raw bytes (include the CRLF yourself).
    pub fn send(&mut self, raw: &str) {
        let _ = self.writer.write_all(raw.as_bytes());
    }

    /// Sends raw bytes; false once the client has gone away.
    pub fn try_send(&mut self, raw: &str) -> bool {
        self.writer.write_all(raw.as_bytes()).is_ok()
    }

    pub fn send_bytes(&mut self, raw: &[u8]) {
        let _ = self.writer.write_all(raw);
    }

    /// Reads one command line; `None` when the client closed the connection.
    pub fn recv(&mut self) -> Option<String> {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_string();
                self.transcript.lock().unwrap().push(text.clone());
                Some(text)
            }
        }
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

    /// Reads everything the client sends on a data connection.
    pub fn drain(stream: &mut TcpStream) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out);
        out
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

/// The MLSD body of a directory (`None`: 550), and the bytes of a file (`None`: 550). Paths
/// are the arguments the client sent ("" for the current directory).
pub struct Tree {
    pub list: Answer,
    pub file: Answer,
}

/// The bytes served for a path, or `None` for a 550.
pub type Answer = Box<dyn Fn(&str) -> Option<Vec<u8>> + Send>;

fn tree_epsv_listener(s: &mut Session) -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    s.send(&format!("229 ok (|||{port}|)\r\n"));
    listener
}

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
                    let listener = tree_epsv_listener(s);
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
                        Session::drain(&mut data);
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
