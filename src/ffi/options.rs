//! `ftp_options`: everything set before connecting, through typed setters.

use std::ffi::c_char;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::boundary::*;
use super::codes::*;
use crate::{
    ActiveOptions, DataMode, DataProtection, Options, PassiveMode, TlsLevel, TlsVersion,
    TransferType,
};

/// Connection options. Create with `ftp_options_new`, free with `ftp_options_free`.
pub struct ftp_options {
    pub(crate) options: Options,
    /// The outcome of the last setter, kept on the options for bindings that cannot rely on
    /// thread-local state.
    error: ErrorRecord,
}

/// Runs a setter on `opts`, keeping its outcome on `opts` too.
unsafe fn set(
    function: &str,
    opts: *mut ftp_options,
    body: impl FnOnce(&mut Options) -> FfiResult<()>,
) -> ftp_result {
    fallible(function, || {
        arg_ptr(function, "opts", opts)?;
        let opts = &mut *opts;
        let result = body(&mut opts.options);
        match &result {
            Ok(()) => opts.error.clear(),
            Err(err) => opts.error.set(err),
        }
        result?;
        Ok(FTP_OK)
    })
}

/// An IP address argument: "" for none (NULL is an error naming it).
///
/// # Safety
/// `ptr` must be NULL or NUL-terminated.
unsafe fn ip_arg(function: &str, name: &str, ptr: *const c_char) -> FfiResult<Option<IpAddr>> {
    let text = arg_str(function, name, ptr)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| invalid(function, format!("`{name}` {text:?} is not an IP address")))
}

/// The result code of the last setter called on `opts` (`FTP_OK` after a success;
/// `FTP_ERR_INVALID_ARGUMENT` for NULL), kept on the options for bindings that cannot rely on
/// thread-local state.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_errcode(opts: *const ftp_options) -> ftp_result {
    infallible(FTP_ERR_PANIC, || {
        if opts.is_null() {
            FTP_ERR_INVALID_ARGUMENT
        } else {
            (*opts).error.code
        }
    })
}

/// The message of the last setter that failed on `opts` ("" after a success). Owned by
/// `opts`, valid until the next setter or `ftp_options_free`. Never NULL.
///
/// # Safety
/// `opts` must be NULL or a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_errmsg(opts: *const ftp_options) -> *const c_char {
    infallible(c"".as_ptr(), || {
        if opts.is_null() {
            c"ftp_options_errmsg: argument `opts` is NULL".as_ptr()
        } else {
            (*opts).error.message.as_ptr()
        }
    })
}

fn millis(ms: u32) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(u64::from(ms)))
}

/// Creates options with the defaults: passive mode (EPSV, then PASV), plain FTP, binary
/// transfers, 64 KiB blocks, timeouts of 30 s (connect), 60 s (reply), 30 s (data connect),
/// 60 s (accept), 60 s (data idle); collected listings of at most 100000 entries and 32 MiB,
/// tree walks at most 64 levels deep and 1000000 listed entries.
///
/// Returns NULL only if memory runs out. Caller owns the result; free with `ftp_options_free`.
/// The options are copied by `ftp_connect`, so they may be freed right after it.
#[no_mangle]
pub extern "C" fn ftp_options_new() -> *mut ftp_options {
    fallible_ptr("ftp_options_new", || {
        Ok(ftp_options {
            error: ErrorRecord::default(),
            options: Options::default(),
        }
        .into_c())
    })
}

/// Frees options. Consumes `opts`; NULL is a no-op.
///
/// # Safety
/// `opts` must be NULL or a pointer from `ftp_options_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_free(opts: *mut ftp_options) {
    infallible((), || ftp_options::free_c(opts))
}

/// Sets every timeout at once, in milliseconds; 0 waits forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_timeout_ms(opts: *mut ftp_options, ms: u32) -> ftp_result {
    set("ftp_options_set_timeout_ms", opts, |o| {
        *o = o.clone().with_timeout(millis(ms));
        Ok(())
    })
}

