//! Transfers with C callbacks: RETR/STOR/APPE, text lines, local files and descriptors.

use std::ffi::{c_char, c_int, c_void};
use std::fs::File;
use std::io::{self, Read};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::path::Path;

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, with_data_session};
use crate::{Client, Flow, StopTransfer, TransferOptions};

/// Receives downloaded data: `len` bytes at `data`, borrowed for the call only. Return 0 to
/// continue; anything else stops the transfer (ABOR is sent, the session stays usable) and
/// the call returns `FTP_ERR_ABORTED`.
pub type ftp_write_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, data: *const u8, len: usize) -> c_int>;

/// Supplies data to upload: write at most `capacity` bytes to `buffer` and their count to
/// `*out_len`; a count of 0 (with 0 returned) is the end of the data. Return 0 to continue;
/// anything else stops the transfer (ABOR; the data connection is reset, not closed, so the
/// server cannot take it for the end of the file) and the call returns `FTP_ERR_ABORTED`.
/// A source that fails (a read error, an exception in a binding) must return non-zero, never
/// report an early end: when the upload's `total` is known, an end before it is an
/// `FTP_ERR_IO` error, never success.
pub type ftp_read_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        buffer: *mut u8,
        capacity: usize,
        out_len: *mut usize,
    ) -> c_int,
>;

/// Told the bytes transferred so far and the total (-1 when unknown) after every block; for
/// a resumed transfer both count from the start of the file. Return 0 to continue; anything
/// else stops the transfer and the call returns `FTP_ERR_ABORTED`.
pub type ftp_progress_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, transferred: u64, total: i64) -> c_int>;

/// Receives one line without its line ending: `len` bytes at `line`, followed by a NUL
/// (borrowed for the call only). Return 0 to continue; anything else stops the listing or
/// transfer and the call returns `FTP_ERR_ABORTED`.
pub type ftp_line_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, line: *const c_char, len: usize) -> c_int>;

fn stop_if(code: c_int) -> io::Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(StopTransfer::io_error())
    }
}

/// Turns an optional C progress callback into the core's observer.
pub(crate) fn progress_fn(
    cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> Option<impl FnMut(u64, Option<u64>) -> Flow> {
    cb.map(move |cb| {
        move |done: u64, total: Option<u64>| {
            let total = total.and_then(|t| i64::try_from(t).ok()).unwrap_or(-1);
            // SAFETY: the caller promised `cb` and `userdata` are valid for the call.
            if unsafe { cb(userdata, done, total) } == 0 {
                Flow::Continue
            } else {
                Flow::Stop
            }
        }
    })
}

/// Reads from a C read callback.
struct CallbackSource {
    cb: unsafe extern "C" fn(*mut c_void, *mut u8, usize, *mut usize) -> c_int,
    userdata: *mut c_void,
}

impl Read for CallbackSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0usize;
        // SAFETY: `buf` is valid for `buf.len()` bytes; the caller vouches for `cb`.
        let code = unsafe { (self.cb)(self.userdata, buf.as_mut_ptr(), buf.len(), &mut n) };
        stop_if(code)?;
        if n > buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the read callback reported more bytes than the buffer holds",
            ));
        }
        Ok(n)
    }
}

/// The caller's open descriptor as a `File` that is never closed here (borrowed).
///
/// # Safety
/// `fd` must be an open descriptor for the duration of the call.
pub(crate) unsafe fn borrowed_file(function: &str, fd: c_int) -> FfiResult<ManuallyDrop<File>> {
    if fd < 0 {
        return Err(FfiError::new(
            FTP_ERR_INVALID_ARGUMENT,
            format!("{function}: fd {fd} is not a descriptor"),
        ));
    }
    Ok(ManuallyDrop::new(File::from_raw_fd(fd)))
}

fn total_of(total: i64) -> Option<u64> {
    u64::try_from(total).ok()
}

/// RETR `path` from byte `offset` (0 for the whole file), handing every block to `write_cb`
/// and progress to `progress_cb` (may be NULL), both with `userdata`. In ASCII mode line ends
/// arrive as LF. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callbacks valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_retr(
    ftp: *mut ftp_client,
    path: *const c_char,
    offset: u64,
    write_cb: ftp_write_cb,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_retr";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        let write_cb = write_cb.ok_or_else(|| FfiError::null(function, "write_cb"))?;
        with_data_session(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            let options = TransferOptions {
                offset,
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
                ..Default::default()
            };
            c.retr_with(path, options, &mut |block| {
                stop_if(write_cb(userdata, block.as_ptr(), block.len()))
            })?;
            Ok(FTP_OK)
        })
    })
}

/// The C side of an upload: where the data comes from and who hears of progress.
struct UploadCallbacks {
    read_cb: ftp_read_cb,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
}

