//! A session's life: connecting (TLS from the first byte, or AUTH TLS), the greeting, login,
//! what the connection negotiated, and closing it.

use super::*;
use crate::trace::{TraceEvent, TraceKind};

impl Client {
    /// Connects with default options and reads the welcome message.
    pub fn connect(host: &str, port: u16) -> Result<Client> {
        Client::connect_with(host, port, Options::default())
    }

    /// Connects to `host` (a name, an IPv4 address, or an IPv6 address with or without
    /// brackets) and reads the welcome message.
    pub fn connect_with(host: &str, port: u16, options: Options) -> Result<Client> {
        let quirks = ServerQuirks::for_options(&options);
        Client::connect_as(host, port, options, quirks, Canceller::new())
    }

    /// Connects with what an earlier session learnt of the server.
    pub(crate) fn connect_as(
        host: &str,
        port: u16,
        options: Options,
        quirks: ServerQuirks,
        canceller: Canceller,
    ) -> Result<Client> {
        options.validate()?;
        let (control, tls) = Client::open_control(host, port, &options, &canceller)?;
        if let (Some(tls), true) = (&tls, quirks.no_upload_tickets) {
            tls.tickets.give_up();
        }
        let mut client = Client {
            control,
            host: host.to_string(),
            transfer_type: options.transfer_type,
            options,
            welcome: Reply::new(0, Vec::new()),
            last_reply: None,
            tls,
            state: Negotiated::default(),
            quirks,
            secrets: Vec::new(),
            cwd: CwdState::Initial,
            canceller,
        };
        client.greet()?;
        Ok(client)
    }

    /// A handle that stops this session's blocking calls from another thread (see
    /// [`Canceller`]); a cancelled session's connection is cut, so it cannot be used again.
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// What this session learnt of its server, for the next session to it.
    pub fn quirks(&self) -> ServerQuirks {
        ServerQuirks {
            no_upload_tickets: self.tls.as_ref().is_some_and(|t| t.tickets.gave_up()),
            ..self.quirks
        }
    }

    /// Opens the control connection (TLS from the first byte for implicit FTPS), with a fresh
    /// TLS context: a new connection never resumes another connection's sessions.
    pub(crate) fn open_control(
        host: &str,
        port: u16,
        options: &Options,
        canceller: &Canceller,
    ) -> Result<(ControlChannel, Option<TlsContext>)> {
        let tls = match options.tls.level {
            TlsLevel::None => None,
            _ => Some(TlsContext::new(&options.tls, host)?),
        };
        if options.tls.level == TlsLevel::All
            && options.tls.data_protection == DataProtection::Clear
        {
            return Err(Error::InvalidArgument(
                "TLS level All requires protected data connections, not PROT C".into(),
            ));
        }
        let mut control = match &options.proxy {
            Some(proxy) => {
                let host_for_proxy = host.trim_start_matches('[').trim_end_matches(']');
                let tcp = proxy.connect(
                    host_for_proxy,
                    port,
                    options.connect_timeout,
                    crate::error::TimeoutPhase::Connect,
                )?;
                ControlChannel::from_stream(tcp, options.reply_timeout, canceller)?
            }
            None => ControlChannel::connect(
                host,
                port,
                options.connect_timeout,
                options.reply_timeout,
                canceller,
            )?,
        };
        let trace = options.trace.as_ref();
        if crate::trace::wanted(trace, TraceKind::Connected) {
            let addr = control.peer_addr();
            let text = match &options.proxy {
                Some(proxy) => format!("{host}:{port} through {}", proxy.describe()),
                None => addr.to_string(),
            };
            let mut event = TraceEvent::new(TraceKind::Connected, false, &text);
            event.addr = Some(addr);
            crate::trace::emit(trace, &event);
        }
        if options.tls.level == TlsLevel::Implicit {
            let tls = tls.as_ref().expect("TLS context for implicit FTPS");
            control.start_tls(tls, options.connect_timeout)?;
            trace_control_handshake(trace, &control);
        }
        Ok((control, tls))
    }