/// Limit for opening the control connection, in milliseconds; 0 waits forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_connect_timeout_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_connect_timeout_ms", opts, |o| {
        o.connect_timeout = millis(ms);
        Ok(())
    })
}

/// Limit for each reply on the control connection, in milliseconds; 0 waits forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_reply_timeout_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_reply_timeout_ms", opts, |o| {
        o.reply_timeout = millis(ms);
        Ok(())
    })
}

/// Limit for opening a passive data connection (and its TLS handshake), in milliseconds; 0
/// waits forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_data_connect_timeout_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_data_connect_timeout_ms", opts, |o| {
        o.data_connect_timeout = millis(ms);
        Ok(())
    })
}

/// Limit for the server to connect to an active-mode listener, in milliseconds; 0 waits
/// forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_accept_timeout_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_accept_timeout_ms", opts, |o| {
        o.accept_timeout = millis(ms);
        Ok(())
    })
}

/// Limit for a data connection to stay silent mid-transfer, in milliseconds; 0 waits forever.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_data_idle_timeout_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_data_idle_timeout_ms", opts, |o| {
        o.data_idle_timeout = millis(ms);
        Ok(())
    })
}

/// During transfers, send NOOP on the control connection every `ms` milliseconds, for servers
/// and firewalls that drop an idle control connection; 0 (the default) never does.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_keepalive_ms(
    opts: *mut ftp_options,
    ms: u32,
) -> ftp_result {
    set("ftp_options_set_keepalive_ms", opts, |o| {
        o.keepalive_interval = millis(ms);
        Ok(())
    })
}

/// Retries transient failures of `ftp_connect` (a refused connection, a failed TLS
/// handshake, `421` at the greeting) and of `ftp_login`, and sets the policy of the
/// production-layer calls of the session, as `ftp_set_retry_policy` does (same parameters
/// and ranges). Without it, connecting and logging in fail at the first error.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_retry_policy(
    opts: *mut ftp_options,
    max_attempts: u32,
    initial_delay_ms: u32,
    multiplier_percent: u32,
    max_delay_ms: u32,
    jitter_percent: u32,
) -> ftp_result {
    set("ftp_options_set_retry_policy", opts, |o| {
        o.retry = Some(super::managed::retry_policy_from_c(
            max_attempts,
            initial_delay_ms,
            multiplier_percent,
            max_delay_ms,
            jitter_percent,
        )?);
        Ok(())
    })
}

/// Passive data connections with `mode`: `FTP_PASSIVE_AUTO` (EPSV, then PASV; the default),
/// `FTP_PASSIVE_EPSV` or `FTP_PASSIVE_PASV`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_passive_mode(
    opts: *mut ftp_options,
    mode: i32,
) -> ftp_result {
    let function = "ftp_options_set_passive_mode";
    set(function, opts, |o| {
        let mode = match mode {
            FTP_PASSIVE_AUTO => PassiveMode::Auto,
            FTP_PASSIVE_EPSV => PassiveMode::Epsv,
            FTP_PASSIVE_PASV => PassiveMode::Pasv,
            other => return Err(invalid(function, format!("unknown passive mode {other}"))),
        };
        o.data_mode = DataMode::Passive(mode);
        Ok(())
    })
}

/// Active data connections (PORT, or EPRT for IPv6 or when `use_eprt`). `bind_address` is
/// the local address to listen on and `advertise_address` the one sent to the server (for
/// NAT); `""` means the control connection's local address. Ports `port_min`..`port_max`
/// are tried in order; 0 and 0 mean any free port. Borrows both strings for the call.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; the strings must be NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_active(
    opts: *mut ftp_options,
    bind_address: *const c_char,
    advertise_address: *const c_char,
    port_min: u16,
    port_max: u16,
    use_eprt: bool,
) -> ftp_result {
    let function = "ftp_options_set_active";
    set(function, opts, |o| {
        let active = ActiveOptions {
            bind_address: ip_arg(function, "bind_address", bind_address)?,
            advertise_address: ip_arg(function, "advertise_address", advertise_address)?,
            port_range: (port_min, port_max)
                .ne(&(0, 0))
                .then_some(port_min..=port_max),
            use_eprt,
        };
        active.validate()?;
        o.data_mode = DataMode::Active(active);
        Ok(())
    })
}

