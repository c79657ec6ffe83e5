//! The data connection of one transfer and its TLS truncation policy: when a stream that
//! ended without close_notify is nonetheless complete, and how its failures are classed.

use std::io::{self, Read, Write};
use std::time::Duration;

use crate::connection::data::{ActiveListener, DataSocket};
use crate::connection::is_timeout;
use crate::connection::stream::tls_io_error;
use crate::connection::tls::rustls_error;
use crate::error::{Error, TimeoutPhase};
use crate::protocol::Reply;

/// An open data connection, before its final reply was read: the owned cursor of a raw data
/// stream (see [`crate::Client::begin_data`]), which does not borrow its session; the C data
/// handles hold one.
pub struct DataConnection {
    pub(crate) socket: DataSocket,
    pub(crate) command: String,
    pub(crate) expected_size: Option<u64>,
    pub(crate) final_reply: Option<Reply>,
    /// Bytes read so far, and the count at which a TLS stream cut without close_notify is
    /// nonetheless complete (the size the server announced for a whole-file transfer).
    pub(crate) received: u64,
    pub(crate) complete_at: Option<u64>,
    pub(crate) allow_missing_close_notify: bool,
    /// An upload: we send, so we end the stream with close_notify and wait for the server.
    pub(crate) sending: bool,
    /// Opened in TYPE I, where the size the server announced is the byte count to expect.
    pub(crate) binary: bool,
    /// The REST offset this transfer started at.
    pub(crate) resumed_from: u64,
    pub(crate) tls_resumed: Option<bool>,
    /// Bytes written so far (for the trace).
    pub(crate) sent: u64,
    /// The server ended a TLS data stream with close_notify (for the trace).
    pub(crate) close_notify_received: bool,
    /// The session's bandwidth limits, when it has any.
    pub(crate) limits: Option<Box<Limits>>,
}

/// The bandwidth limits of a data connection, and the canceller that ends their waits.
pub(crate) struct Limits {
    pub(crate) download: Option<crate::rate::RateLimit>,
    pub(crate) upload: Option<crate::rate::RateLimit>,
    pub(crate) canceller: crate::connection::cancel::Canceller,
}

impl Limits {
    /// The limits of `options`, or `None` when there are none.
    pub(crate) fn of(
        options: &crate::options::Options,
        canceller: &crate::connection::cancel::Canceller,
    ) -> Option<Box<Limits>> {
        if options.download_rate.is_none() && options.upload_rate.is_none() {
            return None;
        }
        Some(Box::new(Limits {
            download: options.download_rate.clone(),
            upload: options.upload_rate.clone(),
            canceller: canceller.clone(),
        }))
    }

    fn after_read(limits: &Option<Box<Limits>>, n: usize) -> io::Result<()> {
        match limits.as_deref() {
            Some(Limits {
                download: Some(limit),
                canceller,
                ..
            }) => limit.pace(n, canceller),
            _ => Ok(()),
        }
    }

    fn after_write(limits: &Option<Box<Limits>>, n: usize) -> io::Result<()> {
        match limits.as_deref() {
            Some(Limits {
                upload: Some(limit),
                canceller,
                ..
            }) => limit.pace(n, canceller),
            _ => Ok(()),
        }
    }
}

impl DataConnection {
    /// Reads the next bytes of the transfer into `buf`; 0 at the end of the data. Failures
    /// are classed as the session's own (a data idle timeout, a TLS stream cut short).
    pub fn read_data(&mut self, buf: &mut [u8]) -> crate::Result<usize> {
        loop {
            match self.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    /// Writes all of `buf` to the transfer.
    pub fn write_data(&mut self, buf: &[u8]) -> crate::Result<()> {
        self.write_all(buf).map_err(|e| self.error(e))
    }

    /// The size the server announced in its preliminary reply, if any.
    pub fn expected_size(&self) -> Option<u64> {
        self.expected_size
    }

    /// The command this connection was opened for, as shown in messages.
    pub fn command(&self) -> &str {
        &self.command
    }

    fn error(&self, err: io::Error) -> Error {
        data_error(&self.command, err, self.socket.idle_timeout())
    }
}

/// Carried inside the `io::Error` of a TLS data stream that ended without close_notify.
#[derive(Debug)]
pub(crate) struct TlsTruncated {
    pub(crate) received: u64,
}

impl std::fmt::Display for TlsTruncated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server ended the data stream {} after {} bytes, so it may be truncated \
             (for a server known never to send close_notify, allow it with \
             TlsOptions::allow_missing_close_notify / \
             ftp_options_set_tls_allow_missing_close_notify)",
            crate::error::TRUNCATED_MARK,
            self.received
        )
    }
}

impl std::error::Error for TlsTruncated {}

impl Read for DataConnection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let tls = self.socket.is_tls();
        match self.socket.read(buf) {
            Ok(0) => {
                // rustls reports the end of a TLS stream only after close_notify.
                self.close_notify_received |= tls && !buf.is_empty();
                Ok(0)
            }
            Ok(n) => {
                self.received += n as u64;
                Limits::after_read(&self.limits, n)?;
                Ok(n)
            }
            Err(e) => {
                self.end_without_close_notify(e, tls)?;
                Ok(0)
            }
        }
    }
}

