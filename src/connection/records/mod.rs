//! TLS on data connections, record by record.
//!
//! rustls runs the handshake (its unbuffered API, so that every byte the server sent past the
//! handshake stays in our buffer) and keeps the session's state afterwards (tickets, key
//! updates: [`rustls::kernel::KernelConnection`]); the records of the transfer itself are ours,
//! sealed and opened by the cipher suite's own rustls encrypter and decrypter. A received record
//! is decrypted in place in the receive buffer and its plaintext handed out as a borrowed slice,
//! so a download's bytes are not copied between the socket and the caller's sink. The buffered
//! rustls stream copied every decrypted record into a vector of its own and then into ours:
//! perf put 43 % of a TLS download's client samples in that first copy (BENCHMARKS.md).
//!
//! A limit rustls leaves us: should the handshake's last read end with part of a
//! post-handshake handshake message split over records (a session ticket longer than a
//! record, in the same read as the server's Finished), rustls has decrypted that part in
//! place and does not say so at the hand-over, and the next record fails to open (an error,
//! never wrong data). No server seen does this.
//!
//! The control connection keeps rustls' buffered stream: it carries a few lines per command,
//! where the copies cost nothing and rustls' own reading of alerts and tickets is simpler.

use std::io::{self, IoSliceMut, Read, Write};
use std::net::TcpStream;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::{ClientConnectionData, UnbufferedClientConnection};
use rustls::crypto::cipher::{InboundOpaqueMessage, MessageDecrypter};
use rustls::kernel::KernelConnection;
use rustls::unbuffered::{ConnectionState, EncodeError, EncodeTlsData, UnbufferedStatus};
use rustls::{
    AlertDescription, ConnectionTrafficSecrets, ContentType, HandshakeKind, ProtocolVersion,
    SupportedCipherSuite,
};

use super::cancel::Canceller;
use super::is_timeout;
use super::socket::Socket;
use super::stream::{handshake_io_error, handshake_socket, tls_failure};
use super::tls::{rustls_error, TicketCounter, TlsContext};
use crate::error::{Error, Result};

mod seal;

use seal::{Sealer, HEADER_LEN};

/// The most plaintext one record carries (RFC 8446 5.1, RFC 5246 6.2.1).
const MAX_PLAINTEXT: usize = 16 * 1024;
/// The longest record body a peer may send: TLS 1.2 allows 2048 bytes of expansion.
const MAX_RECORD_BODY: usize = MAX_PLAINTEXT + 2048;
/// The receive buffer: several records per read, small enough to stay in the CPU's cache
/// (larger read buffers made downloads slower here: BENCHMARKS.md, "Block size").
const RECEIVE_BUFFER: usize = 128 * 1024;
/// Records sealed before they are written with one system call.
pub(crate) const RECORDS_PER_WRITE: usize = 4;
/// A post-handshake handshake message (a session ticket) longer than this is refused.
const MAX_HANDSHAKE_MESSAGE: usize = 64 * 1024;

// Handshake message types seen after the handshake (RFC 8446 4, RFC 5246 7.4).
const HELLO_REQUEST: u8 = 0;
const NEW_SESSION_TICKET: u8 = 4;
const KEY_UPDATE: u8 = 24;

/// What opening one record gave.
enum Opened {
    /// Application data: its plaintext's range in the receive buffer.
    Data(Range<usize>),
    /// A record for the session (a ticket, a key update, a warning) or an empty one.
    Other,
    /// close_notify.
    Closed,
}

/// A TLS data connection after its handshake.
pub(crate) struct RecordStream {
    sock: Socket,
    session: KernelConnection<ClientConnectionData>,
    suite: SupportedCipherSuite,
    version: ProtocolVersion,
    resumed: bool,
    decrypter: Box<dyn MessageDecrypter>,
    sealer: Sealer,
    read_seq: u64,
    write_seq: u64,
    /// Records being sealed: `RECORDS_PER_WRITE` slots of `slot_len()` bytes, whose
    /// plaintext is written in place (see `send_buffers`).
    outgoing: Vec<u8>,
    /// Received bytes: records not yet opened are `incoming[start..end]`.
    incoming: Vec<u8>,
    start: usize,
    end: usize,
    /// Plaintext of the last record opened and not yet read (a range of `incoming`).
    plaintext: Range<usize>,
    /// Application data rustls decrypted during the handshake (rare: the server spoke first).
    early: Vec<u8>,
    /// A handshake message split across records, kept until it is whole.
    handshake_message: Vec<u8>,
    peer_closed: bool,
    /// Our close_notify went out: nothing more may be sent (a key update is not answered).
    sent_close_notify: bool,
    /// The first TLS failure: a connection that failed stays failed (a bad record ends it).
    failure: Option<rustls::Error>,
    tickets: Arc<TicketCounter>,
    tickets_before: u64,
}

