//! Data connections: connecting to a passive port, or listening for the server in active
//! mode, each within its own timeout.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::ops::RangeInclusive;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::{is_timeout, Deadline};
use crate::error::{Error, Result, TimeoutPhase};

/// Connects to a passive-mode port.
pub(crate) fn connect(
    addr: SocketAddr,
    timeout: Option<Duration>,
    context: &str,
) -> Result<TcpStream> {
    let deadline = Deadline::after(timeout);
    let attempt = match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t),
        None => TcpStream::connect(addr),
    };
    attempt.map_err(|e| {
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
    ) -> Result<TcpStream> {
        let deadline = Deadline::after(timeout);
        loop {
            let left = deadline.remaining(context, TimeoutPhase::Accept)?;
            // SO_RCVTIMEO bounds accept() on Linux and the BSDs.
            self.socket
                .set_read_timeout(left)
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
                Err(e) if is_timeout(&e) => {
                    return Err(deadline.expired(context, TimeoutPhase::Accept))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
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

/// An open data connection (or none, when the server completed the command without opening
/// one). Reads and writes wait at most the data idle timeout.
pub(crate) struct DataSocket {
    stream: Option<TcpStream>,
}

impl DataSocket {
    pub(crate) fn new(stream: TcpStream, idle_timeout: Option<Duration>) -> Result<DataSocket> {
        let io_err = |e| Error::io("data connection", e);
        stream.set_read_timeout(idle_timeout).map_err(io_err)?;
        stream.set_write_timeout(idle_timeout).map_err(io_err)?;
        Ok(DataSocket {
            stream: Some(stream),
        })
    }

    pub(crate) fn none() -> DataSocket {
        DataSocket { stream: None }
    }

    /// Ends our side so the server sees end-of-file (after an upload), then closes.
    pub(crate) fn close(&mut self) -> io::Result<()> {
        match self.stream.take() {
            Some(stream) => {
                let result = stream.shutdown(Shutdown::Write);
                drop(stream);
                match result {
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
                    other => other,
                }
            }
            None => Ok(()),
        }
    }
}

impl Read for DataSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.as_mut() {
            Some(s) => s.read(buf),
            None => Ok(0),
        }
    }
}

impl Write for DataSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.stream.as_mut() {
            Some(s) => s.write(buf),
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the server opened no data connection",
            )),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stream.as_mut() {
            Some(s) => s.flush(),
            None => Ok(()),
        }
    }
}
