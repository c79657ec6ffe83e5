//! Session functions: connect, login, close, the handle's reply and error getters, and the
//! file and directory commands.

use std::ffi::{c_char, c_int};

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, shared, with_agent, with_client, Shared};
use super::options::{ftp_options, transfer_type_of};
use crate::{Agent, Client, Options, Timestamp};

static EMPTY: &[u8] = b"\0";

fn empty_c_str() -> *const c_char {
    EMPTY.as_ptr().cast()
}

unsafe fn options_or_default(opts: *const ftp_options) -> Options {
    if opts.is_null() {
        Options::default()
    } else {
        (*opts).options.clone()
    }
}

fn into_handle(agent: Agent) -> *mut ftp_client {
    ftp_client {
        shared: Shared::new(agent),
    }
    .into_c()
}

/// Connects to `host` (a name, an IPv4 address or an IPv6 address) on `port` and reads the
/// welcome message; with TLS options, also starts TLS. `opts` may be NULL for the defaults;
/// it is copied, not kept. On success writes a new handle to `*out`: caller owns it; free with
/// `ftp_close`. `*out` is written only on success.
///
/// # Safety
/// `host` must be NUL-terminated; `opts` NULL or live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_connect(
    host: *const c_char,
    port: u16,
    opts: *const ftp_options,
    out: *mut *mut ftp_client,
) -> ftp_result {
    let function = "ftp_connect";
    fallible(function, || {
        let host = arg_str(function, "host", host)?;
        arg_ptr(function, "out", out)?;
        let agent = Agent::connect(host, port, options_or_default(opts))?;
        *out = into_handle(agent);
        Ok(FTP_OK)
    })
}

/// Creates a handle that is not connected yet, with a copy of `opts` (NULL for the defaults),
/// so that connecting reports its failure on the handle (`ftp_errcode`, `ftp_errmsg`,
/// `ftp_errreply`) and not only on the calling thread: for bindings that call from worker
/// threads or goroutines. Connect it with `ftp_open` or `ftp_open_url`. Caller owns `*out`;
/// free with `ftp_close` or `ftp_free`. `*out` is written only on success.
///
/// # Safety
/// `opts` must be NULL or live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_new(
    opts: *const ftp_options,
    out: *mut *mut ftp_client,
) -> ftp_result {
    let function = "ftp_new";
    fallible(function, || {
        arg_ptr(function, "out", out)?;
        let options = options_or_default(opts);
        options.validate()?;
        *out = ftp_client {
            shared: Shared::unconnected(options),
        }
        .into_c();
        Ok(FTP_OK)
    })
}

/// Connects a handle from `ftp_new` to `host` on `port`, as `ftp_connect` does; the outcome is
/// kept on the handle as well as on the thread. `FTP_ERR_INVALID_STATE` for a handle that is
/// connected already. Borrows `host` for the call.
///
/// # Safety
/// `ftp` must be live; `host` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_open(
    ftp: *mut ftp_client,
    host: *const c_char,
    port: u16,
) -> ftp_result {
    let function = "ftp_open";
    fallible(function, || {
        let shared = shared(function, ftp)?;
        let host = arg_str(function, "host", host);
        let host = match host {
            Ok(host) => host,
            Err(e) => {
                shared.record::<()>(&Err(e.clone()), None);
                return Err(e);
            }
        };
        shared.open(function, |options, canceller| {
            Ok(Agent::connect_cancellable(host, port, options, canceller)?)
        })?;
        Ok(FTP_OK)
    })
}

