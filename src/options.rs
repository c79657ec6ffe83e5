//! Connection options: timeouts per phase, data connection mode, transfer defaults.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

/// How data connections are opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataMode {
    /// The client connects to the server (PASV/EPSV). The default.
    Passive(PassiveMode),
    /// The server connects to the client (PORT/EPRT).
    Active(ActiveOptions),
}

impl Default for DataMode {
    fn default() -> Self {
        DataMode::Passive(PassiveMode::Auto)
    }
}

/// Which passive command to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PassiveMode {
    /// EPSV first; on a 5xx or unparsable answer PASV, and that choice is kept for the session.
    #[default]
    Auto,
    /// EPSV only (RFC 2428).
    Epsv,
    /// PASV only (RFC 959); IPv4 only.
    Pasv,
}

/// Settings for active mode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActiveOptions {
    /// Local address to listen on; by default the control connection's local address.
    pub bind_address: Option<IpAddr>,
    /// Address to advertise in PORT/EPRT, for a client behind NAT; by default the address
    /// listened on.
    pub advertise_address: Option<IpAddr>,
    /// Local ports to try, in order; by default any free port.
    pub port_range: Option<RangeInclusive<u16>>,
    /// Use EPRT even for IPv4 (it is always used for IPv6).
    pub use_eprt: bool,
}

/// Representation type for transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransferType {
    /// TYPE I: bytes unchanged. The default.
    #[default]
    Binary,
    /// TYPE A: lines converted between CRLF on the wire and LF locally.
    Ascii,
}

/// Everything that can be set before connecting. Fields are public; start from
/// `Options::default()` and change what you need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Limit for opening the control connection (all resolved addresses together).
    pub connect_timeout: Option<Duration>,
    /// Limit for each reply on the control connection.
    pub reply_timeout: Option<Duration>,
    /// Limit for opening a passive data connection.
    pub data_connect_timeout: Option<Duration>,
    /// Limit for the server to connect to an active-mode listener.
    pub accept_timeout: Option<Duration>,
    /// Limit for a data connection to stay silent mid-transfer.
    pub data_idle_timeout: Option<Duration>,
    /// Passive (default) or active data connections.
    pub data_mode: DataMode,
    /// Use the address in a PASV reply instead of the control connection's peer address.
    /// Off by default, as in curl and ftplib since CVE-2020-8284: a hostile server could
    /// otherwise aim the client at another host.
    pub trust_pasv_address: bool,
    /// Bytes per read or write on the data connection.
    pub block_size: usize,
    /// The initial transfer type.
    pub transfer_type: TransferType,
    /// Send `OPTS UTF8 ON` after login when the server lists UTF8 in FEAT.
    pub utf8: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Some(Duration::from_secs(30)),
            reply_timeout: Some(Duration::from_secs(60)),
            data_connect_timeout: Some(Duration::from_secs(30)),
            accept_timeout: Some(Duration::from_secs(60)),
            data_idle_timeout: Some(Duration::from_secs(60)),
            data_mode: DataMode::default(),
            trust_pasv_address: false,
            block_size: 64 * 1024,
            transfer_type: TransferType::Binary,
            utf8: true,
        }
    }
}

impl Options {
    /// Sets every timeout to the same value, as ftplib's single `timeout` does.
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Options {
        self.connect_timeout = timeout;
        self.reply_timeout = timeout;
        self.data_connect_timeout = timeout;
        self.accept_timeout = timeout;
        self.data_idle_timeout = timeout;
        self
    }
}