/// Use the address in PASV replies (off by default: the control peer's address is used, as
/// curl and ftplib do since CVE-2020-8284).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_trust_pasv_address(
    opts: *mut ftp_options,
    trust: bool,
) -> ftp_result {
    set("ftp_options_set_trust_pasv_address", opts, |o| {
        o.trust_pasv_address = trust;
        Ok(())
    })
}

/// TLS level: `FTP_TLS_NONE` (default), `FTP_TLS_TRY`, `FTP_TLS_CONTROL`, `FTP_TLS_ALL`,
/// `FTP_TLS_IMPLICIT`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls(opts: *mut ftp_options, level: i32) -> ftp_result {
    let function = "ftp_options_set_tls";
    set(function, opts, |o| {
        o.tls.level = match level {
            FTP_TLS_NONE => TlsLevel::None,
            FTP_TLS_TRY => TlsLevel::Try,
            FTP_TLS_CONTROL => TlsLevel::Control,
            FTP_TLS_ALL => TlsLevel::All,
            FTP_TLS_IMPLICIT => TlsLevel::Implicit,
            other => return Err(invalid(function, format!("unknown TLS level {other}"))),
        };
        Ok(())
    })
}

/// Data connection protection under TLS: `FTP_PROT_PRIVATE` (PROT P, default) or
/// `FTP_PROT_CLEAR` (PROT C).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_data_protection(
    opts: *mut ftp_options,
    protection: i32,
) -> ftp_result {
    let function = "ftp_options_set_tls_data_protection";
    set(function, opts, |o| {
        o.tls.data_protection = protection_of(function, protection)?;
        Ok(())
    })
}

/// `FTP_PROT_PRIVATE` or `FTP_PROT_CLEAR` as the Rust value.
pub(crate) fn protection_of(function: &str, protection: i32) -> FfiResult<DataProtection> {
    match protection {
        FTP_PROT_PRIVATE => Ok(DataProtection::Private),
        FTP_PROT_CLEAR => Ok(DataProtection::Clear),
        other => Err(invalid(function, format!("unknown protection {other}"))),
    }
}

/// Parses every LIST line in one format (`FTP_LIST_FORMAT_UNIX`, `_DOS`, `_VMS`, `_MVS`,
/// `_OS400`, `_TANDEM`, `_NETWARE`, `_EPLF`) instead of detecting it, or detects it again
/// (`FTP_LIST_FORMAT_AUTO`, the default: line by line, starting with what SYST suggests).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_list_format(
    opts: *mut ftp_options,
    format: i32,
) -> ftp_result {
    let function = "ftp_options_set_list_format";
    set(function, opts, |o| {
        o.list_format = super::listing::format_of(function, format)?;
        Ok(())
    })
}

/// The server's local time minus UTC in minutes (+60 for a server on CET in winter), to turn
/// the local times in LIST lines into UTC; within 24 hours. Default 0. MLSD times are UTC
/// already and are not changed.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_server_utc_offset_minutes(
    opts: *mut ftp_options,
    minutes: i32,
) -> ftp_result {
    let function = "ftp_options_set_server_utc_offset_minutes";
    set(function, opts, |o| {
        let mut changed = o.clone();
        changed.server_utc_offset_minutes = minutes;
        changed.validate()?;
        o.server_utc_offset_minutes = minutes;
        Ok(())
    })
}

/// Trusts the CA certificates in a PEM file besides the system store. Copies `path`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_ca_file(
    opts: *mut ftp_options,
    path: *const c_char,
) -> ftp_result {
    let function = "ftp_options_set_tls_ca_file";
    set(function, opts, |o| {
        o.tls.ca_file = Some(PathBuf::from(arg_str(function, "path", path)?));
        Ok(())
    })
}

