//! Sockets and deadlines: the control channel and data channels. This layer owns the network
//! and turns socket failures into errors that name their phase; it knows nothing of commands
//! beyond sending rendered bytes and feeding received bytes to the reply parser.

pub(crate) mod cancel;
pub(crate) mod control;
pub(crate) mod data;
pub(crate) mod proxy;
pub(crate) mod socket;
pub(crate) mod stream;
pub(crate) mod tls;

use std::io;
use std::time::{Duration, Instant};

use crate::error::{Error, TimeoutPhase};

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
