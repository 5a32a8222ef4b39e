//! Reading bytes into the ELF model with `object`'s low-level reader (raw fields, so nothing the
//! unified API hides is lost: `STB_GNU_UNIQUE`, `sh_link`, `sh_info`, `sh_entsize`, groups).

use std::borrow::Cow;

use object::Endianness;
use object::elf::{FileHeader32, FileHeader64};
use object::read::elf::{FileHeader, ProgramHeader as _, Rel as _, Rela as _, SectionHeader, Sym as _};

use super::consts::*;
use super::layout;
use super::model::{ElfObject, Image, Info, Link, Reloc, Section, SectionData, Segment, Symbol, SymbolSection};
use crate::bad;
use crate::error::PResult;

/// True if `data` starts with the ELF magic.
pub(crate) fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}

/// Reads an ELF file (32/64-bit, either endianness) into the model.
pub fn read(data: &[u8]) -> PResult<ElfObject<'_>> {
    if !is_elf(data) || data.len() < 16 {
        return Err(bad!("not an ELF file"));
    }
    match data[4] {
        1 => read_generic::<FileHeader32<Endianness>>(data),
        2 => read_generic::<FileHeader64<Endianness>>(data),
        c => Err(bad!("unknown ELF class {c}")),
    }
}

/// `e_type` from the ELF header alone (no section or symbol is read).
pub(crate) fn e_type(data: &[u8]) -> Option<u16> {
    if !is_elf(data) || data.len() < 18 {
        return None;
    }
    let b = [data[16], data[17]];
    Some(if data[5] == 2 { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
}

fn oerr(e: object::read::Error) -> crate::error::Bad {
    bad!("{e}")
}

/// What reading one file's sections needs.
struct Reader<'d, 's, Elf: FileHeader<Endian = Endianness>> {
    data: &'d [u8],
    endian: Endianness,
    big_endian: bool,
    is_mips64el: bool,
    sections: &'s object::read::elf::SectionTable<'d, Elf>,
    shstrndx: usize,
    /// The file has program headers: its allocated relocation sections (a static program's
    /// `.rela.plt`, against `.symtab`) are the loader's, kept as bytes.
    image: bool,
    /// The one SHT_SYMTAB (dynamic objects' .dynsym is kept as bytes) and its string table.
    symtab: Option<usize>,
    strtab: Option<usize>,
}

impl<'d, Elf: FileHeader<Endian = Endianness>> Reader<'d, '_, Elf> {
    /// Model index of file section `idx`.
    fn to_model(&self, idx: usize) -> Option<usize> {
        if idx >= 1 && idx < self.sections.len() { Some(idx - 1) } else { None }
    }

    /// True when `raw_link` names the symbol table.
    fn links_symtab(&self, raw_link: u32) -> bool {
        self.symtab.is_some_and(|st| st == raw_link as usize)
    }

    /// File section `i` as a model section.
    fn section(&self, i: usize, s: &'d Elf::SectionHeader) -> PResult<Section<'d>> {
        let endian = self.endian;
        let name = self.sections.section_name(endian, s).map_err(oerr)?;
        let sh_type = s.sh_type(endian).0;
        let sh_flags: u64 = s.sh_flags(endian).0;
        let raw_link = s.sh_link(endian);
        let raw_info = s.sh_info(endian);
        let mut link = Link::Raw(raw_link);
        let mut info = Info::Raw(raw_info);
        let data_of =
            || -> PResult<&'d [u8]> { s.data(endian, self.data).map_err(|e| bad!("section {}: {e}", String::from_utf8_lossy(name))) };
        let section_data = if Some(i) == self.symtab {
            SectionData::SymbolTable
        } else if i == self.shstrndx {
            SectionData::SectionNames
        } else if Some(i) == self.strtab {
            SectionData::StringTable
        } else if sh_type == SHT_SYMTAB_SHNDX && self.links_symtab(raw_link) {
            SectionData::SymtabShndx
        } else if sh_type == SHT_NOBITS {
            SectionData::NoBits(s.sh_size(endian).into())
        } else if (sh_type == SHT_REL || sh_type == SHT_RELA) && self.links_symtab(raw_link) && !(self.image && sh_flags & SHF_ALLOC != 0) {
            link = Link::Symtab;
            info = match self.to_model(raw_info as usize) {
                Some(t) => Info::Section(t),
                None if raw_info == 0 => Info::Raw(0),
                None => return Err(bad!("relocation section {} applies to section {raw_info}", String::from_utf8_lossy(name))),
            };
            self.relocations(s, sh_type == SHT_RELA)?
        } else if sh_type == SHT_GROUP && self.links_symtab(raw_link) {
            let group = self.group(name, data_of()?)?;
            if raw_info == 0 || raw_info as usize >= symtab_symbol_count(self.sections, self.symtab, endian)? {
                return Err(bad!("group signature symbol {raw_info} out of range"));
            }
            link = Link::Symtab;
            info = Info::Symbol(raw_info as usize - 1);
            group
        } else {
            SectionData::Bytes(Cow::Borrowed(data_of()?))
        };
        if matches!(link, Link::Raw(_)) && raw_link != 0 {
            if Some(raw_link as usize) == self.symtab {
                link = Link::Symtab;
            } else if Some(raw_link as usize) == self.strtab {
                link = Link::Strtab;
            } else if let Some(t) = self.to_model(raw_link as usize) {
                link = Link::Section(t);
            }
        }
        if matches!(info, Info::Raw(_))
            && sh_flags & SHF_INFO_LINK != 0
            && let Some(t) = self.to_model(raw_info as usize)
        {
            info = Info::Section(t);
        }
        Ok(Section {
            name: Cow::Borrowed(name),
            sh_type,
            sh_flags,
            sh_addr: s.sh_addr(endian).into(),
            lma: None,
            sh_addralign: s.sh_addralign(endian).into(),
            sh_entsize: s.sh_entsize(endian).into(),
            link,
            info,
            data: section_data,
        })
    }

    /// A relocation section against the symbol table.
    fn relocations(&self, s: &'d Elf::SectionHeader, rela: bool) -> PResult<SectionData<'d>> {
        let endian = self.endian;
        let nsyms = symtab_symbol_count(self.sections, self.symtab, endian)?;
        let sym_of = |r: u32| -> PResult<Option<usize>> {
            match r {
                0 => Ok(None),
                r if (r as usize) < nsyms => Ok(Some(r as usize - 1)),
                r => Err(bad!("relocation refers to symbol {r} of {nsyms}")),
            }
        };
        let mut relocs = Vec::new();
        if rela {
            let entries: &[Elf::Rela] = s.data_as_array(endian, self.data).map_err(oerr)?;
            for r in entries {
                relocs.push(Reloc {
                    offset: r.r_offset(endian).into(),
                    symbol: sym_of(r.r_sym(endian, self.is_mips64el))?,
                    r_type: r.r_type(endian, self.is_mips64el).0,
                    addend: r.r_addend(endian).into(),
                });
            }
        } else {
            let entries: &[Elf::Rel] = s.data_as_array(endian, self.data).map_err(oerr)?;
            for r in entries {
                relocs.push(Reloc {
                    offset: r.r_offset(endian).into(),
                    symbol: sym_of(r.r_sym(endian))?,
                    r_type: r.r_type(endian).0,
                    addend: 0,
                });
            }
        }
        Ok(SectionData::Relocations { rela, relocs })
    }

    /// A group section: its flag word and members.
    fn group(&self, name: &[u8], words: &[u8]) -> PResult<SectionData<'d>> {
        if words.len() < 4 || !words.len().is_multiple_of(4) {
            return Err(bad!("group section {} of {} bytes", String::from_utf8_lossy(name), words.len()));
        }
        let word = |k: usize| -> u32 {
            let b = [words[k * 4], words[k * 4 + 1], words[k * 4 + 2], words[k * 4 + 3]];
            if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }
        };
        let mut members = Vec::with_capacity(words.len() / 4 - 1);
        for k in 1..words.len() / 4 {
            let m = word(k) as usize;
            members.push(self.to_model(m).ok_or_else(|| bad!("group member {m} out of range"))?);
        }
        Ok(SectionData::Group { flags: word(0), members })
    }

    /// The symbols of `.symtab`.
    fn symbols(&self) -> PResult<Vec<Symbol<'d>>> {
        let endian = self.endian;
        let mut out = Vec::new();
        if self.symtab.is_none() {
            return Ok(out);
        }
        let shnum = self.sections.len();
        let table = self.sections.symbols(endian, self.data, object::elf::SHT_SYMTAB).map_err(oerr)?;
        // (Sized once: a grown vector holds up to twice the table at its peak.)
        out.reserve_exact(table.len().saturating_sub(1));
        for (j, sym) in table.iter().enumerate().skip(1) {
            let name = table.symbol_name(endian, sym).map_err(oerr)?;
            let section = match sym.st_shndx(endian).0 {
                0 => SymbolSection::Undefined,
                0xfff1 => SymbolSection::Absolute,
                0xfff2 => SymbolSection::Common,
                0xffff => {
                    let x = table
                        .shndx(endian, object::SymbolIndex(j))
                        .ok_or_else(|| bad!("symbol {j} has SHN_XINDEX but no extended index"))?;
                    SymbolSection::Section(self.to_model(x as usize).ok_or_else(|| bad!("symbol {j} in section {x}"))?)
                }
                s if s >= 0xff00 => SymbolSection::Reserved(s),
                s => SymbolSection::Section(self.to_model(s as usize).ok_or_else(|| bad!("symbol {j} in section {s} of {shnum}"))?),
            };
            out.push(Symbol {
                name: Cow::Borrowed(name),
                st_info: sym.st_info().0,
                st_other: sym.st_other().0,
                section,
                value: sym.st_value(endian).into(),
                size: sym.st_size(endian).into(),
            });
        }
        Ok(out)
    }
}

