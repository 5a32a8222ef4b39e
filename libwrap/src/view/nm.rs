//! What `nm` shows for one object: its symbols as GNU nm 2.40 (through BFD) presents them, with
//! everything nm's filters, sorts and output formats need.
//!
//! ELF rules reproduced from BFD (`elfcode.h` `elf_slurp_symbol_table`, `elf.c`
//! `bfd_section_from_shdr`/`_bfd_elf_make_section_from_shdr`, `syms.c` `bfd_decode_symclass`):
//! - a symbol's section is the BFD section made for its ELF section; sections BFD makes none
//!   for (the symbol table, its string tables, relocation sections of the main symbol table in
//!   relocatable files, `.symtab_shndx`) and bad indices read as absolute;
//! - value: `st_value` (relative to the section in executables, printed with the section VMA
//!   added back, i.e. `st_value`), and `st_size` for commons;
//! - flags: local; global (defined, not common); weak; unique; section and file symbols are
//!   debugging symbols (shown only with `-a`), a section symbol with no name takes its section's;
//! - letters: common `C`; undefined `U`, weak undefined `w`/`v` (object); ifunc `i`; weak
//!   `W`/`V` (object); unique `u`; neither global nor local `?`; absolute `a`; sections named
//!   `.drectve`/`.idata` `i`, `.edata` `e`, `.pdata` `p`; code `t`; read-only data `r`; data
//!   `d`; no contents `b`; debugging `N`; read-only with contents `n`; upper case when global;
//! - dynamic symbols carry their version (`@@V` defined, `@V` hidden or needed).
//!
//! Bitcode is shown the way GNU nm shows the object's wrapped mirror (`crate::wrapped`), minus
//! the guard: llvm-nm's letters, value 0 (a common's value is its size), pointer width from the
//! target triple; format-specific symbols are added as debugging symbols.

use std::borrow::Cow;

use object::Endianness;
use object::elf;

use crate::bad;
use crate::bfd::{is_special, section_letter};
use crate::bitcode::{self, container, details};
use crate::elf::consts::*;
use crate::elf::{ElfObject, SectionData, SymbolSection};
use crate::embedded::{self, GUARD_SYMBOL};
use crate::error::PResult;
use crate::file_kind::{self, ElfKind};
use crate::gcc_lto;
use crate::wrapped::decompose::{decompose, has_native_code};
use crate::wrapped::elf_target;

/// One symbol as nm sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NmSymbol {
    /// Name.
    pub name: Vec<u8>,
    /// Version of a dynamic symbol, and whether it prints with one `@` (hidden or needed).
    pub version: Option<(Vec<u8>, bool)>,
    /// Letter.
    pub letter: char,
    /// Value (BFD's value plus section VMA; 0 for undefined symbols).
    pub value: u64,
    /// Size (`st_size`; 0 for section symbols).
    pub size: u64,
    /// ELF symbol type for sysv output (`None` for section symbols).
    pub elf_type: Option<u8>,
    /// BFD section name (`*UND*`, `*ABS*`, `*COM*` or the section's name).
    pub section: Cow<'static, [u8]>,
    /// Identity of the BFD section (for size sorting); `None` for the special sections.
    pub section_id: Option<usize>,
    /// VMA and size of that section.
    pub section_vma: u64,
    /// Size of that section.
    pub section_size: u64,
    /// Undefined.
    pub undefined: bool,
    /// Absolute.
    pub absolute: bool,
    /// Common.
    pub common: bool,
    /// BSF_GLOBAL.
    pub global: bool,
    /// BSF_WEAK.
    pub weak: bool,
    /// BSF_GNU_UNIQUE.
    pub unique: bool,
    /// BSF_DEBUGGING (section and file symbols; bitcode format-specific symbols).
    pub debugging: bool,
    /// BSF_FILE.
    pub file: bool,
    /// BSF_SECTION_SYM.
    pub section_sym: bool,
    /// An ifunc.
    pub ifunc: bool,
    /// A target-special symbol (ARM/AArch64/RISC-V mapping symbols).
    pub special: bool,
    /// Visibility (`STV_*`; for bitcode 0 default, 2 hidden, 3 protected as in ELF).
    pub visibility: u8,
    /// The bitcode module it came from (`None` for ELF symbols).
    pub module: Option<usize>,
    /// For bitcode symbols, the irsymtab's global flag: what llvm-nm `-g` keeps (asm `.weak`
    /// symbols never defined are weak undefined but not global to LLVM).
    pub ir_global: Option<bool>,
    /// A symbol of GCC's LTO symbol table, with what its extension says it is.
    pub gcc_lto: Option<gcc_lto::SymbolType>,
}

