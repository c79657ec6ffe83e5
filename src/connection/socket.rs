//! The one TCP socket type under every control and data connection, plain or TLS. It keeps
//! two promises the layers above rely on:
//!
//! - **No SIGPIPE.** Every write is a `send` with `MSG_NOSIGNAL`, vectored writes included
//!   (rustls writes TLS records with `writev`, which cannot take the flag and raised SIGPIPE in
//!   C hosts with the default disposition). The host's signal disposition is never touched.
//! - **Deadlines, not per-call timeouts.** A phase sets one deadline; every system call made
//!   for it, however many a TLS record or a trickling peer needs, waits only for what is left
//!   of it. A socket timeout is only re-armed when what is left is shorter than what is armed,
//!   so a transfer that keeps the same limit costs no extra system calls.

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use socket2::SockRef;

use super::cancel::{Canceller, Registration};

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
// macOS and others have no MSG_NOSIGNAL; std sets SO_NOSIGPIPE on their sockets instead.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
const SEND_FLAGS: libc::c_int = 0;

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

pub(crate) struct Socket {
    /// The socket's place in its session's canceller (see `cancel.rs`).
    registration: Registration,
    tcp: TcpStream,
    deadline: Option<Instant>,
    /// The SO_RCVTIMEO / SO_SNDTIMEO now set: `None` is "wait forever".
    armed_read: Option<Duration>,
    armed_write: Option<Duration>,
    nonblocking: bool,
}

impl Socket {
    /// Wraps `tcp`, registered with `canceller` so another thread can end its waits.
    pub(crate) fn new(tcp: TcpStream, canceller: &Canceller) -> io::Result<Socket> {
        let registration = canceller.register(&tcp)?;
        // A fresh std socket waits forever in both directions.
        Ok(Socket {
            registration,
            tcp,
            deadline: None,
            armed_read: None,
            armed_write: None,
            nonblocking: false,
        })
    }

    /// The canceller this socket is registered with.
    pub(crate) fn canceller(&self) -> &Canceller {
        self.registration.canceller()
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// The TCP stream, to be wrapped anew (its socket timeouts are reset to none).
    pub(crate) fn into_tcp(self) -> TcpStream {
        let _ = self.tcp.set_read_timeout(None);
        let _ = self.tcp.set_write_timeout(None);
        self.tcp
    }

    /// Every read and write from now on ends by `deadline` (`None`: no limit) with an
    /// `io::ErrorKind::TimedOut` error.
    pub(crate) fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    /// A deadline `limit` from now (`None`: no limit).
    pub(crate) fn set_limit(&mut self, limit: Option<Duration>) {
        self.deadline = limit.map(|l| Instant::now() + l);
    }

    /// Reads and writes return `WouldBlock` at once instead of waiting, whatever the deadline.
    pub(crate) fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        self.tcp.set_nonblocking(nonblocking)?;
        self.nonblocking = nonblocking;
        Ok(())
    }

    /// Time left before the deadline, or a `TimedOut` error when there is none left.
    fn left(&self) -> io::Result<Option<Duration>> {
        let Some(at) = self.deadline else {
            return Ok(None);
        };
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the deadline for this phase has passed",
            ));
        }
        Ok(Some(left))
    }

    /// Sets the socket timeout for `direction` so the next call ends by the deadline. `exact`
    /// re-arms even when a shorter timeout is already set (after it fired early).
    fn arm(&mut self, direction: Direction, exact: bool) -> io::Result<()> {
        let want = self.left()?;
        let armed = match direction {
            Direction::Read => &mut self.armed_read,
            Direction::Write => &mut self.armed_write,
        };
        let fits = match (want, *armed) {
            (None, None) => true,
            (None, Some(_)) => false,
            (Some(_), None) => false,
            (Some(want), Some(have)) => have <= want && !exact,
        };
        if !fits {
            match direction {
                Direction::Read => self.tcp.set_read_timeout(want)?,
                Direction::Write => self.tcp.set_write_timeout(want)?,
            }
            *armed = want;
        }
        Ok(())
    }

    /// Runs one blocking call within the deadline: a socket timeout that fires before the
    /// deadline (armed shorter for an earlier phase) is re-armed and the call made again.
    fn within_deadline<T>(
        &mut self,
        direction: Direction,
        call: impl FnMut(&TcpStream) -> io::Result<T>,
    ) -> io::Result<T> {
        self.registration.canceller().check()?;
        let result = self.wait_within_deadline(direction, call);
        // A cancelled session's sockets are shut down: what the call saw then (an end of
        // stream, a reset) is the cancellation, never data or a peer's close.
        self.registration.canceller().check()?;
        result
    }

    fn wait_within_deadline<T>(
        &mut self,
        direction: Direction,
        mut call: impl FnMut(&TcpStream) -> io::Result<T>,
    ) -> io::Result<T> {
        if self.nonblocking {
            return call(&self.tcp);
        }
        let mut exact = false;
        loop {
            self.arm(direction, exact)?;
            match call(&self.tcp) {
                Err(e) if is_socket_timeout(&e) => {
                    // Past the deadline: report it as such; otherwise wait for the rest.
                    self.left()?;
                    exact = true;
                }
                other => return other,
            }
        }
    }
}

fn is_socket_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.within_deadline(Direction::Read, |mut tcp| tcp.read(buf))
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.within_deadline(Direction::Write, |tcp| {
            SockRef::from(tcp).send_with_flags(buf, SEND_FLAGS)
        })
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.within_deadline(Direction::Write, |tcp| {
            SockRef::from(tcp).send_vectored_with_flags(bufs, SEND_FLAGS)
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn pair() -> (Socket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Socket::new(client, &Canceller::new()).unwrap(), server)
    }

    #[test]
    fn a_trickling_peer_cannot_stretch_the_deadline() {
        let (mut socket, mut server) = pair();
        let trickle = std::thread::spawn(move || {
            for _ in 0..40 {
                if server.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        socket.set_limit(Some(Duration::from_millis(400)));
        let started = Instant::now();
        let mut buf = [0u8; 1];
        let err = loop {
            if let Err(e) = socket.read(&mut buf) {
                break e;
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "{took:?}");
        drop(socket);
        trickle.join().unwrap();
    }

    #[test]
    fn a_shorter_earlier_timeout_does_not_cut_a_later_phase_short() {
        let (mut socket, mut server) = pair();
        socket.set_limit(Some(Duration::from_millis(20)));
        let mut buf = [0u8; 1];
        assert!(socket.read(&mut buf).is_err());
        socket.set_limit(Some(Duration::from_secs(5)));
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            server.write_all(b"y").unwrap();
            server
        });
        assert_eq!(socket.read(&mut buf).unwrap(), 1);
        drop(writer.join().unwrap());
    }

    #[test]
    fn writing_to_a_reset_peer_is_an_error_not_a_signal() {
        let (mut socket, server) = pair();
        // RST instead of FIN: linger 0.
        SockRef::from(&server)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(server);
        std::thread::sleep(Duration::from_millis(50));
        let block = [0u8; 64 * 1024];
        let slices = [IoSlice::new(&block), IoSlice::new(&block)];
        let mut failed = false;
        for _ in 0..20 {
            if socket.write_vectored(&slices).is_err() || socket.write(&block).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "writes to a reset connection must fail");
    }
}
