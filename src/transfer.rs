//! Data transfers: opening a data connection for a command, the RETR/STOR/APPE loops with
//! progress, text mode, the raw data stream (ftplib's `transfercmd`), and ABOR.

use std::io::{self, BufRead, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::client::Client;
use crate::connection::data::{self, ActiveListener, DataSocket};
use crate::connection::is_timeout;
use crate::connection::stream::tls_io_error;
use crate::connection::tls::rustls_error;
use crate::error::{Error, Result, StopTransfer, TimeoutPhase};
use crate::options::{DataMode, PassiveMode, TransferType};
use crate::protocol::address::{eprt_argument, parse_epsv, parse_pasv, port_argument};
use crate::protocol::ascii::{CrlfDecoder, CrlfEncoder};
use crate::protocol::text::parse_announced_size;
use crate::protocol::{Command, Reply};

/// What an observer tells the transfer to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Told `(bytes so far, total)` after every block; the total is `None` when unknown. For a
/// resumed transfer both count from the start of the file.
pub type ProgressFn<'a> = dyn FnMut(u64, Option<u64>) -> Flow + 'a;

/// Per-transfer settings. `Default` is a whole-file transfer without progress.
#[derive(Default)]
pub struct TransferOptions<'a> {
    /// Start at this byte (REST); 0 for the whole file.
    pub offset: u64,
    /// The total size for progress, when the caller knows it (for uploads); for downloads it
    /// comes from SIZE or the server's 150 reply otherwise.
    pub total: Option<u64>,
    /// Progress observer; returning [`Flow::Stop`] ends the transfer with
    /// [`Error::Aborted`].
    pub progress: Option<&'a mut ProgressFn<'a>>,
}

/// An open data connection, before its final reply was read.
pub(crate) struct DataConnection {
    socket: DataSocket,
    pub(crate) command: String,
    pub(crate) expected_size: Option<u64>,
    final_reply: Option<Reply>,
    /// Bytes read so far, and the count at which a TLS stream cut without close_notify is
    /// nonetheless complete (the size the server announced for a whole-file transfer).
    received: u64,
    complete_at: Option<u64>,
    allow_missing_close_notify: bool,
    /// An upload: we send, so we end the stream with close_notify and wait for the server.
    sending: bool,
    /// Opened in TYPE I, where the size the server announced is the byte count to expect.
    binary: bool,
    /// The REST offset this transfer started at.
    resumed_from: u64,
    tls_resumed: Option<bool>,
}

/// Carried inside the `io::Error` of a TLS data stream that ended without close_notify.
#[derive(Debug)]
struct TlsTruncated {
    received: u64,
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
        match self.socket.read(buf) {
            Ok(n) => {
                self.received += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.socket.is_tls() => {
                let whole = self.resumed_from + self.received;
                let complete = self
                    .complete_at
                    .is_some_and(|n| n == self.received || n == whole);
                if self.allow_missing_close_notify || complete {
                    Ok(0)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        TlsTruncated {
                            received: self.received,
                        },
                    ))
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl Write for DataConnection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sending = true;
        self.socket.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.sending = true;
        self.socket.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.socket.flush()
    }
}

impl DataConnection {
    fn new(
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
        }
    }
}

/// A data connection not yet opened: connected (passive) or listening (active).
enum PendingData {
    Connected(std::net::TcpStream),
    Listening(ActiveListener),
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

impl Client {
    // ---- opening and closing data connections ---------------------------------------------

