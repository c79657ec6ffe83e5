//! The raw data stream (ftplib's `transfercmd`): open a data connection for any command, read
//! or write it, then close it to read the final reply.

use std::ffi::c_char;
use std::sync::Arc;

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, shared, Shared};
use crate::DataConnection;

/// An open data connection. Open with `ftp_data_open`; end with `ftp_data_close` (reads the
/// final reply) or `ftp_data_abort`. Keeps its session alive internally.
pub struct ftp_data {
    shared: Arc<Shared>,
    conn: Option<DataConnection>,
}

/// Sends `command` (for example "RETR a.bin", "STOR b.bin", "LIST") over a new data
/// connection, after REST `offset` when not 0, and writes the open stream to `*out`. Caller
/// owns `*out`; end it with `ftp_data_close` or `ftp_data_abort`. Until then other calls on
/// `ftp` fail with `FTP_ERR_INVALID_STATE`. Borrows `command`.
///
/// # Safety
/// `ftp` must be live; `command` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_open(
    ftp: *mut ftp_client,
    command: *const c_char,
    offset: u64,
    out: *mut *mut ftp_data,
) -> ftp_result {
    let function = "ftp_data_open";
    fallible(function, || {
        let command = arg_bytes(function, "command", command)?;
        arg_ptr(function, "out", out)?;
        let shared = shared(function, ftp)?.clone();
        let conn = shared.call_data(function, |c| Ok(c.begin_data(command, offset)?))?;
        *out = ftp_data {
            shared,
            conn: Some(conn),
        }
        .into_c();
        Ok(FTP_OK)
    })
}

/// Runs `body` on the open stream and keeps its outcome on the session handle too, as every
/// call that concerns a handle does.
unsafe fn on_stream<R>(
    function: &str,
    data: *mut ftp_data,
    body: impl FnOnce(&mut DataConnection) -> FfiResult<R>,
) -> FfiResult<R> {
    arg_ptr(function, "data", data)?;
    let data = &mut *data;
    let result = match data.conn.as_mut() {
        Some(conn) => data.shared.running(function, || body(conn)),
        None => Err(FfiError::new(
            FTP_ERR_INVALID_STATE,
            format!("{function}: the stream is closed"),
        )),
    };
    data.shared.record(&result, None);
    result
}

/// Writes the size the server announced for this transfer (its 150 reply) to `*out`;
/// `FTP_ERR_NOT_AVAILABLE` when it announced none.
///
/// # Safety
/// `data` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_expected_size(data: *mut ftp_data, out: *mut u64) -> ftp_result {
    let function = "ftp_data_expected_size";
    fallible(function, || {
        on_stream(function, data, |conn| {
            arg_ptr(function, "out", out)?;
            let size = conn.expected_size.ok_or_else(|| {
                FfiError::new(
                    FTP_ERR_NOT_AVAILABLE,
                    format!("{function}: the server announced no size"),
                )
            })?;
            *out = size;
            Ok(FTP_OK)
        })
    })
}

/// Reads up to `capacity` bytes into `buffer` and writes the count to `*out_len`; 0 means
/// the end of the data.
///
/// # Safety
/// `data` must be live; `buffer` writable for `capacity` bytes; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_read(
    data: *mut ftp_data,
    buffer: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> ftp_result {
    let function = "ftp_data_read";
    fallible(function, || {
        on_stream(function, data, |conn| {
            arg_ptr(function, "buffer", buffer)?;
            arg_ptr(function, "out_len", out_len)?;
            let buf = std::slice::from_raw_parts_mut(buffer, capacity);
            *out_len = conn.read_data(buf)?;
            Ok(FTP_OK)
        })
    })
}

/// Writes all `len` bytes of `buffer` to the stream.
///
/// # Safety
/// `data` must be live; `buffer` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_write(
    data: *mut ftp_data,
    buffer: *const u8,
    len: usize,
) -> ftp_result {
    let function = "ftp_data_write";
    fallible(function, || {
        on_stream(function, data, |conn| {
            arg_ptr(function, "buffer", buffer)?;
            let buf = std::slice::from_raw_parts(buffer, len);
            conn.write_data(buf)?;
            Ok(FTP_OK)
        })
    })
}

unsafe fn finish(function: &str, data: *mut ftp_data, abort: bool) -> ftp_result {
    fallible(function, || {
        let Some(mut data) = ftp_data::from_c(data) else {
            return Ok(FTP_OK);
        };
        let Some(conn) = data.conn.take() else {
            return Ok(FTP_OK);
        };
        data.shared.call(function, |c| {
            if abort {
                c.abort_data(conn)?;
            } else {
                c.finish_data(conn)?;
            }
            Ok(FTP_OK)
        })
    })
}

/// Frees the stream without talking to the server (for finalizers and destructors, which must
/// not block): the data connection is closed, and since the server still thinks the transfer
/// runs, the session's next call connects and logs in again first. Consumes `data`; NULL is a
/// no-op. To end a transfer properly use `ftp_data_close` or `ftp_data_abort`.
///
/// # Safety
/// `data` must be NULL or from `ftp_data_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_free(data: *mut ftp_data) {
    infallible((), || {
        if let Some(mut data) = ftp_data::from_c(data) {
            if data.conn.take().is_some() {
                data.shared.stream_dropped();
            }
        }
    })
}

/// Closes the stream (sending TLS close_notify after an upload), reads the server's final
/// reply, and frees the stream: `FTP_OK` when it is 2xx and, for a download in TYPE I whose
/// size the server announced, every announced byte was read (`FTP_ERR_PROTOCOL` when fewer
/// were: to stop reading early on purpose, use `ftp_data_abort`). Consumes `data` in every
/// case; NULL is a no-op.
///
/// # Safety
/// `data` must be NULL or from `ftp_data_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_close(data: *mut ftp_data) -> ftp_result {
    finish("ftp_data_close", data, false)
}

/// Stops the transfer with ABOR, drains the replies so the session stays usable, and frees
/// the stream. Consumes `data` in every case; NULL is a no-op.
///
/// # Safety
/// `data` must be NULL or from `ftp_data_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_data_abort(data: *mut ftp_data) -> ftp_result {
    finish("ftp_data_abort", data, true)
}
