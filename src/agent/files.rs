//! Whole-file transfers that survive failures: downloads resume with REST after checking the
//! remote file did not change, uploads continue from the size the server has, and neither
//! reports a partial file as success.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::Agent;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::protocol::Timestamp;
use crate::transfer::{ProgressFn, TransferOptions};

/// Options of [`Agent::download_file`].
#[derive(Default)]
pub struct DownloadOptions<'a> {
    /// Continue a partial file left by an earlier, interrupted download of the same target,
    /// when it is a regular file of the effective user with no other link. Whatever else has
    /// the partial file's name is removed (a symbolic link is never followed) and the download
    /// starts over.
    pub resume: bool,
    /// Cumulative progress over all attempts: bytes of the file so far and its total size.
    pub progress: Option<&'a mut ProgressFn<'a>>,
    /// After the download, compare the server's hash of the file with the partial file's
    /// (the strongest the server computes: HASH, else XSHA256/XSHA1/XMD5/XCRC). A mismatch is
    /// [`Error::Integrity`] and the partial file is removed, never renamed into place; a server
    /// that can compute none is [`Error::NotAvailable`] and the partial file is kept, not
    /// renamed.
    pub verify: bool,
}

/// Options of [`Agent::upload_file`].
#[derive(Default)]
pub struct UploadOptions<'a> {
    /// Upload to a temporary name beside the target and rename it into place on success, so
    /// readers never see a partial file.
    pub temporary_name: bool,
    /// Cumulative progress over all attempts.
    pub progress: Option<&'a mut ProgressFn<'a>>,
    /// After the upload, compare the server's hash of the file with the local file's (as
    /// [`DownloadOptions::verify`]). A mismatch is [`Error::Integrity`]; with
    /// `temporary_name` the temporary file is then not renamed into place.
    pub verify: bool,
}

/// Size and modification time of a remote file; either may be unknown (no SIZE/MDTM).
type RemoteStat = (Option<u64>, Option<Timestamp>);

/// What ends the name of every partial file: a download of `DIR/NAME` is written to
/// `DIR/.NAME.ftpc-part`.
const PART_SUFFIX: &str = ".ftpc-part";

/// The partial file a download is written to: `.NAME.ftpc-part` beside the target (built
/// from the name's bytes, so two names never share a partial file). `None` when `local` has
/// no file name (`/`, `..`).
pub(crate) fn part_path(local: &Path) -> Option<PathBuf> {
    let name = local.file_name()?;
    let mut part = OsString::from(".");
    part.push(name);
    part.push(PART_SUFFIX);
    Some(local.with_file_name(part))
}

/// Whether `name` has the form of a partial file, `.NAME.ftpc-part`: such names are
/// reserved, so a file being transferred never shares its name with another's partial file.
pub fn is_partial_file_name(name: &[u8]) -> bool {
    let suffix = PART_SUFFIX.as_bytes();
    name.len() > suffix.len() + 1 && name.starts_with(b".") && name.ends_with(suffix)
}

#[cfg(unix)]
fn name_bytes(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(name.as_bytes())
}

#[cfg(not(unix))]
fn name_bytes(name: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Owned(name.to_string_lossy().into_owned().into_bytes())
}

/// Opens the partial file `part` without ever following a symbolic link. A fresh download
/// removes whatever has the name (a link is removed, never followed) and creates a new file
/// with `O_CREAT|O_EXCL|O_NOFOLLOW`. A resumed one reuses what is there only when it is a
/// regular file of ours with no other name (owner is the effective user, one link);
/// anything else is removed and a new file created.
pub(crate) fn open_partial(part: &Path, resume: bool) -> std::io::Result<File> {
    if resume {
        if let Some(file) = open_own_partial(part)? {
            return Ok(file);
        }
    }
    match fs::symlink_metadata(part) {
        Ok(meta) if meta.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a directory has the partial file's name",
            ))
        }
        Ok(_) => fs::remove_file(part)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    options.open(part)
}

/// The partial file `part` when it may be resumed, `None` when there is none or it is not
/// ours to reuse.
fn open_own_partial(part: &Path) -> std::io::Result<Option<File>> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO planted there must not hang the open.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK);
    }
    let file = match options.open(part) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // ELOOP (a symbolic link), a directory, a file we may not write: not ours.
        Err(_) => return Ok(None),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() != 1 || meta.uid() != rustix::process::geteuid().as_raw() {
            return Ok(None);
        }
    }
    Ok(Some(file))
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

/// SIZE and MDTM of a remote file, each `None` when the server cannot tell (a 5xx reply);
/// transient failures are errors.
pub(crate) fn remote_stat(session: &mut Client, path: &[u8]) -> Result<RemoteStat> {
    let size = known(session.size(path))?;
    let mtime = known(session.mdtm(path))?;
    Ok((size, mtime))
}

