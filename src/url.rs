//! FTP URLs: `ftp://` (plain), `ftps://` (implicit TLS, port 990), `ftpes://` (explicit TLS),
//! with optional user, password, port and path (RFC 1738 section 3.2, as curl reads it).

use crate::error::{Error, Result};
use crate::options::TlsLevel;

/// A parsed FTP URL. Error messages never repeat the URL, which may hold a password.
#[derive(Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// The TLS level the scheme asks for: `None` (ftp), `Implicit` (ftps), `All` (ftpes).
    pub tls: TlsLevel,
    /// Host name or address; IPv6 addresses without brackets.
    pub host: String,
    pub port: u16,
    /// Percent-decoded user name, if the URL has one.
    pub user: Option<String>,
    /// Percent-decoded password, if the URL has one.
    pub password: Option<String>,
    /// Percent-decoded path after the host, without its first `/`: relative to the login
    /// directory, as in curl (`ftp://h/a.txt` is `a.txt`, `ftp://h/%2Fetc/x` is `/etc/x`).
    pub path: Vec<u8>,
}

impl std::fmt::Debug for FtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpUrl")
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .field("path", &String::from_utf8_lossy(&self.path))
            .finish()
    }
}

impl FtpUrl {
    /// The user and password to log in with: the URL's; `password` when the URL names a user
    /// but no password (so secrets need not sit in URLs); anonymous when it names no user.
    pub(crate) fn credentials<'a>(&'a self, password: Option<&'a str>) -> (&'a str, &'a str) {
        match &self.user {
            Some(user) => (user, self.password.as_deref().or(password).unwrap_or("")),
            None => ("anonymous", "anonymous@"),
        }
    }

    pub fn parse(url: &str) -> Result<FtpUrl> {
        let bad = |why: &str| Error::InvalidArgument(format!("FTP URL: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("missing scheme (ftp://, ftps:// or ftpes://)"))?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "ftp" => (TlsLevel::None, 21),
            "ftps" => (TlsLevel::Implicit, 990),
            "ftpes" => (TlsLevel::All, 21),
            _ => return Err(bad("unknown scheme (use ftp://, ftps:// or ftpes://)")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if authority.contains(['?', '#']) || path.contains('#') {
            return Err(bad("queries and fragments are not part of FTP URLs"));
        }
        let Authority {
            user,
            password,
            host,
            port,
        } = Authority::parse(authority, default_port, "FTP URL")?;
        Ok(FtpUrl {
            tls,
            host,
            port,
            user,
            password,
            path: percent_decode(path, "FTP URL")?,
        })
    }
}

/// The authority of a URL (`[user[:password]@]host[:port]`, the host possibly a bracketed
/// IPv6 address), user and password percent-decoded: FTP URLs and proxy URLs alike. `what`
/// names the URL in errors.
pub(crate) struct Authority {
    pub(crate) user: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Authority {
    pub(crate) fn parse(authority: &str, default_port: u16, what: &str) -> Result<Authority> {
        let bad = |why: &str| Error::InvalidArgument(format!("{what}: {why}"));
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let text = |raw: &str, name: &str| {
            String::from_utf8(percent_decode(raw, what)?)
                .map_err(|_| bad(&format!("the {name} is not UTF-8")))
        };
        let (user, password) = match userinfo {
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let password = p.map(|p| text(p, "password")).transpose()?;
                (Some(text(u, "user name")?), password)
            }
            None => (None, None),
        };
        let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
            let end = rest
                .find(']')
                .ok_or_else(|| bad("unclosed '[' in the host"))?;
            let host = &rest[..end];
            let after = &rest[end + 1..];
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("unexpected text after the IPv6 address")),
            };
            (host.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (hostport.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if host
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'%')
        {
            return Err(bad("the host contains spaces or control characters"));
        }
        let port = match port {
            None | Some("") => default_port,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port is not 1-65535"))?,
        };
        Ok(Authority {
            user,
            password,
            host,
            port,
        })
    }
}

fn percent_decode(text: &str, what: &str) -> Result<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{what}: a '%' is not followed by two hex digits"
                    ))
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_urls() {
        let u = FtpUrl::parse("ftp://bob:s%40cret@example.net:2121/dir/a%20b.txt").unwrap();
        assert_eq!(u.tls, TlsLevel::None);
        assert_eq!(u.host, "example.net");
        assert_eq!(u.port, 2121);
        assert_eq!(u.user.as_deref(), Some("bob"));
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(u.path, b"dir/a b.txt");
        assert!(!format!("{u:?}").contains("s@cret"));
    }

    #[test]
    fn schemes_and_defaults() {
        let u = FtpUrl::parse("ftps://h").unwrap();
        assert_eq!((u.tls, u.port), (TlsLevel::Implicit, 990));
        let u = FtpUrl::parse("FTPES://h/").unwrap();
        assert_eq!((u.tls, u.port), (TlsLevel::All, 21));
        assert!(u.path.is_empty());
        assert_eq!(u.user, None);
        let u = FtpUrl::parse("ftp://[::1]:99/%2Fetc/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 99));
        assert_eq!(u.path, b"/etc/x");
        let u = FtpUrl::parse("ftp://user@[::1]").unwrap();
        assert_eq!(u.port, 21);
        assert_eq!(u.password, None);
    }

    #[test]
    fn bad_urls_do_not_leak_the_password() {
        for bad in [
            "http://h/",
            "ftp:/h",
            "ftp://",
            "ftp://u:pw@/x",
            "ftp://h:0/",
            "ftp://h:70000/",
            "ftp://h:x/",
            "ftp://[::1/",
            "ftp://[::1]x/",
            "ftp://u:hunter2@h/%zz",
            "ftp://h/x#frag",
            "ftp://h k/",
        ] {
            let err = FtpUrl::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument(_)), "{bad}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }
}