    /// Connects to an `ftp://`, `ftps://` (implicit TLS) or `ftpes://` (explicit TLS) URL and
    /// logs in with its user and password (anonymously when it has no user). `password` is
    /// used when the URL names a user but no password, so secrets need not sit in URLs. The
    /// scheme's TLS level replaces `options.tls.level`. Returns the client and the URL's path.
    pub fn connect_url(
        url: &str,
        password: Option<&str>,
        mut options: Options,
    ) -> Result<(Client, Vec<u8>)> {
        let url = crate::url::FtpUrl::parse(url)?;
        options.tls.level = url.tls;
        let mut client = Client::connect_with(&url.host, url.port, options)?;
        let (user, password) = url.credentials(password);
        client.login(user, password)?;
        Ok((client, url.path))
    }

    /// Reads the welcome message and, for explicit FTPS, starts TLS.
    pub(crate) fn greet(&mut self) -> Result<()> {
        let client = self;
        // 120 ("service ready in nnn minutes") may come before the real greeting, but the
        // reply timeout bounds the wait for the greeting, not for each of them.
        let deadline = client.control.reply_deadline();
        let mut welcome = client.read_reply_by("connect: welcome", &deadline)?;
        while welcome.is_preliminary() {
            welcome = client.read_reply_by("connect: welcome", &deadline)?;
        }
        if !welcome.is_completion() {
            client.state.broken = Some("the server refused the connection".into());
            return Err(Error::from_reply("connect", welcome));
        }
        client.welcome = welcome;
        if matches!(
            client.options.tls.level,
            TlsLevel::Try | TlsLevel::Control | TlsLevel::All
        ) {
            client.auth_tls()?;
        }
        Ok(())
    }

    /// Explicit FTPS (RFC 4217): AUTH TLS, then the handshake on the control connection.
    pub(crate) fn auth_tls(&mut self) -> Result<()> {
        let command = Command::with_arg("AUTH", "TLS")?;
        let reply = self.exchange(&command)?;
        if reply.code() != 234 {
            if self.options.tls.level == TlsLevel::Try && !reply.is_preliminary() {
                // The caller accepted a plain session when the server offers no TLS.
                self.tls = None;
                return Ok(());
            }
            self.state.broken = Some("the server refused TLS".into());
            return Err(Error::from_reply(command.shown(), reply));
        }
        let tls = self.tls.clone().expect("TLS context for explicit FTPS");
        let result = self.control.start_tls(&tls, self.options.connect_timeout);
        self.poison_on(result)?;
        trace_control_handshake(self.options.trace.as_ref(), &self.control);
        Ok(())
    }

    /// Before a data transfer: TYPE as wanted.
    pub(crate) fn prepare_data_transfer(&mut self, transfer_type: TransferType) -> Result<()> {
        self.ensure_type(transfer_type)
    }

    /// Whether this session can no longer resume its TLS session on data connections: the
    /// server issues TLS 1.3 tickets (so resumption is how it works), requires them (data
    /// connections under PROT P with reuse on), and none is left. rustls uses each ticket
    /// once; ProFTPD issues none on upload connections, so a session's supply runs out and
    /// only a new session brings more (see `Agent::data_session`).
    pub fn tls_tickets_spent(&self) -> bool {
        let Some(tls) = self.tls.as_ref() else {
            return false;
        };
        tls.tickets.received() > 0
            && tls.tickets.stored() == 0
            && self.options.tls.data_protection == DataProtection::Private
            && self.options.tls.session_reuse
            && self.control.is_tls13()
    }

    /// Whether the control connection is protected by TLS.
    pub fn is_tls(&self) -> bool {
        self.control.is_tls()
    }

    /// Whether data connections are protected by TLS (PROT P), once the first transfer has
    /// negotiated it.
    pub fn is_data_protected(&self) -> bool {
        self.state.data_protected
    }

    /// Whether the last TLS data connection resumed the control connection's TLS session;
    /// `None` when no TLS data connection was made yet.
    pub fn last_data_tls_resumed(&self) -> Option<bool> {
        self.state.last_data_resumed
    }

    /// PBSZ 0 and PROT, once, before the first data connection of a TLS session.
    pub(crate) fn ensure_protection(&mut self) -> Result<()> {
        if self.state.protection_set || self.tls.is_none() || !self.control.is_tls() {
            return Ok(());
        }
        self.expect(&Command::with_arg("PBSZ", "0")?, |c| c / 100 == 2)?;
        let want_private = self.options.tls.data_protection == DataProtection::Private;
        let prot = Command::with_arg("PROT", if want_private { "P" } else { "C" })?;
        let reply = self.exchange(&prot)?;
        let must_protect = matches!(self.options.tls.level, TlsLevel::All | TlsLevel::Implicit);
        self.state.data_protected = if reply.is_completion() {
            want_private
        } else if want_private && !must_protect {
            // The control connection stays protected; data goes clear as the server insists.
            self.expect(&Command::with_arg("PROT", "C")?, |c| c / 100 == 2)?;
            false
        } else {
            return Err(Error::from_reply(prot.shown(), reply));
        };
        self.state.protection_set = true;
        Ok(())
    }

