//! MLSD lines and MLST replies: never panic; a parsed name is never empty.
#![no_main]
use ftpc::listing::{parse_mlsd_line, parse_mlst_reply};
use ftpc::Reply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = parse_mlsd_line(data) {
        assert!(!entry.name_bytes().is_empty());
        let _ = (entry.size(), entry.modified(), entry.unix_mode(), entry.perm());
    }
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let _ = parse_mlst_reply(&Reply::new(250, lines));
});
