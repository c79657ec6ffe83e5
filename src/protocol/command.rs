//! Command rendering: the one place where bytes bound for the control connection are built
//! and checked for CR, LF and NUL.

use super::untrusted::escape_controls;
use crate::error::{Error, Result};

/// A command ready to be sent: its wire bytes (with CRLF) and the form that may be shown in
/// messages and logs (secrets masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    wire: Vec<u8>,
    shown: String,
    /// The argument is a secret (PASS, ACCT): it is masked wherever a reply echoes it.
    secret: bool,
}

/// Commands whose argument is a secret and is never shown.
const SECRET_VERBS: &[&str] = &["PASS", "ACCT"];

impl Command {
    /// A command with no argument, such as `PWD` or `QUIT`.
    pub fn bare(verb: &str) -> Result<Command> {
        Command::build(verb, None)
    }

    /// A command with an argument; the argument is sent as given, byte for byte.
    pub fn with_arg(verb: &str, arg: impl AsRef<[u8]>) -> Result<Command> {
        Command::build(verb, Some(arg.as_ref()))
    }

    /// A raw command line from the caller (ftplib's `sendcmd`): the verb (letters and
    /// digits), then a space and the argument. A line that does not start that way is refused
    /// without repeating it, since it may hold a secret (`PASS\tsecret`).
    pub fn raw(line: impl AsRef<[u8]>) -> Result<Command> {
        let line = line.as_ref();
        let verb_len = line
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(line.len());
        let (verb, arg) = match line.get(verb_len) {
            None => (&line[..verb_len], None),
            Some(b' ') => (&line[..verb_len], Some(&line[verb_len + 1..])),
            Some(other) => {
                return Err(Error::InvalidArgument(format!(
                    "a command line is its verb (letters or digits), a space and the \
                     argument; byte 0x{other:02x} follows the first {verb_len} characters"
                )))
            }
        };
        let verb = std::str::from_utf8(verb).expect("ASCII letters and digits");
        Command::build(verb, arg)
    }

    fn build(verb: &str, arg: Option<&[u8]>) -> Result<Command> {
        if verb.is_empty() || !verb.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidArgument(format!(
                "command verb {verb:?} must be non-empty ASCII letters or digits"
            )));
        }
        if let Some(arg) = arg {
            if let Some(bad) = arg.iter().find(|b| matches!(b, b'\r' | b'\n' | 0)) {
                let name = match bad {
                    b'\r' => "CR",
                    b'\n' => "LF",
                    _ => "NUL",
                };
                return Err(Error::InvalidArgument(format!(
                    "argument of {} contains {name}; refusing to send it on the control connection",
                    verb.to_ascii_uppercase()
                )));
            }
        }
        let mut wire = Vec::with_capacity(verb.len() + arg.map_or(0, |a| a.len() + 1) + 2);
        wire.extend_from_slice(verb.as_bytes());
        if let Some(arg) = arg {
            wire.push(b' ');
            wire.extend_from_slice(arg);
        }
        wire.extend_from_slice(b"\r\n");
        let upper = verb.to_ascii_uppercase();
        let secret = SECRET_VERBS.contains(&upper.as_str());
        let shown = match arg {
            _ if secret => format!("{upper} ****"),
            // Arguments may be names a server sent: escaped for messages and terminals.
            Some(arg) => format!("{verb} {}", escape_controls(&String::from_utf8_lossy(arg))),
            None => verb.to_string(),
        };
        Ok(Command {
            wire,
            shown,
            secret,
        })
    }

    /// The verb, as given.
    pub fn verb(&self) -> &str {
        let end = self
            .wire
            .iter()
            .position(|&b| b == b' ' || b == b'\r')
            .unwrap_or(0);
        std::str::from_utf8(&self.wire[..end]).unwrap_or_default()
    }

    /// The argument of a secret-bearing command (PASS, ACCT), to be masked in replies.
    pub(crate) fn secret(&self) -> Option<&[u8]> {
        if !self.secret {
            return None;
        }
        let line = &self.wire[..self.wire.len() - 2];
        let space = line.iter().position(|&b| b == b' ')?;
        Some(&line[space + 1..])
    }

    /// The bytes to write, CRLF included.
    pub fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// The command as it may appear in a message: `PASS ****` for secrets.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_crlf() {
        assert_eq!(Command::bare("PWD").unwrap().wire(), b"PWD\r\n");
        assert_eq!(
            Command::with_arg("RETR", "a b.txt").unwrap().wire(),
            b"RETR a b.txt\r\n"
        );
        assert_eq!(
            Command::with_arg("CWD", b"caf\xe9").unwrap().wire(),
            b"CWD caf\xe9\r\n"
        );
    }

    #[test]
    fn rejects_cr_lf_nul_in_arguments() {
        for bad in [&b"a\rb"[..], b"a\nDELE x", b"a\0b", b"\r\n"] {
            let err = Command::with_arg("RETR", bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
        }
        assert!(Command::raw("NOOP\r\nDELE x").is_err());
        assert!(Command::raw("NO\nOP").is_err());
        assert!(Command::bare("").is_err());
        assert!(Command::bare("A B").is_err());
    }

    #[test]
    fn masks_secrets() {
        let c = Command::with_arg("PASS", "hunter2").unwrap();
        assert_eq!(c.wire(), b"PASS hunter2\r\n");
        assert_eq!(c.shown(), "PASS ****");
        assert!(!Command::raw("pass hunter2")
            .unwrap()
            .shown()
            .contains("hunter2"));
        assert_eq!(Command::with_arg("ACCT", "x").unwrap().shown(), "ACCT ****");
        let err = Command::with_arg("PASS", "hunter2\r\n").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn a_malformed_raw_line_is_not_repeated() {
        let err = Command::raw("PASS\tsecret").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(Command::raw("DELE\tx").is_err());
        let c = Command::raw("pass secret").unwrap();
        assert_eq!(c.secret(), Some(&b"secret"[..]));
        assert_eq!(Command::raw("RETR x").unwrap().secret(), None);
        assert_eq!(
            Command::with_arg("RETR", "a\x1b[2Jb").unwrap().shown(),
            "RETR a\\x1b[2Jb"
        );
    }

    #[test]
    fn raw_splits_verb() {
        let c = Command::raw("SITE CHMOD 644 x").unwrap();
        assert_eq!(c.wire(), b"SITE CHMOD 644 x\r\n");
        assert_eq!(Command::raw("NOOP").unwrap().wire(), b"NOOP\r\n");
    }
}