    /// Opens a data connection for `command` (after REST `offset` when non-zero) and reads
    /// the server's preliminary reply. The control connection belongs to the returned
    /// connection until [`Client::end_transfer`] or [`Client::abort_transfer`].
    pub(crate) fn begin_transfer(
        &mut self,
        command: &Command,
        offset: u64,
    ) -> Result<DataConnection> {
        self.ensure_ready()?;
        self.ensure_protection()?;
        let context = command.shown().to_string();
        let pending = self.prepare_data(&context)?;
        if offset > 0 {
            self.expect(&Command::with_arg("REST", offset.to_string())?, |c| {
                c == 350
            })?;
        }
        self.send(command)?;
        let first = self.read_reply(&context)?;
        let mut expected_size = None;
        let (socket, final_reply) = match first.code() / 100 {
            // 125 and 150 alike: the transfer starts.
            1 => {
                expected_size = parse_announced_size(&first.text());
                let stream = match pending {
                    PendingData::Connected(stream) => stream,
                    PendingData::Listening(listener) => {
                        let expected_peer = self.control.peer_addr().ip();
                        listener
                            .accept(
                                expected_peer,
                                self.options.accept_timeout,
                                &context,
                                &self.canceller,
                            )
                            .inspect_err(|_| {
                                self.mark_broken(format!("{context}: no data connection"))
                            })?
                    }
                };
                let socket =
                    DataSocket::new(stream, self.options.data_idle_timeout, &self.canceller)?;
                (socket, None)
            }
            // A server may complete at once (an empty listing) without a 1xx first.
            2 => {
                let socket = match pending {
                    PendingData::Connected(stream) => {
                        DataSocket::new(stream, self.options.data_idle_timeout, &self.canceller)?
                    }
                    PendingData::Listening(_) => DataSocket::none(),
                };
                (socket, Some(first))
            }
            _ => return Err(Error::from_reply(&context, first)),
        };
        self.state.data_open = true;
        let socket = if self.state.data_protected {
            let tls = self
                .tls
                .clone()
                .expect("TLS context when data is protected");
            let secured = socket.secure(&tls, self.options.data_connect_timeout, &context);
            match secured {
                Ok(socket) => socket,
                Err(e) => {
                    // The server may still explain (522 session reuse required, ...).
                    let conn = DataConnection::new(DataSocket::none(), context, None, final_reply);
                    return Err(self.fail_transfer(conn, e));
                }
            }
        } else {
            socket
        };
        let mut conn = DataConnection::new(socket, context, expected_size, final_reply);
        // A resumed download is complete once offset + received reaches the announced size
        // (servers announce the whole file's size, or what is left: either is accepted).
        conn.complete_at = expected_size;
        conn.resumed_from = offset;
        // The type the server is in for this transfer (text mode passes its own).
        conn.binary = self.state.server_type == Some(TransferType::Binary);
        conn.allow_missing_close_notify = self.options.tls.allow_missing_close_notify;
        conn.tls_resumed = conn.socket.resumed();
        if conn.tls_resumed.is_some() {
            self.state.last_data_resumed = conn.tls_resumed;
        }
        Ok(conn)
    }

    /// The reply as an error; when the data connection's TLS session was not resumed and the
    /// server refused the transfer the way servers that require reuse do, the message says so.
    fn transfer_reply_error(conn: &DataConnection, reply: Reply) -> Error {
        if conn.tls_resumed == Some(false) && matches!(reply.code(), 425 | 450 | 522) {
            let context = format!(
                "{} (the data connection did not resume the control connection's TLS session, \
                 which this server requires)",
                conn.command
            );
            return Error::from_reply(&context, reply);
        }
        Error::from_reply(&conn.command, reply)
    }

