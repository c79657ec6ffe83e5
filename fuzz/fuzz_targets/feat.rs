//! FEAT replies, through the reply parser: never panic; listed names are upper case.
#![no_main]
use ftpc::protocol::{Features, ReplyParser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parser = ReplyParser::new();
    parser.push(data);
    while let Ok(Some(reply)) = parser.next_reply() {
        let features = Features::parse(&reply);
        for name in features.names() {
            assert_eq!(name, name.to_ascii_uppercase());
            assert!(features.has(name));
        }
    }
});
