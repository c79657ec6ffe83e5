//! The blocking client: one control connection and ftplib's commands on it. `lifecycle`
//! connects, logs in and closes; `control` sends commands and reads replies; `commands` has
//! the file and directory commands. Transfers are in `transfer/`, listings in `dirlist.rs`.

mod commands;
mod control;
mod lifecycle;

pub(crate) use lifecycle::handshake_text;

use std::io;
use std::net::SocketAddr;

use crate::connection::cancel::Canceller;
use crate::connection::control::ControlChannel;
use crate::connection::tls::TlsContext;
use crate::error::{Error, Result};
use crate::options::{DataMode, DataProtection, Options, PassiveMode, TlsLevel, TransferType};
use crate::protocol::text::{parse_mkd_path, parse_quoted_path};
use crate::protocol::{Command, Features, Reply, Timestamp};

/// A connection to one FTP server. Not thread-safe by design: one client per thread, or a
/// lock around it. Dropping it sends QUIT without waiting for the answer; call
/// [`Client::quit`] to wait.
pub struct Client {
    pub(crate) control: ControlChannel,
    /// The host name or address connected to (through a proxy, data connections go there).
    pub(crate) host: String,
    pub(crate) options: Options,
    pub(crate) welcome: Reply,
    pub(crate) last_reply: Option<Reply>,
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
    pub(crate) secrets: Vec<String>,
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
    /// What HASH computes on this connection (see [`HashChoice`]).
    pub(crate) hash_choice: HashChoice,
    /// The X hash commands (XSHA256, XSHA1, XMD5, XCRC) the server refused as unknown, one
    /// bit per [`crate::protocol::hash::HashAlgorithm::ALL`] entry: not asked again.
    pub(crate) x_hash_refused: u8,
    /// The caller sent REST as a raw command: the server applies it to the next transfer,
    /// so a transfer of this library's from the start sends `REST 0` first.
    pub(crate) raw_rest_pending: bool,
    /// The LIST format to try first: `None` until asked (SYST), then what SYST suggested or
    /// the format the last listing turned out to be in.
    pub(crate) list_format: Option<Option<crate::listing::ListFormat>>,
    /// Keepalive NOOPs sent during a transfer whose replies are still to be read.
    pub(crate) pending_noops: u32,
    /// The server refused a keepalive NOOP during a transfer: no more of them.
    pub(crate) keepalive_refused: bool,
    /// Why the control connection can no longer be used, once it cannot.
    pub(crate) broken: Option<String>,
    pub(crate) quit_sent: bool,
}

/// The algorithm HASH uses on a connection.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashChoice {
    /// The server's default, marked `*` in FEAT (nothing was selected yet).
    #[default]
    ServerDefault,
    /// Selected with OPTS HASH.
    Selected(crate::protocol::hash::HashAlgorithm),
    /// The caller sent OPTS by hand: unknown until selected again.
    Unknown,
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
    /// Whether an upload's data connection was seen to deliver no TLS 1.3 session ticket
    /// within a second of its end (ProFTPD issues none there): later uploads to the server
    /// then close without waiting for one.
    pub fn upload_tickets_missing(&self) -> bool {
        self.no_upload_tickets
    }

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
pub(crate) const MAX_SECRETS: usize = 4;

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