/// Trusts the CA certificates in `len` bytes of PEM text at `pem` (one or more `CERTIFICATE`
/// blocks) besides the system store and the other CAs: for callers that hold the CA in
/// memory rather than in a file. May be called more than once. Copies the bytes;
/// `FTP_ERR_INVALID_ARGUMENT` when they hold no certificate or one does not parse.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `pem` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_add_tls_ca_pem(
    opts: *mut ftp_options,
    pem: *const u8,
    len: usize,
) -> ftp_result {
    let function = "ftp_options_add_tls_ca_pem";
    set(function, opts, |o| {
        arg_ptr(function, "pem", pem)?;
        Ok(o.tls.add_ca_pem(std::slice::from_raw_parts(pem, len))?)
    })
}

/// Trusts the PEM CA certificates in a directory besides the system store. Copies `path`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `path` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_ca_dir(
    opts: *mut ftp_options,
    path: *const c_char,
) -> ftp_result {
    let function = "ftp_options_set_tls_ca_dir";
    set(function, opts, |o| {
        o.tls.ca_dir = Some(PathBuf::from(arg_str(function, "path", path)?));
        Ok(())
    })
}

/// Whether to trust the system's CA store (default true; SSL_CERT_FILE and SSL_CERT_DIR are
/// honoured).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_system_roots(
    opts: *mut ftp_options,
    use_system: bool,
) -> ftp_result {
    set("ftp_options_set_tls_system_roots", opts, |o| {
        o.tls.use_system_roots = use_system;
        Ok(())
    })
}

/// Adds a pinned server certificate: `sha256//BASE64` (curl's form, of the public key) or 64
/// hex digits (of the DER certificate or its public key). With pins set, exactly the pinned
/// certificates are accepted, whatever their issuer. Copies `pin`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `pin` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_add_tls_pin(
    opts: *mut ftp_options,
    pin: *const c_char,
) -> ftp_result {
    let function = "ftp_options_add_tls_pin";
    set(function, opts, |o| {
        let pin = crate::parse_pin(arg_str(function, "pin", pin)?)?;
        o.tls.pinned_sha256.push(pin);
        Ok(())
    })
}

/// The name sent as SNI and verified in the certificate (default: the host connected to).
/// Copies `name`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `name` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_server_name(
    opts: *mut ftp_options,
    name: *const c_char,
) -> ftp_result {
    let function = "ftp_options_set_tls_server_name";
    set(function, opts, |o| {
        o.tls.server_name = Some(arg_str(function, "name", name)?.to_string());
        Ok(())
    })
}

/// A client certificate chain and its key, both PEM files. Copies both paths; the files are
/// read when connecting.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; the paths NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_client_cert(
    opts: *mut ftp_options,
    cert_path: *const c_char,
    key_path: *const c_char,
) -> ftp_result {
    let function = "ftp_options_set_tls_client_cert";
    set(function, opts, |o| {
        let cert = PathBuf::from(arg_str(function, "cert_path", cert_path)?);
        let key = PathBuf::from(arg_str(function, "key_path", key_path)?);
        o.tls.client_cert = Some((cert, key));
        Ok(())
    })
}

/// DANGEROUS: accepts any server certificate from anyone, so anyone on the path can read and
/// change the session. Only for tests and networks you already trust. Never the default and
/// never implied by another option.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_dangerous_disable_tls_verification(
    opts: *mut ftp_options,
) -> ftp_result {
    set(
        "ftp_options_dangerous_disable_tls_verification",
        opts,
        |o| {
            o.tls.dangerous_disable_verification = true;
            Ok(())
        },
    )
}

/// Treat a TLS download that ends without close_notify as complete (for servers known not to
/// send it). Off by default: such a download fails with `FTP_ERR_TLS`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_allow_missing_close_notify(
    opts: *mut ftp_options,
    allow: bool,
) -> ftp_result {
    set(
        "ftp_options_set_tls_allow_missing_close_notify",
        opts,
        |o| {
            o.tls.allow_missing_close_notify = allow;
            Ok(())
        },
    )
}

