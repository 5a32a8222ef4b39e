//! The mirror: the ELF symbols that stand for a wrapped object's bitcode symbols (see
//! [`crate::wrapped`] for what goes where), and the placeholder sections and guard relocations
//! that hold them.

use std::borrow::Cow;

use crate::bad;
use crate::bitcode::details::ModuleDetails;
use crate::bitcode::irsymtab::flag;
use crate::bitcode::symtab::IrSym;
use crate::elf::consts::*;
use crate::elf::target::{self, ElfTarget};
use crate::elf::{ElfObject, Info, Link, Reloc, Section, SectionData, Symbol as ElfSymbol, SymbolSection};
use crate::embedded::GUARD_SYMBOL;
use crate::error::PResult;
use crate::resolve::{Origin, State, Table};

/// Placeholder sections of a wrapped object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placeholder {
    /// `.text`: functions.
    Text,
    /// `.data`: other definitions.
    Data,
    /// `.tdata`: thread-locals.
    Tdata,
}

/// The mirror of a buffer's modules, resolved across them as a partial link resolves them (see
/// [`crate::resolve`]): every local symbol, then one symbol per global name (its winning
/// definition, its merged common, or one undefined symbol, weak only if every reference is).
pub(crate) fn resolved_mirror(details: &[ModuleDetails]) -> Vec<(ElfSymbol<'static>, Option<Placeholder>)> {
    let mut table = Table::default();
    for (m, d) in details.iter().enumerate() {
        table.add_bitcode(0, m, &d.symbols.symbols);
    }
    let mut out = Vec::new();
    for s in details.iter().flat_map(|d| d.symbols.symbols.iter()) {
        if !s.has(flag::GLOBAL) && !s.format_specific() {
            out.push(mirror_symbol(s));
        }
    }
    for g in &table.globals {
        let Origin::Bitcode { module, symbol, .. } = g.origin else { continue };
        let s = &details[module].symbols.symbols[symbol];
        let (mut sym, placeholder) = mirror_symbol(s);
        match g.state {
            State::Undefined => {
                let binding = if g.strong_ref { STB_GLOBAL } else { STB_WEAK };
                sym.st_info = (binding << 4) | (sym.st_info & 0xf);
                sym.section = SymbolSection::Undefined;
            }
            State::Common { size, align } => {
                sym.size = size;
                sym.value = align;
            }
            State::Defined { .. } => {}
        }
        sym.st_other = (sym.st_other & !3) | g.visibility;
        out.push((sym, placeholder));
    }
    out
}

/// The mirror of a bitcode symbol: the ELF symbol (in no section yet) and the placeholder its
/// definition goes to (`None` for undefined and common symbols, which need none).
pub(crate) fn mirror_symbol(s: &IrSym) -> (ElfSymbol<'static>, Option<Placeholder>) {
    let global = s.has(flag::GLOBAL);
    let weak = s.has(flag::WEAK);
    let binding = if !global {
        STB_LOCAL
    } else if weak {
        STB_WEAK
    } else {
        STB_GLOBAL
    };
    let placeholder = if s.has(flag::UNDEFINED) || s.has(flag::COMMON) {
        None
    } else if s.has(flag::EXECUTABLE) {
        Some(Placeholder::Text)
    } else if s.has(flag::TLS) {
        Some(Placeholder::Tdata)
    } else {
        Some(Placeholder::Data)
    };
    let typ = match placeholder {
        _ if s.has(flag::COMMON) => STT_OBJECT,
        Some(Placeholder::Text) => STT_FUNC,
        Some(Placeholder::Tdata) => STT_TLS,
        Some(Placeholder::Data) if !weak => STT_OBJECT,
        _ => STT_NOTYPE,
    };
    let (section, value, size) = if s.has(flag::COMMON) {
        (SymbolSection::Common, u64::from(s.common_align.unwrap_or(1).max(1)), s.common_size.unwrap_or(0))
    } else {
        (SymbolSection::Undefined, 0, 0)
    };
    let symbol =
        ElfSymbol { name: Cow::Owned(s.name.clone()), st_info: (binding << 4) | typ, st_other: s.elf_visibility(), section, value, size };
    (symbol, placeholder)
}

/// Adds the placeholder sections the `placed` symbols (model index, placeholder) need (a `.text`
/// always, so the guard is referenced), defines those symbols there, and adds the guard with
/// one absolute relocation from each placeholder.
pub(crate) fn place_mirror(obj: &mut ElfObject<'_>, t: ElfTarget, placed: &[(usize, Placeholder)]) -> PResult<()> {
    let (r_type, width, rela) =
        target::abs_reloc(t.e_machine, t.is_64).ok_or_else(|| bad!("no absolute relocation known for machine {}", t.e_machine))?;
    let mut sections: Vec<(Placeholder, usize)> = Vec::new();
    for p in [Placeholder::Text, Placeholder::Data, Placeholder::Tdata] {
        if p != Placeholder::Text && !placed.iter().any(|(_, q)| *q == p) {
            continue;
        }
        let (name, flags): (&[u8], u64) = match p {
            Placeholder::Text => (b".text", SHF_ALLOC | SHF_EXECINSTR),
            Placeholder::Data => (b".data", SHF_ALLOC | SHF_WRITE),
            Placeholder::Tdata => (b".tdata", SHF_ALLOC | SHF_WRITE | SHF_TLS),
        };
        let idx = obj.add_section(Section::bytes(name, SHT_PROGBITS, flags, width, Cow::Owned(vec![0; width as usize])));
        sections.push((p, idx));
    }
    for &(j, p) in placed {
        if let Some(&(_, idx)) = sections.iter().find(|(q, _)| *q == p) {
            let s = &mut obj.symbols[j];
            s.section = SymbolSection::Section(idx);
            s.value = 0;
            s.size = 0;
        }
    }
    let guard = obj.add_symbol(ElfSymbol {
        name: Cow::Borrowed(GUARD_SYMBOL),
        st_info: (STB_GLOBAL << 4) | STT_NOTYPE,
        st_other: STV_DEFAULT,
        section: SymbolSection::Undefined,
        value: 0,
        size: 0,
    });
    for (_, idx) in sections {
        let rname = [if rela { &b".rela"[..] } else { &b".rel"[..] }, obj.sections[idx].name.as_ref()].concat();
        obj.add_section(Section {
            name: Cow::Owned(rname),
            sh_type: if rela { SHT_RELA } else { SHT_REL },
            sh_flags: SHF_INFO_LINK,
            sh_addr: 0,
            lma: None,
            sh_addralign: if t.is_64 { 8 } else { 4 },
            sh_entsize: 0,
            link: Link::Symtab,
            info: Info::Section(idx),
            data: SectionData::Relocations { rela, relocs: vec![Reloc { offset: 0, symbol: Some(guard), r_type, addend: 0 }] },
        });
    }
    Ok(())
}
