//! LLVM bitcode, read without LLVM: the container (`container`), the bitstream records of a
//! module (`module`), LLVM's symbol table (`irsymtab`), the ThinLTO summary (`summary`), GUIDs
//! (`guid`) and the resulting symbol view (`symbols`).

pub mod container;
pub mod guid;
pub mod irsymtab;
pub mod module;
pub mod summary;
pub mod symbols;

pub use container::{Container, ModuleUnit, is_bitcode, parse};
