//! `objcopy -I binary -O ELF-TARGET`: a file's bytes as a relocatable object, as BFD's binary
//! input makes it (`bfd/binary.c`): one `.data` section (`PROGBITS`, `WA`, alignment 1)
//! holding the bytes, and three global symbols named after the input path as given, every
//! character that is not a letter or digit made `_`: `_binary_P_start` (`.data` + 0),
//! `_binary_P_end` (`.data` + size) and `_binary_P_size` (absolute, the size).

use std::borrow::Cow;

use crate::elf::consts::*;
use crate::elf::{ElfObject, Section, SectionData, Symbol, SymbolSection};

/// An ELF output target GNU objcopy names (`-O`): class, byte order, machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BinaryTarget {
    /// ELFCLASS64.
    pub is_64: bool,
    /// Big-endian.
    pub big_endian: bool,
    /// `e_machine`.
    pub e_machine: u16,
}

impl BinaryTarget {
    /// The BFD target names this build of GNU binutils 2.40 supports (`objcopy --info`).
    pub fn by_name(name: &str) -> Option<BinaryTarget> {
        let t = |is_64, big_endian, e_machine| Some(BinaryTarget { is_64, big_endian, e_machine });
        match name {
            "elf64-x86-64" => t(true, false, 62),
            "elf32-x86-64" => t(false, false, 62),
            "elf32-i386" => t(false, false, 3),
            "elf32-iamcu" => t(false, false, 6),
            "elf64-little" => t(true, false, 0),
            "elf64-big" => t(true, true, 0),
            "elf32-little" => t(false, false, 0),
            "elf32-big" => t(false, true, 0),
            _ => None,
        }
    }
}

/// The symbol name part BFD makes of a path.
fn mangle(path: &str) -> Vec<u8> {
    path.bytes().map(|b| if b.is_ascii_alphanumeric() { b } else { b'_' }).collect()
}

/// The relocatable object holding `data`, named after `path` (as given on the command line).
pub(crate) fn object<'a>(data: &'a [u8], path: &str, t: BinaryTarget) -> ElfObject<'a> {
    let mut obj = ElfObject::new_relocatable(t.is_64, t.big_endian, t.e_machine, 0);
    let data_section = obj.add_section(Section::bytes(b".data", SHT_PROGBITS, SHF_WRITE | SHF_ALLOC, 1, Cow::Borrowed(data)));
    let stem = mangle(path);
    let size = data.len() as u64;
    for (suffix, section, value) in [
        (&b"_start"[..], SymbolSection::Section(data_section), 0),
        (b"_end", SymbolSection::Section(data_section), size),
        (b"_size", SymbolSection::Absolute, size),
    ] {
        let name = [b"_binary_".as_slice(), &stem, suffix].concat();
        obj.add_symbol(Symbol { name: Cow::Owned(name), st_info: STB_GLOBAL << 4, st_other: 0, section, value, size: 0 });
    }
    for (name, sh_type, data, align) in [
        (&b".symtab"[..], SHT_SYMTAB, SectionData::SymbolTable, if t.is_64 { 8 } else { 4 }),
        (b".strtab", SHT_STRTAB, SectionData::StringTable, 1),
        (b".shstrtab", SHT_STRTAB, SectionData::SectionNames, 1),
    ] {
        obj.add_section(Section { data, ..Section::bytes(name, sh_type, 0, align, Cow::Borrowed(b"")) });
    }
    obj
}
