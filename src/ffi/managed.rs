//! The production layer from C: retry policy and observer, resumable whole-file transfers,
//! structured listings, mkdir -p, sync and mirror.

use std::ffi::{c_char, c_int, c_void};
use std::time::Duration;

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, with_agent};
use super::listing::ftp_entry;
use super::sync::ftp_sync_event;
use super::transfer::{borrowed_file, ftp_progress_cb, progress_fn};
use crate::{
    DownloadOptions, Entry, Flow, RetryPolicy, SyncAction, SyncOptions, SyncReport, UploadOptions,
};

/// Told before each retry: the attempt that failed (from 1), its result code, the server's
/// reply code (0 when none), the message (borrowed for the call) and the wait before the next
/// attempt. Return 0 to retry; anything else vetoes it and the operation fails with that error.
pub type ftp_retry_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        attempt: u32,
        error: ftp_result,
        reply_code: c_int,
        message: *const c_char,
        delay_ms: u32,
    ) -> c_int,
>;

/// Told of every path a sync or mirror handles: the action (`FTP_SYNC_*`), the path relative
/// to the synced directories (borrowed for the call), bytes transferred for it, files handled
/// so far and in all, and for `FTP_SYNC_FAILED` the error's code and message (else `FTP_OK`
/// and a message that is "" except for an `FTP_SYNC_SKIPPED` path that is not simply up to
/// date, where it says why: a local symbolic link, a partial file). Return 0 to go on;
/// anything else stops the sync with `FTP_ERR_ABORTED`.
pub type ftp_sync_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        action: i32,
        path: *const c_char,
        bytes: u64,
        files_done: u64,
        files_total: u64,
        error: ftp_result,
        message: *const c_char,
    ) -> c_int,
>;

/// Sync event: a file was uploaded.
pub const FTP_SYNC_UPLOADED: i32 = 0;
/// Sync event: a file was downloaded.
pub const FTP_SYNC_DOWNLOADED: i32 = 1;
/// Sync event: already up to date.
pub const FTP_SYNC_SKIPPED: i32 = 2;
/// Sync event: deleted from the destination.
pub const FTP_SYNC_DELETED: i32 = 3;
/// Sync event: a directory was created.
pub const FTP_SYNC_CREATED_DIRECTORY: i32 = 4;
/// Sync event: this path failed (the others go on).
pub const FTP_SYNC_FAILED: i32 = 5;

/// A C pointer the caller promised is usable from the thread that calls back.
struct UserPtr(*mut c_void);
// SAFETY: the pointer is only handed back to the caller's own callback, on the thread of the
// call that triggers it; the caller vouches for it as for every userdata.
unsafe impl Send for UserPtr {}

impl UserPtr {
    /// A method, so closures capture the `Send` wrapper and not the raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Sets the retry policy of the production-layer calls (`ftp_download_file`,
/// `ftp_upload_file`, `ftp_dir_list`, `ftp_ensure_directory`, `ftp_sync_directory`,
/// `ftp_mirror_directory`): at most `max_attempts` attempts (1 never retries), waiting
/// `initial_delay_ms`, then `multiplier_percent`/100 times longer each time (200 doubles), at
/// most `max_delay_ms`, varied by up to `jitter_percent` either way. Defaults: 4, 500, 200,
/// 30000, 20.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_retry_policy(
    ftp: *mut ftp_client,
    max_attempts: u32,
    initial_delay_ms: u32,
    multiplier_percent: u32,
    max_delay_ms: u32,
    jitter_percent: u32,
) -> ftp_result {
    let function = "ftp_set_retry_policy";
    fallible(function, || {
        let policy = retry_policy_from_c(
            max_attempts,
            initial_delay_ms,
            multiplier_percent,
            max_delay_ms,
            jitter_percent,
        )?;
        with_agent(function, ftp, |c| {
            c.set_retry_policy(policy);
            Ok(FTP_OK)
        })
    })
}

