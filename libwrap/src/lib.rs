//! libwrap: the format logic of the tl tools.
//!
//! tl reads native ELF objects, archives, raw LLVM bitcode and ELF objects carrying bitcode, with
//! no LLVM library and no linker plugin. Its own format, the *wrapped object*, is an ELF
//! relocatable holding bitcode in `.llvmbc`, an ELF symbol table mirroring the bitcode's symbols,
//! a summary section `.tl.summary` and a guard symbol (see [`wrapped`] and `man/tl-wrap.5`).
//!
//! Module map, one layer per line from the bottom; a module uses only the layers below it
//! (`scripts/check-layers` prints the graph and fails on a cycle):
//! - [`error`], [`input`], [`output`]: typed errors (file, member, what), mapped inputs, atomic outputs;
//! - [`elf`]: the ELF model (`consts`, `model`, `read`, `write`) and targets (`target`);
//!   [`bitcode`]: the bitstream, the container and its units, module records, irsymtab, symbols,
//!   ThinLTO summary, GUIDs; [`demangle`]: nm's demangler;
//! - [`archive`]: reading, writing, editing archives and their symbol index;
//! - [`gcc_lto`]: GCC's LTO symbol table (what GCC's plugin shows);
//! - [`embedded`]: the section and marker names, the bitcode an ELF object carries; [`file_kind`]:
//!   what a buffer is; [`bfd`]: GNU's symbol-letter rules;
//! - [`resolve`]: symbol resolution across objects and modules;
//! - [`wrapped`]: the wrapped format (`wrap`, `mirror`, `records`, `summary_section`, `decompose`);
//! - [`view`]: what nm shows (`nm`, `summary`); [`objcopy`]: objcopy's operations; [`link`]:
//!   partial links (`options`, `search`, `load`, `merge`'s passes, `diagnostics`, `carry`) and
//!   final links handed to an LTO linker (`final_link`).
//!
//! libwrap never prints, never parses command lines, never reads the environment and never
//! chooses a program to run: the tools do.

pub mod archive;
pub mod bfd;
pub mod bitcode;
pub mod demangle;
pub mod elf;
pub mod embedded;
pub mod error;
pub mod file_kind;
pub mod gcc_lto;
pub mod input;
pub mod link;
pub mod objcopy;
pub mod output;
pub mod resolve;
pub mod view;
pub mod wrapped;

pub use error::{Error, Result};
