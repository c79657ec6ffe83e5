//! Whole-file transfers that survive failures: downloads resume with REST after checking the
//! remote file did not change, uploads continue from the size the server has, and neither
//! reports a partial file as success.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::protocol::Timestamp;
use crate::transfer::{ProgressFn, TransferOptions};

/// Options of [`Client::download_file`].
#[derive(Default)]
pub struct DownloadOptions<'a> {
    /// Continue a partial file left by an earlier, interrupted download of the same target.
    pub resume: bool,
    /// Cumulative progress over all attempts: bytes of the file so far and its total size.
    pub progress: Option<&'a mut ProgressFn<'a>>,
}

/// Options of [`Client::upload_file`].
#[derive(Default)]
pub struct UploadOptions<'a> {
    /// Upload to a temporary name beside the target and rename it into place on success, so
    /// readers never see a partial file.
    pub temporary_name: bool,
    /// Cumulative progress over all attempts.
    pub progress: Option<&'a mut ProgressFn<'a>>,
}

/// Size and modification time of a remote file; either may be unknown (no SIZE/MDTM).
type RemoteStat = (Option<u64>, Option<Timestamp>);

/// The partial file a download is written to: `.NAME.ftpc-part` beside the target.
pub(crate) fn part_path(local: &Path) -> PathBuf {
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    local.with_file_name(format!(".{name}.ftpc-part"))
}

/// The temporary remote name of an upload: `.NAME.ftpc-part` in the same directory.
fn remote_part_name(remote: &[u8]) -> Vec<u8> {
    let split = remote.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let mut out = remote[..split].to_vec();
    out.push(b'.');
    out.extend_from_slice(&remote[split..]);
    out.extend_from_slice(b".ftpc-part");
    out
}

fn local_error(context: &str, path: &Path, err: std::io::Error) -> Error {
    Error::io(format!("{context}: {}", path.display()), err)
}

impl Client {
    /// SIZE and MDTM of a remote file, each `None` when the server cannot tell (a 5xx
    /// reply); transient failures are errors.
    pub(crate) fn remote_stat(&mut self, path: &[u8]) -> Result<RemoteStat> {
        let size = known(self.size(path))?;
        let mtime = known(self.mdtm(path))?;
        Ok((size, mtime))
    }

    /// Downloads `remote` to the local path `local`: into a partial file beside it, renamed
    /// into place only when the transfer completed and the size matches the server's. On a
    /// transient failure it resumes with REST from what it already has, after checking that
    /// the remote size and modification time did not change (if they did, it starts over).
    /// Returns the file's size.
    pub fn download_file(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
        options: DownloadOptions<'_>,
    ) -> Result<u64> {
        let local = local.as_ref();
        let part = part_path(local);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(!options.resume)
            .open(&part)
            .map_err(|e| local_error("download", &part, e))?;
        let size = match self.download_into(remote.as_ref(), &mut file, options.progress) {
            Ok(size) => size,
            Err(e) => {
                // Keep what arrived for a later resume; an empty partial file helps nobody.
                if file.metadata().is_ok_and(|m| m.len() == 0) {
                    let _ = fs::remove_file(&part);
                }
                return Err(e);
            }
        };
        file.sync_all()
            .map_err(|e| local_error("download", &part, e))?;
        drop(file);
        fs::rename(&part, local).map_err(|e| local_error("download: renaming", local, e))?;
        Ok(size)
    }

    /// Downloads `remote` into `file`, continuing after the bytes `file` already holds
    /// (restarting from zero if the remote file changed or is shorter). The file is left at
    /// the downloaded size; nothing is renamed. Returns that size.
    pub fn download_into(
        &mut self,
        remote: &[u8],
        file: &mut File,
        mut progress: Option<&mut ProgressFn<'_>>,
    ) -> Result<u64> {
        let context = format!("download {}", String::from_utf8_lossy(remote));
        let io = |e| Error::io(context.clone(), e);
        let mut have = file.metadata().map_err(io)?.len();
        let mut baseline: Option<RemoteStat> = None;
        let mut expected = None;
        self.with_retry(|client, _attempt| {
            let stat = client.remote_stat(remote)?;
            let changed = baseline.is_some_and(|b| b != stat);
            let longer_than_remote = stat.0.is_some_and(|size| have > size);
            if changed || longer_than_remote {
                // What we have belongs to another version of the file.
                file.set_len(0).map_err(io)?;
                have = 0;
            }
            baseline = Some(stat);
            expected = stat.0;
            if expected == Some(have) && have > 0 {
                return Ok(());
            }
            file.seek(SeekFrom::Start(have)).map_err(io)?;
            let options = TransferOptions {
                offset: have,
                total: stat.0,
                progress: reborrow(&mut progress),
            };
            let result = client.retr_with(remote, options, &mut |block| {
                file.write_all(block)?;
                have += block.len() as u64;
                Ok(())
            });
            file.flush().map_err(io)?;
            result?;
            // A server may report success for less than the file (it changed under it, or it
            // lost track): that attempt failed, and the next one finds out why.
            match expected {
                Some(size) if have != size => Err(Error::protocol(
                    context.clone(),
                    format!("downloaded {have} bytes but the server reports {size}"),
                )),
                _ => Ok(()),
            }
        })?;
        Ok(have)
    }

