//! The one error type of the crate, classed like Python ftplib's exceptions.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::protocol::Reply;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which wait ran out of time. Named in every timeout error so the caller knows whether the
/// server never answered, never opened the data connection, or stalled mid-transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutPhase {
    /// Opening the control connection.
    Connect,
    /// Waiting for a reply on the control connection.
    Reply,
    /// Opening a passive data connection.
    DataConnect,
    /// Waiting for the server to connect to our active-mode listener.
    Accept,
    /// Waiting for bytes on an open data connection.
    DataIdle,
    /// A TLS handshake.
    TlsHandshake,
    /// Waiting for the peer's TLS close_notify.
    TlsClose,
}

impl fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::Reply => "reply",
            TimeoutPhase::DataConnect => "data connect",
            TimeoutPhase::Accept => "data accept",
            TimeoutPhase::DataIdle => "data idle",
            TimeoutPhase::TlsHandshake => "TLS handshake",
            TimeoutPhase::TlsClose => "TLS close",
        })
    }
}

/// Everything that can go wrong. `command` fields hold the command as it is safe to show:
/// the argument of `PASS` and `ACCT` is never kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A 4xx reply: the server says try again later.
    #[error("{command}: {reply}")]
    Temporary { command: String, reply: Reply },
    /// A 5xx reply: the server refuses for good.
    #[error("{command}: {reply}")]
    Permanent { command: String, reply: Reply },
    /// A well-formed reply whose code the command does not expect (for example 1xx or 3xx where
    /// 2xx was due).
    #[error("{command}: unexpected reply {reply}")]
    UnexpectedReply { command: String, reply: Reply },
    /// The server broke the protocol: a malformed or oversized reply, an unparsable PASV
    /// answer, a connection closed mid-reply.
    #[error("{context}: protocol error: {detail}")]
    Protocol { context: String, detail: String },
    /// The operating system reported an error on a socket or local file.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// A wait ran out of time; `phase` names which one.
    #[error("{context}: timed out after {} ms waiting for {phase}", after.as_millis())]
    Timeout {
        context: String,
        phase: TimeoutPhase,
        after: Duration,
    },
    /// A TLS failure: handshake, verification, or a stream cut short without close_notify.
    #[error("{context}: TLS error: {detail}")]
    Tls { context: String, detail: String },
    /// The server cannot say what was asked: it has no command for it (a file hash where it
    /// offers neither HASH with the algorithm nor the algorithm's X command).
    #[error("{context}: the server cannot say: {detail}")]
    NotAvailable { context: String, detail: String },
    /// A file's hash after a transfer differs between the server and the local copy.
    #[error("{context}: integrity check failed: {detail}")]
    Integrity { context: String, detail: String },
    /// The caller's callback or observer asked to stop.
    #[error("{context}: aborted by the caller")]
    Aborted { context: String },
    /// The caller passed something that cannot be sent or used (CR/LF/NUL in an argument, a bad
    /// option value).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The client is not in a state that allows the call (a data transfer is still open, the
    /// connection was lost).
    #[error("{0}")]
    InvalidState(String),
}

impl Error {
    /// The server reply behind this error, if the error came from one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Temporary { reply, .. }
            | Error::Permanent { reply, .. }
            | Error::UnexpectedReply { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// The server's three-digit reply code, or 0 when the error did not come from a reply.
    pub fn reply_code(&self) -> u16 {
        self.reply().map_or(0, |r| r.code())
    }

    /// Whether retrying the same operation later may succeed: 4xx replies, I/O failures
    /// (connection reset or closed), timeouts, a lost session, TLS handshake failures, and
    /// vsftpd's 522 after a TLS session was not resumed. Only what another attempt can change:
    /// a protocol error (the server said something malformed, and would say it again), a
    /// certificate that does not verify, a TLS stream the server ends without close_notify,
    /// other 5xx replies and the caller's own errors are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Temporary { .. }
            | Error::Io { .. }
            | Error::Timeout { .. }
            | Error::InvalidState(_) => true,
            Error::Permanent { reply, .. } => reply.code() == 522,
            Error::Tls { detail, .. } => {
                !detail.starts_with("certificate verification failed")
                    && !detail.contains(TRUNCATED_MARK)
            }
            _ => false,
        }
    }

    /// Classes a reply that the command did not want into Temporary, Permanent or
    /// UnexpectedReply.
    pub(crate) fn from_reply(command: &str, reply: Reply) -> Error {
        let command = command.to_string();
        match reply.code() / 100 {
            4 => Error::Temporary { command, reply },
            5 => Error::Permanent { command, reply },
            _ => Error::UnexpectedReply { command, reply },
        }
    }

    /// An I/O failure; one that carries [`crate::Cancelled`] (the session was cancelled) is
    /// [`Error::Aborted`].
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        if crate::Cancelled::is(&source) {
            return Error::Aborted {
                context: format!("{} (cancelled)", context.into()),
            };
        }
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// This error as the outcome of a cancelled call: [`Error::Aborted`], whatever the
    /// cut connection looked like to the layer that saw it first.
    pub(crate) fn cancelled(self) -> Error {
        match self {
            Error::Aborted { .. } => self,
            other => Error::Aborted {
                context: format!("cancelled ({other})"),
            },
        }
    }

    /// A bound of the caller's options was passed (a listing too long, a tree too deep): a
    /// protocol error that names the Rust option and the C setter.
    pub(crate) fn bound(context: String, what: String, rust: &str, c: &str) -> Error {
        Error::protocol(
            context,
            format!("{what}; the bound is Options::{rust} (C: ftp_options_set_{c})"),
        )
    }

    pub(crate) fn protocol(context: impl Into<String>, detail: impl Into<String>) -> Error {
        Error::Protocol {
            context: context.into(),
            detail: detail.into(),
        }
    }
}

/// Words every "TLS stream ended without close_notify" message contains, so it is told apart
/// from a failed handshake (which another attempt may get through).
pub(crate) const TRUNCATED_MARK: &str = "without TLS close_notify";

/// Marker a `Read` source or a sink may return inside an `io::Error` to stop a transfer on
/// purpose; the transfer then ends with [`Error::Aborted`] instead of [`Error::Io`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StopTransfer;

impl fmt::Display for StopTransfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("transfer stopped by the caller")
    }
}

impl std::error::Error for StopTransfer {}

impl StopTransfer {
    /// An `io::Error` that carries this marker.
    pub fn io_error() -> io::Error {
        io::Error::other(StopTransfer)
    }

    /// Whether `err` carries this marker.
    pub fn is(err: &io::Error) -> bool {
        err.get_ref()
            .is_some_and(|inner| inner.is::<StopTransfer>())
    }
}
