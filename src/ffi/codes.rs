//! Result codes and constants of the C API. Codes are appended, never renumbered.
#![allow(non_camel_case_types)]

/// The result of every fallible call: `FTP_OK`, `FTP_DONE`, or a negative error class. The
/// server's three-digit reply code is never folded into it: read it with `ftp_reply_code` or
/// `ftp_last_reply_code`.
pub type ftp_result = i32;

/// Success.
pub const FTP_OK: ftp_result = 0;
/// An iterator is exhausted (not an error).
pub const FTP_DONE: ftp_result = 1;
/// A NULL or malformed argument, or CR/LF/NUL in something bound for the server.
pub const FTP_ERR_INVALID_ARGUMENT: ftp_result = -1;
/// The server answered 4xx: try again later.
pub const FTP_ERR_TEMPORARY: ftp_result = -2;
/// The server answered 5xx: refused for good.
pub const FTP_ERR_PERMANENT: ftp_result = -3;
/// A well-formed reply the command did not expect.
pub const FTP_ERR_UNEXPECTED_REPLY: ftp_result = -4;
/// The server broke the protocol (malformed, oversized or truncated replies or data).
pub const FTP_ERR_PROTOCOL: ftp_result = -5;
/// The operating system reported an error on a socket or local file.
pub const FTP_ERR_IO: ftp_result = -6;
/// A timeout ran out; the message names the phase.
pub const FTP_ERR_TIMEOUT: ftp_result = -7;
/// TLS failed: handshake, verification, or a stream cut without close_notify.
pub const FTP_ERR_TLS: ftp_result = -8;
/// A callback asked to stop; the handle stays usable.
pub const FTP_ERR_ABORTED: ftp_result = -9;
/// The handle is in use: called from inside its own callback, or from two threads at once.
pub const FTP_ERR_BUSY: ftp_result = -10;
/// The value asked for is not available (no size listed, no total announced).
pub const FTP_ERR_NOT_AVAILABLE: ftp_result = -11;
/// An internal panic was caught at the boundary; the message has its text.
pub const FTP_ERR_PANIC: ftp_result = -12;
/// The handle cannot do this now (a data stream is still open, the connection was lost or
/// closed).
pub const FTP_ERR_INVALID_STATE: ftp_result = -13;
/// A file's hash after a transfer differs between the server and the local copy (the
/// verification of `ftp_download_file_ex`, `ftp_upload_file_ex`, `FTP_SYNC_VERIFY`).
pub const FTP_ERR_INTEGRITY: ftp_result = -14;

/// Passive mode: EPSV, falling back to PASV (remembered for the session). The default.
pub const FTP_PASSIVE_AUTO: i32 = 0;
/// Passive mode: EPSV only.
pub const FTP_PASSIVE_EPSV: i32 = 1;
/// Passive mode: PASV only.
pub const FTP_PASSIVE_PASV: i32 = 2;

/// TLS: none (plain FTP). The default.
pub const FTP_TLS_NONE: i32 = 0;
/// TLS: explicit if the server accepts AUTH TLS, else plain.
pub const FTP_TLS_TRY: i32 = 1;
/// TLS: explicit, required on the control connection.
pub const FTP_TLS_CONTROL: i32 = 2;
/// TLS: explicit, required on control and data connections.
pub const FTP_TLS_ALL: i32 = 3;
/// TLS: implicit (TLS from the first byte, port 990 by convention).
pub const FTP_TLS_IMPLICIT: i32 = 4;

/// Data connection protection: PROT P (TLS). The default.
pub const FTP_PROT_PRIVATE: i32 = 0;
/// Data connection protection: PROT C (clear).
pub const FTP_PROT_CLEAR: i32 = 1;

/// TLS version 1.2.
pub const FTP_TLS_VERSION_1_2: i32 = 12;
/// TLS version 1.3.
pub const FTP_TLS_VERSION_1_3: i32 = 13;

/// Transfer type: binary (TYPE I). The default.
pub const FTP_TYPE_BINARY: i32 = 0;
/// Transfer type: ASCII (TYPE A), with CRLF/LF conversion.
pub const FTP_TYPE_ASCII: i32 = 1;

/// Entry type: regular file.
pub const FTP_ENTRY_FILE: i32 = 0;
/// Entry type: directory.
pub const FTP_ENTRY_DIR: i32 = 1;
/// Entry type: the listed directory itself (MLSD `cdir`).
pub const FTP_ENTRY_CURRENT_DIR: i32 = 2;
/// Entry type: the parent directory (MLSD `pdir`).
pub const FTP_ENTRY_PARENT_DIR: i32 = 3;
/// Entry type: symbolic link.
pub const FTP_ENTRY_LINK: i32 = 4;
/// Entry type: anything else (`ftp_entry_fact(e, "type")` has the server's word).
pub const FTP_ENTRY_OTHER: i32 = 5;
