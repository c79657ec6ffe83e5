//! Proxies: the control connection and every passive data connection through SOCKS5 (Dante)
//! and HTTP CONNECT (tinyproxy), plain and TLS end to end, against the four servers; and the
//! faults: a proxy that refuses, one that drops the connection, a wrong proxy password (a
//! clear error naming the proxy, not the FTP server), active mode.
//!
//! The real proxies come from `scripts/proxies/install.sh` (unpacked into target/proxies);
//! each test starts its own on 127.0.0.1 at a free port and stops it by its PID.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use ftpc::{Client, DataMode, Error, Options, Proxy};

/// The real proxies (Dante, tinyproxy), started per test and stopped by PID.
#[cfg(feature = "real-servers")]
mod proxies {
    use super::common;
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// A proxy the test started; stopped (its process group, by PID) when dropped.
    pub(super) struct ProxyServer {
        pub(super) port: u16,
        child: Child,
        dir: PathBuf,
    }

    #[derive(Clone, Copy, PartialEq)]
    pub(super) enum ProxyServerKind {
        Dante,
        Tinyproxy,
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    impl ProxyServer {
        /// Starts Dante (SOCKS5, user name and password checked against the system's users: the
        /// test user) or tinyproxy (HTTP CONNECT with basic authentication as the test user).
        pub(super) fn start(kind: ProxyServerKind) -> ProxyServer {
            let dir = common::scratch_dir("proxy");
            let port = free_port();
            let proxies = common::manifest_dir().join("target/proxies");
            let (program, args, config) = match kind {
                ProxyServerKind::Dante => {
                    let config = dir.join("sockd.conf");
                    std::fs::write(
                        &config,
                        format!(
                            "logoutput: {log}\ninternal: 127.0.0.1 port = {port}\n\
                             external: 127.0.0.1\nsocksmethod: username\n\
                             user.privileged: root\nuser.unprivileged: nobody\n\
                             client pass {{\n  from: 127.0.0.0/8 to: 0.0.0.0/0\n}}\n\
                             socks pass {{\n  from: 127.0.0.0/8 to: 127.0.0.0/8\n  \
                             command: connect bind\n  log: error\n}}\n\
                             socks pass {{\n  from: 127.0.0.0/8 to: 127.0.0.0/8\n  \
                             command: bindreply\n  log: error\n}}\n",
                            log = dir.join("danted.log").display()
                        ),
                    )
                    .unwrap();
                    let program = proxies.join("dante/usr/sbin/danted");
                    let args = vec![
                        "-f".to_string(),
                        config.display().to_string(),
                        "-p".into(),
                        dir.join("danted.pid").display().to_string(),
                        "-N".into(),
                        "1".into(),
                    ];
                    (program, args, config)
                }
                ProxyServerKind::Tinyproxy => {
                    let config = dir.join("tinyproxy.conf");
                    std::fs::write(
                        &config,
                        format!(
                            "Port {port}\nListen 127.0.0.1\nTimeout 60\nMaxClients 50\n\
                             Allow 127.0.0.1\nBasicAuth {} {}\nLogLevel Info\n\
                             User nobody\nGroup nogroup\n",
                            common::USER,
                            common::PASSWORD
                        ),
                    )
                    .unwrap();
                    let program = proxies.join("tinyproxy/usr/bin/tinyproxy");
                    let args = vec!["-d".to_string(), "-c".into(), config.display().to_string()];
                    (program, args, config)
                }
            };
            assert!(
                program.exists(),
                "{} is missing: run scripts/proxies/install.sh (as root)",
                program.display()
            );
            let log = std::fs::File::create(dir.join("proxy.out")).unwrap();
            let child = {
                use std::os::unix::process::CommandExt;
                Command::new(&program)
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().unwrap())
                    .stderr(log)
                    .process_group(0)
                    .spawn()
                    .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
            };
            let started = Instant::now();
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the proxy ({}) did not start; its output:\n{}",
                    config.display(),
                    std::fs::read_to_string(dir.join("proxy.out")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            ProxyServer { port, child, dir }
        }

        pub(super) fn url(&self, scheme: &str, password: &str) -> String {
            format!(
                "{scheme}://{}:{password}@127.0.0.1:{}",
                common::USER,
                self.port
            )
        }

        pub(super) fn log(&self) -> String {
            let mut out = String::new();
            for name in ["proxy.out", "danted.log"] {
                out += &std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            }
            out
        }
    }

    impl Drop for ProxyServer {
        fn drop(&mut self) {
            // The proxy and the helpers it forked: its process group, named by its PID.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", self.child.id())])
                .status();
            let _ = self.child.wait();
        }
    }
}

/// A scripted proxy for the faults: answers the first connection with `script`.
fn fake_proxy(script: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            script(stream);
        }
    });
    port
}

