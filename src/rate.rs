//! Bandwidth limits: a token bucket shared by whoever holds a clone, so one limit can cover one
//! session, several sessions, several agents (and the pool).

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::connection::cancel::Canceller;
use crate::error::{Error, Result};

/// The most a bucket holds: bytes for this long at the limit, gathered while nothing moves.
/// It starts empty, so the first block of a transfer waits its turn like the others.
const BURST: Duration = Duration::from_millis(100);

/// The longest one wait sleeps before it looks at the session's canceller again.
const SLEEP_SLICE: Duration = Duration::from_millis(100);

/// A limit of bytes per second, as a token bucket. Clones share the bucket: give the same
/// `RateLimit` to several sessions (through their [`crate::Options`]) and their transfers
/// together stay under it; make one per session for a limit each. Every byte counts, the
/// first block of a transfer too (the bucket starts empty and holds at most a tenth of a
/// second's bytes).
#[derive(Clone)]
pub struct RateLimit {
    inner: Arc<Bucket>,
}

struct Bucket {
    bytes_per_sec: u64,
    /// When the bytes taken so far are paid for at the limit ("theoretical arrival time");
    /// `None` before the first bytes.
    paid_until: Mutex<Option<Instant>>,
}

impl RateLimit {
    /// A limit of `bytes_per_sec` bytes per second (at least 1).
    pub fn new(bytes_per_sec: u64) -> Result<RateLimit> {
        if bytes_per_sec == 0 {
            return Err(Error::InvalidArgument(
                "a rate limit is at least 1 byte per second (no limit: None)".into(),
            ));
        }
        Ok(RateLimit {
            inner: Arc::new(Bucket {
                bytes_per_sec,
                paid_until: Mutex::new(None),
            }),
        })
    }

    /// The limit, in bytes per second.
    pub fn bytes_per_sec(&self) -> u64 {
        self.inner.bytes_per_sec
    }

    /// Takes `bytes` from the bucket at `now` and returns how long the caller must wait
    /// before moving more (zero when the bucket had them). Pure arithmetic on the instants
    /// given, so it can be tested with any clock.
    pub fn reserve(&self, bytes: u64, now: Instant) -> Duration {
        let cost_nanos = u128::from(bytes) * 1_000_000_000 / u128::from(self.inner.bytes_per_sec);
        let cost = Duration::from_nanos(u64::try_from(cost_nanos).unwrap_or(u64::MAX));
        let mut paid_until = self
            .inner
            .paid_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Idle time fills the bucket, up to BURST; the first bytes find it empty.
        let start = match *paid_until {
            None => now,
            Some(until) => until.max(now.checked_sub(BURST).unwrap_or(now)),
        };
        let until = start + cost;
        *paid_until = Some(until);
        until.saturating_duration_since(now)
    }

    /// Takes `bytes` and sleeps as long as the limit asks, looking at `canceller` between
    /// slices of the wait.
    pub(crate) fn pace(&self, bytes: usize, canceller: &Canceller) -> io::Result<()> {
        let wait = self.reserve(bytes as u64, Instant::now());
        if wait.is_zero() {
            return Ok(());
        }
        let end = Instant::now() + wait;
        loop {
            canceller.check()?;
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(SLEEP_SLICE));
        }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RateLimit({} B/s)", self.inner.bytes_per_sec)
    }
}

/// Two limits are equal when they share a bucket.
impl PartialEq for RateLimit {
    fn eq(&self, other: &RateLimit) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_block_is_counted() {
        let limit = RateLimit::new(1000).unwrap();
        let t0 = Instant::now();
        assert_eq!(limit.reserve(500, t0), 500 * MS);
        // Taken at once, the next 500 bytes wait for both.
        assert_eq!(limit.reserve(500, t0), 1000 * MS);
        // Later, only what is still owed.
        assert_eq!(limit.reserve(100, t0 + 1000 * MS), 100 * MS);
    }

    #[test]
    fn idle_time_fills_the_bucket_only_up_to_its_size() {
        let limit = RateLimit::new(1000).unwrap();
        let t0 = Instant::now();
        assert_eq!(limit.reserve(1000, t0), 1000 * MS);
        // Five seconds idle: a tenth of a second's bytes go through at once, no more.
        let t1 = t0 + 6000 * MS;
        assert_eq!(limit.reserve(100, t1), Duration::ZERO);
        assert_eq!(limit.reserve(100, t1), 100 * MS);
    }

    #[test]
    fn a_steady_transfer_keeps_to_the_limit() {
        // 20 MB/s in 64 KiB blocks for 10 s of simulated time, each wait taken exactly.
        let rate = 20_000_000;
        let limit = RateLimit::new(rate).unwrap();
        let mut now = Instant::now();
        let start = now;
        let mut moved: u64 = 0;
        while now - start < Duration::from_secs(10) {
            let wait = limit.reserve(65536, now);
            moved += 65536;
            now += wait;
        }
        let measured = moved as f64 / (now - start).as_secs_f64();
        assert!((measured / rate as f64 - 1.0).abs() < 0.01, "{measured}");
    }

    #[test]
    fn clones_share_one_bucket() {
        let a = RateLimit::new(1000).unwrap();
        let b = a.clone();
        let t0 = Instant::now();
        assert_eq!(a.reserve(500, t0), 500 * MS);
        assert_eq!(b.reserve(500, t0), 1000 * MS);
        assert_eq!(a, b);
        assert_ne!(a, RateLimit::new(1000).unwrap());
        assert!(RateLimit::new(0).is_err());
    }
}