/// Connects a handle from `ftp_new` to an `ftp://`, `ftps://` or `ftpes://` URL and logs in,
/// as `ftp_connect_url` does (NULL or "" `password` when the URL holds it or names no user);
/// the outcome is kept on the handle as well as on the thread. Writes the URL's decoded path
/// to `*out_path` (caller frees with `ftp_string_free`) on success.
///
/// # Safety
/// `ftp` must be live; `url` NUL-terminated; `password` NULL or NUL-terminated; `out_path`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_open_url(
    ftp: *mut ftp_client,
    url: *const c_char,
    password: *const c_char,
    out_path: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_open_url";
    fallible(function, || {
        let shared = shared(function, ftp)?;
        let url = arg_str(function, "url", url)?;
        let password = opt_arg_str(function, "password", password)?;
        arg_ptr(function, "out_path", out_path)?;
        let mut path = Vec::new();
        shared.open(function, |options, canceller| {
            let (agent, url_path) =
                Agent::connect_url_cancellable(url, password, options, canceller)?;
            path = url_path;
            Ok(agent)
        })?;
        *out_path = owned_c_string(function, &path)?;
        Ok(FTP_OK)
    })
}

/// Connects to an `ftp://`, `ftps://` (implicit TLS) or `ftpes://` (explicit TLS) URL and
/// logs in with its user and password (anonymously without a user). `password` is used when
/// the URL names a user but no password (NULL or "" otherwise); it is borrowed for the call and
/// never appears in any message. `opts` may be NULL; the scheme's TLS level replaces the one
/// in `opts`. On success writes a new handle to `*out`
/// (free with `ftp_close`) and the URL's decoded path to `*out_path` (free with
/// `ftp_string_free`; "" when the URL has none). Out-parameters are written only on success.
///
/// # Safety
/// `url` and `password` must be NUL-terminated; `opts` NULL or live; `out` and `out_path`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_connect_url(
    url: *const c_char,
    password: *const c_char,
    opts: *const ftp_options,
    out: *mut *mut ftp_client,
    out_path: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_connect_url";
    fallible(function, || {
        let url = arg_str(function, "url", url)?;
        let password = opt_arg_str(function, "password", password)?;
        arg_ptr(function, "out", out)?;
        arg_ptr(function, "out_path", out_path)?;
        let (agent, path) = Agent::connect_url(url, password, options_or_default(opts))?;
        let path = owned_c_string(function, &path)?;
        *out = into_handle(agent);
        *out_path = path;
        Ok(FTP_OK)
    })
}

/// Logs in with USER and PASS (and ACCT when `account` is not NULL or "" and the server asks), then
/// reads FEAT and turns on UTF-8 where offered. Borrows the strings for the call; the password
/// never appears in any message.
///
/// # Safety
/// `ftp` must be live; the strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_login(
    ftp: *mut ftp_client,
    user: *const c_char,
    password: *const c_char,
    account: *const c_char,
) -> ftp_result {
    let function = "ftp_login";
    fallible(function, || {
        let user = arg_str(function, "user", user)?;
        let password = arg_str(function, "password", password)?;
        let account = opt_arg_str(function, "account", account)?;
        with_agent(function, ftp, |a| {
            a.login_with_account(user, password, account)?;
            Ok(FTP_OK)
        })
    })
}

/// Takes the agent out of a handle and frees the handle. A handle in use (called from inside
/// its own callback) is neither freed nor touched: the call in progress still uses it.
unsafe fn take_agent(function: &str, ftp: *mut ftp_client) -> FfiResult<Option<Agent>> {
    let agent = (*ftp).shared.lock(function)?.agent.take();
    ftp_client::free_c(ftp);
    Ok(agent)
}

/// Ends the session with QUIT and reports how it went: `FTP_OK` when the server answered 2xx
/// (within the reply timeout). Frees the handle in every case but one: called from inside
/// the handle's own callback it returns `FTP_ERR_BUSY` and changes nothing. Consumes `ftp`;
/// NULL is a no-op (`FTP_OK`). `ftp_close` is the same without a result.
///
/// # Safety
/// `ftp` must be NULL or a handle from `ftp_connect`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_quit(ftp: *mut ftp_client) -> ftp_result {
    let function = "ftp_quit";
    fallible(function, || {
        if ftp.is_null() {
            return Ok(FTP_OK);
        }
        if let Some(agent) = take_agent(function, ftp)? {
            agent.quit()?;
        }
        Ok(FTP_OK)
    })
}

