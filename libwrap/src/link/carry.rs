//! Bitcode in partial links: what an input carries ([`BitcodePart`]), how a wrapped or
//! previously linked object splits into its native part and its bitcode ([`decompose`]), and how
//! the output carries every module ([`carry`]).
//!
//! The output's `.llvmbc` is LLVM's multi-module layout: one magic, then every unit of every
//! input in load order (a unit is what one producer wrote together, without its magic or
//! wrapper header). `.tl.summary` holds each module's record, renumbered. The mirror (see
//! [`crate::wrapped`]) has one symbol per global name whose winning definition is bitcode, the
//! bitcode's local symbols, and the guard.
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

use super::load::Object;
use super::merge::Output;
use super::resolve::{Origin, State, Table};
use crate::bad;
use crate::bitcode::container::{self, MAGIC};
use crate::bitcode::irsymtab::flag;
use crate::bitcode::symbols::IrSym;
use crate::elf::consts::*;
use crate::elf::target::{self, ElfTarget};
use crate::elf::{ElfObject, Section, SectionData, SymbolSection};
use crate::error::{Error, PResult, Result};
use crate::tlsummary::{self, ModuleRecord};
use crate::wrapped::{self, GUARD_SYMBOL, SUMMARY_SECTION};

/// One module carried by an input.
#[derive(Clone, Debug)]
pub struct ModulePart {
    /// Its symbols (llvm-nm's view).
    pub symbols: Vec<IrSym>,
    /// Its summary record (renumbered on output).
    pub record: ModuleRecord,
    /// Index of its unit in [`BitcodePart::units`].
    pub unit: usize,
}

/// The bitcode an input carries.
#[derive(Clone, Debug)]
pub struct BitcodePart<'a> {
    /// Each unit's bytes, without magic or wrapper header.
    pub units: Vec<Cow<'a, [u8]>>,
    /// The modules, in order.
    pub modules: Vec<ModulePart>,
}

/// Reads bitcode: units, symbols, and records (from `records` when they match, else computed).
fn part<'b>(data: &'b [u8], records: &[ModuleRecord]) -> PResult<BitcodePart<'b>> {
    let c = container::parse(data)?;
    let matches = wrapped::match_records(&c, records);
    let complete = matches.iter().all(Option::is_some);
    let details = if complete { wrapped::module_details_symbols_only(&c)? } else { wrapped::module_details(&c)? };
    let units = c.units.iter().map(|u| Cow::Borrowed(&data[u.first_begin..u.end])).collect();
    let modules = details
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let record = match matches[i] {
                Some(k) => records[k].clone(),
                None => wrapped::module_record(&c, i, &d),
            };
            ModulePart { symbols: d.symbols.symbols, record, unit: c.modules[i].unit }
        })
        .collect();
    Ok(BitcodePart { units, modules })
}

/// Raw bitcode (a file or an archive member).
pub fn from_raw(data: &[u8]) -> PResult<BitcodePart<'_>> {
    part(data, &[])
}

/// The symbols of each module of raw bitcode (no records: what pulling from archives needs).
pub fn module_symbols(data: &[u8]) -> PResult<Vec<Vec<IrSym>>> {
    let c = container::parse(data)?;
    Ok(wrapped::module_details_symbols_only(&c)?.into_iter().map(|d| d.symbols.symbols).collect())
}

/// The bitcode sections' bytes, borrowed from the file when there is one section.
fn bitcode_bytes<'a>(obj: &ElfObject<'a>) -> Option<Cow<'a, [u8]>> {
    let mut parts: Vec<&Section<'a>> = obj
        .sections
        .iter()
        .filter(|s| s.sh_type == SHT_LLVM_LTO || s.name.as_ref() == crate::sniff::LLVM_LTO)
        .filter(|s| s.size(obj.is_64) > 0)
        .collect();
    if parts.is_empty() {
        parts = obj.sections.iter().filter(|s| s.name.as_ref() == crate::sniff::LLVMBC && s.size(obj.is_64) > 0).collect();
    }
    match parts.as_slice() {
        [] => None,
        [one] => match &one.data {
            SectionData::Bytes(Cow::Borrowed(b)) => Some(Cow::Borrowed(*b)),
            SectionData::Bytes(Cow::Owned(v)) => Some(Cow::Owned(v.clone())),
            _ => None,
        },
        many => {
            let mut all = Vec::new();
            for b in many.iter().filter_map(|s| s.bytes_data()) {
                all.extend_from_slice(b);
            }
            Some(Cow::Owned(all))
        }
    }
}

