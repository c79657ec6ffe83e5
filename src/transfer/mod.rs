//! Data transfers: opening a data connection for a command, the RETR/STOR/APPE loops with
//! progress, text mode, the raw data stream (ftplib's `transfercmd`), and ABOR; one file per
//! responsibility.

mod connection;
mod copy;
mod lifecycle;
mod local;
mod stream;
mod text;
mod zero_copy;

use crate::error::Error;

pub use connection::DataConnection;
pub(crate) use connection::*;
pub use stream::DataStream;
pub use text::MAX_TEXT_LINE;
pub(crate) use text::*;

/// What an observer tells the transfer to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Told `(bytes so far, total)` after every block; the total is `None` when unknown. For a
/// resumed transfer both count from the start of the file.
pub type ProgressFn<'a> = dyn FnMut(u64, Option<u64>) -> Flow + 'a;

/// Per-transfer settings. `Default` is a whole-file transfer without progress.
#[derive(Default)]
pub struct TransferOptions<'a> {
    /// Start at this byte (REST); 0 for the whole file.
    pub offset: u64,
    /// The total size for progress, when the caller knows it (for uploads); for downloads it
    /// comes from SIZE or the server's 150 reply otherwise.
    pub total: Option<u64>,
    /// Progress observer; returning [`Flow::Stop`] ends the transfer with
    /// [`Error::Aborted`].
    pub progress: Option<&'a mut ProgressFn<'a>>,
}

/// An upload's source that ended after `sent` of the `total` bytes announced: a source that
/// failed, not a complete file (the transfer is aborted, never reported as stored).
pub(crate) fn source_ended_early(context: &str, sent: u64, total: u64) -> Error {
    Error::io(
        format!("{context}: reading the data to send"),
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("the data source ended after {sent} of the {total} bytes announced"),
        ),
    )
}

pub(crate) fn is_truncation(err: &Error) -> bool {
    matches!(err, Error::Tls { detail, .. } if detail.contains(crate::error::TRUNCATED_MARK))
}

/// Whether a reply read while keepalive NOOPs are outstanding is a NOOP's answer: 200, or a
/// refusal of the command itself.
pub(crate) fn answers_noop(code: u16) -> bool {
    matches!(code, 200 | 500..=504)
}
