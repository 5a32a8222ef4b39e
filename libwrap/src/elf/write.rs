//! Writing the ELF model with `object::write::elf::Writer` (two-phase: reserve every index and
//! file range in section order, then write in the same order).
//!
//! Layout: ELF header, then each section's contents in section order (each aligned to its
//! `sh_addralign`), then the section header table. Markers produce `.symtab`, `.strtab`,
//! `.shstrtab` and `.symtab_shndx` where they stand; absent markers are appended in that order.
//!
//! An image (a file with program headers): the ELF header, the program headers, the load
//! segments with their sections where [`super::layout`] puts them (gaps zero), then the other
//! sections in section order and the section header table.

use object::Endianness;
use object::elf as oelf;
use object::write::StringId;
use object::write::elf::{FileHeader, SectionHeader, SectionIndex, Sym, Writer};

use super::consts::*;
use super::layout;
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

/// The output's sections in order: the model's, with the markers' tables where they stand and
/// the missing tables appended (`.symtab_shndx` only when section indices need it).
fn slots(obj: &ElfObject<'_>) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::with_capacity(obj.sections.len() + 4);
    let (mut has_symtab, mut has_strtab, mut has_shstrtab, mut has_shndx) = (false, false, false, false);
    let needs_symtab = !obj.symbols.is_empty()
        || obj.sections.iter().any(|s| matches!(s.data, SectionData::Relocations { .. } | SectionData::Group { .. }));
    for (i, s) in obj.sections.iter().enumerate() {
        let (seen, slot) = match s.data {
            SectionData::SymbolTable => (&mut has_symtab, Slot::Symtab),
            SectionData::StringTable => (&mut has_strtab, Slot::Strtab),
            SectionData::SectionNames => (&mut has_shstrtab, Slot::Shstrtab),
            SectionData::SymtabShndx => (&mut has_shndx, Slot::Shndx),
            _ => {
                slots.push(Slot::Model(i));
                continue;
            }
        };
        if !*seen {
            *seen = true;
            slots.push(slot);
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
    let need_shndx = has_symtab && slots.len() + 1 >= 0xff00;
    if need_shndx && !slots.contains(&Slot::Shndx) {
        let at = slots.iter().position(|s| *s == Slot::Symtab).map(|p| p + 1).unwrap_or(slots.len());
        slots.insert(at, Slot::Shndx);
    } else if !need_shndx {
        slots.retain(|s| *s != Slot::Shndx);
    }
    slots
}

/// Symbol order in the output: locals first (ELF requires it).
struct SymbolOrder {
    /// Model indices in output order.
    order: Vec<usize>,
    /// How many are local.
    num_local: usize,
    /// Output index (from 1) of each model symbol.
    index: Vec<u32>,
}

impl SymbolOrder {
    fn new(obj: &ElfObject<'_>) -> SymbolOrder {
        let mut order: Vec<usize> = (0..obj.symbols.len()).filter(|&j| obj.symbols[j].binding() == STB_LOCAL).collect();
        let num_local = order.len();
        order.extend((0..obj.symbols.len()).filter(|&j| obj.symbols[j].binding() != STB_LOCAL));
        let mut index = vec![0u32; obj.symbols.len()];
        for (pos, &j) in order.iter().enumerate() {
            index[j] = pos as u32 + 1;
        }
        SymbolOrder { order, num_local, index }
    }

    /// The output index of a model symbol (0 for none).
    fn of(&self, j: Option<usize>) -> PResult<u32> {
        match j {
            None => Ok(0),
            Some(j) => self.index.get(j).copied().ok_or_else(|| bad!("reference to missing symbol {j}")),
        }
    }
}

/// What the first phase reserved: section indices, names, and file offsets.
struct Plan {
    slots: Vec<Slot>,
    symbols: SymbolOrder,
    has_symtab: bool,
    /// Output index of each model section (0 for markers).
    section: Vec<SectionIndex>,
    /// Name of each slot.
    names: Vec<Option<StringId>>,
    /// Name of each symbol.
    symbol_names: Vec<Option<StringId>>,
    symtab: SectionIndex,
    strtab: SectionIndex,
    /// File offset of each slot's contents.
    offsets: Vec<u64>,
    /// Slots written where the file read had them (an image's allocated sections).
    pinned: Vec<bool>,
}

impl Plan {
    /// The output index of model section `i`.
    fn section_ref(&self, i: usize) -> PResult<SectionIndex> {
        match self.section.get(i) {
            Some(s) if s.0 != 0 => Ok(*s),
            _ => Err(bad!("reference to missing or marker section {i}")),
        }
    }
}

/// Entry size of a relocation section.
fn reloc_entsize(is_64: bool, rela: bool) -> u64 {
    match (is_64, rela) {
        (true, true) => 24,
        (true, false) => 16,
        (false, true) => 12,
        (false, false) => 8,
    }
}

/// Serializes the model.
pub fn write(obj: &ElfObject<'_>) -> PResult<Vec<u8>> {
    let mut buf = Vec::new();
    write_into(obj, &mut buf)?;
    Ok(buf)
}

/// Writes the model to `path` atomically and straight into the file (no whole-file buffer);
/// large unchanged slices of `source` (a mapped input and its file) are copied by the kernel
/// ([`crate::output::FileSink`]). An invalid model is an error located at `name`.
pub(crate) fn write_file(
    obj: &ElfObject<'_>,
    path: &std::path::Path,
    mode: u32,
    source: Option<(&std::fs::File, &[u8])>,
    name: &str,
) -> crate::error::Result<()> {
    let mut bad = None;
    let written = crate::output::write_atomic_with(path, mode, |file| {
        let mut sink = crate::output::FileSink::new(file, source);
        if let Err(e) = write_into(obj, &mut sink) {
            bad = Some(e);
            return Err(std::io::Error::other("invalid model"));
        }
        sink.finish()
    });
    match bad {
        Some(e) => Err(e.at(name, None)),
        None => written,
    }
}

/// Serializes the model into `buf` (a file, for outputs too large to hold).
pub(crate) fn write_into(obj: &ElfObject<'_>, buf: &mut dyn object::write::WritableBuffer) -> PResult<()> {
    let endian = if obj.big_endian { Endianness::Big } else { Endianness::Little };
    let slots = slots(obj);
    let mut layout = match &obj.image {
        Some(image) if let Some(why) = &image.unreadable => return Err(bad!("{why}")),
        Some(image) => Some(layout::layout(obj, image).map_err(|e| bad!("{e}"))?),
        None => None,
    };
    let has_symtab = slots.contains(&Slot::Symtab);
    if !has_symtab && !obj.symbols.is_empty() {
        return Err(bad!("symbols without a symbol table"));
    }
    let mut plan = Plan {
        names: vec![None; slots.len()],
        offsets: vec![0; slots.len()],
        pinned: pinned(&slots, layout.as_ref()),
        slots,
        symbols: SymbolOrder::new(obj),
        has_symtab,
        section: vec![SectionIndex(0); obj.sections.len()],
        symbol_names: vec![None; obj.symbols.len()],
        symtab: SectionIndex(0),
        strtab: SectionIndex(0),
    };
    let mut w = Writer::new(endian, obj.is_64, buf);
    w.reserve_file_header();
    reserve_image(obj, &mut w, layout.as_ref())?;
    reserve_sections(obj, &mut w, &mut plan)?;
    reserve_symbols(obj, &mut w, &mut plan)?;
    reserve_ranges(obj, &mut w, &mut plan, layout.as_ref())?;
    if let Some(layout) = &mut layout {
        unplaced_segment_offsets(layout, &plan);
    }
    w.reserve_section_headers();
    w.write_file_header(&FileHeader {
        os_abi: oelf::OsAbi(obj.os_abi),
        abi_version: obj.abi_version,
        e_type: oelf::FileType(obj.e_type),
        e_machine: oelf::Machine(obj.e_machine),
        e_entry: obj.e_entry,
        e_flags: oelf::FileFlags(obj.e_flags),
    })
    .map_err(|e| bad!("{e}"))?;
    write_image(obj, &mut w, layout.as_ref());
    write_contents(obj, &mut w, &plan)?;
    write_headers(obj, &mut w, &plan)?;
    Ok(())
}

/// Which slots the image layout places (the sections its load segments hold).
fn pinned(slots: &[Slot], layout: Option<&layout::Layout>) -> Vec<bool> {
    slots.iter().map(|slot| matches!((slot, layout), (Slot::Model(i), Some(l)) if l.offsets[*i].is_some())).collect()
}

/// Phase 1 for an image: its program headers after the ELF header and its load segments.
fn reserve_image(obj: &ElfObject<'_>, w: &mut Writer<'_>, layout: Option<&layout::Layout>) -> PResult<()> {
    let (Some(image), Some(layout)) = (&obj.image, layout) else { return Ok(()) };
    let header_size = if obj.is_64 { 64 } else { 52 };
    if image.phoff != header_size {
        return Err(bad!("program headers at {:#x}, not after the ELF header: not supported", image.phoff));
    }
    w.reserve_program_headers(layout.segments.len() as u32);
    w.reserve_until(layout.end.max(w.reserved_len()));
    Ok(())
}

/// Phase 2 for an image: the program headers, then its load segments' sections.
fn write_image(obj: &ElfObject<'_>, w: &mut Writer<'_>, layout: Option<&layout::Layout>) {
    let Some(layout) = layout else { return };
    w.write_align_program_headers();
    for p in &layout.segments {
        w.write_program_header(&object::write::elf::ProgramHeader {
            p_type: oelf::ProgramType(p.p_type),
            p_flags: oelf::ProgramFlags(p.p_flags),
            p_offset: p.p_offset,
            p_vaddr: p.p_vaddr,
            p_paddr: p.p_paddr,
            p_filesz: p.p_filesz,
            p_memsz: p.p_memsz,
            p_align: p.p_align,
        });
    }
    let mut placed: Vec<(u64, &[u8])> = obj
        .sections
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((layout.offsets[i]?, s.bytes_data()?)))
        .filter(|(_, b)| !b.is_empty())
        .collect();
    placed.sort_by_key(|&(at, _)| at);
    for (at, b) in placed {
        if at >= w.len() {
            w.pad_until(at);
            w.write(b);
        }
    }
    w.pad_until(layout.end.max(w.len()));
}

/// A segment whose first section the image layout does not place (a non-allocated one, as
/// `PT_RISCV_ATTRIBUTES`' `.riscv.attributes`) starts where that section was written.
fn unplaced_segment_offsets(layout: &mut layout::Layout, plan: &Plan) {
    for p in &mut layout.segments {
        let Some(&first) = p.sections.first() else { continue };
        if layout.offsets.get(first).is_some_and(|o| o.is_none())
            && let Some(k) = plan.slots.iter().position(|slot| *slot == Slot::Model(first))
        {
            p.p_offset = plan.offsets[k];
        }
    }
}

/// Phase 1: section indices and names.
fn reserve_sections<'a>(obj: &'a ElfObject<'_>, w: &mut Writer<'a>, plan: &mut Plan) -> PResult<()> {
    for (k, slot) in plan.slots.iter().enumerate() {
        match *slot {
            Slot::Model(i) => {
                if obj.sections[i].name.contains(&0) {
                    return Err(bad!("section name {:?} contains a NUL byte", String::from_utf8_lossy(&obj.sections[i].name)));
                }
                plan.names[k] = Some(w.add_section_name(&obj.sections[i].name));
                plan.section[i] = w.reserve_section_index();
            }
            Slot::Symtab => plan.symtab = w.reserve_symtab_section_index(),
            Slot::Strtab => plan.strtab = w.reserve_strtab_section_index(),
            Slot::Shstrtab => {
                w.reserve_shstrtab_section_index();
            }
            Slot::Shndx => {
                w.reserve_symtab_shndx_section_index();
            }
        }
    }
    Ok(())
}