impl RecordStream {
    /// Runs the client handshake on `tcp` within `timeout`.
    pub(crate) fn handshake(
        tcp: TcpStream,
        tls: &TlsContext,
        timeout: Option<Duration>,
        context: &str,
        canceller: &Canceller,
    ) -> Result<RecordStream> {
        let mut conn = UnbufferedClientConnection::new(tls.config.clone(), tls.server_name.clone())
            .map_err(|e| tls_failure(context, &e))?;
        let (mut sock, deadline) = handshake_socket(tcp, timeout, context, canceller)?;
        let io_failure = |e: io::Error| handshake_io_error(&deadline, context, e);
        let tickets_before = tls.tickets.received();
        let mut incoming = vec![0u8; RECEIVE_BUFFER];
        let mut filled = 0;
        let mut outgoing = Vec::new();
        let mut early = Vec::new();
        // close_notify can come in the handshake's last read, after the data (a short file,
        // an empty listing): the stream then ends after `early`.
        let mut peer_closed = false;
        loop {
            let UnbufferedStatus { mut discard, state } =
                conn.process_tls_records(&mut incoming[..filled]);
            let mut established = false;
            match state.map_err(|e| tls_failure(context, &e))? {
                ConnectionState::EncodeTlsData(mut state) => encode(&mut state, &mut outgoing)
                    .map_err(|e| Error::Tls {
                        context: context.to_string(),
                        detail: e.to_string(),
                    })?,
                ConnectionState::TransmitTlsData(state) => {
                    sock.write_all(&outgoing).map_err(io_failure)?;
                    outgoing.clear();
                    state.done();
                }
                ConnectionState::BlockedHandshake => {
                    if filled == incoming.len() {
                        return Err(Error::Tls {
                            context: context.to_string(),
                            detail: "handshake failure: a handshake record does not fit in \
                                     the receive buffer"
                                .into(),
                        });
                    }
                    match sock.read(&mut incoming[filled..]) {
                        Ok(0) => {
                            return Err(Error::Tls {
                                context: context.to_string(),
                                detail: "handshake failure: the server closed the connection"
                                    .into(),
                            })
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(io_failure(e)),
                    }
                }
                ConnectionState::ReadTraffic(mut state) => {
                    while let Some(record) = state.next_record() {
                        let record = record.map_err(|e| tls_failure(context, &e))?;
                        discard += record.discard;
                        early.extend_from_slice(record.payload);
                    }
                }
                ConnectionState::WriteTraffic(_) => established = true,
                ConnectionState::PeerClosed => peer_closed = true,
                _ => {
                    return Err(Error::Tls {
                        context: context.to_string(),
                        detail: "handshake failure: the server closed the TLS session".into(),
                    })
                }
            }
            if discard > 0 {
                incoming.copy_within(discard..filled, 0);
                filled -= discard;
            }
            if established {
                break;
            }
        }
        sock.set_deadline(None);
        let resumed = conn.handshake_kind() == Some(HandshakeKind::Resumed);
        let (secrets, session) = conn
            .dangerous_into_kernel_connection()
            .map_err(|e| tls_failure(context, &e))?;
        let suite = session.negotiated_cipher_suite();
        let version = session.protocol_version();
        let (read_seq, read_secrets) = secrets.rx;
        let (write_seq, write_secrets) = secrets.tx;
        Ok(RecordStream {
            sock,
            decrypter: decrypter(suite, read_secrets).map_err(|e| tls_failure(context, &e))?,
            sealer: Sealer::new(suite, write_secrets).map_err(|e| tls_failure(context, &e))?,
            outgoing: Vec::new(),
            session,
            suite,
            version,
            resumed,
            read_seq,
            write_seq,
            incoming,
            start: 0,
            end: filled,
            plaintext: 0..0,
            early,
            handshake_message: Vec::new(),
            peer_closed,
            sent_close_notify: false,
            failure: None,
            tickets: tls.tickets.clone(),
            tickets_before,
        })
    }

    pub(crate) fn socket(&mut self) -> &mut Socket {
        &mut self.sock
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        self.sock.tcp()
    }

    pub(crate) fn version(&self) -> ProtocolVersion {
        self.version
    }

    pub(crate) fn resumed(&self) -> bool {
        self.resumed
    }

    /// The next received plaintext (at most `max` bytes of one record), borrowed from the
    /// receive buffer until the next call; empty at the end of the stream (close_notify). A
    /// stream cut without close_notify is an `UnexpectedEof` error.
    pub(crate) fn next_plaintext(&mut self, max: usize) -> io::Result<&[u8]> {
        if !self.early.is_empty() {
            self.incoming_take_early();
        }
        if self.plaintext.is_empty() {
            match self.open_next()? {
                Some(range) => self.plaintext = range,
                None => return Ok(&[]),
            }
        }
        let from = self.plaintext.start;
        let to = self.plaintext.end.min(from.saturating_add(max.max(1)));
        self.plaintext.start = to;
        Ok(&self.incoming[from..to])
    }

    /// Moves plaintext decrypted during the handshake into the receive buffer's plaintext
    /// slot. The buffer holds at most a partial record then, so there is room before it.
    fn incoming_take_early(&mut self) {
        let early = std::mem::take(&mut self.early);
        if early.len() + self.end > self.incoming.len() {
            self.incoming.resize(early.len() + self.end, 0);
        }
        // Put the early bytes in front of the unopened records.
        self.incoming.copy_within(self.start..self.end, early.len());
        self.end = early.len() + (self.end - self.start);
        self.start = early.len();
        self.incoming[..early.len()].copy_from_slice(&early);
        self.plaintext = 0..early.len();
    }

    /// Opens records until one carries application data; `None` after close_notify.
    fn open_next(&mut self) -> io::Result<Option<Range<usize>>> {
        loop {
            match self.open_record()? {
                Opened::Data(range) => return Ok(Some(range)),
                Opened::Closed => return Ok(None),
                Opened::Other => {}
            }
        }
    }

    /// Opens the next record, reading from the socket until one is whole.
    fn open_record(&mut self) -> io::Result<Opened> {
        if let Some(failure) = &self.failure {
            return Err(tls_error(failure.clone()));
        }
        loop {
            if self.peer_closed {
                return Ok(Opened::Closed);
            }
            let available = self.end - self.start;
            if available >= HEADER_LEN {
                let header = &self.incoming[self.start..self.start + HEADER_LEN];
                let typ = ContentType::from(header[0]);
                let version = ProtocolVersion::from(u16::from_be_bytes([header[1], header[2]]));
                let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
                if len > MAX_RECORD_BODY {
                    self.failure = Some(rustls::Error::PeerSentOversizedRecord);
                    return Err(tls_error(rustls::Error::PeerSentOversizedRecord));
                }
                if available >= HEADER_LEN + len {
                    let body = self.start + HEADER_LEN..self.start + HEADER_LEN + len;
                    self.start = body.end;
                    let opened = self.open(typ, version, body);
                    if let Err(e) = &opened {
                        self.failure = rustls_error(e).cloned();
                    }
                    return opened;
                }
                self.make_room(HEADER_LEN + len);
            } else {
                self.make_room(HEADER_LEN + MAX_RECORD_BODY);
            }
            let n = loop {
                match self.sock.read(&mut self.incoming[self.end..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                // The TCP stream ended without close_notify: maybe truncated (the data
                // connection decides whether the transfer is complete nonetheless).
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without sending TLS close_notify",
                ));
            }
            self.end += n;
        }
    }

    /// Moves the unopened bytes to the front when fewer than `needed` bytes fit after them.
    fn make_room(&mut self, needed: usize) {
        if self.incoming.len() - self.start < needed || self.start == self.end {
            self.incoming.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Opens one record in place; returns its plaintext's range when it is application data.
    fn open(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        body: Range<usize>,
    ) -> io::Result<Opened> {
        if self.version == ProtocolVersion::TLSv1_3 && typ != ContentType::ApplicationData {
            return Err(tls_error(rustls::Error::General(format!(
                "the server sent an unprotected {typ:?} record after the handshake"
            ))));
        }
        let base = self.incoming.as_ptr() as usize;
        let message = InboundOpaqueMessage::new(typ, version, &mut self.incoming[body]);
        let plain = self
            .decrypter
            .decrypt(message, self.read_seq)
            .map_err(tls_error)?;
        self.read_seq = self
            .read_seq
            .checked_add(1)
            .ok_or_else(sequence_exhausted)?;
        let typ = plain.typ;
        let offset = plain.payload.as_ptr() as usize - base;
        let range = offset..offset + plain.payload.len();
        if typ != ContentType::Handshake && !self.handshake_message.is_empty() {
            // RFC 8446 5.1: a handshake message's fragments are not interleaved with others.
            return Err(tls_error(rustls::Error::General(
                "the server interleaved a record with a split handshake message".into(),
            )));
        }
        match typ {
            ContentType::ApplicationData if range.is_empty() => Ok(Opened::Other),
            ContentType::ApplicationData => Ok(Opened::Data(range)),
            ContentType::Alert => {
                self.alert(range)?;
                Ok(if self.peer_closed {
                    Opened::Closed
                } else {
                    Opened::Other
                })
            }
            ContentType::Handshake => {
                self.handshake_message
                    .extend_from_slice(&self.incoming[range]);
                self.handshake_messages()?;
                Ok(Opened::Other)
            }
            other => Err(tls_error(rustls::Error::General(format!(
                "the server sent an unexpected {other:?} record after the handshake"
            )))),
        }
    }

    fn alert(&mut self, range: Range<usize>) -> io::Result<()> {
        let &[level, description] = &self.incoming[range] else {
            return Err(tls_error(rustls::Error::General(
                "the server sent a malformed TLS alert".into(),
            )));
        };
        let description = AlertDescription::from(description);
        if description == AlertDescription::CloseNotify {
            self.peer_closed = true;
            return Ok(());
        }
        // TLS 1.2 warnings are informational (rustls ignores them too); so is TLS 1.3's
        // user_canceled, which a close_notify follows.
        let warning = level == 1;
        if (warning && self.version != ProtocolVersion::TLSv1_3)
            || description == AlertDescription::UserCanceled
        {
            return Ok(());
        }
        Err(tls_error(rustls::Error::AlertReceived(description)))
    }

    /// Handles the whole handshake messages received: session tickets (for later
    /// connections to resume) and key updates.
    fn handshake_messages(&mut self) -> io::Result<()> {
        loop {
            let buffered = &self.handshake_message;
            if buffered.len() < 4 {
                break;
            }
            let len = u32::from_be_bytes([0, buffered[1], buffered[2], buffered[3]]) as usize;
            if len > MAX_HANDSHAKE_MESSAGE {
                return Err(tls_error(rustls::Error::General(
                    "the server sent an oversized handshake message after the handshake".into(),
                )));
            }
            if buffered.len() < 4 + len {
                break;
            }
            let message: Vec<u8> = self.handshake_message.drain(..4 + len).collect();
            let body = &message[4..];
            match message[0] {
                NEW_SESSION_TICKET if self.version == ProtocolVersion::TLSv1_3 => self
                    .session
                    .handle_new_session_ticket(body)
                    .map_err(tls_error)?,
                KEY_UPDATE if self.version == ProtocolVersion::TLSv1_3 => {
                    let update_requested = match body {
                        [0] => false,
                        [1] => true,
                        _ => {
                            return Err(tls_error(rustls::Error::General(
                                "the server sent a malformed key update".into(),
                            )))
                        }
                    };
                    if !self.handshake_message.is_empty() {
                        // RFC 8446 5.1: a key update ends its record (what follows was sealed
                        // with the old key).
                        return Err(tls_error(rustls::Error::General(
                            "the server sent more after a key update in the same record".into(),
                        )));
                    }
                    let (seq, secrets) = self.session.update_rx_secret().map_err(tls_error)?;
                    self.decrypter = decrypter(self.suite, secrets).map_err(tls_error)?;
                    self.read_seq = seq;
                    if update_requested && !self.sent_close_notify {
                        self.update_write_key()?;
                    }
                }
                // A TLS 1.2 server asking to renegotiate: declined by not answering, as
                // rustls does.
                HELLO_REQUEST if self.version == ProtocolVersion::TLSv1_2 => {}
                other => {
                    return Err(tls_error(rustls::Error::General(format!(
                        "the server sent handshake message {other} after the handshake"
                    ))))
                }
            }
        }
        Ok(())
    }

    /// Sends a TLS 1.3 key update (not asking for one back) and seals what follows with the
    /// next key.
    fn update_write_key(&mut self) -> io::Result<()> {
        // The old key's last record (`next_write_seq` keeps a number for it).
        let seq = self.write_seq;
        self.write_seq += 1;
        self.send_message(ContentType::Handshake, &[KEY_UPDATE, 0, 0, 1, 0], seq)?;
        let (seq, secrets) = self.session.update_tx_secret().map_err(tls_error)?;
        self.sealer = Sealer::new(self.suite, secrets).map_err(tls_error)?;
        self.write_seq = seq;
        Ok(())
    }

    /// Seals and sends one short record of its own (an alert, a key update).
    fn send_message(&mut self, typ: ContentType, message: &[u8], seq: u64) -> io::Result<()> {
        let offset = self.sealer.payload_offset();
        let mut record = vec![0u8; message.len() + self.sealer.overhead()];
        record[offset..offset + message.len()].copy_from_slice(message);
        let len = self
            .sealer
            .seal(&mut record, typ, message.len(), seq)
            .map_err(tls_error)?;
        self.sock.write_all(&record[..len])
    }

    /// The sequence number of the next record, `count` records about to be sealed. Under TLS
    /// 1.3 the write key is renewed before its confidentiality limit (RFC 8446 5.5); a TLS 1.2
    /// connection ends there.
    fn next_write_seq(&mut self, count: u64) -> io::Result<u64> {
        let limit = match self.suite {
            SupportedCipherSuite::Tls12(suite) => suite.common.confidentiality_limit,
            SupportedCipherSuite::Tls13(suite) => suite.common.confidentiality_limit,
        };
        // Room for the records and for a key update record after them.
        if self.write_seq.saturating_add(count + 1) >= limit {
            if self.version != ProtocolVersion::TLSv1_3 {
                return Err(sequence_exhausted());
            }
            self.update_write_key()?;
        }
        let seq = self.write_seq;
        self.write_seq += count;
        Ok(seq)
    }

    /// The length of one record's slot in `outgoing`.
    fn slot_len(&self) -> usize {
        MAX_PLAINTEXT + self.sealer.overhead()
    }

    /// The places where the plaintext of the next records goes, `max` bytes at most: fill them
    /// in order (a short
    /// fill leaves the rest empty, as `read_vectored` does), then call [`Self::send_filled`].
    /// An upload reads its source straight into them, so the bytes are sealed where they
    /// were read.
    pub(crate) fn send_buffers(&mut self, max: usize) -> [IoSliceMut<'_>; RECORDS_PER_WRITE] {
        let slot = self.slot_len();
        let offset = self.sealer.payload_offset();
        self.outgoing.resize(slot * RECORDS_PER_WRITE, 0);
        // At most `max` bytes in all (the session's block size), so a source is read in the
        // blocks it was asked for.
        let mut left = max;
        let mut slots = self.outgoing.chunks_mut(slot).map(|s| {
            let len = left.min(MAX_PLAINTEXT);
            left -= len;
            IoSliceMut::new(&mut s[offset..offset + len])
        });
        std::array::from_fn(|_| slots.next().unwrap_or_else(|| IoSliceMut::new(&mut [])))
    }

    /// Seals the first `filled` bytes put in [`Self::send_buffers`] and sends them.
    pub(crate) fn send_filled(&mut self, filled: usize) -> io::Result<()> {
        if filled == 0 {
            return Ok(());
        }
        let slot = self.slot_len();
        let records = filled.div_ceil(MAX_PLAINTEXT);
        if records > RECORDS_PER_WRITE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "more bytes reported read than the send buffers hold",
            ));
        }
        let first_seq = self.next_write_seq(records as u64)?;
        let mut end = 0;
        for (i, record) in self.outgoing.chunks_mut(slot).take(records).enumerate() {
            let len = (filled - i * MAX_PLAINTEXT).min(MAX_PLAINTEXT);
            let seq = first_seq + i as u64;
            end = i * slot
                + self
                    .sealer
                    .seal(record, ContentType::ApplicationData, len, seq)
                    .map_err(tls_error)?;
        }
        // Every record but the last fills its slot, so the records lie end to end.
        self.sock.write_all(&self.outgoing[..end])
    }

