//! Text mode, resume, append, progress, stopping and aborting, and the raw data stream, against
//! all four real servers.

mod common;

use std::io::{Read, Write};

use common::{pattern, sha256, Kind, Mode, Server};
use ftpc::{Error, Flow, StopTransfer, TransferOptions, TransferType};

fn text_mode(kind: Kind) {
    let server = Server::start(kind);
    let mut ftp = server.client(Mode::Epsv);

    // storlines: LF becomes CRLF on the wire; an existing CRLF stays one CRLF.
    let local = b"first line\nsecond\r\n\nlast line without newline";
    ftp.stor_lines("text.txt", &mut &local[..])
        .expect("stor_lines");
    // Every server stores TYPE A uploads with its native (LF) line ends.
    assert_eq!(
        server.read_file("text.txt"),
        b"first line\nsecond\n\nlast line without newline"
    );

    // retrlines: lines without their endings.
    let mut lines = Vec::new();
    ftp.retr_lines("RETR text.txt", &mut |line| {
        lines.push(String::from_utf8(line.to_vec()).unwrap());
        Flow::Continue
    })
    .expect("retr_lines");
    assert_eq!(
        lines,
        ["first line", "second", "", "last line without newline"]
    );

    // A TYPE A download converts CRLF back to LF; a TYPE I one sees the file as stored.
    server.put_file("crlf.txt", b"a\nb\nc\n");
    ftp.set_transfer_type(TransferType::Ascii);
    let mut text = Vec::new();
    ftp.retr("crlf.txt", &mut text).unwrap();
    assert_eq!(text, b"a\nb\nc\n");
    ftp.set_transfer_type(TransferType::Binary);
    let mut raw = Vec::new();
    ftp.retr("crlf.txt", &mut raw).unwrap();
    assert_eq!(raw, b"a\nb\nc\n");
    // What went over the wire in TYPE A was CRLF: read it through the raw data stream.
    ftp.set_transfer_type(TransferType::Ascii);
    let mut stream = ftp.open_data("RETR crlf.txt", 0).unwrap();
    let mut wire = Vec::new();
    stream.read_to_end(&mut wire).unwrap();
    stream.finish().unwrap();
    assert_eq!(wire, b"a\r\nb\r\nc\r\n");
    ftp.set_transfer_type(TransferType::Binary);
    // retr_lines restores the type afterwards.
    ftp.retr_lines("LIST", &mut |_| Flow::Continue).unwrap();
    assert_eq!(ftp.transfer_type(), TransferType::Binary);
}

fn resume_and_append(kind: Kind, mode: Mode) {
    let server = Server::start(kind);
    let mut ftp = server.client(mode);
    let data = pattern(3 * 1024 * 1024 + 11, 5);
    server.put_file("big.bin", &data);

    // Download the tail from an offset (REST + RETR).
    let offset = 1024 * 1024 + 3;
    let mut tail = Vec::new();
    let mut seen = Vec::new();
    let mut progress = |done: u64, total: Option<u64>| {
        seen.push((done, total));
        Flow::Continue
    };
    let n = ftp
        .retr_with(
            "big.bin",
            TransferOptions {
                offset,
                progress: Some(&mut progress),
                ..Default::default()
            },
            &mut |chunk| {
                tail.extend_from_slice(chunk);
                Ok(())
            },
        )
        .expect("REST+RETR");
    assert_eq!(n, data.len() as u64 - offset);
    assert_eq!(sha256(&tail), sha256(&data[offset as usize..]));
    // Progress counts from the start of the file and knows the total (from SIZE).
    let last = *seen.last().unwrap();
    assert_eq!(last, (data.len() as u64, Some(data.len() as u64)));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));

    // Upload the rest of a partial file with REST + STOR.
    let split = 2 * 1024 * 1024 + 1;
    ftp.stor("partial.bin", &mut &data[..split]).unwrap();
    ftp.stor_with(
        "partial.bin",
        TransferOptions {
            offset: split as u64,
            ..Default::default()
        },
        &mut &data[split..],
    )
    .expect("REST+STOR");
    assert_eq!(sha256(&server.read_file("partial.bin")), sha256(&data));

    // APPE appends.
    ftp.stor("log.txt", &mut &b"one\n"[..]).unwrap();
    ftp.appe("log.txt", &mut &b"two\n"[..]).expect("APPE");
    assert_eq!(server.read_file("log.txt"), b"one\ntwo\n");
}

