//! The protocol trace: every command sent, every reply line read, and what happens to data
//! connections (connected or accepted, TLS handshake, bytes moved, close, close_notify), told
//! to an observer as it happens, as libcurl's `CURLOPT_DEBUGFUNCTION` does. With the `log`
//! feature the same events also go to the `log` facade (target `ftpc::trace`: commands,
//! replies and connections at `debug`, bytes, closes and close_notify at `trace`).
//!
//! Passwords never appear: PASS and ACCT arguments are shown as `****`, and every secret the
//! session sent is masked wherever it shows up again (a server that echoes it in a reply).
//! Reply lines are server text: control characters are escaped (`\x1b`), and the event says
//! it is untrusted.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use crate::options::TlsVersion;

/// What a trace event reports. The numbers are the C API's `FTP_TRACE_*` constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceKind {
    /// The control connection is connected (`addr`: the server's address).
    Connected = 0,
    /// A command was sent on the control connection (PASS and ACCT arguments masked).
    Command = 1,
    /// One line of a reply was read (server text: escaped, secrets masked).
    Reply = 2,
    /// A passive data connection is connected (`addr`: where to).
    DataConnected = 3,
    /// An active-mode data connection from the server was accepted (`addr`: from where).
    DataAccepted = 4,
    /// A TLS handshake finished (`tls_version`, `tls_resumed`), on the control or a data
    /// connection (`data`).
    TlsHandshake = 5,
    /// The totals of a data connection, at its close (`bytes_sent`, `bytes_received`).
    DataBytes = 6,
    /// A data connection was closed (text `closed`), or dropped early (`aborted`).
    DataClosed = 7,
    /// TLS close_notify was sent, on the control or a data connection (`data`).
    CloseNotifySent = 8,
    /// TLS close_notify was received, on the control or a data connection (`data`).
    CloseNotifyReceived = 9,
}

impl TraceKind {
    /// The C API's `FTP_TRACE_*` value.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// One event of the trace; borrowed for the observer's call only.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TraceEvent<'a> {
    pub kind: TraceKind,
    /// When it happened.
    pub time: SystemTime,
    /// Whether it concerns a data connection (`false`: the control connection).
    pub data: bool,
    /// The payload: the command as shown (`PASS ****`), the reply line, the address, the
    /// TLS version, `closed`/`aborted`; see [`TraceEvent`]'s `Display` for the whole line.
    pub text: &'a str,
    /// The text came from the server (reply lines): control characters were escaped, but it
    /// says whatever the server wanted.
    pub untrusted: bool,
    /// The peer of a connection event.
    pub addr: Option<SocketAddr>,
    /// [`TraceKind::DataBytes`]: bytes sent and received on the data connection.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// [`TraceKind::TlsHandshake`]: the version negotiated and whether an earlier session
    /// was resumed.
    pub tls_version: Option<TlsVersion>,
    pub tls_resumed: Option<bool>,
}

impl<'a> TraceEvent<'a> {
    pub(crate) fn new(kind: TraceKind, data: bool, text: &'a str) -> TraceEvent<'a> {
        TraceEvent {
            kind,
            time: SystemTime::now(),
            data,
            text,
            untrusted: false,
            addr: None,
            bytes_sent: 0,
            bytes_received: 0,
            tls_version: None,
            tls_resumed: None,
        }
    }

    fn channel(&self) -> &'static str {
        if self.data {
            "data"
        } else {
            "control"
        }
    }
}

/// One line, in curl's manner: `> ` for what was sent, `< ` for what was received, `* ` for
/// the rest. For example `> PASS ****`, `< 230 Logged in`, `* data connected to
/// 127.0.0.1:40001`, `* TLS handshake (data): TLS 1.3, resumed`, `* data bytes: sent 0,
/// received 1048583`, `* data connection closed`, `* close_notify received (data)`.
impl fmt::Display for TraceEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TraceKind::Connected => write!(f, "* connected to {}", self.text),
            TraceKind::Command => write!(f, "> {}", self.text),
            TraceKind::Reply => write!(f, "< {}", self.text),
            TraceKind::DataConnected => write!(f, "* data connected to {}", self.text),
            TraceKind::DataAccepted => write!(f, "* data connection accepted from {}", self.text),
            TraceKind::TlsHandshake => {
                write!(f, "* TLS handshake ({}): {}", self.channel(), self.text)
            }
            TraceKind::DataBytes => write!(
                f,
                "* data bytes: sent {}, received {}",
                self.bytes_sent, self.bytes_received
            ),
            TraceKind::DataClosed => write!(f, "* data connection {}", self.text),
            TraceKind::CloseNotifySent => write!(f, "* close_notify sent ({})", self.channel()),
            TraceKind::CloseNotifyReceived => {
                write!(f, "* close_notify received ({})", self.channel())
            }
        }
    }
}

