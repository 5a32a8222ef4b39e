//! The ELF object model: an in-memory, editable view of an ELF file (see the invariants in
//! [`crate::elf`]).

use std::borrow::Cow;

use super::consts;
/// A section's `sh_link`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// A raw value (0 or something that is not a section reference).
    Raw(u32),
    /// Another section of the model.
    Section(usize),
    /// The symbol table.
    Symtab,
    /// The symbol table's string table.
    Strtab,
}

/// A section's `sh_info`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Info {
    /// A raw value.
    Raw(u32),
    /// A section of the model (relocation target, or an `SHF_INFO_LINK` reference).
    Section(usize),
    /// A symbol of the model (group signature).
    Symbol(usize),
}

/// A relocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reloc {
    /// Offset in the target section.
    pub(crate) offset: u64,
    /// Symbol (model index), `None` for symbol 0.
    pub(crate) symbol: Option<usize>,
    /// Relocation type.
    pub(crate) r_type: u32,
    /// Explicit addend (RELA), 0 for REL.
    pub(crate) addend: i64,
}

/// The contents of a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SectionData<'a> {
    /// Bytes in the file.
    Bytes(Cow<'a, [u8]>),
    /// `SHT_NOBITS` of this size.
    NoBits(u64),
    /// Relocations (`SHT_REL` or `SHT_RELA`) against the model's symbol table.
    Relocations {
        /// RELA (explicit addends) or REL.
        rela: bool,
        /// The entries.
        relocs: Vec<Reloc>,
    },
    /// `SHT_GROUP`: flag word and member sections.
    Group {
        /// The flag word (`GRP_COMDAT`).
        flags: u32,
        /// Member sections (model indices).
        members: Vec<usize>,
    },
    /// Marker: the symbol table goes here.
    SymbolTable,
    /// Marker: the symbol string table goes here.
    StringTable,
    /// Marker: the section-name string table goes here.
    SectionNames,
    /// Marker: the extended section index table goes here (written only when needed).
    SymtabShndx,
}

/// A section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// Name.
    pub name: Cow<'a, [u8]>,
    /// `sh_type`.
    pub(crate) sh_type: u32,
    /// `sh_flags`.
    pub sh_flags: u64,
    /// `sh_addr`.
    pub(crate) sh_addr: u64,
    /// A load address of its own, apart from the one its load segment gives it
    /// (`--change-section-lma` on an executable; see [`ElfObject::lma`]).
    pub(crate) lma: Option<u64>,
    /// `sh_addralign`.
    pub(crate) sh_addralign: u64,
    /// `sh_entsize`.
    pub(crate) sh_entsize: u64,
    /// `sh_link`.
    pub(crate) link: Link,
    /// `sh_info`.
    pub(crate) info: Info,
    /// Contents.
    pub(crate) data: SectionData<'a>,
}

