//! Parallel sync and mirror, built on the agent's own [`Agent::sync_directory`] and
//! [`Agent::mirror_directory`] so that every rule of theirs (what is up to date, symbolic
//! links never followed, names from the server checked, partial files, bounds, dry run,
//! delete) holds unchanged: the source's subdirectories (one level down, two when there are
//! fewer than workers) are synced as separate jobs by the workers, each on a session of its
//! own, and then one pass over the whole tree does what is left (files above the job
//! directories, deletions of whole directories) and finds the jobs' work up to date. Its
//! events for paths the jobs handled are not repeated, so every path has one event.
//!
//! A tree with no subdirectories is one pass on one session: file-level parallelism inside a
//! directory needs the planner of `tree.rs` (plan once, hand the transfer steps to workers).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use super::Pool;
use crate::agent::{is_partial_file_name, safe_local_name, SyncAction, SyncEvent, SyncOptions};
use crate::agent::{Agent, SyncReport};
use crate::error::{Error, Result};
use crate::listing::EntryKind;
use crate::transfer::Flow;

/// Options of [`Pool::sync_directory`] and [`Pool::mirror_directory`].
#[derive(Default)]
pub struct ParallelSyncOptions<'a> {
    /// Workers at most (each holds one session); 0 means the pool's cap.
    pub workers: usize,
    /// As [`SyncOptions::delete`].
    pub delete: bool,
    /// As [`SyncOptions::dry_run`].
    pub dry_run: bool,
    /// Told of every path, on the calling thread, one event per path. `files_total` counts
    /// the files known so far: it grows while the workers plan their directories.
    /// [`Flow::Stop`] ends the run with [`Error::Aborted`].
    pub on_event: Option<&'a mut dyn FnMut(&SyncEvent<'_>) -> Flow>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Local to remote ([`Agent::sync_directory`]).
    Up,
    /// Remote to local ([`Agent::mirror_directory`]).
    Down,
}

/// One directory a worker syncs: its path on both sides and its place in the tree.
#[derive(Debug, Clone)]
struct Job {
    local: PathBuf,
    remote: Vec<u8>,
    /// `/`-separated, relative to the synced directories.
    rel: String,
}

/// An event on its way from a worker to the calling thread.
struct Forwarded {
    action: SyncAction,
    path: String,
    bytes: u64,
    error: Option<Error>,
    note: Option<String>,
    dry_run: bool,
    /// The job's own count of files, for the overall total.
    job: usize,
    job_total: u64,
}

impl Pool {
    /// [`Agent::sync_directory`] (local to remote) with several sessions at once; see the
    /// module documentation.
    pub fn sync_directory(
        &self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<[u8]>,
        options: ParallelSyncOptions<'_>,
    ) -> Result<SyncReport> {
        self.run_tree(
            local_dir.as_ref(),
            remote_dir.as_ref(),
            options,
            Direction::Up,
        )
    }

    /// [`Agent::mirror_directory`] (remote to local) with several sessions at once; see the
    /// module documentation.
    pub fn mirror_directory(
        &self,
        remote_dir: impl AsRef<[u8]>,
        local_dir: impl AsRef<Path>,
        options: ParallelSyncOptions<'_>,
    ) -> Result<SyncReport> {
        self.run_tree(
            local_dir.as_ref(),
            remote_dir.as_ref(),
            options,
            Direction::Down,
        )
    }

