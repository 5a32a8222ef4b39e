//! Pass: `.eh_frame` in partial links: the section is a sequence of records (each a length, then an id:
//! 0 for a CIE, else the distance back to the FDE's CIE). A partial link rebuilds it as GNU
//! ld -r does (binutils' elf-eh-frame.c and elf_link_input_bfd):
//! - FDEs whose code was discarded (a COMDAT group lost to another copy) are dropped, FDEs with an
//!   address range of 0 (zero-length functions) too, and CIEs left without FDEs; the relocations
//!   of a dropped record become R_*_NONE at the offset of the previous kept relocation;
//! - each record is trimmed to its last CFA instruction that is not DW_CFA_nop padding, rounded
//!   up to 4 bytes, and the last record before the next input's grows to align it;
//! - the survivors' CIE pointers are rewritten; CIEs are not merged across inputs (GNU merges them
//!   only in final links).
//!
//! A section that does not parse, or has REL relocations, is kept whole.

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

/// What a CIE says about its records' layout.
struct CieLayout {
    /// Width of its FDEs' address fields (its augmentation's `R` encoding).
    fde_width: usize,
    /// A `z` augmentation (augmentation data with a length: where instructions start is known).
    z: bool,
    /// Offset of its own instructions in the record.
    insns: usize,
}

/// Reads a CIE's layout, or `None` when it is one this reader does not follow.
fn parse_cie(cie: &[u8], ptr: usize) -> Option<CieLayout> {
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
    let Some(rest) = aug.strip_prefix(b"z") else {
        return aug.is_empty().then_some(CieLayout { fde_width: ptr, z: false, insns: at });
    };
    let len = uleb(cie, &mut at)? as usize;
    let insns = at.checked_add(len)?;
    let mut fde_width = ptr;
    for &c in rest {
        match c {
            b'R' => fde_width = encoded_width(*cie.get(at)?, ptr)?,
            b'P' => {
                let enc = *cie.get(at)?;
                at += encoded_width(enc, ptr)?;
            }
            b'L' => {}
            b'S' | b'B' => continue,
            _ => return None,
        }
        at += 1;
    }
    Some(CieLayout { fde_width, z: true, insns })
}

/// The end of the last CFA instruction that is not a `DW_CFA_nop` in `rec[start..]`, as binutils'
/// skip_non_nops finds it; `None` for an instruction it does not know.
fn end_of_instructions(rec: &[u8], start: usize, addr_width: usize) -> Option<usize> {
    let (mut at, mut last) = (start, start);
    let leb = |at: &mut usize| -> Option<()> { uleb(rec, at).map(|_| ()) };
    while at < rec.len() {
        let op = rec[at];
        at += 1;
        match op >> 6 {
            1 | 3 => {}
            2 => leb(&mut at)?,
            _ => match op {
                0x00 => continue,
                0x01 => at += addr_width,
                0x02 => at += 1,
                0x03 => at += 2,
                0x04 => at += 4,
                0x0a | 0x0b => {}
                0x06 | 0x07 | 0x08 | 0x0d | 0x0e | 0x13 | 0x2e => leb(&mut at)?,
                0x05 | 0x09 | 0x0c | 0x11 | 0x12 | 0x14 | 0x15 | 0x2f => {
                    leb(&mut at)?;
                    leb(&mut at)?;
                }
                0x0f => {
                    let n = uleb(rec, &mut at)? as usize;
                    at += n;
                }
                0x10 | 0x16 => {
                    leb(&mut at)?;
                    let n = uleb(rec, &mut at)? as usize;
                    at += n;
                }
                _ => return None,
            },
        }
        if at > rec.len() {
            return None;
        }
        last = at;
    }
    Some(last)
}

/// The size GNU ld gives a record: up to its last instruction that is not padding, rounded up
/// to 4 bytes (never more than it had). `cie` is the layout of the record's CIE (its own for a
/// CIE).
fn trimmed_size(data: &[u8], rec: &Record, cie: &CieLayout) -> Option<usize> {
    let bytes = &data[rec.start..rec.end];
    let insns = if rec.cie.is_none() {
        cie.insns
    } else {
        if !cie.z {
            return None;
        }
        let mut at = 8 + 2 * cie.fde_width;
        let len = uleb(bytes, &mut at)? as usize;
        at + len
    };
    let end = end_of_instructions(bytes, insns.min(bytes.len()), cie.fde_width)?;
    Some(end.next_multiple_of(4).min(bytes.len()))
}

/// Appends a record of `size` bytes (its length field rewritten); returns where it went.
fn emit_record(out: &mut OutSection, data: &[u8], rec: &Record, size: usize, big_endian: bool) -> u64 {
    let at = out.bytes.len();
    out.bytes.extend_from_slice(&data[rec.start..rec.start + size]);
    write_word(&mut out.bytes, at, (size - 4) as u32, big_endian);
    at as u64
}

fn write_word(bytes: &mut [u8], at: usize, v: u32, big_endian: bool) {
    let field = if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
    bytes[at..at + 4].copy_from_slice(&field);
}

/// Pads the output to `align` for the next input's records as GNU does: by growing the last
/// record (its length field; DW_CFA_nop bytes) instead of leaving a gap.
fn pad_last_record(out: &mut OutSection, last: Option<usize>, align: usize, big_endian: bool) -> usize {
    let base = out.bytes.len().next_multiple_of(align);
    if let Some(at) = last.filter(|_| base > out.bytes.len()) {
        let len = (base - at - 4) as u32;
        out.bytes.resize(base, 0);
        write_word(&mut out.bytes, at, len, big_endian);
    }
    out.bytes.resize(base, 0);
    base
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
    // The last record written, which GNU grows to align the next input's records.
    let mut last_record: Option<usize> = None;
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
                    last_record = None;
                    continue;
                }
            };
            let base = pad_last_record(out, last_record, align as usize, big_endian);
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
            // Each CIE's layout, read once; an FDE's is its CIE's.
            let cies: HashMap<usize, CieLayout> = records
                .iter()
                .filter(|r| r.cie.is_none())
                .filter_map(|r| Some((r.start, parse_cie(&data[r.start..r.end], ptr)?)))
                .collect();
            let layout_of = |rec: &Record| cies.get(&rec.cie.unwrap_or(rec.start));
            let zero_range = |rec: &Record| -> bool {
                let Some(width) = rec.cie.and(layout_of(rec)).map(|l| l.fde_width) else { return false };
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
                let size = layout_of(rec).and_then(|l| trimmed_size(data, rec, l)).unwrap_or(rec.end - rec.start);
                let at = emit_record(out, data, rec, size, big_endian);
                last_record = Some(at as usize);
                match rec.cie {
                    None => {
                        cie_at.insert(rec.start, at);
                    }
                    Some(cie) => {
                        let Some(&cie_out) = cie_at.get(&cie) else { continue };
                        write_word(&mut out.bytes, at as usize + 4, (at + 4 - cie_out) as u32, big_endian);
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