impl<'a> Section<'a> {
    /// A section with bytes and no links.
    pub(crate) fn bytes(name: &[u8], sh_type: u32, sh_flags: u64, align: u64, data: Cow<'a, [u8]>) -> Section<'a> {
        Section {
            name: Cow::Owned(name.to_vec()),
            sh_type,
            sh_flags,
            sh_addr: 0,
            lma: None,
            sh_addralign: align,
            sh_entsize: 0,
            link: Link::Raw(0),
            info: Info::Raw(0),
            data: SectionData::Bytes(data),
        }
    }

    /// The section's size in the file (or in memory for NOBITS); markers report 0.
    pub(crate) fn size(&self, is_64: bool) -> u64 {
        match &self.data {
            SectionData::Bytes(b) => b.len() as u64,
            SectionData::NoBits(n) => *n,
            SectionData::Relocations { rela, relocs } => {
                let entry = match (is_64, rela) {
                    (true, true) => 24,
                    (true, false) => 16,
                    (false, true) => 12,
                    (false, false) => 8,
                };
                relocs.len() as u64 * entry
            }
            SectionData::Group { members, .. } => 4 * (members.len() as u64 + 1),
            _ => 0,
        }
    }

    /// The bytes, if the section holds plain bytes.
    pub(crate) fn bytes_data(&self) -> Option<&[u8]> {
        match &self.data {
            SectionData::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Where a symbol is defined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolSection {
    /// `SHN_UNDEF`
    Undefined,
    /// A section of the model.
    Section(usize),
    /// `SHN_ABS`
    Absolute,
    /// `SHN_COMMON`
    Common,
    /// Another reserved index, kept as is.
    Reserved(u16),
}

/// A symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// Name.
    pub name: Cow<'a, [u8]>,
    /// `st_info` (binding << 4 | type).
    pub(crate) st_info: u8,
    /// `st_other` (visibility in bits 0–1).
    pub(crate) st_other: u8,
    /// `st_shndx`.
    pub section: SymbolSection,
    /// `st_value`.
    pub(crate) value: u64,
    /// `st_size`.
    pub(crate) size: u64,
}

impl Symbol<'_> {
    /// Binding (`STB_*`).
    pub(crate) fn binding(&self) -> u8 {
        self.st_info >> 4
    }

    /// Type (`STT_*`).
    pub(crate) fn kind(&self) -> u8 {
        self.st_info & 0xf
    }

    /// Visibility (`STV_*`).
    pub(crate) fn visibility(&self) -> u8 {
        self.st_other & 3
    }
}

/// A program header (`Elf64_Phdr` fields) and the sections it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) p_type: u32,
    pub(crate) p_flags: u32,
    pub(crate) p_offset: u64,
    pub(crate) p_vaddr: u64,
    pub(crate) p_paddr: u64,
    pub(crate) p_filesz: u64,
    pub(crate) p_memsz: u64,
    pub(crate) p_align: u64,
    /// The sections (model indices) it held in the file read, those still there.
    pub(crate) sections: Vec<usize>,
    /// A section it held was removed or moved since: GNU then rewrites the program headers
    /// ([`super::layout`]).
    pub(crate) changed: bool,
    /// The first section it held (in section order) was removed.
    pub(crate) lost_first: bool,
}

impl Segment {
    /// The end of its bytes in the file.
    pub(crate) fn file_end(&self) -> u64 {
        self.p_offset.saturating_add(self.p_filesz)
    }
}

/// What an executable or shared object has beyond sections: its program headers. Invariant:
/// the writer lays the segments out again from the sections they held ([`super::layout`]),
/// as GNU objcopy does when it keeps a program's allocated sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Image {
    /// `e_phoff` (the program headers follow the ELF header).
    pub(crate) phoff: u64,
    /// The program headers, in order.
    pub(crate) segments: Vec<Segment>,
    /// Why the program headers could not be read (the image cannot be written then).
    pub(crate) unreadable: Option<String>,
    /// The program headers are built anew from the sections, not from `segments` (GNU
    /// objcopy's `--extract-symbol`: [`super::layout`]).
    pub(crate) from_scratch: bool,
}

/// An ELF file in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfObject<'a> {
    /// ELFCLASS64.
    pub(crate) is_64: bool,
    /// ELFDATA2MSB.
    pub(crate) big_endian: bool,
    /// `EI_OSABI`.
    pub(crate) os_abi: u8,
    /// `EI_ABIVERSION`.
    pub(crate) abi_version: u8,
    /// `e_type`.
    pub e_type: u16,
    /// `e_machine`.
    pub e_machine: u16,
    /// `e_flags`.
    pub(crate) e_flags: u32,
    /// `e_entry`.
    pub(crate) e_entry: u64,
    /// The program headers of an executable or shared object (`None` for a file without).
    pub(crate) image: Option<Image>,
    /// Sections (file index − 1).
    pub sections: Vec<Section<'a>>,
    /// Symbols of `.symtab` (file index − 1).
    pub symbols: Vec<Symbol<'a>>,
}