    fn run_tree(
        &self,
        local: &Path,
        remote: &[u8],
        options: ParallelSyncOptions<'_>,
        direction: Direction,
    ) -> Result<SyncReport> {
        let cap = self.max_sessions();
        let workers = match options.workers {
            0 => cap,
            n => n.min(cap),
        }
        .max(1);
        let mut first = self.session()?;
        let root = Job {
            local: local.to_path_buf(),
            remote: remote.to_vec(),
            rel: String::new(),
        };
        let mut jobs = if workers > 1 {
            subdirectories(&mut first, &root, direction)?
        } else {
            Vec::new()
        };
        if jobs.len() < workers {
            let mut deeper = Vec::new();
            for job in &jobs {
                let below = subdirectories(&mut first, job, direction)?;
                if below.is_empty() {
                    deeper.push(job.clone());
                } else {
                    deeper.extend(below);
                }
            }
            jobs = deeper;
        }
        drop(first);
        let mut observer = options.on_event;
        let mut state = Aggregate::default();
        let stop = AtomicBool::new(false);
        let next = AtomicUsize::new(0);
        let fatal: Mutex<Option<Error>> = Mutex::new(None);
        let (delete, dry_run) = (options.delete, options.dry_run);
        if !jobs.is_empty() {
            let (tx, rx) = mpsc::channel::<Forwarded>();
            std::thread::scope(|scope| {
                for _ in 0..workers.min(jobs.len()) {
                    let tx = tx.clone();
                    let (jobs, next, stop, fatal) = (&jobs, &next, &stop, &fatal);
                    scope.spawn(move || {
                        let mut session = match self.session() {
                            Ok(session) => session,
                            Err(error) => {
                                stop.store(true, Ordering::SeqCst);
                                fatal
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(error);
                                return;
                            }
                        };
                        loop {
                            let index = next.fetch_add(1, Ordering::SeqCst);
                            let Some(job) = jobs.get(index) else { return };
                            if stop.load(Ordering::SeqCst) {
                                return;
                            }
                            let mut forward = |event: &SyncEvent<'_>| {
                                let _ = tx.send(Forwarded::of(event, &job.rel, index));
                                if stop.load(Ordering::SeqCst) {
                                    Flow::Stop
                                } else {
                                    Flow::Continue
                                }
                            };
                            let sync = SyncOptions {
                                delete,
                                dry_run,
                                on_event: Some(&mut forward),
                            };
                            let result = run_one(&mut session, job, sync, direction);
                            if let Err(error) = result {
                                stop.store(true, Ordering::SeqCst);
                                fatal
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(error);
                                return;
                            }
                        }
                    });
                }
                drop(tx);
                for event in rx {
                    if state.deliver(&event, &mut observer) == Flow::Stop {
                        stop.store(true, Ordering::SeqCst);
                        fatal
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(Error::Aborted {
                                context: "sync: stopped by the event observer".into(),
                            });
                    }
                }
            });
        }
        if let Some(error) = fatal.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(error);
        }
        // What the jobs left: files above them, and deletions of whole directories.
        let prefixes: Vec<String> = jobs.iter().map(|j| j.rel.clone()).collect();
        let handled = |path: &str| {
            prefixes.iter().any(|p| {
                path == p || (path.starts_with(p.as_str()) && path[p.len()..].starts_with('/'))
            })
        };
        let final_job = jobs.len();
        let mut forward = |event: &SyncEvent<'_>| {
            if handled(event.path) {
                return Flow::Continue;
            }
            let event = Forwarded::of(event, "", final_job);
            state.deliver(&event, &mut observer)
        };
        let sync = SyncOptions {
            delete,
            dry_run,
            on_event: Some(&mut forward),
        };
        run_one(&mut *self.session()?, &root, sync, direction)?;
        Ok(state.report)
    }
}

fn run_one(
    agent: &mut Agent,
    job: &Job,
    options: SyncOptions<'_>,
    direction: Direction,
) -> Result<SyncReport> {
    match direction {
        Direction::Up => agent.sync_directory(&job.local, &job.remote, options),
        Direction::Down => agent.mirror_directory(&job.remote, &job.local, options),
    }
}

/// The source's subdirectories of `job` that can be synced as jobs of their own: real
/// directories (never a symbolic link, on either side), with names that are plain, UTF-8 and
/// not partial files. Whatever else is left to the final pass, which decides about it as a
/// sequential run would.
fn subdirectories(agent: &mut Agent, job: &Job, direction: Direction) -> Result<Vec<Job>> {
    let mut names: Vec<String> = Vec::new();
    match direction {
        Direction::Up => {
            let Ok(entries) = fs::read_dir(&job.local) else {
                return Ok(Vec::new());
            };
            for entry in entries.flatten() {
                let is_dir = fs::symlink_metadata(entry.path()).is_ok_and(|m| m.is_dir());
                if let (true, Some(name)) = (is_dir, entry.file_name().to_str()) {
                    names.push(name.to_string());
                }
            }
        }
        Direction::Down => {
            let entries = match agent.list_dir(&job.remote) {
                Ok(entries) => entries,
                // A missing remote directory: the final pass reports it.
                Err(Error::Permanent { .. }) => return Ok(Vec::new()),
                Err(error) => return Err(error),
            };
            for entry in entries {
                if matches!(entry.kind(), EntryKind::Dir) {
                    if let Ok(name) = std::str::from_utf8(entry.name_bytes()) {
                        names.push(name.to_string());
                    }
                }
            }
        }
    }
    names.sort();
    let mut jobs = Vec::new();
    for name in names {
        if safe_local_name(name.as_bytes()).is_err() || is_partial_file_name(name.as_bytes()) {
            continue;
        }
        let local = job.local.join(&name);
        // A local symbolic link where the job would be: never used as a job's root (the
        // final pass refuses it as a sequential mirror does).
        if fs::symlink_metadata(&local).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        let mut remote = job.remote.clone();
        if !remote.is_empty() && !remote.ends_with(b"/") {
            remote.push(b'/');
        }
        remote.extend_from_slice(name.as_bytes());
        let rel = if job.rel.is_empty() {
            name
        } else {
            format!("{}/{name}", job.rel)
        };
        jobs.push(Job { local, remote, rel });
    }
    Ok(jobs)
}

