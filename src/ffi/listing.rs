//! Listings from C: an MLSD or parsed-LIST iterator that returns borrowed entries, MLST, and
//! the entry accessors.

use std::ffi::{c_char, CString};
use std::sync::Arc;
use std::sync::OnceLock;

use super::boundary::*;
use super::codes::*;
use super::handle::{ftp_client, shared, Shared};
use crate::listing::ListFormat;
use crate::{Entry, EntryKind};
use crate::{ListingCursor, ListingKind};

/// One listed object. Borrowed from its listing (valid until the next `ftp_listing_next` or
/// `ftp_listing_close`) or owned (from `ftp_mlst`, freed with `ftp_entry_free`).
pub struct ftp_entry {
    entry: Entry,
    // The C strings are made on first use: a collected listing of a million entries does not
    // carry a second copy of every name and fact.
    name: OnceLock<CString>,
    /// Every fact as C strings (name, value), in the entry's order.
    facts: OnceLock<Vec<(CString, CString)>>,
}

impl ftp_entry {
    pub(crate) fn new(entry: Entry) -> ftp_entry {
        ftp_entry {
            entry,
            name: OnceLock::new(),
            facts: OnceLock::new(),
        }
    }

    fn c_name(&self) -> &CString {
        self.name.get_or_init(|| {
            CString::new(self.entry.name_bytes())
                .unwrap_or_else(|_| c_string_lossy(self.entry.name()))
        })
    }

    fn c_facts(&self) -> &[(CString, CString)] {
        self.facts.get_or_init(|| {
            self.entry
                .facts()
                .map(|(k, v)| (c_string_lossy(k), c_string_lossy(v)))
                .collect()
        })
    }

    fn c_fact(&self, name: &[u8]) -> Option<&CString> {
        let index = self
            .entry
            .facts()
            .position(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))?;
        self.c_facts().get(index).map(|(_, v)| v)
    }
}

/// A listing being received. Open with `ftp_listing_open`, step with `ftp_listing_next`, free
/// with `ftp_listing_close`. Keeps its session alive internally, so the session handle and the
/// listing may be freed in either order.
pub struct ftp_listing {
    shared: Arc<Shared>,
    cursor: Option<ListingCursor>,
    current: Option<ftp_entry>,
}

/// The first name of `ftp_listing`, kept as an alias: the same type.
pub type ftp_mlsd = ftp_listing;

/// `ftp_listing_open` kind: MLSD, machine-readable facts (RFC 3659).
pub const FTP_LISTING_MLSD: i32 = 0;
/// `ftp_listing_open` kind: LIST, each line parsed into an entry (Unix, DOS/IIS and the other
/// formats the library reads), for servers without MLSD.
pub const FTP_LISTING_LIST: i32 = 1;

/// Starts a listing of `path` (NULL or "" for the current directory) with the command `kind`
/// names (`FTP_LISTING_MLSD` or `FTP_LISTING_LIST`); lines are parsed as they arrive, never
/// buffered whole. Caller owns `*out`; free with `ftp_listing_close`. Until then other calls
/// on `ftp` fail with `FTP_ERR_INVALID_STATE`. Borrows `path`.
///
/// # Safety
/// `ftp` must be live; `path` NULL or NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_listing_open(
    ftp: *mut ftp_client,
    path: *const c_char,
    kind: i32,
    out: *mut *mut ftp_listing,
) -> ftp_result {
    listing_open("ftp_listing_open", ftp, path, kind, out)
}

/// `ftp_listing_open` under the name it was called by (it has aliases).
unsafe fn listing_open(
    function: &str,
    ftp: *mut ftp_client,
    path: *const c_char,
    kind: i32,
    out: *mut *mut ftp_listing,
) -> ftp_result {
    fallible(function, || {
        let kind = match kind {
            FTP_LISTING_MLSD => ListingKind::Mlsd,
            FTP_LISTING_LIST => ListingKind::List,
            other => return Err(invalid(function, format!("unknown listing kind {other}"))),
        };
        let path = opt_arg_bytes(path);
        arg_ptr(function, "out", out)?;
        let shared = shared(function, ftp)?.clone();
        let cursor = shared.call_data(function, |c| Ok(c.open_listing(kind, path)?))?;
        *out = ftp_listing {
            shared,
            cursor: Some(cursor),
            current: None,
        }
        .into_c();
        Ok(FTP_OK)
    })
}

