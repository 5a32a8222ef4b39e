//! The tl tools: thin front-ends over libwrap. Each tool module exposes
//! `run(args, stdout, stderr) -> exit status` so tests can drive it in-process.

pub mod ar;
pub mod cc;
pub mod cli;
pub mod edits;
pub mod ld;
pub mod nm;
pub mod objcopy;
pub mod stale_plugins;
pub mod strip;
