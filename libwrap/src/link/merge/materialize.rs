//! Pass: the output model. Group sections first (their members renumbered), then each output
//! section followed by its relocation section; every symbol's place becomes a model index.

use std::borrow::Cow;

use super::sections::{Layout, OutSection, ScriptSymbol};
use super::symbols::{Mapper, Place, SymbolList};
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, Link, Section, SectionData, SymbolSection};
use crate::link::load::Object;

/// Where each output section lands in the model, and its relocation section.
struct Indices {
    section: Vec<usize>,
    relocations: Vec<Option<usize>>,
}

/// Model indices: groups come first, then each section and (when it has any) its relocations.
fn indices(layout: &Layout) -> Indices {
    let mut next = layout.groups.len();
    let mut section = vec![0usize; layout.sections.len()];
    let mut relocations = vec![None; layout.sections.len()];
    for (i, s) in layout.sections.iter().enumerate() {
        section[i] = next;
        next += 1;
        if !s.relocs.is_empty() {
            relocations[i] = Some(next);
            next += 1;
        }
    }
    Indices { section, relocations }
}

/// Puts the layout and the symbols into `obj` (see the module documentation).
pub(super) fn write<'a>(
    obj: &mut ElfObject<'a>,
    objects: &[Object<'a>],
    mut layout: Layout,
    mut list: SymbolList<'a>,
    mapper: &Mapper<'_, 'a>,
) {
    let ix = indices(&layout);
    let script_symbols = std::mem::take(&mut layout.script_symbols);
    let gone = discarded_globals(objects, &layout, mapper);
    for &(oi, k) in &layout.groups {
        obj.add_section(group_section(objects, &layout, &ix, mapper, oi, k));
    }
    let is_64 = obj.is_64;
    for (i, s) in layout.sections.into_iter().enumerate() {
        add_section(obj, s, &ix, i, is_64);
    }
    for (sym, place) in list.symbols.iter_mut().zip(&list.places) {
        match place {
            Some(Place::Out(out)) => sym.section = SymbolSection::Section(ix.section[*out]),
            Some(Place::Group(g)) => sym.section = SymbolSection::Section(*g),
            None => {}
        }
    }
    obj.symbols = list.symbols;
    for s in script_symbols {
        define_script_symbol(obj, s, &ix);
    }
    drop_discarded(obj, &gone);
}

