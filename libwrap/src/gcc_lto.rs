//! GCC's LTO symbol table, read without GCC's plugin: what GNU nm and ar show of a GCC `-flto`
//! object when they load `liblto_plugin` (binutils' `bfd/plugin.c` over GCC's
//! `lto-plugin/lto-plugin.c`).
//!
//! Format (little-endian, as the x86-64 host that wrote it):
//! - an object is an LTO object (the plugin claims it, slim or `-ffat-lto-objects`) when a
//!   section's name starts with `.gnu.lto_.symtab`; its symbols are the entries of every such
//!   section in section order, each `name NUL, comdat NUL, kind u8 (0 def, 1 weak def, 2 undef,
//!   3 weak undef, 4 common), visibility u8 (0 default, 1 protected, 2 internal, 3 hidden), size
//!   u64, slot u32`;
//! - sections named `.gnu.lto_.ext_symtab…` hold a version byte (only 1 is read), then two bytes
//!   per symbol: type (0 unknown, 1 function, 2 variable) and section kind (1 = BSS), applied by
//!   index over the symbols of all symbol tables, section after section;
//! - when the object has more than one such section (always, from GCC 11, which writes both),
//!   symbols of one name are merged: the first keeps its place and takes the data of the first
//!   strongest mention (definition or common > weak definition > reference);
//! - offload sections (`.gnu.offload_lto_*`) are not symbol tables; an object with only those
//!   is not claimed.
//!
//! What BFD makes of a symbol: value 0 and no size; a common is in a common section, an
//! undefined one in `*UND*`; a definition is in a code section, unless the extension says it is
//! a variable: then in a data section, or a no-contents one when its section kind is BSS.

use rustc_hash::FxHashMap;

use crate::bad;
use crate::elf::ElfObject;
use crate::error::PResult;

/// Name prefix of GCC's LTO symbol tables.
pub const SYMTAB_PREFIX: &[u8] = b".gnu.lto_.symtab";
/// Name prefix of their extensions.
pub const EXT_SYMTAB_PREFIX: &[u8] = b".gnu.lto_.ext_symtab";

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A definition.
    Def,
    /// A weak definition (also COMDAT members).
    WeakDef,
    /// A reference.
    Undef,
    /// A weak reference.
    WeakUndef,
    /// A common symbol.
    Common,
}

impl Kind {
    /// `symbol_strength` of the plugin: what wins when a name is mentioned twice.
    fn strength(self) -> u8 {
        match self {
            Kind::Undef | Kind::WeakUndef => 0,
            Kind::WeakDef => 1,
            Kind::Def | Kind::Common => 2,
        }
    }

    /// A definition or common (what an archive index lists).
    pub fn defines(self) -> bool {
        matches!(self, Kind::Def | Kind::WeakDef | Kind::Common)
    }
}

/// What the extension says a symbol is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SymbolType {
    /// Not said (no extension, or type 0).
    #[default]
    Unknown,
    /// A function.
    Function,
    /// A variable.
    Variable,
}

/// One symbol of a GCC LTO object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The assembler name.
    pub name: Vec<u8>,
    /// The COMDAT group, if any.
    pub comdat: Option<Vec<u8>>,
    /// Definition, reference or common.
    pub kind: Kind,
    /// ELF visibility (`STV_*`).
    pub visibility: u8,
    /// Size of a common symbol.
    pub size: u64,
    /// From the extension.
    pub symbol_type: SymbolType,
    /// The extension's section kind is BSS.
    pub bss: bool,
}

/// True when GCC's plugin claims the object (it has an LTO symbol table).
pub fn is_lto_object(obj: &ElfObject<'_>) -> bool {
    obj.sections.iter().any(|s| s.name.starts_with(SYMTAB_PREFIX))
}

