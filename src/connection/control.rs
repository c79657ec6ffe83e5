//! The control connection: writes rendered commands, reads replies within the reply timeout.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::cancel::Canceller;
use super::stream::{tls_io_error, NetStream};
use super::tls::TlsContext;
use super::{is_timeout, Deadline};
use crate::error::{Error, Result, TimeoutPhase};
use crate::protocol::{Command, Reply, ReplyParser};

/// The longest a best-effort goodbye (QUIT on drop, close_notify) may take.
const QUIET_LIMIT: Duration = Duration::from_secs(1);

/// What a server may send unasked between two commands (a 421 notice, a stray line) before
/// it counts as a flood that ends the session: bytes, and replies.
const UNSOLICITED_LIMIT: usize = 64 * 1024;
const UNSOLICITED_REPLIES: usize = 16;
const FLOOD: &str = "the server keeps sending replies nobody asked for (a flood); the session \
                     is out of step and was given up";

pub(crate) struct ControlChannel {
    stream: NetStream,
    parser: ReplyParser,
    buf: Box<[u8]>,
    peer: SocketAddr,
    local: SocketAddr,
    reply_timeout: Option<Duration>,
}

impl ControlChannel {
    /// Resolves `host` and connects to the first address that answers, all within
    /// `connect_timeout`.
    pub(crate) fn connect(
        host: &str,
        port: u16,
        connect_timeout: Option<Duration>,
        reply_timeout: Option<Duration>,
        canceller: &Canceller,
    ) -> Result<ControlChannel> {
        let context = format!("connect to {host}:{port}");
        let host_for_lookup = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = (host_for_lookup, port)
            .to_socket_addrs()
            .map_err(|e| Error::io(format!("{context}: resolving host"), e))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::io(
                context,
                io::Error::new(io::ErrorKind::NotFound, "host has no addresses"),
            ));
        }
        let deadline = Deadline::after(connect_timeout);
        let mut last_err = None;
        for addr in addrs {
            deadline.remaining(&context, TimeoutPhase::Connect)?;
            match super::connect_tcp(addr, &deadline, canceller) {
                Ok(stream) => return ControlChannel::from_stream(stream, reply_timeout, canceller),
                Err(e) if super::cancel::Cancelled::is(&e) => return Err(Error::io(context, e)),
                Err(e) if is_timeout(&e) => {
                    last_err = Some(deadline.expired(&context, TimeoutPhase::Connect))
                }
                Err(e) => last_err = Some(Error::io(format!("{context} ({addr})"), e)),
            }
        }
        Err(last_err.expect("at least one address was tried"))
    }

    pub(crate) fn from_stream(
        stream: TcpStream,
        reply_timeout: Option<Duration>,
        canceller: &Canceller,
    ) -> Result<ControlChannel> {
        let io_err = |e| Error::io("control connection", e);
        // Commands are small and each waits for its reply: Nagle would only add latency.
        stream.set_nodelay(true).map_err(io_err)?;
        let peer = stream.peer_addr().map_err(io_err)?;
        let local = stream.local_addr().map_err(io_err)?;
        Ok(ControlChannel {
            stream: NetStream::plain(stream, canceller).map_err(io_err)?,
            parser: ReplyParser::new(),
            buf: vec![0u8; 4096].into_boxed_slice(),
            peer,
            local,
            reply_timeout,
        })
    }

    pub(crate) fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    pub(crate) fn is_tls13(&self) -> bool {
        self.stream.is_tls13()
    }

    /// The TLS version and whether the handshake resumed a session; `None` when plain.
    pub(crate) fn tls_info(&self) -> Option<(Option<crate::options::TlsVersion>, bool)> {
        Some((self.stream.tls_version(), self.stream.resumed()?))
    }

    /// Starts TLS on the control connection (after `234` to AUTH TLS, or at once for
    /// implicit FTPS).
    pub(crate) fn start_tls(&mut self, tls: &TlsContext, timeout: Option<Duration>) -> Result<()> {
        let context = "TLS handshake on the control connection";
        if self.parser.has_partial() {
            // Bytes that arrived before the handshake would be read as if they were protected:
            // the STARTTLS command injection attack.
            return Err(Error::protocol(
                context,
                "the server sent data after accepting AUTH TLS, before the handshake",
            ));
        }
        // The duplicate shares the socket; dropping the plain handle does not close it.
        let tcp = self
            .stream
            .tcp()
            .try_clone()
            .map_err(|e| Error::io(context, e))?;
        let canceller = self.stream.socket().canceller().clone();
        self.stream = NetStream::handshake(tcp, tls, timeout, context, &canceller)?;
        Ok(())
    }

    /// Ends TLS on the control connection after CCC was accepted (RFC 4217 section 6):
    /// close_notify both ways, then plain text on the same TCP connection.
    pub(crate) fn clear_tls(&mut self, timeout: Option<Duration>) -> Result<()> {
        let context = "CCC: ending TLS on the control connection";
        if self.parser.has_partial() {
            return Err(Error::protocol(
                context,
                "the server sent more after accepting CCC",
            ));
        }
        let tcp = self
            .stream
            .tcp()
            .try_clone()
            .map_err(|e| Error::io(context, e))?;
        self.stream
            .send_close_notify()
            .map_err(|e| tls_io_error(context, e))?;
        let deadline = Deadline::after(timeout);
        self.stream.set_deadline(&deadline);
        loop {
            match self.stream.read(&mut self.buf) {
                Ok(0) => break,
                Ok(_) => {
                    return Err(Error::protocol(
                        context,
                        "the server sent data instead of its close_notify",
                    ))
                }
                Err(e) if is_timeout(&e) => {
                    return Err(deadline.expired(context, TimeoutPhase::TlsClose))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(tls_io_error(context, e)),
            }
        }
        let canceller = self.stream.socket().canceller().clone();
        self.stream = NetStream::plain(tcp, &canceller).map_err(|e| Error::io(context, e))?;
        Ok(())
    }

    /// Sends a command; a server that does not take it within the reply timeout is as dead
    /// as one that does not answer.
    pub(crate) fn send(&mut self, command: &Command) -> Result<()> {
        let deadline = Deadline::after(self.reply_timeout);
        self.stream.set_deadline(&deadline);
        let context = || format!("{}: sending command", command.shown());
        self.stream
            .write_all(command.wire())
            .and_then(|_| self.stream.flush())
            .map_err(|e| {
                if is_timeout(&e) {
                    deadline.expired(&context(), TimeoutPhase::Reply)
                } else {
                    tls_io_error(&context(), e)
                }
            })
    }

    /// Replies that arrived without being asked for, read without waiting. A server may send
    /// one at any time (421 before closing, or noise); left unread, it would be taken for the
    /// answer to the next command and the session would be out of step from then on.
    /// Also tells whether the server has closed the connection (so nothing should be sent).
    pub(crate) fn take_unsolicited(&mut self, context: &str) -> Result<(Vec<Reply>, bool)> {
        let io_err = |e| Error::io(context, e);
        self.stream.socket().set_nonblocking(true).map_err(io_err)?;
        let mut closed = false;
        let mut flooded = false;
        let read = loop {
            match self.stream.read(&mut self.buf) {
                // Under TLS, UnexpectedEof: closed without close_notify.
                Ok(0) => {
                    closed = true;
                    break Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    closed = true;
                    break Ok(());
                }
                Ok(n) => {
                    self.parser.push(&self.buf[..n]);
                    if self.parser.buffered() > UNSOLICITED_LIMIT {
                        flooded = true;
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.stream
            .socket()
            .set_nonblocking(false)
            .map_err(io_err)?;
        read.map_err(|e| tls_io_error(context, e))?;
        if flooded {
            return Err(Error::protocol(context, FLOOD));
        }
        let mut replies = Vec::new();
        while let Some(reply) = self
            .parser
            .next_reply()
            .map_err(|e| Error::protocol(context, e.to_string()))?
        {
            if replies.len() == UNSOLICITED_REPLIES {
                return Err(Error::protocol(context, FLOOD));
            }
            replies.push(reply);
        }
        Ok((replies, closed))
    }

    /// A complete reply if one has arrived, without waiting for one.
    pub(crate) fn poll_reply(&mut self, context: &str) -> Result<Option<Reply>> {
        if let Some(reply) = self
            .parser
            .next_reply()
            .map_err(|e| Error::protocol(context, e.to_string()))?
        {
            return Ok(Some(reply));
        }
        let io_err = |e| Error::io(context, e);
        self.stream.socket().set_nonblocking(true).map_err(io_err)?;
        let read = self.stream.read(&mut self.buf);
        self.stream
            .socket()
            .set_nonblocking(false)
            .map_err(io_err)?;
        match read {
            Ok(0) => {}
            Ok(n) => self.parser.push(&self.buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(tls_io_error(context, e)),
        }
        self.parser
            .next_reply()
            .map_err(|e| Error::protocol(context, e.to_string()))
    }

    /// A deadline of the reply timeout from now, for a phase that spans several replies.
    pub(crate) fn reply_deadline(&self) -> Deadline {
        Deadline::after(self.reply_timeout)
    }

    /// Reads the next complete reply, waiting at most until `deadline`.
    pub(crate) fn read_reply_by(&mut self, context: &str, deadline: &Deadline) -> Result<Reply> {
        self.stream.set_deadline(deadline);
        loop {
            match self.parser.next_reply() {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => {}
                Err(e) => return Err(Error::protocol(context, e.to_string())),
            }
            let read = match self.stream.read(&mut self.buf) {
                // Under TLS, a server that drops the connection without close_notify.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            };
            match read {
                Ok(0) => {
                    let detail = if self.parser.has_partial() {
                        "server closed the control connection in the middle of a reply"
                    } else {
                        "server closed the control connection"
                    };
                    return Err(Error::io(
                        context,
                        io::Error::new(io::ErrorKind::UnexpectedEof, detail),
                    ));
                }
                Ok(n) => self.parser.push(&self.buf[..n]),
                Err(e) if is_timeout(&e) => {
                    return Err(deadline.expired(context, TimeoutPhase::Reply))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(tls_io_error(context, e)),
            }
        }
    }

    /// Best effort, without waiting: used when the client is dropped.
    pub(crate) fn send_quietly(&mut self, command: &Command) {
        self.stream.socket().set_limit(Some(QUIET_LIMIT));
        let _ = self.stream.write_all(command.wire());
        let _ = self.stream.flush();
    }

    /// Ends the TCP connection at once, sending nothing (no close_notify): for a close that
    /// must not wait on the network.
    pub(crate) fn drop_now(&mut self) {
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
    }

    pub(crate) fn shutdown(&mut self) {
        if self.stream.is_tls() {
            self.stream.socket().set_limit(Some(QUIET_LIMIT));
            let _ = self.stream.shutdown_write();
        }
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
    }
}
