//! Plain binary transfers between a data connection and a local file without copying the
//! bytes through user space (Linux): a download is spliced socket → pipe → file with
//! splice(2), an upload is sent file → socket with sendfile(2).
//!
//! Everything the copy loop in `copy.rs` promises holds here too: the data idle timeout is a
//! deadline for each chunk (the socket is non-blocking for the transfer and waits are `poll`s
//! bounded by what is left of it), a cancelled session stops at once (its socket is shut
//! down, which ends the poll; the canceller is looked at after every call), keepalive NOOPs,
//! progress with [`Flow::Stop`] → ABOR, bandwidth limits (paced per chunk), the byte counts of
//! the trace, the check that an upload's source reached the size announced, and the final
//! reply.
//!
//! The copy loop is used instead when the bytes cannot move that way, decided before any
//! byte moved: a TLS data connection, TYPE A, a local descriptor that is neither a regular
//! file nor a FIFO (downloads) or not a regular file (uploads), a system other than Linux.
//! A descriptor the kernel refuses later (splice's `EINVAL`) continues from where the bytes
//! are, through a buffer.
//!
//! **SIGPIPE.** sendfile(2) and splice(2) into a socket whose peer has gone raise SIGPIPE
//! (they take no `MSG_NOSIGNAL`; checked on Linux 6.18 with a C host at the default
//! disposition: it dies). Blocking the signal needs the thread's signal mask, which a library
//! must not change, and `unsafe`. So an upload is sent with sendfile only when the process
//! ignores SIGPIPE already (`SigIgn` in `/proc/self/status`: Rust programs, Python, Node do)
//! and [`crate::Options::zero_copy_upload`] allows it; otherwise the copy loop sends it with
//! `send(MSG_NOSIGNAL)`. Downloads write into the local file, never into a socket (a socket
//! as the local descriptor takes the copy loop).

use std::fs::File;
use std::io::Write;

use crate::client::Client;
use crate::error::Result;
use crate::options::TransferType;
use crate::protocol::Command;

use super::*;

impl Client {
    /// RETR into `file`, written from its current position (which is left after the last
    /// byte received). On Linux a plain binary transfer moves the bytes with splice(2),
    /// without copying them through user space; otherwise, or when the kernel refuses the
    /// descriptor, as [`Client::retr_with`]. Returns the bytes received.
    pub fn retr_to_file(
        &mut self,
        path: impl AsRef<[u8]>,
        mut options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let path = path.as_ref();
        let command = Command::with_arg("RETR", path)?;
        let transfer_type = self.transfer_type;
        if !self.zero_copy_possible(transfer_type)? || !imp::splice_target(file) {
            return self.retr_with(path, options, &mut |block| file.write_all(block));
        }
        if options.total.is_none() && options.progress.is_some() {
            // As retr_with: a missing SIZE only leaves progress without a total.
            options.total = match self.size(path) {
                Ok(size) => Some(size),
                Err(e) if e.reply().is_some() => None,
                Err(e) => return Err(e),
            };
        }
        imp::download(self, &command, options, file)
    }

    /// STOR from `file`, read from its current position to its end. On Linux, when
    /// [`crate::Options::zero_copy_upload`] is on (it is off by default) and the process
    /// ignores SIGPIPE, a plain binary transfer moves the bytes with sendfile(2); otherwise
    /// as [`Client::stor_with`]. Returns the bytes sent.
    pub fn stor_from_file(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let command = Command::with_arg("STOR", path)?;
        self.upload_from_file(&command, options, file)
    }

    /// APPE from `file`, as [`Client::stor_from_file`].
    pub fn appe_from_file(
        &mut self,
        path: impl AsRef<[u8]>,
        options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let command = Command::with_arg("APPE", path)?;
        self.upload_from_file(&command, options, file)
    }

    fn upload_from_file(
        &mut self,
        command: &Command,
        options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let transfer_type = self.transfer_type;
        if !self.options.zero_copy_upload
            || !self.zero_copy_possible(transfer_type)?
            || !imp::sendfile_source(file)
        {
            return self.upload(command, transfer_type, options, file);
        }
        imp::upload(self, command, options, file)
    }