/// The symbols of a GCC LTO object as the plugin gives them to BFD (see the module
/// documentation); `None` when it is not one.
pub fn symbols(obj: &ElfObject<'_>) -> PResult<Option<Vec<Symbol>>> {
    if !is_lto_object(obj) {
        return Ok(None);
    }
    let mut syms = Vec::new();
    let mut found = 0;
    for s in obj.sections.iter().filter(|s| s.name.starts_with(SYMTAB_PREFIX)) {
        found += 1;
        read_table(s.bytes_data().unwrap_or(&[]), &mut syms).map_err(|e| bad!("{}: {e}", String::from_utf8_lossy(&s.name)))?;
    }
    let mut next = 0;
    for s in obj.sections.iter().filter(|s| s.name.starts_with(EXT_SYMTAB_PREFIX)) {
        found += 1;
        next = read_extension(s.bytes_data().unwrap_or(&[]), &mut syms, next)
            .map_err(|e| bad!("{}: {e}", String::from_utf8_lossy(&s.name)))?;
    }
    if found > 1 {
        syms = resolve_conflicts(syms);
    }
    Ok(Some(syms))
}

/// `parse_table_entry` over a whole symbol table section.
fn read_table(data: &[u8], out: &mut Vec<Symbol>) -> PResult<()> {
    let mut at = 0;
    let cstr = |at: &mut usize| -> PResult<Vec<u8>> {
        let rest = &data[*at..];
        let end = rest.iter().position(|&b| b == 0).ok_or_else(|| bad!("symbol table entry at byte {at} is truncated"))?;
        *at += end + 1;
        Ok(rest[..end].to_vec())
    };
    while at < data.len() {
        let start = at;
        let name = cstr(&mut at)?;
        let comdat = cstr(&mut at)?;
        let fixed = data.get(at..at + 14).ok_or_else(|| bad!("symbol table entry at byte {start} is truncated"))?;
        at += 14;
        let kind = match fixed[0] {
            0 => Kind::Def,
            1 => Kind::WeakDef,
            2 => Kind::Undef,
            3 => Kind::WeakUndef,
            4 => Kind::Common,
            k => return Err(bad!("invalid symbol kind {k} at byte {start}")),
        };
        let visibility = match fixed[1] {
            0 => 0, // STV_DEFAULT
            1 => 3, // STV_PROTECTED
            2 => 1, // STV_INTERNAL
            3 => 2, // STV_HIDDEN
            v => return Err(bad!("invalid symbol visibility {v} at byte {start}")),
        };
        let mut size = [0u8; 8];
        size.copy_from_slice(&fixed[2..10]);
        out.push(Symbol {
            name,
            comdat: if comdat.is_empty() { None } else { Some(comdat) },
            kind,
            visibility,
            size: u64::from_le_bytes(size),
            symbol_type: SymbolType::Unknown,
            bss: false,
        });
    }
    Ok(())
}

/// `parse_symtab_extension`: applies one extension section to the symbols from `first` on;
/// returns where the next one starts.
fn read_extension(data: &[u8], syms: &mut [Symbol], first: usize) -> PResult<usize> {
    let Some((&version, entries)) = data.split_first() else { return Ok(first) };
    if version != 1 {
        return Ok(first);
    }
    let n = entries.len() / 2;
    for (i, e) in entries.chunks_exact(2).enumerate() {
        let Some(s) = syms.get_mut(first + i) else { break };
        s.symbol_type = match e[0] {
            0 => SymbolType::Unknown,
            1 => SymbolType::Function,
            2 => SymbolType::Variable,
            t => return Err(bad!("invalid symbol type {t}")),
        };
        s.bss = e[1] == 1;
    }
    Ok(first + n)
}

/// `resolve_conflicts`: one symbol per name (see the module documentation).
fn resolve_conflicts(syms: Vec<Symbol>) -> Vec<Symbol> {
    let mut out: Vec<Symbol> = Vec::with_capacity(syms.len());
    let mut at: FxHashMap<Vec<u8>, usize> = FxHashMap::default();
    for s in syms {
        match at.get(&s.name) {
            Some(&k) => {
                if out[k].kind.strength() < s.kind.strength() {
                    out[k] = s;
                }
            }
            None => {
                at.insert(s.name.clone(), out.len());
                out.push(s);
            }
        }
    }
    out
}

/// The letter GNU nm prints for a symbol (BFD's `bfd_decode_symclass` over the plugin's fake
/// sections).
pub fn letter(s: &Symbol) -> char {
    match s.kind {
        Kind::Common => 'C',
        Kind::Undef => 'U',
        Kind::WeakUndef => 'w',
        Kind::WeakDef => 'W',
        Kind::Def => match s.symbol_type {
            SymbolType::Variable if s.bss => 'B',
            SymbolType::Variable => 'D',
            _ => 'T',
        },
    }
}
