//! LIST lines in every format, one at a time and as a whole listing: never panic; a parsed
//! name is never empty; the raw line is kept; a size comes only from the size column (its
//! digits are in the line, for VMS as a block count, for z/OS load modules in hexadecimal).
#![no_main]
use ftpc::listing::{parse_list_line, ListConfig, ListFormat, ListParser};
use ftpc::{Entry, EntryKind, Timestamp};
use libfuzzer_sys::fuzz_target;

fn check(entry: &Entry) {
    assert!(!entry.name_bytes().is_empty());
    assert!(!entry.raw().is_empty());
    let _ = (entry.modified(), entry.unix_mode(), entry.link_target());
    let Some(size) = entry.size() else {
        return;
    };
    // The line without thousands separators.
    let digits: String = entry.raw().chars().filter(|c| !",.'".contains(*c)).collect();
    match entry.format() {
        ListFormat::Vms => {
            assert_eq!(size % 512, 0);
            assert!(entry.raw().contains(&(size / 512).to_string()));
        }
        ListFormat::Mvs => {
            assert!(entry.raw().to_ascii_uppercase().contains(&format!("{size:06X}")));
        }
        _ => assert!(digits.contains(&size.to_string()), "{size} not in {:?}", entry.raw()),
    }
    if let EntryKind::Other(kind) = entry.kind() {
        if entry.format() == ListFormat::Unix && (kind == "c" || kind == "b") {
            panic!("a device with a size: {:?}", entry.raw());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let now = Timestamp::new(2024, 6, 15, 12, 0, 0).unwrap();
    if let Ok(Some(entry)) = parse_list_line(data, now) {
        check(&entry);
    }
    // The first byte picks an offset and a forced format; the rest is a listing.
    let Some((&pick, listing)) = data.split_first() else {
        return;
    };
    let mut config = ListConfig::new(now);
    config.utc_offset_minutes = (i32::from(pick) - 128) * 15;
    config.forced = [
        None,
        Some(ListFormat::Unix),
        Some(ListFormat::Dos),
        Some(ListFormat::Vms),
        Some(ListFormat::Mvs),
        Some(ListFormat::Os400),
        Some(ListFormat::Tandem),
        Some(ListFormat::NetWare),
        Some(ListFormat::Eplf),
    ][usize::from(pick) % 9];
    let mut parser = ListParser::new(config);
    for line in listing.split(|&b| b == b'\n') {
        if let Ok(Some(entry)) = parser.feed(line) {
            check(&entry);
        }
    }
    let _ = parser.finish();
});
