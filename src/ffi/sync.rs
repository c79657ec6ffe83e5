//! Sync and mirror events as a handle with getters: the callback gets one pointer, and new
//! facts about an event become new getters instead of a new callback signature (the
//! eight-parameter `ftp_sync_cb` of `ftp_sync_directory` stays for existing callers).

use std::ffi::{c_char, c_int, c_void, CString};

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, with_agent};
use super::managed::{action_code, sync_result};
use crate::{Flow, SyncEvent, SyncOptions, SyncProgress};

/// `ftp_sync`/`ftp_mirror` flag: delete what the destination has and the source does not.
pub const FTP_SYNC_DELETE: u32 = 1;
/// `ftp_sync`/`ftp_mirror` flag: plan and report every path, change nothing.
pub const FTP_SYNC_DRY_RUN: u32 = 2;
/// `ftp_sync`/`ftp_mirror` flag: verify every file transferred by its hash (the strongest the
/// server computes: HASH, else XSHA256/XSHA1/XMD5/XCRC); a mismatch fails that path with
/// `FTP_ERR_INTEGRITY`, a server that computes none with `FTP_ERR_NOT_AVAILABLE`.
pub const FTP_SYNC_VERIFY: u32 = 4;

/// `ftp_sync`/`ftp_mirror` flag: also call the event callback while each file moves, with
/// `FTP_SYNC_PROGRESS` events (after every block): the file's bytes so far
/// (`ftp_sync_event_bytes`) and size (`ftp_sync_event_file_size`), and the run's files and
/// bytes done and in all, for a progress bar across many files.
pub const FTP_SYNC_PROGRESS_EVENTS: u32 = 8;
/// Sync event action, with `FTP_SYNC_PROGRESS_EVENTS` only: a file is moving (not done yet).
pub const FTP_SYNC_PROGRESS: i32 = 6;

/// One path a sync or mirror handled, borrowed by its callback for the call only. Read it
/// with the `ftp_sync_event_*` getters.
pub struct ftp_sync_event {
    pub(crate) action: i32,
    pub(crate) path: CString,
    pub(crate) bytes: u64,
    pub(crate) files_done: u64,
    pub(crate) files_total: u64,
    bytes_done: u64,
    bytes_total: u64,
    file_size: i64,
    dry_run: bool,
    pub(crate) error: ftp_result,
    reply_code: c_int,
    pub(crate) message: CString,
}

impl ftp_sync_event {
    /// The C form of an event; the one conversion both sync callbacks use.
    pub(crate) fn new(event: &SyncEvent<'_>) -> ftp_sync_event {
        let (error, reply_code, message) = match (event.error, event.note) {
            (Some(e), _) => (
                code_of(e),
                c_int::from(e.reply_code()),
                c_string_lossy(&e.to_string()),
            ),
            (None, Some(note)) => (FTP_OK, 0, c_string_lossy(note)),
            (None, None) => (FTP_OK, 0, CString::default()),
        };
        ftp_sync_event {
            action: action_code(event.action),
            path: c_string_lossy(event.path),
            bytes: event.bytes,
            files_done: event.files_done,
            files_total: event.files_total,
            bytes_done: event.bytes_done,
            bytes_total: event.bytes_total,
            file_size: -1,
            dry_run: event.dry_run,
            error,
            reply_code,
            message,
        }
    }

    /// The C form of a progress report (`FTP_SYNC_PROGRESS`).
    fn progress(progress: &SyncProgress<'_>) -> ftp_sync_event {
        ftp_sync_event {
            action: FTP_SYNC_PROGRESS,
            path: c_string_lossy(progress.path),
            bytes: progress.file_bytes,
            files_done: progress.files_done,
            files_total: progress.files_total,
            bytes_done: progress.bytes_done,
            bytes_total: progress.bytes_total,
            file_size: progress
                .file_total
                .map_or(-1, |t| i64::try_from(t).unwrap_or(i64::MAX)),
            dry_run: false,
            error: FTP_OK,
            reply_code: 0,
            message: CString::default(),
        }
    }
}

/// Told of every path `ftp_sync` or `ftp_mirror` handles; `event` is valid for the call only.
/// Return 0 to go on; anything else stops the run with `FTP_ERR_ABORTED`.
pub type ftp_sync_event_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const ftp_sync_event) -> c_int>;

/// Reads one field of an event; NULL gives `fallback`.
unsafe fn field<T: Copy>(
    event: *const ftp_sync_event,
    fallback: T,
    read: impl FnOnce(&ftp_sync_event) -> T,
) -> T {
    infallible(fallback, || match event.as_ref() {
        Some(event) => read(event),
        None => fallback,
    })
}

/// The event's action, `FTP_SYNC_*` (-1 for NULL).
///
/// # Safety
/// `event` must be NULL or the callback's event, during the callback.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_action(event: *const ftp_sync_event) -> i32 {
    field(event, -1, |e| e.action)
}

/// The path, relative to the synced directories and `/`-separated; borrowed from the event
/// (valid during the callback). Server names: untrusted text. "" for NULL.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_path(event: *const ftp_sync_event) -> *const c_char {
    field(event, c"".as_ptr(), |e| e.path.as_ptr())
}

/// Bytes transferred for this path.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_bytes(event: *const ftp_sync_event) -> u64 {
    field(event, 0, |e| e.bytes)
}

/// Files handled so far (uploaded, downloaded, skipped, deleted or failed), this one included.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_files_done(event: *const ftp_sync_event) -> u64 {
    field(event, 0, |e| e.files_done)
}

/// Files the run handles in all.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_files_total(event: *const ftp_sync_event) -> u64 {
    field(event, 0, |e| e.files_total)
}

