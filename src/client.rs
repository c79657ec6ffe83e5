//! The blocking client: connection, login, and the file and directory commands. Transfers
//! are in `transfer.rs`, listings in `dirlist.rs`.

use std::io;
use std::net::SocketAddr;

use crate::connection::cancel::Canceller;
use crate::connection::control::ControlChannel;
use crate::connection::tls::TlsContext;
use crate::error::{Error, Result};
use crate::options::{DataProtection, Options, PassiveMode, TlsLevel, TransferType};
use crate::protocol::text::{parse_mkd_path, parse_quoted_path};
use crate::protocol::{Command, Features, Reply, Timestamp};

/// A connection to one FTP server. Not thread-safe by design: one client per thread, or a
/// lock around it. Dropping it sends QUIT without waiting for the answer; call
/// [`Client::quit`] to wait.
pub struct Client {
    pub(crate) control: ControlChannel,
    pub(crate) options: Options,
    welcome: Reply,
    last_reply: Option<Reply>,
    /// The type the caller chose for transfers (TYPE is sent lazily, when it changes).
    pub(crate) transfer_type: TransferType,
    /// The TLS configuration of this session (its own session store), when TLS is in use.
    pub(crate) tls: Option<TlsContext>,
    /// What this control connection has negotiated; a new connection starts from `Default`.
    pub(crate) state: Negotiated,
    /// What was learnt of the server; a new session to it starts from these.
    pub(crate) quirks: ServerQuirks,
    /// Secrets sent on this session (PASS and ACCT arguments, the caller's raw ones too):
    /// masked in every reply, so a server that echoes one cannot put it in a message.
    secrets: Vec<String>,
    /// What the session knows of its working directory (to return to after a reconnect).
    pub(crate) cwd: CwdState,
    /// Ends this session's blocking calls from another thread; every socket registers here.
    pub(crate) canceller: Canceller,
}

/// The state one control connection negotiates, all in one place: a new connection is
/// `Negotiated::default()`.
#[derive(Debug, Default)]
pub(crate) struct Negotiated {
    /// FEAT, asked once per connection.
    pub(crate) features: Option<Features>,
    /// The TYPE the server is in, when known, so TYPE is only sent when it changes.
    pub(crate) server_type: Option<TransferType>,
    /// Whether PBSZ/PROT were negotiated, and whether data connections are protected.
    pub(crate) protection_set: bool,
    pub(crate) data_protected: bool,
    /// Whether the last data connection's TLS handshake resumed the session.
    pub(crate) last_data_resumed: Option<bool>,
    /// A data connection is open: the control connection belongs to it until it is finished.
    pub(crate) data_open: bool,
    /// What HASH computes on this connection, once asked: `Some(true)` for SHA-256 (the
    /// server's default, or chosen with OPTS HASH), `Some(false)` when it cannot.
    pub(crate) hash_sha256: Option<bool>,
    /// Keepalive NOOPs sent during a transfer whose replies are still to be read.
    pub(crate) pending_noops: u32,
    /// The server refused a keepalive NOOP during a transfer: no more of them.
    pub(crate) keepalive_refused: bool,
    /// Why the control connection can no longer be used, once it cannot.
    pub(crate) broken: Option<String>,
    pub(crate) quit_sent: bool,
}

/// What a session learnt of its server, handed to the next session to the same server.
#[derive(Debug, Clone, Copy)]
pub struct ServerQuirks {
    /// The passive command that works with this server, once known.
    pub(crate) passive_choice: PassiveMode,
    /// The server refused EPRT: active mode uses PORT.
    pub(crate) eprt_refused: bool,
    /// The server issues no TLS 1.3 ticket on upload connections (no wait for one).
    pub(crate) no_upload_tickets: bool,
}

impl ServerQuirks {
    /// Nothing learnt yet: the passive mode the options ask for.
    pub(crate) fn for_options(options: &Options) -> ServerQuirks {
        ServerQuirks {
            passive_choice: match &options.data_mode {
                crate::options::DataMode::Passive(mode) => *mode,
                crate::options::DataMode::Active(_) => PassiveMode::Auto,
            },
            eprt_refused: false,
            no_upload_tickets: false,
        }
    }
}

