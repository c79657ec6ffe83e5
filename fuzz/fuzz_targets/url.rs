//! FTP URLs: never panic; the password never shows in the Debug form or in errors.
#![no_main]
use ftpc::FtpUrl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match FtpUrl::parse(text) {
        Ok(url) => {
            assert!(!url.host.is_empty());
            assert_ne!(url.port, 0);
            if let Some(password) = url.password.as_deref().filter(|p| p.len() > 3) {
                assert!(!format!("{url:?}").contains(password));
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