    fn prepare_data(&mut self, context: &str) -> Result<PendingData> {
        match self.options.data_mode.clone() {
            DataMode::Passive(_) => {
                let addr = self.passive_address()?;
                let stream = data::connect(addr, self.options.data_connect_timeout, context)?;
                Ok(PendingData::Connected(stream))
            }
            DataMode::Active(active) => {
                let control_local = self.control.local_addr().ip();
                let bind_ip = active.bind_address.unwrap_or(control_local);
                let listener = ActiveListener::bind(bind_ip, active.port_range.as_ref())?;
                let listen_ip = listener.local_addr().ip();
                let shown_ip = active
                    .advertise_address
                    .unwrap_or(if listen_ip.is_unspecified() {
                        control_local
                    } else {
                        listen_ip
                    });
                let addr = SocketAddr::new(shown_ip, listener.local_addr().port());
                let port = port_argument(addr);
                let try_eprt = active.use_eprt && !self.quirks.eprt_refused || port.is_none();
                if try_eprt {
                    let eprt = Command::with_arg("EPRT", eprt_argument(addr))?;
                    let reply = self.exchange(&eprt)?;
                    match (reply.code() / 100, port.as_ref()) {
                        (2, _) => return Ok(PendingData::Listening(listener)),
                        // Refused for good (500/502 not implemented): PORT, as EPSV falls
                        // back to PASV, and remembered. An IPv6 address has no PORT form.
                        (5, Some(_)) => self.quirks.eprt_refused = true,
                        _ => return Err(Error::from_reply(eprt.shown(), reply)),
                    }
                }
                let arg = port.expect("an IPv4 address when PORT is used");
                self.expect(&Command::with_arg("PORT", arg)?, |c| c / 100 == 2)?;
                Ok(PendingData::Listening(listener))
            }
        }
    }

    /// Asks for a passive port: EPSV first, PASV when EPSV is refused (in `Auto` mode, and the
    /// choice is remembered).
    fn passive_address(&mut self) -> Result<SocketAddr> {
        let peer = self.control.peer_addr();
        let ipv6 = matches!(peer.ip(), IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none());
        let mode = if ipv6 {
            PassiveMode::Epsv
        } else {
            self.quirks.passive_choice
        };
        if mode != PassiveMode::Pasv {
            let command = Command::bare("EPSV")?;
            let reply = self.exchange(&command)?;
            let parsed = if reply.code() == 229 {
                parse_epsv(&reply.text()).map_err(|why| Error::protocol("EPSV", why))
            } else {
                Err(Error::from_reply("EPSV", reply))
            };
            match parsed {
                Ok(port) => {
                    self.quirks.passive_choice = PassiveMode::Epsv;
                    return Ok(SocketAddr::new(peer.ip(), port));
                }
                Err(e) if mode == PassiveMode::Auto && !matches!(e, Error::Temporary { .. }) => {
                    self.quirks.passive_choice = PassiveMode::Pasv;
                }
                Err(e) => return Err(e),
            }
        }
        let reply = self.expect(&Command::bare("PASV")?, |c| c == 227)?;
        let announced = parse_pasv(&reply.text()).map_err(|why| Error::protocol("PASV", why))?;
        if self.options.trust_pasv_address && !announced.ip().is_unspecified() {
            Ok(announced)
        } else {
            Ok(SocketAddr::new(peer.ip(), announced.port()))
        }
    }

    /// Closes the data connection and reads the final reply, which must be 2xx.
    pub(crate) fn end_transfer(&mut self, mut conn: DataConnection) -> Result<Reply> {
        self.state.data_open = false;
        // After an upload under TLS: close_notify first (strict servers refuse the file
        // without it), then a bounded wait for the server's own close.
        let await_peer =
            (conn.sending && conn.socket.is_tls()).then_some(self.options.tls.close_timeout);
        let closed = conn.socket.close(await_peer);
        let reply = match conn.final_reply.take() {
            Some(reply) => {
                self.drain_keepalive_replies()?;
                reply
            }
            None => self.read_final_reply(&conn.command)?,
        };
        if !reply.is_completion() {
            return Err(Self::transfer_reply_error(&conn, reply));
        }
        // Fewer bytes than the server announced for the whole file is a short read, whoever
        // reads (a transfer loop or a caller's raw stream), never a complete one.
        let whole_file = conn.resumed_from == 0;
        if let (false, true, true, Some(expected)) =
            (conn.sending, conn.binary, whole_file, conn.complete_at)
        {
            if conn.received != expected {
                return Err(Error::protocol(
                    &conn.command,
                    format!(
                        "received {} bytes but the server announced {expected}",
                        conn.received
                    ),
                ));
            }
        }
        // The server accepted the data; a failure to shut down our side no longer matters.
        drop(closed);
        Ok(reply)
    }