/// Splits a wrapped object (or an earlier partial link's output) into its native part and its
/// bitcode (see the module documentation).
pub fn decompose(mut obj: ElfObject<'_>) -> PResult<(ElfObject<'_>, BitcodePart<'_>)> {
    let bytes = bitcode_bytes(&obj).ok_or_else(|| bad!("carries the tl guard or summary but no bitcode"))?;
    let records = wrapped::read_records(&obj)?;
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
        if name == crate::sniff::LLVMBC || name == crate::sniff::LLVM_LTO || s.sh_type == SHT_LLVM_LTO || name == SUMMARY_SECTION {
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

/// The ELF target of the carried modules (all must agree).
fn bitcode_target(objects: &[Object<'_>]) -> Result<Option<ElfTarget>> {
    let mut found: Option<(ElfTarget, String, String)> = None;
    for o in objects {
        let Some(bc) = &o.bitcode else { continue };
        for m in &bc.modules {
            let triple = m.record.triple.clone();
            let t = target::for_triple(&triple).map_err(|e| Error::Link { messages: vec![format!("{}: {e}", o.name)] })?;
            match &found {
                Some((f, ft, fname)) if *f != t => {
                    return Err(Error::Link {
                        messages: vec![format!("{}: bitcode for {triple} cannot be linked with {fname}'s bitcode for {ft}", o.name)],
                    });
                }
                None => found = Some((t, triple, o.name.clone())),
                _ => {}
            }
        }
    }
    Ok(found.map(|f| f.0))
}

/// Adds the carried bitcode to the output: `.llvmbc`, `.tl.summary`, the mirror and the guard.
pub fn carry(objects: &[Object<'_>], table: &Table, out: &mut Output<'_>) -> Result<()> {
    let Some(t) = bitcode_target(objects)? else { return Ok(()) };
    let obj = &mut out.obj;
    if out.native_machine {
        if (obj.e_machine, obj.is_64, obj.big_endian) != (t.e_machine, t.is_64, t.big_endian) {
            return Err(Error::Link { messages: vec!["the bitcode inputs are for another machine than the native inputs".to_string()] });
        }
    } else {
        obj.e_machine = t.e_machine;
        obj.is_64 = t.is_64;
        obj.big_endian = t.big_endian;
        obj.e_flags = t.e_flags;
    }

    // .llvmbc and the renumbered records.
    let size: usize = objects.iter().filter_map(|o| o.bitcode.as_ref()).flat_map(|bc| bc.units.iter()).map(|u| u.len()).sum();
    let mut llvmbc = Vec::with_capacity(MAGIC.len() + size);
    llvmbc.extend_from_slice(&MAGIC);
    let mut records = Vec::new();
    for o in objects {
        let Some(bc) = &o.bitcode else { continue };
        let mut unit_at = Vec::with_capacity(bc.units.len());
        for (k, u) in bc.units.iter().enumerate() {
            let start = if llvmbc.len() == MAGIC.len() && k == 0 && unit_at.is_empty() { 0 } else { llvmbc.len() };
            unit_at.push((start as u64, (llvmbc.len() + u.len() - start) as u64));
            llvmbc.extend_from_slice(u);
        }
        for m in &bc.modules {
            let mut r = m.record.clone();
            r.module_index = records.len() as u32;
            (r.unit_offset, r.unit_size) = unit_at[m.unit];
            records.push(r);
        }
    }

    // The mirror: bitcode winners (their output symbols exist already), then bitcode locals.
    let mut placed = Vec::new();
    for (gi, g) in table.globals.iter().enumerate() {
        let (Origin::Bitcode { object, module, symbol }, State::Defined { weak }) = (g.origin, g.state) else { continue };
        let Some(bc) = &objects[object].bitcode else { continue };
        let s = &bc.modules[module].symbols[symbol];
        let (mut mirror, placeholder) = wrapped::mirror_symbol(s);
        mirror.st_info = ((if weak { STB_WEAK } else { STB_GLOBAL }) << 4) | (mirror.st_info & 0xf);
        mirror.st_other = (mirror.st_other & !3) | g.visibility;
        let j = out.global_symbols[gi];
        obj.symbols[j] = mirror;
        if let Some(p) = placeholder {
            placed.push((j, p));
        }
    }
    for o in objects {
        let Some(bc) = &o.bitcode else { continue };
        for s in bc.modules.iter().flat_map(|m| m.symbols.iter()) {
            if s.has(flag::GLOBAL) || s.format_specific() || s.has(flag::UNDEFINED) {
                continue;
            }
            let (mirror, placeholder) = wrapped::mirror_symbol(s);
            let j = obj.add_symbol(mirror);
            if let Some(p) = placeholder {
                placed.push((j, p));
            }
        }
    }
    wrapped::place_mirror(obj, t, &placed).map_err(|e| e.at("<output>", None))?;
    obj.add_section(Section::bytes(crate::sniff::LLVMBC, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(llvmbc)));
    obj.add_section(Section::bytes(SUMMARY_SECTION, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(tlsummary::encode_all(&records))));
    Ok(())
}
