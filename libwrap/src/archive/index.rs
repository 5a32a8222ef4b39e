//! The archive symbol index: which names a member contributes, by libwrap's rules for every
//! member kind it reads.
//!
//! - ELF: defined symbols that are global, weak or unique, and commons (GNU ar's rule,
//!   `_bfd_compute_and_write_armap`), in symbol-table order; wrapped objects are indexed through
//!   their mirrored symbols;
//! - GCC LTO objects (slim or fat): the definitions and commons of GCC's LTO symbol table, in
//!   its order (what GNU ar indexes with GCC's plugin, see [`crate::gcc_lto`]);
//! - raw bitcode: every module's symbols that are global, defined and not format-specific
//!   (llvm-ar's rule, which GNU ar with a matching LLVMgold plugin also follows), in irsymtab
//!   order;
//! - anything else contributes no symbols.
//!

use crate::bitcode;
use crate::bitcode::irsymtab::flag;
use crate::elf::SymbolSection;
use crate::elf::consts::*;

/// What a member contributes to the index.
pub(crate) struct MemberSymbols {
    /// Names, in index order.
    pub(crate) names: Vec<Vec<u8>>,
    /// Why the list may be incomplete (bitcode with module asm and no irsymtab, GCC LTO).
    pub(crate) warnings: Vec<String>,
}

/// The symbols a member contributes to the index, by libwrap's rules (see the module docs);
/// `None` when the member is not an object.
pub(crate) fn index_symbols(buf: &[u8]) -> Option<MemberSymbols> {
    if crate::elf::read::is_elf(buf) {
        let obj = crate::elf::read(buf).ok()?;
        let mut warnings = Vec::new();
        match crate::gcc_lto::symbols(&obj) {
            // GNU ar with GCC's plugin: the LTO symbols that define something, in table order.
            Ok(Some(syms)) => {
                let names = syms.into_iter().filter(|s| s.kind.defines()).map(|s| s.name).collect();
                return Some(MemberSymbols { names, warnings });
            }
            Ok(None) => {}
            Err(e) => warnings.push(format!("cannot read its GCC LTO symbol table ({e}); indexed by its ELF symbols")),
        }
        let names = obj
            .symbols
            .iter()
            .filter(|s| {
                let bind = s.binding();
                match s.section {
                    SymbolSection::Undefined => false,
                    SymbolSection::Common => bind != STB_LOCAL,
                    _ => matches!(bind, STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE) && s.kind() != STT_SECTION,
                }
            })
            .map(|s| s.name.to_vec())
            .collect::<Vec<_>>();
        return Some(MemberSymbols { names, warnings });
    }
    if bitcode::is_bitcode(buf) {
        let c = bitcode::parse(buf).ok()?;
        let mut out = MemberSymbols { names: Vec::new(), warnings: Vec::new() };
        for m in &c.modules {
            let ms = bitcode::symtab::read(m).ok()?;
            for s in &ms.symbols {
                if s.has(flag::GLOBAL) && !s.has(flag::UNDEFINED) && !s.has(flag::FORMAT_SPECIFIC) {
                    out.names.push(s.name.clone());
                }
            }
            out.warnings.extend(ms.warnings.into_iter().map(|w| w.replace("are not listed", "are not indexed")));
        }
        return Some(out);
    }
    None
}
