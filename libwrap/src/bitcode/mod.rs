//! LLVM bitcode, read without LLVM: the bitstream (`bitstream`), the container of modules and
//! its units (`container`), the records of a module (`module`), LLVM's symbol table
//! (`irsymtab`) and the symbols it gives (`symtab`), the ThinLTO summary (`summary`), GUIDs
//! (`guid`), and a module's symbols with its records (`details`).

pub(crate) mod asm_symbols;
pub mod bitstream;
pub(crate) mod bitwriter;
pub mod container;
pub(crate) mod dbg_calls;
pub(crate) mod debug_info;
pub mod details;
pub mod guid;
pub mod irsymtab;
pub mod module;
pub(crate) mod reemit;
pub mod rewrite;
pub mod summary;
pub mod symtab;

pub use container::{Container, ModuleUnit, is_bitcode, parse};
