//! Opening and closing data connections: PASV/EPSV/PORT/EPRT, REST, the preliminary reply,
//! the final reply, ABOR, and keepalive NOOPs during long transfers.

use std::net::{IpAddr, SocketAddr};

use crate::client::Client;
use crate::connection::data::{self, ActiveListener, DataSocket};
use crate::error::{Error, Result};
use crate::options::{DataMode, PassiveMode, TransferType};
use crate::protocol::address::{eprt_argument, parse_epsv, parse_pasv, port_argument};
use crate::protocol::text::parse_announced_size;
use crate::protocol::{Command, Reply};

use super::*;
use crate::trace::TraceKind;

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
        if offset > 0 || self.state.raw_rest_pending {
            self.expect(&Command::with_arg("REST", offset.to_string())?, |c| {
                c == 350
            })?;
            self.state.raw_rest_pending = false;
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
                        let stream = listener
                            .accept(
                                expected_peer,
                                self.options.accept_timeout,
                                &context,
                                &self.canceller,
                            )
                            .inspect_err(|_| {
                                self.mark_broken(format!("{context}: no data connection"))
                            })?;
                        if let Ok(from) = stream.peer_addr() {
                            self.trace_note(
                                TraceKind::DataAccepted,
                                true,
                                &from.to_string(),
                                |e| e.addr = Some(from),
                            );
                        }
                        stream
                    }
                    PendingData::ProxyBound(bind) => {
                        let (stream, from) =
                            bind.accept(self.options.accept_timeout).inspect_err(|_| {
                                self.mark_broken(format!("{context}: no data connection"))
                            })?;
                        if self.tracing(TraceKind::DataAccepted) {
                            let proxy = self.options.proxy.as_ref().map(|p| p.describe());
                            let text = format!("{from} through {}", proxy.unwrap_or_default());
                            self.trace_note(TraceKind::DataAccepted, true, &text, |e| {
                                e.addr = Some(from)
                            });
                        }
                        stream
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
                    PendingData::Listening(_) | PendingData::ProxyBound(_) => DataSocket::none(),
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
        conn.limits = Limits::of(&self.options, &self.canceller);
        conn.tls_resumed = conn.socket.resumed();
        if let Some(resumed) = conn.tls_resumed {
            self.state.last_data_resumed = conn.tls_resumed;
            let version = conn.socket.tls_version();
            let text = crate::client::handshake_text(version, resumed);
            self.trace_note(TraceKind::TlsHandshake, true, &text, |e| {
                e.tls_version = version;
                e.tls_resumed = Some(resumed);
            });
        }
        Ok(conn)
    }

    /// The reply as an error; when the data connection's TLS session was not resumed and the
    /// server refused the transfer the way servers that require reuse do, the message says so.
    pub(crate) fn transfer_reply_error(conn: &DataConnection, reply: Reply) -> Error {
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

    pub(crate) fn prepare_data(&mut self, context: &str) -> Result<PendingData> {
        match self.options.data_mode.clone() {
            DataMode::Passive(_) => {
                let addr = self.passive_address()?;
                if let Some(proxy) = self.options.proxy.clone() {
                    return self.connect_data_through(&proxy, addr, context);
                }
                let stream = data::connect(
                    addr,
                    self.options.data_connect_timeout,
                    context,
                    &self.canceller,
                )?;
                self.trace_note(TraceKind::DataConnected, true, &addr.to_string(), |e| {
                    e.addr = Some(addr)
                });
                Ok(PendingData::Connected(stream))
            }
            DataMode::Active(active) if self.options.proxy.is_some() => {
                let proxy = self.options.proxy.clone().expect("a proxy");
                let bind = proxy.bind(
                    self.host.trim_start_matches('[').trim_end_matches(']'),
                    self.options.data_connect_timeout,
                    crate::error::TimeoutPhase::DataConnect,
                )?;
                // Where the proxy listens; a proxy that does not say is reached at its address.
                let addr = if bind.addr.ip().is_unspecified() {
                    SocketAddr::new(self.control.peer_addr().ip(), bind.addr.port())
                } else {
                    bind.addr
                };
                self.announce_active(addr, active.use_eprt)?;
                Ok(PendingData::ProxyBound(bind))
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
                self.announce_active(addr, active.use_eprt)?;
                Ok(PendingData::Listening(listener))
            }
        }
    }

    /// Tells the server where to connect: EPRT (when asked for, or for IPv6), falling back to
    /// PORT when the server refuses EPRT for good (remembered).
    fn announce_active(&mut self, addr: SocketAddr, use_eprt: bool) -> Result<()> {
        let port = port_argument(addr);
        let try_eprt = use_eprt && !self.quirks.eprt_refused || port.is_none();
        if try_eprt {
            let eprt = Command::with_arg("EPRT", eprt_argument(addr))?;
            let reply = self.exchange(&eprt)?;
            match (reply.code() / 100, port.as_ref()) {
                (2, _) => return Ok(()),
                // Refused for good (500/502 not implemented): PORT, as EPSV falls
                // back to PASV, and remembered. An IPv6 address has no PORT form.
                (5, Some(_)) => self.quirks.eprt_refused = true,
                _ => return Err(Error::from_reply(eprt.shown(), reply)),
            }
        }
        let arg = port.expect("an IPv4 address when PORT is used");
        self.expect(&Command::with_arg("PORT", arg)?, |c| c / 100 == 2)?;
        Ok(())
    }

    /// A passive data connection through the session's proxy: to the host the control
    /// connection went to (the address `addr` names only the proxy's side), or to the address
    /// the server announced when the caller trusts it.
    fn connect_data_through(
        &mut self,
        proxy: &crate::connection::proxy::Proxy,
        addr: SocketAddr,
        context: &str,
    ) -> Result<PendingData> {
        let target =
            if self.options.trust_pasv_address && addr.ip() != self.control.peer_addr().ip() {
                addr.ip().to_string()
            } else {
                self.host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            };
        let stream = proxy
            .connect(
                &target,
                addr.port(),
                self.options.data_connect_timeout,
                crate::error::TimeoutPhase::DataConnect,
            )
            .map_err(|e| match e {
                Error::Io { context: c, source } => Error::Io {
                    context: format!("{context}: data connection: {c}"),
                    source,
                },
                other => other,
            })?;
        if self.tracing(TraceKind::DataConnected) {
            let text = format!("{target}:{} through {}", addr.port(), proxy.describe());
            self.trace_note(TraceKind::DataConnected, true, &text, |_| {});
        }
        Ok(PendingData::Connected(stream))
    }

    /// Asks for a passive port: EPSV first, PASV when EPSV is refused (in `Auto` mode, and the
    /// choice is remembered).
    pub(crate) fn passive_address(&mut self) -> Result<SocketAddr> {
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
        let (was_open, was_tls) = (conn.socket.is_open(), conn.socket.is_tls());
        let closed = conn.socket.close(await_peer);
        if was_open {
            if conn.close_notify_received {
                self.trace_note(TraceKind::CloseNotifyReceived, true, "", |_| {});
            }
            if was_tls && closed.is_ok() {
                self.trace_note(TraceKind::CloseNotifySent, true, "", |_| {});
            }
            if conn.socket.peer_close_notify {
                self.trace_note(TraceKind::CloseNotifyReceived, true, "", |_| {});
            }
            self.trace_data_closed(&conn, "closed");
        }
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
        self.discard_data(&mut conn);
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
    pub(crate) fn read_final_reply(&mut self, context: &str) -> Result<Reply> {
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

    pub(crate) fn drain_keepalive_replies(&mut self) -> Result<()> {
        while self.state.pending_noops > 0 {
            let reply = self.read_reply("NOOP (keepalive)")?;
            self.note_keepalive_reply(&reply);
        }
        Ok(())
    }

    /// Counts one keepalive answer; a refusal stops keepalives for the rest of the session.
    pub(crate) fn note_keepalive_reply(&mut self, reply: &Reply) {
        self.state.pending_noops -= 1;
        if !reply.is_completion() {
            self.state.keepalive_refused = true;
        }
    }

    /// Sends a keepalive NOOP when the interval has passed since the last one. Answers that
    /// have arrived are read first (without waiting), so a refusal stops keepalives at once;
    /// a transfer's final reply that arrives early is kept on `conn` for `end_transfer`.
    pub(crate) fn keepalive_tick(
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
            self.trace_reply(&reply);
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
        self.discard_data(&mut conn);
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

    /// Drops a data connection early (ABOR, a failure), and traces it.
    fn discard_data(&mut self, conn: &mut DataConnection) {
        let was_open = conn.socket.is_open();
        conn.socket.discard(conn.sending);
        if was_open {
            self.trace_data_closed(conn, "aborted");
        }
    }

    /// Traces a data connection's totals and its close.
    fn trace_data_closed(&self, conn: &DataConnection, how: &str) {
        self.trace_note(TraceKind::DataBytes, true, "", |e| {
            e.bytes_sent = conn.sent;
            e.bytes_received = conn.received;
        });
        self.trace_note(TraceKind::DataClosed, true, how, |_| {});
    }
}