    /// Whether this session's next transfer can skip user space: binary, and plain data
    /// connections (PBSZ/PROT are settled first, as the transfer would).
    fn zero_copy_possible(&mut self, transfer_type: TransferType) -> Result<bool> {
        if !cfg!(target_os = "linux") || transfer_type != TransferType::Binary {
            return Ok(false);
        }
        self.ensure_ready()?;
        self.ensure_protection()?;
        Ok(!self.state.data_protected)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::net::TcpStream;
    use std::os::fd::{AsFd, OwnedFd};
    use std::time::{Duration, Instant};

    use rustix::event::{PollFd, PollFlags, Timespec};
    use rustix::fs::FileType;
    use rustix::io::Errno;
    use rustix::pipe::{splice, PipeFlags, SpliceFlags};

    use crate::client::Client;
    use crate::connection::cancel::Canceller;
    use crate::error::{Error, Result};
    use crate::options::TransferType;
    use crate::protocol::Command;
    use crate::transfer::{DataConnection, Flow, TransferOptions};

    /// How a chunk loop ended.
    enum Outcome {
        /// The data ended (download) or the source did (upload).
        Finished,
        /// A progress observer said stop.
        Stopped,
        /// A failure already classed (a keepalive's).
        Failed(Error),
        /// The data connection failed (a timeout, a reset, a cancel).
        Network(io::Error),
        /// The local file failed.
        Local(io::Error),
    }

    /// The most bytes one chunk moves: the pipe is asked for this capacity (the default
    /// unprivileged maximum, /proc/sys/fs/pipe-max-size), and sendfile for this count.
    const CHUNK: usize = 1024 * 1024;

    /// Whether splice(2) can write into `file`: a regular file or a FIFO (a socket, a
    /// terminal or a device takes the copy loop).
    pub(super) fn splice_target(file: &File) -> bool {
        rustix::fs::fstat(file).is_ok_and(|st| {
            matches!(
                FileType::from_raw_mode(st.st_mode),
                FileType::RegularFile | FileType::Fifo
            )
        })
    }

    /// Whether sendfile(2) can read `file` (a regular file), and SIGPIPE cannot hurt the
    /// host (see the module's documentation).
    pub(super) fn sendfile_source(file: &File) -> bool {
        let regular = rustix::fs::fstat(file)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
        regular && sigpipe_ignored()
    }

    /// Whether the process ignores SIGPIPE, as `/proc/self/status` tells (`SigIgn`, a hex
    /// mask where signal N is bit N-1). Unknown counts as no.
    pub(crate) fn sigpipe_ignored() -> bool {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return false;
        };
        status
            .lines()
            .find_map(|line| line.strip_prefix("SigIgn:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (libc::SIGPIPE - 1)) != 0)
    }

    /// The data socket, non-blocking while the transfer runs (so no call waits past the
    /// deadline however the socket timeouts were left: waits are polls), blocking again when
    /// dropped, before the connection is closed or aborted. A duplicate descriptor, so the
    /// data connection stays free to be handed to `end_transfer` and friends.
    struct Nonblocking(TcpStream);

    impl Nonblocking {
        fn of(conn: &DataConnection) -> io::Result<Option<Nonblocking>> {
            let Some(tcp) = conn.socket.plain_tcp() else {
                return Ok(None);
            };
            let dup = tcp.try_clone()?;
            dup.set_nonblocking(true)?;
            Ok(Some(Nonblocking(dup)))
        }
    }

    impl Drop for Nonblocking {
        fn drop(&mut self) {
            let _ = self.0.set_nonblocking(false);
        }
    }

    /// What one transfer's chunks need besides the data connection.
    struct Chunks<'c> {
        canceller: &'c Canceller,
        idle: Option<Duration>,
    }

    impl Chunks<'_> {
        /// A fresh deadline for the next chunk.
        fn deadline(&self) -> Option<Instant> {
            self.idle.map(|limit| Instant::now() + limit)
        }

        /// Waits until `socket` is ready for `flags`, by `deadline`; a cancel ends the wait
        /// (the socket is shut down) and is reported as such.
        fn wait(
            &self,
            socket: &TcpStream,
            flags: PollFlags,
            deadline: Option<Instant>,
        ) -> io::Result<()> {
            loop {
                self.canceller.check()?;
                let left = match deadline {
                    Some(at) => {
                        let left = at.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            return Err(io::Error::new(
                                io::ErrorKind::TimedOut,
                                "the deadline for this phase has passed",
                            ));
                        }
                        Some(Timespec {
                            tv_sec: left.as_secs() as i64,
                            tv_nsec: left.subsec_nanos().into(),
                        })
                    }
                    None => None,
                };
                let mut fds = [PollFd::new(socket, flags)];
                match rustix::event::poll(&mut fds, left.as_ref()) {
                    Ok(0) | Err(Errno::INTR) => {}
                    Ok(_) => return self.canceller.check(),
                    Err(e) => return Err(e.into()),
                }
            }
        }