    /// Uploads the local file `local` to `remote`. On a transient failure it asks the server
    /// for the size it has and continues with REST+STOR (or APPE), starting over where the
    /// server supports neither; afterwards it checks the remote size. With
    /// `temporary_name`, the upload goes to `.NAME.ftpc-part` and is renamed into place on
    /// success. Returns the file's size.
    pub fn upload_file(
        &mut self,
        local: impl AsRef<Path>,
        remote: impl AsRef<[u8]>,
        options: UploadOptions<'_>,
    ) -> Result<u64> {
        let local = local.as_ref();
        let mut file = File::open(local).map_err(|e| local_error("upload", local, e))?;
        let remote = remote.as_ref();
        let target = if options.temporary_name {
            remote_part_name(remote)
        } else {
            remote.to_vec()
        };
        let size = self.upload_from(&mut file, &target, options.progress)?;
        if options.temporary_name {
            self.with_retry(|client, _| client.rename(&target, remote).map(drop))?;
        }
        Ok(size)
    }

    /// Uploads all of `file` (from its start) to `remote` with resume on failure; see
    /// [`Client::upload_file`].
    pub fn upload_from(
        &mut self,
        file: &mut File,
        remote: &[u8],
        mut progress: Option<&mut ProgressFn<'_>>,
    ) -> Result<u64> {
        let context = format!("upload {}", String::from_utf8_lossy(remote));
        let io = |e| Error::io(context.clone(), e);
        let size = file.metadata().map_err(io)?.len();
        self.with_retry(|client, attempt| {
            // After a failure, continue from what the server kept.
            let mut offset = 0;
            if attempt > 1 {
                if let (Some(kept), _) = client.remote_stat(remote)? {
                    if kept <= size {
                        offset = kept;
                    }
                }
            }
            let features = client.features()?.clone();
            let rest = features
                .params("REST")
                .is_some_and(|p| p.eq_ignore_ascii_case("STREAM"));
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            let mut progress = reborrow(&mut progress);
            let mut shifted = |done: u64, total: Option<u64>| match progress.as_mut() {
                Some(p) => p(done, total),
                None => crate::Flow::Continue,
            };
            let result = if offset == 0 {
                client.stor_with(remote, transfer(0, size, &mut shifted), file)
            } else if rest {
                client.stor_with(remote, transfer(offset, size, &mut shifted), file)
            } else {
                // APPE continues at the end the server has; progress still counts from zero.
                let mut appended = |done: u64, total: Option<u64>| shifted(offset + done, total);
                match client.appe_with(remote, transfer(0, size, &mut appended), file) {
                    Err(e) if matches!(e, Error::Permanent { .. }) && e.reply_code() != 522 => {
                        // Neither REST nor APPE: start over.
                        file.seek(SeekFrom::Start(0)).map_err(io)?;
                        client.stor_with(remote, transfer(0, size, &mut shifted), file)
                    }
                    other => other,
                }
            };
            result?;
            match client.remote_stat(remote)?.0 {
                Some(stored) if stored != size => Err(Error::protocol(
                    context.clone(),
                    format!("the server has {stored} bytes after the upload, not {size}"),
                )),
                _ => Ok(()),
            }
        })?;
        Ok(size)
    }
}

/// `Some(value)`, or `None` when the server answered 5xx (it cannot tell).
fn known<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(Error::Permanent { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A shorter-lived borrow of an optional progress observer, for one attempt.
pub(crate) fn reborrow<'s>(
    progress: &'s mut Option<&mut ProgressFn<'_>>,
) -> Option<&'s mut ProgressFn<'s>> {
    match progress {
        Some(p) => Some(&mut **p),
        None => None,
    }
}

fn transfer<'a>(offset: u64, total: u64, progress: &'a mut ProgressFn<'a>) -> TransferOptions<'a> {
    TransferOptions {
        offset,
        total: Some(total),
        progress: Some(progress),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names() {
        assert_eq!(
            part_path(Path::new("/tmp/a/file.bin")),
            Path::new("/tmp/a/.file.bin.ftpc-part")
        );
        assert_eq!(
            remote_part_name(b"dir/sub/x.txt"),
            b"dir/sub/.x.txt.ftpc-part"
        );
        assert_eq!(remote_part_name(b"x"), b".x.ftpc-part");
    }
}