/// Phase 1: symbol names and indices.
fn reserve_symbols<'a>(obj: &'a ElfObject<'_>, w: &mut Writer<'a>, plan: &mut Plan) -> PResult<()> {
    if !plan.has_symtab {
        return Ok(());
    }
    w.reserve_null_symbol_index();
    for &j in &plan.symbols.order {
        let s = &obj.symbols[j];
        if s.name.contains(&0) {
            // ELF names end at their first NUL; bitcode names may hold one.
            return Err(bad!("symbol name {:?} contains a NUL byte", String::from_utf8_lossy(&s.name)));
        }
        if !s.name.is_empty() {
            plan.symbol_names[j] = Some(w.add_string(&s.name));
        }
        let shndx = match s.section {
            SymbolSection::Section(i) => Some(plan.section_ref(i)?),
            _ => None,
        };
        w.reserve_symbol_index(shndx);
    }
    Ok(())
}

/// Phase 1: file ranges, in slot order.
fn reserve_ranges(obj: &ElfObject<'_>, w: &mut Writer<'_>, plan: &mut Plan, layout: Option<&layout::Layout>) -> PResult<()> {
    for (k, slot) in plan.slots.iter().enumerate() {
        plan.offsets[k] = match *slot {
            Slot::Model(i) if plan.pinned[k] => layout.and_then(|l| l.offsets[i]).unwrap_or(0),
            Slot::Model(i) => {
                let s = &obj.sections[i];
                let align = file_align(s.sh_addralign);
                if !s.sh_addralign.max(1).is_power_of_two() {
                    return Err(bad!("section {} has alignment {}", String::from_utf8_lossy(&s.name), s.sh_addralign));
                }
                match &s.data {
                    SectionData::Bytes(b) if let Some(at) = layout::unsegmented_offset(obj, i, w.reserved_len()) => {
                        w.reserve_until(at);
                        w.reserve(b.len() as u64, 1)
                    }
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
    Ok(())
}

/// Phase 2: every slot's contents.
fn write_contents(obj: &ElfObject<'_>, w: &mut Writer<'_>, plan: &Plan) -> PResult<()> {
    for (k, slot) in plan.slots.iter().enumerate() {
        match *slot {
            Slot::Model(_) if plan.pinned[k] => {}
            Slot::Model(i) => write_section(obj, w, plan, i, plan.offsets[k])?,
            Slot::Symtab => write_symtab(obj, w, plan)?,
            Slot::Strtab => w.write_strtab(),
            Slot::Shstrtab => w.write_shstrtab(),
            Slot::Shndx => {
                w.write_symtab_shndx();
            }
        }
    }
    Ok(())
}

/// Phase 2: the contents of model section `i`.
fn write_section(obj: &ElfObject<'_>, w: &mut Writer<'_>, plan: &Plan, i: usize, offset: u64) -> PResult<()> {
    let s = &obj.sections[i];
    match &s.data {
        SectionData::Bytes(b) => {
            // (At the offset reserved: its alignment, or an image's page congruence.)
            w.pad_until(offset);
            w.write(b);
        }
        SectionData::Relocations { rela, relocs } => {
            w.write_align_relocation();
            for r in relocs {
                let rel = object::write::elf::Rel {
                    r_offset: r.offset,
                    r_sym: plan.symbols.of(r.symbol)?,
                    r_type: oelf::RelocationType(r.r_type),
                    r_addend: r.addend,
                };
                w.write_relocation(*rela, &rel);
            }
        }
        SectionData::Group { flags, members } => {
            w.write_align(4);
            let mut words = Vec::with_capacity(4 * (members.len() + 1));
            let mut put = |v: u32| words.extend_from_slice(&if obj.big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
            put(*flags);
            for &m in members {
                put(plan.section_ref(m)?.0);
            }
            w.write(&words);
        }
        _ => {}
    }
    Ok(())
}

/// Phase 2: the symbol table.
fn write_symtab(obj: &ElfObject<'_>, w: &mut Writer<'_>, plan: &Plan) -> PResult<()> {
    w.write_null_symbol();
    for &j in &plan.symbols.order {
        let s = &obj.symbols[j];
        let (section, st_shndx) = match s.section {
            SymbolSection::Section(i) => (Some(plan.section_ref(i)?.0), oelf::SymbolSection(0)),
            SymbolSection::Undefined => (None, oelf::SHN_UNDEF),
            SymbolSection::Absolute => (None, oelf::SHN_ABS),
            SymbolSection::Common => (None, oelf::SHN_COMMON),
            SymbolSection::Reserved(v) => (None, oelf::SymbolSection(v)),
        };
        w.write_symbol(&Sym {
            section,
            st_name: w.string_offset(plan.symbol_names[j]),
            st_info: oelf::SymbolInfo(s.st_info),
            st_other: oelf::SymbolOther(s.st_other),
            st_shndx,
            st_value: s.value,
            st_size: s.size,
        });
    }
    Ok(())
}

/// Phase 2: the section header table.
fn write_headers(obj: &ElfObject<'_>, w: &mut Writer<'_>, plan: &Plan) -> PResult<()> {
    w.write_null_section_header();
    for (k, slot) in plan.slots.iter().enumerate() {
        match *slot {
            Slot::Model(i) => {
                let s = &obj.sections[i];
                let link = match &s.link {
                    Link::Raw(v) => *v,
                    Link::Section(t) => plan.section_ref(*t)?.0,
                    Link::Symtab => plan.symtab.0,
                    Link::Strtab => plan.strtab.0,
                };
                let info = match &s.info {
                    Info::Raw(v) => *v,
                    Info::Section(t) => plan.section_ref(*t)?.0,
                    Info::Symbol(j) => plan.symbols.of(Some(*j))?,
                };
                let entsize = match &s.data {
                    SectionData::Relocations { rela, .. } => reloc_entsize(obj.is_64, *rela),
                    SectionData::Group { .. } => 4,
                    _ => s.sh_entsize,
                };
                w.write_section_header(&SectionHeader {
                    sh_name: w.section_name_offset(plan.names[k]),
                    sh_type: oelf::SectionType(s.sh_type),
                    sh_flags: oelf::SectionFlags(s.sh_flags),
                    sh_addr: s.sh_addr,
                    sh_offset: plan.offsets[k],
                    sh_size: s.size(obj.is_64),
                    sh_link: link,
                    sh_info: info,
                    sh_addralign: s.sh_addralign,
                    sh_entsize: entsize,
                });
            }
            Slot::Symtab => w.write_symtab_section_header(plan.symbols.num_local as u32 + 1),
            Slot::Strtab => w.write_strtab_section_header(),
            Slot::Shstrtab => w.write_shstrtab_section_header(),
            Slot::Shndx => w.write_symtab_shndx_section_header(),
        }
    }
    Ok(())
}
