//! The Rust side of bench/bench.py's C boundary case: the same download as
//! `ftpc_bench download URL` (bench/ftpc_bench.c, through the C API and a C callback), through
//! the crate directly, into a closure that counts and drops the bytes. Prints "BYTES SECONDS"
//! (the transfer alone, after connect and login) like ftpc_bench.
//!
//! cargo build --release --example bench_rust
//! target/release/examples/bench_rust download URL
//!
//! FTP_PASSWORD and FTPC_CA_FILE as in ftpc_bench (and examples-c); FTPC_BLOCK_SIZE overrides
//! the block size (64 KiB).

use std::process::ExitCode;
use std::time::Instant;

use ftpc::{Client, Options, TransferOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 || args[1] != "download" {
        eprintln!("usage: {} download URL", args[0]);
        return ExitCode::from(2);
    }
    match download(&args[2]) {
        Ok((bytes, seconds)) => {
            println!("{bytes} {seconds:.6}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("download: {e}");
            ExitCode::FAILURE
        }
    }
}

fn download(url: &str) -> ftpc::Result<(u64, f64)> {
    let password = std::env::var("FTP_PASSWORD").ok();
    let mut options = Options::default();
    if let Some(ca) = std::env::var_os("FTPC_CA_FILE") {
        options.tls.ca_file = Some(ca.into());
    }
    if let Some(block) = std::env::var("FTPC_BLOCK_SIZE")
        .ok()
        .and_then(|b| b.parse().ok())
    {
        options.block_size = block;
    }
    let (mut ftp, path) = Client::connect_url(url, password.as_deref(), options)?;
    let mut received = 0u64;
    let start = Instant::now();
    ftp.retr_with(&path, TransferOptions::default(), &mut |block| {
        received += block.len() as u64;
        Ok(())
    })?;
    let seconds = start.elapsed().as_secs_f64();
    ftp.quit()?;
    Ok((received, seconds))
}
