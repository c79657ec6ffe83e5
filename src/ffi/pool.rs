//! The pool handle (`ftp_pool`): many sessions to one server, shared by threads. Unlike
//! `ftp_client`, one `ftp_pool` may be used by several threads at once. Its callbacks run on
//! the thread that made the call, as every callback of the API does.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use super::boundary::*;
use super::codes::*;
use super::managed::sync_result;
use super::options::ftp_options;
use super::sync::{
    ftp_sync_event, ftp_sync_event_cb, FTP_SYNC_DELETE, FTP_SYNC_DRY_RUN, FTP_SYNC_VERIFY,
};
use super::transfer::ftp_progress_cb;
use crate::{
    BatchOptions, BatchProgress, BatchReport, FileOutcome, FilePair, Flow, Options,
    ParallelSyncOptions, Pool, PoolOptions, SegmentedOptions, SyncEvent, SyncReport,
};

/// `ftp_pool_download_files` flag: continue partial files left by an earlier run.
pub const FTP_POOL_RESUME: u32 = 1;
/// `ftp_pool_upload_files` flag: upload to `.NAME.ftpc-part` and rename into place.
pub const FTP_POOL_TEMPORARY_NAME: u32 = 2;

/// Many sessions to one server (at most 4 unless set with `ftp_pool_set_max_sessions`),
/// opened on demand and reused. Create with `ftp_pool_new` or `ftp_pool_new_url`; free with
/// `ftp_pool_free`. Safe to use from several threads at once.
pub struct ftp_pool {
    pool: Pool,
    report: Mutex<ErrorRecord>,
    /// Calls in progress; `ftp_pool_cancel` cancels only while there are some, and the last
    /// call to end clears the cancellation.
    running: Mutex<usize>,
}

impl OwnedByC for ftp_pool {}

/// Told the progress of a whole batch after every block of every file: files finished and in
/// all, bytes so far over all files, and the sum of the sizes known so far (each file's size
/// is known once its transfer started). Called on the calling thread a few times a second
/// while the workers transfer. Return 0 to go on; anything else stops the batch (the call
/// returns `FTP_ERR_ABORTED`).
pub type ftp_pool_progress_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        files_done: u64,
        files_total: u64,
        bytes_done: u64,
        bytes_known: u64,
    ) -> c_int,
>;

thread_local! {
    /// Set while one of a pool's callbacks runs on this thread.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn in_callback<R>(call: impl FnOnce() -> R) -> R {
    IN_CALLBACK.with(|flag| flag.set(true));
    let result = call();
    IN_CALLBACK.with(|flag| flag.set(false));
    result
}

fn flow(code: c_int) -> Flow {
    if code == 0 {
        Flow::Continue
    } else {
        Flow::Stop
    }
}

impl ftp_pool {
    fn new(pool: Pool) -> ftp_pool {
        ftp_pool {
            pool,
            report: Mutex::new(ErrorRecord::default()),
            running: Mutex::new(0),
        }
    }

