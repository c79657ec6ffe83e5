//! Carrying out a plan: every step, in order, each path's failure reported and the others
//! going on; what the planner left to the server (is a same-size remote file current?) is
//! asked here, and local writes check again that no directory on the way became a link.

use std::fs;
use std::path::Path;

use super::plan::{times_say_current, Step, Verify};
use super::walk::{local_io, symlink_refused};
use super::{SyncAction, SyncEvent, SyncOptions, SyncProgress, SyncReport};
use crate::agent::files::{DownloadOptions, UploadOptions};
use crate::agent::Agent;
use crate::error::{Error, Result};
use crate::protocol::Timestamp;
use crate::transfer::{Flow, ProgressFn};

/// Fails when a directory between `root` (not included) and `path` (not included) is a
/// symbolic link or missing, so nothing is written through a link that appeared after the
/// plan was made.
fn check_local_parents(root: &Path, path: &Path) -> Result<()> {
    let Ok(rest) = path.strip_prefix(root) else {
        return Ok(());
    };
    let parts: Vec<_> = rest.components().collect();
    let mut current = root.to_path_buf();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        current.push(part);
        let meta = fs::symlink_metadata(&current).map_err(|e| local_io(&current, e))?;
        if meta.file_type().is_symlink() {
            return Err(symlink_refused(&current));
        }
    }
    Ok(())
}

/// Creates one directory of a mirror (its parent exists); one that is already there as a
/// real directory is fine, a symbolic link is not.
fn create_local_dir(path: &Path) -> Result<()> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(path).map_err(|e| local_io(path, e))?;
            if meta.file_type().is_symlink() {
                Err(symlink_refused(path))
            } else if meta.is_dir() {
                Ok(())
            } else {
                Err(local_io(path, e))
            }
        }
        Err(e) => Err(local_io(path, e)),
    }
}

/// Removes a local file, symbolic link (the link, never its target) or directory tree (whose
/// links are removed, not followed).
fn remove_local(path: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(path).map_err(|e| local_io(path, e))?;
    if meta.is_dir() {
        fs::remove_dir_all(path).map_err(|e| local_io(path, e))
    } else {
        fs::remove_file(path).map_err(|e| local_io(path, e))
    }
}

/// How the steps of one plan are carried out, whichever session carries each.
#[derive(Clone, Copy)]
pub(crate) struct Execution<'a> {
    pub(crate) dry_run: bool,
    /// MFMT records local times on the server (sync).
    pub(crate) mfmt: bool,
    /// A mirror's local directory: before each local write, the directories it goes through
    /// are checked again, none may have become a symbolic link since the plan was made.
    pub(crate) local_root: Option<&'a Path>,
    /// Verify every file transferred by its hash ([`SyncOptions::verify`]).
    pub(crate) verify: bool,
}

/// What came of one step.
pub(crate) struct Outcome {
    pub(crate) action: SyncAction,
    pub(crate) rel: String,
    pub(crate) result: Result<u64>,
    pub(crate) note: Option<&'static str>,
    /// What the step was planned to move (for the run's bytes done).
    pub(crate) planned: u64,
}

/// The report and the progress of a run, one outcome at a time, in the order the caller
/// hears of them.
pub(crate) struct Tally {
    pub(crate) report: SyncReport,
    files_done: u64,
    files_total: u64,
    bytes_done: u64,
    bytes_total: u64,
}

/// What a step may transfer: the local file's size for an upload, the listed size for a
/// download, nothing for the rest.
fn planned_bytes(step: &Step) -> u64 {
    match step {
        Step::Upload { local, .. } => fs::metadata(local).map_or(0, |m| m.len()),
        Step::Download { size, .. } => size.unwrap_or(0),
        _ => 0,
    }
}

impl Tally {
    pub(crate) fn new(steps: &[Step]) -> Tally {
        Tally {
            report: SyncReport::default(),
            files_done: 0,
            files_total: steps.iter().filter(|s| s.counts_as_file()).count() as u64,
            bytes_done: 0,
            bytes_total: steps.iter().map(planned_bytes).sum(),
        }
    }

    /// Where the run stands before `planned` bytes of a step move, for its progress.
    fn overall(&self, planned: u64) -> Overall {
        Overall {
            files_done: self.files_done,
            files_total: self.files_total,
            bytes_done: self.bytes_done,
            planned,
            bytes_total: self.bytes_total,
        }
    }