unsafe fn upload(
    function: &str,
    ftp: *mut ftp_client,
    path: *const c_char,
    offset: u64,
    total: i64,
    append: bool,
    callbacks: UploadCallbacks,
) -> ftp_result {
    let UploadCallbacks {
        read_cb,
        progress_cb,
        userdata,
    } = callbacks;
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        let read_cb = read_cb.ok_or_else(|| FfiError::null(function, "read_cb"))?;
        with_data_session(function, ftp, |c| {
            let mut source = CallbackSource {
                cb: read_cb,
                userdata,
            };
            let mut progress = progress_fn(progress_cb, userdata);
            let options = TransferOptions {
                offset,
                total: total_of(total),
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
            };
            if append {
                c.appe_with(path, options, &mut source)?;
            } else {
                c.stor_with(path, options, &mut source)?;
            }
            Ok(FTP_OK)
        })
    })
}

/// STOR `path`, starting at byte `offset` of the remote file (REST; 0 for a whole file), with
/// data from `read_cb`. `total` is the file's whole size (-1 when unknown): progress reports
/// it, and a source that ends before it fails the call with `FTP_ERR_IO` (the transfer is
/// aborted). `progress_cb` may be NULL. In ASCII mode LF is sent as CRLF. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callbacks valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_stor(
    ftp: *mut ftp_client,
    path: *const c_char,
    offset: u64,
    total: i64,
    read_cb: ftp_read_cb,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let callbacks = UploadCallbacks {
        read_cb,
        progress_cb,
        userdata,
    };
    upload("ftp_stor", ftp, path, offset, total, false, callbacks)
}

/// APPE: appends data from `read_cb` to `path` (after REST `offset` when not 0). As
/// `ftp_stor` otherwise.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callbacks valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_appe(
    ftp: *mut ftp_client,
    path: *const c_char,
    offset: u64,
    total: i64,
    read_cb: ftp_read_cb,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let callbacks = UploadCallbacks {
        read_cb,
        progress_cb,
        userdata,
    };
    upload("ftp_appe", ftp, path, offset, total, true, callbacks)
}

/// Hands each line to a C line callback, NUL-terminated.
fn line_sink(
    cb: unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> c_int,
    userdata: *mut c_void,
) -> impl FnMut(&[u8]) -> Flow {
    let mut buf: Vec<u8> = Vec::new();
    move |line: &[u8]| {
        buf.clear();
        buf.extend_from_slice(line);
        buf.push(0);
        // SAFETY: `buf` holds `line.len()` bytes and a NUL; the caller vouches for `cb`.
        if unsafe { cb(userdata, buf.as_ptr().cast(), line.len()) } == 0 {
            Flow::Continue
        } else {
            Flow::Stop
        }
    }
}

/// Runs `command` (RETR, LIST, NLST, ...) in TYPE A and hands each line to `line_cb`
/// (ftplib's `retrlines`). Borrows `command`.
///
/// # Safety
/// `ftp` must be live; `command` NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_retr_lines(
    ftp: *mut ftp_client,
    command: *const c_char,
    line_cb: ftp_line_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_retr_lines";
    fallible(function, || {
        let command = arg_bytes(function, "command", command)?;
        let cb = line_cb.ok_or_else(|| FfiError::null(function, "line_cb"))?;
        with_data_session(function, ftp, |c| {
            c.retr_lines(command, &mut line_sink(cb, userdata))?;
            Ok(FTP_OK)
        })
    })
}

/// Stores text from `read_cb` in TYPE A, sending every line end as CRLF (ftplib's
/// `storlines`). Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_stor_lines(
    ftp: *mut ftp_client,
    path: *const c_char,
    read_cb: ftp_read_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_stor_lines";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        let read_cb = read_cb.ok_or_else(|| FfiError::null(function, "read_cb"))?;
        with_data_session(function, ftp, |c| {
            let mut source = io::BufReader::new(CallbackSource {
                cb: read_cb,
                userdata,
            });
            c.stor_lines(path, &mut source)?;
            Ok(FTP_OK)
        })
    })
}

unsafe fn list_with(
    function: &str,
    verb: &str,
    ftp: *mut ftp_client,
    path: *const c_char,
    line_cb: ftp_line_cb,
    userdata: *mut c_void,
) -> ftp_result {
    fallible(function, || {
        let path = opt_arg_bytes(path);
        let cb = line_cb.ok_or_else(|| FfiError::null(function, "line_cb"))?;
        with_data_session(function, ftp, |c| {
            let mut sink = line_sink(cb, userdata);
            if verb == "LIST" {
                c.list_lines(path, &mut sink)?;
            } else {
                for name in c.nlst(path)? {
                    if sink(name.as_bytes()) == Flow::Stop {
                        return Err(crate::Error::Aborted {
                            context: "NLST".into(),
                        }
                        .into());
                    }
                }
            }
            Ok(FTP_OK)
        })
    })
}