impl NmSymbol {
    /// The binding's name (`global`, `weak`, `unique`, `local`), for JSON.
    pub fn binding_name(&self) -> &'static str {
        if self.unique {
            "unique"
        } else if self.weak {
            "weak"
        } else if self.global || self.undefined || self.common {
            "global"
        } else {
            "local"
        }
    }

    /// Where the symbol was read: `elf`, `bitcode` or `gcc-lto`, for JSON.
    pub fn source_name(&self) -> &'static str {
        match (self.gcc_lto, self.module) {
            (Some(_), _) => "gcc-lto",
            (_, Some(_)) => "bitcode",
            _ => "elf",
        }
    }

    /// The visibility's name (`default`, `internal`, `hidden`, `protected`), for JSON.
    pub fn visibility_name(&self) -> &'static str {
        match self.visibility {
            STV_INTERNAL => "internal",
            STV_HIDDEN => "hidden",
            STV_PROTECTED => "protected",
            _ => "default",
        }
    }

    /// What the symbol names (`function`, `data`, `common`, `tls`, `ifunc`, `section`, `file`,
    /// `notype`, `other`), for JSON.
    pub fn kind_name(&self) -> &'static str {
        if let Some(t) = self.gcc_lto {
            return match (self.common, t) {
                (true, _) => "common",
                (_, gcc_lto::SymbolType::Function) => "function",
                (_, gcc_lto::SymbolType::Variable) => "data",
                (_, gcc_lto::SymbolType::Unknown) => "notype",
            };
        }
        match (self.common, self.elf_type) {
            (true, _) | (_, Some(STT_COMMON)) => "common",
            (_, None | Some(STT_SECTION)) => "section",
            (_, Some(STT_NOTYPE)) => "notype",
            (_, Some(STT_OBJECT)) => "data",
            (_, Some(STT_FUNC)) => "function",
            (_, Some(STT_FILE)) => "file",
            (_, Some(STT_TLS)) => "tls",
            (_, Some(STT_GNU_IFUNC)) => "ifunc",
            _ => "other",
        }
    }
}

/// An object as nm sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NmObject {
    /// 32 or 64: the value column width.
    pub width: u32,
    /// BFD's HAS_SYMS (a symbol table exists).
    pub has_syms: bool,
    /// Symbols in table order, or `None` when there are none to read (nm says "no symbols").
    pub symbols: Option<Vec<NmSymbol>>,
    /// A GCC slim LTO object.
    pub lto_slim: bool,
    /// ELF (versions apply; `--without-symbol-versions` cuts names at `@`).
    pub is_elf: bool,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// Which view of an object carrying bitcode to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitcodeChoice {
    /// Wrapped and fat-LTO objects: the bitcode; others: their ELF symbols.
    Default,
    /// Always the ELF symbol table (`--no-llvm-bc`).
    Elf,
    /// What GNU nm shows with an explicit BFD target (`--target`), which loads no plugin: GCC
    /// LTO objects through their ELF symbols; LLVM bitcode as by default.
    NoPlugin,
}