fn proxied(url: &str) -> Options {
    let mut options = Options::default().with_timeout(Some(Duration::from_secs(10)));
    options.proxy = Some(Proxy::parse(url).unwrap());
    options
}

#[test]
fn a_proxy_that_refuses_is_named_in_the_error() {
    // SOCKS5: no authentication, then "connection not allowed by its rules".
    let port = fake_proxy(|mut s| {
        let mut greeting = [0u8; 3];
        s.read_exact(&mut greeting).unwrap();
        s.write_all(&[5, 0]).unwrap();
        let mut request = [0u8; 5];
        s.read_exact(&mut request).unwrap();
        let mut rest = vec![0u8; usize::from(request[4]) + 2];
        s.read_exact(&mut rest).unwrap();
        assert_eq!(&rest[..rest.len() - 2], b"ftp.example.net");
        s.write_all(&[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
    });
    let options = proxied(&format!("socks5h://127.0.0.1:{port}"));
    let err = Client::connect_with("ftp.example.net", 21, options)
        .err()
        .unwrap();
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "connect to ftp.example.net:21 through SOCKS5 proxy 127.0.0.1:{port}"
        )) && message.contains("connection not allowed by its rules"),
        "{message}"
    );
    // HTTP: 403.
    let port = fake_proxy(|mut s| {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(
            head.starts_with("CONNECT ftp.example.net:21 HTTP/1.1\r\n"),
            "{head}"
        );
        s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
    });
    let err = Client::connect_with(
        "ftp.example.net",
        21,
        proxied(&format!("http://127.0.0.1:{port}")),
    )
    .err()
    .unwrap();
    let message = err.to_string();
    assert!(
        message.contains(&format!("through HTTP proxy 127.0.0.1:{port}"))
            && message.contains("the proxy refused the connection (HTTP/1.1 403 Forbidden)"),
        "{message}"
    );
}

#[test]
fn a_proxy_that_drops_the_connection_is_an_error_naming_it() {
    for scheme in ["socks5h", "http"] {
        let port = fake_proxy(|mut s| {
            let mut some = [0u8; 3];
            let _ = s.read(&mut some);
            drop(s);
        });
        let err = Client::connect_with(
            "ftp.example.net",
            21,
            proxied(&format!("{scheme}://u:proxy-secret@127.0.0.1:{port}")),
        )
        .err()
        .unwrap();
        let message = err.to_string();
        assert!(
            message.contains(&format!("proxy 127.0.0.1:{port}"))
                && (message.contains("closed the connection during its handshake")
                    || message.contains("talking to the proxy")),
            "{scheme}: {message}"
        );
        assert!(!message.contains("proxy-secret"), "{message}");
        assert!(
            err.is_transient(),
            "a dropped connection may be retried: {message}"
        );
    }
}

#[test]
fn active_mode_through_an_http_proxy_is_refused_clearly() {
    let mut options = proxied("http://127.0.0.1:1");
    options.data_mode = DataMode::Active(Default::default());
    let err = Client::connect_with("127.0.0.1", 21, options)
        .err()
        .unwrap();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    assert!(err.to_string().contains("use passive mode"), "{err}");
}

#[cfg(feature = "real-servers")]
mod real {
    use super::proxies::{ProxyServer, ProxyServerKind};
    use super::*;
    use common::{Kind, Mode, Server, Tls};
    use ftpc::TlsLevel;

    /// Upload, download and list through the proxy at `url`, plain and TLS, on `kind`.
    fn transfers_through(kind: Kind, url: &str) {
        let data = common::pattern(1024 * 1024 + 7, 5);
        let mut modes = vec![None];
        modes.extend(kind.tls_modes().iter().copied().map(Some));
        for tls in modes {
            let server = match tls {
                None => Server::start(kind),
                Some(tls) => Server::start_tls(kind, tls, "server"),
            };
            let mut options = match tls {
                None => server.options(Mode::Epsv),
                Some(Tls::Implicit) => server.tls_options(Mode::Epsv, TlsLevel::Implicit),
                Some(_) => server.tls_options(Mode::Epsv, TlsLevel::All),
            };
            options.proxy = Some(Proxy::parse(url).unwrap());
            let what = format!("{} {tls:?} through {url}", kind.label());
            let mut ftp = server.client_with(options);
            server.check(ftp.stor("up.bin", &mut &data[..]), &what);
            let mut back = Vec::new();
            server.check(ftp.retr("up.bin", &mut back), &what);
            assert!(back == data, "{what}: the file came back different");
            let names = server.check(ftp.nlst(None), &what);
            assert!(
                names.iter().any(|n| n.ends_with("up.bin")),
                "{what}: {names:?}"
            );
            if tls.is_some() && kind.requires_tls_reuse() {
                assert_eq!(ftp.last_data_tls_resumed(), Some(true), "{what}");
            }
            server.check(ftp.quit(), &what);
        }
    }