impl DataConnection {
    /// The next block of the transfer: read into `scratch` on a plain connection, borrowed
    /// from the TLS receive buffer (decrypted in place, not copied) under TLS. Empty at the
    /// end of the data. Counted and paced like [`Read::read`].
    pub(crate) fn next_block<'a>(&'a mut self, scratch: &'a mut [u8]) -> io::Result<&'a [u8]> {
        let tls = self.socket.is_tls();
        match self.socket.next_chunk(scratch) {
            Ok([]) => {
                self.close_notify_received |= tls;
                Ok(&[])
            }
            Ok(block) => {
                self.received += block.len() as u64;
                Limits::after_read(&self.limits, block.len())?;
                Ok(block)
            }
            Err(e) => {
                ended_without_close_notify(
                    e,
                    tls,
                    self.received,
                    self.resumed_from,
                    self.complete_at,
                    self.allow_missing_close_notify,
                )?;
                Ok(&[])
            }
        }
    }

    /// A read failed: `Ok` when it is a TLS stream cut without close_notify that is
    /// nonetheless complete (or allowed to end so), the error otherwise.
    fn end_without_close_notify(&self, err: io::Error, tls: bool) -> io::Result<()> {
        ended_without_close_notify(
            err,
            tls,
            self.received,
            self.resumed_from,
            self.complete_at,
            self.allow_missing_close_notify,
        )
    }
}

/// See [`DataConnection::end_without_close_notify`]; apart from the connection so that a
/// borrowed block may be returned beside it.
fn ended_without_close_notify(
    err: io::Error,
    tls: bool,
    received: u64,
    resumed_from: u64,
    complete_at: Option<u64>,
    allow_missing_close_notify: bool,
) -> io::Result<()> {
    if err.kind() != io::ErrorKind::UnexpectedEof || !tls {
        return Err(err);
    }
    let whole = resumed_from + received;
    let complete = complete_at.is_some_and(|n| n == received || n == whole);
    if allow_missing_close_notify || complete {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            TlsTruncated { received },
        ))
    }
}

impl DataConnection {
    /// Where the next bytes to send go (see [`crate::connection::stream::NetStream::send_buffers`]):
    /// under TLS the records' own plaintext slots, so the bytes are sealed where they were
    /// put; otherwise `scratch`.
    pub(crate) fn send_buffers<'a>(
        &'a mut self,
        scratch: &'a mut [u8],
    ) -> [io::IoSliceMut<'a>; crate::connection::records::RECORDS_PER_WRITE] {
        self.socket.send_buffers(scratch)
    }

    /// Sends the first `filled` bytes put in [`Self::send_buffers`]; counted and paced like
    /// [`Write::write_all`].
    pub(crate) fn send_filled(&mut self, scratch: &[u8], filled: usize) -> io::Result<()> {
        self.sending = true;
        self.socket.send_filled(scratch, filled)?;
        self.sent += filled as u64;
        Limits::after_write(&self.limits, filled)
    }
}

impl Write for DataConnection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sending = true;
        let n = self.socket.write(buf)?;
        self.sent += n as u64;
        Limits::after_write(&self.limits, n)?;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.sending = true;
        self.socket.write_all(buf)?;
        self.sent += buf.len() as u64;
        Limits::after_write(&self.limits, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

impl DataConnection {
    pub(crate) fn new(
        socket: DataSocket,
        command: String,
        expected_size: Option<u64>,
        final_reply: Option<Reply>,
    ) -> DataConnection {
        DataConnection {
            socket,
            command,
            expected_size,
            final_reply,
            received: 0,
            complete_at: None,
            allow_missing_close_notify: false,
            sending: false,
            binary: false,
            resumed_from: 0,
            tls_resumed: None,
            sent: 0,
            close_notify_received: false,
            limits: None,
        }
    }
}

/// A data connection not yet opened: connected (passive) or listening (active, here or, through
/// a SOCKS5 proxy, at the proxy).
pub(crate) enum PendingData {
    Connected(std::net::TcpStream),
    Listening(ActiveListener),
    ProxyBound(crate::connection::proxy::ProxyBind),
}

/// Turns an I/O error on the data connection into the crate's error.
pub(crate) fn data_error(context: &str, err: io::Error, idle_limit: Option<Duration>) -> Error {
    if let Some(truncated) = err.get_ref().and_then(|e| e.downcast_ref::<TlsTruncated>()) {
        return Error::Tls {
            context: context.to_string(),
            detail: truncated.to_string(),
        };
    }
    if rustls_error(&err).is_some() {
        return tls_io_error(&format!("{context}: data connection"), err);
    }
    if is_timeout(&err) {
        Error::Timeout {
            context: context.to_string(),
            phase: TimeoutPhase::DataIdle,
            after: idle_limit.unwrap_or_default(),
        }
    } else {
        Error::io(format!("{context}: data connection"), err)
    }
}