/// Reads the next entry: returns `FTP_OK` and writes a borrowed entry to `*out` (valid until
/// the next `ftp_listing_next` or `ftp_listing_close` on `it`), or `FTP_DONE` at the end (the
/// server's final reply was 2xx), or an error. A line that does not parse is an
/// `FTP_ERR_PROTOCOL` for that line only: calling again goes on with the next line.
///
/// # Safety
/// `it` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_listing_next(
    it: *mut ftp_listing,
    out: *mut *const ftp_entry,
) -> ftp_result {
    listing_next("ftp_listing_next", it, out)
}

/// `ftp_listing_next` under the name it was called by.
unsafe fn listing_next(
    function: &str,
    it: *mut ftp_listing,
    out: *mut *const ftp_entry,
) -> ftp_result {
    fallible(function, || {
        arg_ptr(function, "it", it)?;
        arg_ptr(function, "out", out)?;
        let it = &mut *it;
        it.current = None;
        let Some(cursor) = it.cursor.as_mut() else {
            return Ok(FTP_DONE);
        };
        match it.shared.call(function, |c| Ok(c.next_entry(cursor)?))? {
            Some(entry) => {
                *out = it.current.insert(ftp_entry::new(entry));
                Ok(FTP_OK)
            }
            None => Ok(FTP_DONE),
        }
    })
}

/// Ends a listing and frees it: of a listing not read to the end, a short rest (up to 256 KiB)
/// is read and dropped and a longer one aborted (ABOR), leaving the session usable. Consumes
/// `it`; NULL is a no-op. Entries borrowed from it become invalid.
///
/// # Safety
/// `it` must be NULL or from `ftp_listing_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_listing_close(it: *mut ftp_listing) {
    listing_close("ftp_listing_close", it)
}

/// `ftp_listing_close` under the name it was called by.
unsafe fn listing_close(function: &str, it: *mut ftp_listing) {
    infallible((), || {
        let Some(mut it) = ftp_listing::from_c(it) else {
            return;
        };
        if let Some(cursor) = it.cursor.take() {
            let _ = it.shared.call(function, |c| Ok(c.close_listing(cursor)?));
        }
    })
}

/// Frees the listing without talking to the server (for finalizers and destructors, which
/// must not block): the data connection is closed and the session's next call connects and
/// logs in again first, unless the listing had been read to its end (then nothing is left to
/// do). Consumes `it`; NULL is a no-op. Entries borrowed from it become invalid.
///
/// # Safety
/// `it` must be NULL or from `ftp_listing_open`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_listing_free(it: *mut ftp_listing) {
    infallible((), || {
        if let Some(mut it) = ftp_listing::from_c(it) {
            if it.cursor.take().is_some_and(|c| !c.is_complete()) {
                it.shared.stream_dropped();
            }
        }
    })
}

/// Alias of `ftp_listing_open(ftp, path, FTP_LISTING_MLSD, out)`, its first name.
///
/// # Safety
/// As `ftp_listing_open`.
#[no_mangle]
pub unsafe extern "C" fn ftp_mlsd_open(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut *mut ftp_mlsd,
) -> ftp_result {
    listing_open("ftp_mlsd_open", ftp, path, FTP_LISTING_MLSD, out)
}

/// Alias of `ftp_listing_open(ftp, path, FTP_LISTING_LIST, out)`, its first name.
///
/// # Safety
/// As `ftp_listing_open`.
#[no_mangle]
pub unsafe extern "C" fn ftp_list_open(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut *mut ftp_mlsd,
) -> ftp_result {
    listing_open("ftp_list_open", ftp, path, FTP_LISTING_LIST, out)
}

/// Alias of `ftp_listing_next`, its first name.
///
/// # Safety
/// As `ftp_listing_next`.
#[no_mangle]
pub unsafe extern "C" fn ftp_mlsd_next(
    it: *mut ftp_mlsd,
    out: *mut *const ftp_entry,
) -> ftp_result {
    listing_next("ftp_mlsd_next", it, out)
}

/// Alias of `ftp_listing_close`, its first name.
///
/// # Safety
/// As `ftp_listing_close`.
#[no_mangle]
pub unsafe extern "C" fn ftp_mlsd_close(it: *mut ftp_mlsd) {
    listing_close("ftp_mlsd_close", it)
}