    /// Chooses PROT P or PROT C for the following data connections (ftplib's `prot_p` and
    /// `prot_c`), sent before the next transfer. Refused under TLS level `All` (which requires
    /// protected data) and on a session without TLS.
    pub fn set_data_protection(&mut self, protection: DataProtection) -> Result<()> {
        if self.tls.is_none() || !self.control.is_tls() {
            return Err(Error::InvalidState(
                "data protection needs a TLS session (PROT is an FTPS command)".into(),
            ));
        }
        if protection == DataProtection::Clear && self.options.tls.level == TlsLevel::All {
            return Err(Error::InvalidArgument(
                "TLS level All requires protected data connections, not PROT C".into(),
            ));
        }
        self.options.tls.data_protection = protection;
        self.state.protection_set = false;
        Ok(())
    }

    /// Passive or active mode (and its settings) for the following data connections
    /// (ftplib's `set_pasv`).
    pub fn set_data_mode(&mut self, mode: DataMode) -> Result<()> {
        if let DataMode::Active(active) = &mode {
            active.validate()?;
        }
        self.options.data_mode = mode;
        Ok(())
    }

    /// The server's welcome reply.
    pub fn welcome(&self) -> &Reply {
        &self.welcome
    }

    /// The most recent reply read on the control connection.
    pub fn last_reply(&self) -> Option<&Reply> {
        self.last_reply.as_ref()
    }

    /// The control connection's peer address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.control.peer_addr()
    }

    /// Sets (or with `None` removes) the protocol trace observer of this session (see
    /// [`Options::trace`]).
    pub fn set_trace(&mut self, trace: Option<crate::Trace>) {
        self.options.trace = trace;
    }

    /// The options this client was created with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Whether the control connection is still usable.
    pub fn is_usable(&self) -> bool {
        self.state.broken.is_none() && !self.state.quit_sent && !self.canceller.is_cancelled()
    }

    /// Logs in with USER and PASS, then reads FEAT and turns on UTF-8 where offered.
    pub fn login(&mut self, user: &str, password: &str) -> Result<Reply> {
        self.login_with_account(user, password, None)
    }

    /// Logs in as `anonymous`, as ftplib does without arguments.
    pub fn login_anonymous(&mut self) -> Result<Reply> {
        self.login("anonymous", "anonymous@")
    }

    /// Logs in, answering 332 with ACCT when the server asks for an account. The session
    /// keeps no credentials (only the secrets it masks in replies); the agent keeps them to
    /// log in again.
    pub fn login_with_account(
        &mut self,
        user: &str,
        password: &str,
        account: Option<&str>,
    ) -> Result<Reply> {
        // Render every command first, so an invalid password is refused before USER goes out.
        let user_cmd = Command::with_arg("USER", user)?;
        let pass_cmd = Command::with_arg("PASS", password)?;
        let acct_cmd = account.map(|a| Command::with_arg("ACCT", a)).transpose()?;
        let mut reply = self.exchange(&user_cmd)?;
        let mut last_cmd = &user_cmd;
        if reply.code() == 331 {
            reply = self.exchange(&pass_cmd)?;
            last_cmd = &pass_cmd;
        }
        if reply.code() == 332 {
            let Some(acct_cmd) = acct_cmd.as_ref() else {
                return Err(Error::from_reply(
                    &format!("{}: the server wants an account (ACCT)", last_cmd.shown()),
                    reply,
                ));
            };
            reply = self.exchange(acct_cmd)?;
            last_cmd = acct_cmd;
        }
        if !reply.is_completion() {
            return Err(Error::from_reply(last_cmd.shown(), reply));
        }
        self.after_login()?;
        // FEAT and OPTS are the library's own: the last reply stays the login's (230).
        self.last_reply = Some(reply.clone());
        Ok(reply)
    }

    pub(crate) fn after_login(&mut self) -> Result<()> {
        let features = self.features()?.clone();
        if self.options.utf8 && features.has("UTF8") {
            // A refusal is fine: the server then keeps its own encoding.
            self.exchange(&Command::with_arg("OPTS", "UTF8 ON")?)?;
        }
        if self.options.tls.clear_command_channel && self.control.is_tls() {
            self.ccc()?;
        }
        Ok(())
    }

    /// CCC: after login under TLS, returns the control connection to plain text (for
    /// firewalls that must read it) while data connections stay protected. PBSZ and PROT
    /// are negotiated first, as they must be sent under TLS.
    pub fn ccc(&mut self) -> Result<Reply> {
        if !self.control.is_tls() {
            return Err(Error::InvalidState(
                "CCC needs a TLS control connection".into(),
            ));
        }
        self.ensure_protection()?;
        let reply = self.expect(&Command::bare("CCC")?, |c| c / 100 == 2)?;
        let result = self.control.clear_tls(self.options.reply_timeout);
        self.poison_on(result)?;
        self.trace_note(TraceKind::CloseNotifySent, false, "", |_| {});
        self.trace_note(TraceKind::CloseNotifyReceived, false, "", |_| {});
        Ok(reply)
    }

    /// The features from FEAT, asked once per session. A server without FEAT gives an empty
    /// set.
    pub fn features(&mut self) -> Result<&Features> {
        if self.state.features.is_none() {
            let reply = self.exchange(&Command::bare("FEAT")?)?;
            let features = if reply.code() == 211 {
                Features::parse(&reply)
            } else {
                Features::default()
            };
            self.state.features = Some(features);
        }
        Ok(self
            .state
            .features
            .as_ref()
            .expect("features were just set"))
    }

    /// Sends QUIT, reads the answer and closes the connection.
    pub fn quit(mut self) -> Result<Reply> {
        let reply = self.expect_2xx(&Command::bare("QUIT")?);
        self.state.quit_sent = true;
        self.trace_control_close();
        self.control.shutdown();
        reply
    }
}