    /// Sends close_notify.
    pub(crate) fn send_close_notify(&mut self) -> io::Result<()> {
        self.sent_close_notify = true;
        let seq = self.next_write_seq(1)?;
        self.send_message(ContentType::Alert, &[1, 0], seq)
    }

    /// Under TLS 1.3, waits (at most `limit`) until this connection has delivered a session
    /// ticket (see `NetStream::await_session_ticket`). Application data that arrives meanwhile
    /// is kept for the reader.
    pub(crate) fn await_session_ticket(&mut self, limit: Duration) {
        if self.version != ProtocolVersion::TLSv1_3 || !self.tickets.worth_waiting() {
            return;
        }
        self.sock.set_limit(Some(limit));
        // Application data (kept for the reader) ends the wait: the server is past its
        // handshake.
        while self.tickets.received() == self.tickets_before
            && self.plaintext.is_empty()
            && self.early.is_empty()
        {
            match self.open_record() {
                Err(e) if is_timeout(&e) => {
                    // None came in time: this server issues none here; stop waiting for them.
                    self.tickets.give_up();
                    return;
                }
                Ok(Opened::Data(range)) => self.plaintext = range,
                Ok(Opened::Other) => {}
                Ok(Opened::Closed) | Err(_) => return,
            }
        }
    }
}

