//! Sets the shared library's SONAME, and with the `generate-header` feature generates
//! include/ftpc.h with cbindgen, rewriting it only when its bytes change (so a build never
//! touches an up-to-date header and the committed header can be checked for drift). Without
//! the feature the committed header is used as it is, and cbindgen is not built.

#[cfg(feature = "generate-header")]
#[path = "build/api_description.rs"]
mod api_description;

use std::env;
#[cfg(feature = "generate-header")]
use std::fs;
#[cfg(feature = "generate-header")]
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=build/api_description.rs");
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
    let include = dir.join("include");
    fs::create_dir_all(&include).expect("create include/");
    let text = String::from_utf8(fresh).expect("the header is UTF-8");
    let (json, cdef) = api_description::describe(&text, &format!("{major}.{minor}.{patch}"));
    for (name, bytes) in [("ftpc.h", text), ("ftpc.json", json), ("ftpc_cdef.h", cdef)] {
        let path = include.join(name);
        if fs::read(&path).ok().as_deref() != Some(bytes.as_bytes()) {
            fs::write(&path, bytes).unwrap_or_else(|e| panic!("write include/{name}: {e}"));
        }
    }
}
