//! The boundary every export goes through: it clears the calling thread's error, catches
//! panics, checks pointers, and maps a Rust error to a result code in exactly one function.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::codes::*;
use crate::Error;

/// A failure on its way to C: result code, server reply code (0 when none) and message.
#[derive(Debug, Clone)]
pub(crate) struct FfiError {
    pub(crate) code: ftp_result,
    pub(crate) reply_code: i32,
    pub(crate) message: String,
}

pub(crate) type FfiResult<T> = Result<T, FfiError>;

impl FfiError {
    pub(crate) fn new(code: ftp_result, message: impl Into<String>) -> FfiError {
        FfiError {
            code,
            reply_code: 0,
            message: message.into(),
        }
    }

    pub(crate) fn null(function: &str, argument: &str) -> FfiError {
        FfiError::new(
            FTP_ERR_INVALID_ARGUMENT,
            format!("{function}: argument `{argument}` is NULL"),
        )
    }
}

pub(crate) fn invalid(function: &str, what: String) -> FfiError {
    FfiError::new(FTP_ERR_INVALID_ARGUMENT, format!("{function}: {what}"))
}

/// The one mapping from the crate's error to a result code.
pub(crate) fn code_of(err: &Error) -> ftp_result {
    match err {
        Error::Temporary { .. } => FTP_ERR_TEMPORARY,
        Error::Permanent { .. } => FTP_ERR_PERMANENT,
        Error::UnexpectedReply { .. } => FTP_ERR_UNEXPECTED_REPLY,
        Error::Protocol { .. } => FTP_ERR_PROTOCOL,
        Error::Io { .. } => FTP_ERR_IO,
        Error::Timeout { .. } => FTP_ERR_TIMEOUT,
        Error::Tls { .. } => FTP_ERR_TLS,
        Error::Aborted { .. } => FTP_ERR_ABORTED,
        Error::InvalidArgument(_) => FTP_ERR_INVALID_ARGUMENT,
        Error::InvalidState(_) => FTP_ERR_INVALID_STATE,
        Error::NotAvailable { .. } => FTP_ERR_NOT_AVAILABLE,
        Error::Integrity { .. } => FTP_ERR_INTEGRITY,
    }
}

impl From<Error> for FfiError {
    fn from(err: Error) -> FfiError {
        FfiError {
            code: code_of(&err),
            reply_code: i32::from(err.reply_code()),
            message: err.to_string(),
        }
    }
}

/// A stored error as C reads it; the message is always a valid C string.
#[derive(Debug, Default)]
pub(crate) struct ErrorRecord {
    pub(crate) code: ftp_result,
    pub(crate) reply_code: i32,
    pub(crate) message: CString,
}

impl ErrorRecord {
    pub(crate) fn set(&mut self, err: &FfiError) {
        self.code = err.code;
        self.reply_code = err.reply_code;
        self.message = c_string_lossy(&err.message);
    }

    pub(crate) fn clear(&mut self) {
        self.code = FTP_OK;
        self.reply_code = 0;
        self.message = CString::default();
    }
}

/// A C string from text that might hold a NUL (replaced, never truncated silently).
pub(crate) fn c_string_lossy(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{fffd}")).unwrap_or_default()
}

thread_local! {
    static LAST_ERROR: RefCell<ErrorRecord> = RefCell::new(ErrorRecord::default());
}

pub(crate) fn with_thread_error<R>(f: impl FnOnce(&mut ErrorRecord) -> R) -> R {
    LAST_ERROR.with(|cell| f(&mut cell.borrow_mut()))
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs a fallible export: clears this thread's error, catches panics, records failures.
pub(crate) fn fallible(function: &str, body: impl FnOnce() -> FfiResult<ftp_result>) -> ftp_result {
    with_thread_error(ErrorRecord::clear);
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|panic| {
        Err(FfiError::new(
            FTP_ERR_PANIC,
            format!("{function}: internal panic: {}", panic_text(&*panic)),
        ))
    });
    match outcome {
        Ok(code) => code,
        Err(err) => {
            with_thread_error(|record| record.set(&err));
            err.code
        }
    }
}

/// Runs a fallible export that returns a pointer: NULL on failure.
pub(crate) fn fallible_ptr<T>(function: &str, body: impl FnOnce() -> FfiResult<*mut T>) -> *mut T {
    let mut out = std::ptr::null_mut();
    fallible(function, || {
        out = body()?;
        Ok(FTP_OK)
    });
    out
}

