//! Building C programs against the library for the tests: the debug library is built once per
//! test binary, then each program is compiled with the strict warning set.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::manifest_dir;

/// Strict warnings every C program of the tests compiles with.
pub const STRICT: [&str; 5] = ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-g"];
/// What a static link of the Rust library needs besides libc.
pub const STATIC_LIBS: [&str; 6] = ["-lpthread", "-ldl", "-lm", "-lrt", "-lutil", "-lgcc_s"];

/// How a test program is linked.
pub enum Link {
    /// To libftpc.so, as programs usually are.
    Shared,
    /// libftpc.a linked in.
    Static,
    /// libftpc.a with AddressSanitizer, so the sanitizer sees every allocation.
    StaticAsan,
}

/// Builds the library (debug) once per test binary and returns target/debug (the directory
/// this test binary's deps/ is in, wherever CARGO_TARGET_DIR puts it).
pub fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--lib", "--quiet"]);
        // Without the variables cargo set for this test run: build scripts that track them
        // (ring's tracks CARGO_MANIFEST_DIR and CARGO_PKG_*) would rebuild, and the next
        // plain `cargo test` would rebuild once more.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_MANIFEST_")
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "OUT_DIR",
                ]
                .contains(&name.as_ref())
            {
                build.env_remove(name.as_ref());
            }
        }
        // The features this test was built with: another set would build the library again,
        // over the one the other test binaries are using.
        let features: Vec<&str> = [
            ("real-servers", cfg!(feature = "real-servers")),
            ("generate-header", cfg!(feature = "generate-header")),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
        if !features.is_empty() {
            build.args(["--features", &features.join(",")]);
        }
        let status = build
            .current_dir(manifest_dir())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --lib failed");
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary in target/debug/deps")
            .to_path_buf();
        assert!(dir.join("libftpc.so").exists() && dir.join("libftpc.a").exists());
        dir
    })
}

/// Where the test programs go.
pub fn out_dir() -> PathBuf {
    let dir = manifest_dir().join("target/c-tests");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory where the debug libftpc.so is also found by its SONAME, libftpc.so.0.
pub fn shared_lib_dir() -> PathBuf {
    let dir = out_dir().join("lib");
    fs::create_dir_all(&dir).unwrap();
    for name in ["libftpc.so", "libftpc.so.0"] {
        let link = dir.join(name);
        if fs::read_link(&link).is_err() {
            let _ = fs::remove_file(&link);
            // Parallel tests may race to create it; either one's link is right.
            let _ = std::os::unix::fs::symlink(lib_dir().join("libftpc.so"), &link);
        }
    }
    dir
}

/// Compiles tests/c/`source` as `name` (give each parallel test its own name) with
/// `optimization` (such as "-O1").
pub fn compile(source: &str, name: &str, link: Link, optimization: &str) -> PathBuf {
    let lib = lib_dir();
    let exe = out_dir().join(name);
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c99", optimization])
        .args(STRICT)
        .arg("-I")
        .arg(manifest_dir().join("include"));
    if matches!(link, Link::StaticAsan) {
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    cmd.arg(manifest_dir().join("tests/c").join(source))
        .arg("-o")
        .arg(&exe);
    match link {
        Link::Shared => {
            let shared = shared_lib_dir();
            cmd.arg(format!("-L{}", shared.display()))
                .arg(format!("-Wl,-rpath,{}", shared.display()))
                .arg("-lftpc");
        }
        Link::Static | Link::StaticAsan => {
            cmd.arg(lib.join("libftpc.a"));
        }
    }
    cmd.args(STATIC_LIBS);
    let out = cmd.output().expect("run cc");
    assert!(
        out.status.success(),
        "compiling {source} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}
