//! Control connection plumbing: sending commands (CR/LF/NUL refused, secrets remembered to be
//! masked), reading replies within their deadlines, and keeping the session's state honest
//! when the connection fails.

use super::*;
use crate::trace::{TraceEvent, TraceKind};

impl Client {
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

    /// A transfer whose data connection was dropped without being ended: the server still
    /// thinks it runs, so this connection is given up (a new session is needed).
    pub(crate) fn forget_transfer(&mut self, why: &str) {
        self.state.data_open = false;
        self.mark_broken(why.to_string());
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
        self.trace_reply(&reply);
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
                let reply = self.mask_secrets(reply);
                self.trace_reply(&reply);
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
        self.trace_command(command);
        let result = self.control.send(command);
        self.poison_on(result)
    }

    /// Whether a trace event of `kind` is wanted (an observer, or a logger at its level).
    pub(crate) fn tracing(&self, kind: TraceKind) -> bool {
        crate::trace::wanted(self.options.trace.as_ref(), kind)
    }

    /// Tells the trace observer (and the logger) of `event`.
    pub(crate) fn trace(&self, event: &TraceEvent<'_>) {
        crate::trace::emit(self.options.trace.as_ref(), event)
    }

    /// Traces a command as it may be shown: PASS and ACCT arguments masked, and any secret
    /// this session sent masked wherever else it appears.
    pub(crate) fn trace_command(&self, command: &Command) {
        if !self.tracing(TraceKind::Command) {
            return;
        }
        let mut shown = command.shown().to_string();
        for secret in &self.secrets {
            shown = crate::protocol::untrusted::mask_secret(&shown, secret).into_owned();
        }
        self.trace(&TraceEvent::new(TraceKind::Command, false, &shown));
    }

    /// Traces each line of a reply (secrets already masked), escaped: it is server text.
    pub(crate) fn trace_reply(&self, reply: &Reply) {
        if !self.tracing(TraceKind::Reply) {
            return;
        }
        for line in reply.lines() {
            let text = crate::protocol::untrusted::escape_controls(line);
            let mut event = TraceEvent::new(TraceKind::Reply, false, &text);
            event.untrusted = true;
            self.trace(&event);
        }
    }

    /// Traces a connection-level event of the control connection or a data connection.
    pub(crate) fn trace_note(
        &self,
        kind: TraceKind,
        data: bool,
        text: &str,
        fill: impl FnOnce(&mut TraceEvent<'_>),
    ) {
        if !self.tracing(kind) {
            return;
        }
        let mut event = TraceEvent::new(kind, data, text);
        fill(&mut event);
        self.trace(&event);
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

    pub(crate) fn expect_2xx(&mut self, command: &Command) -> Result<Reply> {
        self.expect(command, |c| c / 100 == 2)
    }

    /// Sends a raw command line and returns the reply, whatever its code (ftplib's
    /// `sendcmd`). CR, LF and NUL are refused.
    pub fn sendcmd(&mut self, line: impl AsRef<[u8]>) -> Result<Reply> {
        let command = Command::raw(line)?;
        let reply = self.exchange(&command);
        self.after_raw(&command);
        reply
    }

    /// Sends a raw command line and fails unless the reply is 2xx (ftplib's `voidcmd`).
    pub fn voidcmd(&mut self, line: impl AsRef<[u8]>) -> Result<Reply> {
        let command = Command::raw(line)?;
        let reply = self.expect_2xx(&command);
        self.after_raw(&command);
        reply
    }

    /// After a raw command, forgets what it may have changed behind the session's back, so
    /// the next operation that depends on it negotiates again instead of trusting stale state
    /// (a raw `TYPE A` followed by a binary download would corrupt the file; a raw `REST`
    /// would start the next download in the middle).
    fn after_raw(&mut self, command: &Command) {
        match command.verb().to_ascii_uppercase().as_str() {
            "TYPE" => self.state.server_type = None,
            "PBSZ" | "PROT" | "CCC" => self.state.protection_set = false,
            "CWD" | "CDUP" | "XCWD" | "XCUP" => self.cwd = CwdState::Changed,
            "OPTS" => self.state.hash_choice = HashChoice::Unknown,
            "REST" => self.state.raw_rest_pending = true,
            _ => {}
        }
    }
}
