//! The client handle: shared state behind a mutex that is only ever tried, so a call from
//! inside one of the handle's own callbacks gets `FTP_ERR_BUSY` instead of a deadlock. Child
//! handles (listings, data streams) hold the same `Arc`, so they may be freed in any order.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use super::boundary::{arg_ptr, c_string_lossy, ErrorRecord, FfiError, FfiResult};
use super::codes::*;
use crate::{Agent, Canceller, Client};

/// An FTP session, through the agent that owns its settings, credentials and retry. Create
/// with `ftp_connect` or `ftp_connect_url`; free with `ftp_close`.
pub struct ftp_client {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// What the handle reports (its last failure, the last reply, the welcome), behind a
    /// lock of its own that is held only to copy values in or out: the getters answer with
    /// the real values even from inside the handle's own callbacks, while `state` is busy.
    report: Mutex<Report>,
    /// Stops the call in progress from another thread (`ftp_cancel`).
    canceller: Canceller,
    /// Whether a call is in progress; `ftp_cancel` cancels only then, and a call clears the
    /// cancellation before it ends, both under this lock, so a cancel that comes late never
    /// stops the next call.
    running: Mutex<bool>,
    /// A call was cancelled and cut the connection: the next call reconnects first (once no
    /// data stream or listing of the old session is open).
    reconnect_next: AtomicBool,
    /// A data stream or listing was freed without ending it (`ftp_data_free`,
    /// `ftp_listing_free`): the session is out of step, and the next call starts a new one.
    stream_dropped: AtomicBool,
}

pub(crate) struct State {
    /// `None` before `ftp_open` connected a handle from `ftp_new`, or once `ftp_close` ended
    /// the session while a child handle still held it.
    pub(crate) agent: Option<Agent>,
    /// The options of a handle from `ftp_new` until `ftp_open` connects it.
    pub(crate) unconnected: Option<crate::Options>,
}

pub(crate) struct Report {
    pub(crate) error: ErrorRecord,
    pub(crate) welcome: CString,
    pub(crate) reply_code: i32,
    pub(crate) reply_text: CString,
    /// The reply `reply_code`/`reply_text` were made from: most calls (every listing entry)
    /// read no new reply, and then nothing is copied.
    last_reply: Option<crate::Reply>,
}

impl Shared {
    pub(crate) fn new(agent: Agent) -> Arc<Shared> {
        let welcome = c_string_lossy(&agent.session_ref().welcome().text());
        let reply_code = i32::from(agent.session_ref().welcome().code());
        let canceller = agent.canceller();
        Arc::new(Shared {
            canceller,
            running: Mutex::new(false),
            reconnect_next: AtomicBool::new(false),
            stream_dropped: AtomicBool::new(false),
            state: Mutex::new(State {
                agent: Some(agent),
                unconnected: None,
            }),
            report: Mutex::new(Report {
                error: ErrorRecord::default(),
                reply_text: welcome.clone(),
                welcome,
                reply_code,
                last_reply: None,
            }),
        })
    }

    /// A handle not connected yet (`ftp_new`), holding the options `ftp_open` will use.
    pub(crate) fn unconnected(options: crate::Options) -> Arc<Shared> {
        Arc::new(Shared {
            canceller: Canceller::new(),
            running: Mutex::new(false),
            reconnect_next: AtomicBool::new(false),
            stream_dropped: AtomicBool::new(false),
            state: Mutex::new(State {
                agent: None,
                unconnected: Some(options),
            }),
            report: Mutex::new(Report {
                error: ErrorRecord::default(),
                reply_text: CString::default(),
                welcome: CString::default(),
                reply_code: 0,
                last_reply: None,
            }),
        })
    }

