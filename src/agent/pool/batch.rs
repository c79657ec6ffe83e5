//! Parallel whole-file transfers: a list of remote/local pairs shared by N workers, each with
//! a session of the pool, each file through [`Agent::download_file`] or
//! [`Agent::upload_file`] (so with their guarantees: partial files renamed only when
//! complete, resume, retry per file), a result per file, and progress summed over workers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::{Pool, PooledAgent};
use crate::agent::{DownloadOptions, UploadOptions};
use crate::error::{Error, Result};
use crate::transfer::Flow;

/// One file of a batch: the remote path and the local one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePair {
    pub remote: Vec<u8>,
    pub local: PathBuf,
}

impl FilePair {
    pub fn new(remote: impl AsRef<[u8]>, local: impl Into<PathBuf>) -> FilePair {
        FilePair {
            remote: remote.as_ref().to_vec(),
            local: local.into(),
        }
    }
}

/// Progress of a whole batch, over all workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchProgress {
    /// Files finished (done or failed).
    pub files_done: usize,
    pub files_total: usize,
    /// Bytes transferred so far, over every file (a resumed file counts what it had).
    pub bytes_done: u64,
    /// The sum of the sizes known so far (a download learns each file's size as it starts).
    pub bytes_known: u64,
}

/// Called on the thread that started the batch while the workers transfer (a few times a
/// second, and once more at the end); [`Flow::Stop`] stops the batch (transfers in progress
/// end with [`Error::Aborted`], files not started are [`FileOutcome::NotStarted`]).
pub type BatchProgressFn<'a> = dyn FnMut(&BatchProgress) -> Flow + 'a;

/// Options of [`Pool::download_files`] and [`Pool::upload_files`].
#[derive(Default)]
pub struct BatchOptions<'a> {
    /// Workers at most (each holds one session); 0 means the pool's cap.
    pub workers: usize,
    /// Downloads: continue partial files left by an earlier run ([`DownloadOptions::resume`]).
    pub resume: bool,
    /// Uploads: to a temporary name, renamed into place ([`UploadOptions::temporary_name`]).
    pub temporary_name: bool,
    pub progress: Option<&'a mut BatchProgressFn<'a>>,
}

/// What became of one file.
#[derive(Debug)]
pub enum FileOutcome {
    /// Transferred; the file's size.
    Done(u64),
    Failed(Error),
    /// The batch stopped (cancelled, stopped by progress, or no session could be opened)
    /// before this file was started.
    NotStarted,
}

impl FileOutcome {
    pub fn is_done(&self) -> bool {
        matches!(self, FileOutcome::Done(_))
    }
}

/// The outcome of a batch: one per file, in the order of the list.
#[derive(Debug)]
pub struct BatchReport {
    pub outcomes: Vec<FileOutcome>,
    /// The index of the first file that failed, in the order failures happened.
    pub first_failed: Option<usize>,
    /// What stopped the whole batch early, if anything did: no session could be opened, a
    /// cancel, or the progress observer.
    pub stopped: Option<Error>,
}

impl BatchReport {
    /// Whether every file was transferred.
    pub fn is_success(&self) -> bool {
        self.stopped.is_none() && self.outcomes.iter().all(FileOutcome::is_done)
    }

    /// The error that counts for the batch as a whole: what stopped it, else the first
    /// file's failure (in time); `None` on success.
    pub fn first_error(&self) -> Option<&Error> {
        if let Some(stopped) = &self.stopped {
            return Some(stopped);
        }
        match self.outcomes.get(self.first_failed?) {
            Some(FileOutcome::Failed(error)) => Some(error),
            _ => None,
        }
    }

    /// Files transferred.
    pub fn done(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_done()).count()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Download,
    Upload,
}

/// The per-file settings of a batch.
struct Settings {
    resume: bool,
    temporary_name: bool,
}

/// What the workers share.
struct Run<'r> {
    files: &'r [FilePair],
    next: AtomicUsize,
    stop: AtomicBool,
    results: Mutex<Results>,
    progress: Mutex<Totals>,
    /// Signalled when progress was made or a worker ended.
    moved: Condvar,
    /// Workers that ended.
    ended: AtomicUsize,
}

struct Results {
    outcomes: Vec<Option<FileOutcome>>,
    first_failed: Option<usize>,
    stopped: Option<Error>,
}

struct Totals {
    done: Vec<u64>,
    known: Vec<Option<u64>>,
    snapshot: BatchProgress,
}

impl Pool {
    /// Downloads every remote file to its local path, with up to `options.workers` sessions
    /// at once. Each file as [`Agent::download_file`] does it; the report has every file's
    /// outcome, also when some failed or the batch was stopped.
    pub fn download_files(&self, files: &[FilePair], options: BatchOptions<'_>) -> BatchReport {
        self.run_batch(files, options, Direction::Download)
    }

    /// Uploads every local file to its remote path, as [`Pool::download_files`] downloads.
    pub fn upload_files(&self, files: &[FilePair], options: BatchOptions<'_>) -> BatchReport {
        self.run_batch(files, options, Direction::Upload)
    }