impl<'a> ElfObject<'a> {
    /// An empty relocatable object.
    pub(crate) fn new_relocatable(is_64: bool, big_endian: bool, e_machine: u16, e_flags: u32) -> ElfObject<'a> {
        ElfObject {
            is_64,
            big_endian,
            os_abi: 0,
            abi_version: 0,
            e_type: consts::ET_REL,
            e_machine,
            e_flags,
            e_entry: 0,
            image: None,
            sections: Vec::new(),
            symbols: Vec::new(),
        }
    }

    /// Index of the first section named `name`.
    pub(crate) fn section_by_name(&self, name: &[u8]) -> Option<usize> {
        self.sections.iter().position(|s| s.name.as_ref() == name)
    }

    /// Whether a section holds the symbol table.
    pub(crate) fn has_symbol_table(&self) -> bool {
        self.sections.iter().any(|s| matches!(s.data, SectionData::SymbolTable))
    }

    /// Adds a section, returning its model index.
    pub(crate) fn add_section(&mut self, s: Section<'a>) -> usize {
        self.sections.push(s);
        self.sections.len() - 1
    }

    /// Adds a symbol, returning its model index.
    pub(crate) fn add_symbol(&mut self, s: Symbol<'a>) -> usize {
        self.symbols.push(s);
        self.symbols.len() - 1
    }
}

