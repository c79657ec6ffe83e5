//! Connection options: timeouts per phase, data connection mode, transfer defaults.

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
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

impl ActiveOptions {
    /// A port range runs from a port above 0 to one not below it.
    pub fn validate(&self) -> crate::Result<()> {
        match &self.port_range {
            Some(range) if *range.start() == 0 || range.start() > range.end() => Err(
                crate::Error::InvalidArgument("port range must be 1 <= min <= max".into()),
            ),
            _ => Ok(()),
        }
    }
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

/// How much TLS a session needs, like curl's `CURLOPT_USE_SSL` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsLevel {
    /// Plain FTP. The default.
    #[default]
    None,
    /// Explicit FTPS if the server accepts AUTH TLS, plain FTP if it refuses it. Only for
    /// callers who accept an unencrypted session.
    Try,
    /// Explicit FTPS required on the control connection; data connections are protected
    /// when the server accepts PROT P (or left clear by [`DataProtection::Clear`]).
    Control,
    /// Explicit FTPS required on the control and every data connection.
    All,
    /// Implicit FTPS: TLS from the first byte (port 990 by convention); data protected.
    Implicit,
}

/// Protection of data connections under TLS (PROT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataProtection {
    /// PROT P: data connections use TLS. The default.
    #[default]
    Private,
    /// PROT C: data connections are clear text while the control connection is protected.
    Clear,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// TLS settings. Certificates and host names are verified by default against the system's
/// trust store (`SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    pub level: TlsLevel,
    pub data_protection: DataProtection,
    /// Trust the system's CA store (default). Turn off to trust only `ca_file`/`ca_dir`.
    pub use_system_roots: bool,
    /// Extra trusted CA certificates, PEM.
    pub ca_file: Option<PathBuf>,
    /// A directory of extra trusted CA certificates, PEM files.
    pub ca_dir: Option<PathBuf>,
    /// Extra trusted CA certificates given as PEM text rather than a file (see
    /// [`TlsOptions::add_ca_pem`]).
    pub ca_pem: Vec<Vec<u8>>,
    /// Accept exactly the server certificates whose SHA-256, of the whole DER certificate or
    /// of its SubjectPublicKeyInfo (curl's `sha256//` pins), is listed, whatever their issuer
    /// or name. Replaces CA verification; handshake signatures are still checked.
    pub pinned_sha256: Vec<[u8; 32]>,
    /// The name to send as SNI and to verify the certificate against; by default the host
    /// connected to.
    pub server_name: Option<String>,
    /// A client certificate chain and its private key, PEM.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Accept any certificate from anyone. Only for tests and for servers you reach over a
    /// network you already trust; never the default, never implied by another option.
    pub dangerous_disable_verification: bool,
    /// Treat a download that ends without TLS close_notify as complete, for servers known not
    /// to send it. Off by default: a cut stream is reported as truncated.
    pub allow_missing_close_notify: bool,
    /// Resume the control connection's TLS session on data connections (default on; strict
    /// servers such as vsftpd require it).
    pub session_reuse: bool,
    pub min_version: Option<TlsVersion>,
    pub max_version: Option<TlsVersion>,
    /// How long to wait for the server's close_notify after an upload.
    pub close_timeout: Duration,
    /// Send CCC after login: the control connection returns to plain text, data connections
    /// stay protected (curl's `CURLOPT_FTP_SSL_CCC`).
    pub clear_command_channel: bool,
}

impl TlsOptions {
    /// Trusts the CA certificates in `pem` (one or more PEM `CERTIFICATE` blocks) besides the
    /// others; refused when it holds none or one does not parse.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> crate::Result<()> {
        crate::connection::tls::parse_pem_certs(pem, "CA PEM text")?;
        self.ca_pem.push(pem.to_vec());
        Ok(())
    }
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            level: TlsLevel::None,
            data_protection: DataProtection::Private,
            use_system_roots: true,
            ca_file: None,
            ca_dir: None,
            ca_pem: Vec::new(),
            pinned_sha256: Vec::new(),
            server_name: None,
            client_cert: None,
            dangerous_disable_verification: false,
            allow_missing_close_notify: false,
            session_reuse: true,
            min_version: None,
            max_version: None,
            close_timeout: Duration::from_secs(5),
            clear_command_channel: false,
        }
    }
}

