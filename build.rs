//! Sets the shared library's SONAME, and with the `generate-header` feature generates
//! include/ftpc.h with cbindgen, rewriting it only when its bytes change (so a build never
//! touches an up-to-date header and the committed header can be checked for drift). Without
//! the feature the committed header is used as it is, and cbindgen is not built.

use std::env;
#[cfg(feature = "generate-header")]
use std::fs;
#[cfg(feature = "generate-header")]
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=Cargo.toml");
    if env::var_os("CARGO_FEATURE_CAPI").is_none() {
        return;
    }
    // Shared library versioning: libftpc.so.MAJOR is what programs record at link time.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libftpc.so.{major}");
    }
    #[cfg(feature = "generate-header")]
    generate_header();
}

#[cfg(feature = "generate-header")]
fn generate_header() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let mut config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("version");
    let (major, minor, patch) = (version("MAJOR"), version("MINOR"), version("PATCH"));
    config.after_includes = Some(format!(
        "\n/** The version of this header; equals ftp_version() of a matching library. */\n\
         #define FTPC_VERSION_MAJOR {major}\n\
         #define FTPC_VERSION_MINOR {minor}\n\
         #define FTPC_VERSION_PATCH {patch}\n\
         #define FTPC_VERSION_STRING \"{major}.{minor}.{patch}\"\n\
         /** MAJOR * 10000 + MINOR * 100 + PATCH; equals ftp_version_number(). */\n\
         #define FTPC_VERSION_NUMBER ({major} * 10000 + {minor} * 100 + {patch})\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let header = dir.join("include").join("ftpc.h");
    if fs::read(&header).ok().as_deref() != Some(fresh.as_slice()) {
        fs::create_dir_all(header.parent().expect("include dir")).expect("create include/");
        fs::write(&header, &fresh).expect("write include/ftpc.h");
    }
}
