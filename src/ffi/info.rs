//! Library-wide functions: the calling thread's last error, result code names, versions, and
//! freeing strings the library returned.

use std::ffi::{c_char, c_int, CString};

use super::boundary::{infallible, with_thread_error};
use super::codes::*;

/// The result code of the calling thread's last failed call (`FTP_OK` if its last fallible
/// call succeeded). Every fallible call clears it on entry.
#[no_mangle]
pub extern "C" fn ftp_last_error_code() -> ftp_result {
    infallible(FTP_ERR_PANIC, || with_thread_error(|e| e.code))
}

/// The server reply code behind the calling thread's last failure (0 when none).
#[no_mangle]
pub extern "C" fn ftp_last_reply_code() -> c_int {
    infallible(0, || with_thread_error(|e| e.reply_code))
}

/// A one-line message for the calling thread's last failure, naming the operation, the
/// server's reply and the cause (`RETR a.bin: 550 No such file`); "" after a success. Owned by
/// the library, valid until the next fallible call on this thread. Never NULL; never contains
/// a password.
#[no_mangle]
pub extern "C" fn ftp_last_error_message() -> *const c_char {
    infallible(c"".as_ptr(), || with_thread_error(|e| e.message.as_ptr()))
}

/// A static name for a result code ("FTP_ERR_TIMEOUT: timed out"). Never NULL; never freed.
#[no_mangle]
pub extern "C" fn ftp_strerror(code: ftp_result) -> *const c_char {
    infallible(c"".as_ptr(), || strerror(code).as_ptr())
}

fn strerror(code: ftp_result) -> &'static std::ffi::CStr {
    match code {
        FTP_OK => c"FTP_OK: success",
        FTP_DONE => c"FTP_DONE: no more entries",
        FTP_ERR_INVALID_ARGUMENT => c"FTP_ERR_INVALID_ARGUMENT: invalid argument",
        FTP_ERR_TEMPORARY => c"FTP_ERR_TEMPORARY: temporary server error (4xx)",
        FTP_ERR_PERMANENT => c"FTP_ERR_PERMANENT: permanent server error (5xx)",
        FTP_ERR_UNEXPECTED_REPLY => c"FTP_ERR_UNEXPECTED_REPLY: unexpected reply",
        FTP_ERR_PROTOCOL => c"FTP_ERR_PROTOCOL: protocol error",
        FTP_ERR_IO => c"FTP_ERR_IO: I/O error",
        FTP_ERR_TIMEOUT => c"FTP_ERR_TIMEOUT: timed out",
        FTP_ERR_TLS => c"FTP_ERR_TLS: TLS error",
        FTP_ERR_ABORTED => c"FTP_ERR_ABORTED: aborted by a callback",
        FTP_ERR_BUSY => c"FTP_ERR_BUSY: handle in use",
        FTP_ERR_NOT_AVAILABLE => c"FTP_ERR_NOT_AVAILABLE: not available",
        FTP_ERR_PANIC => c"FTP_ERR_PANIC: internal error",
        FTP_ERR_INVALID_STATE => c"FTP_ERR_INVALID_STATE: invalid state",
        FTP_ERR_INTEGRITY => c"FTP_ERR_INTEGRITY: integrity check failed",
        _ => c"unknown result code",
    }
}

/// Frees a string the library returned through an out-parameter (`ftp_pwd`, `ftp_mkd`,
/// `ftp_quote`, ...). Consumes `s`; NULL is a no-op. Never use `free` on these strings.
///
/// # Safety
/// `s` must be NULL or a string returned by this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_string_free(s: *mut c_char) {
    infallible((), || {
        if !s.is_null() {
            drop(CString::from_raw(s));
        }
    })
}

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("version string"),
};

/// The library's version, "MAJOR.MINOR.PATCH"; equals `FTPC_VERSION_STRING` of the header it
/// was built with. Static; never freed.
#[no_mangle]
pub extern "C" fn ftp_version() -> *const c_char {
    infallible(VERSION.as_ptr(), || VERSION.as_ptr())
}

/// The library's version as MAJOR * 10000 + MINOR * 100 + PATCH; equals
/// `FTPC_VERSION_NUMBER` of the header it was built with.
#[no_mangle]
pub extern "C" fn ftp_version_number() -> u32 {
    infallible(0, || {
        let part = |s: &str| s.parse::<u32>().unwrap_or(0);
        part(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
            + part(env!("CARGO_PKG_VERSION_MINOR")) * 100
            + part(env!("CARGO_PKG_VERSION_PATCH"))
    })
}
