//! libwrap: the format logic of the tl tools.
//!
//! tl reads native ELF objects, archives, raw LLVM bitcode and ELF objects carrying bitcode, with
//! no LLVM library and no linker plugin. Its own format, the *wrapped object*, is an ELF
//! relocatable holding bitcode in `.llvmbc`, an ELF symbol table mirroring the bitcode's symbols,
//! a summary section `.tl.summary` and a guard symbol (see [`wrapped`] and `man/tl-wrap.5`).
//!
//! Module map:
//! - [`error`]: typed errors carrying file, member and what was wrong;
//! - [`input`], [`output`]: mapped inputs, atomic outputs;
//! - [`sniff`]: what a buffer holds, by content;
//! - [`bitstream`], [`bitcode`]: LLVM bitcode;
//! - [`elf`]: the ELF object model, reader and writer;
//! - [`archive`], [`archive_write`]: archives (GNU, BSD, thin, SYM64);
//! - [`symbols`]: one symbol model over ELF and bitcode; [`nmview`]: what nm shows;
//! - [`tlsummary`]: the `.tl.summary` section codec;
//! - [`wrapped`]: wrapping, unwrapping and splitting bitcode;
//! - [`objcopy`]: the objcopy operations;
//! - [`link`]: partial links (`ld -r`) that carry bitcode, and final links through an LTO linker.
//!
//! libwrap never prints and never parses command lines.

pub mod archive;
pub mod archive_edit;
pub mod archive_write;
pub mod bitcode;
pub mod bitstream;
pub mod demangle;
pub mod elf;
pub mod error;
pub mod input;
pub mod link;
pub mod nmview;
pub mod objcopy;
pub mod output;
pub mod sniff;
pub mod symbols;
pub mod tlsummary;
pub mod wrapped;

pub use error::{Error, Result};