/// Frees the handle without sending or waiting for anything on the network (no QUIT, no TLS
/// close_notify; the connection is closed): for garbage-collected bindings' finalizers, which
/// must never block. Consumes `ftp` (from inside its own callback: nothing happens); NULL is
/// a no-op. Child handles stay valid to free.
///
/// # Safety
/// `ftp` must be NULL or a handle from `ftp_connect`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_free(ftp: *mut ftp_client) {
    infallible((), || {
        if ftp.is_null() {
            return;
        }
        if let Ok(Some(agent)) = take_agent("ftp_free", ftp) {
            agent.abandon();
        }
    })
}

/// Ends the session: sends QUIT (waiting for its answer within the reply timeout) and frees
/// the handle. Consumes `ftp`; NULL is a no-op. Always frees, even when QUIT fails (from
/// inside the handle's own callback nothing happens: the call in progress still uses it). Child
/// handles (listings, data streams) stay valid to free, and report `FTP_ERR_INVALID_STATE`
/// if used.
///
/// # Safety
/// `ftp` must be NULL or a handle from `ftp_connect`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_close(ftp: *mut ftp_client) {
    infallible((), || {
        if ftp.is_null() {
            return;
        }
        if let Ok(Some(agent)) = take_agent("ftp_close", ftp) {
            let _ = agent.quit();
        }
    })
}

/// The server's welcome text (without codes), as the server sent it: untrusted text (it may
/// hold terminal control characters). Owned by `ftp`, valid until `ftp_close`. Never NULL.
/// Like every getter below, it answers from inside the handle's own callbacks too.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_welcome(ftp: *const ftp_client) -> *const c_char {
    infallible(empty_c_str(), || match shared("ftp_welcome", ftp) {
        Ok(shared) => shared.report().welcome.as_ptr(),
        Err(_) => empty_c_str(),
    })
}

/// The last reply code the server sent on this handle (0 before any; 0 for NULL). Does not
/// change the thread's error.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_reply_code(ftp: *const ftp_client) -> c_int {
    infallible(0, || {
        shared("ftp_reply_code", ftp).map_or(0, |s| s.report().reply_code)
    })
}

/// The text of the last reply on this handle, as the server sent it (untrusted). Owned by
/// `ftp`, valid until the next call on `ftp`. Never NULL.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_reply_text(ftp: *const ftp_client) -> *const c_char {
    infallible(empty_c_str(), || {
        shared("ftp_reply_text", ftp).map_or(empty_c_str(), |s| s.report().reply_text.as_ptr())
    })
}

/// The result code of the last call on this handle or its listings and data streams
/// (`FTP_OK` after a success; `FTP_ERR_INVALID_ARGUMENT` for NULL). Kept on the handle for
/// bindings that cannot rely on thread-local state.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_errcode(ftp: *const ftp_client) -> ftp_result {
    infallible(FTP_ERR_PANIC, || {
        shared("ftp_errcode", ftp).map_or(FTP_ERR_INVALID_ARGUMENT, |s| s.report().error.code)
    })
}

/// The server reply code behind the last failure on this handle (0 after a success, or when
/// the failure came from no reply, such as a timeout; 0 for NULL). Unlike `ftp_reply_code`,
/// which is the last reply of any kind (a 150 before a data connection failed), this belongs
/// to the failure.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_errreply(ftp: *const ftp_client) -> c_int {
    infallible(0, || {
        shared("ftp_errreply", ftp).map_or(0, |s| s.report().error.reply_code)
    })
}

/// The message of the last failed call on this handle or its listings and data streams (""
/// after a success). Owned by `ftp`, valid until the next call on `ftp`. Never NULL.
///
/// # Safety
/// `ftp` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_errmsg(ftp: *const ftp_client) -> *const c_char {
    infallible(empty_c_str(), || match shared("ftp_errmsg", ftp) {
        Ok(shared) => shared.report().error.message.as_ptr(),
        Err(_) => c"ftp_errmsg: argument `ftp` is NULL".as_ptr(),
    })
}

