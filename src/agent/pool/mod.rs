//! Many sessions to one server at once: the pool hands out logged-in [`Agent`]s, opened on
//! demand with the same options and credentials, at most `max_sessions` of them (4 by
//! default), and keeps the ones given back for reuse (a NOOP checks them first; those idle
//! too long are closed). A server that refuses a login for too many connections (`421`, or a
//! `530` that says so) lowers the cap to the sessions that are open and makes new sessions
//! wait a moment: the pool settles at what the server allows instead of failing. Every
//! session is a separate [`Agent`], so every session has its own TLS session store (a data
//! connection resumes its own control connection's TLS session, never another's) and its own
//! [`Canceller`]; [`Pool::cancel`] cancels them all.
//!
//! The pool is `Send + Sync` and cheap to clone (an `Arc`): threads share one. On it are built
//! the parallel transfers ([`Pool::download_files`], [`Pool::upload_files`]) and the segmented
//! download of one file over several connections ([`Pool::download_segmented`]), and sync
//! and mirror with several workers ([`Pool::sync_directory`], [`Pool::mirror_directory`]).

mod batch;
mod segmented;
mod trees;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Agent, RetryPolicy};
use crate::connection::cancel::Canceller;
use crate::error::{Error, Result};
use crate::options::Options;

pub use batch::{BatchOptions, BatchProgress, BatchReport, FileOutcome, FilePair};
pub use segmented::{SegmentedOptions, SegmentedReport};
pub use trees::ParallelSyncOptions;

/// The sessions a pool opens at most when not told otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 4;

/// Settings of a [`Pool`].
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Sessions open at once at most (checked out, idle and connecting together); at least 1.
    pub max_sessions: usize,
    /// An idle session unused for longer is closed instead of reused.
    pub idle_timeout: Duration,
    /// How long new sessions wait after the server refused one for too many connections.
    pub limit_backoff: Duration,
    /// The retry policy of every session's operations (see [`Agent::set_retry_policy`]); it
    /// also bounds how often a session is opened again while the server refuses even one.
    /// [`Options::retry`], when set, takes its place (as it sets an agent's policy).
    pub retry: RetryPolicy,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_sessions: DEFAULT_MAX_SESSIONS,
            idle_timeout: Duration::from_secs(60),
            limit_backoff: Duration::from_millis(500),
            retry: RetryPolicy::default(),
        }
    }
}

/// What a pool has done so far, for tests and monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Sessions opened and logged in.
    pub opened: u64,
    /// Times an idle session was handed out again.
    pub reused: u64,
    /// Logins the server refused for too many connections.
    pub refused: u64,
    /// Sessions open now (checked out, idle or connecting).
    pub open: usize,
    /// Sessions idle now.
    pub idle: usize,
    /// The cap now: `max_sessions`, or lower after the server refused sessions.
    pub cap: usize,
}

/// A pool of logged-in sessions to one server; see the module documentation.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Login {
    user: String,
    password: String,
}

struct Inner {
    host: String,
    port: u16,
    /// Sessions are opened with these, `retry` taken out (the pool retries opening itself).
    options: Options,
    login: Option<Login>,
    state: Mutex<State>,
    /// Signalled when a session is given back or closed, the cap changes or on cancel.
    changed: Condvar,
    cancelled: AtomicBool,
}

struct State {
    settings: PoolOptions,
    cap: usize,
    idle: Vec<Idle>,
    /// Sessions open: checked out, idle and being connected.
    open: usize,
    /// The cancellers of the sessions checked out or being connected.
    busy: Vec<(u64, Canceller)>,
    next_id: u64,
    /// No new session before this, after the server refused one.
    backoff_until: Option<Instant>,
    stats: PoolStats,
}

struct Idle {
    agent: Agent,
    since: Instant,
}