    /// Stops a transfer early: closes the data connection, sends ABOR, and drains the
    /// replies up to a NOOP sent right after it, so the control connection is in step again
    /// whatever pair of replies (426+226, 226+225, or one) the server sends.
    pub(crate) fn abort_transfer(&mut self, mut conn: DataConnection) -> Result<()> {
        self.state.data_open = false;
        conn.socket.discard(conn.sending);
        if conn.final_reply.is_some() {
            return Ok(());
        }
        let abor = Command::bare("ABOR")?;
        let noop = Command::bare("NOOP")?;
        self.send_in_transfer(&abor)?;
        // One reply timeout for all of the replies, however the server paces them.
        let deadline = self.control.reply_deadline();
        let read_one = |client: &mut Client| -> Result<Option<Reply>> {
            let reply = client.read_reply_by("ABOR", &deadline)?;
            if client.state.pending_noops > 0 && answers_noop(reply.code()) {
                client.note_keepalive_reply(&reply);
                return Ok(None);
            }
            Ok(Some(reply))
        };
        // The first answer (the transfer's 426 or 226, or ABOR's 225) before our NOOP goes
        // out: a server that reads ABOR and NOOP in one read may drop the NOOP (Pure-FTPd).
        let mut answered = false;
        for _ in 0..4 + self.state.pending_noops {
            if read_one(self)?.is_some() {
                answered = true;
                break;
            }
        }
        if answered {
            // Then NOOP, whose 200 is the last reply: whether ABOR brought one reply or two,
            // the control connection is in step once it has come.
            self.send_in_transfer(&noop)?;
            for _ in 0..4 + self.state.pending_noops {
                if let Some(reply) = read_one(self)? {
                    if reply.code() == 200 && self.state.pending_noops == 0 {
                        return Ok(());
                    }
                }
            }
        }
        let why = "ABOR: the server's replies did not settle".to_string();
        self.mark_broken(why.clone());
        Err(Error::protocol("ABOR", why))
    }

    /// The final reply of a transfer, skipping the answers to keepalive NOOPs (they may come
    /// before or after it). A keepalive's answer never decides the transfer: `200`, or the
    /// codes of a refused command (500-504), are the NOOP's while NOOPs are outstanding;
    /// transfer failures use other codes (426, 451, 550, ...).
    fn read_final_reply(&mut self, context: &str) -> Result<Reply> {
        loop {
            let reply = self.read_reply(context)?;
            if self.state.pending_noops > 0 && answers_noop(reply.code()) {
                self.note_keepalive_reply(&reply);
                continue;
            }
            self.drain_keepalive_replies()?;
            return Ok(reply);
        }
    }

    fn drain_keepalive_replies(&mut self) -> Result<()> {
        while self.state.pending_noops > 0 {
            let reply = self.read_reply("NOOP (keepalive)")?;
            self.note_keepalive_reply(&reply);
        }
        Ok(())
    }

    /// Counts one keepalive answer; a refusal stops keepalives for the rest of the session.
    fn note_keepalive_reply(&mut self, reply: &Reply) {
        self.state.pending_noops -= 1;
        if !reply.is_completion() {
            self.state.keepalive_refused = true;
        }
    }