impl Agent {
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
        self.download_file_timed(remote.as_ref(), local.as_ref(), options, None)
    }

    /// [`Agent::download_file`], setting the file's modification time to `mtime` (when
    /// given) on the open partial file before it is renamed into place, so no path is opened
    /// again after the rename.
    pub(crate) fn download_file_timed(
        &mut self,
        remote: &[u8],
        local: &Path,
        options: DownloadOptions<'_>,
        mtime: Option<Timestamp>,
    ) -> Result<u64> {
        let refuse =
            |why: &str| Error::InvalidArgument(format!("download to {}: {why}", local.display()));
        let part = part_path(local).ok_or_else(|| refuse("the path has no file name"))?;
        let name = local.file_name().map(name_bytes).unwrap_or_default();
        if is_partial_file_name(&name) {
            return Err(refuse(
                "names of the form .NAME.ftpc-part are reserved for partial files",
            ));
        }
        let mut file =
            open_partial(&part, options.resume).map_err(|e| local_error("download", &part, e))?;
        let size = match self.download_into(remote, &mut file, options.progress) {
            Ok(size) => size,
            Err(e) => {
                // Keep what arrived for a later resume; an empty partial file helps nobody.
                if file.metadata().is_ok_and(|m| m.len() == 0) {
                    let _ = fs::remove_file(&part);
                }
                return Err(e);
            }
        };
        if options.verify {
            if let Err(e) = self.verify_file(remote, &part) {
                if matches!(e, Error::Integrity { .. }) {
                    // A corrupt copy must not be resumed from either.
                    drop(file);
                    let _ = fs::remove_file(&part);
                }
                return Err(e);
            }
        }
        if let Some(t) = mtime {
            file.set_modified(t.to_system_time())
                .map_err(|e| local_error("download: setting the time", &part, e))?;
        }
        file.sync_all()
            .map_err(|e| local_error("download", &part, e))?;
        drop(file);
        // rename() replaces the name `local`: a symbolic link there is replaced, not followed.
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
            let stat = remote_stat(client, remote)?;
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
            // Spliced into the file when the transfer allows (Client::retr_to_file); the
            // file's position is where what arrived ends, whether the attempt failed or not.
            let result = client.retr_to_file(remote, options, file);
            have = file.stream_position().map_err(io)?;
            result?;
            // A server may report success for less than the file (it changed under it, or it
            // lost track): that attempt failed, and the next one finds out why.
            match expected {
                // An I/O error, so retry makes the next attempt.
                Some(size) if have != size => Err(short_file(
                    &context,
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
        if options.verify {
            self.verify_file(&target, local)?;
        }
        if options.temporary_name {
            self.with_retry(|client, _| client.rename(&target, remote).map(drop))?;
        }
        Ok(size)
    }

    /// Uploads all of `file` (from its start) to `remote` with resume on failure; see
    /// [`Agent::upload_file`].
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
                if let (Some(kept), _) = remote_stat(client, remote)? {
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
                client.stor_from_file(remote, transfer(0, size, &mut shifted), file)
            } else if rest {
                client.stor_from_file(remote, transfer(offset, size, &mut shifted), file)
            } else {
                // APPE continues at the end the server has; progress still counts from zero.
                let mut appended = |done: u64, total: Option<u64>| shifted(offset + done, total);
                match client.appe_from_file(remote, transfer(0, size, &mut appended), file) {
                    Err(e) if matches!(e, Error::Permanent { .. }) && e.reply_code() != 522 => {
                        // Neither REST nor APPE: start over.
                        file.seek(SeekFrom::Start(0)).map_err(io)?;
                        client.stor_from_file(remote, transfer(0, size, &mut shifted), file)
                    }
                    other => other,
                }
            };
            result?;
            match remote_stat(client, remote)?.0 {
                Some(stored) if stored != size => Err(short_file(
                    &context,
                    format!("the server has {stored} bytes after the upload, not {size}"),
                )),
                _ => Ok(()),
            }
        })?;
        Ok(size)
    }
}

impl Agent {
    /// The hash of a remote file, computed by the server (see [`Client::hash_file`]), with
    /// the agent's retry.
    pub fn hash_file(
        &mut self,
        remote: impl AsRef<[u8]>,
        algorithm: crate::HashAlgorithm,
    ) -> Result<String> {
        let remote = remote.as_ref();
        self.with_retry(|client, _| client.hash_file(remote, algorithm))
    }

    /// Compares the server's hash of `remote` (the strongest it computes) with `local`'s.
    pub(crate) fn verify_file(&mut self, remote: &[u8], local: &Path) -> Result<()> {
        let (algorithm, theirs) =
            self.with_retry(|client, _| client.hash_file_strongest(remote))?;
        let ours = super::hash::local_hash(local, algorithm)?;
        if theirs == ours {
            return Ok(());
        }
        Err(Error::Integrity {
            context: format!("verify {}", String::from_utf8_lossy(remote)),
            detail: format!(
                "the server's {} of the file is {theirs}, the local copy's is {ours}",
                algorithm.name()
            ),
        })
    }
}

/// A transfer the server called complete that left a file of the wrong size: transient (the
/// file may have changed under it, or the connection was cut), so another attempt is made.
fn short_file(context: &str, detail: String) -> Error {
    Error::io(
        context.to_string(),
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, detail),
    )
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
            part_path(Path::new("/tmp/a/file.bin")).unwrap(),
            Path::new("/tmp/a/.file.bin.ftpc-part")
        );
        assert_eq!(part_path(Path::new("/")), None);
        for reserved in [
            &b".x.ftpc-part"[..],
            b"..ftpc-part.ftpc-part",
            b".a b.ftpc-part",
        ] {
            assert!(is_partial_file_name(reserved), "{reserved:?}");
        }
        for free in [
            &b"x.ftpc-part"[..],
            b"..ftpc-part",
            b".x.ftpc-part2",
            b".ftpc-part",
        ] {
            assert!(!is_partial_file_name(free), "{free:?}");
        }
        assert_eq!(
            remote_part_name(b"dir/sub/x.txt"),
            b"dir/sub/.x.txt.ftpc-part"
        );
        assert_eq!(remote_part_name(b"x"), b".x.ftpc-part");
    }
}