    /// Counts `outcome` and tells `on_event`; `Err(Aborted)` when it says stop.
    pub(crate) fn record(
        &mut self,
        outcome: Outcome,
        dry_run: bool,
        on_event: &mut Option<&mut dyn FnMut(&SyncEvent<'_>) -> Flow>,
    ) -> Result<()> {
        let Outcome {
            action,
            rel,
            result,
            note,
            planned,
        } = outcome;
        if !matches!(action, SyncAction::CreatedDirectory) {
            self.files_done += 1;
        }
        self.bytes_done += planned;
        let (action, bytes, error) = match result {
            Ok(bytes) => (action, bytes, None),
            Err(e) => (SyncAction::Failed, 0, Some(e)),
        };
        let report = &mut self.report;
        match action {
            SyncAction::Uploaded => report.uploaded += 1,
            SyncAction::Downloaded => report.downloaded += 1,
            SyncAction::Skipped => report.skipped += 1,
            SyncAction::Deleted => report.deleted += 1,
            SyncAction::CreatedDirectory => report.directories_created += 1,
            SyncAction::Failed => report.failed += 1,
        }
        if !dry_run {
            report.bytes += bytes;
        }
        if let Some(on_event) = on_event.as_mut() {
            let event = SyncEvent {
                action,
                path: &rel,
                bytes,
                error: error.as_ref(),
                note,
                dry_run,
                files_done: self.files_done,
                files_total: self.files_total,
                bytes_done: self.bytes_done,
                bytes_total: self.bytes_total,
            };
            if on_event(&event) == Flow::Stop {
                return Err(Error::Aborted {
                    context: format!("sync at {rel}"),
                });
            }
        }
        if self.report.first_error.is_none() {
            self.report.first_error = error;
        }
        Ok(())
    }
}

impl Agent {
    pub(super) fn run_steps(
        &mut self,
        steps: Vec<Step>,
        mut options: SyncOptions<'_>,
        mfmt: bool,
        local_root: Option<&Path>,
    ) -> Result<SyncReport> {
        let run = Execution {
            dry_run: options.dry_run,
            mfmt,
            local_root,
            verify: options.verify,
        };
        let mut tally = Tally::new(&steps);
        for step in steps {
            let outcome = match options.on_progress.as_mut() {
                Some(on_progress) => {
                    let rel = step_path(&step).to_string();
                    let mut progress = tally
                        .overall(planned_bytes(&step))
                        .observer(&mut **on_progress, &rel);
                    self.execute_step_with(step, run, Some(&mut *progress))
                }
                None => self.execute_step(step, run),
            };
            tally.record(outcome, run.dry_run, &mut options.on_event)?;
        }
        Ok(tally.report)
    }

    /// Carries out one step of a plan on this agent's session.
    pub(crate) fn execute_step(&mut self, step: Step, run: Execution<'_>) -> Outcome {
        self.execute_step_with(step, run, None)
    }