    fn report(&self) -> MutexGuard<'_, ErrorRecord> {
        self.report.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn running(&self) -> MutexGuard<'_, usize> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one call: refused from inside the pool's own callbacks (it could wait for a
    /// session its caller holds), counted for `ftp_pool_cancel`, its outcome kept on the
    /// handle.
    fn call(
        &self,
        function: &str,
        body: impl FnOnce(&Pool) -> FfiResult<ftp_result>,
    ) -> FfiResult<ftp_result> {
        if IN_CALLBACK.with(Cell::get) {
            return Err(FfiError::new(
                FTP_ERR_BUSY,
                format!("{function}: called from inside one of the pool's callbacks"),
            ));
        }
        *self.running() += 1;
        let result = body(&self.pool);
        let mut running = self.running();
        *running -= 1;
        if *running == 0 {
            self.pool.clear_cancel();
        }
        drop(running);
        self.record(&result);
        result
    }

    /// Keeps a call's outcome on the handle.
    fn record<R>(&self, result: &FfiResult<R>) {
        let mut report = self.report();
        match result {
            Ok(_) => report.clear(),
            Err(err) => report.set(err),
        }
    }
}

/// The pool behind a handle pointer.
unsafe fn handle<'a>(function: &str, pool: *const ftp_pool) -> FfiResult<&'a ftp_pool> {
    arg_ptr(function, "pool", pool)?;
    Ok(&*pool)
}

unsafe fn options_or_default(opts: *const ftp_options) -> Options {
    if opts.is_null() {
        Options::default()
    } else {
        (*opts).options.clone()
    }
}

/// Creates a pool for `host` and `port` whose sessions log in as `user` with `password`, with
/// a copy of `opts` (NULL for the defaults; its retry policy, when set with
/// `ftp_options_set_retry_policy`, is every session's). No connection is opened yet: the first
/// transfer opens sessions. Borrows the strings for the call; the password is kept, never
/// shown.
/// Caller owns `*out`; free with `ftp_pool_free`. `*out` is written only on success.
///
/// # Safety
/// The strings must be NUL-terminated; `opts` NULL or live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_new(
    host: *const c_char,
    port: u16,
    opts: *const ftp_options,
    user: *const c_char,
    password: *const c_char,
    out: *mut *mut ftp_pool,
) -> ftp_result {
    let function = "ftp_pool_new";
    fallible(function, || {
        let host = arg_str(function, "host", host)?;
        let user = arg_str(function, "user", user)?;
        let password = opt_arg_str(function, "password", password)?.unwrap_or("");
        arg_ptr(function, "out", out)?;
        let options = options_or_default(opts);
        let pool = Pool::new(host, port, options, user, password, PoolOptions::default())?;
        *out = ftp_pool::new(pool).into_c();
        Ok(FTP_OK)
    })
}

/// Creates a pool for an `ftp://`, `ftps://` or `ftpes://` URL: its sessions log in with the
/// URL's user and password (anonymously without a user; `password` when the URL names a user
/// but no password). The scheme's TLS level replaces the one in `opts` (NULL for the
/// defaults). Caller owns `*out` (free with `ftp_pool_free`) and `*out_path`, the URL's
/// decoded path (free with `ftp_string_free`). Out-parameters are written only on success.
///
/// # Safety
/// `url` and `password` NUL-terminated (`password` may be NULL); `opts` NULL or live; `out`
/// and `out_path` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_new_url(
    url: *const c_char,
    password: *const c_char,
    opts: *const ftp_options,
    out: *mut *mut ftp_pool,
    out_path: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_pool_new_url";
    fallible(function, || {
        let url = arg_str(function, "url", url)?;
        let password = opt_arg_str(function, "password", password)?;
        arg_ptr(function, "out", out)?;
        arg_ptr(function, "out_path", out_path)?;
        let options = options_or_default(opts);
        let (pool, path) = Pool::from_url(url, password, options, PoolOptions::default())?;
        let path = owned_c_string(function, &path)?;
        *out = ftp_pool::new(pool).into_c();
        *out_path = path;
        Ok(FTP_OK)
    })
}

/// Sets how many sessions the pool opens at most (at least 1; 4 by default), and forgets a
/// lower limit learnt from a server that refused sessions for too many connections.
///
/// # Safety
/// `pool` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_set_max_sessions(pool: *mut ftp_pool, max: u32) -> ftp_result {
    let function = "ftp_pool_set_max_sessions";
    fallible(function, || {
        let pool = handle(function, pool)?;
        let result = if max == 0 {
            Err(FfiError::new(
                FTP_ERR_INVALID_ARGUMENT,
                format!("{function}: the limit must be at least 1"),
            ))
        } else {
            pool.pool.set_max_sessions(max as usize);
            Ok(FTP_OK)
        };
        pool.record(&result);
        result
    })
}

/// Reads `count` pairs of paths from C arrays.
unsafe fn file_pairs(
    function: &str,
    remote: *const *const c_char,
    local: *const *const c_char,
    count: usize,
) -> FfiResult<Vec<FilePair>> {
    if count > 0 {
        arg_ptr(function, "remote", remote)?;
        arg_ptr(function, "local", local)?;
    }
    (0..count)
        .map(|i| {
            let r = arg_bytes(function, &format!("remote[{i}]"), *remote.add(i))?;
            let l = arg_str(function, &format!("local[{i}]"), *local.add(i))?;
            Ok(FilePair::new(r, PathBuf::from(l)))
        })
        .collect()
}

