//! Retrying transient failures with exponential backoff, reconnecting when the control
//! connection was lost.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::connection::cancel::Canceller;
use crate::error::{Error, Result};
use crate::transfer::Flow;

/// Sleeps between attempts. Injectable, so backoff timings are tested without sleeping.
pub trait Clock: Send {
    fn sleep(&mut self, duration: Duration);

    /// Sleeps unless `canceller` is cancelled first; returns whether it slept the whole time.
    /// The default sleeps, then looks; the system clock wakes at once.
    fn sleep_unless_cancelled(&mut self, duration: Duration, canceller: &Canceller) -> bool {
        self.sleep(duration);
        !canceller.is_cancelled()
    }
}

/// The real clock: `std::thread::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn sleep_unless_cancelled(&mut self, duration: Duration, canceller: &Canceller) -> bool {
        canceller.wait(duration)
    }
}

/// How many times to try and how long to wait in between.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub max_attempts: u32,
    /// Wait after the first failure.
    pub initial_delay: Duration,
    /// Each further wait is the previous one times this.
    pub multiplier: f64,
    /// No wait is longer than this.
    pub max_delay: Duration,
    /// Each wait is varied at random by up to this fraction either way (0 to 1), so clients
    /// that failed together do not retry together.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(500),
            multiplier: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// Checks the policy: at least one attempt, a multiplier of at least 1, jitter between 0
    /// and 1, delays that are not negative.
    pub fn validate(&self) -> Result<()> {
        let ok = self.max_attempts >= 1
            && self.multiplier.is_finite()
            && self.multiplier >= 1.0
            && (0.0..=1.0).contains(&self.jitter);
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(
                "retry policy: need at least 1 attempt, a multiplier of at least 1 and a \
                 jitter between 0 and 1"
                    .into(),
            ))
        }
    }

    /// Runs `op` (told the attempt number, from 1) until it succeeds, fails for good, or the
    /// attempts run out, sleeping the backoff in between. For operations before there is a
    /// session to reconnect (connecting itself).
    pub(crate) fn run<T>(
        &self,
        canceller: &Canceller,
        mut op: impl FnMut(u32) -> Result<T>,
    ) -> Result<T> {
        let mut state = RetryState::default();
        let mut attempt = 1;
        loop {
            match op(attempt) {
                Ok(value) => return Ok(value),
                Err(e) if !e.is_transient() || attempt >= self.max_attempts => return Err(e),
                Err(e) => {
                    let unit = state.unit_random();
                    let delay = self.delay(attempt, unit);
                    if !state.clock.sleep_unless_cancelled(delay, canceller) {
                        return Err(e.cancelled());
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// A policy that never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait after failed attempt number `attempt` (1-based), with `unit_random` in [0, 1)
    /// choosing the jitter.
    pub fn delay(&self, attempt: u32, unit_random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let base = self.initial_delay.as_secs_f64() * self.multiplier.max(1.0).powi(exponent);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let factor = 1.0 + jitter * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
        let seconds = (base.min(self.max_delay.as_secs_f64()) * factor)
            .min(self.max_delay.as_secs_f64())
            .max(0.0);
        Duration::from_secs_f64(seconds)
    }
}

/// Told before each retry: the attempt that failed (1-based), why, and how long the client
/// will wait. Returning [`Flow::Stop`] vetoes the retry: the operation fails with `error`.
pub struct RetryEvent<'a> {
    pub attempt: u32,
    pub error: &'a Error,
    pub delay: Duration,
}

/// Told of each retry; see [`Client::set_retry_observer`].
pub type RetryObserver = Box<dyn FnMut(&RetryEvent<'_>) -> Flow + Send>;

/// The retry settings of a client.
pub(crate) struct RetryState {
    pub(crate) policy: RetryPolicy,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) observer: Option<RetryObserver>,
    rng: u64,
}

impl Default for RetryState {
    fn default() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        RetryState {
            policy: RetryPolicy::default(),
            clock: Box::new(SystemClock),
            observer: None,
            rng: seed | 1,
        }
    }
}

impl fmt::Debug for RetryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryState")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RetryState {
    /// A number in [0, 1) (xorshift; jitter needs no better).
    pub(crate) fn unit_random(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_with_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_delay: Duration::from_millis(100),
            multiplier: 2.0,
            max_delay: Duration::from_secs(1),
            jitter: 0.0,
        };
        let delays: Vec<u128> = (1..=6).map(|a| policy.delay(a, 0.5).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let policy = RetryPolicy {
            jitter: 0.25,
            initial_delay: Duration::from_millis(1000),
            max_delay: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay(1, 0.0).as_millis(), 750);
        assert_eq!(policy.delay(1, 0.5).as_millis(), 1000);
        assert!(policy.delay(1, 0.999_999).as_millis() <= 1250);
        let mut state = RetryState::default();
        for _ in 0..1000 {
            let r = state.unit_random();
            assert!((0.0..1.0).contains(&r));
            let d = policy.delay(3, r).as_millis();
            assert!((3000..=5000).contains(&d), "{d}");
        }
        // The cap holds even with jitter.
        assert!(policy.delay(20, 0.99).as_secs() <= 60);
    }
}
