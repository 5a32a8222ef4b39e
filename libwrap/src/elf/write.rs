//! Writing the ELF model with `object::write::elf::Writer` (two-phase: reserve every index and
//! file range in section order, then write in the same order).
//!
//! Layout: ELF header, then each section's contents in section order (each aligned to its
//! `sh_addralign`), then the section header table. Markers produce `.symtab`, `.strtab`,
//! `.shstrtab` and `.symtab_shndx` where they stand; absent markers are appended in that order.

use object::Endianness;
use object::elf as oelf;
use object::write::StringId;
use object::write::elf::{FileHeader, SectionHeader, SectionIndex, Sym, Writer};

use super::consts::*;
use super::model::{ElfObject, Info, Link, SectionData, SymbolSection};
use crate::bad;
use crate::error::PResult;

/// File-offset alignment of a section's contents: its `sh_addralign`, capped at a page. A
/// relocatable object's contents need no stricter file alignment, and the cap keeps a hostile
/// alignment from inflating the output.
fn file_align(sh_addralign: u64) -> u64 {
    sh_addralign.clamp(1, 4096)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Model(usize),
    Symtab,
    Strtab,
    Shstrtab,
    Shndx,
}

/// Serializes the model.
pub fn write(obj: &ElfObject<'_>) -> PResult<Vec<u8>> {
    let endian = if obj.big_endian { Endianness::Big } else { Endianness::Little };

    // Section slots, in output order.
    let mut slots: Vec<Slot> = Vec::with_capacity(obj.sections.len() + 4);
    let (mut has_symtab, mut has_strtab, mut has_shstrtab, mut has_shndx) = (false, false, false, false);
    let needs_symtab = !obj.symbols.is_empty()
        || obj.sections.iter().any(|s| matches!(s.data, SectionData::Relocations { .. } | SectionData::Group { .. }));
    for (i, s) in obj.sections.iter().enumerate() {
        match s.data {
            SectionData::SymbolTable if !has_symtab => {
                has_symtab = true;
                slots.push(Slot::Symtab)
            }
            SectionData::StringTable if !has_strtab => {
                has_strtab = true;
                slots.push(Slot::Strtab)
            }
            SectionData::SectionNames if !has_shstrtab => {
                has_shstrtab = true;
                slots.push(Slot::Shstrtab)
            }
            SectionData::SymtabShndx if !has_shndx => {
                has_shndx = true;
                slots.push(Slot::Shndx)
            }
            SectionData::SymbolTable | SectionData::StringTable | SectionData::SectionNames | SectionData::SymtabShndx => {}
            _ => slots.push(Slot::Model(i)),
        }
    }
    if needs_symtab && !has_symtab {
        slots.push(Slot::Symtab);
        has_symtab = true;
    }
    if has_symtab && !has_strtab {
        slots.push(Slot::Strtab);
    }
    if !has_symtab {
        slots.retain(|s| !matches!(s, Slot::Strtab | Slot::Shndx));
    }
    if !has_shstrtab {
        slots.push(Slot::Shstrtab);
    }
    // .symtab_shndx only when section indices need it.
    let total_sections = slots.len() + 1;
    let need_shndx = has_symtab && total_sections >= 0xff00;
    if need_shndx && !slots.contains(&Slot::Shndx) {
        let at = slots.iter().position(|s| *s == Slot::Symtab).map(|p| p + 1).unwrap_or(slots.len());
        slots.insert(at, Slot::Shndx);
    } else if !need_shndx {
        slots.retain(|s| *s != Slot::Shndx);
    }

    // Symbol order: locals first.
    let mut order: Vec<usize> = (0..obj.symbols.len()).filter(|&j| obj.symbols[j].binding() == STB_LOCAL).collect();
    let num_local = order.len();
    order.extend((0..obj.symbols.len()).filter(|&j| obj.symbols[j].binding() != STB_LOCAL));
    let mut new_sym = vec![0u32; obj.symbols.len()];
    for (pos, &j) in order.iter().enumerate() {
        new_sym[j] = pos as u32 + 1;
    }
    let sym_index = |j: Option<usize>| -> PResult<u32> {
        match j {
            None => Ok(0),
            Some(j) => new_sym.get(j).copied().ok_or_else(|| bad!("reference to missing symbol {j}")),
        }
    };

    let mut buf = Vec::new();
    let mut w = Writer::new(endian, obj.is_64, &mut buf);
    w.reserve_file_header();

    // Section indices and names.
    let mut sec_index = vec![SectionIndex(0); obj.sections.len()];
    let mut names: Vec<Option<StringId>> = vec![None; slots.len()];
    let mut symtab_idx = SectionIndex(0);
    let mut strtab_idx = SectionIndex(0);
    for (k, slot) in slots.iter().enumerate() {
        match *slot {
            Slot::Model(i) => {
                if obj.sections[i].name.contains(&0) {
                    return Err(bad!("section name {:?} contains a NUL byte", String::from_utf8_lossy(&obj.sections[i].name)));
                }
                names[k] = Some(w.add_section_name(&obj.sections[i].name));
                sec_index[i] = w.reserve_section_index();
            }
            Slot::Symtab => symtab_idx = w.reserve_symtab_section_index(),
            Slot::Strtab => strtab_idx = w.reserve_strtab_section_index(),
            Slot::Shstrtab => {
                w.reserve_shstrtab_section_index();
            }
            Slot::Shndx => {
                w.reserve_symtab_shndx_section_index();
            }
        }
    }
    let section_ref = |i: usize| -> PResult<SectionIndex> {
        match sec_index.get(i) {
            Some(s) if s.0 != 0 => Ok(*s),
            _ => Err(bad!("reference to missing or marker section {i}")),
        }
    };

    // Symbol names and indices.
    let mut sym_names: Vec<Option<StringId>> = vec![None; obj.symbols.len()];
    if has_symtab {
        w.reserve_null_symbol_index();
        for &j in &order {
            let s = &obj.symbols[j];
            if s.name.contains(&0) {
                // ELF names end at their first NUL; bitcode names may hold one.
                return Err(bad!("symbol name {:?} contains a NUL byte", String::from_utf8_lossy(&s.name)));
            }
            if !s.name.is_empty() {
                sym_names[j] = Some(w.add_string(&s.name));
            }
            let shndx = match s.section {
                SymbolSection::Section(i) => Some(section_ref(i)?),
                _ => None,
            };
            w.reserve_symbol_index(shndx);
        }
    } else if !obj.symbols.is_empty() {
        return Err(bad!("symbols without a symbol table"));
    }

    // File ranges.
    let mut offsets = vec![0u64; slots.len()];
    for (k, slot) in slots.iter().enumerate() {
        offsets[k] = match *slot {
            Slot::Model(i) => {
                let s = &obj.sections[i];
                let align = file_align(s.sh_addralign);
                if !s.sh_addralign.max(1).is_power_of_two() {
                    return Err(bad!("section {} has alignment {}", String::from_utf8_lossy(&s.name), s.sh_addralign));
                }
                match &s.data {
                    SectionData::Bytes(b) => w.reserve(b.len() as u64, align),
                    SectionData::NoBits(_) => w.reserved_len(),
                    SectionData::Relocations { rela, relocs } => w.reserve_relocations(relocs.len(), *rela),
                    SectionData::Group { members, .. } => w.reserve((members.len() as u64 + 1) * 4, 4),
                    _ => 0,
                }
            }
            Slot::Symtab => {
                w.reserve_symtab();
                0
            }
            Slot::Strtab => {
                w.reserve_strtab().map_err(|e| bad!("{e}"))?;
                0
            }
            Slot::Shstrtab => {
                w.reserve_shstrtab().map_err(|e| bad!("{e}"))?;
                0
            }
            Slot::Shndx => {
                w.reserve_symtab_shndx();
                0
            }
        };
    }
    w.reserve_section_headers();

    // Contents.
    w.write_file_header(&FileHeader {
        os_abi: oelf::OsAbi(obj.os_abi),
        abi_version: obj.abi_version,
        e_type: oelf::FileType(obj.e_type),
        e_machine: oelf::Machine(obj.e_machine),
        e_entry: obj.e_entry,
        e_flags: oelf::FileFlags(obj.e_flags),
    })
    .map_err(|e| bad!("{e}"))?;
    for slot in &slots {
        match *slot {
            Slot::Model(i) => {
                let s = &obj.sections[i];
                match &s.data {
                    SectionData::Bytes(b) => {
                        w.write_align(file_align(s.sh_addralign));
                        w.write(b);
                    }
                    SectionData::Relocations { rela, relocs } => {
                        w.write_align_relocation();
                        for r in relocs {
                            w.write_relocation(
                                *rela,
                                &object::write::elf::Rel {
                                    r_offset: r.offset,
                                    r_sym: sym_index(r.symbol)?,
                                    r_type: oelf::RelocationType(r.r_type),
                                    r_addend: r.addend,
                                },
                            );
                        }
                    }
                    SectionData::Group { flags, members } => {
                        w.write_align(4);
                        let mut words = Vec::with_capacity(4 * (members.len() + 1));
                        let mut put = |v: u32| words.extend_from_slice(&if obj.big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
                        put(*flags);
                        for &m in members {
                            put(section_ref(m)?.0);
                        }
                        w.write(&words);
                    }
                    _ => {}
                }
            }
            Slot::Symtab => {
                w.write_null_symbol();
                for &j in &order {
                    let s = &obj.symbols[j];
                    let (section, st_shndx) = match s.section {
                        SymbolSection::Section(i) => (Some(section_ref(i)?.0), oelf::SymbolSection(0)),
                        SymbolSection::Undefined => (None, oelf::SHN_UNDEF),
                        SymbolSection::Absolute => (None, oelf::SHN_ABS),
                        SymbolSection::Common => (None, oelf::SHN_COMMON),
                        SymbolSection::Reserved(v) => (None, oelf::SymbolSection(v)),
                    };
                    w.write_symbol(&Sym {
                        section,
                        st_name: w.string_offset(sym_names[j]),
                        st_info: oelf::SymbolInfo(s.st_info),
                        st_other: oelf::SymbolOther(s.st_other),
                        st_shndx,
                        st_value: s.value,
                        st_size: s.size,
                    });
                }
            }
            Slot::Strtab => w.write_strtab(),
            Slot::Shstrtab => w.write_shstrtab(),
            Slot::Shndx => {
                w.write_symtab_shndx();
            }
        }
    }

    // Section headers.
    w.write_null_section_header();
    for (k, slot) in slots.iter().enumerate() {
        match *slot {
            Slot::Model(i) => {
                let s = &obj.sections[i];
                let link = match &s.link {
                    Link::Raw(v) => *v,
                    Link::Section(t) => section_ref(*t)?.0,
                    Link::Symtab => symtab_idx.0,
                    Link::Strtab => strtab_idx.0,
                };
                let info = match &s.info {
                    Info::Raw(v) => *v,
                    Info::Section(t) => section_ref(*t)?.0,
                    Info::Symbol(j) => sym_index(Some(*j))?,
                };
                let (size, entsize) = match &s.data {
                    SectionData::Relocations { rela, .. } => {
                        let e = match (obj.is_64, rela) {
                            (true, true) => 24,
                            (true, false) => 16,
                            (false, true) => 12,
                            (false, false) => 8,
                        };
                        (s.size(obj.is_64), e)
                    }
                    SectionData::Group { .. } => (s.size(obj.is_64), 4),
                    _ => (s.size(obj.is_64), s.sh_entsize),
                };
                w.write_section_header(&SectionHeader {
                    sh_name: w.section_name_offset(names[k]),
                    sh_type: oelf::SectionType(s.sh_type),
                    sh_flags: oelf::SectionFlags(s.sh_flags),
                    sh_addr: s.sh_addr,
                    sh_offset: offsets[k],
                    sh_size: size,
                    sh_link: link,
                    sh_info: info,
                    sh_addralign: s.sh_addralign,
                    sh_entsize: entsize,
                });
            }
            Slot::Symtab => w.write_symtab_section_header(num_local as u32 + 1),
            Slot::Strtab => w.write_strtab_section_header(),
            Slot::Shstrtab => w.write_shstrtab_section_header(),
            Slot::Shndx => w.write_symtab_shndx_section_header(),
        }
    }
    drop(w);
    Ok(buf)
}
