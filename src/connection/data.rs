//! Data connections: connecting to a passive port, or listening for the server in active
//! mode, each within its own timeout.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::ops::RangeInclusive;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::cancel::Canceller;
use super::stream::NetStream;
use super::tls::TlsContext;
use super::{is_timeout, Deadline};
use crate::error::{Error, Result, TimeoutPhase};

/// The longest an active-mode accept waits before it looks at its canceller again.
const ACCEPT_SLICE: Duration = Duration::from_millis(200);

/// Connects to a passive-mode port.
pub(crate) fn connect(
    addr: SocketAddr,
    timeout: Option<Duration>,
    context: &str,
    canceller: &Canceller,
) -> Result<TcpStream> {
    let deadline = Deadline::after(timeout);
    super::connect_tcp(addr, &deadline, canceller).map_err(|e| {
        if is_timeout(&e) {
            deadline.expired(context, TimeoutPhase::DataConnect)
        } else {
            Error::io(format!("{context}: data connection to {addr}"), e)
        }
    })
}

/// An active-mode listener waiting for the server to connect.
pub(crate) struct ActiveListener {
    socket: Socket,
    local: SocketAddr,
}

impl ActiveListener {
    /// Listens on `ip`, on the first free port of `ports` (any port when `None`).
    pub(crate) fn bind(ip: IpAddr, ports: Option<&RangeInclusive<u16>>) -> Result<ActiveListener> {
        let context = "active mode: listening for the data connection";
        let mut last_err = None;
        let candidates: Box<dyn Iterator<Item = u16>> = match ports {
            Some(range) => Box::new(range.clone()),
            None => Box::new(std::iter::once(0)),
        };
        for port in candidates {
            match listen_on(SocketAddr::new(ip, port)) {
                Ok(socket) => {
                    let local = socket
                        .local_addr()
                        .ok()
                        .and_then(|a| a.as_socket())
                        .ok_or_else(|| Error::protocol(context, "listener has no address"))?;
                    return Ok(ActiveListener { socket, local });
                }
                Err(e) => last_err = Some(e),
            }
        }
        let err = last_err.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the active port range is empty",
            )
        });
        Err(Error::io(context, err))
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits for the server's connection. Only a connection from `expected_peer` is accepted:
    /// anyone else reaching the port first would otherwise be handed our data.
    pub(crate) fn accept(
        self,
        expected_peer: IpAddr,
        timeout: Option<Duration>,
        context: &str,
        canceller: &Canceller,
    ) -> Result<TcpStream> {
        let deadline = Deadline::after(timeout);
        loop {
            canceller
                .check()
                .map_err(|e| Error::io(format!("{context}: accept"), e))?;
            let left = deadline.remaining(context, TimeoutPhase::Accept)?;
            // SO_RCVTIMEO bounds accept() on Linux and the BSDs; the listener is not a
            // connection a canceller can shut down, so it waits in slices and looks.
            let slice = left.map_or(ACCEPT_SLICE, |left| left.min(ACCEPT_SLICE));
            self.socket
                .set_read_timeout(Some(slice))
                .map_err(|e| Error::io(context, e))?;
            match self.socket.accept() {
                Ok((socket, from)) => {
                    let from_ip = from.as_socket().map(|a| a.ip());
                    if from_ip.map(canonical) == Some(canonical(expected_peer)) {
                        return Ok(socket.into());
                    }
                    // A stranger: drop it and keep waiting for the server.
                    drop(socket);
                }
                // A slice ended: the loop looks at the canceller and the deadline again.
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(format!("{context}: accept"), e)),
            }
        }
    }
}