    /// Sends a keepalive NOOP when the interval has passed since the last one. Answers that
    /// have arrived are read first (without waiting), so a refusal stops keepalives at once;
    /// a transfer's final reply that arrives early is kept on `conn` for `end_transfer`.
    fn keepalive_tick(
        &mut self,
        last: &mut std::time::Instant,
        conn: &mut DataConnection,
    ) -> Result<()> {
        let Some(every) = self.options.keepalive_interval else {
            return Ok(());
        };
        if self.state.keepalive_refused || last.elapsed() < every {
            return Ok(());
        }
        while self.state.pending_noops > 0 && conn.final_reply.is_none() {
            let polled = self.control.poll_reply("NOOP (keepalive)");
            let Some(reply) = self.poison_on(polled)? else {
                break;
            };
            let reply = self.mask_secrets(reply);
            if answers_noop(reply.code()) {
                self.note_keepalive_reply(&reply);
            } else {
                conn.final_reply = Some(reply);
            }
        }
        if self.state.keepalive_refused || conn.final_reply.is_some() {
            return Ok(());
        }
        self.send_in_transfer(&Command::bare("NOOP")?)?;
        self.state.pending_noops += 1;
        *last = std::time::Instant::now();
        Ok(())
    }

    /// After a data connection failed mid-transfer: a stalled data connection leaves the
    /// server's state unknown, so the session is given up; otherwise the final reply (which
    /// usually explains the failure, as `451 disk full`) is read and preferred.
    pub(crate) fn fail_transfer(&mut self, mut conn: DataConnection, err: Error) -> Error {
        self.state.data_open = false;
        conn.socket.discard(conn.sending);
        if matches!(err, Error::Timeout { .. }) {
            self.mark_broken(err.to_string());
            return err;
        }
        let reply = match conn.final_reply.take() {
            Some(reply) => reply,
            None => match self.read_final_reply(&conn.command) {
                Ok(reply) => reply,
                // A data stream cut without close_notify while the control connection died
                // too is a lost server, which another attempt may find again; cut while the
                // server carries on is its habit, and that error stands.
                Err(lost) if is_truncation(&err) => return lost,
                Err(_) => return err,
            },
        };
        if reply.is_completion() || reply.is_preliminary() {
            err
        } else {
            Self::transfer_reply_error(&conn, reply)
        }
    }

    // ---- whole transfers ------------------------------------------------------------------

    /// RETR into a writer; returns the bytes received.
    pub fn retr<W: Write + ?Sized>(&mut self, path: impl AsRef<[u8]>, out: &mut W) -> Result<u64> {
        self.retr_with(path, TransferOptions::default(), &mut |chunk| {
            out.write_all(chunk)
        })
    }

    /// RETR with options: the sink gets every block (converted to LF line ends in ASCII
    /// mode); it may return [`StopTransfer::io_error`] to stop. Returns the bytes received.
    pub fn retr_with(
        &mut self,
        path: impl AsRef<[u8]>,
        mut options: TransferOptions<'_>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64> {
        let path = path.as_ref();
        let command = Command::with_arg("RETR", path)?;
        let binary = self.transfer_type == TransferType::Binary;
        if options.total.is_none() && options.progress.is_some() && binary {
            // A missing SIZE is no reason to fail the download: progress then has no total.
            options.total = match self.size(path) {
                Ok(size) => Some(size),
                Err(e) if e.reply().is_some() => None,
                Err(e) => return Err(e),
            };
        }
        self.download(&command, options, sink)
    }