    #[test]
    fn socks5_through_dante_to_the_four_servers_plain_and_tls() {
        let proxy = ProxyServer::start(ProxyServerKind::Dante);
        let url = proxy.url("socks5h", common::PASSWORD);
        for kind in [Kind::Pyftpdlib, Kind::Vsftpd, Kind::Proftpd, Kind::PureFtpd] {
            transfers_through(kind, &url);
        }
        drop(proxy);
    }

    #[test]
    fn active_mode_through_dante_uses_bind() {
        let proxy = ProxyServer::start(ProxyServerKind::Dante);
        let url = proxy.url("socks5h", common::PASSWORD);
        let data = common::pattern(300_000, 9);
        for kind in [Kind::Pyftpdlib, Kind::Vsftpd, Kind::Proftpd, Kind::PureFtpd] {
            for mode in [Mode::Port, Mode::Eprt] {
                let server = Server::start_tls(kind, Tls::Explicit, "server");
                let mut options = server.tls_options(mode, TlsLevel::All);
                options.proxy = Some(Proxy::parse(&url).unwrap());
                let what = format!("{} {mode:?} through {url}", kind.label());
                let mut ftp = server.client_with(options);
                server.check(ftp.stor("active.bin", &mut &data[..]), &what);
                let mut back = Vec::new();
                server.check(ftp.retr("active.bin", &mut back), &what);
                assert!(
                    back == data,
                    "{what}: the file came back different\n{}",
                    proxy.log()
                );
                server.check(ftp.quit(), &what);
            }
        }
    }

    #[test]
    fn http_connect_through_tinyproxy_to_the_four_servers_plain_and_tls() {
        let proxy = ProxyServer::start(ProxyServerKind::Tinyproxy);
        let url = proxy.url("http", common::PASSWORD);
        for kind in [Kind::Pyftpdlib, Kind::Vsftpd, Kind::Proftpd, Kind::PureFtpd] {
            transfers_through(kind, &url);
        }
    }

    #[test]
    fn a_wrong_proxy_password_names_the_proxy_not_the_server() {
        let server = Server::start(Kind::Pyftpdlib);
        for kind in [ProxyServerKind::Dante, ProxyServerKind::Tinyproxy] {
            let proxy = ProxyServer::start(kind);
            let scheme = if kind == ProxyServerKind::Dante {
                "socks5h"
            } else {
                "http"
            };
            let mut options = server.options(Mode::Epsv);
            options.proxy = Some(Proxy::parse(&proxy.url(scheme, "wrong-proxy-pw")).unwrap());
            let err = Client::connect_with("127.0.0.1", server.port, options)
                .err()
                .unwrap_or_else(|| panic!("connected with a wrong password: {}", proxy.log()));
            let message = err.to_string();
            assert!(
                message.contains(&format!("proxy 127.0.0.1:{}", proxy.port))
                    && message.contains("the proxy refused the user name or password"),
                "{message}"
            );
            assert!(!message.contains("wrong-proxy-pw"), "{message}");
            assert_eq!(
                err.reply_code(),
                0,
                "not a reply of the FTP server: {message}"
            );
        }
    }

    #[test]
    fn the_trace_shows_the_proxy() {
        let proxy = ProxyServer::start(ProxyServerKind::Dante);
        let server = Server::start(Kind::Vsftpd);
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = lines.clone();
        let mut options = server.options(Mode::Epsv);
        options.proxy = Some(Proxy::parse(&proxy.url("socks5h", common::PASSWORD)).unwrap());
        options.trace = Some(ftpc::Trace::new(move |e| {
            seen.lock().unwrap().push(e.to_string())
        }));
        let mut ftp = server.client_with(options);
        server.check(
            ftp.retr("missing-is-fine", &mut Vec::new()).or_else(|e| {
                if e.reply_code() == 550 {
                    Ok(0)
                } else {
                    Err(e)
                }
            }),
            "RETR",
        );
        drop(ftp);
        let lines = lines.lock().unwrap().join("\n");
        assert!(
            lines.contains(&format!(
                "* connected to 127.0.0.1:{} through SOCKS5 proxy 127.0.0.1:{}",
                server.port, proxy.port
            )),
            "{lines}"
        );
        assert!(!lines.contains(common::PASSWORD), "{lines}");
    }
}