fn stopping_and_abort(kind: Kind, mode: Mode) {
    let server = Server::start(kind);
    let data = pattern(32 * 1024 * 1024, 7);
    server.put_file("big.bin", &data);
    let mut ftp = server.client(mode);

    // The progress observer stops a download mid-way.
    let mut calls = 0;
    let mut stop_early = |_: u64, _: Option<u64>| {
        calls += 1;
        if calls == 3 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    };
    let mut got = 0usize;
    let err = ftp
        .retr_with(
            "big.bin",
            TransferOptions {
                progress: Some(&mut stop_early),
                ..Default::default()
            },
            &mut |chunk| {
                got += chunk.len();
                Ok(())
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert!(err.to_string().starts_with("RETR big.bin"), "{err}");
    assert!(got < data.len());
    // The control connection is in step: the next commands and transfers work.
    assert_eq!(ftp.pwd().unwrap(), "/");
    let mut small = Vec::new();
    server.put_file("small.txt", b"small");
    ftp.retr("small.txt", &mut small).unwrap();
    assert_eq!(small, b"small");

    // The sink stops a download.
    let mut blocks = 0;
    let err = ftp
        .retr_with("big.bin", TransferOptions::default(), &mut |_| {
            blocks += 1;
            if blocks == 2 {
                Err(StopTransfer::io_error())
            } else {
                Ok(())
            }
        })
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert_eq!(ftp.noop().unwrap().code(), 200);

    // A sink's own write error is an I/O error, and the session survives it too.
    let err = ftp
        .retr_with("big.bin", TransferOptions::default(), &mut |_| {
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(ftp.noop().unwrap().code(), 200);

    // An upload stopped by its observer.
    let mut sent_calls = 0;
    let mut stop_upload = |_: u64, _: Option<u64>| {
        sent_calls += 1;
        if sent_calls == 2 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    };
    let err = ftp
        .stor_with(
            "up.bin",
            TransferOptions {
                total: Some(data.len() as u64),
                progress: Some(&mut stop_upload),
                ..Default::default()
            },
            &mut &data[..],
        )
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert_eq!(ftp.pwd().unwrap(), "/");

    // A source that stops an upload.
    struct Stopper(usize);
    impl Read for Stopper {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(StopTransfer::io_error());
            }
            self.0 -= 1;
            buf.fill(b'z');
            Ok(buf.len())
        }
    }
    let err = ftp
        .stor_with("up2.bin", TransferOptions::default(), &mut Stopper(3))
        .unwrap_err();
    assert!(matches!(err, Error::Aborted { .. }), "{err}");
    assert_eq!(ftp.noop().unwrap().code(), 200);

    // Data stream dropped unfinished: aborted, session usable.
    {
        let mut stream = ftp.open_data("RETR big.bin", 0).unwrap();
        let mut buf = [0u8; 1000];
        stream.read_exact(&mut buf).unwrap();
        assert_eq!(&buf[..], &data[..1000]);
    }
    assert_eq!(ftp.pwd().unwrap(), "/");
    let stream = ftp.open_data("RETR big.bin", 0).unwrap();
    stream.abort().expect("explicit abort");
    let mut check = Vec::new();
    ftp.retr("small.txt", &mut check).unwrap();
    assert_eq!(check, b"small");
}

fn data_stream(kind: Kind, mode: Mode) {
    let server = Server::start(kind);
    let mut ftp = server.client(mode);
    let data = pattern(200_000, 3);

    // Upload through the raw stream.
    let mut stream = ftp.open_data("STOR raw.bin", 0).expect("open STOR");
    stream.write_all(&data).unwrap();
    let reply = stream.finish().expect("final reply");
    assert_eq!(reply.code(), 226);
    assert_eq!(server.read_file("raw.bin"), data);

    // Download with an offset through the raw stream; the expected size is announced by
    // vsftpd's and ProFTPD's 150 reply (pyftpdlib and Pure-FTPd announce none).
    let mut stream = ftp.open_data("RETR raw.bin", 0).unwrap();
    match kind {
        Kind::Vsftpd | Kind::Proftpd => {
            assert_eq!(stream.expected_size(), Some(data.len() as u64))
        }
        Kind::Pyftpdlib | Kind::PureFtpd => assert_eq!(stream.expected_size(), None),
    }
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    stream.finish().unwrap();
    assert_eq!(back, data);
    let mut stream = ftp.open_data("RETR raw.bin", 150_000).unwrap();
    let mut tail = Vec::new();
    stream.read_to_end(&mut tail).unwrap();
    stream.finish().unwrap();
    assert_eq!(tail, &data[150_000..]);

    // Any command: LIST through the stream.
    let mut stream = ftp.open_data("LIST", 0).unwrap();
    let mut listing = String::new();
    stream.read_to_string(&mut listing).unwrap();
    stream.finish().unwrap();
    assert!(listing.contains("raw.bin"), "{listing}");

    // A refused command fails when the stream is opened, and the session goes on.
    let err = ftp.open_data("RETR missing.bin", 0).err().unwrap();
    assert_eq!(err.reply_code(), 550);
    assert_eq!(ftp.noop().unwrap().code(), 200);
}

fn progress_totals(kind: Kind) {
    let server = Server::start(kind);
    let data = pattern(5 * 1024 * 1024, 11);
    server.put_file("p.bin", &data);
    let mut ftp = server.client(Mode::Pasv);
    let mut last = (0, None);
    let mut observer = |done: u64, total: Option<u64>| {
        last = (done, total);
        Flow::Continue
    };
    ftp.retr_with(
        "p.bin",
        TransferOptions {
            progress: Some(&mut observer),
            ..Default::default()
        },
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(last, (data.len() as u64, Some(data.len() as u64)));
    // Uploads report the total the caller gives, or none.
    let mut up = Vec::new();
    let mut observer = |done: u64, total: Option<u64>| {
        up.push((done, total));
        Flow::Continue
    };
    ftp.stor_with(
        "q.bin",
        TransferOptions {
            progress: Some(&mut observer),
            ..Default::default()
        },
        &mut &data[..],
    )
    .unwrap();
    assert_eq!(*up.last().unwrap(), (data.len() as u64, None));
}

#[test]
fn text_mode_pyftpdlib() {
    text_mode(Kind::Pyftpdlib);
}

#[test]
fn text_mode_vsftpd() {
    text_mode(Kind::Vsftpd);
}

#[test]
fn resume_and_append_pyftpdlib() {
    resume_and_append(Kind::Pyftpdlib, Mode::Epsv);
}

#[test]
fn resume_and_append_vsftpd() {
    resume_and_append(Kind::Vsftpd, Mode::Port);
}

#[test]
fn stopping_and_abort_pyftpdlib_epsv() {
    stopping_and_abort(Kind::Pyftpdlib, Mode::Epsv);
}

#[test]
fn stopping_and_abort_pyftpdlib_port() {
    stopping_and_abort(Kind::Pyftpdlib, Mode::Port);
}

#[test]
fn stopping_and_abort_vsftpd_pasv() {
    stopping_and_abort(Kind::Vsftpd, Mode::Pasv);
}

#[test]
fn stopping_and_abort_vsftpd_eprt() {
    stopping_and_abort(Kind::Vsftpd, Mode::Eprt);
}

#[test]
fn data_stream_pyftpdlib() {
    data_stream(Kind::Pyftpdlib, Mode::Epsv);
}

#[test]
fn data_stream_vsftpd() {
    data_stream(Kind::Vsftpd, Mode::Eprt);
}

#[test]
fn progress_totals_pyftpdlib() {
    progress_totals(Kind::Pyftpdlib);
}

#[test]
fn progress_totals_vsftpd() {
    progress_totals(Kind::Vsftpd);
}

#[test]
fn text_mode_proftpd() {
    text_mode(Kind::Proftpd);
}

#[test]
fn text_mode_pureftpd() {
    text_mode(Kind::PureFtpd);
}

#[test]
fn resume_and_append_proftpd() {
    resume_and_append(Kind::Proftpd, Mode::Pasv);
}

#[test]
fn resume_and_append_pureftpd() {
    resume_and_append(Kind::PureFtpd, Mode::Eprt);
}

#[test]
fn stopping_and_abort_proftpd_epsv() {
    stopping_and_abort(Kind::Proftpd, Mode::Epsv);
}

#[test]
fn stopping_and_abort_proftpd_port() {
    stopping_and_abort(Kind::Proftpd, Mode::Port);
}

#[test]
fn stopping_and_abort_pureftpd_pasv() {
    stopping_and_abort(Kind::PureFtpd, Mode::Pasv);
}

#[test]
fn stopping_and_abort_pureftpd_eprt() {
    stopping_and_abort(Kind::PureFtpd, Mode::Eprt);
}

#[test]
fn data_stream_proftpd() {
    data_stream(Kind::Proftpd, Mode::Epsv);
}

#[test]
fn data_stream_pureftpd() {
    data_stream(Kind::PureFtpd, Mode::Port);
}

#[test]
fn progress_totals_proftpd() {
    progress_totals(Kind::Proftpd);
}

#[test]
fn progress_totals_pureftpd() {
    progress_totals(Kind::PureFtpd);
}