/// Runs a command that only needs the client and a path.
unsafe fn path_command(
    function: &str,
    ftp: *mut ftp_client,
    path: *const c_char,
    run: impl FnOnce(&mut Client, &[u8]) -> crate::Result<()>,
) -> ftp_result {
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        with_client(function, ftp, |c| {
            run(c, path)?;
            Ok(FTP_OK)
        })
    })
}

/// Writes a string result to `*out` (caller frees with `ftp_string_free`).
unsafe fn string_command(
    function: &str,
    ftp: *mut ftp_client,
    out: *mut *mut c_char,
    run: impl FnOnce(&mut Client) -> crate::Result<String>,
) -> ftp_result {
    fallible(function, || {
        arg_ptr(function, "out", out)?;
        let text = with_client(function, ftp, |c| Ok(run(c)?))?;
        *out = owned_c_string(function, text.as_bytes())?;
        Ok(FTP_OK)
    })
}

/// PWD: writes the current directory to `*out`. Caller owns `*out`; free with
/// `ftp_string_free`. Written only on success.
///
/// # Safety
/// `ftp` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_pwd(ftp: *mut ftp_client, out: *mut *mut c_char) -> ftp_result {
    string_command("ftp_pwd", ftp, out, Client::pwd)
}

/// CWD: changes the current directory. Borrows `path` for the call.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_cwd(ftp: *mut ftp_client, path: *const c_char) -> ftp_result {
    path_command("ftp_cwd", ftp, path, |c, p| c.cwd(p).map(drop))
}

/// CDUP: goes to the parent directory.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_cdup(ftp: *mut ftp_client) -> ftp_result {
    let function = "ftp_cdup";
    fallible(function, || {
        with_client(function, ftp, |c| {
            c.cdup()?;
            Ok(FTP_OK)
        })
    })
}

/// MKD: creates a directory and writes its path, as the server reports it, to `*out`.
/// Caller owns `*out`; free with `ftp_string_free`. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_mkd(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_mkd";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        arg_ptr(function, "out", out)?;
        let made = with_client(function, ftp, |c| Ok(c.mkd(path)?))?;
        *out = owned_c_string(function, made.as_bytes())?;
        Ok(FTP_OK)
    })
}

/// RMD: removes an empty directory. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_rmd(ftp: *mut ftp_client, path: *const c_char) -> ftp_result {
    path_command("ftp_rmd", ftp, path, |c, p| c.rmd(p).map(drop))
}

/// DELE: deletes a file. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_delete(ftp: *mut ftp_client, path: *const c_char) -> ftp_result {
    path_command("ftp_delete", ftp, path, |c, p| c.delete(p).map(drop))
}

/// RNFR + RNTO: renames `from` to `to`. Borrows both.
///
/// # Safety
/// `ftp` must be live; the strings NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_rename(
    ftp: *mut ftp_client,
    from: *const c_char,
    to: *const c_char,
) -> ftp_result {
    let function = "ftp_rename";
    fallible(function, || {
        let from = arg_bytes(function, "from", from)?;
        let to = arg_bytes(function, "to", to)?;
        with_client(function, ftp, |c| {
            c.rename(from, to)?;
            Ok(FTP_OK)
        })
    })
}

/// SIZE: writes a file's size in bytes to `*out` (written only on success).
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_size(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut u64,
) -> ftp_result {
    let function = "ftp_size";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        arg_ptr(function, "out", out)?;
        *out = with_client(function, ftp, |c| Ok(c.size(path)?))?;
        Ok(FTP_OK)
    })
}

/// MDTM: writes a file's modification time, in seconds since 1970 UTC, to `*out`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_mdtm(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut i64,
) -> ftp_result {
    let function = "ftp_mdtm";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        arg_ptr(function, "out", out)?;
        *out = with_client(function, ftp, |c| Ok(c.mdtm(path)?.unix_seconds()))?;
        Ok(FTP_OK)
    })
}