/// The view of an ELF, bitcode or wrapped object.
pub fn view(data: &[u8], dynamic: bool, choice: BitcodeChoice) -> PResult<NmObject> {
    if bitcode::is_bitcode(data) {
        return bitcode_view(data);
    }
    let obj = crate::elf::read(data)?;
    let kind = file_kind::classify(&obj);
    let choice = match (choice, kind) {
        (BitcodeChoice::NoPlugin, ElfKind::GccLtoSlim | ElfKind::GccLtoFat) => BitcodeChoice::Elf,
        (BitcodeChoice::NoPlugin, _) => BitcodeChoice::Default,
        (c, _) => c,
    };
    if !dynamic && choice == BitcodeChoice::Default && kind == ElfKind::Wrapped {
        // A wrapped object of one unit is listed through its bitcode (what llvm-nm shows); a
        // partial link's output (several units, or native code) through its mirror, which is
        // resolved across modules and native code, without the guard. When the mirror no
        // longer says what the bitcode defines: the bitcode, with a warning.
        let bc = embedded::bitcode_section(&obj).ok_or_else(|| bad!("empty bitcode section"))?;
        let mut elf = elf_view(&obj, false)?;
        if let Some(syms) = elf.symbols.as_mut() {
            syms.retain(|s| s.name != GUARD_SYMBOL);
        }
        let bitcode = bitcode_view(&container::normalize(&bc)?)?;
        return Ok(match mirror_mismatch(&bitcode, &elf) {
            None if is_linked(&obj, &bc) => elf,
            None => bitcode,
            Some(w) => NmObject { warnings: [bitcode.warnings.clone(), vec![w]].concat(), ..bitcode },
        });
    }
    if choice == BitcodeChoice::Default && matches!(kind, ElfKind::GccLtoSlim | ElfKind::GccLtoFat) {
        return gcc_lto_view(&obj, dynamic);
    }
    if !dynamic && choice == BitcodeChoice::Default && kind == ElfKind::FatLto {
        let bc = embedded::bitcode_section(&obj).ok_or_else(|| bad!("empty bitcode section"))?;
        return bitcode_view(&container::normalize(&bc)?);
    }
    elf_view(&obj, dynamic)
}

/// True for the output of a partial link: bitcode from several producers' units, or native code
/// beside the mirror.
fn is_linked(obj: &ElfObject<'_>, bc: &[u8]) -> bool {
    if container::parse(bc).is_ok_and(|c| c.units.len() > 1) {
        return true;
    }
    decompose(obj.clone()).is_ok_and(|(native, _)| has_native_code(&native))
}

/// A warning when a wrapped object's ELF symbols no longer say what its bitcode says: a global
/// the bitcode defines is not defined there, or a local it has is missing.
fn mirror_mismatch(bc: &NmObject, elf: &NmObject) -> Option<String> {
    let defined: std::collections::HashSet<&[u8]> =
        elf.symbols.iter().flatten().filter(|s| !matches!(s.letter, 'U' | 'w')).map(|s| s.name.as_slice()).collect();
    let locals: std::collections::HashSet<(char, &[u8])> =
        elf.symbols.iter().flatten().filter(|s| !s.global).map(|s| (s.letter, s.name.as_slice())).collect();
    let missing: Vec<&NmSymbol> = bc
        .symbols
        .iter()
        .flatten()
        .filter(|s| !s.debugging && !matches!(s.letter, 'U' | 'w'))
        .filter(|s| if s.global { !defined.contains(s.name.as_slice()) } else { !locals.contains(&(s.letter, s.name.as_slice())) })
        .collect();
    let first = missing.first()?;
    Some(format!(
        "the ELF symbol table disagrees with the bitcode ({} of the bitcode's symbols are missing from it, e.g. {} {}); showing the bitcode's symbols",
        missing.len(),
        first.letter,
        String::from_utf8_lossy(&first.name)
    ))
}

/// The BFD section (if any) of each model section.
fn bfd_sections(obj: &ElfObject<'_>) -> Vec<bool> {
    let relocatable = obj.e_type == ET_REL;
    obj.sections
        .iter()
        .map(|s| match (&s.data, s.sh_type) {
            (SectionData::SymbolTable | SectionData::StringTable | SectionData::SectionNames | SectionData::SymtabShndx, _) => false,
            (SectionData::Relocations { .. }, _) => {
                // Relocations of the main symbol table: not a BFD section, except alloc ones in
                // executables and shared objects.
                !relocatable && s.sh_flags & SHF_ALLOC != 0
            }
            _ => true,
        })
        .collect()
}