    fn download(
        &mut self,
        command: &Command,
        options: TransferOptions<'_>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64> {
        let transfer_type = self.transfer_type;
        self.prepare_data_transfer(transfer_type)?;
        let offset = options.offset;
        let mut conn = self.begin_transfer(command, offset)?;
        let context = conn.command.clone();
        let announced = conn.expected_size;
        let total = options
            .total
            .or(announced.filter(|_| offset == 0 && transfer_type == TransferType::Binary));
        let mut progress = options.progress;
        let mut decoder = (transfer_type == TransferType::Ascii).then(CrlfDecoder::default);
        let mut converted = Vec::new();
        let mut buf = vec![0u8; self.options.block_size];
        let mut received: u64 = 0;
        let mut last_keepalive = std::time::Instant::now();
        loop {
            if let Err(e) = self.keepalive_tick(&mut last_keepalive, &mut conn) {
                return Err(self.fail_transfer(conn, e));
            }
            let n = match conn.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(self.fail_transfer(
                        conn,
                        data_error(&context, e, self.options.data_idle_timeout),
                    ))
                }
            };
            received += n as u64;
            let block = match decoder.as_mut() {
                Some(decoder) => {
                    converted.clear();
                    decoder.decode(&buf[..n], &mut converted);
                    &converted[..]
                }
                None => &buf[..n],
            };
            let mut stop = match sink(block) {
                Ok(()) => false,
                Err(e) if StopTransfer::is(&e) => true,
                Err(e) => {
                    let err = Error::io(format!("{context}: writing the received data"), e);
                    let _ = self.abort_transfer(conn);
                    return Err(err);
                }
            };
            if let Some(observer) = progress.as_mut() {
                stop |= observer(offset + received, total) == Flow::Stop;
            }
            if stop {
                let _ = self.abort_transfer(conn);
                return Err(Error::Aborted { context });
            }
        }
        if let Some(decoder) = decoder.as_mut() {
            converted.clear();
            decoder.finish(&mut converted);
            if !converted.is_empty() {
                if let Err(e) = sink(&converted) {
                    let _ = self.end_transfer(conn);
                    return Err(Error::io(
                        format!("{context}: writing the received data"),
                        e,
                    ));
                }
            }
        }
        self.end_transfer(conn)?;
        Ok(received)
    }

    /// STOR from a reader; returns the bytes sent.
    pub fn stor<R: Read + ?Sized>(&mut self, path: impl AsRef<[u8]>, src: &mut R) -> Result<u64> {
        self.stor_with(path, TransferOptions::default(), &mut ReadAdapter(src))
    }

    /// STOR with options (REST offset, progress). In ASCII mode bare LF becomes CRLF.
    pub fn stor_with(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.upload(
            &Command::with_arg("STOR", path)?,
            self.transfer_type,
            options,
            src,
        )
    }

    /// APPE from a reader: appends to the remote file.
    pub fn appe<R: Read + ?Sized>(&mut self, path: impl AsRef<[u8]>, src: &mut R) -> Result<u64> {
        self.appe_with(path, TransferOptions::default(), &mut ReadAdapter(src))
    }

    /// APPE with options.
    pub fn appe_with(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.upload(
            &Command::with_arg("APPE", path)?,
            self.transfer_type,
            options,
            src,
        )
    }

    fn upload(
        &mut self,
        command: &Command,
        transfer_type: TransferType,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.prepare_data_transfer(transfer_type)?;
        let offset = options.offset;
        let total = options.total;
        let mut progress = options.progress;
        let mut conn = self.begin_transfer(command, offset)?;
        conn.sending = true;
        let context = conn.command.clone();
        let mut encoder = (transfer_type == TransferType::Ascii).then(CrlfEncoder::default);
        let mut converted = Vec::new();
        let mut buf = vec![0u8; self.options.block_size];
        let mut sent: u64 = 0;
        let mut last_keepalive = std::time::Instant::now();
        loop {
            if let Err(e) = self.keepalive_tick(&mut last_keepalive, &mut conn) {
                return Err(self.fail_transfer(conn, e));
            }
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if StopTransfer::is(&e) => {
                    let _ = self.abort_transfer(conn);
                    return Err(Error::Aborted { context });
                }
                Err(e) => {
                    let err = Error::io(format!("{context}: reading the data to send"), e);
                    let _ = self.abort_transfer(conn);
                    return Err(err);
                }
            };
            let block = match encoder.as_mut() {
                Some(encoder) => {
                    converted.clear();
                    encoder.encode(&buf[..n], &mut converted);
                    &converted[..]
                }
                None => &buf[..n],
            };
            if let Err(e) = conn.write_all(block) {
                return Err(self.fail_transfer(
                    conn,
                    data_error(&context, e, self.options.data_idle_timeout),
                ));
            }
            sent += n as u64;
            if let Some(observer) = progress.as_mut() {
                if observer(offset + sent, total) == Flow::Stop {
                    let _ = self.abort_transfer(conn);
                    return Err(Error::Aborted { context });
                }
            }
        }
        if let Some(total) = total.filter(|&t| offset + sent < t) {
            // The source ended before the size the caller announced: a source that failed,
            // not a complete file. ABOR, and never report it as stored.
            let _ = self.abort_transfer(conn);
            return Err(Error::io(
                format!("{context}: reading the data to send"),
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the data source ended after {} of the {total} bytes announced",
                        offset + sent
                    ),
                ),
            ));
        }
        if let Err(e) = conn.flush() {
            return Err(self.fail_transfer(
                conn,
                data_error(&context, e, self.options.data_idle_timeout),
            ));
        }
        self.end_transfer(conn)?;
        Ok(sent)
    }

    // ---- text mode --------------------------------------------------------------------------

    /// Runs `command_line` (RETR, LIST, NLST, ...) in TYPE A and hands each line, without its
    /// line ending, to `on_line` (ftplib's `retrlines`). Lines longer than 1 MiB are an error.
    pub fn retr_lines(
        &mut self,
        command_line: impl AsRef<[u8]>,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        let command = Command::raw(command_line)?;
        self.read_lines(&command, TransferType::Ascii, MAX_TEXT_LINE, on_line)
    }

    /// Stores lines from `src` in TYPE A, sending each line end as CRLF (ftplib's
    /// `storlines`).
    pub fn stor_lines(&mut self, path: impl AsRef<[u8]>, src: &mut dyn BufRead) -> Result<u64> {
        let command = Command::with_arg("STOR", path)?;
        self.upload(
            &command,
            TransferType::Ascii,
            TransferOptions::default(),
            src,
        )
    }

    /// Reads the data of `command` line by line, in `transfer_type`.
    pub(crate) fn read_lines(
        &mut self,
        command: &Command,
        transfer_type: TransferType,
        max_line: usize,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        self.prepare_data_transfer(transfer_type)?;
        let conn = self.begin_transfer(command, 0)?;
        let mut lines = LineReader::new(conn, max_line);
        loop {
            match lines.next_line() {
                Ok(Some(line)) => {
                    if on_line(line) == Flow::Stop {
                        let context = lines.conn.command.clone();
                        let _ = self.abort_transfer(lines.conn);
                        return Err(Error::Aborted { context });
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let context = lines.conn.command.clone();
                    return Err(self.fail_transfer(
                        lines.conn,
                        line_error(&context, e, self.options.data_idle_timeout),
                    ));
                }
            }
        }
        self.end_transfer(lines.conn)?;
        Ok(())
    }

    // ---- raw data stream -------------------------------------------------------------------

    /// A data connection for any command line, in the current transfer type.
    pub(crate) fn begin_raw_transfer(
        &mut self,
        command_line: &[u8],
        offset: u64,
    ) -> Result<DataConnection> {
        let command = Command::raw(command_line)?;
        let transfer_type = self.transfer_type;
        self.prepare_data_transfer(transfer_type)?;
        self.begin_transfer(&command, offset)
    }

    /// Opens a data connection for any command (ftplib's `transfercmd`/`ntransfercmd`), after
    /// REST `offset` when non-zero. Read or write the stream, then call
    /// [`DataStream::finish`] for the final reply; dropping it unfinished aborts.
    pub fn open_data(
        &mut self,
        command_line: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>> {
        let conn = self.begin_raw_transfer(command_line.as_ref(), offset)?;
        Ok(DataStream {
            client: self,
            conn: Some(conn),
        })
    }
}

fn is_truncation(err: &Error) -> bool {
    matches!(err, Error::Tls { detail, .. } if detail.contains(crate::error::TRUNCATED_MARK))
}

/// Whether a reply read while keepalive NOOPs are outstanding is a NOOP's answer: 200, or a
/// refusal of the command itself.
fn answers_noop(code: u16) -> bool {
    matches!(code, 200 | 500..=504)
}

/// Longest line accepted by [`Client::retr_lines`].
pub const MAX_TEXT_LINE: usize = 1024 * 1024;

pub(crate) fn line_error(context: &str, err: io::Error, idle_limit: Option<Duration>) -> Error {
    if err.kind() == io::ErrorKind::InvalidData {
        Error::protocol(context, err.to_string())
    } else {
        data_error(context, err, idle_limit)
    }
}

/// Adapts any `Read` (even unsized) to `&mut dyn Read`.
struct ReadAdapter<'a, R: Read + ?Sized>(&'a mut R);

