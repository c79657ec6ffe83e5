//! The C API: the only module with `unsafe` and `extern "C"`. Every export goes through the
//! boundary in `boundary.rs`; this layer converts types and calls the Rust client, nothing
//! more. The header `include/ftpc.h` is generated from these files by cbindgen (build.rs).
#![allow(unsafe_code, non_camel_case_types, clippy::missing_safety_doc)]

// In the order a reader meets the API, which is the order of the generated header: the
// library and its errors, options, the session and its commands, transfers, raw data
// streams, listings, the production layer, the session pool.
// (Each group its own paragraph, so rustfmt keeps this order.)
mod codes;
mod info;

mod options;

mod trace;

mod session;

mod transfer;

mod data;

mod listing;

mod managed;

mod sync;

mod integrity;

mod pool;

// No exports: the boundary helpers and the client handle's internals.
mod boundary;
mod handle;
