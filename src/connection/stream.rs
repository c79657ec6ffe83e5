//! A TCP stream, plain or under TLS, for the control and data connections.

use std::io::{self, IoSliceMut, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rustls::{ClientConnection, HandshakeKind, ProtocolVersion, StreamOwned};

use super::cancel::Canceller;
use super::records::{RecordStream, RECORDS_PER_WRITE};
use super::socket::Socket;
use super::tls::{describe, rustls_error, TlsContext};
use super::{is_timeout, Deadline};
use crate::error::{Error, Result, TimeoutPhase};

pub(crate) enum NetStream {
    Plain(Socket),
    /// The control connection under TLS: rustls' buffered stream.
    Tls(Box<TlsStream>),
    /// A data connection under TLS: our records, opened in place (see `records.rs`).
    Records(Box<RecordStream>),
}

pub(crate) struct TlsStream {
    stream: StreamOwned<ClientConnection, Socket>,
}

impl NetStream {
    /// A plain stream on `tcp`, cancelled by `canceller`.
    pub(crate) fn plain(tcp: TcpStream, canceller: &Canceller) -> io::Result<NetStream> {
        Ok(NetStream::Plain(Socket::new(tcp, canceller)?))
    }

    pub(crate) fn socket(&mut self) -> &mut Socket {
        match self {
            NetStream::Plain(s) => s,
            NetStream::Tls(s) => &mut s.stream.sock,
            NetStream::Records(s) => s.socket(),
        }
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            NetStream::Plain(s) => s.tcp(),
            NetStream::Tls(s) => s.stream.sock.tcp(),
            NetStream::Records(s) => s.tcp(),
        }
    }

    /// Every read and write from now on ends by `deadline` (see [`Socket::set_deadline`]).
    pub(crate) fn set_deadline(&mut self, deadline: &Deadline) {
        self.socket().set_deadline(deadline.at());
    }

    pub(crate) fn is_tls(&self) -> bool {
        !matches!(self, NetStream::Plain(_))
    }

    fn protocol_version(&self) -> Option<ProtocolVersion> {
        match self {
            NetStream::Plain(_) => None,
            NetStream::Tls(s) => s.stream.conn.protocol_version(),
            NetStream::Records(s) => Some(s.version()),
        }
    }

    /// Whether this is a TLS 1.3 stream.
    pub(crate) fn is_tls13(&self) -> bool {
        self.protocol_version() == Some(ProtocolVersion::TLSv1_3)
    }

    /// The TLS version negotiated; `None` for plain streams.
    pub(crate) fn tls_version(&self) -> Option<crate::options::TlsVersion> {
        match self.protocol_version()? {
            ProtocolVersion::TLSv1_3 => Some(crate::options::TlsVersion::Tls13),
            ProtocolVersion::TLSv1_2 => Some(crate::options::TlsVersion::Tls12),
            _ => None,
        }
    }

    /// Whether the TLS handshake resumed an earlier session; `None` for plain streams.
    pub(crate) fn resumed(&self) -> Option<bool> {
        match self {
            NetStream::Plain(_) => None,
            NetStream::Tls(s) => {
                Some(s.stream.conn.handshake_kind() == Some(HandshakeKind::Resumed))
            }
            NetStream::Records(s) => Some(s.resumed()),
        }
    }

    /// Where the next bytes to send go, at most `scratch.len()`: on a data connection's TLS
    /// stream, the plaintext slots of the records about to be sealed (sealed where they are
    /// filled); otherwise `scratch`. Fill them in order, then call [`Self::send_filled`] with the same `scratch`.
    pub(crate) fn send_buffers<'a>(
        &'a mut self,
        scratch: &'a mut [u8],
    ) -> [IoSliceMut<'a>; RECORDS_PER_WRITE] {
        match self {
            NetStream::Records(s) => s.send_buffers(scratch.len()),
            _ => NetStream::scratch_only(scratch),
        }
    }

    /// `scratch` as the only send buffer.
    pub(crate) fn scratch_only(scratch: &mut [u8]) -> [IoSliceMut<'_>; RECORDS_PER_WRITE] {
        let mut first = Some(IoSliceMut::new(scratch));
        std::array::from_fn(|_| first.take().unwrap_or_else(|| IoSliceMut::new(&mut [])))
    }

    /// Sends the first `filled` bytes of the buffers [`Self::send_buffers`] gave.
    pub(crate) fn send_filled(&mut self, scratch: &[u8], filled: usize) -> io::Result<()> {
        match self {
            NetStream::Records(s) => s.send_filled(filled),
            other => other.write_all(&scratch[..filled]),
        }
    }

    /// Runs a TLS client handshake for a data connection on `tcp` within `timeout`.
    pub(crate) fn handshake_data(
        tcp: TcpStream,
        tls: &TlsContext,
        timeout: Option<Duration>,
        context: &str,
        canceller: &Canceller,
    ) -> Result<NetStream> {
        let records = RecordStream::handshake(tcp, tls, timeout, context, canceller)?;
        Ok(NetStream::Records(Box::new(records)))
    }

    /// The next bytes received, at most `scratch.len()`: read into `scratch` on a plain
    /// stream; on a data connection's TLS stream, the plaintext of the next record, decrypted
    /// in place and borrowed from the receive buffer (no copy). Empty at the end of the stream.
    pub(crate) fn next_chunk<'a>(&'a mut self, scratch: &'a mut [u8]) -> io::Result<&'a [u8]> {
        match self {
            NetStream::Records(s) => s.next_plaintext(scratch.len()),
            other => {
                let n = other.read(scratch)?;
                Ok(&scratch[..n])
            }
        }
    }

    /// Runs a TLS client handshake on `tcp` within `timeout`.
    pub(crate) fn handshake(
        tcp: TcpStream,
        tls: &TlsContext,
        timeout: Option<Duration>,
        context: &str,
        canceller: &Canceller,
    ) -> Result<NetStream> {
        let mut conn = ClientConnection::new(tls.config.clone(), tls.server_name.clone())
            .map_err(|e| tls_failure(context, &e))?;
        let (mut sock, deadline) = handshake_socket(tcp, timeout, context, canceller)?;
        while conn.is_handshaking() {
            match conn.complete_io(&mut sock) {
                Ok((0, 0)) if conn.is_handshaking() => {
                    return Err(Error::Tls {
                        context: context.to_string(),
                        detail: "handshake failure: the server closed the connection".into(),
                    })
                }
                Ok(_) => {}
                Err(e) => return Err(handshake_io_error(&deadline, context, e)),
            }
        }
        sock.set_deadline(None);
        Ok(NetStream::Tls(Box::new(TlsStream {
            stream: StreamOwned::new(conn, sock),
        })))
    }

    /// Under TLS 1.3, waits (at most `limit`) until this connection has delivered a session
    /// ticket, that is until the server has finished its side of the handshake. A close_notify
    /// that reaches the server earlier makes OpenSSL servers issue no ticket (so the session's
    /// supply of tickets drains, one per empty upload) and makes vsftpd fail the transfer with
    /// 426. Only done when the server issues tickets at all, and given up for the session after
    /// one connection delivered none in time. Data connections only (the control connection
    /// never waits).
    pub(crate) fn await_session_ticket(&mut self, limit: Duration) {
        if let NetStream::Records(records) = self {
            records.await_session_ticket(limit);
        }
    }

    /// Sends TLS close_notify, if under TLS.
    pub(crate) fn send_close_notify(&mut self) -> io::Result<()> {
        match self {
            NetStream::Plain(_) => Ok(()),
            NetStream::Tls(s) => {
                s.stream.conn.send_close_notify();
                s.stream.flush()
            }
            NetStream::Records(s) => s.send_close_notify(),
        }
    }

    /// Sends TLS close_notify (if under TLS) and ends our sending side.
    pub(crate) fn shutdown_write(&mut self) -> io::Result<()> {
        self.send_close_notify()?;
        match self.tcp().shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    /// After our side is shut down: waits up to `timeout` for the peer to finish (its
    /// close_notify and end of stream), discarding anything else. Tells whether the peer
    /// ended in order (under TLS: with close_notify).
    pub(crate) fn await_peer_close(&mut self, timeout: Duration) -> bool {
        self.socket().set_limit(Some(timeout));
        let mut sink = [0u8; 4096];
        loop {
            match self.read(&mut sink) {
                Ok(0) => return true,
                Err(_) => return false,
                Ok(_) => {}
            }
        }
    }
}

