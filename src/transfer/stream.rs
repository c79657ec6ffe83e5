//! The raw data stream (ftplib's `transfercmd`): a data connection for any command, read or
//! written by the caller, then finished or aborted.

use std::io::{self, Read, Write};

use crate::client::Client;
use crate::error::Result;
use crate::protocol::{Command, Reply};

use super::*;

impl Client {
    /// A data connection for any command line, in the current transfer type.
    pub(crate) fn begin_raw_transfer(
        &mut self,
        command_line: &[u8],
        offset: u64,
    ) -> Result<DataConnection> {
        let command = Command::raw(command_line)?;
        let transfer_type = self.transfer_type;
        self.prepare_data_transfer(transfer_type)?;
        self.begin_transfer(&command, offset)
    }

    /// [`Client::open_data`] with a cursor the caller owns instead of a stream that borrows the
    /// session: read or write it with [`DataConnection::read_data`] and
    /// [`DataConnection::write_data`], then end it with [`Client::finish_data`] or
    /// [`Client::abort_data`]. Until then the session's other commands fail with
    /// [`Error::InvalidState`].
    pub fn begin_data(
        &mut self,
        command_line: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataConnection> {
        self.begin_raw_transfer(command_line.as_ref(), offset)
    }

    /// Closes a data connection from [`Client::begin_data`] and reads the final reply, as
    /// [`DataStream::finish`] does.
    pub fn finish_data(&mut self, conn: DataConnection) -> Result<Reply> {
        self.end_transfer(conn)
    }

    /// Stops a data connection from [`Client::begin_data`] early (ABOR), as
    /// [`DataStream::abort`] does; the session stays usable.
    pub fn abort_data(&mut self, conn: DataConnection) -> Result<()> {
        self.abort_transfer(conn)
    }

    /// Opens a data connection for any command (ftplib's `transfercmd`/`ntransfercmd`), after
    /// REST `offset` when non-zero. Read or write the stream, then call
    /// [`DataStream::finish`] for the final reply; dropping it unfinished aborts.
    pub fn open_data(
        &mut self,
        command_line: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>> {
        let conn = self.begin_raw_transfer(command_line.as_ref(), offset)?;
        Ok(DataStream {
            client: self,
            conn: Some(conn),
        })
    }
}

/// A raw data stream opened by [`Client::open_data`]. It borrows the client: no other command
/// can be sent until it is finished or dropped.
pub struct DataStream<'a> {
    pub(crate) client: &'a mut Client,
    pub(crate) conn: Option<DataConnection>,
}

impl DataStream<'_> {
    /// The size the server announced in its 150 reply, if any.
    pub fn expected_size(&self) -> Option<u64> {
        self.conn.as_ref().and_then(|c| c.expected_size)
    }

    /// Closes the data connection and reads the final reply (2xx, or an error). A download in
    /// TYPE I that read fewer bytes than the server announced is an error: stop early with
    /// [`DataStream::abort`].
    pub fn finish(mut self) -> Result<Reply> {
        let conn = self.conn.take().expect("stream is open until finished");
        self.client.end_transfer(conn)
    }

    /// Stops the transfer with ABOR, leaving the control connection usable.
    pub fn abort(mut self) -> Result<()> {
        let conn = self.conn.take().expect("stream is open until finished");
        self.client.abort_transfer(conn)
    }
}

impl Read for DataStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.conn.as_mut().expect("stream is open").read(buf)
    }
}

impl Write for DataStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.conn.as_mut().expect("stream is open").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.conn.as_mut().expect("stream is open").flush()
    }
}

impl Drop for DataStream<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = self.client.abort_transfer(conn);
        }
    }
}