/// The observer of a session's trace ([`crate::Options::trace`]): clones share it, so every
/// session made from the same options (an agent's reconnects too) reports to it. It is
/// called on the thread running the session, and must not block for long.
#[derive(Clone)]
pub struct Trace(Arc<dyn Fn(&TraceEvent<'_>) + Send + Sync>);

impl Trace {
    /// An observer from a closure.
    pub fn new(observer: impl Fn(&TraceEvent<'_>) + Send + Sync + 'static) -> Trace {
        Trace(Arc::new(observer))
    }

    fn tell(&self, event: &TraceEvent<'_>) {
        (self.0)(event)
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Trace(..)")
    }
}

/// Two traces are equal when they are the same observer.
impl PartialEq for Trace {
    fn eq(&self, other: &Trace) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Whether anything listens: an observer, or (with the `log` feature) a logger that takes
/// this kind's level. Events are only built when this says so.
pub(crate) fn wanted(trace: Option<&Trace>, kind: TraceKind) -> bool {
    trace.is_some() || log_enabled(kind)
}

/// Tells the observer and the logger.
pub(crate) fn emit(trace: Option<&Trace>, event: &TraceEvent<'_>) {
    if let Some(trace) = trace {
        trace.tell(event);
    }
    log_event(event);
}

#[cfg(feature = "log")]
fn level(kind: TraceKind) -> log::Level {
    match kind {
        TraceKind::DataBytes
        | TraceKind::DataClosed
        | TraceKind::CloseNotifySent
        | TraceKind::CloseNotifyReceived => log::Level::Trace,
        _ => log::Level::Debug,
    }
}

#[cfg(feature = "log")]
fn log_enabled(kind: TraceKind) -> bool {
    log::log_enabled!(target: "ftpc::trace", level(kind))
}

#[cfg(feature = "log")]
fn log_event(event: &TraceEvent<'_>) {
    log::log!(target: "ftpc::trace", level(event.kind), "{event}");
}

#[cfg(not(feature = "log"))]
fn log_enabled(_kind: TraceKind) -> bool {
    false
}

#[cfg(not(feature = "log"))]
fn log_event(_event: &TraceEvent<'_>) {}

/// A TLS version as shown in the trace.
pub(crate) fn version_text(version: Option<TlsVersion>) -> &'static str {
    match version {
        Some(TlsVersion::Tls12) => "TLS 1.2",
        Some(TlsVersion::Tls13) => "TLS 1.3",
        None => "TLS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_curl_shows_them() {
        let mut event = TraceEvent::new(TraceKind::DataBytes, true, "");
        event.bytes_sent = 3;
        event.bytes_received = 7;
        assert_eq!(event.to_string(), "* data bytes: sent 3, received 7");
        let event = TraceEvent::new(TraceKind::CloseNotifySent, false, "");
        assert_eq!(event.to_string(), "* close_notify sent (control)");
        let event = TraceEvent::new(TraceKind::Command, false, "PASS ****");
        assert_eq!(event.to_string(), "> PASS ****");
    }

    /// With the `log` feature, the same lines go to the `log` facade, target `ftpc::trace`.
    #[cfg(feature = "log")]
    #[test]
    fn events_reach_the_log_facade() {
        use std::sync::Mutex;
        struct Capture(Mutex<Vec<(log::Level, String, String)>>);
        impl log::Log for Capture {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, record: &log::Record<'_>) {
                self.0.lock().unwrap().push((
                    record.level(),
                    record.target().to_string(),
                    record.args().to_string(),
                ));
            }
            fn flush(&self) {}
        }
        static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
        assert!(wanted(None, TraceKind::Reply));
        emit(None, &TraceEvent::new(TraceKind::Reply, false, "230 in"));
        emit(
            None,
            &TraceEvent::new(TraceKind::DataClosed, true, "closed"),
        );
        let got = CAPTURE.0.lock().unwrap().clone();
        assert_eq!(
            got,
            [
                (log::Level::Debug, "ftpc::trace".into(), "< 230 in".into()),
                (
                    log::Level::Trace,
                    "ftpc::trace".into(),
                    "* data connection closed".into()
                ),
            ]
        );
    }
}
