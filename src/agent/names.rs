//! Names that servers send are never trusted as local paths.

use std::ffi::OsStr;

use crate::error::{Error, Result};

/// Checks a name from a listing before it becomes part of a local path: it must be one plain
/// path component. Empty names, `.` and `..`, anything with `/`, `\` or NUL, and names that
/// would be absolute are refused.
pub fn safe_local_name(name: &[u8]) -> Result<&OsStr> {
    let refuse = |why: &str| {
        Err(Error::Protocol {
            context: format!("server name {:?}", String::from_utf8_lossy(name)),
            detail: format!("refused as a local file name: {why}"),
        })
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name == b"." || name == b".." {
        return refuse("it names a directory outside the entry");
    }
    if name.contains(&0) {
        return refuse("it contains NUL");
    }
    if name.contains(&b'/') || name.contains(&b'\\') {
        return refuse("it contains a path separator");
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(OsStr::from_bytes(name))
    }
    #[cfg(not(unix))]
    {
        match std::str::from_utf8(name) {
            Ok(s) if !s.contains(':') => Ok(OsStr::new(s)),
            _ => refuse("it is not a portable file name"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_dangerous_names() {
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"../x",
            b"/etc/passwd",
            b"a/b",
            b"a\\b",
            b"a\0b",
            b"..\\..\\x",
        ] {
            assert!(safe_local_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accepts_plain_names() {
        for good in [
            &b"a.txt"[..],
            b"..hidden",
            b"with space",
            b"caf\xc3\xa9",
            b"x..y",
        ] {
            assert!(safe_local_name(good).is_ok(), "{good:?}");
        }
    }
}
