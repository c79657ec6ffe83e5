//! The FTP protocol without I/O: replies, commands, addresses, features, timestamps, and the
//! text-mode line conversion. Everything here takes bytes or strings and returns values, so it
//! is tested without sockets.

pub mod address;
pub mod ascii;
pub mod command;
pub mod feat;
pub mod hash;
pub mod reply;
pub mod text;
pub mod time;
pub mod untrusted;

pub use command::Command;
pub use feat::Features;
pub use reply::{Reply, ReplyError, ReplyParser};
pub use time::Timestamp;
