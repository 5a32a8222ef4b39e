//! The ELF object model: an in-memory, editable view of a relocatable object, read from bytes
//! with `object`'s low-level reader and written with `object::write::elf::Writer`.
//!
//! Invariants of the model:
//! - `sections[i]` is file section `i + 1` (the null section is implicit), `symbols[j]` is
//!   symbol `j + 1` (the null symbol is implicit); references between them are model indices,
//!   so sections and symbols can be added, removed and reordered and every `sh_link`, `sh_info`,
//!   group member, relocation symbol and `st_shndx` is renumbered on writing;
//! - the symbol table, its string table, the section-name table and `.symtab_shndx` are markers
//!   ([`SectionData::SymbolTable`] …): their contents are regenerated on writing, where the marker
//!   stands (appended at the end when absent);
//! - on writing, local symbols are moved before global ones (ELF requires it) and `sh_info` of
//!   the symbol table is set accordingly; every other field keeps its raw value.

pub mod compress;
pub mod consts;
pub(crate) mod layout;
mod model;
pub mod read;
pub mod target;
pub mod write;

pub use model::*;
pub use read::read;
pub use write::write;