/// Bytes of the run so far: the files handled (a path skipped or failed counts with its
/// planned size, so this reaches `ftp_sync_event_bytes_total` at the end), plus, in an
/// `FTP_SYNC_PROGRESS` event, the moving file's bytes so far.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_bytes_done(event: *const ftp_sync_event) -> u64 {
    field(event, 0, |e| e.bytes_done)
}

/// Bytes the run may transfer in all: the sizes of the planned uploads and downloads.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_bytes_total(event: *const ftp_sync_event) -> u64 {
    field(event, 0, |e| e.bytes_total)
}

/// In an `FTP_SYNC_PROGRESS` event, the moving file's size; -1 when unknown and in other
/// events.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_file_size(event: *const ftp_sync_event) -> i64 {
    field(event, -1, |e| e.file_size)
}

/// Whether this is a dry run (nothing was changed).
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_dry_run(event: *const ftp_sync_event) -> bool {
    field(event, false, |e| e.dry_run)
}

/// For `FTP_SYNC_FAILED`, the failure's class (`FTP_ERR_*`); else `FTP_OK`.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_error(event: *const ftp_sync_event) -> ftp_result {
    field(event, FTP_ERR_INVALID_ARGUMENT, |e| e.error)
}

/// For a failure that came from a server reply, its code; else 0.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_reply_code(event: *const ftp_sync_event) -> c_int {
    field(event, 0, |e| e.reply_code)
}

/// For `FTP_SYNC_FAILED`, the error message; for an `FTP_SYNC_SKIPPED` path that is not
/// simply up to date, why (a local symbolic link, a partial file); else "". Borrowed from the
/// event. May quote server text: untrusted.
///
/// # Safety
/// As `ftp_sync_event_action`.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync_event_message(event: *const ftp_sync_event) -> *const c_char {
    field(event, c"".as_ptr(), |e| e.message.as_ptr())
}

/// Runs `run` with `ftp`'s agent and the C event callback as the sync observer.
unsafe fn run_sync(
    function: &str,
    ftp: *mut ftp_client,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
    run: impl FnOnce(&mut crate::Agent, SyncOptions<'_>) -> crate::Result<crate::SyncReport>,
) -> FfiResult<ftp_result> {
    let known = FTP_SYNC_DELETE | FTP_SYNC_DRY_RUN | FTP_SYNC_VERIFY | FTP_SYNC_PROGRESS_EVENTS;
    if flags & !known != 0 {
        return Err(FfiError::new(
            FTP_ERR_INVALID_ARGUMENT,
            format!("{function}: unknown flags {flags:#x}"),
        ));
    }
    let report = with_agent(function, ftp, |agent| {
        let mut observer = event_cb.map(|cb| {
            move |event: &SyncEvent<'_>| {
                let event = ftp_sync_event::new(event);
                // SAFETY: the caller vouches for `cb` and `userdata` for the call.
                match unsafe { cb(userdata, &event) } {
                    0 => Flow::Continue,
                    _ => Flow::Stop,
                }
            }
        });
        let wants_progress = flags & FTP_SYNC_PROGRESS_EVENTS != 0;
        let mut progress = event_cb.filter(|_| wants_progress).map(|cb| {
            move |progress: &SyncProgress<'_>| {
                let event = ftp_sync_event::progress(progress);
                // SAFETY: the caller vouches for `cb` and `userdata` for the call.
                match unsafe { cb(userdata, &event) } {
                    0 => Flow::Continue,
                    _ => Flow::Stop,
                }
            }
        });
        let options = SyncOptions {
            delete: flags & FTP_SYNC_DELETE != 0,
            dry_run: flags & FTP_SYNC_DRY_RUN != 0,
            verify: flags & FTP_SYNC_VERIFY != 0,
            on_event: observer
                .as_mut()
                .map(|o| o as &mut dyn FnMut(&SyncEvent<'_>) -> Flow),
            on_progress: progress
                .as_mut()
                .map(|o| o as &mut dyn FnMut(&SyncProgress<'_>) -> Flow),
        };
        Ok(run(agent, options)?)
    })?;
    sync_result(function, report)
}

/// `ftp_sync_directory` with flags (`FTP_SYNC_DELETE`, `FTP_SYNC_DRY_RUN`, `FTP_SYNC_VERIFY`,
/// `FTP_SYNC_PROGRESS_EVENTS`) and an event
/// handle per path instead of eight callback parameters: makes the remote directory
/// `remote_dir` hold what `local_dir` holds. `event_cb` may be NULL. Borrows the paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_sync(
    ftp: *mut ftp_client,
    local_dir: *const c_char,
    remote_dir: *const c_char,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_sync";
    fallible(function, || {
        let local = arg_str(function, "local_dir", local_dir)?;
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        run_sync(
            function,
            ftp,
            flags,
            event_cb,
            userdata,
            |agent, options| agent.sync_directory(local, remote, options),
        )
    })
}

/// `ftp_mirror_directory` with flags and event handles, as `ftp_sync` is to
/// `ftp_sync_directory`: makes `local_dir` hold what the remote directory holds, with the
/// same refusals of unsafe names and local links. Borrows the paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_mirror(
    ftp: *mut ftp_client,
    remote_dir: *const c_char,
    local_dir: *const c_char,
    flags: u32,
    event_cb: ftp_sync_event_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_mirror";
    fallible(function, || {
        let remote = arg_bytes(function, "remote_dir", remote_dir)?;
        let local = arg_str(function, "local_dir", local_dir)?;
        run_sync(
            function,
            ftp,
            flags,
            event_cb,
            userdata,
            |agent, options| agent.mirror_directory(remote, local, options),
        )
    })
}
