//! Taking a wrapped object (or a partial link's output, or one a foreign `ld -r` produced)
//! apart: its native part and its bitcode ([`BitcodePart`]: units, each module's symbols and
//! summary record).
//!
//! [`decompose`] undoes a mirror wherever it is: in a wrapped object, in tl-ld's own output,
//! and after a foreign `ld -r` merged the placeholders into native sections. A mirror symbol is
//! one whose name the bitcode defines and which sits at the start of a guard slot (a place a
//! relocation against the guard patches), or is common like the bitcode's; global mirror
//! symbols become undefined (native code that referred to them now refers to the bitcode's
//! definition), local ones go; the guard's relocations and symbol go; placeholder sections
//! left empty go; `.llvmbc` and `.tl.summary` go.

use std::borrow::Cow;
use std::collections::HashSet;

use super::records::{match_records, module_record, read_records};
use super::summary_section::ModuleRecord;
use crate::bad;
use crate::bitcode::container;
use crate::bitcode::details;
use crate::bitcode::irsymtab::flag;
use crate::bitcode::symtab::IrSym;
use crate::elf::consts::*;
use crate::elf::{ElfObject, SectionData, SymbolSection};
use crate::embedded::{self, GUARD_SYMBOL, LLVMBC, SUMMARY_SECTION, is_llvm_lto};
use crate::error::PResult;

/// One module carried by an input.
#[derive(Clone, Debug)]
pub(crate) struct ModulePart {
    /// Its symbols (llvm-nm's view).
    pub(crate) symbols: Vec<IrSym>,
    /// Its summary record (renumbered on output).
    pub(crate) record: ModuleRecord,
    /// Index of its unit in [`BitcodePart::units`].
    pub(crate) unit: usize,
}

/// The bitcode an input carries.
#[derive(Clone, Debug)]
pub(crate) struct BitcodePart<'a> {
    /// Each unit's bytes, without magic or wrapper header.
    pub(crate) units: Vec<Cow<'a, [u8]>>,
    /// The modules, in order.
    pub(crate) modules: Vec<ModulePart>,
}

/// Reads bitcode: units, symbols, and records (from `records` when they match, else computed).
fn part<'b>(data: &'b [u8], records: &[ModuleRecord]) -> PResult<BitcodePart<'b>> {
    let c = container::parse(data)?;
    let matches = match_records(&c, records);
    let complete = matches.iter().all(Option::is_some);
    let details = if complete { details::module_details_symbols_only(&c)? } else { details::module_details(&c)? };
    let units = (0..c.units.len()).map(|k| Cow::Borrowed(c.unit_body(k))).collect();
    let modules = details
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let record = match matches[i] {
                Some(k) => records[k].clone(),
                None => module_record(&c, i, &d),
            };
            ModulePart { symbols: d.symbols.symbols, record, unit: c.modules[i].unit }
        })
        .collect();
    Ok(BitcodePart { units, modules })
}

/// Raw bitcode (a file or an archive member).
pub(crate) fn from_raw(data: &[u8]) -> PResult<BitcodePart<'_>> {
    part(data, &[])
}

/// The symbols of each module of raw bitcode (no records: what pulling from archives needs).
pub(crate) fn module_symbols(data: &[u8]) -> PResult<Vec<Vec<IrSym>>> {
    let c = container::parse(data)?;
    Ok(details::module_details_symbols_only(&c)?.into_iter().map(|d| d.symbols.symbols).collect())
}

