//! Parallel sync and mirror. The tree is planned once, on one session, exactly as
//! [`Agent::sync_directory`] and [`Agent::mirror_directory`] plan it, so every rule of theirs
//! holds unchanged (what is up to date, symbolic links never followed, names from the server
//! checked, partial files, bounds, dry run, delete). The calling thread then goes through the
//! plan in its order: each transfer (an upload or a download, with the check of a same-size
//! remote file the plan left to the server) goes to the next free worker, each on a session of
//! its own; the rest it does itself, on the planning session, so a directory is made before
//! anything goes into it and a path is deleted before a file of another type takes its place.
//! Files of one directory are spread over the workers as well as directories. Events come on
//! the calling thread, one per path, with the exact total from the start.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use super::{Pool, PooledAgent};
use crate::agent::tree::{Execution, Step, Tally};
use crate::agent::{SyncEvent, SyncReport};
use crate::error::{Error, Result};
use crate::transfer::Flow;

/// Options of [`Pool::sync_directory`] and [`Pool::mirror_directory`].
#[derive(Default)]
pub struct ParallelSyncOptions<'a> {
    /// Sessions at most, the planning one included (each worker holds one); 0 means the
    /// pool's cap.
    pub workers: usize,
    /// As [`crate::SyncOptions::delete`].
    pub delete: bool,
    /// As [`crate::SyncOptions::dry_run`].
    pub dry_run: bool,
    /// As [`crate::SyncOptions::verify`]: every file transferred is checked by its hash.
    pub verify: bool,
    /// Told of every path, on the calling thread, one event per path, in the order the
    /// outcomes arrive. [`Flow::Stop`] ends the run with [`Error::Aborted`].
    pub on_event: Option<&'a mut dyn FnMut(&SyncEvent<'_>) -> Flow>,
}

/// How long the calling thread waits for a worker's outcome before it looks for work it can
/// do itself (when every worker has gone).
const POLL: Duration = Duration::from_millis(50);

impl Pool {
    /// [`Agent::sync_directory`] (local to remote) with several sessions at once; see the
    /// module documentation.
    pub fn sync_directory(
        &self,
        local_dir: impl AsRef<Path>,
        remote_dir: impl AsRef<[u8]>,
        options: ParallelSyncOptions<'_>,
    ) -> Result<SyncReport> {
        let mut planner = self.session()?;
        let (steps, mfmt) =
            planner.plan_sync_directory(local_dir.as_ref(), remote_dir.as_ref(), options.delete)?;
        let run = Execution {
            dry_run: options.dry_run,
            mfmt,
            local_root: None,
            verify: options.verify,
        };
        self.execute_plan(planner, steps, run, options)
    }

    /// [`Agent::mirror_directory`] (remote to local) with several sessions at once; see the
    /// module documentation.
    pub fn mirror_directory(
        &self,
        remote_dir: impl AsRef<[u8]>,
        local_dir: impl AsRef<Path>,
        options: ParallelSyncOptions<'_>,
    ) -> Result<SyncReport> {
        let local_dir = local_dir.as_ref();
        let mut planner = self.session()?;
        let steps =
            planner.plan_mirror_directory(remote_dir.as_ref(), local_dir, options.delete)?;
        let run = Execution {
            dry_run: options.dry_run,
            mfmt: false,
            local_root: Some(local_dir),
            verify: options.verify,
        };
        self.execute_plan(planner, steps, run, options)
    }

    fn execute_plan(
        &self,
        mut planner: PooledAgent,
        steps: Vec<Step>,
        run: Execution<'_>,
        options: ParallelSyncOptions<'_>,
    ) -> Result<SyncReport> {
        let cap = self.max_sessions();
        let sessions = match options.workers {
            0 => cap,
            n => n.min(cap),
        }
        .max(1);
        let transfers = steps.iter().filter(|s| is_transfer(s)).count();
        let helpers = (sessions - 1).min(transfers);
        let mut on_event = options.on_event;
        let mut tally = Tally::new(&steps);
        if helpers == 0 {
            for step in steps {
                let outcome = planner.execute_step(step, run);
                tally.record(outcome, run.dry_run, &mut on_event)?;
            }
            return Ok(tally.report);
        }
        let stop = AtomicBool::new(false);
        let (work_tx, work_rx) = mpsc::channel::<Step>();
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = mpsc::channel();
        let result = std::thread::scope(|scope| {
            for _ in 0..helpers {
                let done_tx = done_tx.clone();
                let (work_rx, stop) = (&work_rx, &stop);
                scope.spawn(move || {
                    // A worker without a session leaves its share to the others (and, when
                    // none is left, to the calling thread).
                    let Ok(mut session) = self.session() else {
                        return;
                    };
                    loop {
                        let next = work_rx
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .recv_timeout(POLL);
                        let step = match next {
                            Ok(step) => step,
                            Err(mpsc::RecvTimeoutError::Timeout) => continue,
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        };
                        if stop.load(Ordering::SeqCst) {
                            return;
                        }
                        if done_tx.send(session.execute_step(step, run)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut record = |outcome| {
                let recorded = tally.record(outcome, run.dry_run, &mut on_event);
                if recorded.is_err() {
                    stop.store(true, Ordering::SeqCst);
                }
                recorded
            };
            let mut outstanding = 0usize;
            for step in steps {
                if is_transfer(&step) {
                    // Cannot fail while this thread holds the receiver's other end alive.
                    let _ = work_tx.send(step);
                    outstanding += 1;
                } else {
                    record(planner.execute_step(step, run))?;
                }
                while let Ok(outcome) = done_rx.try_recv() {
                    outstanding -= 1;
                    record(outcome)?;
                }
            }
            drop(work_tx);
            while outstanding > 0 {
                match done_rx.recv_timeout(POLL) {
                    Ok(outcome) => {
                        outstanding -= 1;
                        record(outcome)?;
                    }
                    // Every worker may have gone (no session): do what is left here.
                    Err(_) => {
                        let left = work_rx.try_lock().ok().and_then(|rx| rx.try_recv().ok());
                        if let Some(step) = left {
                            outstanding -= 1;
                            record(planner.execute_step(step, run))?;
                        }
                    }
                }
            }
            Ok::<(), Error>(())
        });
        result?;
        Ok(tally.report)
    }
}

/// A step a worker carries out on its own session: a whole-file transfer.
fn is_transfer(step: &Step) -> bool {
    matches!(step, Step::Upload { .. } | Step::Download { .. })
}
