//! The symbols of a bitcode module, as LLVM's `ModuleSymbolTable`/irsymtab see them.
//!
//! Source of truth, in order: the irsymtab covering the module (see `container`), else the
//! module's records (the fallback for `llvm-as` output without a datalayout, `llvm-cat` output
//! and `-b` extracts). The fallback computes the same flags LLVM does:
//! - undefined: a declaration or `available_externally`;
//! - weak: linkonce*, weak*, extern_weak; common: common linkage; global: not internal/private;
//! - format-specific (hidden by nm unless asked): private, names starting `llvm.`, variables in
//!   section `llvm.metadata`;
//! - executable: the (aliasee's) object is a function or ifunc;
//! - names are mangled like LLVM's Mangler for the datalayout's mangling mode (`m:e` private
//!   prefix `.L`, `m:o` global prefix `_` and private `L`, no mode: no prefix), a leading
//!   `\x01` suppressing any prefix.
//!
//! Symbols of module-level inline asm come from `asm_symbols` (x86 AT&T and plain directives);
//! for asm it cannot read, the fallback says in a warning that they are not listed.

use crate::bad;
use crate::bitcode::asm_symbols;
use crate::bitcode::container::ModuleUnit;
use crate::bitcode::irsymtab::{self, Decoded, flag};
use crate::bitcode::module::{self, GlobalKind, Linkage, ModuleInfo, ReadOptions};
use crate::elf::consts::{STV_DEFAULT, STV_HIDDEN, STV_PROTECTED};
use crate::error::PResult;

/// One symbol of a bitcode module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrSym {
    /// Mangled (linker) name.
    pub name: Vec<u8>,
    /// IR name (empty for asm symbols).
    pub(crate) ir_name: Vec<u8>,
    /// irsymtab flag bits (see [`irsymtab::flag`]), computed the same way in the fallback.
    pub flags: u32,
    /// Comdat name.
    pub(crate) comdat: Option<Vec<u8>>,
    /// Size of a common symbol, when known.
    pub common_size: Option<u64>,
    /// Alignment of a common symbol, when known.
    pub common_align: Option<u32>,
    /// Explicit section.
    pub(crate) section: Option<Vec<u8>>,
    /// Record kind, when the module records were read.
    pub(crate) kind: Option<GlobalKind>,
    /// Linkage, when the module records were read.
    pub(crate) linkage: Option<Linkage>,
}

impl IrSym {
    /// True if flag `bit` is set.
    pub fn has(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }

    /// The letter `llvm-nm` prints (`U w W C t T d D`).
    pub fn nm_letter(&self) -> char {
        letter(self.flags)
    }

    /// Hidden by nm unless `--debug-syms`.
    pub fn format_specific(&self) -> bool {
        self.has(flag::FORMAT_SPECIFIC)
    }

    /// The ELF visibility (`STV_*`) of the irsymtab's visibility bits (0 default, 1 hidden,
    /// 2 protected).
    pub(crate) fn elf_visibility(&self) -> u8 {
        match self.flags & flag::VISIBILITY_MASK {
            1 => STV_HIDDEN,
            2 => STV_PROTECTED,
            _ => STV_DEFAULT,
        }
    }
}

/// llvm-nm's letter for irsymtab flags.
pub(crate) fn letter(flags: u32) -> char {
    let has = |b| flags & b != 0;
    if has(flag::UNDEFINED) {
        return if has(flag::WEAK) { 'w' } else { 'U' };
    }
    if has(flag::WEAK) {
        return 'W';
    }
    if has(flag::COMMON) {
        return 'C';
    }
    let c = if has(flag::EXECUTABLE) { 't' } else { 'd' };
    if has(flag::GLOBAL) { c.to_ascii_uppercase() } else { c }
}

/// A module's symbols and any warnings.
#[derive(Clone, Debug)]
pub struct ModuleSymbols {
    /// Symbols in LLVM's order (functions, variables, aliases, ifuncs, asm symbols).
    pub symbols: Vec<IrSym>,
    /// Target triple.
    pub(crate) triple: String,
    /// Problems worth telling the user (never fatal).
    pub warnings: Vec<String>,
}

/// Reads a module's symbols (irsymtab if it covers the module, else the records).
pub fn read(m: &ModuleUnit<'_>) -> PResult<ModuleSymbols> {
    let mut warnings = Vec::new();
    if let Some(st) = &m.symtab {
        match st.strtab {
            None => warnings.push("SYMTAB without a string table; read the module records".into()),
            Some(strtab) => match irsymtab::decode(st.blob, strtab)? {
                Decoded::Table(t) => return Ok(from_irsymtab(t, st.index)),
                Decoded::UnknownVersion(v) => warnings.push(format!("irsymtab version {v} is unknown; read the module records")),
            },
        }
    }
    let info = module::read_module(m, ReadOptions { constants: true, ..ReadOptions::default() })?;
    let mut out = from_records(&info)?;
    out.warnings.splice(0..0, warnings);
    Ok(out)
}

fn from_irsymtab(mut t: irsymtab::IrSymtab, index: usize) -> ModuleSymbols {
    let range = t.modules.get(index).map_or(0..0, |m| m.begin as usize..m.end as usize);
    let comdats = std::mem::take(&mut t.comdats);
    let symbols = t
        .symbols
        .drain(range)
        .map(|s| {
            let common = s.has(flag::COMMON);
            let (common_size, common_align, section) = match s.uncommon {
                Some(u) => {
                    (common.then_some(u.common_size), common.then_some(u.common_align), Some(u.section_name).filter(|n| !n.is_empty()))
                }
                None => (None, None, None),
            };
            IrSym {
                name: s.name,
                ir_name: s.ir_name,
                flags: s.flags,
                comdat: s.comdat.and_then(|c| comdats.get(c as usize)).map(|c| c.name.clone()),
                common_size,
                common_align,
                section,
                kind: None,
                linkage: None,
            }
        })
        .collect();
    ModuleSymbols { symbols, triple: String::from_utf8_lossy(&t.target_triple).into_owned(), warnings: Vec::new() }
}

