//! MLSD lines and MLST replies: never panic; a parsed name is never empty; a size only from
//! a size fact.
#![no_main]
use ftpc::listing::{parse_mlsd_line, parse_mlst_reply};
use ftpc::Reply;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = parse_mlsd_line(data) {
        assert!(!entry.name_bytes().is_empty());
        assert_eq!(entry.format(), ftpc::listing::ListFormat::Mlsd);
        let _ = (entry.modified(), entry.perm());
        // A size only from a size fact; a mode only within the permission bits.
        if let Some(size) = entry.size() {
            assert!(entry
                .facts()
                .any(|(k, v)| (k == "size" || k == "sizd") && v.parse::<u64>().ok() == Some(size)));
        }
        assert!(entry.unix_mode().is_none_or(|mode| mode <= 0o7777));
    }
    let text = String::from_utf8_lossy(data);
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let _ = parse_mlst_reply(&Reply::new(250, lines));
});