/// The C form of a retry policy (whole milliseconds and percentages), checked by the core.
pub(crate) fn retry_policy_from_c(
    max_attempts: u32,
    initial_delay_ms: u32,
    multiplier_percent: u32,
    max_delay_ms: u32,
    jitter_percent: u32,
) -> FfiResult<RetryPolicy> {
    let policy = RetryPolicy {
        max_attempts,
        initial_delay: Duration::from_millis(u64::from(initial_delay_ms)),
        multiplier: f64::from(multiplier_percent) / 100.0,
        max_delay: Duration::from_millis(u64::from(max_delay_ms)),
        jitter: f64::from(jitter_percent) / 100.0,
    };
    policy.validate()?;
    Ok(policy)
}

/// Sets (or with NULL removes) the callback told before each retry, with `userdata`.
///
/// # Safety
/// `ftp` must be live; the callback and `userdata` valid until replaced or `ftp_close`.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_retry_callback(
    ftp: *mut ftp_client,
    retry_cb: ftp_retry_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_set_retry_callback";
    fallible(function, || {
        with_agent(function, ftp, |c| {
            c.set_retry_observer(retry_observer(retry_cb, userdata));
            Ok(FTP_OK)
        })
    })
}

/// The C retry callback as the agent's retry observer.
fn retry_observer(retry_cb: ftp_retry_cb, userdata: *mut c_void) -> Option<crate::RetryObserver> {
    let cb = retry_cb?;
    let user = UserPtr(userdata);
    Some(Box::new(move |event: &crate::RetryEvent<'_>| {
        let message = c_string_lossy(&event.error.to_string());
        let delay = u32::try_from(event.delay.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: the caller vouches for `cb` and `userdata` (see ftp_set_retry_callback).
        let veto = unsafe {
            cb(
                user.get(),
                event.attempt,
                code_of(event.error),
                c_int::from(event.error.reply_code()),
                message.as_ptr(),
                delay,
            )
        };
        if veto == 0 {
            Flow::Continue
        } else {
            Flow::Stop
        }
    }))
}

/// Downloads `remote` to `local_path` through a partial file beside it (`.NAME.ftpc-part`),
/// renamed into place only when complete and the size matches. Transient failures are
/// retried, resuming with REST after checking the remote file did not change. With `resume`,
/// a partial file left by an earlier call is continued when it is a regular file of the
/// effective user with no other link; anything else at that name (a symbolic link included)
/// is removed, never followed or written through. A `local_path` whose name has the form
/// `.NAME.ftpc-part` is refused (`FTP_ERR_INVALID_ARGUMENT`): such names are reserved for
/// partial files. Progress is cumulative (bytes of the file so far, total or -1);
/// `progress_cb` may be NULL. Borrows both paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_download_file(
    ftp: *mut ftp_client,
    remote: *const c_char,
    local_path: *const c_char,
    resume: bool,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_download_file";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let local = arg_str(function, "local_path", local_path)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            let options = DownloadOptions {
                resume,
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
                verify: false,
            };
            c.download_file(remote, local, options)?;
            Ok(FTP_OK)
        })
    })
}

/// Downloads `remote` into the open regular file `fd` (readable and writable; not closed),
/// continuing after the bytes it already holds, with the retries of `ftp_download_file`.
/// Truncate `fd` first for a fresh download.
///
/// # Safety
/// `ftp` must be live; `remote` NUL-terminated; `fd` an open regular file.
#[no_mangle]
pub unsafe extern "C" fn ftp_download_fd(
    ftp: *mut ftp_client,
    remote: *const c_char,
    fd: c_int,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_download_fd";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let mut file = borrowed_file(function, fd)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            c.download_into(
                remote,
                &mut file,
                progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
            )?;
            Ok(FTP_OK)
        })
    })
}

/// Uploads `local_path` to `remote`, retrying transient failures by continuing from the size
/// the server kept (REST+STOR or APPE), and checking the remote size at the end. With
/// `temporary_name`, uploads to `.NAME.ftpc-part` and renames on success so readers never see
/// a partial file. Borrows both paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_upload_file(
    ftp: *mut ftp_client,
    local_path: *const c_char,
    remote: *const c_char,
    temporary_name: bool,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_upload_file";
    fallible(function, || {
        let local = arg_str(function, "local_path", local_path)?;
        let remote = arg_bytes(function, "remote", remote)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            let options = UploadOptions {
                temporary_name,
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
                verify: false,
            };
            c.upload_file(local, remote, options)?;
            Ok(FTP_OK)
        })
    })
}

