//! Text mode: TYPE A transfers line by line (ftplib's `retrlines`/`storlines`), and the
//! bounded line reader listings use too.

use std::io::{self, BufRead, Read};
use std::time::Duration;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::options::TransferType;
use crate::protocol::Command;

use super::*;

impl Client {
    /// Runs `command_line` (RETR, LIST, NLST, ...) in TYPE A and hands each line, without its
    /// line ending, to `on_line` (ftplib's `retrlines`). Lines longer than 1 MiB are an error.
    pub fn retr_lines(
        &mut self,
        command_line: impl AsRef<[u8]>,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        let command = Command::raw(command_line)?;
        self.read_lines(&command, TransferType::Ascii, MAX_TEXT_LINE, on_line)
    }

    /// Stores lines from `src` in TYPE A, sending each line end as CRLF (ftplib's
    /// `storlines`).
    pub fn stor_lines(&mut self, path: impl AsRef<[u8]>, src: &mut dyn BufRead) -> Result<u64> {
        let command = Command::with_arg("STOR", path)?;
        self.upload(
            &command,
            TransferType::Ascii,
            TransferOptions::default(),
            src,
        )
    }

    /// Reads the data of `command` line by line, in `transfer_type`.
    pub(crate) fn read_lines(
        &mut self,
        command: &Command,
        transfer_type: TransferType,
        max_line: usize,
        on_line: &mut dyn FnMut(&[u8]) -> Flow,
    ) -> Result<()> {
        self.prepare_data_transfer(transfer_type)?;
        let conn = self.begin_transfer(command, 0)?;
        let mut lines = LineReader::new(conn, max_line);
        loop {
            match lines.next_line() {
                Ok(Some(line)) => {
                    if on_line(line) == Flow::Stop {
                        let context = lines.conn.command.clone();
                        let _ = self.abort_transfer(lines.conn);
                        return Err(Error::Aborted { context });
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let context = lines.conn.command.clone();
                    return Err(self.fail_transfer(
                        lines.conn,
                        line_error(&context, e, self.options.data_idle_timeout),
                    ));
                }
            }
        }
        self.end_transfer(lines.conn)?;
        Ok(())
    }
}

/// Longest line accepted by [`Client::retr_lines`].
pub const MAX_TEXT_LINE: usize = 1024 * 1024;

pub(crate) fn line_error(context: &str, err: io::Error, idle_limit: Option<Duration>) -> Error {
    if err.kind() == io::ErrorKind::InvalidData {
        Error::protocol(context, err.to_string())
    } else {
        data_error(context, err, idle_limit)
    }
}

/// Splits a data connection (or any reader) into lines (LF or CRLF ended; a last line
/// without an end is kept), each at most `max_line` bytes.
pub(crate) struct LineReader<R = DataConnection> {
    pub(crate) conn: R,
    pub(crate) buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) max_line: usize,
    pub(crate) eof: bool,
    /// Bytes of the lines returned so far, line endings not counted.
    pub(crate) line_bytes: u64,
    /// A listing taken from inside its directory: where to go back to when it ends.
    pub(crate) return_to: Option<String>,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(conn: R, max_line: usize) -> LineReader<R> {
        LineReader {
            conn,
            buf: vec![0u8; 16 * 1024],
            start: 0,
            end: 0,
            max_line,
            eof: false,
            line_bytes: 0,
            return_to: None,
        }
    }

    /// The next line without its line ending; `Ok(None)` at the end of the data.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        let mut scanned = 0;
        loop {
            let window = &self.buf[self.start + scanned..self.end];
            if let Some(pos) = window.iter().position(|&b| b == b'\n') {
                let line_start = self.start;
                let line_end = self.start + scanned + pos;
                self.start = line_end + 1;
                let mut line = &self.buf[line_start..line_end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                self.line_bytes += line.len() as u64;
                return Ok(Some(line));
            }
            scanned = self.end - self.start;
            if scanned > self.max_line {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line of the data is longer than {} bytes", self.max_line),
                ));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                let mut line = &self.buf[line_start..self.end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                self.line_bytes += line.len() as u64;
                return Ok(Some(line));
            }
            // Make room: move the partial line to the front, grow if it fills the buffer.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                let grown = (self.buf.len() * 2).min(self.max_line + 2);
                self.buf.resize(grown.max(self.buf.len() + 1), 0);
            }
            let n = loop {
                match self.conn.read(&mut self.buf[self.end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out its bytes a few at a time, as a slow network does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn lines(data: &[u8], step: usize, max_line: usize) -> io::Result<Vec<Vec<u8>>> {
        let mut reader = LineReader::new(Trickle { data, step }, max_line);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line()? {
            out.push(line.to_vec());
        }
        Ok(out)
    }

    #[test]
    fn splits_lf_and_crlf_lines_whatever_the_read_sizes() {
        let data = b"one\r\ntwo\nthree\r\n\nlast without end";
        for step in [1, 2, 3, 7, 64, 100_000] {
            let got = lines(data, step, 1024).unwrap();
            let want: Vec<&[u8]> = vec![b"one", b"two", b"three", b"", b"last without end"];
            assert_eq!(got, want, "step {step}");
        }
    }

    #[test]
    fn a_line_over_the_limit_is_invalid_data() {
        let mut data = vec![b'x'; 5000];
        data.extend_from_slice(b"\nshort\n");
        let err = lines(&data, 512, 4096).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // At the limit exactly, it passes.
        let ok = lines(&data, 512, 5000).unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn lines_longer_than_the_buffer_grow_it() {
        let long = vec![b'y'; 40 * 1024];
        let mut data = long.clone();
        data.extend_from_slice(b"\r\nend\n");
        let got = lines(&data, 4096, 1024 * 1024).unwrap();
        assert_eq!(got, vec![long, b"end".to_vec()]);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(lines(b"", 1, 10).unwrap().is_empty());
    }
}
