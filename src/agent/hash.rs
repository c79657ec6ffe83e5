//! File hashes: computed by the server (HASH of draft-bryan-ftp-hash, with OPTS HASH to choose
//! the algorithm, or the older XSHA256/XSHA1/XMD5/XCRC commands) and of local files, so a
//! transfer can be verified and a sync can tell whether a remote file is the local one
//! without trusting modification times.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::client::{Client, HashChoice};
use crate::error::{Error, Result};
use crate::protocol::hash::{parse_hash_reply, parse_x_hash_reply, HashAlgorithm};
use crate::protocol::Command;

/// Replies that say a command is unknown or not implemented: the server cannot say.
fn refuses_command(code: u16) -> bool {
    matches!(code, 500 | 502 | 504)
}

fn bit(algorithm: HashAlgorithm) -> u8 {
    let index = HashAlgorithm::ALL
        .iter()
        .position(|a| *a == algorithm)
        .unwrap_or(0);
    1 << index
}

impl Client {
    /// Whether FEAT lists `algorithm` for HASH; when it does, selects it (OPTS HASH) unless
    /// it is already current.
    fn select_hash(&mut self, algorithm: HashAlgorithm) -> Result<bool> {
        if self.state.hash_choice == HashChoice::Selected(algorithm) {
            return Ok(true);
        }
        let Some(params) = self.features()?.params("HASH").map(str::to_string) else {
            return Ok(false);
        };
        let Some(listed) = params
            .split(';')
            .find(|a| HashAlgorithm::from_name(a.trim().trim_end_matches('*')) == Some(algorithm))
        else {
            return Ok(false);
        };
        if listed.trim().ends_with('*') && self.state.hash_choice == HashChoice::ServerDefault {
            return Ok(true);
        }
        let reply = self.exchange(&Command::with_arg(
            "OPTS",
            format!("HASH {}", listed.trim().trim_end_matches('*')),
        )?)?;
        if reply.is_completion() {
            self.state.hash_choice = HashChoice::Selected(algorithm);
        }
        Ok(reply.is_completion())
    }

    /// Whether the server offers HASH with SHA-256; selects it when another is current.
    pub(crate) fn select_sha256_hash(&mut self) -> Result<bool> {
        self.select_hash(HashAlgorithm::Sha256)
    }

    /// HASH of `path` with the algorithm already selected.
    fn hash_command(&mut self, path: &[u8], algorithm: HashAlgorithm) -> Result<String> {
        let command = Command::with_arg("HASH", path)?;
        let reply = self.expect(&command, |c| c == 213)?;
        let hash = parse_hash_reply(&reply).map_err(|why| Error::protocol(command.shown(), why))?;
        let hex = hash.hex;
        if HashAlgorithm::from_name(&hash.algorithm) != Some(algorithm)
            || hex.len() != algorithm.hex_len()
            || hash.start != 0
        {
            return Err(Error::protocol(
                command.shown(),
                format!("not a {} HASH of the whole file: {reply}", algorithm.name()),
            ));
        }
        Ok(hex)
    }

    /// The SHA-256 of a remote file, computed by the server (HASH), as lower-case hex. SHA-256
    /// is selected first on this connection (OPTS HASH) where it is not the server's default;
    /// a server that cannot compute it is a protocol error naming that.
    pub fn remote_sha256(&mut self, path: impl AsRef<[u8]>) -> Result<String> {
        let path = path.as_ref();
        if !self.select_hash(HashAlgorithm::Sha256)? {
            return Err(Error::protocol(
                Command::with_arg("HASH", path)?.shown(),
                "the server offers no SHA-256 HASH on this connection",
            ));
        }
        self.hash_command(path, HashAlgorithm::Sha256)
    }