impl Client {
    /// Asks PWD when the working directory changed since it was last known, so a new session
    /// can go back to it.
    pub(crate) fn learn_cwd(&mut self) -> Result<()> {
        if self.cwd == CwdState::Changed && self.is_usable() {
            self.pwd()?;
        }
        Ok(())
    }

    /// Ends the session without sending or waiting for anything (no QUIT, no close_notify):
    /// for finalizers that must never block. The server sees the connection close.
    pub fn abandon(mut self) {
        self.state.quit_sent = true;
        self.state.broken = Some("abandoned".into());
        self.control.drop_now();
    }

    /// Ends the session without waiting: QUIT when it is still usable, then the connection
    /// is shut down. It cannot be used afterwards.
    pub(crate) fn close_quietly(&mut self) {
        if self.state.broken.is_none() && !self.state.quit_sent && !self.state.data_open {
            if let Ok(quit) = Command::bare("QUIT") {
                self.trace_command(&quit);
                self.control.send_quietly(&quit);
            }
        }
        if !self.state.quit_sent {
            self.trace_control_close();
        }
        self.state.quit_sent = true;
        self.control.shutdown();
    }
}

impl Client {
    /// Traces the close_notify that shutting down a TLS control connection sends.
    fn trace_control_close(&self) {
        if self.control.is_tls() {
            self.trace_note(TraceKind::CloseNotifySent, false, "", |_| {});
        }
    }
}

/// Traces the TLS handshake the control connection just finished.
fn trace_control_handshake(trace: Option<&crate::trace::Trace>, control: &ControlChannel) {
    if !crate::trace::wanted(trace, TraceKind::TlsHandshake) {
        return;
    }
    let Some((version, resumed)) = control.tls_info() else {
        return;
    };
    let text = handshake_text(version, resumed);
    let mut event = TraceEvent::new(TraceKind::TlsHandshake, false, &text);
    event.tls_version = version;
    event.tls_resumed = Some(resumed);
    crate::trace::emit(trace, &event);
}

/// `TLS 1.3, resumed` or `TLS 1.2, new session`.
pub(crate) fn handshake_text(version: Option<crate::options::TlsVersion>, resumed: bool) -> String {
    let how = if resumed { "resumed" } else { "new session" };
    format!("{}, {how}", crate::trace::version_text(version))
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close_quietly();
    }
}