/// GNU nm's view of an ELF object's `.symtab` (or `.dynsym` when `dynamic`).
pub fn elf_view(obj: &ElfObject<'_>, dynamic: bool) -> PResult<NmObject> {
    let width = if obj.is_64 { 64 } else { 32 };
    let has_bfd = bfd_sections(obj);
    let has_symtab = obj.has_symbol_table();
    let dynsym_index = obj.sections.iter().position(|s| s.sh_type == SHT_DYNSYM);
    let has_syms = has_symtab || dynsym_index.is_some();
    let lto_slim = file_kind::classify(obj) == ElfKind::GccLtoSlim;
    let mut out = NmObject { width, has_syms, symbols: None, lto_slim, is_elf: true, warnings: Vec::new() };
    let raw: Vec<RawSym> = if dynamic {
        match dynsym_index {
            Some(i) => read_dynsym(obj, i)?,
            None => return Ok(out),
        }
    } else {
        obj.symbols
            .iter()
            .map(|s| RawSym {
                name: s.name.to_vec(),
                st_info: s.st_info,
                st_other: s.st_other,
                section: s.section,
                value: s.value,
                size: s.size,
                version: None,
            })
            .collect()
    };
    if raw.is_empty() {
        return Ok(out);
    }
    let mut syms = Vec::with_capacity(raw.len());
    for s in raw {
        let bind = s.st_info >> 4;
        let typ = s.st_info & 0xf;
        let (sec, section_name, section_id, vma, ssize) = match s.section {
            SymbolSection::Undefined => (None, Cow::Borrowed(&b"*UND*"[..]), None, 0, 0),
            SymbolSection::Common => (None, Cow::Borrowed(&b"*COM*"[..]), None, 0, 0),
            SymbolSection::Section(i) if has_bfd.get(i).copied().unwrap_or(false) => {
                let sec = &obj.sections[i];
                (Some(sec), Cow::Owned(sec.name.to_vec()), Some(i), sec.sh_addr, sec.size(obj.is_64))
            }
            // Absolute, reserved, or a section BFD makes no section for.
            _ => (None, Cow::Borrowed(&b"*ABS*"[..]), None, 0, 0),
        };
        let undefined = s.section == SymbolSection::Undefined;
        let common = s.section == SymbolSection::Common;
        let absolute = section_name.as_ref() == b"*ABS*";
        let global = bind == STB_GLOBAL && !undefined && !common;
        let local = bind == STB_LOCAL;
        let weak = bind == STB_WEAK;
        let unique = bind == STB_GNU_UNIQUE;
        let section_sym = typ == STT_SECTION;
        let file = typ == STT_FILE;
        let object = typ == STT_OBJECT || typ == STT_COMMON;
        let ifunc = typ == STT_GNU_IFUNC;
        let letter = if common {
            'C'
        } else if undefined {
            if weak { if object { 'v' } else { 'w' } } else { 'U' }
        } else if ifunc {
            'i'
        } else if weak {
            if object { 'V' } else { 'W' }
        } else if unique {
            'u'
        } else if !global && !local {
            '?'
        } else {
            let c = if absolute {
                'a'
            } else {
                let sec = sec.expect("defined symbol with a section");
                section_letter(sec)
            };
            if global { c.to_ascii_uppercase() } else { c }
        };
        // A section symbol without a name is named after its ELF section.
        let name = if section_sym && s.name.is_empty() {
            match s.section {
                SymbolSection::Section(i) => obj.sections[i].name.to_vec(),
                _ => Vec::new(),
            }
        } else {
            s.name
        };
        // BFD keeps value − VMA in executables and adds the VMA back for printing: st_value.
        let value = if undefined {
            0
        } else if common {
            s.size
        } else {
            s.value
        };
        syms.push(NmSymbol {
            special: is_special(obj.e_machine, &name),
            name,
            version: s.version,
            letter,
            value,
            size: if section_sym { 0 } else { s.size },
            elf_type: if section_sym { None } else { Some(typ) },
            section: section_name,
            section_id,
            section_vma: vma,
            section_size: ssize,
            undefined,
            absolute,
            common,
            global,
            weak,
            unique,
            debugging: section_sym || file,
            file,
            section_sym,
            ifunc,
            visibility: s.st_other & 3,
            module: None,
            ir_global: None,
            gcc_lto: None,
        });
    }
    out.symbols = Some(syms);
    Ok(out)
}