/// The TLS versions allowed: `FTP_TLS_VERSION_1_2` or `FTP_TLS_VERSION_1_3` for each bound.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_versions(
    opts: *mut ftp_options,
    min: i32,
    max: i32,
) -> ftp_result {
    let function = "ftp_options_set_tls_versions";
    set(function, opts, |o| {
        let version = |v: i32| match v {
            FTP_TLS_VERSION_1_2 => Ok(TlsVersion::Tls12),
            FTP_TLS_VERSION_1_3 => Ok(TlsVersion::Tls13),
            other => Err(invalid(function, format!("unknown TLS version {other}"))),
        };
        let (min, max) = (version(min)?, version(max)?);
        if min > max {
            return Err(invalid(function, "min is above max".into()));
        }
        o.tls.min_version = Some(min);
        o.tls.max_version = Some(max);
        Ok(())
    })
}

/// Send CCC after login: the control connection returns to plain text while data stays
/// protected.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_tls_ccc(
    opts: *mut ftp_options,
    enable: bool,
) -> ftp_result {
    set("ftp_options_set_tls_ccc", opts, |o| {
        o.tls.clear_command_channel = enable;
        Ok(())
    })
}

/// Bytes per read or write on data connections (default 65536; 1 byte to 64 MiB).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_block_size(
    opts: *mut ftp_options,
    bytes: usize,
) -> ftp_result {
    let function = "ftp_options_set_block_size";
    set(function, opts, |o| {
        let mut checked = o.clone();
        checked.block_size = bytes;
        checked.validate()?;
        *o = checked;
        Ok(())
    })
}

/// Plain binary uploads from a file descriptor (`ftp_stor_fd`, `ftp_stor_file`,
/// `ftp_upload_file`) sent with sendfile(2) on Linux, without copying the bytes through this
/// process: about a quarter of the client's CPU time, but slower for the servers measured to
/// receive (BENCHMARKS.md). Off by default. It applies only while the process ignores SIGPIPE
/// (`signal(SIGPIPE, SIG_IGN)`), since sendfile cannot be told not to raise it; otherwise
/// uploads keep the ordinary copy, which never raises SIGPIPE.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_zero_copy_upload(
    opts: *mut ftp_options,
    enable: bool,
) -> ftp_result {
    set("ftp_options_set_zero_copy_upload", opts, |o| {
        o.zero_copy_upload = enable;
        Ok(())
    })
}

/// The initial transfer type: `FTP_TYPE_BINARY` (default) or `FTP_TYPE_ASCII`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_transfer_type(
    opts: *mut ftp_options,
    transfer_type: i32,
) -> ftp_result {
    let function = "ftp_options_set_transfer_type";
    set(function, opts, |o| {
        o.transfer_type = transfer_type_of(function, transfer_type)?;
        Ok(())
    })
}

pub(crate) fn transfer_type_of(function: &str, value: i32) -> FfiResult<TransferType> {
    match value {
        FTP_TYPE_BINARY => Ok(TransferType::Binary),
        FTP_TYPE_ASCII => Ok(TransferType::Ascii),
        other => Err(invalid(function, format!("unknown transfer type {other}"))),
    }
}

/// Send `OPTS UTF8 ON` after login when the server offers UTF8 (default true).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_utf8(opts: *mut ftp_options, enable: bool) -> ftp_result {
    set("ftp_options_set_utf8", opts, |o| {
        o.utf8 = enable;
        Ok(())
    })
}

/// Most entries one collected listing may hold: `ftp_dir_list_open`, and each directory that
/// `ftp_sync_directory` and `ftp_mirror_directory` list (default 100000; at least 1). A
/// listing with more fails the whole call with `FTP_ERR_PROTOCOL` and a message naming this
/// bound; nothing is done with part of a listing.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_listing_entries(
    opts: *mut ftp_options,
    max: u64,
) -> ftp_result {
    let function = "ftp_options_set_max_listing_entries";
    set(function, opts, |o| {
        o.max_listing_entries = at_least_one(function, max)?;
        Ok(())
    })
}

