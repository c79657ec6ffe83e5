//! Unix and DOS LIST lines: never panic; the raw line is always kept.
#![no_main]
use ftpc::listing::parse_list_line;
use ftpc::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
    if let Ok(Some(entry)) = parse_list_line(data, now) {
        assert!(!entry.name_bytes().is_empty());
        let _ = (entry.size(), entry.modified(), entry.unix_mode(), entry.link_target());
        assert!(!entry.raw().is_empty());
    }
});
