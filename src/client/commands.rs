//! ftplib's commands on files and directories, the transfer type, and the small ones (SYST,
//! ABOR, NOOP, STAT).

use super::*;

impl Client {
    /// SYST: the server's system type.
    pub fn syst(&mut self) -> Result<String> {
        Ok(self
            .expect_2xx(&Command::bare("SYST")?)?
            .first_line_text()
            .to_string())
    }

    /// ABOR outside a transfer (ftplib's `abort()`): 225 (no transfer in progress), 226
    /// (one was ended) and 426 (one was cut) all mean the server stopped what it was doing.
    /// To stop a transfer of this library's own, use its stop signal or abort its stream.
    pub fn abort(&mut self) -> Result<Reply> {
        let command = Command::bare("ABOR")?;
        let reply = self.exchange(&command)?;
        match reply.code() {
            225 | 226 | 426 => Ok(reply),
            _ => Err(Error::from_reply(command.shown(), reply)),
        }
    }

    /// NOOP.
    pub fn noop(&mut self) -> Result<Reply> {
        self.expect_2xx(&Command::bare("NOOP")?)
    }

    /// STAT, of the server or of a path.
    pub fn stat(&mut self, path: Option<&[u8]>) -> Result<Reply> {
        let command = match path {
            Some(p) => Command::with_arg("STAT", p)?,
            None => Command::bare("STAT")?,
        };
        self.expect_2xx(&command)
    }

    // ---- transfer type ---------------------------------------------------------------------

    /// The type used by the next transfer.
    pub fn transfer_type(&self) -> TransferType {
        self.transfer_type
    }

    /// Chooses the type for later transfers. TYPE is sent lazily, only when it changes.
    pub fn set_transfer_type(&mut self, transfer_type: TransferType) {
        self.transfer_type = transfer_type;
    }

    pub(crate) fn ensure_type(&mut self, wanted: TransferType) -> Result<()> {
        if self.state.server_type == Some(wanted) {
            return Ok(());
        }
        let arg = match wanted {
            TransferType::Binary => "I",
            TransferType::Ascii => "A",
        };
        self.expect_2xx(&Command::with_arg("TYPE", arg)?)?;
        self.state.server_type = Some(wanted);
        Ok(())
    }

    // ---- directories -----------------------------------------------------------------------

    /// PWD: the current directory.
    pub fn pwd(&mut self) -> Result<String> {
        let reply = self.expect(&Command::bare("PWD")?, |c| c == 257)?;
        let dir = parse_quoted_path(&reply.text())
            .ok_or_else(|| Error::protocol("PWD", format!("no quoted path in reply {reply}")))?;
        if self.cwd != CwdState::Initial {
            self.cwd = CwdState::Known(dir.clone());
        }
        Ok(dir)
    }

    /// CWD: changes the current directory.
    /// CWD: changes the current directory. A relative change is followed by PWD, so the
    /// session knows where it is and a new session (after a reconnect or a cancel) goes back
    /// there, not to the login directory.
    pub fn cwd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        let path = path.as_ref();
        let reply = self.expect_2xx(&Command::with_arg("CWD", path)?)?;
        self.learn_new_cwd(Some(path));
        Ok(reply)
    }

    /// CWD for a moment, to come back with a CWD to an absolute path: no PWD.
    pub(crate) fn cwd_for_a_moment(&mut self, path: &[u8]) -> Result<Reply> {
        let reply = self.expect_2xx(&Command::with_arg("CWD", path)?)?;
        self.cwd = CwdState::Changed;
        Ok(reply)
    }

    /// CDUP: goes to the parent directory (then PWD, as [`Client::cwd`]).
    pub fn cdup(&mut self) -> Result<Reply> {
        let reply = self.expect_2xx(&Command::bare("CDUP")?)?;
        self.learn_new_cwd(None);
        Ok(reply)
    }

    /// After a change of directory: an absolute path is where we are; otherwise ask PWD (a
    /// server without a usable PWD leaves it "changed", asked again before a reconnect).
    fn learn_new_cwd(&mut self, path: Option<&[u8]>) {
        self.cwd = CwdState::Changed;
        match path.map(std::str::from_utf8) {
            Some(Ok(absolute)) if absolute.starts_with('/') && !absolute.contains("/..") => {
                self.cwd = CwdState::Known(absolute.to_string());
            }
            _ => {
                let last = self.last_reply.clone();
                let _ = self.pwd();
                // The caller's reply stays the one of its command.
                self.last_reply = last;
            }
        }
    }

    /// MKD: creates a directory and returns its path as the server reports it (the given
    /// path when the reply quotes none).
    pub fn mkd(&mut self, path: impl AsRef<[u8]>) -> Result<String> {
        let path = path.as_ref();
        let reply = self.expect(&Command::with_arg("MKD", path)?, |c| c == 257)?;
        let requested = String::from_utf8_lossy(path);
        Ok(parse_mkd_path(&reply.text(), &requested)
            .unwrap_or_else(|| String::from_utf8_lossy(path).into_owned()))
    }

    /// RMD: removes an empty directory.
    pub fn rmd(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        self.expect_2xx(&Command::with_arg("RMD", path)?)
    }

    // ---- files -----------------------------------------------------------------------------

    /// DELE: deletes a file.
    pub fn delete(&mut self, path: impl AsRef<[u8]>) -> Result<Reply> {
        self.expect_2xx(&Command::with_arg("DELE", path)?)
    }

    /// RNFR + RNTO: renames `from` to `to`.
    pub fn rename(&mut self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<Reply> {
        let rnto = Command::with_arg("RNTO", to)?;
        self.expect(&Command::with_arg("RNFR", from)?, |c| c == 350)?;
        self.expect_2xx(&rnto)
    }

    /// SIZE: a file's size in bytes (asked in TYPE I, where servers agree on its meaning).
    pub fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64> {
        self.ensure_type(TransferType::Binary)?;
        let command = Command::with_arg("SIZE", path)?;
        let reply = self.expect(&command, |c| c == 213)?;
        reply
            .first_line_text()
            .trim()
            .parse()
            .map_err(|_| Error::protocol(command.shown(), format!("bad size in reply {reply}")))
    }

    /// MDTM: a file's modification time (UTC).
    pub fn mdtm(&mut self, path: impl AsRef<[u8]>) -> Result<Timestamp> {
        let command = Command::with_arg("MDTM", path)?;
        let reply = self.expect(&command, |c| c == 213)?;
        Timestamp::parse_mdtm(reply.first_line_text()).ok_or_else(|| {
            Error::protocol(command.shown(), format!("bad timestamp in reply {reply}"))
        })
    }

    /// MFMT: sets a file's modification time (UTC).
    pub fn mfmt(&mut self, path: impl AsRef<[u8]>, time: Timestamp) -> Result<Reply> {
        let mut arg = time.to_mdtm().into_bytes();
        arg.push(b' ');
        arg.extend_from_slice(path.as_ref());
        self.expect_2xx(&Command::with_arg("MFMT", arg)?)
    }
}