    fn run_batch(
        &self,
        files: &[FilePair],
        options: BatchOptions<'_>,
        direction: Direction,
    ) -> BatchReport {
        let cap = self.max_sessions();
        let workers = match options.workers {
            0 => cap,
            n => n.min(cap),
        }
        .min(files.len())
        .max(1);
        let run = Run {
            files,
            next: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            results: Mutex::new(Results {
                outcomes: files.iter().map(|_| None).collect(),
                first_failed: None,
                stopped: None,
            }),
            progress: Mutex::new(Totals {
                done: vec![0; files.len()],
                known: vec![None; files.len()],
                snapshot: BatchProgress {
                    files_done: 0,
                    files_total: files.len(),
                    bytes_done: 0,
                    bytes_known: 0,
                },
            }),
            moved: Condvar::new(),
            ended: AtomicUsize::new(0),
        };
        let BatchOptions {
            workers: _,
            resume,
            temporary_name,
            progress: observer,
        } = options;
        let settings = Settings {
            resume,
            temporary_name,
        };
        if !files.is_empty() {
            std::thread::scope(|scope| {
                for _ in 0..workers {
                    let run = &run;
                    let settings = &settings;
                    scope.spawn(move || {
                        self.batch_worker(run, settings, direction);
                        run.ended.fetch_add(1, Ordering::SeqCst);
                        run.moved.notify_all();
                    });
                }
                run.report_progress(workers, observer);
            });
        }
        let results = run.results.into_inner().unwrap_or_else(|p| p.into_inner());
        BatchReport {
            outcomes: results
                .outcomes
                .into_iter()
                .map(|o| o.unwrap_or(FileOutcome::NotStarted))
                .collect(),
            first_failed: results.first_failed,
            stopped: results.stopped,
        }
    }

    /// One worker: a session, then files from the shared list until none is left.
    fn batch_worker(&self, run: &Run<'_>, options: &Settings, direction: Direction) {
        let mut session: Option<PooledAgent> = None;
        loop {
            if run.stop.load(Ordering::SeqCst) {
                return;
            }
            if session.is_none() {
                match self.session() {
                    Ok(s) => session = Some(s),
                    Err(error) => {
                        // Other workers may still have sessions: only stop when none does
                        // work, which the last one to fail decides by finding files left.
                        run.stop_with(error);
                        return;
                    }
                }
            }
            let index = run.next.fetch_add(1, Ordering::SeqCst);
            let Some(pair) = run.files.get(index) else {
                return;
            };
            let agent = session.as_mut().expect("a session was taken above");
            let outcome = run.transfer(agent, index, pair, options, direction);
            let cancelled = matches!(outcome, Err(Error::Aborted { .. }))
                && (self.is_cancelled() || run.stop.load(Ordering::SeqCst));
            run.finish(index, outcome);
            if cancelled {
                return;
            }
        }
    }
}

impl Run<'_> {
    fn transfer(
        &self,
        agent: &mut PooledAgent,
        index: usize,
        pair: &FilePair,
        options: &Settings,
        direction: Direction,
    ) -> Result<u64> {
        let mut progress = |done: u64, total: Option<u64>| self.advance(index, done, total);
        match direction {
            Direction::Download => agent.download_file(
                &pair.remote,
                &pair.local,
                DownloadOptions {
                    resume: options.resume,
                    progress: Some(&mut progress),
                    ..Default::default()
                },
            ),
            Direction::Upload => agent.upload_file(
                &pair.local,
                &pair.remote,
                UploadOptions {
                    temporary_name: options.temporary_name,
                    progress: Some(&mut progress),
                    ..Default::default()
                },
            ),
        }
    }

    /// Records one file's progress.
    fn advance(&self, index: usize, done: u64, total: Option<u64>) -> Flow {
        if self.stop.load(Ordering::SeqCst) {
            return Flow::Stop;
        }
        let mut totals = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        let before = totals.done[index];
        totals.done[index] = done;
        totals.snapshot.bytes_done = totals.snapshot.bytes_done - before + done;
        if totals.known[index].is_none() {
            if let Some(total) = total {
                totals.known[index] = Some(total);
                totals.snapshot.bytes_known += total;
            }
        }
        drop(totals);
        self.moved.notify_all();
        Flow::Continue
    }

    fn finish(&self, index: usize, outcome: Result<u64>) {
        let mut results = self.results.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = match outcome {
            Ok(size) => FileOutcome::Done(size),
            Err(error) => {
                results.first_failed.get_or_insert(index);
                FileOutcome::Failed(error)
            }
        };
        results.outcomes[index] = Some(outcome);
        drop(results);
        let mut totals = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        totals.snapshot.files_done += 1;
        drop(totals);
        self.moved.notify_all();
    }

    /// On the calling thread until every worker ended: tells the observer of progress, at
    /// most every 100 ms, and once at the end.
    fn report_progress(&self, workers: usize, mut observer: Option<&mut BatchProgressFn<'_>>) {
        let mut told: Option<BatchProgress> = None;
        loop {
            let all_ended = self.ended.load(Ordering::SeqCst) >= workers;
            let totals = self.progress.lock().unwrap_or_else(|p| p.into_inner());
            let snapshot = totals.snapshot;
            if told != Some(snapshot) {
                drop(totals);
                told = Some(snapshot);
                if let Some(observer) = observer.as_deref_mut() {
                    if observer(&snapshot) == Flow::Stop && !all_ended {
                        self.stop_with(Error::Aborted {
                            context: "batch: stopped by the progress observer".into(),
                        });
                    }
                }
            } else {
                if all_ended {
                    return;
                }
                let wait = self.moved.wait_timeout(totals, Duration::from_millis(100));
                drop(wait);
                // At most ten reports a second.
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Stops the batch; the first reason is kept.
    fn stop_with(&self, error: Error) {
        self.stop.store(true, Ordering::SeqCst);
        let mut results = self.results.lock().unwrap_or_else(|p| p.into_inner());
        results.stopped.get_or_insert(error);
    }
}
