//! Sockets and deadlines: the control channel and data channels. This layer owns the network
//! and turns socket failures into errors that name their phase; it knows nothing of commands
//! beyond sending rendered bytes and feeding received bytes to the reply parser.

pub(crate) mod cancel;
pub(crate) mod control;
pub(crate) mod data;
pub(crate) mod proxy;
pub(crate) mod records;
pub(crate) mod socket;
pub(crate) mod stream;
pub(crate) mod tls;

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use socket2::{Domain, Protocol, Socket, Type};

use self::cancel::Canceller;
use crate::error::{Error, TimeoutPhase};

/// The longest a connect waits before it looks at its canceller again.
const CONNECT_SLICE: Duration = Duration::from_millis(100);

/// Connects a TCP socket to `addr` by `deadline` (an `io::ErrorKind::TimedOut` error after
/// it), and gives up as soon as `canceller` is cancelled: a non-blocking connect, then waits
/// of at most 100 ms for it to complete. (A blocking connect cannot be interrupted: a socket
/// that is not connected yet cannot be shut down.)
pub(crate) fn connect_tcp(
    addr: SocketAddr,
    deadline: &Deadline,
    canceller: &Canceller,
) -> io::Result<TcpStream> {
    canceller.check()?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => loop {
            canceller.check()?;
            let left = deadline
                .at()
                .map(|at| at.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"));
            }
            let slice = left.map_or(CONNECT_SLICE, |left| left.min(CONNECT_SLICE));
            let timeout = Timespec {
                tv_sec: slice.as_secs() as i64,
                tv_nsec: slice.subsec_nanos().into(),
            };
            let mut fds = [PollFd::new(&socket, PollFlags::OUT)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) => {}
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        },
        Err(e) => return Err(e),
    }
    if let Some(err) = socket.take_error()? {
        return Err(err);
    }
    socket.set_nonblocking(false)?;
    Ok(socket.into())
}

/// A point in time by which a phase must finish; `None` waits forever.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Option<Instant>,
    limit: Option<Duration>,
}

impl Deadline {
    pub(crate) fn after(limit: Option<Duration>) -> Deadline {
        Deadline {
            at: limit.map(|d| Instant::now() + d),
            limit,
        }
    }

    /// The instant the phase must end by; `None` when it may take forever.
    pub(crate) fn at(&self) -> Option<Instant> {
        self.at
    }

    /// Time left, or a timeout error naming `phase` when none is.
    pub(crate) fn remaining(
        &self,
        context: &str,
        phase: TimeoutPhase,
    ) -> Result<Option<Duration>, Error> {
        let Some(at) = self.at else {
            return Ok(None);
        };
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.expired(context, phase));
        }
        Ok(Some(left))
    }

    pub(crate) fn expired(&self, context: &str, phase: TimeoutPhase) -> Error {
        Error::Timeout {
            context: context.to_string(),
            phase,
            after: self.limit.unwrap_or_default(),
        }
    }
}

/// Whether an I/O error is a socket timeout (SO_RCVTIMEO/SO_SNDTIMEO expiring).
pub(crate) fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