impl Pool {
    /// A pool for `host:port` whose sessions log in as `user`. No connection is opened until
    /// a session is asked for.
    pub fn new(
        host: &str,
        port: u16,
        options: Options,
        user: &str,
        password: &str,
        settings: PoolOptions,
    ) -> Result<Pool> {
        Pool::build(host, port, options, Some((user, password)), settings)
    }

    /// A pool for an `ftp://`, `ftps://` or `ftpes://` URL (the TLS level from the scheme,
    /// the login from the URL, anonymous without a user; `password` when the URL names a user
    /// but no password). Returns the pool and the URL's path.
    pub fn from_url(
        url: &str,
        password: Option<&str>,
        mut options: Options,
        settings: PoolOptions,
    ) -> Result<(Pool, Vec<u8>)> {
        let url = crate::url::FtpUrl::parse(url)?;
        options.tls.level = url.tls;
        let (user, password) = url.credentials(password);
        let pool = Pool::build(
            &url.host,
            url.port,
            options,
            Some((user, password)),
            settings,
        )?;
        Ok((pool, url.path))
    }

    fn build(
        host: &str,
        port: u16,
        mut options: Options,
        login: Option<(&str, &str)>,
        mut settings: PoolOptions,
    ) -> Result<Pool> {
        if let Some(policy) = options.retry.take() {
            settings.retry = policy;
        }
        settings.retry.validate()?;
        if settings.max_sessions == 0 {
            return Err(Error::InvalidArgument(
                "pool: max_sessions must be at least 1".into(),
            ));
        }
        // (Taken out above: the pool opens sessions again itself, and must see a refusal at
        // once.)
        Ok(Pool {
            inner: Arc::new(Inner {
                host: host.to_string(),
                port,
                options,
                login: login.map(|(user, password)| Login {
                    user: user.to_string(),
                    password: password.to_string(),
                }),
                state: Mutex::new(State {
                    cap: settings.max_sessions,
                    settings,
                    idle: Vec::new(),
                    open: 0,
                    busy: Vec::new(),
                    next_id: 0,
                    backoff_until: None,
                    stats: PoolStats::default(),
                }),
                changed: Condvar::new(),
                cancelled: AtomicBool::new(false),
            }),
        })
    }

    /// Sets the cap (at least 1) and forgets a lower cap learnt from refusals. Sessions above
    /// a lower cap are closed as they are given back.
    pub fn set_max_sessions(&self, max: usize) {
        let mut state = self.inner.lock();
        state.settings.max_sessions = max.max(1);
        state.cap = state.settings.max_sessions;
        state.backoff_until = None;
        drop(state);
        self.inner.changed.notify_all();
    }

    /// The cap set with [`Pool::set_max_sessions`] or [`PoolOptions::max_sessions`].
    pub fn max_sessions(&self) -> usize {
        self.inner.lock().settings.max_sessions
    }

    /// Counters and the current cap.
    pub fn stats(&self) -> PoolStats {
        let state = self.inner.lock();
        PoolStats {
            open: state.open,
            idle: state.idle.len(),
            cap: state.cap,
            ..state.stats
        }
    }