impl Forwarded {
    fn of(event: &SyncEvent<'_>, prefix: &str, job: usize) -> Forwarded {
        let path = match (prefix.is_empty(), event.path.is_empty()) {
            (true, _) => event.path.to_string(),
            (false, true) => prefix.to_string(),
            (false, false) => format!("{prefix}/{}", event.path),
        };
        Forwarded {
            action: event.action,
            path,
            bytes: event.bytes,
            error: event.error.map(copy_error),
            note: event.note.map(str::to_string),
            dry_run: event.dry_run,
            job,
            job_total: event.files_total,
        }
    }
}

/// The overall report and counts, built from the events.
#[derive(Default)]
struct Aggregate {
    report: SyncReport,
    files_done: u64,
    /// The latest `files_total` of each job.
    totals: Vec<u64>,
}

impl Aggregate {
    fn deliver<'o>(
        &mut self,
        event: &Forwarded,
        observer: &mut Option<&'o mut (dyn FnMut(&SyncEvent<'_>) -> Flow + 'o)>,
    ) -> Flow {
        let report = &mut self.report;
        match event.action {
            SyncAction::Uploaded => report.uploaded += 1,
            SyncAction::Downloaded => report.downloaded += 1,
            SyncAction::Skipped => report.skipped += 1,
            SyncAction::Deleted => report.deleted += 1,
            SyncAction::CreatedDirectory => report.directories_created += 1,
            SyncAction::Failed => {
                report.failed += 1;
                if report.first_error.is_none() {
                    report.first_error = event.error.as_ref().map(copy_error);
                }
            }
        }
        report.bytes += event.bytes;
        if event.action != SyncAction::CreatedDirectory {
            self.files_done += 1;
        }
        if self.totals.len() <= event.job {
            self.totals.resize(event.job + 1, 0);
        }
        self.totals[event.job] = event.job_total;
        let Some(observer) = observer.as_mut() else {
            return Flow::Continue;
        };
        let files_total = self.totals.iter().sum::<u64>().max(self.files_done);
        observer(&SyncEvent {
            action: event.action,
            path: &event.path,
            bytes: event.bytes,
            error: event.error.as_ref(),
            note: event.note.as_deref(),
            dry_run: event.dry_run,
            files_done: self.files_done,
            files_total,
        })
    }
}

/// A copy of an error, to hand it from a worker to the calling thread (an I/O error keeps
/// its kind and message).
pub(crate) fn copy_error(error: &Error) -> Error {
    match error {
        Error::Temporary { command, reply } => Error::Temporary {
            command: command.clone(),
            reply: reply.clone(),
        },
        Error::Permanent { command, reply } => Error::Permanent {
            command: command.clone(),
            reply: reply.clone(),
        },
        Error::UnexpectedReply { command, reply } => Error::UnexpectedReply {
            command: command.clone(),
            reply: reply.clone(),
        },
        Error::Protocol { context, detail } => Error::Protocol {
            context: context.clone(),
            detail: detail.clone(),
        },
        Error::Io { context, source } => Error::Io {
            context: context.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        Error::Timeout {
            context,
            phase,
            after,
        } => Error::Timeout {
            context: context.clone(),
            phase: *phase,
            after: *after,
        },
        Error::Tls { context, detail } => Error::Tls {
            context: context.clone(),
            detail: detail.clone(),
        },
        Error::Aborted { context } => Error::Aborted {
            context: context.clone(),
        },
        Error::InvalidArgument(text) => Error::InvalidArgument(text.clone()),
        Error::InvalidState(text) => Error::InvalidState(text.clone()),
    }
}
