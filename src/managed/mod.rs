//! The production layer: what applications built on ftplib write again and again, done once.
//! Retries with backoff and reconnects, whole-file transfers that resume and never report a
//! partial file as success, structured listings, `mkdir -p`, and directory sync and mirror.

mod files;
mod hash;
mod names;
mod retry;
mod tree;

pub use files::{is_partial_file_name, DownloadOptions, UploadOptions};
pub use names::safe_local_name;
pub(crate) use retry::RetryState;
pub use retry::{Clock, RetryEvent, RetryObserver, RetryPolicy, SystemClock};
pub use tree::{SyncAction, SyncEvent, SyncOptions, SyncReport};