/// LIST: hands each raw listing line of `path` (NULL or "" for the current directory) to `line_cb`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_list(
    ftp: *mut ftp_client,
    path: *const c_char,
    line_cb: ftp_line_cb,
    userdata: *mut c_void,
) -> ftp_result {
    list_with("ftp_list", "LIST", ftp, path, line_cb, userdata)
}

/// NLST: hands each name in `path` (NULL or "" for the current directory) to `line_cb`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_nlst(
    ftp: *mut ftp_client,
    path: *const c_char,
    line_cb: ftp_line_cb,
    userdata: *mut c_void,
) -> ftp_result {
    list_with("ftp_nlst", "NLST", ftp, path, line_cb, userdata)
}

/// Downloads `remote` into the local file `local_path` (created or truncated; appended from
/// its current length when `resume` is true, with REST). `progress_cb` may be NULL. Borrows
/// both paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_retr_file(
    ftp: *mut ftp_client,
    remote: *const c_char,
    local_path: *const c_char,
    resume: bool,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_retr_file";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let local = arg_str(function, "local_path", local_path)?;
        let mut progress = progress_fn(progress_cb, userdata);
        let progress = progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>);
        with_data_session(function, ftp, |c| {
            c.retr_to_path(remote, Path::new(local), resume, progress)?;
            Ok(FTP_OK)
        })
    })
}

/// RETR into a local file or descriptor: spliced without copies through user space when the
/// transfer and the descriptor allow it (`Client::retr_to_file`).
fn retr_into(
    c: &mut Client,
    remote: &[u8],
    offset: u64,
    out: &mut File,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> FfiResult<ftp_result> {
    let mut progress = progress_fn(progress_cb, userdata);
    let options = TransferOptions {
        offset,
        progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
        ..Default::default()
    };
    c.retr_to_file(remote, options, out)?;
    Ok(FTP_OK)
}

/// Uploads the local file `local_path` to `remote`; progress totals are the file's size.
/// Borrows both paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_stor_file(
    ftp: *mut ftp_client,
    local_path: *const c_char,
    remote: *const c_char,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_stor_file";
    fallible(function, || {
        let local = arg_str(function, "local_path", local_path)?;
        let remote = arg_bytes(function, "remote", remote)?;
        let mut progress = progress_fn(progress_cb, userdata);
        let progress = progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>);
        with_data_session(function, ftp, |c| {
            c.stor_from_path(Path::new(local), remote, progress)?;
            Ok(FTP_OK)
        })
    })
}

/// STOR from a local file or descriptor: sent with sendfile(2) when the transfer, the
/// descriptor and the process's SIGPIPE disposition allow it (`Client::stor_from_file`).
fn stor_from(
    c: &mut Client,
    remote: &[u8],
    total: Option<u64>,
    src: &mut File,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> FfiResult<ftp_result> {
    let mut progress = progress_fn(progress_cb, userdata);
    let options = TransferOptions {
        total,
        progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
        ..Default::default()
    };
    c.stor_from_file(remote, options, src)?;
    Ok(FTP_OK)
}

/// Downloads `remote` to the open file descriptor `fd` (written from its current position;
/// not closed). On Linux a plain binary download into a regular file or a FIFO is moved with
/// splice(2), without copies through user space. Borrows `remote` and `fd`.
///
/// # Safety
/// `ftp` must be live; `remote` NUL-terminated; `fd` an open descriptor for writing.
#[no_mangle]
pub unsafe extern "C" fn ftp_retr_fd(
    ftp: *mut ftp_client,
    remote: *const c_char,
    fd: c_int,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_retr_fd";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let mut file = borrowed_file(function, fd)?;
        with_data_session(function, ftp, |c| {
            retr_into(c, remote, 0, &mut file, progress_cb, userdata)
        })
    })
}

/// Uploads everything readable from the open file descriptor `fd` to `remote` (not closed).
/// `total` is the size for progress (-1 when unknown). Sent through a buffer, with SIGPIPE
/// suppressed; see `ftp_options_set_zero_copy_upload` for sendfile(2) instead.
///
/// # Safety
/// `ftp` must be live; `remote` NUL-terminated; `fd` an open descriptor for reading.
#[no_mangle]
pub unsafe extern "C" fn ftp_stor_fd(
    ftp: *mut ftp_client,
    fd: c_int,
    remote: *const c_char,
    total: i64,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_stor_fd";
    fallible(function, || {
        let remote = arg_bytes(function, "remote", remote)?;
        let mut file = borrowed_file(function, fd)?;
        with_data_session(function, ftp, |c| {
            stor_from(c, remote, total_of(total), &mut file, progress_cb, userdata)
        })
    })
}