impl Read for RecordStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if !self.early.is_empty() {
            self.incoming_take_early();
        }
        if self.plaintext.is_empty() {
            match self.open_next()? {
                Some(range) => self.plaintext = range,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.plaintext.len());
        let from = self.plaintext.start;
        buf[..n].copy_from_slice(&self.incoming[from..from + n]);
        self.plaintext.start += n;
        Ok(n)
    }
}

impl Write for RecordStream {
    /// Seals all of `buf` (a few records per system call) and sends it.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for batch in buf.chunks(MAX_PLAINTEXT * RECORDS_PER_WRITE) {
            let mut slots = self.send_buffers(batch.len());
            for (slot, chunk) in slots.iter_mut().zip(batch.chunks(MAX_PLAINTEXT)) {
                slot[..chunk.len()].copy_from_slice(chunk);
            }
            self.send_filled(batch.len())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Encodes a handshake record at the end of `outgoing`.
fn encode(
    state: &mut EncodeTlsData<'_, ClientConnectionData>,
    outgoing: &mut Vec<u8>,
) -> std::result::Result<(), EncodeError> {
    let start = outgoing.len();
    outgoing.resize(start + 4096, 0);
    let written = match state.encode(&mut outgoing[start..]) {
        Ok(n) => n,
        Err(EncodeError::InsufficientSize(needed)) => {
            outgoing.resize(start + needed.required_size, 0);
            state.encode(&mut outgoing[start..])?
        }
        Err(e) => return Err(e),
    };
    outgoing.truncate(start + written);
    Ok(())
}

fn decrypter(
    suite: SupportedCipherSuite,
    secrets: ConnectionTrafficSecrets,
) -> std::result::Result<Box<dyn MessageDecrypter>, rustls::Error> {
    let (key, iv) = key_and_iv(secrets)?;
    Ok(match suite {
        SupportedCipherSuite::Tls13(suite) => suite.aead_alg.decrypter(key, iv),
        SupportedCipherSuite::Tls12(suite) => {
            let fixed = suite.aead_alg.key_block_shape().fixed_iv_len;
            suite.aead_alg.decrypter(key, &iv.as_ref()[..fixed])
        }
    })
}

fn key_and_iv(
    secrets: ConnectionTrafficSecrets,
) -> std::result::Result<(rustls::crypto::cipher::AeadKey, rustls::crypto::cipher::Iv), rustls::Error>
{
    match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        | ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => Ok((key, iv)),
        _ => Err(rustls::Error::General(
            "the negotiated cipher suite cannot be used on data connections".into(),
        )),
    }
}

/// A rustls error inside an `io::Error`, as rustls' own streams report them (see
/// [`super::tls::rustls_error`]).
fn tls_error(err: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

fn sequence_exhausted() -> io::Error {
    tls_error(rustls::Error::EncryptError)
}
