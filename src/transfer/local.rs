//! Transfers to and from a local path (ftplib's pattern of `retrbinary` into an open file),
//! with the local file opened here so that Rust and C callers get the same rules: a symbolic
//! link is never followed when writing, and a download is flushed to disk before success.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::TransferOptions;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::transfer::ProgressFn;

impl Client {
    /// RETR `remote` into the local file `local`: created, or truncated, or with `resume`
    /// appended to from its current size (REST). A symbolic link at `local` is refused, not
    /// followed. A regular file is synced to disk before this returns (a FIFO or device is
    /// written to as it is). Plain binary downloads are spliced into the file without copies
    /// through user space (see [`Client::retr_to_file`]). Returns the bytes received.
    /// For downloads that must never leave a partial file in place, see
    /// [`crate::Agent::download_file`].
    pub fn retr_to_path<'p>(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: &Path,
        resume: bool,
        progress: Option<&'p mut ProgressFn<'p>>,
    ) -> Result<u64> {
        let io_err = |e| Error::io(format!("local file {}", local.display()), e);
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(!resume)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(local)
            .map_err(io_err)?;
        let metadata = file.metadata().map_err(io_err)?;
        // Resumed at the end of what is there: by position, not O_APPEND, which splice(2)
        // refuses. (A FIFO has no position: it is written from its start, as before.)
        let offset = if resume && metadata.is_file() {
            file.seek(SeekFrom::End(0)).map_err(io_err)?
        } else {
            0
        };
        let options = TransferOptions {
            offset,
            progress,
            ..Default::default()
        };
        let received = self.retr_to_file(remote, options, &mut file)?;
        // A regular file is on disk before success is reported; a FIFO or a device has no
        // disk to sync to (fsync fails with EINVAL there).
        if metadata.is_file() {
            file.sync_all().map_err(io_err)?;
        }
        Ok(received)
    }

    /// STOR the local file `local` to `remote`, with its size as the progress total (and as
    /// the size the upload must reach). Plain binary uploads may be sent with sendfile(2) (see
    /// [`Client::stor_from_file`]). Returns the bytes sent.
    pub fn stor_from_path<'p>(
        &mut self,
        local: &Path,
        remote: impl AsRef<[u8]>,
        progress: Option<&'p mut ProgressFn<'p>>,
    ) -> Result<u64> {
        let io_err = |e| Error::io(format!("local file {}", local.display()), e);
        let mut file = File::open(local).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        let options = TransferOptions {
            total: Some(size),
            progress,
            ..Default::default()
        };
        self.stor_from_file(remote, options, &mut file)
    }
}
