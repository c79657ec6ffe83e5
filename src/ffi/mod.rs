//! The C API: the only module with `unsafe` and `extern "C"`. Every export goes through the
//! boundary in `boundary.rs`; this layer converts types and calls the Rust client, nothing
//! more. The header `include/ftpc.h` is generated from these files by cbindgen (build.rs).
#![allow(unsafe_code, non_camel_case_types, clippy::missing_safety_doc)]

// In the order a reader meets the API, which is the order of the generated header: the
// library and its errors, options, the session and its commands, transfers, raw data
// streams, listings, the production layer.
mod boundary;
mod codes;
mod data;
mod handle;
mod info;
mod listing;
mod managed;
mod options;
mod pool;
mod session;
mod sync;
mod transfer;