/// Uploads the whole open regular file `fd` (from its start; not closed) to `remote`, with
/// the retries of `ftp_upload_file`.
///
/// # Safety
/// `ftp` must be live; `remote` NUL-terminated; `fd` an open regular file.
#[no_mangle]
pub unsafe extern "C" fn ftp_upload_fd(
    ftp: *mut ftp_client,
    fd: c_int,
    remote: *const c_char,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_upload_fd";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let mut file = borrowed_file(function, fd)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            c.upload_from(
                &mut file,
                remote,
                progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
            )?;
            Ok(FTP_OK)
        })
    })
}

/// `mkdir -p`: creates each missing directory of `path`; a directory that exists (or that
/// another client creates at the same time) is success. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_ensure_directory(
    ftp: *mut ftp_client,
    path: *const c_char,
) -> ftp_result {
    let function = "ftp_ensure_directory";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        with_agent(function, ftp, |c| {
            c.ensure_directory(path)?;
            Ok(FTP_OK)
        })
    })
}

/// A directory listing as records (MLSD where offered, parsed LIST otherwise; no `.`/`..`),
/// collected whole within the bounds `ftp_options_set_max_listing_entries` and
/// `ftp_options_set_max_listing_bytes`. Free with `ftp_dir_list_free`. Independent of its
/// session once made.
pub struct ftp_dir_list {
    entries: Vec<ftp_entry>,
}

/// Lists `path` (NULL or "" for the current directory) into `*out`, with retries. A listing over
/// `ftp_options_set_max_listing_entries` or `ftp_options_set_max_listing_bytes`, or with a
/// line that fails (longer than 64 KiB, not parsable), fails whole with `FTP_ERR_PROTOCOL`
/// and `*out` is not written. Caller owns `*out`; free with `ftp_dir_list_free`. Borrows
/// `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_dir_list_open(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut *mut ftp_dir_list,
) -> ftp_result {
    let function = "ftp_dir_list_open";
    fallible(function, || {
        let path = opt_arg_bytes(path).unwrap_or_default();
        arg_ptr(function, "out", out)?;
        let entries: Vec<Entry> = with_agent(function, ftp, |c| Ok(c.list_dir(path)?))?;
        *out = ftp_dir_list {
            entries: entries.into_iter().map(ftp_entry::new).collect(),
        }
        .into_c();
        Ok(FTP_OK)
    })
}

/// The number of entries in `list` (0 for NULL).
///
/// # Safety
/// `list` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_dir_list_count(list: *const ftp_dir_list) -> usize {
    infallible(0, || {
        if list.is_null() {
            0
        } else {
            (*list).entries.len()
        }
    })
}

/// Entry `index` of `list`, borrowed from it (valid until `ftp_dir_list_free`); NULL when
/// `index` is out of range.
///
/// # Safety
/// `list` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_dir_list_entry(
    list: *const ftp_dir_list,
    index: usize,
) -> *const ftp_entry {
    infallible(std::ptr::null(), || {
        if list.is_null() {
            return std::ptr::null();
        }
        let list = &*list;
        list.entries
            .get(index)
            .map_or(std::ptr::null(), |e| e as *const ftp_entry)
    })
}

/// Frees a listing. Consumes `list`; NULL is a no-op.
///
/// # Safety
/// `list` must be NULL or from `ftp_dir_list_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_dir_list_free(list: *mut ftp_dir_list) {
    infallible((), || ftp_dir_list::free_c(list))
}

pub(crate) fn action_code(action: SyncAction) -> i32 {
    match action {
        SyncAction::Uploaded => FTP_SYNC_UPLOADED,
        SyncAction::Downloaded => FTP_SYNC_DOWNLOADED,
        SyncAction::Skipped => FTP_SYNC_SKIPPED,
        SyncAction::Deleted => FTP_SYNC_DELETED,
        SyncAction::CreatedDirectory => FTP_SYNC_CREATED_DIRECTORY,
        SyncAction::Failed => FTP_SYNC_FAILED,
    }
}

