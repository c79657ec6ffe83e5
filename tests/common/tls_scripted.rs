//! The implicit-FTPS side of the scripted servers (scripted.rs), for TLS fault tests
//! (truncated streams and the like): rustls's server side with the test CA's certificate. A
//! TLS script gets the same [`Session`] as a plain one, over a [`TlsStream`].
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::cert_dir;
use super::scripted::{Scripted, Session, Transport};

pub type TlsStream = StreamOwned<ServerConnection, TcpStream>;

/// How long a TLS session's `recv`, and a read on its data connections, waits.
pub const TLS_RECV_TIMEOUT: Duration = Duration::from_secs(20);

impl Transport for TlsStream {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

/// The server's TLS configuration: the certificate make-certs.sh signed for 127.0.0.1 with the
/// test CA. Made once per test binary, so control and data connections share its session
/// cache.
pub fn server_config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
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
        })
        .clone()
}

/// The server side of TLS on `tcp`; the handshake happens on the first read or write.
pub fn accept_tls(tcp: TcpStream) -> TlsStream {
    tcp.set_read_timeout(Some(TLS_RECV_TIMEOUT)).unwrap();
    let conn = ServerConnection::new(server_config()).unwrap();
    StreamOwned::new(conn, tcp)
}

impl Scripted {
    /// Listens on 127.0.0.1 and runs `script` on the first connection, under implicit FTPS.
    pub fn start_tls(script: impl FnOnce(&mut Session<TlsStream>) + Send + 'static) -> Scripted {
        Scripted::start_with(accept_tls, script)
    }
}

impl Session<TlsStream> {
    /// Greeting, login, FEAT, TYPE I, PBSZ, PROT P.
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

    /// Accepts the data connection and completes the TLS handshake on it.
    pub fn accept_data(&self, listener: &TcpListener) -> TlsStream {
        let (tcp, _) = listener.accept().unwrap();
        let mut data = accept_tls(tcp);
        while data.conn.is_handshaking() {
            data.conn.complete_io(&mut data.sock).unwrap();
        }
        data
    }
}