impl<R: Read + ?Sized> Read for ReadAdapter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

/// Splits a data connection into lines (LF or CRLF ended; a last line without an end is
/// kept), each at most `max_line` bytes.
pub(crate) struct LineReader {
    pub(crate) conn: DataConnection,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    max_line: usize,
    eof: bool,
    /// Bytes of the lines returned so far, line endings not counted.
    pub(crate) line_bytes: u64,
    /// A listing taken from inside its directory: where to go back to when it ends.
    pub(crate) return_to: Option<String>,
}

impl LineReader {
    pub(crate) fn new(conn: DataConnection, max_line: usize) -> LineReader {
        LineReader {
            conn,
            buf: vec![0u8; 16 * 1024],
            start: 0,
            end: 0,
            max_line,
            eof: false,
            line_bytes: 0,
            return_to: None,
        }
    }

    /// The next line without its line ending; `Ok(None)` at the end of the data.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = window.iter().position(|&b| b == b'\n') {
                let line_start = self.start;
                let line_end = self.start + scanned + pos;
                self.start = line_end + 1;
                let mut line = &self.buf[line_start..line_end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                self.line_bytes += line.len() as u64;
                return Ok(Some(line));
            }
            scanned = self.end - self.start;
            if scanned > self.max_line {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line of the data is longer than {} bytes", self.max_line),
                ));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                let mut line = &self.buf[line_start..self.end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                self.line_bytes += line.len() as u64;
                return Ok(Some(line));
            }
            // Make room: move the partial line to the front, grow if it fills the buffer.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let grown = (self.buf.len() * 2).min(self.max_line + 2);
                self.buf.resize(grown.max(self.buf.len() + 1), 0);
            }
            let n = loop {
                match self.conn.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
        }
    }
}