/// How many distinct secrets a session masks in replies.
const MAX_SECRETS: usize = 4;

/// What the client knows of the working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CwdState {
    /// Never changed: a reconnect lands in the right place by itself.
    Initial,
    /// Changed by CWD/CDUP and not yet asked with PWD.
    Changed,
    /// Known to be this path.
    Known(String),
}

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
    fn open_control(
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
        let mut control = ControlChannel::connect(
            host,
            port,
            options.connect_timeout,
            options.reply_timeout,
            canceller,
        )?;
        if options.tls.level == TlsLevel::Implicit {
            let tls = tls.as_ref().expect("TLS context for implicit FTPS");
            control.start_tls(tls, options.connect_timeout)?;
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
    fn greet(&mut self) -> Result<()> {
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
    fn auth_tls(&mut self) -> Result<()> {
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
        self.poison_on(result)
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

    /// The options this client was created with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Whether the control connection is still usable.
    pub fn is_usable(&self) -> bool {
        self.state.broken.is_none() && !self.state.quit_sent && !self.canceller.is_cancelled()
    }

    // ---- control connection plumbing ------------------------------------------------------

    pub(crate) fn ensure_ready(&self) -> Result<()> {
        if let Some(why) = &self.state.broken {
            return Err(Error::InvalidState(format!(
                "the control connection is unusable ({why}); connect again"
            )));
        }
        if self.state.quit_sent {
            return Err(Error::InvalidState(
                "the session was ended with QUIT".into(),
            ));
        }
        if self.state.data_open {
            return Err(Error::InvalidState(
                "a data transfer is still open; finish or abort it first".into(),
            ));
        }
        Ok(())
    }

    /// Marks the control connection unusable after an error that leaves its state unknown.
    pub(crate) fn poison_on<T>(&mut self, result: Result<T>) -> Result<T> {
        if let Err(e) = &result {
            if matches!(
                e,
                Error::Io { .. }
                    | Error::Timeout { .. }
                    | Error::Protocol { .. }
                    | Error::Tls { .. }
            ) {
                self.state.broken = Some(e.to_string());
            }
        }
        result
    }

    pub(crate) fn mark_broken(&mut self, why: String) {
        self.state.broken = Some(why);
    }

    pub(crate) fn read_reply(&mut self, context: &str) -> Result<Reply> {
        let deadline = self.control.reply_deadline();
        self.read_reply_by(context, &deadline)
    }

    /// Reads a reply within `deadline` (a phase that spans several replies).
    pub(crate) fn read_reply_by(
        &mut self,
        context: &str,
        deadline: &crate::connection::Deadline,
    ) -> Result<Reply> {
        let result = self.control.read_reply_by(context, deadline);
        let reply = self.poison_on(result)?;
        let reply = self.mask_secrets(reply);
        if reply.code() == 421 {
            // 421: the server is closing the control connection.
            self.state.broken = Some(format!("the server closed the session: {reply}"));
        }
        self.last_reply = Some(reply.clone());
        Ok(reply)
    }

    /// Sends a command, first discarding replies that arrived unasked (a 421 among them
    /// ends the session with that error).
    pub(crate) fn send(&mut self, command: &Command) -> Result<()> {
        if !self.state.data_open && self.state.pending_noops == 0 {
            let unsolicited = self.control.take_unsolicited(command.shown());
            let (replies, closed) = self.poison_on(unsolicited)?;
            for reply in replies {
                if reply.code() == 421 {
                    self.state.broken = Some(format!("the server closed the session: {reply}"));
                    self.last_reply = Some(reply.clone());
                    return Err(Error::from_reply(command.shown(), reply));
                }
            }
            if closed {
                let err = Error::io(
                    command.shown(),
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed the control connection",
                    ),
                );
                self.state.broken = Some(err.to_string());
                return Err(err);
            }
        }
        self.send_in_transfer(command)
    }

    /// The reply with every secret this session sent masked.
    pub(crate) fn mask_secrets(&self, mut reply: Reply) -> Reply {
        for secret in &self.secrets {
            reply = reply.masked(secret);
        }
        reply
    }

    /// Sends a command as is, while a transfer may have replies in flight (ABOR, keepalive).
    pub(crate) fn send_in_transfer(&mut self, command: &Command) -> Result<()> {
        if let Some(secret) = command.secret() {
            let secret = String::from_utf8_lossy(secret).into_owned();
            if !secret.is_empty() && !self.secrets.contains(&secret) {
                // A handful at most: the login's, and any the caller sends by hand.
                if self.secrets.len() == MAX_SECRETS {
                    self.secrets.remove(0);
                }
                self.secrets.push(secret);
            }
        }
        let result = self.control.send(command);
        self.poison_on(result)
    }

    /// Sends a command and returns its reply, whatever the code.
    pub(crate) fn exchange(&mut self, command: &Command) -> Result<Reply> {
        self.ensure_ready()?;
        self.send(command)?;
        self.read_reply(command.shown())
    }

    /// Sends a command and returns its reply when `accept` takes its code; otherwise the
    /// reply becomes a Temporary, Permanent or UnexpectedReply error.
    pub(crate) fn expect(&mut self, command: &Command, accept: fn(u16) -> bool) -> Result<Reply> {
        let reply = self.exchange(command)?;
        if accept(reply.code()) {
            Ok(reply)
        } else {
            Err(Error::from_reply(command.shown(), reply))
        }
    }

    fn expect_2xx(&mut self, command: &Command) -> Result<Reply> {
        self.expect(command, |c| c / 100 == 2)
    }

    /// Sends a raw command line and returns the reply, whatever its code (ftplib's
    /// `sendcmd`). CR, LF and NUL are refused.
    pub fn sendcmd(&mut self, line: impl AsRef<[u8]>) -> Result<Reply> {
        self.exchange(&Command::raw(line)?)
    }

    /// Sends a raw command line and fails unless the reply is 2xx (ftplib's `voidcmd`).
    pub fn voidcmd(&mut self, line: impl AsRef<[u8]>) -> Result<Reply> {
        self.expect_2xx(&Command::raw(line)?)
    }

    // ---- session ---------------------------------------------------------------------------

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
        Ok(reply)
    }

    fn after_login(&mut self) -> Result<()> {
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
        self.control.shutdown();
        reply
    }

    /// SYST: the server's system type.
    pub fn syst(&mut self) -> Result<String> {
        Ok(self
            .expect_2xx(&Command::bare("SYST")?)?
            .first_line_text()
            .to_string())
    }

    /// ABOR outside a transfer (ftplib's `abort()`): 225 (no transfer in progress), 226
    /// (one was ended) and 426 (one was cut) all mean the server stopped what it was doing.
    /// To stop a transfer of this library's own, use its stop signal or abort its stream.
    pub fn abort(&mut self) -> Result<Reply> {
        let command = Command::bare("ABOR")?;
        let reply = self.exchange(&command)?;
        match reply.code() {
            225 | 226 | 426 => Ok(reply),
            _ => Err(Error::from_reply(command.shown(), reply)),
        }
    }

    /// NOOP.
    pub fn noop(&mut self) -> Result<Reply> {
        self.expect_2xx(&Command::bare("NOOP")?)
    }

    /// STAT, of the server or of a path.
    pub fn stat(&mut self, path: Option<&[u8]>) -> Result<Reply> {
        let command = match path {
            Some(p) => Command::with_arg("STAT", p)?,
            None => Command::bare("STAT")?,
        };
        self.expect_2xx(&command)
    }

    // ---- transfer type ---------------------------------------------------------------------

    /// The type used by the next transfer.
    pub fn transfer_type(&self) -> TransferType {
        self.transfer_type
    }

    /// Chooses the type for later transfers. TYPE is sent lazily, only when it changes.
    pub fn set_transfer_type(&mut self, transfer_type: TransferType) {
        self.transfer_type = transfer_type;
    }

    pub(crate) fn ensure_type(&mut self, wanted: TransferType) -> Result<()> {
        if self.state.server_type == Some(wanted) {
            return Ok(());
        }
        let arg = match wanted {
            TransferType::Binary => "I",
            TransferType::Ascii => "A",
        };
        self.expect_2xx(&Command::with_arg("TYPE", arg)?)?;
        self.state.server_type = Some(wanted);
        Ok(())
    }

    // ---- directories -----------------------------------------------------------------------

    /// PWD: the current directory.
    pub fn pwd(&mut self) -> Result<String> {
        let reply = self.expect(&Command::bare("PWD")?, |c| c == 257)?;
        let dir = parse_quoted_path(&reply.text())
            .ok_or_else(|| Error::protocol("PWD", format!("no quoted path in reply {reply}")))?;
        if self.cwd != CwdState::Initial {
            self.cwd = CwdState::Known(dir.clone());
        }
        Ok(dir)
    }

    /// CWD: changes the current directory.
    pub fn cwd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        let reply = self.expect_2xx(&Command::with_arg("CWD", path)?)?;
        self.cwd = CwdState::Changed;
        Ok(reply)
    }

    /// CDUP: goes to the parent directory.
    pub fn cdup(&mut self) -> Result<Reply> {
        let reply = self.expect_2xx(&Command::bare("CDUP")?)?;
        self.cwd = CwdState::Changed;
        Ok(reply)
    }

    /// MKD: creates a directory and returns its path as the server reports it (the given
    /// path when the reply quotes none).
    pub fn mkd(&mut self, path: impl AsRef<[u8]>) -> Result<String> {
        let path = path.as_ref();
        let reply = self.expect(&Command::with_arg("MKD", path)?, |c| c == 257)?;
        let requested = String::from_utf8_lossy(path);
        Ok(parse_mkd_path(&reply.text(), &requested)
            .unwrap_or_else(|| String::from_utf8_lossy(path).into_owned()))
    }

    /// RMD: removes an empty directory.
    pub fn rmd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        self.expect_2xx(&Command::with_arg("RMD", path)?)
    }

    // ---- files -----------------------------------------------------------------------------

    /// DELE: deletes a file.
    pub fn delete(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        self.expect_2xx(&Command::with_arg("DELE", path)?)
    }

    /// RNFR + RNTO: renames `from` to `to`.
    pub fn rename(&mut self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<Reply> {
        let rnto = Command::with_arg("RNTO", to)?;
        self.expect(&Command::with_arg("RNFR", from)?, |c| c == 350)?;
        self.expect_2xx(&rnto)
    }

    /// SIZE: a file's size in bytes (asked in TYPE I, where servers agree on its meaning).
    pub fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64> {
        self.ensure_type(TransferType::Binary)?;
        let command = Command::with_arg("SIZE", path)?;
        let reply = self.expect(&command, |c| c == 213)?;
        reply
            .first_line_text()
            .trim()
            .parse()
            .map_err(|_| Error::protocol(command.shown(), format!("bad size in reply {reply}")))
    }

    /// MDTM: a file's modification time (UTC).
    pub fn mdtm(&mut self, path: impl AsRef<[u8]>) -> Result<Timestamp> {
        let command = Command::with_arg("MDTM", path)?;
        let reply = self.expect(&command, |c| c == 213)?;
        Timestamp::parse_mdtm(reply.first_line_text()).ok_or_else(|| {
            Error::protocol(command.shown(), format!("bad timestamp in reply {reply}"))
        })
    }

    /// MFMT: sets a file's modification time (UTC).
    pub fn mfmt(&mut self, path: impl AsRef<[u8]>, time: Timestamp) -> Result<Reply> {
        let mut arg = time.to_mdtm().into_bytes();
        arg.push(b' ');
        arg.extend_from_slice(path.as_ref());
        self.expect_2xx(&Command::with_arg("MFMT", arg)?)
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
                self.control.send_quietly(&quit);
            }
        }
        self.state.quit_sent = true;
        self.control.shutdown();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close_quietly();
    }
}
