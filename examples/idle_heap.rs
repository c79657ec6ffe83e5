//! Measures the heap an idle, logged-in plain session holds: live bytes after connect and login
//! minus live bytes before, counted by a wrapping global allocator. Used by bench/bench.py.
//!
//! cargo run --release --example idle_heap -- HOST PORT USER   (password in FTP_PASSWORD)

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ftpc::{Client, Options};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::SeqCst);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() -> ftpc::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let password = std::env::var("FTP_PASSWORD").unwrap_or_default();
    let options = Options::default();
    let before = LIVE.load(Ordering::SeqCst);
    let mut ftp = Client::connect_with(&args[1], args[2].parse().unwrap_or(21), options)?;
    ftp.login(&args[3], &password)?;
    let idle = LIVE.load(Ordering::SeqCst) - before;
    println!("{idle}");
    ftp.quit()?;
    Ok(())
}
