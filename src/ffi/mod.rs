//! The C API: the only module with `unsafe` and `extern "C"`. Every export goes through the
//! boundary in `boundary.rs`; this layer converts types and calls the Rust client, nothing
//! more. The header `include/ftpc.h` is generated from these files by cbindgen (build.rs).
#![allow(unsafe_code, non_camel_case_types, clippy::missing_safety_doc)]

mod boundary;
mod codes;
mod data;
mod handle;
mod info;
mod listing;
mod managed;
mod options;
mod session;
mod transfer;