/// MFMT: sets a file's modification time (seconds since 1970 UTC).
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_mfmt(
    ftp: *mut ftp_client,
    path: *const c_char,
    unix_seconds: i64,
) -> ftp_result {
    path_command("ftp_mfmt", ftp, path, |c, p| {
        c.mfmt(p, Timestamp::from_unix_seconds(unix_seconds))
            .map(drop)
    })
}

/// NOOP.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_noop(ftp: *mut ftp_client) -> ftp_result {
    let function = "ftp_noop";
    fallible(function, || {
        with_client(function, ftp, |c| {
            c.noop()?;
            Ok(FTP_OK)
        })
    })
}

/// Stops the call in progress on `ftp` from any other thread (the one exception to "a handle
/// is used by one thread at a time"): that call returns `FTP_ERR_ABORTED` soon, without
/// waiting for the server or a timeout (a TCP connect in progress runs to its own timeout).
/// Its connections are cut, so the next call on the handle connects and logs in again first
/// (back to the same working directory). Returns `FTP_OK` when a call was stopped and
/// `FTP_DONE` when none was running (nothing happens then: a cancel that comes late never
/// stops the next call). For Go contexts, Python and Ruby interrupts, Node's AbortSignal.
///
/// # Safety
/// `ftp` must be live (not freed while this runs).
#[no_mangle]
pub unsafe extern "C" fn ftp_cancel(ftp: *const ftp_client) -> ftp_result {
    let function = "ftp_cancel";
    fallible(function, || {
        let stopped = shared(function, ftp)?.cancel();
        Ok(if stopped { FTP_OK } else { FTP_DONE })
    })
}

/// ABOR outside a transfer (ftplib's `abort()`): succeeds on 225, 226 or 426. To stop a
/// transfer, return non-zero from its callback or call `ftp_data_abort`.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_abort(ftp: *mut ftp_client) -> ftp_result {
    let function = "ftp_abort";
    fallible(function, || {
        with_client(function, ftp, |c| {
            c.abort()?;
            Ok(FTP_OK)
        })
    })
}

/// Sends any command line and writes the reply code to `*out_code` and its text to
/// `*out_text` (caller frees with `ftp_string_free`), whatever the code: a 4xx or 5xx reply
/// is still `FTP_OK` here (ftplib's `sendcmd`). CR, LF and NUL are refused.
///
/// # Safety
/// `ftp` must be live; `command` NUL-terminated; the out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_quote(
    ftp: *mut ftp_client,
    command: *const c_char,
    out_code: *mut c_int,
    out_text: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_quote";
    fallible(function, || {
        let command = arg_bytes(function, "command", command)?;
        arg_ptr(function, "out_code", out_code)?;
        arg_ptr(function, "out_text", out_text)?;
        let reply = with_client(function, ftp, |c| Ok(c.sendcmd(command)?))?;
        let text = owned_c_string(function, reply.text().as_bytes())?;
        *out_code = c_int::from(reply.code());
        *out_text = text;
        Ok(FTP_OK)
    })
}

/// Writes whether the server listed `feature` in FEAT (case-insensitive) to `*out`.
///
/// # Safety
/// `ftp` must be live; `feature` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_feat_has(
    ftp: *mut ftp_client,
    feature: *const c_char,
    out: *mut bool,
) -> ftp_result {
    let function = "ftp_feat_has";
    fallible(function, || {
        let feature = arg_str(function, "feature", feature)?;
        arg_ptr(function, "out", out)?;
        *out = with_client(function, ftp, |c| Ok(c.features()?.has(feature)))?;
        Ok(FTP_OK)
    })
}

/// Writes the parameters the server listed for `feature` in FEAT to `*out` (caller frees with
/// `ftp_string_free`); `FTP_ERR_NOT_AVAILABLE` when the feature is not listed.
///
/// # Safety
/// `ftp` must be live; `feature` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_feat_params(
    ftp: *mut ftp_client,
    feature: *const c_char,
    out: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_feat_params";
    fallible(function, || {
        let feature = arg_str(function, "feature", feature)?;
        arg_ptr(function, "out", out)?;
        let params = with_client(function, ftp, |c| {
            Ok(c.features()?.params(feature).map(str::to_string))
        })?;
        match params {
            Some(p) => {
                *out = owned_c_string(function, p.as_bytes())?;
                Ok(FTP_OK)
            }
            None => Err(FfiError::new(
                FTP_ERR_NOT_AVAILABLE,
                format!("{function}: the server does not list {feature}"),
            )),
        }
    })
}

