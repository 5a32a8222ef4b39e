//! Pass: relocations. Each input relocation section's entries join the relocations of the
//! output section its target went to: offsets moved with the section, symbols mapped to the
//! output's, addends of section-symbol relocations moved by the input section's offset (in
//! place for REL), and relocations against discarded sections turned into `R_*_NONE`.

use std::collections::HashSet;

use super::sections::Layout;
use super::symbols::Mapper;
use crate::elf::consts::*;
use crate::elf::{Info, Reloc, SectionData};
use crate::error::{Error, Result};
use crate::link::load::Object;

/// Copies every kept relocation (those of the `.eh_frame` inputs in `eh_inputs` are done).
pub(super) fn copy(
    objects: &[Object<'_>],
    layout: &mut Layout,
    mapper: &Mapper<'_, '_>,
    eh_inputs: &HashSet<(usize, usize)>,
    e_machine: u16,
) -> Result<()> {
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        for (k, s) in elf.sections.iter().enumerate() {
            let (SectionData::Relocations { rela, relocs }, Info::Section(target)) = (&s.data, &s.info) else { continue };
            if o.discarded[k] || o.discarded.get(*target).copied().unwrap_or(true) {
                continue;
            }
            let Some((out, at)) = layout.placement[oi].get(*target).copied().flatten() else { continue };
            if at == u64::MAX || eh_inputs.contains(&(oi, *target)) {
                continue; // .eh_frame: done by its pass
            }
            let os = &mut layout.sections[out];
            match os.rela {
                Some(r) if r != *rela => {
                    return Err(Error::Link { messages: vec![format!("{}: REL and RELA relocations for one section", o.name)] });
                }
                _ => os.rela = Some(*rela),
            }
            for r in relocs {
                let offset = r.offset + at;
                match r.symbol.map(|j| mapper.map(&layout.placement, oi, j)) {
                    None => os.relocs.push(Reloc { offset, ..r.clone() }),
                    Some(None) => {
                        // Against a discarded section: GNU leaves R_*_NONE against symbol 0.
                        if !*rela {
                            clear_field(e_machine, r.r_type, &mut os.bytes, offset);
                        }
                        os.relocs.push(Reloc { offset, symbol: None, r_type: 0, addend: 0 });
                    }
                    Some(Some((sym, add))) => {
                        let mut addend = r.addend;
                        if add != 0 {
                            if *rela {
                                addend += add;
                            } else {
                                patch_rel(e_machine, r.r_type, &mut os.bytes, offset, add)
                                    .map_err(|m| Error::Link { messages: vec![format!("{}: {m}", o.name)] })?;
                            }
                        }
                        os.relocs.push(Reloc { offset, symbol: Some(sym), r_type: r.r_type, addend });
                    }
                }
            }
        }
    }
    Ok(())
}

/// The width of the field a REL relocation patches, for the types whose addend is a plain
/// little-endian integer there.
fn rel_field(e_machine: u16, r_type: u32) -> Option<usize> {
    match e_machine {
        m if m == EM_386.0 => match r_type {
            1 | 2 | 9 | 10 | 32 | 37 => Some(4), // 32, PC32, GOTOFF, GOTPC, TLS_LDO_32, TLS_LE_32
            20 | 21 => Some(2),                  // 16, PC16
            22 | 23 => Some(1),                  // 8, PC8
            _ => None,
        },
        _ => None,
    }
}

/// Adds `add` to the addend stored in place by a REL relocation.
fn patch_rel(e_machine: u16, r_type: u32, bytes: &mut [u8], offset: u64, add: i64) -> std::result::Result<(), String> {
    let width = rel_field(e_machine, r_type)
        .ok_or_else(|| format!("REL relocation type {r_type} against a section symbol is not supported for machine {e_machine}"))?;
    let at = offset as usize;
    let field = bytes.get_mut(at..at + width).ok_or_else(|| format!("relocation at {offset:#x} beyond its section"))?;
    let mut buf = [0u8; 8];
    buf[..width].copy_from_slice(field);
    let value = i64::from_le_bytes(buf).wrapping_add(add);
    field.copy_from_slice(&value.to_le_bytes()[..width]);
    Ok(())
}

/// Clears the field of a REL relocation that now points nowhere (GNU does the same).
fn clear_field(e_machine: u16, r_type: u32, bytes: &mut [u8], offset: u64) {
    if let Some(width) = rel_field(e_machine, r_type)
        && let Some(field) = bytes.get_mut(offset as usize..offset as usize + width)
    {
        field.fill(0);
    }
}
