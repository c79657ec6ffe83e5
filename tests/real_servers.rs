//! The tests against the real servers (pyftpdlib, vsftpd, ProFTPD, Pure-FTPd) are built only
//! with `--features real-servers`, which scripts/test.sh turns on: the servers need
//! scripts/servers/install.sh, which needs root. Without the feature, the one ignored test
//! below says so in `cargo test`'s output, so that the binaries left out are not left out
//! silently. See tests/README.md.

#[cfg(not(feature = "real-servers"))]
#[test]
#[ignore = "not built: the tests against real servers need --features real-servers"]
fn tests_against_real_servers() {
    panic!(
        "the tests against real servers are built only with --features real-servers: run \
         `bash scripts/servers/install.sh` (as root), then `cargo test --features real-servers`, \
         or everything with `bash scripts/test.sh`"
    );
}