fn read_generic<'d, Elf: FileHeader<Endian = Endianness>>(data: &'d [u8]) -> PResult<ElfObject<'d>> {
    let header = Elf::parse(data).map_err(oerr)?;
    let endian = header.endian().map_err(oerr)?;
    let sections = header.sections(endian, data).map_err(oerr)?;
    let shnum = sections.len();
    let shstrndx = if shnum > 0 { header.shstrndx(endian, data).map_err(oerr)? as usize } else { 0 };
    let program_headers = header.phnum(endian, data).map_err(oerr)?;
    let mut symtab = None;
    for (i, s) in sections.iter().enumerate() {
        if s.sh_type(endian).0 == SHT_SYMTAB {
            if symtab.is_some() {
                return Err(bad!("more than one symbol table"));
            }
            symtab = Some(i);
        }
    }
    let strtab = symtab.map(|i| sections.section(object::SectionIndex(i)).map(|s| s.sh_link(endian) as usize)).transpose().map_err(oerr)?;
    let reader = Reader {
        data,
        endian,
        big_endian: header.is_big_endian(),
        is_mips64el: header.is_mips64el(endian),
        sections: &sections,
        image: program_headers > 0,
        shstrndx,
        symtab,
        strtab,
    };
    let mut model_sections = Vec::with_capacity(shnum.saturating_sub(1));
    for (i, s) in sections.iter().enumerate().skip(1) {
        model_sections.push(reader.section(i, s)?);
    }
    Ok(ElfObject {
        is_64: header.is_class_64(),
        big_endian: header.is_big_endian(),
        os_abi: header.e_ident().os_abi.0,
        abi_version: header.e_ident().abi_version,
        e_type: header.e_type(endian).0,
        e_machine: header.e_machine(endian).0,
        e_flags: header.e_flags(endian).0,
        e_entry: header.e_entry(endian).into(),
        image: (program_headers > 0).then(|| image(header, endian, data, &sections)),
        sections: model_sections,
        symbols: reader.symbols()?,
    })
}

