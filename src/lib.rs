//! ftpc: an FTP and FTPS client.
//!
//! The Rust API is a blocking [`Client`] in the spirit of Python's ftplib: exactly one
//! session, with the parts libcurl adds (phase timeouts, EPSV/PASV fallback, resumable
//! transfers). [`Agent`] sits above it: it owns the options, the credentials and the retry
//! policy, opens sessions when it needs them, and carries out whole-file transfers, listings,
//! sync and mirror. The protocol layer ([`protocol`], [`listing`]) is sans-IO and usable on
//! its own.
//!
//! ```no_run
//! use ftpc::{Client, Options};
//! let mut ftp = Client::connect_with("127.0.0.1", 21, Options::default())?;
//! ftp.login("user", "secret")?;
//! let mut data = Vec::new();
//! ftp.retr("/pub/file.bin", &mut data)?;
//! for entry in ftp.mlsd(None)? {
//!     let entry = entry?;
//!     println!("{} {:?}", entry.name(), entry.size());
//! }
//! ftp.quit()?;
//! # Ok::<(), ftpc::Error>(())
//! ```
#![deny(unsafe_code)]

mod agent;
mod client;
mod connection;
mod dirlist;
mod error;
#[cfg(feature = "capi")]
mod ffi;
pub mod listing;
mod options;
pub mod protocol;
mod rate;
mod trace;
mod transfer;
mod url;

pub use agent::{
    is_connection_limit, is_partial_file_name, safe_local_name, Agent, BatchOptions, BatchProgress,
    BatchReport, Clock, DownloadOptions, FileOutcome, FilePair, ParallelSyncOptions, Pool,
    PoolOptions, PoolStats, PooledAgent, RetryEvent, RetryObserver, RetryPolicy, SegmentedOptions,
    SegmentedReport, SyncAction, SyncEvent, SyncOptions, SyncProgress, SyncReport, SystemClock,
    UploadOptions, DEFAULT_MAX_SESSIONS,
};
pub use client::{Client, ServerQuirks};
pub use connection::cancel::{Cancelled, Canceller};
pub use connection::proxy::{Proxy, ProxyKind};
pub use connection::tls::parse_pin;
pub use dirlist::{Listing, ListingCursor, ListingKind, MAX_LISTING_LINE};
pub use error::{Error, Result, StopTransfer, TimeoutPhase};
pub use listing::{Entry, EntryKind};
pub use options::{
    ActiveOptions, DataMode, DataProtection, Options, PassiveMode, TlsLevel, TlsOptions,
    TlsVersion, TransferType, MAX_BLOCK_SIZE,
};
pub use protocol::hash::HashAlgorithm;
pub use protocol::{Features, Reply, Timestamp};
pub use rate::RateLimit;
pub use trace::{Trace, TraceEvent, TraceKind};
pub use transfer::{DataConnection, DataStream, Flow, ProgressFn, TransferOptions, MAX_TEXT_LINE};
pub use url::FtpUrl;
