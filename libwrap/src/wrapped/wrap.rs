//! Wrapping raw bitcode: the ELF model of a wrapped object (see [`crate::wrapped`]).

use std::borrow::Cow;

use super::mirror::{place_mirror, resolved_mirror};
use super::records::module_record;
use super::summary_section::{self, ModuleRecord};
use crate::bad;
use crate::bitcode::container;
use crate::bitcode::details::{self, ModuleDetails};
use crate::elf::consts::*;
use crate::elf::target::{self, ElfTarget, TargetConflict};
use crate::elf::{ElfObject, Section, SectionData};
use crate::embedded::{LLVMBC, SUMMARY_SECTION};
use crate::error::PResult;

/// The ELF target of a buffer's modules (all must agree).
pub fn elf_target(details: &[ModuleDetails]) -> PResult<ElfTarget> {
    match target::agreed(details.iter().map(|d| (d.triple(), ()))) {
        Ok(Some((t, _, _))) => Ok(t),
        Ok(None) => Err(bad!("no module")),
        Err(TargetConflict::Unmapped(e, _)) => Err(bad!("cannot wrap: {e}")),
        Err(TargetConflict::Differ { first, second }) => {
            Err(bad!("cannot wrap modules for different targets ({} and {})", first.0, second.0))
        }
    }
}

/// Wraps raw bitcode (one or more modules) into a wrapped ELF object.
pub fn wrap(bitcode: &[u8]) -> PResult<Vec<u8>> {
    let c = container::parse(bitcode)?;
    let details = details::module_details(&c)?;
    let t = elf_target(&details)?;
    let records: Vec<ModuleRecord> = details.iter().enumerate().map(|(i, d)| module_record(&c, i, d)).collect();
    let obj = build(t, Cow::Borrowed(bitcode), &details, &records)?;
    crate::elf::write(&obj)
}

/// Builds the ELF model of a wrapped object.
pub(crate) fn build<'a>(
    t: ElfTarget,
    llvmbc: Cow<'a, [u8]>,
    details: &[ModuleDetails],
    records: &[ModuleRecord],
) -> PResult<ElfObject<'a>> {
    let mut obj = ElfObject::new_relocatable(t.is_64, t.big_endian, t.e_machine, t.e_flags);
    obj.add_section(Section::bytes(LLVMBC, SHT_PROGBITS, SHF_EXCLUDE, 1, llvmbc));
    obj.add_section(Section::bytes(SUMMARY_SECTION, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(summary_section::encode_all(records))));
    obj.add_section(Section::bytes(b".note.GNU-stack", SHT_PROGBITS, 0, 1, Cow::Borrowed(b"")));
    let mut placed = Vec::new();
    for (symbol, placeholder) in resolved_mirror(details) {
        let j = obj.add_symbol(symbol);
        if let Some(p) = placeholder {
            placed.push((j, p));
        }
    }
    place_mirror(&mut obj, t, &placed)?;
    obj.add_section(Section { data: SectionData::SymbolTable, ..Section::bytes(b".symtab", SHT_SYMTAB, 0, 8, Cow::Borrowed(b"")) });
    obj.add_section(Section { data: SectionData::StringTable, ..Section::bytes(b".strtab", SHT_STRTAB, 0, 1, Cow::Borrowed(b"")) });
    obj.add_section(Section { data: SectionData::SectionNames, ..Section::bytes(b".shstrtab", SHT_STRTAB, 0, 1, Cow::Borrowed(b"")) });
    Ok(obj)
}
