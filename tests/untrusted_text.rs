//! Server text is untrusted, and the password is the library's to protect: messages the library
//! composes escape control characters and never contain a password, whoever echoes it;
//! accessors that hand server text over as data return it unchanged.

mod common;

use common::scripted::{connect, login, options, Scripted};

#[test]
fn a_server_echoing_the_password_does_not_put_it_in_the_message() {
    let server = Scripted::start(|s| {
        s.send("220 hi\r\n");
        s.expect("USER");
        s.send("331 password please\r\n");
        let pass = s.expect("PASS");
        let echoed = pass.trim_start_matches("PASS ").to_string();
        s.send(&format!(
            "530 Login incorrect: {echoed} is wrong, {echoed}!\r\n"
        ));
        s.serve_until_quit();
    });
    let mut ftp = connect(&server, options());
    let err = ftp.login("alice", "hunter2-secret").unwrap_err();
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("530 Login incorrect: **** is wrong"),
        "{message}"
    );
    assert!(!format!("{err:?}").contains("hunter2"));
    let last = ftp.last_reply().unwrap().to_string();
    assert!(!last.contains("hunter2"), "{last}");
    drop(ftp);
    server.finish();
}

#[test]
fn a_raw_pass_command_is_masked_whatever_its_separator() {
    let server = Scripted::start(|s| {
        s.greet_and_login();
        let line = s.expect("PASS");
        s.send(&format!("530 you said {line}\r\n"));
        s.serve_until_quit();
    });
    let mut ftp = login(&server, options());
    let err = ftp.sendcmd("PASS\tsecret-by-hand").unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
    let reply = ftp.voidcmd("PASS another-secret").unwrap_err();
    assert!(!reply.to_string().contains("another-secret"), "{reply}");
    drop(ftp);
    let transcript = server.finish();
    assert!(!transcript.iter().any(|c| c.contains("secret-by-hand")));
}

#[test]
fn control_characters_from_the_server_are_escaped_in_messages_only() {
    let banner = "220 welcome \x1b]0;owned\x07 \x1b[2J";
    let server = Scripted::start(move |s| {
        s.send(&format!("{banner}\r\n"));
        s.expect("USER");
        s.send("331 pw\r\n");
        s.expect("PASS");
        s.send("230 in\r\n");
        s.expect("FEAT");
        s.send("500 no\r\n");
        s.expect("CWD");
        s.send("550 \x1b[31mno such\x1b[0m \u{9b}dir\r\n");
        s.serve_until_quit();
    });
    let mut ftp = connect(&server, options());
    // As data: unchanged (documented as untrusted).
    assert_eq!(ftp.welcome().lines()[0], banner);
    ftp.login("u", "p").unwrap();
    let err = ftp.cwd("x\x1b[1mname").unwrap_err();
    let message = err.to_string();
    assert!(!message.chars().any(char::is_control), "{message:?}");
    assert!(
        message.contains("550 \\x1b[31mno such\\x1b[0m \\u{9b}dir"),
        "{message}"
    );
    assert!(message.starts_with("CWD x\\x1b[1mname"), "{message}");
    assert!(err.reply().unwrap().lines()[0].contains('\x1b'));
    drop(ftp);
    server.finish();
}