/// Runs a batch and turns its report into the C results.
#[allow(clippy::too_many_arguments)] // the export's own arguments, passed on
unsafe fn batch(
    function: &str,
    pool: *mut ftp_pool,
    remote: *const *const c_char,
    local: *const *const c_char,
    count: usize,
    workers: u32,
    flags: u32,
    progress_cb: ftp_pool_progress_cb,
    userdata: *mut c_void,
    results: *mut ftp_result,
    run: fn(&Pool, &[FilePair], BatchOptions<'_>) -> BatchReport,
) -> ftp_result {
    fallible(function, || {
        let pool = handle(function, pool)?;
        let files = file_pairs(function, remote, local, count)?;
        if count > 0 {
            arg_ptr(function, "results", results)?;
        }
        pool.call(function, |p| {
            let mut observer = move |progress: &BatchProgress| -> Flow {
                let Some(cb) = progress_cb else {
                    return Flow::Continue;
                };
                // SAFETY: the caller promised the callback and userdata for the call.
                in_callback(|| unsafe {
                    flow(cb(
                        userdata,
                        progress.files_done as u64,
                        progress.files_total as u64,
                        progress.bytes_done,
                        progress.bytes_known,
                    ))
                })
            };
            let options = BatchOptions {
                workers: workers as usize,
                resume: flags & FTP_POOL_RESUME != 0,
                temporary_name: flags & FTP_POOL_TEMPORARY_NAME != 0,
                progress: Some(&mut observer),
            };
            let report = run(p, &files, options);
            for (i, outcome) in report.outcomes.iter().enumerate() {
                *results.add(i) = match outcome {
                    FileOutcome::Done(_) => FTP_OK,
                    FileOutcome::Failed(error) => code_of(error),
                    FileOutcome::NotStarted => FTP_ERR_ABORTED,
                };
            }
            match report.first_error() {
                None => Ok(FTP_OK),
                Some(error) => Err(batch_error(function, &report, error)),
            }
        })
    })
}

/// The batch's error for C: the first failure, with how many files failed.
fn batch_error(function: &str, report: &BatchReport, error: &crate::Error) -> FfiError {
    let failed = report.outcomes.len() - report.done();
    FfiError {
        code: code_of(error),
        reply_code: i32::from(error.reply_code()),
        message: format!(
            "{function}: {failed} of {} files not transferred; first: {error}",
            report.outcomes.len(),
        ),
    }
}

/// Downloads `count` files at once over the pool's sessions: `remote[i]` to the local path
/// `local[i]`, each as `ftp_download_file` does it (a partial file renamed into place only when
/// complete, retries that resume), with up to `workers` sessions (0: the pool's limit).
/// `flags`: `FTP_POOL_RESUME`. Writes every file's result to `results[i]` (`FTP_OK`, an error
/// code, or `FTP_ERR_ABORTED` for a file not started because the batch stopped), on failure
/// too: `results` is the exception to "out-parameters are written only on success". Returns
/// `FTP_OK` when every file was transferred, else the first error (the message names how many
/// failed). `progress_cb` may be NULL. Borrows the arrays and strings for the call.
///
/// # Safety
/// `pool` live; `remote` and `local` arrays of `count` NUL-terminated strings; `results`
/// writable for `count` values; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_download_files(
    pool: *mut ftp_pool,
    remote: *const *const c_char,
    local: *const *const c_char,
    count: usize,
    workers: u32,
    flags: u32,
    progress_cb: ftp_pool_progress_cb,
    userdata: *mut c_void,
    results: *mut ftp_result,
) -> ftp_result {
    let function = "ftp_pool_download_files";
    batch(
        function,
        pool,
        remote,
        local,
        count,
        workers,
        flags,
        progress_cb,
        userdata,
        results,
        Pool::download_files,
    )
}