/// Runs an export that cannot fail (getters, destructors): catches panics only, leaving the
/// thread's error as it was, and returns `fallback` if one happens.
pub(crate) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Borrows a C string argument as bytes; NULL is an error naming the argument.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn arg_bytes<'a>(
    function: &str,
    name: &str,
    ptr: *const c_char,
) -> FfiResult<&'a [u8]> {
    if ptr.is_null() {
        return Err(FfiError::null(function, name));
    }
    Ok(CStr::from_ptr(ptr).to_bytes())
}

/// Borrows an optional C string argument: NULL and "" both mean absent.
///
/// # Safety
/// `ptr` must be NULL or a NUL-terminated string that outlives the call.
pub(crate) unsafe fn opt_arg_bytes<'a>(ptr: *const c_char) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    (!bytes.is_empty()).then_some(bytes)
}

/// [`opt_arg_bytes`] as UTF-8 text.
///
/// # Safety
/// As [`opt_arg_bytes`].
pub(crate) unsafe fn opt_arg_str<'a>(
    function: &str,
    name: &str,
    ptr: *const c_char,
) -> FfiResult<Option<&'a str>> {
    opt_arg_bytes(ptr)
        .map(|bytes| {
            std::str::from_utf8(bytes).map_err(|_| {
                FfiError::new(
                    FTP_ERR_INVALID_ARGUMENT,
                    format!("{function}: argument `{name}` is not UTF-8"),
                )
            })
        })
        .transpose()
}

/// Borrows a C string argument as UTF-8 text.
///
/// # Safety
/// As [`arg_bytes`].
pub(crate) unsafe fn arg_str<'a>(
    function: &str,
    name: &str,
    ptr: *const c_char,
) -> FfiResult<&'a str> {
    let bytes = arg_bytes(function, name, ptr)?;
    std::str::from_utf8(bytes).map_err(|_| {
        FfiError::new(
            FTP_ERR_INVALID_ARGUMENT,
            format!("{function}: argument `{name}` is not UTF-8"),
        )
    })
}

/// Checks an out-parameter or handle pointer.
pub(crate) fn arg_ptr<T>(function: &str, name: &str, ptr: *const T) -> FfiResult<()> {
    if ptr.is_null() {
        Err(FfiError::null(function, name))
    } else {
        Ok(())
    }
}

/// Copies bytes into a new C string the caller frees with `ftp_string_free`.
pub(crate) fn owned_c_string(function: &str, bytes: &[u8]) -> FfiResult<*mut c_char> {
    let c = CString::new(bytes).map_err(|_| {
        FfiError::new(
            FTP_ERR_PROTOCOL,
            format!("{function}: the server's answer contains a NUL byte"),
        )
    })?;
    Ok(c.into_raw())
}

/// Ties an opaque C type to how C owns it (rustls-ffi's `Castable` is the model): the library
/// makes it with `Box::into_raw` and gives it to the caller, who ends it with exactly one
/// `_free`/`_close` call. Every such type implements this, so the one `unsafe` conversion
/// each way is written once.
pub(crate) trait OwnedByC: Sized {
    /// Gives `self` to C.
    fn into_c(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }

    /// Takes back what [`OwnedByC::into_c`] gave; `None` for NULL.
    ///
    /// # Safety
    /// `ptr` must be NULL or from `into_c` of this type, and not used by C afterwards.
    unsafe fn from_c(ptr: *mut Self) -> Option<Box<Self>> {
        if ptr.is_null() {
            None
        } else {
            Some(Box::from_raw(ptr))
        }
    }

    /// Takes back and drops (the body of a `_free` function); NULL is a no-op.
    ///
    /// # Safety
    /// As [`OwnedByC::from_c`].
    unsafe fn free_c(ptr: *mut Self) {
        drop(Self::from_c(ptr));
    }
}

impl OwnedByC for super::handle::ftp_client {}
impl OwnedByC for super::data::ftp_data {}
impl OwnedByC for super::listing::ftp_listing {}
impl OwnedByC for super::listing::ftp_entry {}
impl OwnedByC for super::managed::ftp_dir_list {}
impl OwnedByC for super::options::ftp_options {}
