//! TYPE A conversion and server-supplied local names: CRLF round trips whatever the block
//! boundaries; a name accepted as local is one plain path component.
#![no_main]
use ftpc::protocol::ascii::{CrlfDecoder, CrlfEncoder};
use ftpc::safe_local_name;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    let chunk = usize::from(chunk.max(1));
    // Local text without CR converts to CRLF and back unchanged.
    let local: Vec<u8> = rest.iter().copied().filter(|&b| b != b'\r').collect();
    let mut encoder = CrlfEncoder::default();
    let mut wire = Vec::new();
    for piece in local.chunks(chunk) {
        encoder.encode(piece, &mut wire);
    }
    let mut decoder = CrlfDecoder::default();
    let mut back = Vec::new();
    for piece in wire.chunks(chunk.saturating_add(1)) {
        decoder.decode(piece, &mut back);
    }
    decoder.finish(&mut back);
    assert_eq!(back, local);
    if safe_local_name(rest).is_ok() {
        assert!(!rest.is_empty() && rest != b"." && rest != b"..");
        assert!(!rest.iter().any(|b| matches!(b, b'/' | b'\\' | 0)));
    }
});
