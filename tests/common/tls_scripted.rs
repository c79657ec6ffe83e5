//! A scripted implicit-FTPS server for TLS fault tests (truncated streams and the like),
//! built on rustls's server side with the test CA's certificate.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::cert_dir;

pub type TlsStream = StreamOwned<ServerConnection, TcpStream>;

pub fn server_config() -> Arc<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(cert_dir().join("server.pem"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(cert_dir().join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    )
}

pub fn accept_tls(tcp: TcpStream, config: &Arc<ServerConfig>) -> TlsStream {
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let conn = ServerConnection::new(config.clone()).unwrap();
    StreamOwned::new(conn, tcp)
}

pub struct TlsSession {
    pub control: TlsStream,
    pub config: Arc<ServerConfig>,
}

impl TlsSession {
    pub fn send(&mut self, text: &str) {
        let _ = self.control.write_all(text.as_bytes());
        let _ = self.control.flush();
    }

    pub fn recv(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            match self.control.read(&mut byte) {
                Ok(1) => {
                    if byte[0] == b'\n' {
                        break;
                    }
                    line.push(byte[0]);
                }
                _ => return None,
            }
        }
        Some(String::from_utf8_lossy(&line).trim_end().to_string())
    }

    pub fn expect(&mut self, prefix: &str) -> String {
        let line = self.recv().unwrap_or_default();
        assert!(
            line.starts_with(prefix),
            "expected {prefix:?}, got {line:?}"
        );
        line
    }

    /// Greeting, login, FEAT, PBSZ, PROT P, TYPE I.
    pub fn greet_and_prepare(&mut self) {
        self.send("220 scripted implicit FTPS\r\n");
        self.expect("USER");
        self.send("331 pw\r\n");
        self.expect("PASS");
        self.send("230 in\r\n");
        self.expect("FEAT");
        self.send("211-Features:\r\n EPSV\r\n211 End\r\n");
        self.expect("TYPE I");
        self.send("200 ok\r\n");
        self.expect("PBSZ 0");
        self.send("200 ok\r\n");
        self.expect("PROT P");
        self.send("200 ok\r\n");
    }

    /// Answers EPSV; returns the listener.
    pub fn epsv(&mut self) -> TcpListener {
        self.expect("EPSV");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        self.send(&format!("229 Extended Passive Mode (|||{port}|)\r\n"));
        listener
    }

    /// Accepts the data connection and completes the TLS handshake on it.
    pub fn accept_data(&self, listener: &TcpListener) -> TlsStream {
        let (tcp, _) = listener.accept().unwrap();
        let mut data = accept_tls(tcp, &self.config);
        while data.conn.is_handshaking() {
            data.conn.complete_io(&mut data.sock).unwrap();
        }
        data
    }

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

pub struct TlsScripted {
    pub port: u16,
    handle: Option<JoinHandle<()>>,
}

impl TlsScripted {
    pub fn start(script: impl FnOnce(&mut TlsSession) + Send + 'static) -> TlsScripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let config = server_config();
            let (tcp, _) = listener.accept().unwrap();
            let mut session = TlsSession {
                control: accept_tls(tcp, &config),
                config,
            };
            script(&mut session);
        });
        TlsScripted {
            port,
            handle: Some(handle),
        }
    }

    pub fn finish(mut self) {
        if let Some(handle) = self.handle.take() {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}
