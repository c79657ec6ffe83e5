//! Cancelling from another thread (`Canceller`, `ftp_cancel`): a call waiting on a server that
//! says nothing ends at once with `Aborted`, not at its timeout; retry backoff ends too; a
//! agent reconnects after a cancel. The C form (`ftp_cancel`) is in c_faults.rs.

mod common;

use std::io::Write as _;
use std::thread;
use std::time::{Duration, Instant};

use common::scripted::{options, Scripted};
use ftpc::{Agent, Canceller, Error, Options, RetryPolicy};

/// Long enough that a call that ended did so because of the cancel, not a timeout.
const PATIENT: Duration = Duration::from_secs(60);

fn cancel_after(canceller: Canceller, after: Duration) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        thread::sleep(after);
        canceller.cancel();
    })
}

fn patient_options() -> Options {
    options().with_timeout(Some(PATIENT))
}

#[test]
fn a_download_from_a_silent_server_ends_when_cancelled() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("TYPE I");
        s.send("200 ok\r\n");
        let listener = s.answer_epsv();
        s.expect("RETR");
        let (mut data, _) = listener.accept().unwrap();
        s.send("150 here it comes\r\n");
        data.write_all(b"a few bytes, then nothing").unwrap();
        // Silent until the client goes away.
        let _ = s.recv();
    });
    let mut agent = Agent::connect("127.0.0.1", server.port, patient_options()).unwrap();
    agent.login("u", "p").unwrap();
    let stopper = cancel_after(agent.canceller(), Duration::from_millis(300));
    let started = Instant::now();
    let mut sink = Vec::new();
    let err = agent.session().retr("f", &mut sink).unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(!agent.session_ref().is_usable());
    assert!(agent.clear_cancel());
    stopper.join().unwrap();
    drop(agent);
    server.finish();
}

#[test]
fn after_a_cancel_the_agent_reconnects_and_logs_in_again() {
    let server = Scripted::start_sessions(2, |n, s| {
        s.greet_and_login();
        if n == 0 {
            s.expect("NOOP");
            let _ = s.recv();
        } else {
            s.expect("NOOP");
            s.send("200 ok\r\n");
            s.serve_until_quit();
        }
    });
    let mut agent = Agent::connect("127.0.0.1", server.port, patient_options()).unwrap();
    agent.login("u", "p").unwrap();
    let stopper = cancel_after(agent.canceller(), Duration::from_millis(300));
    assert!(matches!(agent.session().noop(), Err(Error::Aborted { .. })));
    stopper.join().unwrap();
    assert!(agent.clear_cancel());
    agent.reconnect().unwrap();
    agent.session().noop().unwrap();
    agent.quit().unwrap();
    server.finish();
}

#[test]
fn a_command_waiting_for_its_reply_ends_when_cancelled() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        s.expect("NOOP");
        // No answer.
        let _ = s.recv();
    });
    let mut agent = Agent::connect("127.0.0.1", server.port, patient_options()).unwrap();
    agent.login("u", "p").unwrap();
    let stopper = cancel_after(agent.canceller(), Duration::from_millis(300));
    let started = Instant::now();
    let err = agent.session().noop().unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    stopper.join().unwrap();
    drop(agent);
    server.finish();
}

#[test]
fn retry_backoff_ends_when_cancelled() {
    // A port nobody listens on: every attempt is refused, and the wait between is long.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut opts = patient_options();
    opts.retry = Some(RetryPolicy {
        max_attempts: 5,
        initial_delay: Duration::from_secs(60),
        ..RetryPolicy::default()
    });
    let canceller = Canceller::new();
    let stopper = cancel_after(canceller.clone(), Duration::from_millis(300));
    let started = Instant::now();
    let err = Agent::connect_cancellable("127.0.0.1", port, opts, canceller).unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    stopper.join().unwrap();
}

#[test]
fn a_connect_that_hangs_ends_when_cancelled() {
    let stalled = common::scripted::stalled_listener();
    let addr = stalled.addr;
    let canceller = Canceller::new();
    let stopper = cancel_after(canceller.clone(), Duration::from_millis(500));
    let started = Instant::now();
    let result = Agent::connect_cancellable("127.0.0.1", addr.port(), patient_options(), canceller);
    let took = started.elapsed();
    stopper.join().unwrap();
    match result {
        Err(Error::Aborted { .. }) => assert!(took < Duration::from_secs(10), "{took:?}"),
        // The kernel took the connection after all (it may, with a small backlog): then the
        // greeting never comes, and the cancel ended that wait instead.
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("connected to a server that never greets"),
    }
}
