//! The reply parser, fed in chunks whose sizes the input chooses: it must never panic, never
//! yield a code outside 100-599, and never hold more than its bounds.
#![no_main]
use ftpc::protocol::reply::{ReplyParser, MAX_LINE_LEN, MAX_REPLY_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else { return };
    let chunk = usize::from(chunk.max(1));
    let mut parser = ReplyParser::new();
    for piece in rest.chunks(chunk) {
        parser.push(piece);
        loop {
            match parser.next_reply() {
                Ok(Some(reply)) => {
                    assert!((100..600).contains(&reply.code()));
                    assert!(!reply.lines().is_empty());
                    let total: usize = reply.lines().iter().map(|l| l.len()).sum();
                    assert!(total <= MAX_REPLY_LEN + MAX_LINE_LEN);
                    let _ = reply.text();
                    let _ = reply.to_string();
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
