//! One symbol model over ELF and bitcode.
//!
//! Letters follow the rules of the tool each view imitates:
//! - ELF symbols: GNU nm's (`bfd_decode_symclass` over the BFD section flags an ELF section gets:
//!   common `C`; undefined `U`, weak undefined `w` (`v` for objects); ifunc `i`; weak defined
//!   `W` (`V` for objects); unique `u`; absolute `a`; code `t`; read-only data `r`; data `d`;
//!   no contents `b`; debugging `N`; read-only non-allocated `n`; upper case when global);
//! - bitcode symbols: llvm-nm's (`U`/`w`, `W`, `C`, `t`/`d`, upper case when global; never
//!   `b`, `r`, `i` or `V`; format-specific symbols are hidden unless asked for).

use crate::bitcode::irsymtab::flag;
use crate::bitcode::module::GlobalKind;
use crate::bitcode::symbols::{IrSym, ModuleSymbols};
use crate::elf::consts::*;
use crate::elf::{ElfObject, SymbolSection};

/// What a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// No type.
    NoType,
    /// Code.
    Function,
    /// Data.
    Data,
    /// Thread-local data.
    Tls,
    /// A common symbol.
    Common,
    /// An indirect function (ifunc).
    Ifunc,
    /// An alias (bitcode).
    Alias,
    /// A section symbol.
    Section,
    /// A file symbol.
    File,
    /// Another ELF type.
    Other,
}

impl Kind {
    /// Lower-case name, for JSON and summaries.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NoType => "notype",
            Kind::Function => "function",
            Kind::Data => "data",
            Kind::Tls => "tls",
            Kind::Common => "common",
            Kind::Ifunc => "ifunc",
            Kind::Alias => "alias",
            Kind::Section => "section",
            Kind::File => "file",
            Kind::Other => "other",
        }
    }
}

/// Symbol binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Binding {
    /// Local.
    Local,
    /// Global.
    Global,
    /// Weak.
    Weak,
    /// GNU unique.
    Unique,
}

impl Binding {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Binding::Local => "local",
            Binding::Global => "global",
            Binding::Weak => "weak",
            Binding::Unique => "unique",
        }
    }
}

/// Symbol visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Default.
    Default,
    /// Internal.
    Internal,
    /// Hidden.
    Hidden,
    /// Protected.
    Protected,
}

impl Visibility {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Visibility::Default => "default",
            Visibility::Internal => "internal",
            Visibility::Hidden => "hidden",
            Visibility::Protected => "protected",
        }
    }

    /// From ELF `st_other`.
    pub fn from_elf(st_other: u8) -> Visibility {
        match st_other & 3 {
            STV_INTERNAL => Visibility::Internal,
            STV_HIDDEN => Visibility::Hidden,
            STV_PROTECTED => Visibility::Protected,
            _ => Visibility::Default,
        }
    }
}

/// Where a symbol came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// An ELF symbol table (index in the model).
    Elf {
        /// Model index of the symbol.
        index: usize,
    },
    /// A bitcode module.
    Bitcode {
        /// Module index in its container.
        module: usize,
    },
}

/// A symbol, from either world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Linker name.
    pub name: Vec<u8>,
    /// Kind.
    pub kind: Kind,
    /// Binding.
    pub binding: Binding,
    /// Visibility.
    pub visibility: Visibility,
    /// Defined here (commons count as defined).
    pub defined: bool,
    /// Value (ELF only).
    pub value: Option<u64>,
    /// Size, when known.
    pub size: Option<u64>,
    /// Alignment, when known (commons).
    pub align: Option<u64>,
    /// Comdat / group signature.
    pub comdat: Option<Vec<u8>>,
    /// Section name.
    pub section: Option<Vec<u8>>,
    /// The nm letter (see the module docs).
    pub letter: char,
    /// Shown by nm only with `--debug-syms` (ELF section/file symbols, bitcode format-specific).
    pub debug: bool,
    /// Source.
    pub origin: Origin,
}

