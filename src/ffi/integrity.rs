//! Integrity from C: a file's hash computed by the server, and whole-file transfers verified
//! by it.

use std::ffi::{c_char, c_void};

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, with_agent};
use super::transfer::{ftp_progress_cb, progress_fn};
use crate::{DownloadOptions, HashAlgorithm, UploadOptions};

/// Hash algorithm: SHA-256 (HASH `SHA-256`, or XSHA256).
pub const FTP_HASH_SHA256: i32 = 0;
/// Hash algorithm: SHA-1 (HASH `SHA-1`, or XSHA1).
pub const FTP_HASH_SHA1: i32 = 1;
/// Hash algorithm: MD5 (HASH `MD5`, or XMD5).
pub const FTP_HASH_MD5: i32 = 2;
/// Hash algorithm: CRC32 (HASH `CRC32`, or XCRC).
pub const FTP_HASH_CRC32: i32 = 3;

/// `ftp_download_file_ex` flag: continue a partial file left by an earlier call (as
/// `resume` of `ftp_download_file`).
pub const FTP_FILE_RESUME: u32 = 1;
/// `ftp_download_file_ex`/`ftp_upload_file_ex` flag: after the transfer, compare the server's
/// hash of the file (the strongest it computes) with the local one's: `FTP_ERR_INTEGRITY`
/// when they differ (a download's partial file is then removed, never renamed into place),
/// `FTP_ERR_NOT_AVAILABLE` when the server computes none (a download's partial file is kept,
/// not renamed).
pub const FTP_FILE_VERIFY: u32 = 2;
/// `ftp_upload_file_ex` flag: upload to `.NAME.ftpc-part` and rename on success (as
/// `temporary_name` of `ftp_upload_file`); with `FTP_FILE_VERIFY`, renamed only once verified.
pub const FTP_FILE_TEMPORARY_NAME: u32 = 4;

fn algorithm_of(function: &str, algorithm: i32) -> FfiResult<HashAlgorithm> {
    match algorithm {
        FTP_HASH_SHA256 => Ok(HashAlgorithm::Sha256),
        FTP_HASH_SHA1 => Ok(HashAlgorithm::Sha1),
        FTP_HASH_MD5 => Ok(HashAlgorithm::Md5),
        FTP_HASH_CRC32 => Ok(HashAlgorithm::Crc32),
        other => Err(invalid(
            function,
            format!("unknown hash algorithm {other} (FTP_HASH_*)"),
        )),
    }
}

fn check_flags(function: &str, flags: u32, allowed: u32) -> FfiResult<()> {
    if flags & !allowed != 0 {
        return Err(invalid(function, format!("unknown flags {flags:#x}")));
    }
    Ok(())
}

/// Writes the server's hash of `path` with `algorithm` (`FTP_HASH_*`) to `*out_hex`, in
/// lower-case hex: HASH where the server lists the algorithm in FEAT (selected with OPTS HASH
/// when another is current), else its older command (XSHA256, XSHA1, XMD5, XCRC).
/// `FTP_ERR_NOT_AVAILABLE` when the server has neither: it cannot say. Retried as the
/// production layer's calls are. Borrows `path`; caller owns `*out_hex`; free with
/// `ftp_string_free`. Written only on success.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out_hex` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_hash(
    ftp: *mut ftp_client,
    path: *const c_char,
    algorithm: i32,
    out_hex: *mut *mut c_char,
) -> ftp_result {
    let function = "ftp_hash";
    fallible(function, || {
        let path = arg_bytes(function, "path", path)?;
        arg_ptr(function, "out_hex", out_hex)?;
        let algorithm = algorithm_of(function, algorithm)?;
        let hex = with_agent(function, ftp, |c| Ok(c.hash_file(path, algorithm)?))?;
        *out_hex = owned_c_string(function, hex.as_bytes())?;
        Ok(FTP_OK)
    })
}

/// `ftp_download_file` with flags: `FTP_FILE_RESUME`, `FTP_FILE_VERIFY`. Borrows both paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_download_file_ex(
    ftp: *mut ftp_client,
    remote: *const c_char,
    local_path: *const c_char,
    flags: u32,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_download_file_ex";
    fallible(function, || {
        check_flags(function, flags, FTP_FILE_RESUME | FTP_FILE_VERIFY)?;
        let remote = arg_bytes(function, "remote", remote)?;
        let local = arg_str(function, "local_path", local_path)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            let options = DownloadOptions {
                resume: flags & FTP_FILE_RESUME != 0,
                verify: flags & FTP_FILE_VERIFY != 0,
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
            };
            c.download_file(remote, local, options)?;
            Ok(FTP_OK)
        })
    })
}

/// `ftp_upload_file` with flags: `FTP_FILE_TEMPORARY_NAME`, `FTP_FILE_VERIFY`. Borrows both
/// paths.
///
/// # Safety
/// `ftp` must be live; the paths NUL-terminated; the callback valid for the call.
#[no_mangle]
pub unsafe extern "C" fn ftp_upload_file_ex(
    ftp: *mut ftp_client,
    local_path: *const c_char,
    remote: *const c_char,
    flags: u32,
    progress_cb: ftp_progress_cb,
    userdata: *mut c_void,
) -> ftp_result {
    let function = "ftp_upload_file_ex";
    fallible(function, || {
        check_flags(function, flags, FTP_FILE_TEMPORARY_NAME | FTP_FILE_VERIFY)?;
        let local = arg_str(function, "local_path", local_path)?;
        let remote = arg_bytes(function, "remote", remote)?;
        with_agent(function, ftp, |c| {
            let mut progress = progress_fn(progress_cb, userdata);
            let options = UploadOptions {
                temporary_name: flags & FTP_FILE_TEMPORARY_NAME != 0,
                verify: flags & FTP_FILE_VERIFY != 0,
                progress: progress.as_mut().map(|p| p as &mut crate::ProgressFn<'_>),
            };
            c.upload_file(local, remote, options)?;
            Ok(FTP_OK)
        })
    })
}
