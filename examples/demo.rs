//! Uploads a file, lists the directory and downloads the file again, checking every byte.
//!
//! cargo run --example demo -- HOST PORT USER   (password from FTP_PASSWORD)

use std::env;
use std::process::ExitCode;

use ftpc::{Client, Flow, Options, TransferOptions};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().collect();
    if args.len() != 4 {
        eprintln!(
            "usage: {} HOST PORT USER  (password in FTP_PASSWORD)",
            args[0]
        );
        return ExitCode::from(2);
    }
    let password = env::var("FTP_PASSWORD").unwrap_or_default();
    match run(&args[1], args[2].parse().unwrap_or(21), &args[3], &password) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e} (reply code {})", e.reply_code());
            ExitCode::FAILURE
        }
    }
}

fn run(host: &str, port: u16, user: &str, password: &str) -> ftpc::Result<()> {
    let mut ftp = Client::connect_with(host, port, Options::default())?;
    println!("connected: {}", ftp.welcome());
    ftp.login(user, password)?;
    println!("logged in, working directory {}", ftp.pwd()?);

    let data: Vec<u8> = (0..4 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let total = data.len() as u64;
    let mut report = |done: u64, total: Option<u64>| {
        if done == total.unwrap_or(0) {
            println!("  {done} of {} bytes", total.unwrap_or(0));
        }
        Flow::Continue
    };
    ftp.stor_with(
        "demo.bin",
        TransferOptions {
            total: Some(total),
            progress: Some(&mut report),
            ..Default::default()
        },
        &mut &data[..],
    )?;
    println!("uploaded demo.bin");

    println!("listing:");
    let features = ftp.features()?.clone();
    let listing = if features.has("MLST") {
        ftp.mlsd(None)?
    } else {
        ftp.list_entries(None)?
    };
    for entry in listing {
        let entry = entry?;
        if entry.is_self_or_parent() {
            continue;
        }
        let modified = entry.modified().map(|t| t.to_string()).unwrap_or_default();
        println!(
            "  {:<5} {:>10} {} {}",
            if entry.is_dir() { "dir" } else { "file" },
            entry.size().map(|s| s.to_string()).unwrap_or_default(),
            modified,
            entry.name()
        );
    }

    let mut back = Vec::new();
    ftp.retr("demo.bin", &mut back)?;
    if back != data {
        eprintln!("downloaded bytes differ from the upload");
        std::process::exit(1);
    }
    println!("downloaded demo.bin: {} bytes, identical", back.len());
    ftp.delete("demo.bin")?;
    ftp.quit()?;
    println!("done");
    Ok(())
}
