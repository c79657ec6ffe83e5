//! Proxies: SOCKS5 (RFC 1928: CONNECT, and BIND for active mode; user name and password per
//! RFC 1929) and HTTP CONNECT (with basic authentication). A proxy only opens the TCP
//! connection; what runs over it (FTP, TLS end to end) is the same as on a direct connection.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{is_timeout, Deadline};
use crate::error::{Error, Result, TimeoutPhase};
use crate::url::Authority;

/// The kind of proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyKind {
    /// SOCKS5 with host names resolved by the proxy (`socks5h://`).
    Socks5h,
    /// SOCKS5 with host names resolved here, the proxy given an address (`socks5://`).
    Socks5,
    /// An HTTP proxy's CONNECT method (`http://`).
    HttpConnect,
}

/// A proxy every connection of a session goes through: the control connection and every
/// data connection (TLS runs end to end through it); active mode uses SOCKS5 BIND and is
/// refused through an HTTP proxy. Not taken from the environment by default: see
/// [`Proxy::from_env`].
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: String,
    pub port: u16,
    /// User name and password for the proxy (SOCKS5 RFC 1929, HTTP basic); never shown.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("kind", &self.kind)
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(u, _)| (u, "****")),
            )
            .finish()
    }
}

/// The longest HTTP response head a proxy may send to CONNECT.
const MAX_HTTP_HEAD: usize = 16 * 1024;

impl Proxy {
    /// Parses `socks5h://[user:password@]host[:port]` (port 1080 by default),
    /// `socks5://...`, or `http://[user:password@]host[:port]` (port 8080 by default). The
    /// user name and password may be percent-encoded.
    pub fn parse(url: &str) -> Result<Proxy> {
        let bad = |why: &str| Error::InvalidArgument(format!("proxy URL: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected socks5h://, socks5:// or http://"))?;
        let (kind, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "socks5h" => (ProxyKind::Socks5h, 1080),
            "socks5" => (ProxyKind::Socks5, 1080),
            "http" => (ProxyKind::HttpConnect, 8080),
            _ => return Err(bad("the scheme must be socks5h, socks5 or http")),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            return Err(bad("a proxy URL has no path"));
        }
        let authority = Authority::parse(rest, default_port, "proxy URL")?;
        let credentials = authority
            .user
            .map(|user| (user, authority.password.unwrap_or_default()));
        let (host, port) = (authority.host, authority.port);
        Ok(Proxy {
            kind,
            host,
            port,
            credentials,
        })
    }