    /// Connects a handle from `ftp_new` with `connect`, keeping the outcome on the handle.
    pub(crate) fn open(
        &self,
        function: &str,
        connect: impl FnOnce(crate::Options, Canceller) -> FfiResult<Agent>,
    ) -> FfiResult<()> {
        let mut state = self.lock(function)?;
        let result = match state.unconnected.clone() {
            Some(options) => self.running(function, || connect(options, self.canceller.clone())),
            None => Err(FfiError::new(
                FTP_ERR_INVALID_STATE,
                format!("{function}: the handle is connected already (or was closed)"),
            )),
        };
        let result = result.map(|agent| {
            let welcome = agent.session_ref().welcome();
            let mut report = self.report();
            report.welcome = c_string_lossy(&welcome.text());
            report.reply_code = i32::from(welcome.code());
            report.reply_text = report.welcome.clone();
            drop(report);
            state.unconnected = None;
            state.agent = Some(agent);
            // A connect that was cancelled earlier left nothing to reconnect.
            self.reconnect_next.store(false, Ordering::SeqCst);
        });
        drop(state);
        self.record(&result, None);
        result
    }

    /// Runs one call with `running` set, so `ftp_cancel` may stop it; a cancellation that
    /// arrived during the call is cleared before `running` is, under the same lock.
    /// A cancelled call returns `FTP_ERR_ABORTED`, and the next call reconnects.
    pub(crate) fn running<R>(
        &self,
        function: &str,
        call: impl FnOnce() -> FfiResult<R>,
    ) -> FfiResult<R> {
        *self.running_flag() = true;
        let result = call();
        let mut running = self.running_flag();
        let cancelled = self.canceller.reset();
        *running = false;
        drop(running);
        if !cancelled {
            return result;
        }
        self.reconnect_next.store(true, Ordering::SeqCst);
        let message = match result {
            // What the cut connection looked like from inside, for the curious.
            Err(e) if e.code != FTP_ERR_ABORTED => format!("{function}: cancelled ({})", e.message),
            Err(e) => e.message,
            Ok(_) => format!("{function}: cancelled as it completed"),
        };
        Err(FfiError::new(FTP_ERR_ABORTED, message))
    }

    /// Notes that a child stream was freed without being ended (see `stream_dropped`).
    pub(crate) fn stream_dropped(&self) {
        self.stream_dropped.store(true, Ordering::SeqCst);
    }

    /// Stops the call in progress (`ftp_cancel`); returns whether one was running.
    pub(crate) fn cancel(&self) -> bool {
        let running = self.running_flag();
        if *running {
            self.canceller.cancel();
        }
        *running
    }

