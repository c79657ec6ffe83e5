//! Cancelling a session's blocking calls from another thread.
//!
//! A blocking read waits in the kernel until data, the peer or the deadline ends it; a flag
//! alone would only be seen afterwards. So every socket a session opens registers a duplicate
//! of its descriptor here (`TcpStream::try_clone`), and [`Canceller::cancel`] sets the flag and
//! then shuts every registered socket down: the waits end at once, and each socket call that
//! sees the flag fails with a [`Cancelled`] error instead of reporting the shutdown as the end
//! of the data (which would make a cut download look complete). The registry owns its
//! duplicates, so it never acts on a descriptor number that was closed and reused.

use std::fmt;
use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Stops the blocking calls of the sessions it was given to, from any thread. Clones share
/// one flag. Once cancelled, every socket call of those sessions fails (their connections are
/// cut) until [`Canceller::reset`]; a session that was cut must be connected again
/// ([`crate::Agent`]'s operations reconnect by themselves).
#[derive(Clone, Default)]
pub struct Canceller {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    cancelled: AtomicBool,
    registry: Mutex<Registry>,
    /// Wakes [`Canceller::wait`] (retry backoff) when cancelled.
    wake: Condvar,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    sockets: Vec<(u64, TcpStream)>,
}

impl Canceller {
    /// A canceller that has not been cancelled.
    pub fn new() -> Canceller {
        Canceller::default()
    }

    /// Stops every blocking call of the sessions this canceller belongs to, now and from now
    /// on until [`Canceller::reset`]: sockets are shut down, so a call waiting on the network
    /// returns at once with [`crate::Error::Aborted`] (or an I/O error naming the
    /// cancellation, at the lowest level). Safe from any thread; never blocks on the network.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let registry = self.registry();
        for (_, socket) in &registry.sockets {
            // Ends the connection for every descriptor of the socket; the owner still closes
            // its own. An error means it is closed already.
            let _ = socket.shutdown(Shutdown::Both);
        }
        drop(registry);
        self.inner.wake.notify_all();
    }

    /// Whether [`Canceller::cancel`] was called since the last reset.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Clears the flag, so new calls run again; returns whether it was set.
    pub fn reset(&self) -> bool {
        self.inner.cancelled.swap(false, Ordering::SeqCst)
    }

    /// Sleeps for `duration` unless cancelled first; returns whether it slept the whole time.
    pub fn wait(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        let mut registry = self.registry();
        loop {
            if self.is_cancelled() {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            registry = match self.inner.wake.wait_timeout(registry, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// The error a socket call returns once cancelled.
    pub(crate) fn check(&self) -> io::Result<()> {
        if self.is_cancelled() {
            Err(Cancelled::io_error())
        } else {
            Ok(())
        }
    }

    /// Registers a socket until the returned registration is dropped. Fails only when the
    /// descriptor cannot be duplicated (out of descriptors).
    pub(crate) fn register(&self, socket: &TcpStream) -> io::Result<Registration> {
        let duplicate = socket.try_clone()?;
        let mut registry = self.registry();
        let id = registry.next_id;
        registry.next_id += 1;
        if self.is_cancelled() {
            // Cancelled before the socket existed: end it too.
            let _ = duplicate.shutdown(Shutdown::Both);
        }
        registry.sockets.push((id, duplicate));
        drop(registry);
        Ok(Registration {
            canceller: self.clone(),
            id,
        })
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Canceller")
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// A socket's place in a canceller's registry; dropping it unregisters the socket.
pub(crate) struct Registration {
    canceller: Canceller,
    id: u64,
}

impl Registration {
    pub(crate) fn canceller(&self) -> &Canceller {
        &self.canceller
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut registry = self.canceller.registry();
        registry.sockets.retain(|&(id, _)| id != self.id);
    }
}

/// What an `io::Error` carries when a socket call failed because the session was cancelled.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cancelled by the caller")
    }
}

impl std::error::Error for Cancelled {}

impl Cancelled {
    pub(crate) fn io_error() -> io::Error {
        io::Error::new(io::ErrorKind::ConnectionAborted, Cancelled)
    }

    /// Whether `err` (or what it wraps) says the session was cancelled.
    pub fn is(err: &io::Error) -> bool {
        err.get_ref().is_some_and(|inner| inner.is::<Cancelled>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn cancel_ends_a_blocked_read_from_another_thread() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_server, _) = listener.accept().unwrap();
        let canceller = Canceller::new();
        let registration = canceller.register(&client).unwrap();
        let other = canceller.clone();
        let started = Instant::now();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            other.cancel();
        });
        let mut buf = [0u8; 16];
        // The shutdown ends the wait (as an end of stream, which is why sockets check).
        let _ = client.read(&mut buf);
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(canceller.check().is_err_and(|e| Cancelled::is(&e)));
        drop(registration);
        stopper.join().unwrap();
        assert!(canceller.reset());
        assert!(canceller.check().is_ok());
    }

    #[test]
    fn wait_returns_early_when_cancelled() {
        let canceller = Canceller::new();
        assert!(canceller.wait(Duration::from_millis(10)));
        let other = canceller.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.cancel();
        });
        let started = Instant::now();
        assert!(!canceller.wait(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(10));
        stopper.join().unwrap();
    }
}