/// The output symbols of globals defined in sections a script's `/DISCARD/` took.
fn discarded_globals(objects: &[Object<'_>], layout: &Layout, mapper: &Mapper<'_, '_>) -> Vec<usize> {
    let mut gone = Vec::new();
    for &(oi, k) in &layout.discarded {
        let Some(elf) = &objects[oi].elf else { continue };
        for (j, s) in elf.symbols.iter().enumerate() {
            if s.binding() != STB_LOCAL
                && s.section == SymbolSection::Section(k)
                && let Some((out, _)) = mapper.map(&layout.placement, oi, j)
            {
                gone.push(out);
            }
        }
    }
    gone
}

/// Removes the symbols in `gone` (GNU ld writes no symbol for a definition it discarded): the
/// relocations of debugging sections against them are deleted, other relocations (those GNU
/// does not refuse: `.eh_frame`'s) become `R_*_NONE` against symbol 0.
fn drop_discarded(obj: &mut ElfObject<'_>, gone: &[usize]) {
    if gone.is_empty() {
        return;
    }
    let mut keep = vec![true; obj.symbols.len()];
    gone.iter().for_each(|&j| keep[j] = obj.symbols[j].section != SymbolSection::Undefined);
    let debugging: Vec<bool> = obj.sections.iter().map(|s| crate::bfd::is_debugging_section(&s.name, s.sh_type, s.sh_flags)).collect();
    for s in &mut obj.sections {
        let (SectionData::Relocations { relocs, .. }, Info::Section(t)) = (&mut s.data, &s.info) else { continue };
        let dropped = |r: &crate::elf::Reloc| r.symbol.is_some_and(|j| !keep[j]);
        if debugging[*t] {
            relocs.retain(|r| !dropped(r));
        } else {
            for r in relocs.iter_mut().filter(|r| dropped(r)) {
                (r.symbol, r.r_type, r.addend) = (None, 0, 0);
            }
        }
    }
    let sections = vec![true; obj.sections.len()];
    obj.retain(&sections, &keep);
}

/// Defines a symbol a linker script assigns: an undefined reference becomes the definition,
/// an input's definition is replaced (unless `PROVIDE`), else a new global is added (unless
/// `PROVIDE`: only what is referenced).
fn define_script_symbol(obj: &mut ElfObject<'_>, s: ScriptSymbol, ix: &Indices) {
    let section = s.section.map_or(SymbolSection::Absolute, |out| SymbolSection::Section(ix.section[out]));
    let other = if s.hidden { STV_HIDDEN } else { 0 };
    match obj.symbols.iter().position(|x| x.name.as_ref() == s.name.as_slice() && x.binding() != STB_LOCAL) {
        Some(j) => {
            let x = &mut obj.symbols[j];
            if s.provide && x.section != SymbolSection::Undefined {
                return;
            }
            if x.section == SymbolSection::Undefined {
                x.st_info = (STB_GLOBAL << 4) | STT_NOTYPE;
            }
            (x.section, x.value, x.size) = (section, s.value, 0);
            x.st_other = (x.st_other & !3) | other;
        }
        None if s.provide => {}
        None => obj.symbols.push(crate::elf::Symbol {
            name: Cow::Owned(s.name),
            st_info: (STB_GLOBAL << 4) | STT_NOTYPE,
            st_other: other,
            section,
            value: s.value,
            size: 0,
        }),
    }
}

/// The output group of input group section `k` of object `oi`.
fn group_section<'a>(objects: &[Object<'a>], layout: &Layout, ix: &Indices, mapper: &Mapper<'_, 'a>, oi: usize, k: usize) -> Section<'a> {
    let elf = objects[oi].elf.as_ref().expect("group of a native object");
    let gs = &elf.sections[k];
    let SectionData::Group { flags, members } = &gs.data else { unreachable!("a kept group is a group section") };
    let mut out_members = Vec::new();
    for &m in members {
        if let Some((out, _)) = layout.placement[oi].get(m).copied().flatten() {
            if !out_members.contains(&ix.section[out]) {
                out_members.push(ix.section[out]);
            }
        } else if let Some(Info::Section(t)) = elf.sections.get(m).map(|s| s.info.clone())
            && matches!(elf.sections[m].data, SectionData::Relocations { .. })
            && let Some((out, _)) = layout.placement[oi].get(t).copied().flatten()
            && let Some(r) = ix.relocations[out]
            && !out_members.contains(&r)
        {
            out_members.push(r);
        }
    }
    let signature = match gs.info {
        Info::Symbol(j) => mapper.map(&layout.placement, oi, j).map(|(s, _)| s).unwrap_or(0),
        _ => 0,
    };
    Section {
        name: gs.name.clone(),
        sh_type: SHT_GROUP,
        sh_flags: 0,
        sh_addr: 0,
        lma: None,
        sh_addralign: 4,
        sh_entsize: 4,
        link: Link::Symtab,
        info: Info::Symbol(signature),
        data: SectionData::Group { flags: *flags, members: out_members },
    }
}

/// Adds output section `i` and its relocation section.
fn add_section(obj: &mut ElfObject<'_>, s: OutSection, ix: &Indices, i: usize, is_64: bool) {
    let data = match s.nobits {
        Some(n) => SectionData::NoBits(n),
        None => SectionData::Bytes(Cow::Owned(s.bytes)),
    };
    let group_flag = if s.group.is_some() { SHF_GROUP } else { 0 };
    obj.add_section(Section {
        name: Cow::Owned(s.name.clone()),
        sh_type: s.sh_type,
        sh_flags: s.flags | group_flag,
        sh_addr: s.addr,
        lma: None,
        sh_addralign: s.align,
        sh_entsize: s.entsize,
        link: s.link.map_or(Link::Raw(0), |l| Link::Section(ix.section[l])),
        info: Info::Raw(0),
        data,
    });
    if s.relocs.is_empty() {
        return;
    }
    let rela = s.rela.unwrap_or(true);
    let prefix: &[u8] = if rela { b".rela" } else { b".rel" };
    let entsize = match (is_64, rela) {
        (true, true) => 24,
        (true, false) => 16,
        (false, true) => 12,
        (false, false) => 8,
    };
    obj.add_section(Section {
        name: Cow::Owned([prefix, &s.name].concat()),
        sh_type: if rela { SHT_RELA } else { SHT_REL },
        sh_flags: SHF_INFO_LINK | group_flag,
        sh_addr: 0,
        lma: None,
        sh_addralign: if is_64 { 8 } else { 4 },
        sh_entsize: entsize,
        link: Link::Symtab,
        info: Info::Section(ix.section[i]),
        data: SectionData::Relocations { rela, relocs: s.relocs },
    });
}