/// Uploads `count` files at once: the local path `local[i]` to `remote[i]`, each as
/// `ftp_upload_file` does it; `flags`: `FTP_POOL_TEMPORARY_NAME`. Results and return as
/// `ftp_pool_download_files`.
///
/// # Safety
/// As `ftp_pool_download_files`.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_upload_files(
    pool: *mut ftp_pool,
    remote: *const *const c_char,
    local: *const *const c_char,
    count: usize,
    workers: u32,
    flags: u32,
    progress_cb: ftp_pool_progress_cb,
    userdata: *mut c_void,
    results: *mut ftp_result,
) -> ftp_result {
    let function = "ftp_pool_upload_files";
    batch(
        function,
        pool,
        remote,
        local,
        count,
        workers,
        flags,
        progress_cb,
        userdata,
        results,
        Pool::upload_files,
    )
}

/// Downloads one file over up to `max_segments` connections at once (0: the pool's limit):
/// each reads a byte range (REST, RETR, ABOR at its end) into one partial file beside
/// `local_path`, renamed into place once every byte is there and the size (and the server's
/// SHA-256, where it offers HASH) checked. Starts with 2 connections and adds more while the
/// throughput rises; one stream where the server has no REST or the file is small (under
/// 2 MiB). A range whose connection fails resumes on its own. Writes the connections used at
/// most to `*out_connections` on success (may be NULL). Progress counts bytes of the whole
/// file; `progress_cb` may be NULL.
///
/// # Safety
/// `pool` live; the paths NUL-terminated; the callback valid for the call; `out_connections`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_download_segmented(
    pool: *mut ftp_pool,
    remote: *const c_char,
    local_path: *const c_char,
    max_segments: u32,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
    out_connections: *mut u32,
) -> ftp_result {
    let function = "ftp_pool_download_segmented";
    fallible(function, || {
        let pool = handle(function, pool)?;
        let remote = arg_bytes(function, "remote", remote)?;
        let local = arg_str(function, "local_path", local_path)?;
        pool.call(function, |p| {
            let mut observer = move |done: u64, total: u64| -> Flow {
                let Some(cb) = progress_cb else {
                    return Flow::Continue;
                };
                let total = i64::try_from(total).unwrap_or(-1);
                // SAFETY: the caller promised the callback and userdata for the call.
                in_callback(|| unsafe { flow(cb(userdata, done, total)) })
            };
            let options = SegmentedOptions {
                max_segments: max_segments as usize,
                progress: Some(&mut observer),
                ..SegmentedOptions::default()
            };
            let report = p.download_segmented(remote, local, options)?;
            if !out_connections.is_null() {
                *out_connections = u32::try_from(report.connections).unwrap_or(u32::MAX);
            }
            Ok(FTP_OK)
        })
    })
}

/// Runs a parallel sync or mirror with the C event callback as its observer.
unsafe fn run_tree(
    function: &str,
    pool: *mut ftp_pool,
    workers: u32,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
    run: impl FnOnce(&Pool, ParallelSyncOptions<'_>) -> crate::Result<SyncReport>,
) -> FfiResult<ftp_result> {
    let pool = handle(function, pool)?;
    if flags & !(FTP_SYNC_DELETE | FTP_SYNC_DRY_RUN | FTP_SYNC_VERIFY) != 0 {
        return Err(FfiError::new(
            FTP_ERR_INVALID_ARGUMENT,
            format!("{function}: unknown flags {flags:#x}"),
        ));
    }
    pool.call(function, |p| {
        let mut observer = move |event: &SyncEvent<'_>| -> Flow {
            let Some(cb) = event_cb else {
                return Flow::Continue;
            };
            let event = ftp_sync_event::new(event);
            // SAFETY: the caller vouches for `cb` and `userdata` for the call.
            in_callback(|| flow(unsafe { cb(userdata, &event) }))
        };
        let options = ParallelSyncOptions {
            workers: workers as usize,
            delete: flags & FTP_SYNC_DELETE != 0,
            dry_run: flags & FTP_SYNC_DRY_RUN != 0,
            verify: flags & FTP_SYNC_VERIFY != 0,
            on_event: Some(&mut observer),
        };
        let report = run(p, options)?;
        sync_result(function, report)
    })
}