    /// The proxy the environment names, as curl reads it: `ftp_proxy`, `FTP_PROXY`,
    /// `all_proxy`, `ALL_PROXY`, the first set and not empty. ftpc never reads these by
    /// itself (a library should not change where it connects behind its caller's back); call
    /// this to honour them. `NO_PROXY` is not read.
    pub fn from_env() -> Result<Option<Proxy>> {
        for name in ["ftp_proxy", "FTP_PROXY", "all_proxy", "ALL_PROXY"] {
            if let Ok(value) = std::env::var(name) {
                if !value.is_empty() {
                    return Proxy::parse(&value).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// `SOCKS5 proxy HOST:PORT` or `HTTP proxy HOST:PORT`, for messages (no credentials).
    pub(crate) fn describe(&self) -> String {
        let kind = match self.kind {
            ProxyKind::Socks5h | ProxyKind::Socks5 => "SOCKS5",
            ProxyKind::HttpConnect => "HTTP",
        };
        format!("{kind} proxy {}:{}", self.host, self.port)
    }

    /// A TCP connection to `host`:`port` through the proxy, all within `timeout` (the TCP
    /// connection to the proxy and its handshake together).
    pub(crate) fn connect(
        &self,
        host: &str,
        port: u16,
        timeout: Option<Duration>,
        phase: TimeoutPhase,
    ) -> Result<TcpStream> {
        let context = format!("connect to {host}:{port} through {}", self.describe());
        let deadline = Deadline::after(timeout);
        let mut stream = self.open(&context, &deadline, phase)?;
        let result = match self.kind {
            ProxyKind::Socks5h | ProxyKind::Socks5 => self
                .socks5_negotiate(&mut stream)
                .and_then(|()| self.socks5_request(&mut stream, CONNECT, host, port))
                .map(drop),
            ProxyKind::HttpConnect => self.http_connect(&mut stream, host, port),
        };
        result.map_err(|e| e.into_error(&context, &deadline, phase))?;
        clear_timeouts(&stream, &context)?;
        Ok(stream)
    }

    /// Active mode through a SOCKS5 proxy: asks it (BIND) to listen for a connection from
    /// `peer`, the FTP server. Returns where it listens, for PORT/EPRT; the data connection is
    /// [`ProxyBind::accept`]ed from it. An HTTP proxy cannot do this.
    pub(crate) fn bind(
        &self,
        peer: &str,
        timeout: Option<Duration>,
        phase: TimeoutPhase,
    ) -> Result<ProxyBind> {
        let context = format!(
            "active mode: listening for {peer} through {}",
            self.describe()
        );
        if self.kind == ProxyKind::HttpConnect {
            return Err(Error::InvalidArgument(format!(
                "{context}: an HTTP proxy cannot accept connections (active mode); use passive \
                 mode or a SOCKS5 proxy"
            )));
        }
        let deadline = Deadline::after(timeout);
        let mut stream = self.open(&context, &deadline, phase)?;
        let bound = self
            .socks5_negotiate(&mut stream)
            .and_then(|()| self.socks5_request(&mut stream, BIND, peer, 0))
            .map_err(|e| e.into_error(&context, &deadline, phase))?;
        Ok(ProxyBind {
            stream,
            addr: bound,
            context,
        })
    }

    /// The TCP connection to the proxy itself, with the rest of `deadline` as its socket
    /// timeouts (for the handshake).
    fn open(&self, context: &str, deadline: &Deadline, phase: TimeoutPhase) -> Result<TcpStream> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Error::io(format!("{context}: resolving the proxy"), e))?
            .collect();
        let mut last = None;
        for addr in addrs {
            let attempt = match deadline.remaining(context, phase)? {
                Some(left) => TcpStream::connect_timeout(&addr, left),
                None => TcpStream::connect(addr),
            };
            match attempt {
                Ok(stream) => {
                    let left = deadline.remaining(context, phase)?;
                    stream
                        .set_read_timeout(left)
                        .and_then(|()| stream.set_write_timeout(left))
                        .map_err(|e| Error::io(context, e))?;
                    return Ok(stream);
                }
                Err(e) if is_timeout(&e) => last = Some(deadline.expired(context, phase)),
                Err(e) => {
                    last = Some(Error::io(
                        format!("{context}: the proxy cannot be reached ({addr})"),
                        e,
                    ))
                }
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::io(
                context,
                io::Error::new(io::ErrorKind::NotFound, "the proxy has no address"),
            )
        }))
    }

    /// Greeting and, where the proxy asks for it, user name and password (RFC 1929).
    fn socks5_negotiate(&self, s: &mut TcpStream) -> Result<(), Handshake> {
        // Greeting: no authentication, and user/password when we have them.
        let greeting: &[u8] = if self.credentials.is_some() {
            &[5, 2, 0, 2]
        } else {
            &[5, 1, 0]
        };
        s.write_all(greeting)?;
        let mut choice = [0u8; 2];
        s.read_exact(&mut choice)?;
        if choice[0] != 5 {
            return Err(Handshake::Protocol(format!(
                "not a SOCKS5 proxy (version {} in its answer)",
                choice[0]
            )));
        }
        match (choice[1], &self.credentials) {
            (0, _) => {}
            (2, Some((user, pass))) => {
                let (user, pass) = (user.as_bytes(), pass.as_bytes());
                if user.len() > 255 || pass.len() > 255 {
                    return Err(Handshake::Auth(
                        "SOCKS5 user names and passwords are at most 255 bytes".into(),
                    ));
                }
                let mut auth = vec![1, user.len() as u8];
                auth.extend_from_slice(user);
                auth.push(pass.len() as u8);
                auth.extend_from_slice(pass);
                s.write_all(&auth)?;
                let mut status = [0u8; 2];
                s.read_exact(&mut status)?;
                if status[1] != 0 {
                    return Err(Handshake::Auth(
                        "the proxy refused the user name or password".into(),
                    ));
                }
            }
            (0xff, None) => {
                return Err(Handshake::Auth(
                    "the proxy requires authentication (give a user name and password)".into(),
                ))
            }
            (0xff, Some(_)) => {
                return Err(Handshake::Auth(
                    "the proxy accepts none of our authentication methods".into(),
                ))
            }
            (other, _) => {
                return Err(Handshake::Protocol(format!(
                    "the proxy chose an authentication method not offered ({other})"
                )))
            }
        }
        Ok(())
    }

    /// A SOCKS5 request (CONNECT or BIND) for `host`:`port`; returns the address in the
    /// proxy's reply (for BIND, where it listens).
    fn socks5_request(
        &self,
        s: &mut TcpStream,
        command: u8,
        host: &str,
        port: u16,
    ) -> Result<SocketAddr, Handshake> {
        let mut request = vec![5, command, 0];
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        let resolved = match (&literal, self.kind) {
            (Ok(ip), _) => Some(*ip),
            (Err(_), ProxyKind::Socks5) => Some(
                (host, port)
                    .to_socket_addrs()?
                    .next()
                    .ok_or_else(|| Handshake::Refused(format!("{host} has no address")))?
                    .ip(),
            ),
            (Err(_), _) => None,
        };
        match resolved {
            Some(IpAddr::V4(v4)) => {
                request.push(1);
                request.extend_from_slice(&v4.octets());
            }
            Some(IpAddr::V6(v6)) => {
                request.push(4);
                request.extend_from_slice(&v6.octets());
            }
            None => {
                let name = host.as_bytes();
                if name.len() > 255 {
                    return Err(Handshake::Refused("host name longer than 255 bytes".into()));
                }
                request.push(3);
                request.push(name.len() as u8);
                request.extend_from_slice(name);
            }
        }
        request.extend_from_slice(&port.to_be_bytes());
        s.write_all(&request)?;
        read_socks5_reply(s)
    }

    fn http_connect(&self, s: &mut TcpStream, host: &str, port: u16) -> Result<(), Handshake> {
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some((user, pass)) = &self.credentials {
            let token = base64_encode(format!("{user}:{pass}").as_bytes());
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        if request.bytes().any(|b| b == 0) || authority.contains(['\r', '\n']) {
            return Err(Handshake::Refused("CR, LF or NUL in the host name".into()));
        }
        s.write_all(request.as_bytes())?;
        // The response head, a byte at a time: nothing after it may be read, it is the
        // server's greeting.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() == MAX_HTTP_HEAD {
                return Err(Handshake::Protocol(
                    "the proxy's answer to CONNECT is too long".into(),
                ));
            }
            s.read_exact(&mut byte)?;
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        let status_line = head.lines().next().unwrap_or("");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| {
                Handshake::Protocol(format!(
                    "not an HTTP answer to CONNECT: {}",
                    crate::protocol::untrusted::escape_controls(status_line)
                ))
            })?;
        let shown = crate::protocol::untrusted::escape_controls(status_line).into_owned();
        match status {
            200..=299 => Ok(()),
            // 407 by the book; tinyproxy answers 401.
            401 | 407 if self.credentials.is_some() => Err(Handshake::Auth(format!(
                "the proxy refused the user name or password ({shown})"
            ))),
            401 | 407 => Err(Handshake::Auth(format!(
                "the proxy requires authentication ({shown})"
            ))),
            _ => Err(Handshake::Refused(format!(
                "the proxy refused the connection ({shown})"
            ))),
        }
    }
}