/// Everything that can be set before connecting. Fields are public; start from
/// `Options::default()` and change what you need.
#[derive(Debug, Clone, PartialEq)]
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
    /// Bytes per read or write on the data connection: 1 byte to [`MAX_BLOCK_SIZE`].
    pub block_size: usize,
    /// The initial transfer type.
    pub transfer_type: TransferType,
    /// Send `OPTS UTF8 ON` after login when the server lists UTF8 in FEAT.
    pub utf8: bool,
    /// FTPS settings; plain FTP by default.
    pub tls: TlsOptions,
    /// During a transfer, send NOOP on the control connection at this interval, so firewalls
    /// and servers that drop an idle control connection keep it (as Commons Net and lftp do).
    /// Off by default.
    pub keepalive_interval: Option<Duration>,
    /// Retry transient failures of connecting (a refused connection, a failed TLS handshake,
    /// `421` at the greeting) and of logging in, with this policy, which the production layer
    /// then uses too. `None` (the default): connect and login fail at the first error, and
    /// the production layer uses `RetryPolicy::default()`.
    pub retry: Option<crate::agent::RetryPolicy>,
    /// Most entries one collected listing may hold (`list_dir`, and each directory that sync,
    /// mirror and `remove_tree` list). A listing with more fails the whole operation, which
    /// never acts on part of a listing. Default 100,000. C: `ftp_options_set_max_listing_entries`.
    pub max_listing_entries: u64,
    /// Most bytes of listing lines (line endings not counted) one collected listing may hold;
    /// past that it fails like `max_listing_entries`. Default 32 MiB. C:
    /// `ftp_options_set_max_listing_bytes`.
    pub max_listing_bytes: u64,
    /// How many levels below the directory named a sync, mirror or `remove_tree` descends; a
    /// directory deeper than that fails the whole operation before anything is changed
    /// (`remove_tree` before it removes anything deeper). Default 64. C:
    /// `ftp_options_set_max_tree_depth`.
    pub max_tree_depth: u32,
    /// Most entries the server may list in all the directories of one sync, mirror or
    /// `remove_tree`; past that the operation fails, before anything is changed for sync and
    /// mirror. Default 1,000,000. C: `ftp_options_set_max_tree_entries`.
    pub max_tree_entries: u64,
    /// Parsed LIST (`list_entries`, and `list_dir` without MLSD): read every line in this
    /// format instead of detecting the format line by line. `None` (the default): detected.
    pub list_format: Option<crate::listing::ListFormat>,
    /// Parsed LIST: the server's local time minus UTC, in minutes (LIST times are the
    /// server's local time; MLSD's are UTC). Default 0; at most 24 hours either way. Measure
    /// it with [`Client::measure_list_utc_offset`](crate::Client::measure_list_utc_offset).
    pub server_utc_offset_minutes: i32,
    /// The protocol trace: every command sent and reply line read, and what happens to data
    /// connections, told to this observer (passwords masked). `None` (the default): no
    /// trace. Every session made from these options reports to it. C:
    /// `ftp_options_set_trace_callback`, `ftp_set_trace_callback`.
    pub trace: Option<crate::trace::Trace>,
    /// Most bytes per second read from data connections (downloads and listings), counted
    /// from the first block. Clones of one [`crate::RateLimit`] share its bucket: give the
    /// same one to several sessions or agents for a limit they share. `None` (the default):
    /// no limit. C: `ftp_options_set_max_download_rate`.
    pub download_rate: Option<crate::rate::RateLimit>,
    /// Most bytes per second written to data connections (uploads), as `download_rate`. C:
    /// `ftp_options_set_max_upload_rate`.
    pub upload_rate: Option<crate::rate::RateLimit>,
    /// A SOCKS5 or HTTP CONNECT proxy for the control connection and every data connection
    /// (TLS runs end to end through it): passive ones through CONNECT, active ones through
    /// SOCKS5 BIND (active mode is refused with an HTTP proxy).
    /// `None` (the default): direct connections; the environment (`ALL_PROXY`, `ftp_proxy`)
    /// is not read unless the caller passes [`crate::Proxy::from_env`]. C:
    /// `ftp_options_set_proxy`.
    pub proxy: Option<crate::connection::proxy::Proxy>,
    /// Uploads from a local file ([`crate::Client::stor_from_file`] and the calls built on
    /// it: `stor_from_path`, [`crate::Agent::upload_file`], C `ftp_stor_fd`,
    /// `ftp_stor_file`) send plain binary data with sendfile(2) on Linux, without copying it
    /// through user space, when the process ignores SIGPIPE (sendfile cannot suppress it).
    /// Default: off. sendfile cuts the client's CPU time for an upload to about a quarter but
    /// made pyftpdlib and vsftpd slower to receive on loopback (wall time +10 to +25% for
    /// 512 MiB), so it is for hosts whose CPU is the limit (many uploads at once).
    pub zero_copy_upload: bool,
}