    /// The hash of a remote file, computed by the server, as lower-case hex: HASH where FEAT
    /// lists the algorithm (selected with OPTS HASH when it is not current), else the
    /// algorithm's older command (XSHA256, XSHA1, XMD5, XCRC). [`Error::NotAvailable`] when
    /// the server has neither (it answers the X command 500, 502 or 504); a file it cannot
    /// read is its reply's error (550).
    pub fn hash_file(
        &mut self,
        path: impl AsRef<[u8]>,
        algorithm: HashAlgorithm,
    ) -> Result<String> {
        let path = path.as_ref();
        if self.select_hash(algorithm)? {
            return self.hash_command(path, algorithm);
        }
        let command = Command::with_arg(algorithm.x_command(), path)?;
        let not_available = || Error::NotAvailable {
            context: command.shown().to_string(),
            detail: format!(
                "it offers no HASH with {} and does not know {}",
                algorithm.name(),
                algorithm.x_command()
            ),
        };
        if self.state.x_hash_refused & bit(algorithm) != 0 {
            return Err(not_available());
        }
        let reply = self.exchange(&command)?;
        match reply.code() {
            200..=299 => parse_x_hash_reply(&reply, algorithm)
                .map_err(|why| Error::protocol(command.shown(), why)),
            code if refuses_command(code) => {
                self.state.x_hash_refused |= bit(algorithm);
                Err(not_available())
            }
            _ => Err(Error::from_reply(command.shown(), reply)),
        }
    }

    /// The strongest hash of a remote file the server can compute (SHA-256, SHA-1, MD5,
    /// CRC32, by HASH or X command), with its algorithm; [`Error::NotAvailable`] when it can
    /// compute none.
    pub fn hash_file_strongest(
        &mut self,
        path: impl AsRef<[u8]>,
    ) -> Result<(HashAlgorithm, String)> {
        let path = path.as_ref();
        // Every algorithm HASH offers first: a HASH is one command, an X command may be many.
        for algorithm in HashAlgorithm::ALL {
            if self.select_hash(algorithm)? {
                return Ok((algorithm, self.hash_command(path, algorithm)?));
            }
        }
        let mut last = None;
        for algorithm in HashAlgorithm::ALL {
            match self.hash_file(path, algorithm) {
                Ok(hex) => return Ok((algorithm, hex)),
                Err(e @ Error::NotAvailable { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(Error::NotAvailable {
            context: format!("hash of {}", String::from_utf8_lossy(path)),
            detail: match last {
                Some(_) => "it offers no HASH and knows none of XSHA256, XSHA1, XMD5, XCRC".into(),
                None => "it offers no hash".into(),
            },
        })
    }
}

/// The SHA-256 of a local file, as lower-case hex.
pub(crate) fn local_sha256(path: &Path) -> Result<String> {
    local_hash(path, HashAlgorithm::Sha256)
}

/// The hash of a local file, as lower-case hex.
pub(crate) fn local_hash(path: &Path, algorithm: HashAlgorithm) -> Result<String> {
    let io = |e| Error::io(path.display().to_string(), e);
    let mut file = File::open(path).map_err(io)?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish_hex())
}

/// One of the digests, fed block by block. SHA-256 and SHA-1 come from ring (already here
/// for rustls); MD5 and CRC32, which ring lacks, from RustCrypto's `md-5` and `crc32fast`.
enum Hasher {
    Ring(ring::digest::Context),
    Md5(md5::Md5),
    Crc32(crc32fast::Hasher),
}

impl Hasher {
    fn new(algorithm: HashAlgorithm) -> Hasher {
        use md5::Digest;
        match algorithm {
            HashAlgorithm::Sha256 => {
                Hasher::Ring(ring::digest::Context::new(&ring::digest::SHA256))
            }
            HashAlgorithm::Sha1 => Hasher::Ring(ring::digest::Context::new(
                &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            )),
            HashAlgorithm::Md5 => Hasher::Md5(md5::Md5::new()),
            HashAlgorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use md5::Digest;
        match self {
            Hasher::Ring(c) => c.update(data),
            Hasher::Md5(c) => c.update(data),
            Hasher::Crc32(c) => c.update(data),
        }
    }

    fn finish_hex(self) -> String {
        use md5::Digest;
        let bytes: Vec<u8> = match self {
            Hasher::Ring(c) => c.finish().as_ref().to_vec(),
            Hasher::Md5(c) => c.finalize().to_vec(),
            Hasher::Crc32(c) => c.finalize().to_be_bytes().to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_digests_of_known_text() {
        let dir = std::env::temp_dir().join(format!("ftpc-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hello");
        std::fs::write(&path, b"hello").unwrap();
        let expect = [
            (
                HashAlgorithm::Sha256,
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            ),
            (
                HashAlgorithm::Sha1,
                "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
            ),
            (HashAlgorithm::Md5, "5d41402abc4b2a76b9719d911017c592"),
            (HashAlgorithm::Crc32, "3610a686"),
        ];
        for (algorithm, hex) in expect {
            assert_eq!(local_hash(&path, algorithm).unwrap(), hex, "{algorithm:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
