//! The ELF-wrapped bitcode format (documented for users in `man/tl-wrap.5`).
//!
//! A wrapped object is an ELF relocatable (`ET_REL`) whose class, byte order, `e_machine` and
//! `e_flags` come from the bitcode's target triple ([`crate::elf::target`]), holding:
//! - `.llvmbc` (`SHT_PROGBITS`, `SHF_EXCLUDE`, align 1): the bitcode, verbatim when it is one
//!   stream; one or more modules LLVM's reader accepts;
//! - a symbol table mirroring the bitcode's symbols so tools without a plugin see them with the
//!   letters llvm-nm prints: functions (and aliases of functions, ifuncs, asm symbols) in a
//!   placeholder `.text`, other data in `.data`, thread-locals in `.tdata`; commons as
//!   `SHN_COMMON` with size and alignment; weak bindings; `st_other` visibility. Weak or
//!   undefined data symbols are `STT_NOTYPE` (GNU nm would print `V`/`v` for `STT_OBJECT`,
//!   llvm-nm prints `W`/`w`). Format-specific symbols (private, `llvm.*`) are not mirrored, as
//!   llvm-nm does not list them. There are no `.rodata`/`.bss` placeholders: llvm-nm prints
//!   constant and zero-initialised data as `D`, and GNU nm would print `R`/`B` for them;
//! - `.tl.summary` (`SHT_PROGBITS`, `SHF_EXCLUDE`, align 1): one record per module
//!   ([`summary_section`]);
//! - the guard: an undefined global `__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld`,
//!   referenced by an absolute relocation from every placeholder section. A native final link
//!   that keeps any placeholder fails with "undefined reference to" the guard; `ld -r` keeps
//!   the reference and the undefined symbol, so the guard survives partial links;
//! - `.note.GNU-stack` (empty: the object asks for no executable stack).

//!
//! Submodules: [`wrap`] builds a wrapped object, [`mirror`] its ELF symbols, [`records`] and
//! [`summary_section`] its `.tl.summary`, [`decompose`] takes one (or a partial link's output)
//! apart again.

pub mod decompose;
pub mod mirror;
pub mod records;
pub mod summary_section;
pub mod wrap;

pub use crate::embedded::{GUARD_SYMBOL, SUMMARY_SECTION};
pub use records::{Inspection, inspect, match_records, module_record, read_records};
pub use wrap::{elf_target, wrap};