struct RawSym {
    name: Vec<u8>,
    st_info: u8,
    st_other: u8,
    section: SymbolSection,
    value: u64,
    size: u64,
    version: Option<(Vec<u8>, bool)>,
}

/// A NUL-terminated string at `at`.
fn cstr(d: &[u8], at: usize) -> Option<Vec<u8>> {
    let rest = d.get(at..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(rest[..end].to_vec())
}

/// A record of type `T` at byte `at` of `d`.
fn record<T: object::Pod>(d: &[u8], at: usize) -> Option<&T> {
    object::read::Bytes(d).read_at::<T>(at).ok()
}

/// Symbol versions of a dynamic object: verdef names by index, verneed names by `vna_other`.
struct Versions {
    versym: Option<Vec<u16>>,
    /// (index, flags, name)
    defs: Vec<(u16, u16, Vec<u8>)>,
    /// (vna_other, name)
    needs: Vec<(u16, Vec<u8>)>,
}

fn section_bytes<'o>(obj: &'o ElfObject<'_>, i: usize) -> &'o [u8] {
    obj.sections.get(i).and_then(|s| s.bytes_data()).unwrap_or(&[])
}

fn linked_strtab<'o>(obj: &'o ElfObject<'_>, i: usize) -> &'o [u8] {
    match obj.sections.get(i).map(|s| &s.link) {
        Some(crate::elf::Link::Section(t)) => section_bytes(obj, *t),
        _ => &[],
    }
}

fn read_versions(obj: &ElfObject<'_>) -> Versions {
    let e = if obj.big_endian { Endianness::Big } else { Endianness::Little };
    let mut v = Versions { versym: None, defs: Vec::new(), needs: Vec::new() };
    for (i, s) in obj.sections.iter().enumerate() {
        let d = section_bytes(obj, i);
        match s.sh_type {
            SHT_GNU_VERSYM => {
                let entries: &[elf::Versym<Endianness>] = object::pod::slice_from_all_bytes(&d[..d.len() & !1]).unwrap_or(&[]);
                v.versym = Some(entries.iter().map(|x| x.0.get(e).0).collect());
            }
            SHT_GNU_VERDEF => read_verdefs(d, linked_strtab(obj, i), e, &mut v.defs),
            SHT_GNU_VERNEED => read_verneeds(d, linked_strtab(obj, i), e, &mut v.needs),
            _ => {}
        }
    }
    v
}

/// The version definitions of a `.gnu.version_d`: (index, flags, name) of each (at most 4096).
fn read_verdefs(d: &[u8], strtab: &[u8], e: Endianness, out: &mut Vec<(u16, u16, Vec<u8>)>) {
    let mut at = 0usize;
    for _ in 0..4096 {
        let Some(def) = record::<elf::Verdef<Endianness>>(d, at) else { break };
        let aux = at + def.vd_aux.get(e) as usize;
        if let Some(name) = record::<elf::Verdaux<Endianness>>(d, aux).and_then(|a| cstr(strtab, a.vda_name.get(e) as usize)) {
            out.push((def.vd_ndx.get(e).0, def.vd_flags.get(e).0, name));
        }
        match def.vd_next.get(e) {
            0 => break,
            next => at += next as usize,
        }
    }
}

/// The versions a `.gnu.version_r` needs: (`vna_other`, name) of each (at most 4096 per file).
fn read_verneeds(d: &[u8], strtab: &[u8], e: Endianness, out: &mut Vec<(u16, Vec<u8>)>) {
    let mut at = 0usize;
    for _ in 0..4096 {
        let Some(need) = record::<elf::Verneed<Endianness>>(d, at) else { break };
        let mut a = at + need.vn_aux.get(e) as usize;
        for _ in 0..need.vn_cnt.get(e).min(4096) {
            let Some(aux) = record::<elf::Vernaux<Endianness>>(d, a) else { break };
            if let Some(n) = cstr(strtab, aux.vna_name.get(e) as usize) {
                out.push((aux.vna_other.get(e).0, n));
            }
            match aux.vna_next.get(e) {
                0 => break,
                next => a += next as usize,
            }
        }
        match need.vn_next.get(e) {
            0 => break,
            next => at += next as usize,
        }
    }
}

/// `_bfd_elf_get_symbol_version_string` for dynamic symbol `k` (1-based).
fn version_of(v: &Versions, k: usize, name: &[u8], undefined: bool) -> Option<(Vec<u8>, bool)> {
    let versym = v.versym.as_ref()?;
    if v.defs.is_empty() && v.needs.is_empty() {
        return None;
    }
    let raw = *versym.get(k)?;
    let mut hidden = raw & 0x8000 != 0;
    let num = raw & 0x7fff;
    let cverdefs = v.defs.iter().map(|d| d.0).max().unwrap_or(0);
    // Index 0 (local) and the base version (1, when it is not a definition of its own or is
    // flagged VER_FLG_BASE) print no version.
    let base = num == 1 && (num > cverdefs || v.defs.iter().find(|d| d.0 == 1).is_some_and(|d| d.1 & 1 != 0));
    let s: Vec<u8> = if num == 0 || base {
        Vec::new()
    } else if num <= cverdefs {
        match v.defs.iter().find(|d| d.0 == num) {
            Some(d) if d.2 != name => d.2.clone(),
            _ => Vec::new(),
        }
    } else {
        hidden = true;
        v.needs.iter().find(|n| n.0 == num).map(|n| n.1.clone()).unwrap_or_else(|| b"<corrupt>".to_vec())
    };
    if s.is_empty() { None } else { Some((s, hidden || undefined)) }
}

fn read_dynsym(obj: &ElfObject<'_>, index: usize) -> PResult<Vec<RawSym>> {
    let d = section_bytes(obj, index);
    let strtab = linked_strtab(obj, index);
    let e = if obj.big_endian { Endianness::Big } else { Endianness::Little };
    let entsize = if obj.is_64 { 24 } else { 16 };
    let versions = read_versions(obj);
    let shnum = obj.sections.len() + 1;
    let mut out = Vec::new();
    for k in 1..d.len() / entsize {
        let at = k * entsize;
        let truncated = || bad!("truncated dynamic symbol {k}");
        let (st_name, st_info, st_other, shndx, value, size) = if obj.is_64 {
            let s = record::<elf::Sym64<Endianness>>(d, at).ok_or_else(truncated)?;
            (s.st_name.get(e), s.st_info, s.st_other, s.st_shndx.get(e).0, s.st_value.get(e), s.st_size.get(e))
        } else {
            let s = record::<elf::Sym32<Endianness>>(d, at).ok_or_else(truncated)?;
            (s.st_name.get(e), s.st_info, s.st_other, s.st_shndx.get(e).0, u64::from(s.st_value.get(e)), u64::from(s.st_size.get(e)))
        };
        let name = cstr(strtab, st_name as usize).unwrap_or_else(|| b"(null)".to_vec());
        let section = match shndx {
            0 => SymbolSection::Undefined,
            0xfff1 => SymbolSection::Absolute,
            0xfff2 => SymbolSection::Common,
            s if s >= 0xff00 => SymbolSection::Reserved(s),
            s if (s as usize) < shnum => SymbolSection::Section(s as usize - 1),
            s => SymbolSection::Reserved(s),
        };
        let version = version_of(&versions, k, &name, section == SymbolSection::Undefined);
        out.push(RawSym { name, st_info: st_info.0, st_other: st_other.0, section, value, size, version });
    }
    Ok(out)
}

/// GNU nm's view of a GCC LTO object through GCC's plugin (see [`crate::gcc_lto`]): its LTO
/// symbols only, printed as BFD's plugin target prints them (values and sizes 0, 32-bit width,
/// letters from the fake sections); no dynamic symbols.
fn gcc_lto_view(obj: &ElfObject<'_>, dynamic: bool) -> PResult<NmObject> {
    let symbols = if dynamic { Vec::new() } else { gcc_lto::symbols(obj)?.unwrap_or_default() };
    let syms: Vec<NmSymbol> = symbols
        .iter()
        .map(|s| {
            let undefined = matches!(s.kind, gcc_lto::Kind::Undef | gcc_lto::Kind::WeakUndef);
            let common = s.kind == gcc_lto::Kind::Common;
            let weak = matches!(s.kind, gcc_lto::Kind::WeakDef | gcc_lto::Kind::WeakUndef);
            NmSymbol {
                name: s.name.clone(),
                version: None,
                letter: gcc_lto::letter(s),
                value: 0,
                size: 0,
                elf_type: None,
                section: Cow::Borrowed(if undefined { b"*UND*" } else { b"plug" }),
                section_id: None,
                section_vma: 0,
                section_size: 0,
                undefined,
                absolute: false,
                common,
                global: !undefined && !common && !weak,
                weak,
                unique: false,
                debugging: false,
                file: false,
                section_sym: false,
                ifunc: false,
                special: false,
                visibility: s.visibility,
                module: None,
                ir_global: None,
                gcc_lto: Some(s.symbol_type),
            }
        })
        .collect();
    Ok(NmObject {
        width: 32,
        has_syms: !syms.is_empty(),
        symbols: if syms.is_empty() { None } else { Some(syms) },
        lto_slim: false,
        is_elf: false,
        warnings: Vec::new(),
    })
}

/// GNU nm's view of (all modules of) raw bitcode: what it shows for the wrapped mirror, minus the
/// guard, plus format-specific symbols as debugging symbols.
pub(crate) fn bitcode_view(data: &[u8]) -> PResult<NmObject> {
    let c = container::parse(data)?;
    let details = details::module_details_symbols_only(&c)?;
    let mut warnings: Vec<String> = details.iter().flat_map(|d| d.symbols.warnings.clone()).collect();
    warnings.dedup();
    let width = match elf_target(&details) {
        Ok(t) => {
            if t.is_64 {
                64
            } else {
                32
            }
        }
        Err(_) => 64,
    };
    let mut syms = Vec::new();
    for (module, d) in details.into_iter().enumerate() {
        for s in d.symbols.symbols {
            use crate::bitcode::irsymtab::flag;
            let undefined = s.has(flag::UNDEFINED);
            let common = s.has(flag::COMMON) && !undefined;
            let letter = s.nm_letter();
            let (section, elf_type): (&'static [u8], u8) = if undefined {
                (b"*UND*", STT_NOTYPE)
            } else if common {
                (b"*COM*", STT_OBJECT)
            } else if s.has(flag::EXECUTABLE) {
                (b".text", STT_FUNC)
            } else if s.has(flag::TLS) {
                (b".tdata", STT_TLS)
            } else if s.has(flag::WEAK) {
                (b".data", STT_NOTYPE)
            } else {
                (b".data", STT_OBJECT)
            };
            let size = if common { s.common_size.unwrap_or(0) } else { 0 };
            syms.push(NmSymbol {
                version: None,
                letter,
                value: size,
                size,
                elf_type: Some(elf_type),
                section: Cow::Borrowed(section),
                section_id: None,
                section_vma: 0,
                section_size: 0,
                undefined,
                absolute: false,
                common,
                global: s.has(flag::GLOBAL) && !undefined && !common && !s.has(flag::WEAK),
                weak: s.has(flag::WEAK),
                unique: false,
                debugging: s.format_specific(),
                file: false,
                section_sym: false,
                ifunc: false,
                special: false,
                visibility: s.elf_visibility(),
                module: Some(module),
                ir_global: Some(s.has(flag::GLOBAL)),
                gcc_lto: None,
                name: s.name,
            });
        }
    }
    Ok(NmObject {
        width,
        has_syms: true,
        symbols: if syms.is_empty() { None } else { Some(syms) },
        lto_slim: false,
        is_elf: false,
        warnings,
    })
}