/// Chooses the type of later transfers: `FTP_TYPE_BINARY` or `FTP_TYPE_ASCII` (TYPE is sent
/// lazily, only when it changes).
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_transfer_type(
    ftp: *mut ftp_client,
    transfer_type: i32,
) -> ftp_result {
    let function = "ftp_set_transfer_type";
    fallible(function, || {
        let t = transfer_type_of(function, transfer_type)?;
        with_client(function, ftp, |c| {
            c.set_transfer_type(t);
            Ok(FTP_OK)
        })
    })
}

/// Chooses PROT P (`FTP_PROT_PRIVATE`) or PROT C (`FTP_PROT_CLEAR`) for the following data
/// connections of a connected TLS session (ftplib's `prot_p`/`prot_c`), and for the sessions
/// the handle opens after it. `FTP_ERR_INVALID_STATE` without TLS; `FTP_ERR_INVALID_ARGUMENT`
/// for PROT C under `FTP_TLS_ALL`.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_data_protection(
    ftp: *mut ftp_client,
    protection: i32,
) -> ftp_result {
    let function = "ftp_set_data_protection";
    fallible(function, || {
        let protection = super::options::protection_of(function, protection)?;
        with_agent(function, ftp, |agent| {
            agent.set_data_protection(protection)?;
            Ok(FTP_OK)
        })
    })
}

/// Passive (`true`: EPSV, falling back to PASV) or active mode (`false`: PORT/EPRT on the
/// control connection's local address) for the following data connections, as ftplib's
/// `set_pasv`; finer settings are in `ftp_options_set_passive_mode`/`_set_active`.
///
/// # Safety
/// `ftp` must be live.
#[no_mangle]
pub unsafe extern "C" fn ftp_set_passive(ftp: *mut ftp_client, passive: bool) -> ftp_result {
    let function = "ftp_set_passive";
    fallible(function, || {
        let mode = if passive {
            crate::DataMode::Passive(crate::PassiveMode::Auto)
        } else {
            crate::DataMode::Active(crate::ActiveOptions::default())
        };
        with_agent(function, ftp, |agent| {
            agent.set_data_mode(mode)?;
            Ok(FTP_OK)
        })
    })
}

/// Writes whether the control connection is under TLS to `*out`. A getter: the handle's
/// error (`ftp_errcode`) stays that of the last call.
///
/// # Safety
/// `ftp` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_is_tls(ftp: *mut ftp_client, out: *mut bool) -> ftp_result {
    let function = "ftp_is_tls";
    fallible(function, || {
        arg_ptr(function, "out", out)?;
        *out = shared(function, ftp)?.peek(function, Client::is_tls)?;
        Ok(FTP_OK)
    })
}

/// Writes whether the last TLS data connection resumed the control connection's TLS session
/// to `*out` (servers such as vsftpd and ProFTPD refuse data connections that do not);
/// `FTP_ERR_NOT_AVAILABLE` before the first TLS data connection of the session. A getter: the
/// handle's error stays that of the last call.
///
/// # Safety
/// `ftp` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_last_data_tls_resumed(
    ftp: *mut ftp_client,
    out: *mut bool,
) -> ftp_result {
    let function = "ftp_last_data_tls_resumed";
    fallible(function, || {
        arg_ptr(function, "out", out)?;
        let resumed = shared(function, ftp)?.peek(function, Client::last_data_tls_resumed)?;
        *out = resumed.ok_or_else(|| {
            FfiError::new(
                FTP_ERR_NOT_AVAILABLE,
                format!("{function}: no TLS data connection yet"),
            )
        })?;
        Ok(FTP_OK)
    })
}