/// A raw data stream opened by [`Client::open_data`]. It borrows the client: no other command
/// can be sent until it is finished or dropped.
pub struct DataStream<'a> {
    client: &'a mut Client,
    conn: Option<DataConnection>,
}

impl DataStream<'_> {
    /// The size the server announced in its 150 reply, if any.
    pub fn expected_size(&self) -> Option<u64> {
        self.conn.as_ref().and_then(|c| c.expected_size)
    }

    /// Closes the data connection and reads the final reply (2xx, or an error). A download in
    /// TYPE I that read fewer bytes than the server announced is an error: stop early with
    /// [`DataStream::abort`].
    pub fn finish(mut self) -> Result<Reply> {
        let conn = self.conn.take().expect("stream is open until finished");
        self.client.end_transfer(conn)
    }

    /// Stops the transfer with ABOR, leaving the control connection usable.
    pub fn abort(mut self) -> Result<()> {
        let conn = self.conn.take().expect("stream is open until finished");
        self.client.abort_transfer(conn)
    }
}

impl Read for DataStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.conn.as_mut().expect("stream is open").read(buf)
    }
}

impl Write for DataStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.conn.as_mut().expect("stream is open").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.as_mut().expect("stream is open").flush()
    }
}

impl Drop for DataStream<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = self.client.abort_transfer(conn);
        }
    }
}