impl ElfObject<'_> {
    /// How many program headers the file read had.
    pub fn program_headers(&self) -> usize {
        self.image.as_ref().map_or(0, |i| i.segments.len())
    }

    /// Section `i`'s load address (BFD's LMA): the one set for it, else its address moved by
    /// the `p_paddr − p_vaddr` of the load segment holding it (its address in a file without
    /// program headers).
    pub(crate) fn lma(&self, i: usize) -> u64 {
        let s = &self.sections[i];
        if let Some(lma) = s.lma {
            return lma;
        }
        self.image
            .iter()
            .flat_map(|image| image.segments.iter())
            .find(|p| p.p_type == consts::PT_LOAD && p.sections.contains(&i))
            .map_or(s.sh_addr, |p| p.p_paddr.wrapping_add(s.sh_addr.wrapping_sub(p.p_vaddr)))
    }

    /// Moves the symbol table, its index and string tables and the section-name table after
    /// every other section, in that order (as BFD numbers them); a symbol table gets a string
    /// table of its own (an LLVM object's `.strtab` may be its section-name table too).
    pub(crate) fn move_tables_last(&mut self) {
        let rank = |d: &SectionData<'_>| match d {
            SectionData::SymbolTable => Some(0),
            SectionData::SymtabShndx => Some(1),
            SectionData::StringTable => Some(2),
            SectionData::SectionNames => Some(3),
            _ => None,
        };
        let mut tables: Vec<Section<'_>> = self.sections.iter().filter(|s| rank(&s.data).is_some()).cloned().collect();
        let keep: Vec<bool> = self.sections.iter().map(|s| rank(&s.data).is_none()).collect();
        self.retain_tables(&keep, &vec![true; self.symbols.len()]);
        tables.sort_by_key(|s| rank(&s.data));
        let has = |r: usize| tables.iter().any(|s| rank(&s.data) == Some(r));
        if has(0) && !has(2) {
            let at = tables.iter().position(|s| rank(&s.data) > Some(2)).unwrap_or(tables.len());
            let mut strtab = Section::bytes(b".strtab", consts::SHT_STRTAB, 0, 1, Cow::Borrowed(b""));
            strtab.data = SectionData::StringTable;
            tables.insert(at, strtab);
        }
        self.sections.extend(tables);
    }

    /// [`ElfObject::retain`] of tables (the symbol and string tables), which BFD does not count
    /// as sections of segments: no segment is rewritten for them.
    pub(crate) fn retain_tables(&mut self, keep_sections: &[bool], keep_symbols: &[bool]) {
        let flags: Vec<(bool, bool)> = self.image.iter().flat_map(|i| i.segments.iter()).map(|p| (p.changed, p.lost_first)).collect();
        self.retain(keep_sections, keep_symbols);
        for (p, (changed, lost_first)) in self.image.iter_mut().flat_map(|i| i.segments.iter_mut()).zip(flags) {
            (p.changed, p.lost_first) = (changed, lost_first);
        }
    }

    /// Section `i` changed (moved, resized, realigned, flags): the segments holding it are
    /// rewritten ([`super::layout`]).
    pub(crate) fn section_changed(&mut self, i: usize) {
        for p in self.image.iter_mut().flat_map(|image| image.segments.iter_mut()) {
            if p.sections.contains(&i) {
                p.changed = true;
            }
        }
    }

    /// Puts the sections in a new order (`order[new] = old`, a permutation), renumbering every
    /// reference to them.
    pub(crate) fn permute_sections(&mut self, order: &[usize]) {
        debug_assert_eq!(order.len(), self.sections.len());
        let mut new_of = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old] = new;
        }
        let mut old: Vec<Option<Section<'_>>> = std::mem::take(&mut self.sections).into_iter().map(Some).collect();
        self.sections = order.iter().map(|&i| old[i].take().expect("a permutation")).collect();
        for s in &mut self.sections {
            if let Link::Section(i) = &mut s.link {
                *i = new_of[*i];
            }
            if let Info::Section(i) = &mut s.info {
                *i = new_of[*i];
            }
            if let SectionData::Group { members, .. } = &mut s.data {
                members.iter_mut().for_each(|m| *m = new_of[*m]);
            }
        }
        for s in &mut self.symbols {
            if let SymbolSection::Section(i) = &mut s.section {
                *i = new_of[*i];
            }
        }
        for p in self.image.iter_mut().flat_map(|image| image.segments.iter_mut()) {
            p.sections.iter_mut().for_each(|i| *i = new_of[*i]);
            p.sections.sort_unstable();
        }
    }

    /// Removes the sections and symbols not marked to keep, renumbering every reference between
    /// them. References to removed items become neutral: a link or info of 0, a group without
    /// the member, a relocation against symbol 0, a symbol that is undefined.
    pub(crate) fn retain(&mut self, keep_sections: &[bool], keep_symbols: &[bool]) {
        let remap = |keep: &[bool], len: usize| -> Vec<Option<usize>> {
            let mut next = 0;
            (0..len)
                .map(|i| {
                    if keep.get(i).copied().unwrap_or(true) {
                        next += 1;
                        Some(next - 1)
                    } else {
                        None
                    }
                })
                .collect()
        };
        let sec = remap(keep_sections, self.sections.len());
        let sym = remap(keep_symbols, self.symbols.len());
        let mut k = 0;
        self.sections.retain(|_| {
            k += 1;
            sec[k - 1].is_some()
        });
        let mut k = 0;
        self.symbols.retain(|_| {
            k += 1;
            sym[k - 1].is_some()
        });
        for s in &mut self.sections {
            if let Link::Section(i) = s.link {
                s.link = sec[i].map_or(Link::Raw(0), Link::Section);
            }
            match s.info {
                Info::Section(i) => s.info = sec[i].map_or(Info::Raw(0), Info::Section),
                Info::Symbol(j) => s.info = sym[j].map_or(Info::Raw(0), Info::Symbol),
                Info::Raw(_) => {}
            }
            match &mut s.data {
                SectionData::Group { members, .. } => {
                    *members = members.iter().filter_map(|&m| sec[m]).collect();
                }
                SectionData::Relocations { relocs, .. } => {
                    for r in relocs.iter_mut() {
                        r.symbol = r.symbol.and_then(|j| sym[j]);
                    }
                }
                _ => {}
            }
        }
        for s in &mut self.symbols {
            if let SymbolSection::Section(i) = s.section {
                s.section = sec[i].map_or(SymbolSection::Undefined, SymbolSection::Section);
            }
        }
        for p in self.image.iter_mut().flat_map(|image| image.segments.iter_mut()) {
            let held = p.sections.len();
            p.lost_first |= p.sections.first().is_some_and(|&i| sec[i].is_none());
            p.sections = p.sections.iter().filter_map(|&i| sec[i]).collect();
            p.changed |= p.sections.len() != held;
        }
    }
}