    /// [`Agent::execute_step`], telling `progress` of the file it moves.
    pub(crate) fn execute_step_with(
        &mut self,
        step: Step,
        run: Execution<'_>,
        mut progress: Option<&mut ProgressFn<'_>>,
    ) -> Outcome {
        let planned = planned_bytes(&step);
        let dry_run = run.dry_run;
        let mfmt = run.mfmt;
        let parents_ok = |path: &Path| match run.local_root {
            Some(root) => check_local_parents(root, path),
            None => Ok(()),
        };
        let mut note = None;
        let (action, rel, outcome): (SyncAction, String, Result<u64>) = match step {
            Step::RemoteDir { remote, rel } => {
                let r = if dry_run {
                    Ok(0)
                } else {
                    self.ensure_directory(&remote).map(|_| 0)
                };
                (SyncAction::CreatedDirectory, rel, r)
            }
            Step::LocalDir { local, rel } => {
                let r = if dry_run {
                    Ok(0)
                } else if rel.is_empty() {
                    // The directory the caller named.
                    fs::create_dir_all(&local)
                        .map(|_| 0)
                        .map_err(|e| local_io(&local, e))
                } else {
                    parents_ok(&local).and_then(|()| create_local_dir(&local).map(|_| 0))
                };
                (SyncAction::CreatedDirectory, rel, r)
            }
            Step::Upload {
                local,
                remote,
                rel,
                mtime,
                verify,
            } => {
                let current = match verify {
                    Some(verify) => self.remote_is_current(&remote, &local, mtime, verify, mfmt),
                    None => Ok(false),
                };
                match current {
                    Ok(true) => (SyncAction::Skipped, rel, Ok(0)),
                    Err(e) => (SyncAction::Uploaded, rel, Err(e)),
                    Ok(false) if dry_run => {
                        let size = fs::metadata(&local)
                            .map(|m| m.len())
                            .map_err(|e| local_io(&local, e));
                        (SyncAction::Uploaded, rel, size)
                    }
                    Ok(false) => {
                        let options = UploadOptions {
                            verify: run.verify,
                            progress: progress.as_mut().map(|p| &mut **p as &mut ProgressFn<'_>),
                            ..UploadOptions::default()
                        };
                        let r = self.upload_file(&local, &remote, options).inspect(|_| {
                            if mfmt {
                                // Best effort: the size check already passed.
                                let _ = self.session.mfmt(&remote, mtime);
                            }
                        });
                        (SyncAction::Uploaded, rel, r)
                    }
                }
            }
            Step::Download {
                remote,
                local,
                rel,
                mtime,
                size: _,
            } => {
                let r = if dry_run {
                    Ok(0)
                } else {
                    let options = DownloadOptions {
                        verify: run.verify,
                        progress: progress.as_mut().map(|p| &mut **p as &mut ProgressFn<'_>),
                        ..DownloadOptions::default()
                    };
                    parents_ok(&local)
                        .and_then(|()| self.download_file_timed(&remote, &local, options, mtime))
                };
                (SyncAction::Downloaded, rel, r)
            }
            Step::Skip { rel, note: why } => {
                note = why;
                (SyncAction::Skipped, rel, Ok(0))
            }
            Step::DeleteRemote { remote, rel, dir } => {
                let r = if dry_run {
                    Ok(0)
                } else if dir {
                    self.remove_tree(&remote).map(|_| 0)
                } else {
                    self.with_retry(|c, _| c.delete(&remote).map(|_| 0))
                };
                (SyncAction::Deleted, rel, r)
            }
            Step::DeleteLocal { local, rel } => {
                let r = if dry_run {
                    Ok(0)
                } else {
                    parents_ok(&local).and_then(|()| remove_local(&local).map(|_| 0))
                };
                (SyncAction::Deleted, rel, r)
            }
            Step::Refuse { rel, error } => (SyncAction::Failed, rel, Err(error)),
        };
        Outcome {
            action,
            rel,
            result: outcome,
            note,
            planned,
        }
    }

    /// Whether the server's copy of a file whose size matches is the local one (see
    /// [`Verify`]).
    fn remote_is_current(
        &mut self,
        remote_path: &[u8],
        local_path: &Path,
        local_mtime: Timestamp,
        verify: Verify,
        mfmt: bool,
    ) -> Result<bool> {
        if verify.hash {
            match self.with_retry(|c, _| c.remote_sha256(remote_path)) {
                Ok(remote) => return Ok(remote == crate::agent::hash::local_sha256(local_path)?),
                // The server could not hash this file: fall back to times.
                Err(e) if e.reply().is_some() => {}
                Err(e) => return Err(e),
            }
        }
        let remote_mtime = match verify.listed {
            Some(listed) => listed,
            None => {
                self.with_retry(|c, _| crate::agent::files::remote_stat(c, remote_path))?
                    .1
            }
        };
        Ok(times_say_current(remote_mtime, local_mtime, mfmt))
    }
}

/// The path a step concerns, relative to the synced directories.
fn step_path(step: &Step) -> &str {
    match step {
        Step::RemoteDir { rel, .. }
        | Step::Upload { rel, .. }
        | Step::LocalDir { rel, .. }
        | Step::Download { rel, .. }
        | Step::Skip { rel, .. }
        | Step::DeleteRemote { rel, .. }
        | Step::DeleteLocal { rel, .. }
        | Step::Refuse { rel, .. } => rel,
    }
}

/// Where a run stands when a step starts, for the progress of the file it moves.
#[derive(Clone, Copy)]
struct Overall {
    files_done: u64,
    files_total: u64,
    bytes_done: u64,
    /// What this step's file was planned to move.
    planned: u64,
    bytes_total: u64,
}

impl Overall {
    /// A transfer's progress observer that tells `on_progress` the run's progress.
    fn observer<'p>(
        self,
        on_progress: &'p mut (dyn FnMut(&SyncProgress<'_>) -> Flow + '_),
        rel: &'p str,
    ) -> Box<ProgressFn<'p>> {
        Box::new(move |done: u64, total: Option<u64>| {
            on_progress(&SyncProgress {
                path: rel,
                file_bytes: done,
                file_total: total,
                files_done: self.files_done,
                files_total: self.files_total,
                // A file that grew since it was listed cannot push the run past its total.
                bytes_done: self.bytes_done + done.min(self.planned),
                bytes_total: self.bytes_total,
            })
        })
    }
}
