//! Pass: `.eh_frame` in partial links: the section is a sequence of records (each a length, then an id:
//! 0 for a CIE, else the distance back to the FDE's CIE). A partial link rebuilds it as GNU
//! ld -r does: FDEs whose code was discarded (a COMDAT group lost to another copy) are dropped,
//! FDEs of an address range of 0 (zero-length functions) too, CIEs left without FDEs too (their relocations become R_*_NONE, as in GNU's output), and the
//! survivors' CIE pointers are rewritten; CIEs are not
//! merged across inputs (GNU merges them only in final links). A section that does not parse
//! is kept whole.

use std::collections::{HashMap, HashSet};

use super::sections::{OutSection, Placement};
use super::symbols::Mapper;
use crate::bad;
use crate::elf::{Info, Reloc, SectionData, SymbolSection};
use crate::error::{Error, PResult, Result};
use crate::link::load::Object;

/// A record of an input `.eh_frame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Record {
    /// Start of the record (its length field) in the input section.
    pub(super) start: usize,
    /// One past its end.
    pub(super) end: usize,
    /// `None` for a CIE; for an FDE, the input offset of its CIE.
    pub(super) cie: Option<usize>,
}

/// Splits an `.eh_frame` section into records. A zero terminator ends the list.
pub(super) fn records(data: &[u8], big_endian: bool) -> PResult<Vec<Record>> {
    let word = |at: usize| -> PResult<u32> {
        let b: [u8; 4] = data.get(at..at + 4).and_then(|s| s.try_into().ok()).ok_or_else(|| bad!(".eh_frame truncated at {at:#x}"))?;
        Ok(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = word(at)?;
        if len == 0 {
            // A terminator: what follows is not records.
            break;
        }
        if len == 0xffff_ffff {
            return Err(bad!(".eh_frame record at {at:#x} uses a 64-bit length"));
        }
        let end =
            at.checked_add(4 + len as usize).filter(|&e| e <= data.len()).ok_or_else(|| bad!(".eh_frame record at {at:#x} overruns"))?;
        if len < 4 {
            return Err(bad!(".eh_frame record at {at:#x} is too short"));
        }
        let id = word(at + 4)?;
        let cie = if id == 0 {
            None
        } else {
            let target = (at + 4).checked_sub(id as usize).ok_or_else(|| bad!(".eh_frame FDE at {at:#x} points before the section"))?;
            if !out.iter().any(|r: &Record| r.start == target && r.cie.is_none()) {
                return Err(bad!(".eh_frame FDE at {at:#x} points to no CIE"));
            }
            Some(target)
        };
        out.push(Record { start: at, end, cie });
        at = end;
    }
    Ok(out)
}

fn uleb(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The width of a `DW_EH_PE_*` encoded value (`ptr` for absptr).
fn encoded_width(encoding: u8, ptr: usize) -> Option<usize> {
    match encoding & 0x0f {
        0x00 => Some(ptr),
        0x02 | 0x0a => Some(2),
        0x03 | 0x0b => Some(4),
        0x04 | 0x0c => Some(8),
        _ => None,
    }
}

/// The width of the address fields of a CIE's FDEs (its augmentation's `R` encoding), or
/// `None` when the CIE is one this reader does not follow.
fn fde_address_width(cie: &[u8], ptr: usize) -> Option<usize> {
    let version = *cie.get(8)?;
    let aug_end = 9 + cie.get(9..)?.iter().position(|&c| c == 0)?;
    let aug = &cie[9..aug_end];
    let mut at = aug_end + 1;
    uleb(cie, &mut at)?; // code alignment
    uleb(cie, &mut at)?; // data alignment (sleb128: only skipped)
    if version == 1 {
        at += 1;
    } else {
        uleb(cie, &mut at)?;
    }
    let Some(rest) = aug.strip_prefix(b"z") else { return if aug.is_empty() { Some(ptr) } else { None } };
    uleb(cie, &mut at)?;
    for &c in rest {
        match c {
            b'R' => return encoded_width(*cie.get(at)?, ptr),
            b'P' => {
                let enc = *cie.get(at)?;
                at += 1 + encoded_width(enc, ptr)?;
            }
            b'L' => at += 1,
            b'S' | b'B' => {}
            _ => return None,
        }
    }
    Some(ptr)
}

/// Rebuilds `.eh_frame` from every kept input's records (see the module documentation).
/// Returns where each input `.eh_frame` went, for its section symbol.
fn rebuild(
    objects: &[Object<'_>],
    placement: &Placement,
    out: &mut OutSection,
    mapper: &Mapper<'_, '_>,
    big_endian: bool,
) -> Result<Vec<(usize, usize, u64)>> {
    let mut placed = Vec::new();
    // CIE identity: bytes and mapped relocations.
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        for (k, s) in elf.sections.iter().enumerate() {
            if placement[oi].get(k).copied().flatten().map(|(_, at)| at) != Some(u64::MAX) {
                continue;
            }
            let SectionData::Bytes(data) = &s.data else { continue };
            let (rela, relocs): (bool, Vec<Reloc>) = elf
                .sections
                .iter()
                .find_map(|r| match (&r.data, &r.info) {
                    (SectionData::Relocations { rela, relocs }, Info::Section(t)) if *t == k => Some((*rela, relocs.clone())),
                    _ => None,
                })
                .unwrap_or((true, Vec::new()));
            out.rela = Some(out.rela.unwrap_or(rela));
            let dead = |r: &Reloc| -> bool {
                r.symbol.is_some_and(|j| match elf.symbols[j].section {
                    SymbolSection::Section(t) => o.discarded.get(t).copied().unwrap_or(false),
                    _ => false,
                })
            };
            let map_reloc = |r: &Reloc, offset: u64| -> Reloc {
                match r.symbol.map(|j| mapper.map(placement, oi, j)) {
                    None => Reloc { offset, ..r.clone() },
                    Some(None) => Reloc { offset, symbol: None, r_type: 0, addend: 0 },
                    Some(Some((sym, add))) => Reloc { offset, symbol: Some(sym), r_type: r.r_type, addend: r.addend + add },
                }
            };
            let align = s.sh_addralign.max(1);
            let records = match records(data, big_endian) {
                Ok(r) if rela => r,
                _ => {
                    // Kept whole: relocations into dead code become NONE.
                    let at = out.append(s).map_err(|e| Error::Link { messages: vec![format!("{}: {e}", o.name)] })?;
                    for r in &relocs {
                        let mut m = map_reloc(r, r.offset + at);
                        if dead(r) {
                            m = Reloc { offset: r.offset + at, symbol: None, r_type: 0, addend: 0 };
                        }
                        out.relocs.push(m);
                    }
                    placed.push((oi, k, at));
                    continue;
                }
            };
            let base = out.bytes.len().next_multiple_of(align as usize);
            out.bytes.resize(base, 0);
            out.align = out.align.max(align);
            let mut cie_at: HashMap<usize, u64> = HashMap::new();
            // FDEs of discarded code go; a CIE goes when none of its FDEs stays (GNU ld -r keeps
            // every other CIE: it merges CIEs only in final links).
            let relocs_of = |rec: &Record| -> Vec<&Reloc> {
                relocs.iter().filter(|r| (r.offset as usize) >= rec.start && (r.offset as usize) < rec.end).collect()
            };
            // GNU also discards an FDE whose address range is 0 with no relocation on it
            // ("discarding zero address range FDE").
            let ptr = if elf.is_64 { 8 } else { 4 };
            let zero_range = |rec: &Record| -> bool {
                let Some(width) =
                    rec.cie.and_then(|c| records.iter().find(|r| r.start == c)).and_then(|c| fde_address_width(&data[c.start..c.end], ptr))
                else {
                    return false;
                };
                let range_at = rec.start + 8 + width;
                let Some(field) = data.get(range_at..range_at + width).filter(|_| range_at + width <= rec.end) else { return false };
                field.iter().all(|&b| b == 0) && !relocs_of(rec).iter().any(|r| r.offset as usize == range_at)
            };
            let live = |rec: &Record| -> bool {
                let pc = rec.start as u64 + 8;
                !relocs_of(rec).iter().any(|r| r.offset == pc && dead(r)) && !zero_range(rec)
            };
            let used_cies: HashSet<usize> = records.iter().filter(|r| r.cie.is_some() && live(r)).filter_map(|r| r.cie).collect();
            // A removed record's relocations stay as R_*_NONE at the offset of the last kept
            // relocation (the input section's start before any), as GNU's elf_link_input_bfd
            // writes them.
            let mut last_offset = base as u64;
            for rec in &records {
                if !(if rec.cie.is_some() { live(rec) } else { used_cies.contains(&rec.start) }) {
                    for _ in relocs_of(rec) {
                        out.relocs.push(Reloc { offset: last_offset, symbol: None, r_type: 0, addend: 0 });
                    }
                    continue;
                }
                let at = out.bytes.len() as u64;
                out.bytes.extend_from_slice(&data[rec.start..rec.end]);
                match rec.cie {
                    None => {
                        cie_at.insert(rec.start, at);
                    }
                    Some(cie) => {
                        let Some(&cie_out) = cie_at.get(&cie) else { continue };
                        let pointer = (at + 4 - cie_out) as u32;
                        let field = if big_endian { pointer.to_be_bytes() } else { pointer.to_le_bytes() };
                        out.bytes[at as usize + 4..at as usize + 8].copy_from_slice(&field);
                    }
                }
                for r in relocs_of(rec) {
                    last_offset = at + r.offset - rec.start as u64;
                    out.relocs.push(map_reloc(r, last_offset));
                }
            }
            placed.push((oi, k, base as u64));
        }
    }
    Ok(placed)
}

/// Rebuilds the output `.eh_frame` (when there is one) and records where each input went;
/// returns the inputs it placed, whose relocations it has copied.
pub(super) fn rebuild_into(
    objects: &[Object<'_>],
    layout: &mut super::sections::Layout,
    mapper: &Mapper<'_, '_>,
    big_endian: bool,
) -> Result<HashSet<(usize, usize)>> {
    let mut eh_inputs = HashSet::new();
    if let Some(eh) = layout.eh_frame {
        for (oi, k, at) in rebuild(objects, &layout.placement, &mut layout.sections[eh], mapper, big_endian)? {
            layout.placement[oi][k] = Some((eh, at));
            eh_inputs.insert((oi, k));
        }
    }
    Ok(eh_inputs)
}