fn listen_on(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(1)?;
    Ok(socket)
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The longest an upload's close waits for the server's TLS 1.3 session ticket.
const TICKET_WAIT_LIMIT: Duration = Duration::from_secs(1);

/// An open data connection (or none, when the server completed the command without opening
/// one). The data idle timeout is a deadline, however many packets or TLS records a call
/// takes: each read must deliver data within it, and each buffer written must be taken whole
/// within it (a write that took only part of its buffer does not start a new one; a server
/// that stops reading would otherwise stretch it while its kernel buffers fill).
pub(crate) struct DataSocket {
    stream: Option<NetStream>,
    idle_timeout: Option<Duration>,
    /// The last write took only part of its buffer: the deadline runs on for the rest.
    write_unfinished: bool,
    /// Set by `close`: the server ended its side with close_notify (TLS only).
    pub(crate) peer_close_notify: bool,
}

impl DataSocket {
    pub(crate) fn new(
        stream: TcpStream,
        idle_timeout: Option<Duration>,
        canceller: &Canceller,
    ) -> Result<DataSocket> {
        let stream =
            NetStream::plain(stream, canceller).map_err(|e| Error::io("data connection", e))?;
        Ok(DataSocket {
            stream: Some(stream),
            idle_timeout,
            write_unfinished: false,
            peer_close_notify: false,
        })
    }

    /// The limit each read and write has (the data idle timeout).
    pub(crate) fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// The stream, with a fresh idle deadline for the call about to be made.
    fn for_call(&mut self) -> Option<&mut NetStream> {
        let limit = self.idle_timeout;
        let stream = self.stream.as_mut()?;
        stream.socket().set_limit(limit);
        Some(stream)
    }

    /// The stream for a write: a fresh deadline, unless the last write left part of its
    /// buffer, whose deadline still runs.
    fn for_write(&mut self) -> Option<&mut NetStream> {
        if self.write_unfinished {
            self.stream.as_mut()
        } else {
            self.for_call()
        }
    }

    pub(crate) fn none() -> DataSocket {
        DataSocket {
            stream: None,
            idle_timeout: None,
            write_unfinished: false,
            peer_close_notify: false,
        }
    }

    /// Runs the TLS handshake (PROT P) on the connection.
    pub(crate) fn secure(
        self,
        tls: &TlsContext,
        timeout: Option<Duration>,
        context: &str,
    ) -> Result<DataSocket> {
        let idle_timeout = self.idle_timeout;
        let Some(NetStream::Plain(socket)) = self.stream else {
            return Ok(self);
        };
        let context = format!("{context}: TLS handshake on the data connection");
        let canceller = socket.canceller().clone();
        let stream =
            NetStream::handshake_data(socket.into_tcp(), tls, timeout, &context, &canceller)?;
        Ok(DataSocket {
            stream: Some(stream),
            idle_timeout,
            write_unfinished: false,
            peer_close_notify: false,
        })
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.stream.as_ref().is_some_and(NetStream::is_tls)
    }

    /// Whether a connection is open (not `DataSocket::none`, not yet closed).
    pub(crate) fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// The TLS version of the data connection; `None` when plain.
    pub(crate) fn tls_version(&self) -> Option<crate::options::TlsVersion> {
        self.stream.as_ref().and_then(NetStream::tls_version)
    }

    /// The TCP stream of an open plain (not TLS) connection, for the transfers that move
    /// bytes with splice(2)/sendfile(2) instead of reads and writes (transfer/zero_copy.rs);
    /// `None` under TLS or when no connection is open.
    pub(crate) fn plain_tcp(&self) -> Option<&TcpStream> {
        match self.stream.as_ref()? {
            NetStream::Plain(socket) => Some(socket.tcp()),
            NetStream::Tls(_) | NetStream::Records(_) => None,
        }
    }

    /// Whether the data connection's TLS handshake resumed the session; `None` when plain.
    pub(crate) fn resumed(&self) -> Option<bool> {
        self.stream.as_ref().and_then(NetStream::resumed)
    }

    /// Ends the connection in order: close_notify under TLS, end of our sending side, then
    /// (when `await_peer` is given) a bounded wait for the server to finish its side.
    pub(crate) fn close(&mut self, await_peer: Option<Duration>) -> io::Result<()> {
        let Some(mut stream) = self.stream.take() else {
            return Ok(());
        };
        if let Some(limit) = await_peer {
            stream.await_session_ticket(limit.min(TICKET_WAIT_LIMIT));
        }
        // Closing (close_notify, our FIN) gets a fresh idle limit of its own.
        stream.socket().set_limit(self.idle_timeout);
        let result = stream.shutdown_write();
        if let (Ok(()), Some(timeout)) = (&result, await_peer) {
            self.peer_close_notify = stream.await_peer_close(timeout) && stream.is_tls();
        }
        result
    }

    /// Drops the connection at once, without any closing exchange (for ABOR). An upload's
    /// is reset rather than closed (`reset`), so a server cannot take its end for the end of
    /// the file; a download's is closed, since a reset can reach the server before it has
    /// accepted the connection, and pyftpdlib then sends the aborted file on the next one.
    pub(crate) fn discard(&mut self, reset: bool) {
        if let Some(stream) = self.stream.take() {
            if reset {
                let _ = socket2::SockRef::from(stream.tcp()).set_linger(Some(Duration::ZERO));
            }
        }
    }
}

impl DataSocket {
    /// The next bytes received, borrowed (see [`NetStream::next_chunk`]); empty at the end.
    pub(crate) fn next_chunk<'a>(&'a mut self, scratch: &'a mut [u8]) -> io::Result<&'a [u8]> {
        match self.for_call() {
            Some(s) => s.next_chunk(scratch),
            None => Ok(&[]),
        }
    }
}

impl DataSocket {
    /// See [`NetStream::send_buffers`]; with no connection, `scratch` (and sending fails).
    pub(crate) fn send_buffers<'a>(
        &'a mut self,
        scratch: &'a mut [u8],
    ) -> [std::io::IoSliceMut<'a>; super::records::RECORDS_PER_WRITE] {
        match self.stream.as_mut() {
            Some(stream) => stream.send_buffers(scratch),
            None => NetStream::scratch_only(scratch),
        }
    }

    /// Sends what was put in [`Self::send_buffers`], whole, within the idle limit.
    pub(crate) fn send_filled(&mut self, scratch: &[u8], filled: usize) -> io::Result<()> {
        let stream = self.for_write().ok_or_else(no_connection)?;
        stream.send_filled(scratch, filled)?;
        self.write_unfinished = false;
        Ok(())
    }
}

impl Read for DataSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.for_call() {
            Some(s) => s.read(buf),
            None => Ok(0),
        }
    }
}

fn no_connection() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the server opened no data connection",
    )
}

impl Write for DataSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.for_write().ok_or_else(no_connection)?.write(buf)?;
        self.write_unfinished = n < buf.len();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.for_call() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}