/// Default of [`Options::max_listing_entries`].
const DEFAULT_MAX_LISTING_ENTRIES: u64 = 100_000;
/// Default of [`Options::max_listing_bytes`]: 32 MiB.
const DEFAULT_MAX_LISTING_BYTES: u64 = 32 * 1024 * 1024;
/// Default of [`Options::max_tree_depth`].
const DEFAULT_MAX_TREE_DEPTH: u32 = 64;
/// Default of [`Options::max_tree_entries`].
const DEFAULT_MAX_TREE_ENTRIES: u64 = 1_000_000;

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
            tls: TlsOptions::default(),
            keepalive_interval: None,
            retry: None,
            max_listing_entries: DEFAULT_MAX_LISTING_ENTRIES,
            max_listing_bytes: DEFAULT_MAX_LISTING_BYTES,
            max_tree_depth: DEFAULT_MAX_TREE_DEPTH,
            max_tree_entries: DEFAULT_MAX_TREE_ENTRIES,
            list_format: None,
            server_utc_offset_minutes: 0,
            trace: None,
            download_rate: None,
            upload_rate: None,
            proxy: None,
            zero_copy_upload: false,
        }
    }
}

/// Why active mode is refused with an HTTP proxy.
pub(crate) const ACTIVE_THROUGH_PROXY: &str =
    "active mode (PORT/EPRT) does not work through an HTTP proxy, which cannot accept \
     connections; use passive mode, or a SOCKS5 proxy (BIND)";

/// The largest [`Options::block_size`]: one transfer buffer is this big.
pub const MAX_BLOCK_SIZE: usize = 64 * 1024 * 1024;

impl Options {
    /// Checks the values that have a valid range (connecting checks them too).
    pub fn validate(&self) -> crate::Result<()> {
        if self.block_size == 0 || self.block_size > MAX_BLOCK_SIZE {
            return Err(crate::Error::InvalidArgument(
                "block size must be 1 byte to 64 MiB".into(),
            ));
        }
        if let Some(policy) = &self.retry {
            policy.validate()?;
        }
        if let DataMode::Active(active) = &self.data_mode {
            active.validate()?;
            if self
                .proxy
                .as_ref()
                .is_some_and(|p| p.kind == crate::connection::proxy::ProxyKind::HttpConnect)
            {
                return Err(crate::Error::InvalidArgument(ACTIVE_THROUGH_PROXY.into()));
            }
        }
        if self.server_utc_offset_minutes.abs() > 24 * 60 {
            return Err(crate::Error::InvalidArgument(
                "server UTC offset must be within 24 hours".into(),
            ));
        }
        Ok(())
    }

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