/// The C sync callback as the core's event observer.
fn sync_observer(
    cb: ftp_sync_cb,
    userdata: *mut c_void,
) -> Option<impl FnMut(&crate::SyncEvent<'_>) -> Flow> {
    cb.map(move |cb| {
        move |event: &crate::SyncEvent<'_>| {
            let e = ftp_sync_event::new(event);
            // SAFETY: the caller vouches for `cb` and `userdata` for the call.
            let stop = unsafe {
                cb(
                    userdata,
                    e.action,
                    e.path.as_ptr(),
                    e.bytes,
                    e.files_done,
                    e.files_total,
                    e.error,
                    e.message.as_ptr(),
                )
            };
            if stop == 0 {
                Flow::Continue
            } else {
                Flow::Stop
            }
        }
    })
}

/// A report with failed paths becomes the first failure, counted.
pub(crate) fn sync_result(function: &str, report: SyncReport) -> FfiResult<ftp_result> {
    match report.first_error {
        None => Ok(FTP_OK),
        Some(first) => {
            let mut err = FfiError::from(first);
            err.message = format!(
                "{function}: {} path(s) failed; the first: {}",
                report.failed, err.message
            );
            Err(err)
        }
    }
}

/// Makes the remote directory `remote_dir` hold what `local_dir` holds, recursively: creates
/// directories, uploads files missing or different in size or time, and with `delete` removes
/// remote files and directories not present locally. `dry_run` reports the plan and changes
/// nothing. Every path goes to `sync_cb` (may be NULL). A failed path does not stop the
/// others; the call then returns the first failure's code, its message counting them. Local
/// symbolic links are never followed: each is `FTP_SYNC_SKIPPED` with a message saying so.
/// The walk is bounded by `ftp_options_set_max_tree_depth`, `_max_tree_entries` and the
/// listing bounds; a bound that is hit fails the call before anything is changed.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_directory(
    ftp: *mut ftp_client,
    local_dir: *const c_char,
    remote_dir: *const c_char,
    delete: bool,
    dry_run: bool,
    sync_cb: ftp_sync_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_sync_directory";
    fallible(function, || {
        let local = arg_str(function, "local_dir", local_dir)?;
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        let report = with_agent(function, ftp, |c| {
            let mut observer = sync_observer(sync_cb, userdata);
            let options = SyncOptions {
                delete,
                dry_run,
                verify: false,
                on_progress: None,
                on_event: observer
                    .as_mut()
                    .map(|o| o as &mut dyn FnMut(&crate::SyncEvent<'_>) -> Flow),
            };
            Ok(c.sync_directory(local, remote, options)?)
        })?;
        sync_result(function, report)
    })
}

/// The reverse of `ftp_sync_directory`: makes `local_dir` hold what the remote directory
/// holds. Names from the server that are not one plain path component (`..`, absolute, with
/// separators or NUL), and names reserved for partial files (`.NAME.ftpc-part`), are refused
/// as `FTP_SYNC_FAILED` and never written. Local symbolic links below `local_dir` are never
/// followed, written through or replaced: where the server has that name, the path is
/// `FTP_SYNC_FAILED`; with `delete`, a link the server lacks is removed (the link only). A
/// directory whose MLSD `unique` fact repeats an ancestor's is `FTP_SYNC_FAILED` (a loop),
/// not walked. Bounded like `ftp_sync_directory`.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_mirror_directory(
    ftp: *mut ftp_client,
    remote_dir: *const c_char,
    local_dir: *const c_char,
    delete: bool,
    dry_run: bool,
    sync_cb: ftp_sync_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_mirror_directory";
    fallible(function, || {
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        let local = arg_str(function, "local_dir", local_dir)?;
        let report = with_agent(function, ftp, |c| {
            let mut observer = sync_observer(sync_cb, userdata);
            let options = SyncOptions {
                delete,
                dry_run,
                verify: false,
                on_progress: None,
                on_event: observer
                    .as_mut()
                    .map(|o| o as &mut dyn FnMut(&crate::SyncEvent<'_>) -> Flow),
            };
            Ok(c.mirror_directory(remote, local, options)?)
        })?;
        sync_result(function, report)
    })
}