const CONNECT: u8 = 1;
const BIND: u8 = 2;

/// A SOCKS5 reply: `Ok` with its address, or the refusal in words. A name in the reply (a
/// proxy may answer with one) gives an unspecified address.
fn read_socks5_reply(s: &mut TcpStream) -> Result<SocketAddr, Handshake> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head)?;
    if head[0] != 5 {
        return Err(Handshake::Protocol(format!(
            "not a SOCKS5 reply (version {})",
            head[0]
        )));
    }
    if head[1] != 0 {
        return Err(Handshake::Refused(format!(
            "the proxy refused the connection: {}",
            socks_reply_text(head[1])
        )));
    }
    let ip = match head[3] {
        1 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a)?;
            IpAddr::from(a)
        }
        4 => {
            let mut a = [0u8; 16];
            s.read_exact(&mut a)?;
            IpAddr::from(a)
        }
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len)?;
            let mut name = vec![0u8; usize::from(len[0])];
            s.read_exact(&mut name)?;
            IpAddr::from([0u8; 4])
        }
        other => {
            return Err(Handshake::Protocol(format!(
                "unknown address type {other} in the proxy's reply"
            )))
        }
    };
    let mut port = [0u8; 2];
    s.read_exact(&mut port)?;
    Ok(SocketAddr::new(ip, u16::from_be_bytes(port)))
}

