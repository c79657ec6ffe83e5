//! Parsed LIST of the formats no test server speaks (VMS, z/OS, ...), through the client, from
//! a scripted server: entries over two lines, headers, the forced format and the server's UTC
//! offset from Options, and the offset measured with MDTM. The parsers themselves are
//! unit-tested in src/listing.

mod common;

use std::io::Write;
use std::net::TcpListener;

use common::scripted::{login, options, Scripted, Session};
use ftpc::listing::ListFormat;
use ftpc::{Entry, Error};

/// Answers TYPE, EPSV, LIST (with `listing`, whatever the path) and MDTM (with `mdtm`) until
/// QUIT.
fn serve(s: &mut Session, listing: &'static [u8], mdtm: &'static str) {
    s.greet_and_login();
    let mut listener: Option<TcpListener> = None;
    while let Some(line) = s.recv() {
        let verb = line.split(' ').next().unwrap_or("").to_string();
        match verb.as_str() {
            "EPSV" => listener = Some(s.listen_epsv()),
            "LIST" => {
                let (mut data, _) = listener.take().expect("EPSV first").accept().unwrap();
                s.send("150 here\r\n");
                data.write_all(listing).unwrap();
                drop(data);
                s.send("226 done\r\n");
            }
            "MDTM" => s.send(&format!("213 {mdtm}\r\n")),
            "QUIT" => {
                s.send("221 bye\r\n");
                return;
            }
            _ => s.send("200 ok\r\n"),
        }
    }
}

fn entries(server: &Scripted, opts: ftpc::Options) -> Vec<Result<Entry, Error>> {
    let mut ftp = login(server, opts);
    let entries: Vec<_> = ftp.list_entries(None).unwrap().collect();
    ftp.quit().unwrap();
    entries
}

const VMS: &[u8] = b"Directory DISK$USER:[ALICE]\r\n\r\n\
LOGIN.COM;3            12/14      5-JAN-2019 12:00:01  [STAFF,ALICE]  (RWED,RWED,RE,)\r\n\
A_NAME_TOO_LONG_FOR_ITS_COLUMN.DAT;12\r\n\
                      256/256     1-FEB-2018 08:30:00  [STAFF,ALICE]  (RWED,RWED,R,)\r\n\
SUBDIR.DIR;1            1/3       5-JAN-2019 12:00     [ALICE]        (RWE,RWE,RE,RE)\r\n\
\r\nTotal of 3 files, 269/273 blocks.\r\n";

#[test]
fn vms_listing_with_an_entry_over_two_lines_and_an_offset() {
    let server = Scripted::start(|s| serve(s, VMS, "20190105110001"));
    let mut opts = options();
    opts.server_utc_offset_minutes = 60;
    let got: Vec<Entry> = entries(&server, opts)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    server.finish();
    let names: Vec<&str> = got.iter().map(Entry::name).collect();
    assert_eq!(
        names,
        ["LOGIN.COM", "A_NAME_TOO_LONG_FOR_ITS_COLUMN.DAT", "SUBDIR"]
    );
    assert!(got.iter().all(|e| e.format() == ListFormat::Vms));
    assert_eq!(got[1].size(), Some(256 * 512));
    assert!(got[2].is_dir());
    // 12:00:01 on a server one hour east of UTC.
    assert_eq!(
        got[0].modified().unwrap().to_string(),
        "2019-01-05T11:00:01Z"
    );
}

#[test]
fn zos_members_after_their_header_and_a_forced_format() {
    const MEMBERS: &[u8] =
        b" Name     VV.MM   Created       Changed      Size  Init   Mod   Id\r\n\
PAYROLL   01.03 2018/12/01 2019/01/05 12:00    42    40     0 USER1\r\n\
NOSTATS\r\n";
    let server = Scripted::start(|s| serve(s, MEMBERS, "20190105120000"));
    let got = entries(&server, options());
    server.finish();
    let names: Vec<String> = got
        .iter()
        .map(|e| e.as_ref().unwrap().name().to_string())
        .collect();
    assert_eq!(names, ["PAYROLL", "NOSTATS"]);

    // Forced to Unix, the same lines fail, each naming Unix.
    let server = Scripted::start(|s| serve(s, MEMBERS, "20190105120000"));
    let mut opts = options();
    opts.list_format = Some(ListFormat::Unix);
    let got = entries(&server, opts);
    server.finish();
    assert_eq!(got.len(), 3);
    for e in got {
        let err = e.unwrap_err().to_string();
        assert!(err.contains("Unix LIST line"), "{err}");
    }
}

#[test]
fn a_vms_name_line_left_at_the_end_is_an_error() {
    let server = Scripted::start(|s| {
        serve(
            s,
            b"LOGIN.COM;3  1  5-JAN-2019 12:00\r\nLONELY.TXT;1\r\n",
            "x",
        )
    });
    let got = entries(&server, options());
    server.finish();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    let err = got[1].as_ref().unwrap_err().to_string();
    assert!(err.contains("LONELY.TXT;1"), "{err}");
}

#[test]
fn measuring_the_offset_with_mdtm() {
    // The file's LIST time is 14:30 on the server, its MDTM 12:30:41 UTC: two hours east.
    let server = Scripted::start(|s| {
        serve(
            s,
            b"-rw-r--r-- 1 u g 5 2019-01-05 14:30 report.txt\r\n",
            "20190105123041",
        )
    });
    let mut ftp = login(&server, options());
    assert_eq!(
        ftp.measure_list_utc_offset("report.txt").unwrap(),
        Some(120)
    );
    ftp.quit().unwrap();
    let transcript = server.finish();
    assert!(transcript.iter().any(|c| c == "LIST report.txt"));
    assert!(transcript.iter().any(|c| c == "MDTM report.txt"));

    // A line that shows a year, not a time of day, measures nothing.
    let server = Scripted::start(|s| {
        serve(
            s,
            b"-rw-r--r-- 1 u g 5 Jan 5 2019 old.txt\r\n",
            "20190105123041",
        )
    });
    let mut ftp = login(&server, options());
    assert_eq!(ftp.measure_list_utc_offset("old.txt").unwrap(), None);
    ftp.quit().unwrap();
    server.finish();
}

#[test]
fn the_offset_is_within_a_day() {
    let mut opts = ftpc::Options::default();
    opts.server_utc_offset_minutes = -24 * 60;
    assert!(opts.validate().is_ok());
    opts.server_utc_offset_minutes = 24 * 60 + 1;
    assert!(matches!(opts.validate(), Err(Error::InvalidArgument(_))));
}

#[test]
fn syst_is_asked_once_per_connection_and_not_when_a_format_is_forced() {
    for (forced, systs) in [(None, 1), (Some(ListFormat::Vms), 0)] {
        let server = Scripted::start(|s| serve(s, VMS, "20190105120001"));
        let mut opts = options();
        opts.list_format = forced;
        let mut ftp = login(&server, opts);
        for _ in 0..2 {
            let got: Vec<Entry> = ftp
                .list_entries(None)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(got.len(), 3);
            assert!(got.iter().all(|e| e.format() == ListFormat::Vms));
        }
        ftp.quit().unwrap();
        let transcript = server.finish();
        let asked = transcript.iter().filter(|c| c.starts_with("SYST")).count();
        assert_eq!(asked, systs, "{transcript:?}");
    }
}