/// MLST: facts about one path (NULL or "" for the current directory). Caller owns `*out`; free with
/// `ftp_entry_free`.
///
/// # Safety
/// `ftp` must be live; `path` NUL-terminated; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_mlst(
    ftp: *mut ftp_client,
    path: *const c_char,
    out: *mut *mut ftp_entry,
) -> ftp_result {
    let function = "ftp_mlst";
    fallible(function, || {
        let path = opt_arg_bytes(path);
        arg_ptr(function, "out", out)?;
        let entry = shared(function, ftp)?.call(function, |c| Ok(c.mlst(path)?))?;
        *out = ftp_entry::new(entry).into_c();
        Ok(FTP_OK)
    })
}

/// Frees an entry from `ftp_mlst`. Consumes `entry`; NULL is a no-op. Never pass an entry
/// borrowed from `ftp_mlsd_next`.
///
/// # Safety
/// `entry` must be NULL or from `ftp_mlst`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_free(entry: *mut ftp_entry) {
    infallible((), || ftp_entry::free_c(entry))
}

static EMPTY: &[u8] = b"\0";

/// The entry's name, exactly as the server sent it (a NUL in it is shown as U+FFFD).
/// Borrowed from `entry`. Never NULL ("" for a NULL entry).
///
/// # Safety
/// `entry` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_name(entry: *const ftp_entry) -> *const c_char {
    infallible(EMPTY.as_ptr().cast(), || {
        if entry.is_null() {
            return EMPTY.as_ptr().cast();
        }
        (*entry).c_name().as_ptr()
    })
}

/// The entry's name as bytes, exactly as the server sent them, whatever their encoding: for
/// loaders that decode `char *` as UTF-8 (koffi and others) and names that are not UTF-8.
/// Writes a pointer to the bytes (borrowed from `entry`, valid as long as it is; not
/// NUL-terminated) to `*out_data` and their count to `*out_len`.
///
/// # Safety
/// `entry` must be live; `out_data` and `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_name_bytes(
    entry: *const ftp_entry,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> ftp_result {
    let function = "ftp_entry_name_bytes";
    fallible(function, || {
        arg_ptr(function, "entry", entry)?;
        arg_ptr(function, "out_data", out_data)?;
        arg_ptr(function, "out_len", out_len)?;
        let name = (*entry).entry.name_bytes();
        *out_data = name.as_ptr();
        *out_len = name.len();
        Ok(FTP_OK)
    })
}

/// The entry's type: `FTP_ENTRY_FILE`, `_DIR`, `_CURRENT_DIR`, `_PARENT_DIR`, `_LINK` or
/// `_OTHER` (`FTP_ENTRY_OTHER` for a NULL entry).
///
/// # Safety
/// `entry` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_type(entry: *const ftp_entry) -> i32 {
    infallible(FTP_ENTRY_OTHER, || {
        if entry.is_null() {
            return FTP_ENTRY_OTHER;
        }
        match (*entry).entry.kind() {
            EntryKind::File => FTP_ENTRY_FILE,
            EntryKind::Dir => FTP_ENTRY_DIR,
            EntryKind::CurrentDir => FTP_ENTRY_CURRENT_DIR,
            EntryKind::ParentDir => FTP_ENTRY_PARENT_DIR,
            EntryKind::Link => FTP_ENTRY_LINK,
            EntryKind::Other(_) => FTP_ENTRY_OTHER,
        }
    })
}

/// Writes the entry's size to `*out`; `FTP_ERR_NOT_AVAILABLE` when the listing gave none.
///
/// # Safety
/// `entry` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_size(entry: *const ftp_entry, out: *mut u64) -> ftp_result {
    let function = "ftp_entry_size";
    fallible(function, || {
        arg_ptr(function, "entry", entry)?;
        arg_ptr(function, "out", out)?;
        let size = (*entry).entry.size().ok_or_else(|| {
            FfiError::new(
                FTP_ERR_NOT_AVAILABLE,
                format!("{function}: the listing gives no size"),
            )
        })?;
        *out = size;
        Ok(FTP_OK)
    })
}