    fn running_flag(&self) -> MutexGuard<'_, bool> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the state without waiting: a busy handle is an error, never a deadlock.
    pub(crate) fn lock(&self, function: &str) -> FfiResult<MutexGuard<'_, State>> {
        match self.state.try_lock() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::WouldBlock) => Err(FfiError::new(
                FTP_ERR_BUSY,
                format!(
                    "{function}: the handle is in use (called from inside its own callback, \
                     or from two threads at once)"
                ),
            )),
            // A panic was caught while the state was locked; the client marks itself unusable
            // where that matters, so the state is still safe to read.
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        }
    }

    /// The handle's report. Held only to copy values, never during a call, so this waits for
    /// no network.
    pub(crate) fn report(&self) -> MutexGuard<'_, Report> {
        self.report
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `body` with the session, recording the outcome and the last reply on the handle.
    pub(crate) fn call<R>(
        &self,
        function: &str,
        body: impl FnOnce(&mut Client) -> FfiResult<R>,
    ) -> FfiResult<R> {
        self.call_agent(function, |agent| body(agent.session()))
    }

    /// Runs `body` with the session for a data transfer (see `Agent::data_session`).
    pub(crate) fn call_data<R>(
        &self,
        function: &str,
        body: impl FnOnce(&mut Client) -> FfiResult<R>,
    ) -> FfiResult<R> {
        self.call_agent(function, |agent| body(agent.data_session()?))
    }

    /// Runs `body` with the agent, recording the outcome and the last reply on the handle.
    /// A busy handle is reported to the caller, not recorded (the call in progress will
    /// record its own outcome).
    pub(crate) fn call_agent<R>(
        &self,
        function: &str,
        body: impl FnOnce(&mut Agent) -> FfiResult<R>,
    ) -> FfiResult<R> {
        let mut state = self.lock(function)?;
        let unconnected = state.unconnected.is_some();
        let result = match state.agent.as_mut() {
            Some(agent) => self.running(function, || {
                if self.stream_dropped.swap(false, Ordering::SeqCst) {
                    agent
                        .session()
                        .forget_transfer("a data stream was freed unfinished");
                    self.reconnect_next.store(true, Ordering::SeqCst);
                }
                let streams_open = agent.session_ref().state.data_open;
                if !streams_open && self.reconnect_next.swap(false, Ordering::SeqCst) {
                    agent.reconnect()?;
                }
                body(agent)
            }),
            None if unconnected => Err(FfiError::new(
                FTP_ERR_INVALID_STATE,
                format!("{function}: the handle is not connected yet (ftp_open)"),
            )),
            None => Err(FfiError::new(
                FTP_ERR_INVALID_STATE,
                format!("{function}: the session was closed with ftp_close"),
            )),
        };
        // The state stays locked while the report is written (always in that order).
        let last_reply = state
            .agent
            .as_ref()
            .and_then(|a| a.session_ref().last_reply());
        self.record(&result, last_reply);
        drop(state);
        result
    }

    /// Reads the session's state without making a call: nothing is recorded on the handle, so
    /// a getter never replaces the outcome of the call before it.
    pub(crate) fn peek<R>(&self, function: &str, read: impl FnOnce(&Client) -> R) -> FfiResult<R> {
        let state = self.lock(function)?;
        match state.agent.as_ref() {
            Some(agent) => Ok(read(agent.session_ref())),
            None => Err(FfiError::new(
                FTP_ERR_INVALID_STATE,
                format!("{function}: the handle is not connected"),
            )),
        }
    }

    /// Keeps the outcome of a call that concerns this handle (a child handle's too), and the
    /// last reply when one is given.
    pub(crate) fn record<R>(&self, result: &FfiResult<R>, last_reply: Option<&crate::Reply>) {
        let mut report = self.report();
        match result {
            Ok(_) => report.error.clear(),
            Err(err) => report.error.set(err),
        }
        if let Some(reply) = last_reply {
            if report.last_reply.as_ref() != Some(reply) {
                report.reply_code = i32::from(reply.code());
                report.reply_text = c_string_lossy(&reply.text());
                report.last_reply = Some(reply.clone());
            }
        }
    }
}

/// The shared state behind a client handle pointer.
///
/// # Safety
/// `ftp` must be NULL or a live pointer returned by `ftp_connect`.
pub(crate) unsafe fn shared<'a>(
    function: &str,
    ftp: *const ftp_client,
) -> FfiResult<&'a Arc<Shared>> {
    arg_ptr(function, "ftp", ftp)?;
    Ok(&(*ftp).shared)
}

/// Runs `body` with the session behind `ftp`.
///
/// # Safety
/// As [`shared`].
pub(crate) unsafe fn with_client<R>(
    function: &str,
    ftp: *const ftp_client,
    body: impl FnOnce(&mut Client) -> FfiResult<R>,
) -> FfiResult<R> {
    shared(function, ftp)?.call(function, body)
}

/// Runs `body` with the session behind `ftp`, ready for a data transfer.
///
/// # Safety
/// As [`shared`].
pub(crate) unsafe fn with_data_session<R>(
    function: &str,
    ftp: *const ftp_client,
    body: impl FnOnce(&mut Client) -> FfiResult<R>,
) -> FfiResult<R> {
    shared(function, ftp)?.call_data(function, body)
}

/// Runs `body` with the agent behind `ftp` (retry, reconnect, whole-file operations).
///
/// # Safety
/// As [`shared`].
pub(crate) unsafe fn with_agent<R>(
    function: &str,
    ftp: *const ftp_client,
    body: impl FnOnce(&mut Agent) -> FfiResult<R>,
) -> FfiResult<R> {
    shared(function, ftp)?.call_agent(function, body)
}
