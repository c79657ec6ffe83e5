//! The system trust store honours SSL_CERT_FILE (its own test binary: the variable must be
//! set before the process first loads the store).

mod common;

use common::{cert_dir, Kind, Mode, Server, Tls};
use ftpc::{Error, TlsLevel};

#[test]
fn ssl_cert_file_is_the_default_trust() {
    std::env::set_var("SSL_CERT_FILE", cert_dir().join("ca.pem"));
    std::env::remove_var("SSL_CERT_DIR");
    let server = Server::start_tls(Kind::Vsftpd, Tls::Explicit, "server");
    let mut options = server.options(Mode::Epsv);
    options.tls.level = TlsLevel::All;
    let mut ftp = server.client_with(options.clone());
    ftp.stor("env.txt", &mut &b"trusted through SSL_CERT_FILE"[..])
        .unwrap();
    // Turning the system store off leaves nothing to trust: refused before connecting.
    options.tls.use_system_roots = false;
    let err = ftpc::Client::connect_with("127.0.0.1", server.port, options)
        .err()
        .unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}