/// Writes the entry's modification time (seconds since 1970 UTC) to `*out`;
/// `FTP_ERR_NOT_AVAILABLE` when the listing gave none.
///
/// # Safety
/// `entry` must be live; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_modified(entry: *const ftp_entry, out: *mut i64) -> ftp_result {
    let function = "ftp_entry_modified";
    fallible(function, || {
        arg_ptr(function, "entry", entry)?;
        arg_ptr(function, "out", out)?;
        let time = (*entry).entry.modified().ok_or_else(|| {
            FfiError::new(
                FTP_ERR_NOT_AVAILABLE,
                format!("{function}: the listing gives no time"),
            )
        })?;
        *out = time.unix_seconds();
        Ok(FTP_OK)
    })
}

/// Any fact by name, case-insensitively (`perm`, `unique`, `unix.mode`, ...; for LIST entries
/// `unix.mode`, `unix.owner`, `unix.group`, `unix.nlink`). Borrowed from `entry`; NULL when the
/// entry has no such fact.
///
/// # Safety
/// `entry` must be NULL or live; `name` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_fact(
    entry: *const ftp_entry,
    name: *const c_char,
) -> *const c_char {
    infallible(std::ptr::null(), || {
        if entry.is_null() || name.is_null() {
            return std::ptr::null();
        }
        let name = std::ffi::CStr::from_ptr(name).to_bytes();
        (*entry)
            .c_fact(name)
            .map_or(std::ptr::null(), |v| v.as_ptr())
    })
}

/// How many facts `entry` has (0 for NULL): with `ftp_entry_fact_at`, every fact the server
/// sent, also those this library has no name for.
///
/// # Safety
/// `entry` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_fact_count(entry: *const ftp_entry) -> usize {
    infallible(0, || entry.as_ref().map_or(0, |e| e.c_facts().len()))
}

/// Writes the name and value of fact number `index` (from 0, in the server's order) to
/// `*out_name` and `*out_value`, both borrowed from `entry`; `FTP_ERR_INVALID_ARGUMENT` for an
/// index past the end. Server text: untrusted.
///
/// # Safety
/// `entry` must be live; the out-parameters writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_fact_at(
    entry: *const ftp_entry,
    index: usize,
    out_name: *mut *const c_char,
    out_value: *mut *const c_char,
) -> ftp_result {
    let function = "ftp_entry_fact_at";
    fallible(function, || {
        arg_ptr(function, "entry", entry)?;
        arg_ptr(function, "out_name", out_name)?;
        arg_ptr(function, "out_value", out_value)?;
        let facts = (*entry).c_facts();
        let (name, value) = facts.get(index).ok_or_else(|| {
            invalid(
                function,
                format!("index {index} is past the {} facts", facts.len()),
            )
        })?;
        *out_name = name.as_ptr();
        *out_value = value.as_ptr();
        Ok(FTP_OK)
    })
}

// ---- the listing line and the format that parsed it ----

/// `ftp_options_set_list_format`: detect the LIST format line by line (the default).
pub const FTP_LIST_FORMAT_AUTO: i32 = -1;
/// Listing format (`ftp_entry_format`): MLSD or MLST facts.
pub const FTP_LIST_FORMAT_MLSD: i32 = 0;
/// Listing format: Unix `ls -l` (English, CJK or numeric dates).
pub const FTP_LIST_FORMAT_UNIX: i32 = 1;
/// Listing format: DOS, IIS, Windows CE.
pub const FTP_LIST_FORMAT_DOS: i32 = 2;
/// Listing format: OpenVMS.
pub const FTP_LIST_FORMAT_VMS: i32 = 3;
/// Listing format: IBM z/OS (MVS data sets, PDS members, JES jobs).
pub const FTP_LIST_FORMAT_MVS: i32 = 4;
/// Listing format: IBM i (OS/400).
pub const FTP_LIST_FORMAT_OS400: i32 = 5;
/// Listing format: HP NonStop (Tandem).
pub const FTP_LIST_FORMAT_TANDEM: i32 = 6;
/// Listing format: Novell NetWare.
pub const FTP_LIST_FORMAT_NETWARE: i32 = 7;
/// Listing format: EPLF.
pub const FTP_LIST_FORMAT_EPLF: i32 = 8;