        /// A failure (or an end of data) seen after a cancel is the cancel.
        fn checked<T>(&self, result: io::Result<T>) -> io::Result<T> {
            self.canceller.check()?;
            result
        }
    }

    /// Whether a splice/sendfile failure means "this descriptor cannot do that": the bytes
    /// then go through a buffer, from where they are.
    fn refused(err: Errno) -> bool {
        matches!(err, Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP)
    }

    /// A pipe for splicing, asked for [`CHUNK`] bytes of capacity (the default 64 KiB when
    /// refused); the capacity is returned with it.
    fn chunk_pipe() -> io::Result<(OwnedFd, OwnedFd, usize)> {
        let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
        let capacity = rustix::pipe::fcntl_setpipe_size(&write, CHUNK)
            .or_else(|_| rustix::pipe::fcntl_getpipe_size(&write))?;
        Ok((read, write, capacity))
    }

    pub(super) fn download(
        client: &mut Client,
        command: &Command,
        options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let context = command.shown().to_string();
        let (pipe_read, pipe_write, capacity) =
            chunk_pipe().map_err(|e| Error::io(format!("{context}: a pipe for splice"), e))?;
        client.prepare_data_transfer(TransferType::Binary)?;
        let offset = options.offset;
        let mut conn = client.begin_transfer(command, offset)?;
        let total = options.total.or(conn.expected_size.filter(|_| offset == 0));
        let mut progress = options.progress;
        let canceller = client.canceller.clone();
        let chunks = Chunks {
            canceller: &canceller,
            idle: conn.socket.idle_timeout(),
        };
        let socket = match Nonblocking::of(&conn) {
            Ok(socket) => socket,
            Err(e) => return Err(client.fail_transfer(conn, Error::io(context, e))),
        };
        let mut received: u64 = 0;
        // Set when the kernel refuses to splice into `file`: the pipe is read into this
        // buffer and written from it.
        let mut bounce: Option<Vec<u8>> = None;
        let mut last_keepalive = Instant::now();
        let outcome = loop {
            let Some(socket) = socket.as_ref() else {
                // No data connection (the server completed at once): no data.
                break Outcome::Finished;
            };
            if let Err(e) = client.keepalive_tick(&mut last_keepalive, &mut conn) {
                break Outcome::Failed(e);
            }
            // Socket → pipe, within the idle deadline.
            let deadline = chunks.deadline();
            let n = loop {
                let result = splice(
                    &socket.0,
                    None,
                    &pipe_write,
                    None,
                    capacity,
                    SpliceFlags::MOVE | SpliceFlags::NONBLOCK,
                );
                match chunks.checked(result.map_err(io::Error::from)) {
                    Ok(n) => break Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if let Err(e) = chunks.wait(&socket.0, PollFlags::IN, deadline) {
                            break Err(e);
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            let n = match n {
                Ok(0) => break Outcome::Finished,
                Ok(n) => n,
                Err(e) => break Outcome::Network(e),
            };
            conn.received += n as u64;
            received += n as u64;
            // Pipe → file: all of it, before the next chunk.
            if let Err(e) = drain(&pipe_read, n, file, &mut bounce) {
                break Outcome::Local(e);
            }
            let limit = conn.limits.as_deref().and_then(|l| l.download.as_ref());
            let done = offset + received;
            if let Some(end) = after_chunk(limit, n, &canceller, &mut progress, done, total) {
                break end;
            }
        };
        drop(socket);
        finish(client, conn, outcome, &context, received)
    }

    /// Moves `n` bytes from the pipe into `file`: spliced, or through `bounce` once the
    /// kernel refused to splice into it.
    fn drain(
        pipe: &OwnedFd,
        mut n: usize,
        file: &mut File,
        bounce: &mut Option<Vec<u8>>,
    ) -> io::Result<()> {
        while n > 0 {
            if let Some(buf) = bounce.as_mut() {
                let want = n.min(buf.len());
                let got = rustix::io::read(pipe, &mut buf[..want])?;
                if got == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                file.write_all(&buf[..got])?;
                n -= got;
                continue;
            }
            match splice(pipe, None, file.as_fd(), None, n, SpliceFlags::MOVE) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(m) => n -= m,
                Err(Errno::INTR) => {}
                Err(e) if refused(e) => *bounce = Some(vec![0u8; CHUNK]),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    pub(super) fn upload(
        client: &mut Client,
        command: &Command,
        options: TransferOptions<'_>,
        file: &mut File,
    ) -> Result<u64> {
        let context = command.shown().to_string();
        client.prepare_data_transfer(TransferType::Binary)?;
        let offset = options.offset;
        let total = options.total;
        let mut progress = options.progress;
        let mut conn = client.begin_transfer(command, offset)?;
        conn.sending = true;
        let canceller = client.canceller.clone();
        let chunks = Chunks {
            canceller: &canceller,
            idle: conn.socket.idle_timeout(),
        };
        let socket = match Nonblocking::of(&conn) {
            Ok(socket) => socket,
            Err(e) => return Err(client.fail_transfer(conn, Error::io(context, e))),
        };
        let limit = conn.limits.as_deref().and_then(|l| l.upload.clone());
        // Paced chunks are blocks, as in the copy loop, so the pace stays even.
        let chunk = if limit.is_some() {
            client.options.block_size
        } else {
            CHUNK
        };
        let mut sent: u64 = 0;
        // Set when the kernel refuses sendfile for `file`: the rest goes through this buffer.
        let mut bounce: Option<Vec<u8>> = None;
        let mut last_keepalive = Instant::now();
        let outcome = loop {
            if let Err(e) = client.keepalive_tick(&mut last_keepalive, &mut conn) {
                break Outcome::Failed(e);
            }
            let n = match (&bounce, socket.as_ref()) {
                (None, Some(socket)) => match send_chunk(&chunks, &socket.0, file, chunk) {
                    Ok(Sent::Bytes(n)) => n,
                    Ok(Sent::Refused) => {
                        // The connection's own writes (deadline, pacing, byte count) from
                        // now on, on a blocking socket.
                        if let Err(e) = socket.0.set_nonblocking(false) {
                            break Outcome::Network(e);
                        }
                        bounce = Some(vec![0u8; client.options.block_size]);
                        continue;
                    }
                    Err(Failed::Local(e)) => break Outcome::Local(e),
                    Err(Failed::Network(e)) => break Outcome::Network(e),
                },
                // Through a buffer (or into no connection, which the write reports).
                _ => {
                    let buf = bounce.get_or_insert_with(|| vec![0u8; client.options.block_size]);
                    let n = match file.read(buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => break Outcome::Local(e),
                    };
                    if n > 0 {
                        if let Err(e) = conn.write_all(&buf[..n]) {
                            break Outcome::Network(e);
                        }
                        sent += n as u64;
                        if let Some(observer) = progress.as_mut() {
                            if observer(offset + sent, total) == Flow::Stop {
                                break Outcome::Stopped;
                            }
                        }
                        continue;
                    }
                    0
                }
            };
            if n == 0 {
                break Outcome::Finished;
            }
            conn.sent += n as u64;
            sent += n as u64;
            let done = offset + sent;
            if let Some(end) =
                after_chunk(limit.as_ref(), n, &canceller, &mut progress, done, total)
            {
                break end;
            }
        };
        drop(socket);
        if let (Outcome::Finished, Some(total)) = (&outcome, total.filter(|&t| offset + sent < t)) {
            // As the copy loop: a source that ended before the announced size is a source
            // that failed, never a stored file.
            let _ = client.abort_transfer(conn);
            return Err(crate::transfer::source_ended_early(
                &context,
                offset + sent,
                total,
            ));
        }
        finish(client, conn, outcome, &context, sent)
    }

    /// After a chunk of `n` bytes moved (`done` in all): its pace under a bandwidth limit,
    /// then progress; the outcome that ends the loop, if one does.
    fn after_chunk(
        limit: Option<&crate::rate::RateLimit>,
        n: usize,
        canceller: &Canceller,
        progress: &mut Option<&mut crate::transfer::ProgressFn<'_>>,
        done: u64,
        total: Option<u64>,
    ) -> Option<Outcome> {
        if let Some(limit) = limit {
            if let Err(e) = limit.pace(n, canceller) {
                return Some(Outcome::Network(e));
            }
        }
        let observer = progress.as_mut()?;
        (observer(done, total) == Flow::Stop).then_some(Outcome::Stopped)
    }

    enum Sent {
        Bytes(usize),
        /// The kernel cannot sendfile from this descriptor; nothing moved.
        Refused,
    }

    enum Failed {
        Local(io::Error),
        Network(io::Error),
    }

    /// Sends up to `chunk` bytes from `file`'s position with sendfile(2) (which advances
    /// it), all within one idle deadline; 0 at the end of the file.
    fn send_chunk(
        chunks: &Chunks<'_>,
        socket: &TcpStream,
        file: &File,
        chunk: usize,
    ) -> std::result::Result<Sent, Failed> {
        let deadline = chunks.deadline();
        let mut moved = 0;
        while moved < chunk {
            let result = rustix::fs::sendfile(socket, file, None, chunk - moved);
            if chunks.canceller.check().is_err() {
                return Err(Failed::Network(crate::Cancelled::io_error()));
            }
            match result {
                Ok(0) => break,
                Ok(n) => moved += n,
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => {
                    if moved > 0 && chunks.idle.is_none() {
                        // Without a deadline, a chunk need not be whole: report progress.
                        break;
                    }
                    chunks
                        .wait(socket, PollFlags::OUT, deadline)
                        .map_err(Failed::Network)?;
                }
                Err(e) if refused(e) && moved == 0 => return Ok(Sent::Refused),
                Err(e) => {
                    // sendfile does not say which side failed: the file, when it reads.
                    let local = matches!(e, Errno::IO | Errno::ISDIR | Errno::BADF)
                        || (e == Errno::INVAL && moved > 0);
                    let err = io::Error::from(e);
                    return Err(if local {
                        Failed::Local(err)
                    } else {
                        Failed::Network(err)
                    });
                }
            }
        }
        Ok(Sent::Bytes(moved))
    }

    /// Ends the transfer as the copy loop would for `outcome`.
    fn finish(
        client: &mut Client,
        conn: DataConnection,
        outcome: Outcome,
        context: &str,
        moved: u64,
    ) -> Result<u64> {
        let idle = conn.socket.idle_timeout();
        match outcome {
            Outcome::Finished => {
                client.end_transfer(conn)?;
                Ok(moved)
            }
            Outcome::Failed(e) => Err(client.fail_transfer(conn, e)),
            Outcome::Stopped => {
                let _ = client.abort_transfer(conn);
                Err(Error::Aborted {
                    context: context.to_string(),
                })
            }
            Outcome::Network(e) => {
                let err = crate::transfer::data_error(context, e, idle);
                Err(client.fail_transfer(conn, err))
            }
            Outcome::Local(e) => {
                let what = if conn.sending {
                    "reading the data to send"
                } else {
                    "writing the received data"
                };
                let _ = client.abort_transfer(conn);
                Err(Error::io(format!("{context}: {what}"), e))
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn a_rust_test_process_ignores_sigpipe() {
            // Rust's runtime sets SIGPIPE to SIG_IGN before main; /proc says so.
            assert!(super::sigpipe_ignored());
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::fs::File;

    use crate::client::Client;
    use crate::error::Result;
    use crate::protocol::Command;
    use crate::transfer::TransferOptions;

    pub(super) fn splice_target(_: &File) -> bool {
        false
    }

    pub(super) fn sendfile_source(_: &File) -> bool {
        false
    }

    pub(super) fn download(
        _: &mut Client,
        _: &Command,
        _: TransferOptions<'_>,
        _: &mut File,
    ) -> Result<u64> {
        unreachable!("zero-copy transfers are only chosen on Linux")
    }

    pub(super) fn upload(
        _: &mut Client,
        _: &Command,
        _: TransferOptions<'_>,
        _: &mut File,
    ) -> Result<u64> {
        unreachable!("zero-copy transfers are only chosen on Linux")
    }
}