/// Most bytes of listing lines (line endings not counted) one collected listing may hold
/// (default 33554432, 32 MiB; at least 1); past that the call fails as for
/// `ftp_options_set_max_listing_entries`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_listing_bytes(
    opts: *mut ftp_options,
    max: u64,
) -> ftp_result {
    let function = "ftp_options_set_max_listing_bytes";
    set(function, opts, |o| {
        o.max_listing_bytes = at_least_one(function, max)?;
        Ok(())
    })
}

/// How many directory levels below the directory named `ftp_sync_directory` and
/// `ftp_mirror_directory` descend (default 64; at least 1). A deeper tree fails the call with
/// `FTP_ERR_PROTOCOL` (`FTP_ERR_IO` for a local tree) before anything is changed.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_tree_depth(
    opts: *mut ftp_options,
    max: u32,
) -> ftp_result {
    let function = "ftp_options_set_max_tree_depth";
    set(function, opts, |o| {
        o.max_tree_depth = at_least_one(function, u64::from(max))? as u32;
        Ok(())
    })
}

/// Most entries the server may list in all the directories of one `ftp_sync_directory` or
/// `ftp_mirror_directory` (default 1000000; at least 1); past that the call fails with
/// `FTP_ERR_PROTOCOL` before anything is changed.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_tree_entries(
    opts: *mut ftp_options,
    max: u64,
) -> ftp_result {
    let function = "ftp_options_set_max_tree_entries";
    set(function, opts, |o| {
        o.max_tree_entries = at_least_one(function, max)?;
        Ok(())
    })
}

fn at_least_one(function: &str, value: u64) -> FfiResult<u64> {
    if value == 0 {
        return Err(invalid(function, "the bound must be at least 1".into()));
    }
    Ok(value)
}

/// The most bytes per second every handle later made from `opts` reads from data connections
/// (downloads and listings), counted from the first block; 0 removes the limit (the default).
/// The handles made from these options share one bucket: together they stay under the limit
/// (set the options again, or use other options, for a limit of its own per handle).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_download_rate(
    opts: *mut ftp_options,
    bytes_per_sec: u64,
) -> ftp_result {
    set("ftp_options_set_max_download_rate", opts, |o| {
        o.download_rate = rate_limit(bytes_per_sec)?;
        Ok(())
    })
}

/// The most bytes per second written to data connections (uploads), as
/// `ftp_options_set_max_download_rate`; 0 removes the limit (the default).
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_max_upload_rate(
    opts: *mut ftp_options,
    bytes_per_sec: u64,
) -> ftp_result {
    set("ftp_options_set_max_upload_rate", opts, |o| {
        o.upload_rate = rate_limit(bytes_per_sec)?;
        Ok(())
    })
}

/// A new bucket of `bytes_per_sec`; `None` for 0.
fn rate_limit(bytes_per_sec: u64) -> FfiResult<Option<crate::RateLimit>> {
    if bytes_per_sec == 0 {
        return Ok(None);
    }
    Ok(Some(crate::RateLimit::new(bytes_per_sec)?))
}

/// A proxy for the control connection and every data connection of the handles made
/// from `opts`: `socks5h://[user:password@]host[:port]` (SOCKS5, names resolved by the proxy;
/// port 1080 by default), `socks5://...` (names resolved here), or
/// `http://[user:password@]host[:port]` (HTTP CONNECT with basic authentication; port 8080 by
/// default). TLS runs end to end through it; active mode uses SOCKS5 BIND (refused with an
/// HTTP proxy). NULL or "" removes it.
/// The environment (`ALL_PROXY`, `ftp_proxy`) is never read. The proxy's password is never
/// shown in messages. Copies `url`.
///
/// # Safety
/// `opts` must be a live pointer from `ftp_options_new`; `url` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_options_set_proxy(
    opts: *mut ftp_options,
    url: *const c_char,
) -> ftp_result {
    let function = "ftp_options_set_proxy";
    let url = if url.is_null() {
        Ok(String::new())
    } else {
        arg_str(function, "url", url).map(str::to_string)
    };
    set(function, opts, |o| {
        let url = url?;
        o.proxy = if url.is_empty() {
            None
        } else {
            Some(crate::Proxy::parse(&url)?)
        };
        Ok(())
    })
}