/// The listing line the entry was parsed from, lossily decoded as UTF-8 (a VMS entry written
/// over two lines: both, joined by a line feed). Writes a pointer to the bytes (borrowed from
/// `entry`, valid as long as it is; not NUL-terminated) to `*out_data` and their count to
/// `*out_len`.
///
/// # Safety
/// `entry` must be live; `out_data` and `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_raw(
    entry: *const ftp_entry,
    out_data: *mut *const u8,
    out_len: *mut usize,
) -> ftp_result {
    let function = "ftp_entry_raw";
    fallible(function, || {
        arg_ptr(function, "entry", entry)?;
        arg_ptr(function, "out_data", out_data)?;
        arg_ptr(function, "out_len", out_len)?;
        let raw = (*entry).entry.raw().as_bytes();
        *out_data = raw.as_ptr();
        *out_len = raw.len();
        Ok(FTP_OK)
    })
}

/// The format that parsed the entry: one of `FTP_LIST_FORMAT_*` (`FTP_LIST_FORMAT_MLSD` for
/// MLSD and MLST entries, and for a NULL entry).
///
/// # Safety
/// `entry` must be NULL or live.
#[no_mangle]
pub unsafe extern "C" fn ftp_entry_format(entry: *const ftp_entry) -> i32 {
    infallible(FTP_LIST_FORMAT_MLSD, || {
        if entry.is_null() {
            return FTP_LIST_FORMAT_MLSD;
        }
        format_code((*entry).entry.format())
    })
}

/// The C code of a listing format, and back.
const FORMAT_CODES: [(ListFormat, i32); 9] = [
    (ListFormat::Mlsd, FTP_LIST_FORMAT_MLSD),
    (ListFormat::Unix, FTP_LIST_FORMAT_UNIX),
    (ListFormat::Dos, FTP_LIST_FORMAT_DOS),
    (ListFormat::Vms, FTP_LIST_FORMAT_VMS),
    (ListFormat::Mvs, FTP_LIST_FORMAT_MVS),
    (ListFormat::Os400, FTP_LIST_FORMAT_OS400),
    (ListFormat::Tandem, FTP_LIST_FORMAT_TANDEM),
    (ListFormat::NetWare, FTP_LIST_FORMAT_NETWARE),
    (ListFormat::Eplf, FTP_LIST_FORMAT_EPLF),
];

fn format_code(format: ListFormat) -> i32 {
    FORMAT_CODES
        .iter()
        .find(|(f, _)| *f == format)
        .map_or(FTP_LIST_FORMAT_MLSD, |(_, code)| *code)
}

/// `FTP_LIST_FORMAT_*` as the Rust value; `FTP_LIST_FORMAT_AUTO` is `None`.
pub(crate) fn format_of(function: &str, code: i32) -> FfiResult<Option<ListFormat>> {
    if code == FTP_LIST_FORMAT_AUTO {
        return Ok(None);
    }
    FORMAT_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(f, _)| Some(*f))
        .ok_or_else(|| invalid(function, format!("unknown listing format {code}")))
}

#[cfg(test)]
mod entry_tests {
    use super::*;

    #[test]
    fn raw_line_and_format_of_an_entry() {
        let now = crate::Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
        let line = b"PAYROLL  101  16384  5-Jan-19 12:00:01  255,12 \"NUNU\"";
        let parsed = crate::listing::parse_list_line(line, now).unwrap().unwrap();
        let entry = ftp_entry::new(parsed);
        let (mut data, mut len) = (std::ptr::null(), 0usize);
        unsafe {
            assert_eq!(ftp_entry_raw(&entry, &mut data, &mut len), FTP_OK);
            assert_eq!(std::slice::from_raw_parts(data, len), &line[..]);
            assert_eq!(ftp_entry_format(&entry), FTP_LIST_FORMAT_TANDEM);
            assert_eq!(ftp_entry_format(std::ptr::null()), FTP_LIST_FORMAT_MLSD);
            assert_eq!(
                ftp_entry_raw(std::ptr::null(), &mut data, &mut len),
                FTP_ERR_INVALID_ARGUMENT
            );
        }
        let mlsd = ftp_entry::new(crate::listing::parse_mlsd_line(b"type=file; a").unwrap());
        assert_eq!(unsafe { ftp_entry_format(&mlsd) }, FTP_LIST_FORMAT_MLSD);
    }
}