/// The program headers and the sections each holds. A table that cannot be read is noted,
/// not an error: reading symbols does not need it, only writing the file again does.
fn image<Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &[u8],
    sections: &object::read::elf::SectionTable<'_, Elf>,
) -> Image {
    let phoff: u64 = header.e_phoff(endian).into();
    let mut image = Image { phoff, segments: Vec::new(), unreadable: None, from_scratch: false };
    let table = match header.program_headers(endian, data) {
        Ok(table) => table,
        Err(e) => {
            image.unreadable = Some(format!("program headers: {e}"));
            return image;
        }
    };
    image.segments = table
        .iter()
        .map(|p| Segment {
            p_type: p.p_type(endian).0,
            p_flags: p.p_flags(endian).0,
            p_offset: p.p_offset(endian).into(),
            p_vaddr: p.p_vaddr(endian).into(),
            p_paddr: p.p_paddr(endian).into(),
            p_filesz: p.p_filesz(endian).into(),
            p_memsz: p.p_memsz(endian).into(),
            p_align: p.p_align(endian).into(),
            ..Segment::default()
        })
        .collect();
    if let Some((k, p)) = image.segments.iter().enumerate().find(|(_, p)| p.file_end() > data.len() as u64) {
        image.unreadable = Some(format!("segment {k} ends at {:#x}, past the end of the file ({:#x})", p.file_end(), data.len()));
    }
    let headers: Vec<layout::InputHeader> = sections
        .iter()
        .skip(1)
        .map(|s| layout::InputHeader {
            sh_type: s.sh_type(endian).0,
            sh_flags: s.sh_flags(endian).0,
            sh_offset: s.sh_offset(endian).into(),
            sh_addr: s.sh_addr(endian).into(),
            sh_size: s.sh_size(endian).into(),
        })
        .collect();
    let members = layout::members(&image.segments, &headers);
    for (p, members) in image.segments.iter_mut().zip(members) {
        p.sections = members;
    }
    image
}

fn symtab_symbol_count<'d, Elf: FileHeader<Endian = Endianness>>(
    sections: &object::read::elf::SectionTable<'d, Elf>,
    symtab_index: Option<usize>,
    endian: Endianness,
) -> PResult<usize> {
    let Some(i) = symtab_index else { return Ok(0) };
    let s = sections.section(object::SectionIndex(i)).map_err(oerr)?;
    let entsize: u64 = if std::mem::size_of::<Elf::Word>() == 8 { 24 } else { 16 };
    let size: u64 = s.sh_size(endian).into();
    Ok((size / entsize) as usize)
}