/// The symbols of an ELF object (its `.symtab`), with GNU nm letters.
pub fn from_elf(obj: &ElfObject<'_>) -> Vec<Symbol> {
    obj.symbols
        .iter()
        .enumerate()
        .map(|(index, s)| {
            let bind = s.binding();
            let typ = s.kind();
            let binding = match bind {
                STB_LOCAL => Binding::Local,
                STB_WEAK => Binding::Weak,
                STB_GNU_UNIQUE => Binding::Unique,
                _ => Binding::Global,
            };
            let section = match s.section {
                SymbolSection::Section(i) => obj.sections.get(i),
                _ => None,
            };
            let kind = match (typ, s.section) {
                (_, SymbolSection::Common) | (STT_COMMON, _) => Kind::Common,
                (STT_NOTYPE, _) => Kind::NoType,
                (STT_FUNC, _) => Kind::Function,
                (STT_OBJECT, _) => Kind::Data,
                (STT_TLS, _) => Kind::Tls,
                (STT_GNU_IFUNC, _) => Kind::Ifunc,
                (STT_SECTION, _) => Kind::Section,
                (STT_FILE, _) => Kind::File,
                _ => Kind::Other,
            };
            let global = matches!(bind, STB_GLOBAL | STB_GNU_UNIQUE);
            let letter = match s.section {
                SymbolSection::Common => 'C',
                SymbolSection::Undefined if bind == STB_WEAK => {
                    if typ == STT_OBJECT {
                        'v'
                    } else {
                        'w'
                    }
                }
                SymbolSection::Undefined => 'U',
                _ if typ == STT_GNU_IFUNC => 'i',
                _ if bind == STB_WEAK => {
                    if typ == STT_OBJECT {
                        'V'
                    } else {
                        'W'
                    }
                }
                _ if bind == STB_GNU_UNIQUE => 'u',
                SymbolSection::Absolute => {
                    if global {
                        'A'
                    } else {
                        'a'
                    }
                }
                SymbolSection::Reserved(_) => '?',
                SymbolSection::Section(_) => {
                    let c = section.map(crate::nmview::section_letter).unwrap_or('?');
                    if global { c.to_ascii_uppercase() } else { c }
                }
            };
            Symbol {
                name: s.name.to_vec(),
                kind,
                binding,
                visibility: Visibility::from_elf(s.st_other),
                defined: s.section != SymbolSection::Undefined,
                value: Some(s.value),
                size: Some(s.size),
                align: if s.section == SymbolSection::Common { Some(s.value) } else { None },
                comdat: None,
                section: section.map(|sec| sec.name.to_vec()),
                letter,
                debug: matches!(typ, STT_SECTION | STT_FILE),
                origin: Origin::Elf { index },
            }
        })
        .collect()
}

/// Converts one bitcode symbol.
pub fn from_ir(s: &IrSym, module: usize) -> Symbol {
    let kind = if s.has(flag::COMMON) {
        Kind::Common
    } else if s.kind == Some(GlobalKind::Ifunc) {
        Kind::Ifunc
    } else if s.has(flag::INDIRECT) {
        Kind::Alias
    } else if s.has(flag::TLS) {
        Kind::Tls
    } else if s.has(flag::EXECUTABLE) {
        Kind::Function
    } else {
        Kind::Data
    };
    let binding = if !s.has(flag::GLOBAL) {
        Binding::Local
    } else if s.has(flag::WEAK) {
        Binding::Weak
    } else {
        Binding::Global
    };
    let visibility = match s.flags & flag::VISIBILITY_MASK {
        1 => Visibility::Hidden,
        2 => Visibility::Protected,
        _ => Visibility::Default,
    };
    Symbol {
        name: s.name.clone(),
        kind,
        binding,
        visibility,
        defined: !s.has(flag::UNDEFINED),
        value: None,
        size: s.common_size,
        align: s.common_align.map(u64::from),
        comdat: s.comdat.clone(),
        section: s.section.clone(),
        letter: s.nm_letter(),
        debug: s.format_specific(),
        origin: Origin::Bitcode { module },
    }
}

/// Converts a module's symbols.
pub fn from_module(ms: &ModuleSymbols, module: usize) -> Vec<Symbol> {
    ms.symbols.iter().map(|s| from_ir(s, module)).collect()
}
