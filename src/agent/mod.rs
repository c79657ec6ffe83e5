//! The agent: the layer above one session, as ureq's `Agent` sits above its connections. It
//! owns what outlives a control connection: the options, the credentials, the retry policy
//! and what was learnt of the server. It opens sessions ([`Client`]) when it needs them,
//! reconnects and retries, and carries out what applications built on ftplib write again and
//! again: whole-file transfers that resume and never report a partial file as success,
//! structured listings, `mkdir -p`, and directory sync and mirror.

mod files;
mod hash;
mod names;
mod pool;
mod retry;
mod tree;

use crate::client::{Client, CwdState, ServerQuirks};
use crate::connection::cancel::Canceller;
use crate::error::Result;
use crate::options::Options;
use crate::protocol::Reply;
use crate::transfer::Flow;

pub use files::{is_partial_file_name, DownloadOptions, UploadOptions};
pub use names::safe_local_name;
pub use pool::{
    is_connection_limit, BatchOptions, BatchProgress, BatchReport, FileOutcome, FilePair,
    ParallelSyncOptions, Pool, PoolOptions, PoolStats, PooledAgent, SegmentedOptions,
    SegmentedReport, DEFAULT_MAX_SESSIONS,
};
pub(crate) use retry::RetryState;
pub use retry::{Clock, RetryEvent, RetryObserver, RetryPolicy, SystemClock};
pub use tree::{SyncAction, SyncEvent, SyncOptions, SyncProgress, SyncReport};

/// The login of a session, kept to log in again after a reconnect. Never shown anywhere.
struct Credentials {
    user: String,
    password: String,
    account: Option<String>,
}

/// Connection settings, credentials and retry above one FTP session at a time. Commands go to
/// [`Agent::session`]; the agent's own operations (whole-file transfers, listings, sync,
/// mirror) retry transient failures on a new session when the old one is lost.
pub struct Agent {
    host: String,
    port: u16,
    options: Options,
    credentials: Option<Credentials>,
    retry: RetryState,
    session: Client,
    /// Shared by every session the agent opens (see [`Agent::canceller`]).
    canceller: Canceller,
}

impl Agent {
    /// Connects a session to `host` and reads its welcome message. With `options.retry`
    /// set, transient failures (a refused connection, a failed TLS handshake, `421` at the
    /// greeting) are retried with its backoff, and its policy is the agent's.
    pub fn connect(host: &str, port: u16, options: Options) -> Result<Agent> {
        Agent::connect_cancellable(host, port, options, Canceller::new())
    }

    /// [`Agent::connect`] with a canceller made beforehand, so that connecting can be
    /// cancelled too (between attempts, and in every wait but the TCP connect itself).
    pub fn connect_cancellable(
        host: &str,
        port: u16,
        options: Options,
        canceller: Canceller,
    ) -> Result<Agent> {
        let mut retry = RetryState::default();
        let quirks = ServerQuirks::for_options(&options);
        let open = || Client::connect_as(host, port, options.clone(), quirks, canceller.clone());
        let session = match options.retry.clone() {
            None => open(),
            Some(policy) => {
                policy.validate()?;
                let session = policy.run(&canceller, |_| open());
                retry.policy = policy;
                session
            }
        };
        let session = session.map_err(|e| Agent::outcome(&canceller, e))?;
        Ok(Agent {
            host: host.to_string(),
            port,
            options,
            credentials: None,
            retry,
            session,
            canceller,
        })
    }

    /// A failure as the caller sees it: [`crate::Error::Aborted`] when the call was cancelled.
    fn outcome(canceller: &Canceller, error: crate::Error) -> crate::Error {
        if canceller.is_cancelled() {
            error.cancelled()
        } else {
            error
        }
    }

    /// A handle that stops the agent's blocking calls from another thread: the call in
    /// progress ends with [`crate::Error::Aborted`], and so does every later one until
    /// [`Agent::clear_cancel`]. The connection is cut; after `clear_cancel` the agent's own
    /// operations reconnect (and [`Agent::reconnect`] does on demand).
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// Ends a cancellation: clears the flag and marks the session as cut, so the next
    /// operation reconnects. Returns whether the agent was cancelled.
    pub fn clear_cancel(&mut self) -> bool {
        let was = self.canceller.reset();
        if was {
            self.session.mark_broken("the session was cancelled".into());
        }
        was
    }