impl Read for NetStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            NetStream::Plain(s) => s.read(buf),
            NetStream::Tls(s) => s.stream.read(buf),
            NetStream::Records(s) => s.read(buf),
        }
    }
}

impl TlsStream {
    /// Sends every encrypted byte rustls holds, reporting any failure (rustls's own
    /// `Stream::write` ignores the failure of the send after buffering, so a peer that stopped
    /// reading looked like progress).
    fn send_pending(&mut self) -> io::Result<()> {
        while self.stream.conn.wants_write() {
            if self.stream.conn.write_tls(&mut self.stream.sock)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.send_pending()?;
        let n = self.stream.conn.writer().write(buf)?;
        self.send_pending()?;
        Ok(n)
    }
}

impl Write for NetStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            NetStream::Plain(s) => s.write(buf),
            NetStream::Tls(s) => s.write(buf),
            NetStream::Records(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            NetStream::Plain(s) => s.flush(),
            NetStream::Tls(s) => s.send_pending(),
            NetStream::Records(s) => s.flush(),
        }
    }
}

/// The socket of a TLS handshake on `tcp`, with one deadline for the whole handshake, however
/// the peer paces its bytes.
pub(crate) fn handshake_socket(
    tcp: TcpStream,
    timeout: Option<Duration>,
    context: &str,
    canceller: &Canceller,
) -> Result<(Socket, Deadline)> {
    let deadline = Deadline::after(timeout);
    let mut sock = Socket::new(tcp, canceller).map_err(|e| Error::io(context, e))?;
    sock.set_deadline(deadline.at());
    Ok((sock, deadline))
}

/// A handshake's I/O failure: the deadline's expiry, or the TLS failure that names its cause.
pub(crate) fn handshake_io_error(deadline: &Deadline, context: &str, err: io::Error) -> Error {
    if is_timeout(&err) {
        deadline.expired(context, TimeoutPhase::TlsHandshake)
    } else {
        tls_io_error(context, err)
    }
}

pub(crate) fn tls_failure(context: &str, err: &rustls::Error) -> Error {
    Error::Tls {
        context: context.to_string(),
        detail: describe(err),
    }
}

/// Maps an I/O error from a TLS stream: rustls failures become TLS errors that name the cause.
pub(crate) fn tls_io_error(context: &str, err: io::Error) -> Error {
    match rustls_error(&err) {
        Some(tls) => tls_failure(context, tls),
        None => Error::io(context, err),
    }
}
