//! Server-side file hashes (the HASH command of draft-bryan-ftp-hash), so a sync can tell
//! whether a remote file is the local one without trusting modification times.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::protocol::hash::parse_hash_reply;
use crate::protocol::Command;

impl Client {
    /// Whether the server offers HASH with SHA-256; selects it when another is current.
    pub(crate) fn select_sha256_hash(&mut self) -> Result<bool> {
        if let Some(selected) = self.state.hash_sha256 {
            return Ok(selected);
        }
        let selected = self.negotiate_sha256_hash()?;
        self.state.hash_sha256 = Some(selected);
        Ok(selected)
    }

    fn negotiate_sha256_hash(&mut self) -> Result<bool> {
        let Some(params) = self.features()?.params("HASH").map(str::to_string) else {
            return Ok(false);
        };
        let Some(sha256) = params
            .split(';')
            .find(|a| a.trim_end_matches('*').eq_ignore_ascii_case("SHA-256"))
        else {
            return Ok(false);
        };
        if !sha256.ends_with('*') {
            let reply = self.exchange(&Command::with_arg("OPTS", "HASH SHA-256")?)?;
            return Ok(reply.is_completion());
        }
        Ok(true)
    }

    /// The SHA-256 of a remote file, computed by the server (HASH), as lower-case hex. SHA-256
    /// is selected first on this connection (OPTS HASH) where it is not the server's default;
    /// a server that cannot compute it is a protocol error naming that.
    pub fn remote_sha256(&mut self, path: impl AsRef<[u8]>) -> Result<String> {
        let command = Command::with_arg("HASH", path)?;
        if !self.select_sha256_hash()? {
            return Err(Error::protocol(
                command.shown(),
                "the server offers no SHA-256 HASH on this connection",
            ));
        }
        let reply = self.expect(&command, |c| c == 213)?;
        let hash = parse_hash_reply(&reply).map_err(|why| Error::protocol(command.shown(), why))?;
        let hex = hash.hex;
        if !hash.algorithm.eq_ignore_ascii_case("SHA-256") || hex.len() != 64 || hash.start != 0 {
            return Err(Error::protocol(
                command.shown(),
                format!("not a SHA-256 HASH of the whole file: {reply}"),
            ));
        }
        Ok(hex)
    }
}

/// The SHA-256 of a local file, as lower-case hex.
pub(crate) fn local_sha256(path: &Path) -> Result<String> {
    let io = |e| Error::io(path.display().to_string(), e);
    let mut file = File::open(path).map_err(io)?;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    Ok(context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