fn clear_timeouts(stream: &TcpStream, context: &str) -> Result<()> {
    stream
        .set_read_timeout(None)
        .and_then(|()| stream.set_write_timeout(None))
        .map_err(|e| Error::io(context, e))
}

/// A SOCKS5 BIND waiting for the FTP server's data connection (active mode through a proxy).
pub(crate) struct ProxyBind {
    stream: TcpStream,
    /// Where the proxy listens: the address for PORT/EPRT (unspecified when the proxy did not
    /// say; the caller then uses the proxy's own address).
    pub(crate) addr: SocketAddr,
    context: String,
}

impl ProxyBind {
    /// Waits (at most `timeout`) for the proxy's second reply, sent when the server has
    /// connected; the stream then carries the data connection. Returns it and the address the
    /// connection came from.
    pub(crate) fn accept(self, timeout: Option<Duration>) -> Result<(TcpStream, SocketAddr)> {
        let ProxyBind {
            mut stream,
            context,
            ..
        } = self;
        let deadline = Deadline::after(timeout);
        stream
            .set_read_timeout(timeout)
            .map_err(|e| Error::io(context.as_str(), e))?;
        let from = read_socks5_reply(&mut stream)
            .map_err(|e| e.into_error(&context, &deadline, TimeoutPhase::Accept))?;
        clear_timeouts(&stream, &context)?;
        Ok((stream, from))
    }
}

/// How a proxy handshake failed.
enum Handshake {
    Io(io::Error),
    Refused(String),
    Auth(String),
    Protocol(String),
}

impl Handshake {
    /// The crate's error, naming the proxy (`context`) and never its password.
    fn into_error(self, context: &str, deadline: &Deadline, phase: TimeoutPhase) -> Error {
        let io_error = |kind, why: String| Error::io(context, io::Error::new(kind, why));
        match self {
            Handshake::Io(e) if is_timeout(&e) => deadline.expired(context, phase),
            Handshake::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => io_error(
                io::ErrorKind::ConnectionAborted,
                "the proxy closed the connection during its handshake".into(),
            ),
            Handshake::Io(e) => Error::io(format!("{context}: talking to the proxy"), e),
            Handshake::Refused(why) => io_error(io::ErrorKind::ConnectionRefused, why),
            Handshake::Auth(why) => io_error(io::ErrorKind::PermissionDenied, why),
            Handshake::Protocol(why) => Error::protocol(context, why),
        }
    }
}

impl From<io::Error> for Handshake {
    fn from(e: io::Error) -> Handshake {
        Handshake::Io(e)
    }
}

fn socks_reply_text(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by its rules",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused by the destination",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown SOCKS5 reply code",
    }
}

fn base64_encode(data: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let p = Proxy::parse("socks5h://al%40ice:p%3Ass@proxy.example:1081").unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5h);
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 1081));
        assert_eq!(p.credentials, Some(("al@ice".into(), "p:ss".into())));
        assert!(!format!("{p:?}").contains("p:ss"));
        let p = Proxy::parse("http://127.0.0.1").unwrap();
        assert_eq!(
            (p.kind, p.port, p.credentials),
            (ProxyKind::HttpConnect, 8080, None)
        );
        let p = Proxy::parse("socks5://[::1]/").unwrap();
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Socks5, "::1", 1080)
        );
        for bad in [
            "ftp://x",
            "x",
            "http://h:port",
            "http://h/path",
            "socks5h://",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }
}
