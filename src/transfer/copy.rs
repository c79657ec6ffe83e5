//! Whole transfers: the RETR, STOR and APPE copy loops, with progress, stop requests and the
//! checks that keep a short transfer from passing as complete.

use std::io::{self, Read, Write};

use crate::client::Client;
use crate::error::{Error, Result, StopTransfer};
use crate::options::TransferType;
use crate::protocol::ascii::{CrlfDecoder, CrlfEncoder};
use crate::protocol::Command;

use super::*;

impl Client {
    /// RETR into a writer; returns the bytes received.
    pub fn retr<W: Write + ?Sized>(&mut self, path: impl AsRef<[u8]>, out: &mut W) -> Result<u64> {
        self.retr_with(path, TransferOptions::default(), &mut |chunk| {
            out.write_all(chunk)
        })
    }

    /// RETR with options: the sink gets every block (converted to LF line ends in ASCII
    /// mode); it may return [`StopTransfer::io_error`] to stop. Returns the bytes received.
    pub fn retr_with(
        &mut self,
        path: impl AsRef<[u8]>,
        mut options: TransferOptions<'_>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64> {
        let path = path.as_ref();
        let command = Command::with_arg("RETR", path)?;
        let binary = self.transfer_type == TransferType::Binary;
        if options.total.is_none() && options.progress.is_some() && binary {
            // A missing SIZE is no reason to fail the download: progress then has no total.
            options.total = match self.size(path) {
                Ok(size) => Some(size),
                Err(e) if e.reply().is_some() => None,
                Err(e) => return Err(e),
            };
        }
        self.download(&command, options, sink)
    }

