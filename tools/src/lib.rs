//! The tl tools: thin front-ends over libwrap. Each tool module exposes
//! `run(args, stdout, stderr) -> exit status` so tests can drive it in-process.

pub mod ar;
pub mod cli;
pub mod collate;
pub mod ld;
pub mod nm;
pub mod objcopy;

/// mimalloc: tl-ld and tl-ar allocate many small blocks while parsing thousands of inputs on
/// several threads; glibc's allocator was a fifth of tl-ld -r's time on 1 000 bitcode objects.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