/// Splits a wrapped object (or an earlier partial link's output) into its native part and its
/// bitcode (see the module documentation).
pub(crate) fn decompose(mut obj: ElfObject<'_>) -> PResult<(ElfObject<'_>, BitcodePart<'_>)> {
    let bytes = embedded::bitcode_section(&obj).ok_or_else(|| bad!("carries the tl guard or summary but no bitcode"))?;
    let records = read_records(&obj)?;
    let bitcode = match bytes {
        Cow::Borrowed(b) => part(b, &records)?,
        Cow::Owned(v) => {
            let p = part(&v, &records)?;
            BitcodePart { units: p.units.into_iter().map(|u| Cow::Owned(u.into_owned())).collect(), modules: p.modules }
        }
    };
    let defined: HashSet<&[u8]> = bitcode
        .modules
        .iter()
        .flat_map(|m| m.symbols.iter())
        .filter(|s| !s.has(flag::UNDEFINED) && !s.has(flag::COMMON))
        .map(|s| s.name.as_slice())
        .collect();
    let common: HashSet<&[u8]> =
        bitcode.modules.iter().flat_map(|m| m.symbols.iter()).filter(|s| s.has(flag::COMMON)).map(|s| s.name.as_slice()).collect();

    let guard = obj.symbols.iter().position(|s| s.name.as_ref() == GUARD_SYMBOL);
    // The guard slots, and the relocation sections that held their relocations.
    let mut slots: HashSet<(usize, u64)> = HashSet::new();
    for s in &mut obj.sections {
        let crate::elf::Info::Section(target) = s.info else { continue };
        if let SectionData::Relocations { relocs, .. } = &mut s.data {
            relocs.retain(|r| {
                let is_guard = guard.is_some() && r.symbol == guard;
                if is_guard {
                    slots.insert((target, r.offset));
                }
                !is_guard
            });
        }
    }
    let mut keep_symbols = vec![true; obj.symbols.len()];
    if let Some(g) = guard {
        keep_symbols[g] = false;
    }
    for (j, s) in obj.symbols.iter_mut().enumerate() {
        let in_slot = matches!(s.section, SymbolSection::Section(k) if slots.contains(&(k, s.value)));
        let mirror =
            (in_slot && defined.contains(s.name.as_ref())) || (s.section == SymbolSection::Common && common.contains(s.name.as_ref()));
        if !mirror {
            continue;
        }
        if s.binding() == STB_LOCAL {
            keep_symbols[j] = false;
        } else {
            s.section = SymbolSection::Undefined;
            s.value = 0;
            s.size = 0;
            s.st_info = (s.binding() << 4) | STT_NOTYPE;
        }
    }
    // Sections to drop: the bitcode, the summary, and placeholders nothing else uses.
    let mut keep_sections = vec![true; obj.sections.len()];
    let referenced_by_reloc: HashSet<usize> = obj
        .sections
        .iter()
        .flat_map(|s| match &s.data {
            SectionData::Relocations { relocs, .. } => relocs.iter().filter_map(|r| r.symbol).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    for (k, s) in obj.sections.iter().enumerate() {
        let name = s.name.as_ref();
        if name == LLVMBC || is_llvm_lto(s.sh_type, name) || name == SUMMARY_SECTION {
            keep_sections[k] = false;
            continue;
        }
        let is_placeholder = slots.iter().any(|(t, _)| *t == k)
            && s.bytes_data().is_some_and(|b| b.iter().all(|&x| x == 0))
            && !obj.symbols.iter().enumerate().any(|(j, sym)| {
                keep_symbols[j]
                    && sym.section == SymbolSection::Section(k)
                    && (sym.kind() != STT_SECTION || referenced_by_reloc.contains(&j))
            })
            && !obj.sections.iter().any(|r| {
                r.info == crate::elf::Info::Section(k) && matches!(&r.data, SectionData::Relocations { relocs, .. } if !relocs.is_empty())
            });
        if is_placeholder {
            keep_sections[k] = false;
        }
    }
    // Relocation sections of dropped sections, and their section symbols, go too.
    for (k, s) in obj.sections.iter().enumerate() {
        if let (crate::elf::Info::Section(t), SectionData::Relocations { .. }) = (&s.info, &s.data)
            && !keep_sections[*t]
        {
            keep_sections[k] = false;
        }
    }
    for (j, s) in obj.symbols.iter().enumerate() {
        if let SymbolSection::Section(k) = s.section
            && !keep_sections[k]
        {
            keep_symbols[j] = false;
        }
    }
    obj.retain(&keep_sections, &keep_symbols);
    Ok((obj, bitcode))
}

/// True when an object has native code or data: an allocated section, or relocations.
pub(crate) fn has_native_code(obj: &ElfObject<'_>) -> bool {
    obj.sections.iter().any(|s| s.sh_flags & SHF_ALLOC != 0 || matches!(s.data, SectionData::Relocations { .. }))
}