    pub(crate) fn download(
        &mut self,
        command: &Command,
        options: TransferOptions<'_>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64> {
        let transfer_type = self.transfer_type;
        self.prepare_data_transfer(transfer_type)?;
        let offset = options.offset;
        let mut conn = self.begin_transfer(command, offset)?;
        let context = conn.command.clone();
        let announced = conn.expected_size;
        let total = options
            .total
            .or(announced.filter(|_| offset == 0 && transfer_type == TransferType::Binary));
        let mut progress = options.progress;
        let mut decoder = (transfer_type == TransferType::Ascii).then(CrlfDecoder::default);
        let mut converted = Vec::new();
        let mut buf = vec![0u8; self.options.block_size];
        let mut received: u64 = 0;
        let mut last_keepalive = std::time::Instant::now();
        loop {
            if let Err(e) = self.keepalive_tick(&mut last_keepalive, &mut conn) {
                return Err(self.fail_transfer(conn, e));
            }
            // Under TLS the block is the plaintext of a record, decrypted where it was
            // received: the sink reads it there.
            let block = match conn.next_block(&mut buf) {
                Ok([]) => break,
                Ok(block) => block,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(self.fail_transfer(
                        conn,
                        data_error(&context, e, self.options.data_idle_timeout),
                    ))
                }
            };
            received += block.len() as u64;
            let block = match decoder.as_mut() {
                Some(decoder) => {
                    converted.clear();
                    decoder.decode(block, &mut converted);
                    &converted[..]
                }
                None => block,
            };
            let mut stop = match sink(block) {
                Ok(()) => false,
                Err(e) if StopTransfer::is(&e) => true,
                Err(e) => {
                    let err = Error::io(format!("{context}: writing the received data"), e);
                    let _ = self.abort_transfer(conn);
                    return Err(err);
                }
            };
            if let Some(observer) = progress.as_mut() {
                stop |= observer(offset + received, total) == Flow::Stop;
            }
            if stop {
                let _ = self.abort_transfer(conn);
                return Err(Error::Aborted { context });
            }
        }
        if let Some(decoder) = decoder.as_mut() {
            converted.clear();
            decoder.finish(&mut converted);
            if !converted.is_empty() {
                if let Err(e) = sink(&converted) {
                    let _ = self.end_transfer(conn);
                    return Err(Error::io(
                        format!("{context}: writing the received data"),
                        e,
                    ));
                }
            }
        }
        self.end_transfer(conn)?;
        Ok(received)
    }

    /// STOR from a reader; returns the bytes sent.
    pub fn stor<R: Read + ?Sized>(&mut self, path: impl AsRef<[u8]>, src: &mut R) -> Result<u64> {
        self.stor_with(path, TransferOptions::default(), &mut ReadAdapter(src))
    }

    /// STOR with options (REST offset, progress). In ASCII mode bare LF becomes CRLF.
    pub fn stor_with(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.upload(
            &Command::with_arg("STOR", path)?,
            self.transfer_type,
            options,
            src,
        )
    }

    /// APPE from a reader: appends to the remote file.
    pub fn appe<R: Read + ?Sized>(&mut self, path: impl AsRef<[u8]>, src: &mut R) -> Result<u64> {
        self.appe_with(path, TransferOptions::default(), &mut ReadAdapter(src))
    }

    /// APPE with options.
    pub fn appe_with(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.upload(
            &Command::with_arg("APPE", path)?,
            self.transfer_type,
            options,
            src,
        )
    }

    pub(crate) fn upload(
        &mut self,
        command: &Command,
        transfer_type: TransferType,
        options: TransferOptions<'_>,
        src: &mut dyn Read,
    ) -> Result<u64> {
        self.prepare_data_transfer(transfer_type)?;
        let offset = options.offset;
        let total = options.total;
        let mut progress = options.progress;
        let mut conn = self.begin_transfer(command, offset)?;
        conn.sending = true;
        let context = conn.command.clone();
        let mut encoder = (transfer_type == TransferType::Ascii).then(CrlfEncoder::default);
        let mut converted = Vec::new();
        let mut buf = vec![0u8; self.options.block_size];
        let mut sent: u64 = 0;
        let mut last_keepalive = std::time::Instant::now();
        loop {
            if let Err(e) = self.keepalive_tick(&mut last_keepalive, &mut conn) {
                return Err(self.fail_transfer(conn, e));
            }
            // In binary mode the source is read straight into the records that carry its
            // bytes (under TLS: sealed there; see `send_buffers`).
            let read = match encoder {
                Some(_) => src.read(&mut buf),
                None => src.read_vectored(&mut conn.send_buffers(&mut buf)),
            };
            let n = match read {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if StopTransfer::is(&e) => {
                    let _ = self.abort_transfer(conn);
                    return Err(Error::Aborted { context });
                }
                Err(e) => {
                    let err = Error::io(format!("{context}: reading the data to send"), e);
                    let _ = self.abort_transfer(conn);
                    return Err(err);
                }
            };
            let written = match encoder.as_mut() {
                Some(encoder) => {
                    converted.clear();
                    encoder.encode(&buf[..n], &mut converted);
                    conn.write_all(&converted)
                }
                None => conn.send_filled(&buf, n),
            };
            if let Err(e) = written {
                return Err(self.fail_transfer(
                    conn,
                    data_error(&context, e, self.options.data_idle_timeout),
                ));
            }
            sent += n as u64;
            if let Some(observer) = progress.as_mut() {
                if observer(offset + sent, total) == Flow::Stop {
                    let _ = self.abort_transfer(conn);
                    return Err(Error::Aborted { context });
                }
            }
        }
        if let Some(total) = total.filter(|&t| offset + sent < t) {
            // The source ended before the size the caller announced: a source that failed,
            // not a complete file. ABOR, and never report it as stored.
            let _ = self.abort_transfer(conn);
            return Err(source_ended_early(&context, offset + sent, total));
        }
        if let Err(e) = conn.flush() {
            return Err(self.fail_transfer(
                conn,
                data_error(&context, e, self.options.data_idle_timeout),
            ));
        }
        self.end_transfer(conn)?;
        Ok(sent)
    }
}

/// Adapts any `Read` (even unsized) to `&mut dyn Read`.
struct ReadAdapter<'a, R: Read + ?Sized>(&'a mut R);

impl<R: Read + ?Sized> Read for ReadAdapter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.0.read_vectored(bufs)
    }
}