/// `ftp_sync` with up to `workers` sessions of the pool at once (0: the pool's limit): makes
/// the remote directory `remote_dir` hold what `local_dir` holds, with the same rules, flags
/// (`FTP_SYNC_DELETE`, `FTP_SYNC_DRY_RUN`, `FTP_SYNC_VERIFY`) and one event per path, on the
/// calling thread.
/// The tree is planned once on one session; its transfers are spread over the others (files
/// of one directory as well as directories), while directories are made and paths deleted in
/// the plan's order. A failed path does not stop the others; the call
/// then returns the first failure's code. Borrows the paths.
///
/// # Safety
/// `pool` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_sync(
    pool: *mut ftp_pool,
    local_dir: *const c_char,
    remote_dir: *const c_char,
    workers: u32,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_pool_sync";
    fallible(function, || {
        let local = arg_str(function, "local_dir", local_dir)?;
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        run_tree(
            function,
            pool,
            workers,
            flags,
            event_cb,
            userdata,
            |p, options| p.sync_directory(local, remote, options),
        )
    })
}

/// `ftp_mirror` with up to `workers` sessions at once, as `ftp_pool_sync` is to `ftp_sync`:
/// makes `local_dir` hold what the remote directory holds, with the same refusals of unsafe
/// names and local links. Borrows the paths.
///
/// # Safety
/// `pool` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_mirror(
    pool: *mut ftp_pool,
    remote_dir: *const c_char,
    local_dir: *const c_char,
    workers: u32,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_pool_mirror";
    fallible(function, || {
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        let local = arg_str(function, "local_dir", local_dir)?;
        run_tree(
            function,
            pool,
            workers,
            flags,
            event_cb,
            userdata,
            |p, options| p.mirror_directory(remote, local, options),
        )
    })
}

/// Stops every call in progress on `pool` from any thread: their sessions are cut and they
/// return `FTP_ERR_ABORTED` soon. Returns `FTP_OK` when calls were running and `FTP_DONE`
/// when none was (nothing happens then). Once the last cancelled call has returned, the pool
/// works again, opening new sessions.
///
/// # Safety
/// `pool` must be live (not freed while this runs).
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_cancel(pool: *const ftp_pool) -> ftp_result {
    let function = "ftp_pool_cancel";
    fallible(function, || {
        let pool = handle(function, pool)?;
        let running = pool.running();
        if *running == 0 {
            return Ok(FTP_DONE);
        }
        pool.pool.cancel();
        Ok(FTP_OK)
    })
}

/// The result code of the last call on `pool` that ended (`FTP_OK` after a success;
/// `FTP_ERR_INVALID_ARGUMENT` for NULL). With several threads on one pool, the thread's own
/// `ftp_last_error_code` is the one to read.
///
/// # Safety
/// `pool` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_errcode(pool: *const ftp_pool) -> ftp_result {
    infallible(FTP_ERR_PANIC, || match pool.as_ref() {
        Some(pool) => pool.report().code,
        None => FTP_ERR_INVALID_ARGUMENT,
    })
}

/// The server reply code behind the last failure on `pool` (0 when none, or for NULL).
///
/// # Safety
/// `pool` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_errreply(pool: *const ftp_pool) -> c_int {
    infallible(0, || {
        pool.as_ref().map_or(0, |pool| pool.report().reply_code)
    })
}

/// The message of the last failed call on `pool` ("" after a success). Owned by `pool`,
/// valid until the next call on `pool` from any thread. Never NULL.
///
/// # Safety
/// `pool` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_errmsg(pool: *const ftp_pool) -> *const c_char {
    infallible(c"".as_ptr(), || match pool.as_ref() {
        Some(pool) => pool.report().message.as_ptr(),
        None => c"ftp_pool_errmsg: argument `pool` is NULL".as_ptr(),
    })
}

/// Closes every idle session (QUIT is not awaited) and frees the pool. NULL is a no-op.
/// Every call on `pool` must have returned.
///
/// # Safety
/// `pool` must be NULL or from `ftp_pool_new`/`ftp_pool_new_url`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_pool_free(pool: *mut ftp_pool) {
    infallible((), || ftp_pool::free_c(pool))
}
