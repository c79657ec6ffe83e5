//! Directories: structured listings, `mkdir -p`, and recursive sync (local to remote) and
//! mirror (remote to local), each planned first and then carried out, so a dry run reports
//! exactly what a real run would do. `walk` reads the trees, `plan` decides (no network, no
//! file system), `execute` carries the steps out, `remote` has the remote directory
//! operations.

mod execute;
mod plan;
mod remote;
mod walk;

use std::path::Path;

pub(crate) use self::execute::{Execution, Tally};
use self::plan::Compare;
pub(crate) use self::plan::Step;
use self::remote::{has_mlst, is_directory};
use super::Agent;
use crate::error::{Error, Result};
use crate::transfer::Flow;

/// What happened to one path during a sync or mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    Uploaded,
    Downloaded,
    /// Already up to date.
    Skipped,
    Deleted,
    CreatedDirectory,
    /// The operation on this path failed; the sync went on with the others.
    Failed,
}

/// Told for every path a sync or mirror handles (or, in a dry run, would handle).
#[derive(Debug)]
pub struct SyncEvent<'a> {
    pub action: SyncAction,
    /// The path relative to the synced directories, `/`-separated.
    pub path: &'a str,
    /// Bytes transferred for this path.
    pub bytes: u64,
    pub error: Option<&'a Error>,
    /// For [`SyncAction::Skipped`], why, when it is not that the path is up to date (a local
    /// symbolic link, a partial file, not a regular file or directory).
    pub note: Option<&'a str>,
    pub dry_run: bool,
    /// Files handled so far (uploaded, downloaded, skipped, deleted or failed) and in all.
    pub files_done: u64,
    pub files_total: u64,
    /// Bytes of the files handled so far and of all the files the run may transfer (the
    /// sizes of the planned uploads and downloads, as listed). A path skipped or failed counts
    /// as done with its planned size, so `bytes_done` reaches `bytes_total` at the end.
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Progress inside a sync or mirror, told while a file moves (see
/// [`SyncOptions::on_progress`]): what a progress bar across many files needs.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SyncProgress<'a> {
    /// The file moving now, relative to the synced directories, and its bytes so far and in
    /// all (when known).
    pub path: &'a str,
    pub file_bytes: u64,
    pub file_total: Option<u64>,
    /// Files handled before this one, and in all.
    pub files_done: u64,
    pub files_total: u64,
    /// Bytes of the run so far (the files handled, plus this one's so far) and in all, as in
    /// [`SyncEvent`].
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// Options of [`Client::sync_directory`] and [`Client::mirror_directory`].
#[derive(Default)]
pub struct SyncOptions<'a> {
    /// Delete what the destination has and the source does not.
    pub delete: bool,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// Told of every path; [`Flow::Stop`] ends the sync with [`Error::Aborted`].
    pub on_event: Option<&'a mut dyn FnMut(&SyncEvent<'_>) -> Flow>,
    /// Verify every file transferred by its hash, as [`crate::DownloadOptions::verify`]
    /// does: a mismatch (or a server that cannot hash) fails that path.
    pub verify: bool,
    /// Told while each file moves, after every block, with the run's overall progress;
    /// [`Flow::Stop`] ends the sync with [`Error::Aborted`].
    pub on_progress: Option<&'a mut dyn FnMut(&SyncProgress<'_>) -> Flow>,
}

/// What a sync or mirror did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub uploaded: u64,
    pub downloaded: u64,
    pub skipped: u64,
    pub deleted: u64,
    pub directories_created: u64,
    pub failed: u64,
    /// Bytes transferred in all.
    pub bytes: u64,
    /// The first failure, when any path failed.
    pub first_error: Option<Error>,
}

impl Agent {
    /// Makes the remote directory `remote_dir` (recursively) hold what the local directory
    /// `local_dir` holds: creates directories, uploads files that are missing or differ in
    /// size or modification time (MFMT then records the local time where the server has it),
    /// and with `delete` removes remote files and directories that are not present locally.
    /// Every path is reported to `on_event`; a failed path does not stop the others, and the
    /// report counts them.
    ///
    /// Local symbolic links below `local_dir` are never followed, to files or directories:
    /// each is reported as [`SyncAction::Skipped`] with a note, and a remote file of the same
    /// name is left alone. So are partial files of downloads (`.NAME.ftpc-part`) and what is
    /// neither a regular file nor a directory. The walk is bounded by
    /// [`Options::max_tree_depth`](crate::Options::max_tree_depth) and, for what the server
    /// lists, [`Options::max_tree_entries`](crate::Options::max_tree_entries) and the listing
    /// bounds; a bound that is hit fails the sync before anything is changed.
    pub fn sync_directory(
        &mut self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<[u8]>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let (steps, mfmt) =
            self.plan_sync_directory(local_dir.as_ref(), remote_dir.as_ref(), options.delete)?;
        self.run_steps(steps, options, mfmt, None)
    }

    /// The plan of a sync (see [`Agent::sync_directory`]) and whether MFMT records times.
    pub(crate) fn plan_sync_directory(
        &mut self,
        local_dir: &Path,
        remote_dir: &[u8],
        delete: bool,
    ) -> Result<(Vec<Step>, bool)> {
        let mut steps = Vec::new();
        let exists = self.with_retry(|c, _| is_directory(c, remote_dir))?;
        if !exists {
            steps.push(Step::RemoteDir {
                remote: remote_dir.to_vec(),
                rel: String::new(),
            });
        }
        let compare = Compare {
            mfmt: self.session.features()?.has("MFMT"),
            from_mlsd: has_mlst(&mut self.session)?,
            hash: self.session.select_sha256_hash()?,
        };
        self.plan_sync(local_dir, remote_dir, exists, delete, compare, &mut steps)?;
        Ok((steps, compare.mfmt))
    }

    /// The reverse of [`Client::sync_directory`]: makes `local_dir` hold what the remote
    /// directory holds. Names from the server are checked before they touch the local file
    /// system: `..`, absolute paths, separators and NUL are refused (a `Failed` event), never
    /// written; so are names of the form of partial files (`.NAME.ftpc-part`, see
    /// [`is_partial_file_name`](crate::is_partial_file_name)), which are reserved for the
    /// partial files downloads are written to.
    ///
    /// Local symbolic links below `local_dir` are never followed, written through or
    /// replaced: where the server has a file or directory of that name, the path is a
    /// `Failed` event of its own and the mirror goes on; with `delete`, a link the server does
    /// not have is removed (the link, never its target). `local_dir` itself is used as given.
    /// Directories whose MLSD `unique` fact shows them to be their own ancestor are `Failed`
    /// events (a loop), not walked. The walk is bounded as a sync's is, and a bound that is
    /// hit fails the mirror before anything is changed.
    pub fn mirror_directory(
        &mut self,
        remote_dir: impl AsRef<[u8]>,
        local_dir: impl AsRef<Path>,
        options: SyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let steps = self.plan_mirror_directory(remote_dir.as_ref(), local_dir, options.delete)?;
        self.run_steps(steps, options, false, Some(local_dir))
    }

    /// The plan of a mirror (see [`Agent::mirror_directory`]).
    pub(crate) fn plan_mirror_directory(
        &mut self,
        remote_dir: &[u8],
        local_dir: &Path,
        delete: bool,
    ) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        let exists = local_dir.is_dir();
        if !exists {
            steps.push(Step::LocalDir {
                local: local_dir.to_path_buf(),
                rel: String::new(),
            });
        }
        self.plan_mirror(remote_dir, local_dir, exists, delete, &mut steps)?;
        Ok(steps)
    }
}