/// Name prefixes of a datalayout mangling mode: (private prefix, global prefix).
pub(crate) fn mangling_prefixes(datalayout: &str) -> (&'static str, &'static str) {
    let mode = datalayout.split('-').find_map(|c| c.strip_prefix("m:")).unwrap_or("");
    match mode {
        "e" => (".L", ""),
        "o" => ("L", "_"),
        "x" => ("L", "_"),
        "w" => (".L", ""),
        "m" => ("$", ""),
        "a" => ("L..", ""),
        "l" => ("L#", ""),
        _ => ("", ""),
    }
}

/// The linker name LLVM's Mangler gives an IR name.
pub(crate) fn mangle(name: &[u8], private: bool, datalayout: &str) -> Vec<u8> {
    if let Some(raw) = name.strip_prefix(b"\x01") {
        return raw.to_vec();
    }
    let (private_prefix, global_prefix) = mangling_prefixes(datalayout);
    let mut out = Vec::with_capacity(name.len() + 4);
    if private {
        out.extend_from_slice(private_prefix.as_bytes());
    }
    out.extend_from_slice(global_prefix.as_bytes());
    out.extend_from_slice(name);
    out
}

/// The symbols LLVM would list for a module, computed from its records.
pub(crate) fn from_records(info: &ModuleInfo) -> PResult<ModuleSymbols> {
    let mut warnings = Vec::new();
    let order = [GlobalKind::Function, GlobalKind::Variable, GlobalKind::Alias, GlobalKind::Ifunc];
    let mut symbols = Vec::with_capacity(info.globals.len());
    let mut anon = 0u32;
    for kind in order {
        for (id, g) in info.globals.iter().enumerate().filter(|(_, g)| g.kind == kind) {
            let mut flags = u32::from(g.visibility) & flag::VISIBILITY_MASK;
            let undefined = g.is_declaration || g.linkage == Linkage::AvailableExternally;
            if undefined {
                flags |= flag::UNDEFINED;
            }
            if g.linkage.is_weak_for_linker() {
                flags |= flag::WEAK;
            }
            if g.linkage == Linkage::Common {
                flags |= flag::COMMON;
            }
            if g.kind == GlobalKind::Alias {
                flags |= flag::INDIRECT;
            }
            if g.thread_local != 0 {
                flags |= flag::TLS;
            }
            if !g.linkage.is_local() {
                flags |= flag::GLOBAL;
            }
            if g.unnamed_addr == 1 {
                flags |= flag::UNNAMED_ADDR;
            }
            let section = match g.section {
                0 => None,
                k => Some(
                    info.section_names
                        .get(k as usize - 1)
                        .cloned()
                        .ok_or_else(|| bad!("global names section {k} of {}", info.section_names.len()))?,
                ),
            };
            if g.linkage == Linkage::Private
                || g.name.starts_with(b"llvm.")
                || (g.kind == GlobalKind::Variable && section.as_deref() == Some(b"llvm.metadata"))
            {
                flags |= flag::FORMAT_SPECIFIC;
            }
            let base = match g.kind {
                GlobalKind::Alias => g.target.and_then(|t| info.base_object(t)),
                _ => Some(id),
            };
            if let Some(b) = base
                && matches!(info.globals[b].kind, GlobalKind::Function | GlobalKind::Ifunc)
            {
                flags |= flag::EXECUTABLE;
            }
            let ir_name = if g.name.is_empty() {
                anon += 1;
                format!("__unnamed_{anon}").into_bytes()
            } else {
                g.name.clone()
            };
            let comdat = match g.comdat {
                0 => None,
                k => Some(
                    info.comdats
                        .get(k as usize - 1)
                        .map(|c| c.name.clone())
                        .ok_or_else(|| bad!("global names comdat {k} of {}", info.comdats.len()))?,
                ),
            };
            let common = g.linkage == Linkage::Common;
            symbols.push(IrSym {
                name: mangle(&ir_name, g.linkage == Linkage::Private, &info.datalayout),
                ir_name: g.name.clone(),
                flags,
                comdat,
                common_size: None,
                common_align: if common && g.alignment > 0 { Some(1u32 << (g.alignment - 1).min(31)) } else { None },
                section,
                kind: Some(g.kind),
                linkage: Some(g.linkage),
            });
        }
    }
    if !info.asm.trim().is_empty() {
        let ir = |name: &[u8]| symbols.iter().find(|s| s.name == name).map(|s| s.flags);
        match asm_symbols::read(&info.asm, &info.triple, &ir) {
            Some(asm) => symbols.extend(asm.into_iter().map(|(name, flags)| IrSym {
                name,
                ir_name: Vec::new(),
                flags,
                comdat: None,
                common_size: None,
                common_align: None,
                section: None,
                kind: None,
                linkage: None,
            })),
            None => warnings.push(
                "module has inline asm tl cannot read (not x86 AT&T, or macros, conditionals, includes) and no symbol table; \
                 symbols defined in the asm are not listed"
                    .to_string(),
            ),
        }
    }
    Ok(ModuleSymbols { symbols, triple: info.triple.clone(), warnings })
}
