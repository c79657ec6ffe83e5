//! Server text on its way into messages: control characters escaped, so a banner, a reply or
//! a file name cannot drive the terminal or forge log lines; and secrets masked, whoever
//! echoes them.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (C0, DEL, C1) written as `\x1b` or `\u{9b}`, and the
/// backslash doubled only when something was escaped. Text without control characters is
/// returned as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// What replaces a secret.
pub const MASK: &str = "****";

/// Secrets of four bytes or more are masked wherever they occur; shorter ones only as a word
/// of their own (between characters that are not letters or digits), so that a one-letter
/// password does not blank every such letter of a message.
const MASK_ANYWHERE_FROM: usize = 4;

/// `text` with every occurrence of `secret` replaced by `****`.
pub fn mask_secret<'a>(text: &'a str, secret: &str) -> Cow<'a, str> {
    if secret.is_empty() || !text.contains(secret) {
        return Cow::Borrowed(text);
    }
    let anywhere = secret.len() >= MASK_ANYWHERE_FROM;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(secret) {
        let end = at + secret.len();
        let before = rest[..at].chars().next_back();
        let after = rest[end..].chars().next();
        let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..at]);
        if anywhere || (!is_word(before) && !is_word(after)) {
            out.push_str(MASK);
            changed = true;
        } else {
            out.push_str(secret);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_keeps_plain_text() {
        assert_eq!(escape_controls("plain text"), "plain text");
        assert_eq!(
            escape_controls("a\x1b]0;owned\x07b"),
            "a\\x1b]0;owned\\x07b"
        );
        assert_eq!(escape_controls("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(escape_controls("tab\there\\"), "tab\\x09here\\\\");
    }

    #[test]
    fn masks_every_occurrence_of_long_secrets() {
        assert_eq!(
            mask_secret("530 bad password hunter2 for hunter2x", "hunter2"),
            "530 bad password **** for ****x"
        );
        assert_eq!(mask_secret("nothing here", "hunter2"), "nothing here");
    }

    #[test]
    fn masks_short_secrets_only_as_words() {
        assert_eq!(
            mask_secret("331 password p required", "p"),
            "331 password **** required"
        );
        assert_eq!(mask_secret("530 pw=abc", "abc"), "530 pw=****");
        assert_eq!(mask_secret("abcd", "abc"), "abcd");
    }
}
