//! Bitcode in partial links: how the output carries every module of its inputs ([`carry`]; what
//! an input carries is read by [`crate::wrapped::decompose`]).
//!
//! The output's `.llvmbc` is LLVM's multi-module layout: one magic, then every unit of every
//! input in load order (a unit is what one producer wrote together, without its magic or
//! wrapper header). `.tl.summary` holds each module's record, renumbered. The mirror (see
//! [`crate::wrapped`]) has one symbol per global name whose winning definition is bitcode, the
//! bitcode's local symbols, and the guard.

use std::borrow::Cow;

use super::load::Object;
use super::merge::Output;
use crate::bitcode::container::MAGIC;
use crate::bitcode::irsymtab::flag;
use crate::elf::Section;
use crate::elf::consts::*;
use crate::elf::target::{self, ElfTarget, TargetConflict};
use crate::embedded::{LLVMBC, SUMMARY_SECTION};
use crate::error::{Error, Result};
use crate::resolve::{Origin, State, Table};
use crate::wrapped::mirror;
use crate::wrapped::summary_section;

/// The ELF target of the carried modules (all must agree).
fn bitcode_target(objects: &[Object<'_>]) -> Result<Option<ElfTarget>> {
    let triples = objects
        .iter()
        .filter_map(|o| o.bitcode.as_ref().map(|bc| (o, bc)))
        .flat_map(|(o, bc)| bc.modules.iter().map(move |m| (m.record.triple.as_str(), o.name.as_str())));
    match target::agreed(triples) {
        Ok(found) => Ok(found.map(|f| f.0)),
        Err(TargetConflict::Unmapped(e, name)) => Err(Error::Link { messages: vec![format!("{name}: {e}")] }),
        Err(TargetConflict::Differ { first: (ft, fname), second: (triple, name) }) => {
            Err(Error::Link { messages: vec![format!("{name}: bitcode for {triple} cannot be linked with {fname}'s bitcode for {ft}")] })
        }
    }
}

/// Adds the carried bitcode to the output: `.llvmbc`, `.tl.summary`, the mirror and the guard.
pub(crate) fn carry(objects: &[Object<'_>], table: &Table, out: &mut Output<'_>) -> Result<()> {
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
        let (mut mirror, placeholder) = mirror::mirror_symbol(s);
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
            let (mirror, placeholder) = mirror::mirror_symbol(s);
            let j = obj.add_symbol(mirror);
            if let Some(p) = placeholder {
                placed.push((j, p));
            }
        }
    }
    mirror::place_mirror(obj, t, &placed).map_err(|e| e.at("<output>", None))?;
    obj.add_section(Section::bytes(LLVMBC, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(llvmbc)));
    obj.add_section(Section::bytes(SUMMARY_SECTION, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(summary_section::encode_all(&records))));
    Ok(())
}