    /// Connects to an `ftp://`, `ftps://` or `ftpes://` URL and logs in with its user and
    /// password (anonymously without a user), as [`Client::connect_url`] does; `password`
    /// is used when the URL names a user but no password. Returns the agent and the path.
    pub fn connect_url(
        url: &str,
        password: Option<&str>,
        options: Options,
    ) -> Result<(Agent, Vec<u8>)> {
        Agent::connect_url_cancellable(url, password, options, Canceller::new())
    }

    /// [`Agent::connect_url`] with a canceller made beforehand (see
    /// [`Agent::connect_cancellable`]).
    pub fn connect_url_cancellable(
        url: &str,
        password: Option<&str>,
        mut options: Options,
        canceller: Canceller,
    ) -> Result<(Agent, Vec<u8>)> {
        let url = crate::url::FtpUrl::parse(url)?;
        options.tls.level = url.tls;
        let mut agent = Agent::connect_cancellable(&url.host, url.port, options, canceller)?;
        let (user, password) = url.credentials(password);
        agent.login(user, password)?;
        Ok((agent, url.path))
    }

    /// Logs in with USER and PASS; the agent keeps the credentials to log in again after a
    /// reconnect. With `Options::retry` set, a transient failure (a dropped connection, `421`)
    /// is retried on a new session.
    pub fn login(&mut self, user: &str, password: &str) -> Result<Reply> {
        self.login_with_account(user, password, None)
    }

    /// [`Agent::login`], answering 332 with ACCT.
    pub fn login_with_account(
        &mut self,
        user: &str,
        password: &str,
        account: Option<&str>,
    ) -> Result<Reply> {
        let reply = if self.options.retry.is_some() {
            self.with_retry(|s, _| s.login_with_account(user, password, account))?
        } else {
            self.session.login_with_account(user, password, account)?
        };
        self.credentials = Some(Credentials {
            user: user.to_string(),
            password: password.to_string(),
            account: account.map(str::to_string),
        });
        Ok(reply)
    }

    /// The current session, for FTP commands. It may be unusable after a failure; the agent's
    /// own operations reconnect, and [`Agent::reconnect`] does so on demand.
    pub fn session(&mut self) -> &mut Client {
        &mut self.session
    }

    /// The current session, to read its state.
    pub fn session_ref(&self) -> &Client {
        &self.session
    }

    /// The session for a data transfer. A server that requires every data connection to
    /// resume the control connection's TLS session but issues no TLS 1.3 ticket on upload
    /// connections (ProFTPD) leaves a session only the tickets of its login for uploads, and
    /// rustls uses each ticket once: when they are spent, the session is renewed first (QUIT,
    /// a new connection, login, back to the working directory), which brings fresh tickets.
    /// SITE settings and the welcome message are then those of the new session.
    pub fn data_session(&mut self) -> Result<&mut Client> {
        self.renew_if_spent()?;
        Ok(&mut self.session)
    }

    /// Renews the session when its TLS session can no longer resume (see
    /// [`Agent::data_session`]); the agent's own operations do this before every attempt.
    fn renew_if_spent(&mut self) -> Result<()> {
        if self.session.tls_tickets_spent()
            && self.credentials.is_some()
            && self.session.is_usable()
        {
            self.session.learn_cwd()?;
            // Ends the old session politely; its answer does not matter.
            let _ = self.session.sendcmd("QUIT");
            self.reconnect()?;
        }
        Ok(())
    }

    /// Replaces the session with a new one: connects again (with what was learnt of the
    /// server), logs in with the same credentials, and goes back to the working directory.
    /// TYPE and PROT are negotiated again lazily, before the next transfer.
    pub fn reconnect(&mut self) -> Result<()> {
        let quirks: ServerQuirks = self.session.quirks();
        let cwd = self.session.cwd.clone();
        let transfer_type = self.session.transfer_type();
        self.session.close_quietly();
        let mut session = Client::connect_as(
            &self.host,
            self.port,
            self.options.clone(),
            quirks,
            self.canceller.clone(),
        )?;
        session.set_transfer_type(transfer_type);
        if let Some(creds) = &self.credentials {
            session.login_with_account(&creds.user, &creds.password, creds.account.as_deref())?;
        }
        if let CwdState::Known(dir) = &cwd {
            session.cwd(dir.as_bytes())?;
            session.cwd = cwd;
        }
        self.session = session;
        Ok(())
    }