    /// Cancels everything from any thread: sessions being connected or in use are cut (their
    /// calls end with [`Error::Aborted`]), idle sessions are closed, and asking for a session
    /// fails with `Aborted` until [`Pool::clear_cancel`].
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let mut state = self.inner.lock();
        for (_, canceller) in &state.busy {
            canceller.cancel();
        }
        let idle = std::mem::take(&mut state.idle);
        state.open -= idle.len();
        drop(state);
        for session in idle {
            session.agent.abandon();
        }
        self.inner.changed.notify_all();
    }

    /// Whether [`Pool::cancel`] was called since the last [`Pool::clear_cancel`].
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Lets sessions be handed out again after [`Pool::cancel`]; returns whether the pool was
    /// cancelled. Sessions cut by the cancel are closed when given back.
    pub fn clear_cancel(&self) -> bool {
        self.inner.cancelled.swap(false, Ordering::SeqCst)
    }

    /// A logged-in session, waiting while the cap is reached until one is given back. Given
    /// back to the pool when the returned value is dropped.
    pub fn session(&self) -> Result<PooledAgent> {
        self.acquire(true)
            .map(|s| s.expect("a blocking acquire returns a session"))
    }

    /// A session when one is idle or the cap allows a new one (which is opened now), `None`
    /// when the cap is reached or the server just refused a session.
    pub fn try_session(&self) -> Result<Option<PooledAgent>> {
        self.acquire(false)
    }

    fn acquire(&self, wait: bool) -> Result<Option<PooledAgent>> {
        let mut failures = 0u32;
        let mut state = self.inner.lock();
        loop {
            if self.is_cancelled() {
                return Err(Error::Aborted {
                    context: "pool: cancelled".into(),
                });
            }
            let idle_timeout = state.settings.idle_timeout;
            if let Some(idle) = state.idle.pop() {
                let id = state.check_out(&idle.agent);
                drop(state);
                let mut agent = idle.agent;
                let fresh = idle.since.elapsed() <= idle_timeout;
                if fresh && agent.session().noop().is_ok() {
                    self.inner.lock().stats.reused += 1;
                    return Ok(Some(self.wrap(agent, id)));
                }
                agent.abandon();
                state = self.inner.lock();
                state.forget(id);
                continue;
            }
            let waiting = state.backoff_until.is_some_and(|t| t > Instant::now());
            if state.open < state.cap && !waiting {
                let id = state.next_id;
                state.next_id += 1;
                let canceller = Canceller::new();
                state.busy.push((id, canceller.clone()));
                state.open += 1;
                drop(state);
                let opened = self.open_session(canceller);
                state = self.inner.lock();
                match opened {
                    Ok(agent) => {
                        state.stats.opened += 1;
                        drop(state);
                        return Ok(Some(self.wrap(agent, id)));
                    }
                    Err(error) => {
                        state.forget(id);
                        self.inner.changed.notify_all();
                        if self.is_cancelled() {
                            return Err(error.cancelled());
                        }
                        if !is_connection_limit(&error) {
                            return Err(error);
                        }
                        state.stats.refused += 1;
                        // The server allows the sessions open now, and no more.
                        state.cap = state.open.max(1);
                        let backoff = state.settings.limit_backoff;
                        state.backoff_until = Some(Instant::now() + backoff);
                        if state.open == 0 {
                            // Not even one: another client holds them. Retry, a few times.
                            failures += 1;
                            if failures >= state.settings.retry.max_attempts {
                                return Err(error);
                            }
                        }
                        if !wait && state.open > 0 {
                            return Ok(None);
                        }
                        continue;
                    }
                }
            }
            if !wait {
                return Ok(None);
            }
            // Wait for a session to come back, the cap to change, or the backoff to end.
            let timeout = match state.backoff_until {
                Some(t) if waiting => t.saturating_duration_since(Instant::now()),
                _ => Duration::from_secs(1),
            };
            state = match self.inner.changed.wait_timeout(state, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Connects and logs in a new session with the pool's options and credentials.
    fn open_session(&self, canceller: Canceller) -> Result<Agent> {
        let inner = &self.inner;
        let retry = inner.lock().settings.retry.clone();
        let mut agent =
            Agent::connect_cancellable(&inner.host, inner.port, inner.options.clone(), canceller)?;
        agent.set_retry_policy(RetryPolicy::none());
        if let Some(login) = &inner.login {
            agent.login(&login.user, &login.password)?;
        }
        agent.set_retry_policy(retry);
        Ok(agent)
    }

    fn wrap(&self, agent: Agent, id: u64) -> PooledAgent {
        PooledAgent {
            pool: self.clone(),
            agent: Some(agent),
            id,
        }
    }

    /// Takes a session back: kept idle when it is still usable and the cap allows it.
    fn give_back(&self, id: u64, agent: Agent) {
        let mut state = self.inner.lock();
        let usable = !self.is_cancelled()
            && !agent.canceller().is_cancelled()
            && agent.session_ref().is_usable()
            && !agent.session_ref().state.data_open
            && state.open <= state.cap;
        if usable {
            state.busy.retain(|(busy, _)| *busy != id);
            state.idle.push(Idle {
                agent,
                since: Instant::now(),
            });
            drop(state);
        } else {
            state.forget(id);
            drop(state);
            agent.abandon();
        }
        self.inner.changed.notify_all();
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// Marks an idle session as checked out again.
    fn check_out(&mut self, agent: &Agent) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.busy.push((id, agent.canceller()));
        id
    }

    /// A session that is closed for good.
    fn forget(&mut self, id: u64) {
        self.busy.retain(|(busy, _)| *busy != id);
        self.open -= 1;
    }
}

/// Whether a failed connect or login is the server refusing more connections: `421` (at the
/// greeting, as vsftpd's `max_per_ip`, pyftpdlib's `max_cons_per_ip` and Pure-FTPd's `-C`
/// answer), or a `530` that says so (ProFTPD's `MaxClientsPerHost`).
pub fn is_connection_limit(error: &Error) -> bool {
    let Some(reply) = error.reply() else {
        return false;
    };
    match reply.code() {
        421 => true,
        530 | 550 => {
            let text = reply.text().to_ascii_lowercase();
            text.contains("too many") || text.contains("maximum number")
        }
        _ => false,
    }
}

/// A session lent by a [`Pool`]: an [`Agent`] (through `Deref`), given back when dropped.
pub struct PooledAgent {
    pool: Pool,
    agent: Option<Agent>,
    id: u64,
}

impl PooledAgent {
    /// Closes the session instead of giving it back.
    pub fn discard(mut self) {
        if let Some(agent) = self.agent.take() {
            let mut state = self.pool.inner.lock();
            state.forget(self.id);
            drop(state);
            agent.abandon();
            self.pool.inner.changed.notify_all();
        }
    }
}

impl Deref for PooledAgent {
    type Target = Agent;
    fn deref(&self) -> &Agent {
        self.agent.as_ref().expect("a pooled agent holds its agent")
    }
}

impl DerefMut for PooledAgent {
    fn deref_mut(&mut self) -> &mut Agent {
        self.agent.as_mut().expect("a pooled agent holds its agent")
    }
}

impl Drop for PooledAgent {
    fn drop(&mut self) {
        if let Some(agent) = self.agent.take() {
            self.pool.give_back(self.id, agent);
        }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Pool")
            .field("host", &self.inner.host)
            .field("port", &self.inner.port)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn refusals_for_too_many_connections() {
        let refusal = |code: u16, text: &str| {
            Error::from_reply("USER u", crate::Reply::new(code, vec![text.into()]))
        };
        // vsftpd max_per_ip, pyftpdlib max_cons_per_ip, Pure-FTPd -C, ProFTPD MaxClientsPerHost.
        assert!(is_connection_limit(&refusal(
            421,
            "There are too many connections from your internet address."
        )));
        assert!(is_connection_limit(&refusal(
            421,
            "Too many connections from the same IP address."
        )));
        assert!(is_connection_limit(&refusal(
            530,
            "Sorry, the maximum number of clients (2) from your host are already connected."
        )));
        assert!(!is_connection_limit(&refusal(530, "Login incorrect.")));
        assert!(!is_connection_limit(&refusal(550, "No such file")));
        assert!(!is_connection_limit(&Error::InvalidState("lost".into())));
    }

    #[test]
    fn pool_is_shareable() {
        assert_send_sync::<Pool>();
        fn assert_send<T: Send>() {}
        assert_send::<PooledAgent>();
    }
}
