//! Times one download and one upload of a remote file and prints MB/s.
//!
//! cargo run --release --example rate -- HOST PORT USER REMOTE_FILE [tls-ca.pem]
//! (password in FTP_PASSWORD; with a CA file the session is explicit FTPS with PROT P)

use std::io::{self, Read};
use std::time::Instant;

use ftpc::{Client, Options, TlsLevel, TransferOptions};

fn main() -> ftpc::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: rate HOST PORT USER REMOTE_FILE [CA_FILE]");
        std::process::exit(2);
    }
    let mut options = Options::default();
    if let Some(ca) = args.get(5) {
        options.tls.level = TlsLevel::All;
        options.tls.ca_file = Some(ca.into());
    }
    let mut ftp = Client::connect_with(&args[1], args[2].parse().unwrap_or(21), options)?;
    ftp.login(&args[3], &std::env::var("FTP_PASSWORD").unwrap_or_default())?;
    let start = Instant::now();
    let mut got = 0u64;
    ftp.retr_with(&args[4], TransferOptions::default(), &mut |block| {
        got += block.len() as u64;
        Ok(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!("download {got} bytes: {:.0} MB/s", got as f64 / secs / 1e6);

    let size = got;
    let start = Instant::now();
    let mut zeros = io::repeat(0).take(size);
    ftp.stor_with("rate-upload.bin", TransferOptions::default(), &mut zeros)?;
    let secs = start.elapsed().as_secs_f64();
    println!("upload {size} bytes: {:.0} MB/s", size as f64 / secs / 1e6);
    ftp.delete("rate-upload.bin")?;
    ftp.quit()?;
    Ok(())
}