    /// Sends QUIT, reads the answer and closes the session.
    pub fn quit(self) -> Result<Reply> {
        self.session.quit()
    }

    /// Closes the session without sending or waiting for anything (see [`Client::abandon`]).
    pub fn abandon(self) {
        self.session.abandon();
    }

    /// PROT P or PROT C from now on, for this session and the ones after it (see
    /// [`Client::set_data_protection`]).
    pub fn set_data_protection(&mut self, protection: crate::DataProtection) -> Result<()> {
        self.session.set_data_protection(protection)?;
        self.options.tls.data_protection = protection;
        Ok(())
    }

    /// Passive or active mode from now on, for this session and the ones after it.
    pub fn set_data_mode(&mut self, mode: crate::DataMode) -> Result<()> {
        self.session.set_data_mode(mode.clone())?;
        self.options.data_mode = mode;
        Ok(())
    }

    /// The options sessions are opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The retry policy of the agent's operations (`download_file`, `upload_file`,
    /// `list_dir`, `ensure_directory`, `sync_directory`, `mirror_directory`, `remove_tree`).
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry.policy = policy;
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry.policy
    }

    /// The clock backoff waits on (for tests; the default sleeps).
    pub fn set_retry_clock(&mut self, clock: Box<dyn Clock>) {
        self.retry.clock = clock;
    }

    /// Sets (or with `None` removes) the protocol trace observer of this session and of
    /// every session the agent opens from now on (see [`crate::Options::trace`]).
    pub fn set_trace(&mut self, trace: Option<crate::Trace>) {
        self.options.trace = trace.clone();
        self.session.set_trace(trace);
    }

    /// Called before every retry with the attempt, the error and the delay; may veto it.
    pub fn set_retry_observer(&mut self, observer: Option<RetryObserver>) {
        self.retry.observer = observer;
    }

    /// Runs `op` on a session until it succeeds, fails for good, or the attempts run out.
    /// Before each attempt after the session was lost it reconnects (login and working
    /// directory included); `op` gets the attempt number, from 1.
    pub(crate) fn with_retry<T>(
        &mut self,
        mut op: impl FnMut(&mut Client, u32) -> Result<T>,
    ) -> Result<T> {
        if self.session.state.data_open {
            // The session belongs to a listing or data stream: waiting or reconnecting would
            // not free it, only its owner can. Not retried.
            return Err(crate::Error::InvalidState(
                "a listing or data stream is still open on this session: finish, abort or \
                 free it first"
                    .into(),
            ));
        }
        if self.session.is_usable() {
            // Learn where we are now, to come back here after a reconnect.
            self.session.learn_cwd()?;
        }
        let mut attempt = 1;
        loop {
            if self.canceller.is_cancelled() {
                return Err(crate::Error::Aborted {
                    context: "cancelled before the attempt".into(),
                });
            }
            let result = if self.session.is_usable() {
                self.renew_if_spent()
                    .and_then(|()| op(&mut self.session, attempt))
            } else {
                self.reconnect()
                    .and_then(|()| op(&mut self.session, attempt))
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => Agent::outcome(&self.canceller, error),
            };
            if !error.is_transient() || attempt >= self.retry.policy.max_attempts {
                return Err(error);
            }
            let unit = self.retry.unit_random();
            let delay = self.retry.policy.delay(attempt, unit);
            if let Some(observer) = self.retry.observer.as_mut() {
                let event = RetryEvent {
                    attempt,
                    error: &error,
                    delay,
                };
                if observer(&event) == Flow::Stop {
                    return Err(error);
                }
            }
            if !self
                .retry
                .clock
                .sleep_unless_cancelled(delay, &self.canceller)
            {
                return Err(error.cancelled());
            }
            attempt += 1;
        }
    }
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Agent")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}
