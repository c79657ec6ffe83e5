//! The protocol trace from C: a callback in the manner of libcurl's `CURLOPT_DEBUGFUNCTION`,
//! on the options (every handle made from them) or on one handle.

use std::ffi::{c_char, c_int, c_void};
use std::time::UNIX_EPOCH;

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, shared};
use super::options::ftp_options;
use crate::{Trace, TraceEvent, TraceKind};

/// Trace event: the control connection is connected; the line names the server's address.
pub const FTP_TRACE_CONNECTED: i32 = 0;
/// Trace event: a command was sent (`> USER alice`, `> PASS ****`).
pub const FTP_TRACE_COMMAND: i32 = 1;
/// Trace event: one reply line was read (`< 230 Logged in`). Server text: control characters
/// escaped, the session's secrets masked, but otherwise whatever the server sent.
pub const FTP_TRACE_REPLY: i32 = 2;
/// Trace event: a passive data connection is connected (`* data connected to ADDR`).
pub const FTP_TRACE_DATA_CONNECTED: i32 = 3;
/// Trace event: an active-mode data connection was accepted (`* data connection accepted
/// from ADDR`).
pub const FTP_TRACE_DATA_ACCEPTED: i32 = 4;
/// Trace event: a TLS handshake finished (`* TLS handshake (data): TLS 1.3, resumed`).
pub const FTP_TRACE_TLS_HANDSHAKE: i32 = 5;
/// Trace event: a data connection's totals, at its close (`* data bytes: sent S, received R`).
pub const FTP_TRACE_DATA_BYTES: i32 = 6;
/// Trace event: a data connection closed (`* data connection closed`, or `aborted`).
pub const FTP_TRACE_DATA_CLOSED: i32 = 7;
/// Trace event: TLS close_notify sent (`* close_notify sent (data)`, or `(control)`).
pub const FTP_TRACE_CLOSE_NOTIFY_SENT: i32 = 8;
/// Trace event: TLS close_notify received (`* close_notify received (data)`).
pub const FTP_TRACE_CLOSE_NOTIFY_RECEIVED: i32 = 9;

/// Told of every trace event: its kind (`FTP_TRACE_*`), when it happened (microseconds since
/// 1970-01-01 UTC), and the event as one line without a line ending (borrowed for the call):
/// `> ` for what was sent, `< ` for what was received, `* ` for the rest. Passwords are
/// masked (`PASS ****`, and wherever the server echoes one). Called on the thread running the
/// call that caused the event; calling into the same handle from it returns `FTP_ERR_BUSY`.
/// Return 0; other values are reserved.
pub type ftp_trace_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        kind: i32,
        time_us: i64,
        line: *const c_char,
    ) -> c_int,
>;

/// A C pointer the caller promised is usable from any thread that runs a session.
struct TracePtr(*mut c_void);
// SAFETY: the pointer is only handed back to the caller's callback, on the thread of the call
// that causes the event; the caller vouches for it (see `ftp_options_set_trace_callback`).
unsafe impl Send for TracePtr {}
// SAFETY: as above; the library never reads or writes through it.
unsafe impl Sync for TracePtr {}

impl TracePtr {
    /// A method, so closures capture the wrapper and not the raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// The C constant of a kind.
fn kind_code(kind: TraceKind) -> i32 {
    match kind {
        TraceKind::Connected => FTP_TRACE_CONNECTED,
        TraceKind::Command => FTP_TRACE_COMMAND,
        TraceKind::Reply => FTP_TRACE_REPLY,
        TraceKind::DataConnected => FTP_TRACE_DATA_CONNECTED,
        TraceKind::DataAccepted => FTP_TRACE_DATA_ACCEPTED,
        TraceKind::TlsHandshake => FTP_TRACE_TLS_HANDSHAKE,
        TraceKind::DataBytes => FTP_TRACE_DATA_BYTES,
        TraceKind::DataClosed => FTP_TRACE_DATA_CLOSED,
        TraceKind::CloseNotifySent => FTP_TRACE_CLOSE_NOTIFY_SENT,
        TraceKind::CloseNotifyReceived => FTP_TRACE_CLOSE_NOTIFY_RECEIVED,
    }
}

/// The C callback as a trace observer.
fn trace_observer(trace_cb: ftp_trace_cb, userdata: *mut c_void) -> Option<Trace> {
    let cb = trace_cb?;
    let user = TracePtr(userdata);
    Some(Trace::new(move |event: &TraceEvent<'_>| {
        let line = c_string_lossy(&event.to_string());
        let time_us = event
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        // SAFETY: the caller vouches for `cb` and `userdata` (see the setters).
        unsafe {
            cb(user.get(), kind_code(event.kind), time_us, line.as_ptr());
        }
    }))
}

/// Sets (or with NULL removes) the protocol trace callback of every handle later made from
/// `opts`, with `userdata`: every command sent, every reply line read, data connections
/// (connected or accepted, TLS handshake and whether it resumed, bytes moved, close,
/// close_notify). Several handles made from the same options may call it at once from their
/// threads. Passwords never appear in it.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; the callback and `userdata` must
/// stay valid while any handle made from `opts` lives.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_trace_callback(
    opts: *mut ftp_options,
    trace_cb: ftp_trace_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_options_set_trace_callback";
    fallible(function, || {
        arg_ptr(function, "opts", opts)?;
        (*opts).options.trace = trace_observer(trace_cb, userdata);
        Ok(FTP_OK)
    })
}

/// Sets (or with NULL removes) the protocol trace callback of `ftp` (connected or not yet,
/// from `ftp_new`), with `userdata`, as `ftp_options_set_trace_callback` does for options.
///
/// # Safety
/// `ftp` must be live; the callback and `userdata` valid until replaced or `ftp_close`.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_trace_callback(
    ftp: *mut ftp_client,
    trace_cb: ftp_trace_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_set_trace_callback";
    fallible(function, || {
        let shared = shared(function, ftp)?;
        let trace = trace_observer(trace_cb, userdata);
        let mut state = shared.lock(function)?;
        let result = if let Some(agent) = state.agent.as_mut() {
            agent.set_trace(trace);
            Ok(FTP_OK)
        } else if let Some(options) = state.unconnected.as_mut() {
            options.trace = trace;
            Ok(FTP_OK)
        } else {
            Err(FfiError::new(
                FTP_ERR_INVALID_STATE,
                format!("{function}: the session was closed with ftp_close"),
            ))
        };
        drop(state);
        shared.record(&result, None);
        result
    })
}
