//! Where an image's (executable's or shared object's) allocated sections and program headers go
//! when it is written again: BFD's `copy_elf_program_header` and
//! `assign_file_positions_for_load_sections`, as GNU objcopy 2.40 runs them on a copy that keeps
//! every allocated section unchanged (a plain copy, strip, `--only-keep-debug`); once a section
//! a segment held is removed, moved, realigned or given other flags, the maps are BFD's
//! `rewrite_elf_program_header`'s instead ([`rewrite`]); under `--extract-symbol`, BFD builds
//! them anew from the sections ([`scratch`]).
//!
//! - Each segment keeps the sections it held in the file read (ELF's `ELF_SECTION_IN_SEGMENT`
//!   on the input's headers, found by [`members`]), its type, flags, alignment and `p_paddr`.
//! - `PT_LOAD` segments are laid out in order of (holds the ELF header, load address): each
//!   starts at the first offset congruent to its address modulo its alignment; its sections
//!   follow at their address's distance from the segment start. A segment all of whose
//!   sections are `SHT_NOBITS` takes no file space (its `p_offset` is then its address modulo
//!   its alignment, and the next one starts where it would have).
//! - The other segments are derived from their sections' new places (`PT_GNU_RELRO` from the
//!   load segment that holds it, `PT_GNU_STACK` keeps its size, `PT_PHDR` the header table).
//!
//! Gaps inside segments are written as zeros, as GNU writes them.

mod map;
mod rewrite;
mod scratch;

pub(crate) use scratch::page_size as from_scratch_page_size;

use super::consts::*;
use super::model::{ElfObject, Image, Segment};
use map::{Map, c_hex, max_page};

/// A section's input header, the fields `ELF_SECTION_IN_SEGMENT` looks at.
pub(crate) struct InputHeader {
    pub(crate) sh_type: u32,
    pub(crate) sh_flags: u64,
    pub(crate) sh_offset: u64,
    pub(crate) sh_addr: u64,
    pub(crate) sh_size: u64,
}

/// BFD's `ELF_SECTION_IN_SEGMENT` (not strict, addresses checked).
fn in_segment(h: &InputHeader, p: &Segment) -> bool {
    in_segment_1(h, p, true)
}

/// `ELF_SECTION_IN_SEGMENT_1` (not strict), addresses checked when `check_vma`.
fn in_segment_1(h: &InputHeader, p: &Segment, check_vma: bool) -> bool {
    let tls = h.sh_flags & SHF_TLS != 0;
    let alloc = h.sh_flags & SHF_ALLOC != 0;
    let t = p.p_type;
    let type_ok = if tls { matches!(t, PT_TLS | PT_GNU_RELRO | PT_LOAD) } else { t != PT_TLS && t != PT_PHDR };
    let alloc_only = matches!(t, PT_LOAD | PT_DYNAMIC | PT_GNU_EH_FRAME | PT_GNU_STACK | PT_GNU_RELRO | PT_GNU_SFRAME)
        || (PT_GNU_MBIND_LO..=PT_GNU_MBIND_HI).contains(&t);
    let size = if !tls || h.sh_type != SHT_NOBITS || t == PT_TLS { h.sh_size } else { 0 };
    let in_file = h.sh_type == SHT_NOBITS
        || (h.sh_offset >= p.p_offset && (h.sh_offset - p.p_offset).checked_add(size).is_some_and(|e| e <= p.p_filesz));
    let in_memory =
        !check_vma || !alloc || (h.sh_addr >= p.p_vaddr && (h.sh_addr - p.p_vaddr).checked_add(size).is_some_and(|e| e <= p.p_memsz));
    let edge_ok = !matches!(t, PT_DYNAMIC | PT_NOTE)
        || h.sh_size != 0
        || p.p_memsz == 0
        || (h.sh_offset > p.p_offset && h.sh_offset - p.p_offset < p.p_filesz);
    type_ok && (alloc || !alloc_only) && in_file && in_memory && edge_ok
}

/// The sections (model indices) of each segment, in section order.
pub(crate) fn members(segments: &[Segment], headers: &[InputHeader]) -> Vec<Vec<usize>> {
    segments.iter().map(|p| (0..headers.len()).filter(|&i| in_segment(&headers[i], p)).collect()).collect()
}

/// The file offset of allocated section `i`, which no load segment holds (one made allocated
/// by `--set-section-flags`), when the sections outside the segments have reached `off`:
/// BFD's `assign_file_positions_for_non_load_sections` puts it at the first offset congruent
/// to its address modulo the page size (modulo its alignment when it is empty). `None` for the
/// sections it does not concern.
pub(crate) fn unsegmented_offset(obj: &ElfObject<'_>, i: usize, off: u64) -> Option<u64> {
    let image = obj.image.as_ref()?;
    let s = &obj.sections[i];
    if s.sh_flags & SHF_ALLOC == 0 || s.sh_type == SHT_NOBITS {
        return None;
    }
    let modulus = if s.size(obj.is_64) != 0 { max_page(image) } else { s.sh_addralign.max(1) };
    Some(off + s.sh_addr.wrapping_sub(off) % modulus)
}

/// BFD's warnings about allocated sections no segment holds (none for a debug-info file, whose
/// only allocated sections are `SHT_NOBITS` and notes).
fn unsegmented_warnings(obj: &ElfObject<'_>, placed: &[Option<u64>]) -> Vec<String> {
    let alloc = |s: &&super::model::Section<'_>| s.sh_flags & SHF_ALLOC != 0;
    if obj.sections.iter().filter(alloc).all(|s| matches!(s.sh_type, SHT_NOBITS | SHT_NOTE)) {
        return Vec::new();
    }
    let outside = |(i, s): &(usize, &super::model::Section<'_>)| {
        alloc(s) && placed[*i].is_none() && s.sh_type != SHT_NOBITS && s.size(obj.is_64) != 0
    };
    let names = obj.sections.iter().enumerate().filter(outside);
    names.map(|(_, s)| format!("warning: allocated section `{}' not in segment", String::from_utf8_lossy(&s.name))).collect()
}

/// Where an image's parts go.
pub(crate) struct Layout {
    /// The program headers to write, in the input's order.
    pub(crate) segments: Vec<Segment>,
    /// The file offset of each model section a load segment holds.
    pub(crate) offsets: Vec<Option<u64>>,
    /// Where the load segments' bytes end: the other sections follow.
    pub(crate) end: u64,
    /// BFD's warnings (sections whose load address was moved up, or that fall outside their
    /// segment), for the file's name to be put before them.
    pub(crate) warnings: Vec<String>,
}

/// Where the layout is: the next file offset, the sections placed, their load addresses
/// (BFD moves one up when it would overlap the segment's end) and the warnings so far.
struct Cursor {
    off: u64,
    offsets: Vec<Option<u64>>,
    lmas: Vec<u64>,
    warnings: Vec<String>,
}

/// What BFD says when it writes `obj` (named `path`) again: warnings about the program headers
/// rewritten and about the layout, then the error that stops it, if any (the lines GNU
/// objcopy prints, each after its program name).
pub(crate) fn messages(obj: &ElfObject<'_>, path: &str) -> (Vec<String>, Vec<String>) {
    let Some(image) = obj.image.as_ref().filter(|i| i.unreadable.is_none()) else { return (Vec::new(), Vec::new()) };
    let mut warnings = if image.from_scratch { Vec::new() } else { rewrite::empty_segment_warnings(obj, path) };
    match layout(obj, image) {
        Ok(l) => {
            let outside = unsegmented_warnings(obj, &l.offsets);
            warnings.extend(l.warnings.into_iter().chain(outside).map(|w| format!("{path}: {w}")));
            (warnings, Vec::new())
        }
        Err(e) => {
            let mut errors = vec![format!("{path}: {e}")];
            if e.starts_with("not enough room") {
                // (BFD fails when objcopy writes the first section with contents.)
                let first = obj.sections.iter().find(|s| matches!(&s.data, super::model::SectionData::Bytes(b) if !b.is_empty()));
                if let Some(s) = first {
                    errors.push(format!("{path}[{}]: bad value", String::from_utf8_lossy(&s.name)));
                }
            }
            (warnings, errors)
        }
    }
}

/// Lays out `obj`'s image (see the module documentation).
pub(crate) fn layout(obj: &ElfObject<'_>, image: &Image) -> Result<Layout, String> {
    let (eh, ph) = if obj.is_64 { (64u64, 56u64) } else { (52, 32) };
    let mut maps = if image.from_scratch {
        let page = scratch::page_size(obj.e_machine).ok_or("a segment map built anew for this machine is not supported yet")?;
        scratch::maps(obj, eh, ph, page)?
    } else if image.segments.iter().any(|p| p.changed) {
        rewrite::maps(obj, image, eh, ph)?
    } else {
        maps(obj, image, eh, ph)
    };
    let actual = maps.len() as u64;
    let mut order: Vec<usize> = (0..maps.len()).collect();
    order.sort_by_key(|&k| {
        let m = &maps[k];
        let lma = if m.paddr_valid { m.paddr } else { m.sections.first().map_or(0, |&i| obj.lma(i).wrapping_add(m.vaddr_offset)) };
        let t = if m.out.p_type == 0 { u64::MAX } else { m.out.p_type as u64 };
        (t, !m.filehdr, if m.out.p_type == PT_LOAD { lma } else { 0 }, m.idx)
    });
    let phdr_load = order.iter().copied().find(|&k| maps[k].out.p_type == PT_LOAD && maps[k].phdrs);
    let mut cur = Cursor {
        off: eh + if phdr_load.is_none() { actual * ph } else { 0 },
        offsets: vec![None; obj.sections.len()],
        lmas: (0..obj.sections.len()).map(|i| obj.lma(i)).collect(),
        warnings: Vec::new(),
    };
    for (j, &k) in order.iter().enumerate() {
        let phdr_at = phdr_load.map(|l| (maps[l].out.p_vaddr, maps[l].out.p_paddr, maps[l].out.p_offset, maps[l].filehdr));
        let m = &mut maps[k];
        place(obj, m, Some(k) == phdr_load, phdr_at, (eh, ph * actual), &mut cur)?;
        if m.out.p_type == PT_LOAD {
            check_load(obj, m, j, &mut cur);
        }
    }
    let Cursor { off, offsets, warnings, .. } = cur;
    let loads: Vec<(Segment, Vec<usize>)> =
        order.iter().map(|&k| &maps[k]).filter(|m| m.out.p_type == PT_LOAD).map(|m| (m.out.clone(), m.sections.clone())).collect();
    let loads: Vec<(&Segment, &[usize])> = loads.iter().map(|(p, s)| (p, s.as_slice())).collect();
    for m in maps.iter_mut().filter(|m| m.out.p_type != PT_LOAD) {
        let input = image.segments.get(m.idx).filter(|_| !image.from_scratch);
        fix_non_load(obj, m, input, &loads, &offsets);
    }
    // The file holds the headers, the sections, the load segments' bytes as read (where the
    // sections removed were) and at most one alignment's padding per load segment; hostile
    // program headers could ask for more (GNU would write it out).
    let contents: u64 = obj.sections.iter().map(|s| s.size(obj.is_64)).fold(0, u64::saturating_add);
    let loads = image.segments.iter().filter(|p| p.p_type == PT_LOAD);
    let mut padding: u64 = loads.map(|p| p.p_align.clamp(4096, 1 << 24).saturating_add(p.p_filesz)).fold(0, u64::saturating_add);
    if image.from_scratch {
        // (Each new load segment's alignment, and at most two pages between its sections.)
        let new = maps.iter().filter(|m| m.out.p_type == PT_LOAD);
        let per_map = |m: &Map| m.out.p_align.clamp(4096, 1 << 24).saturating_add(m.sections.len() as u64 * 2 * m.out.p_align.min(1 << 24));
        padding = padding.saturating_add(new.map(per_map).fold(0, u64::saturating_add));
    }
    let bound = (eh + ph * actual).saturating_add(contents).saturating_add(padding);
    if off > bound {
        return Err(format!("the program headers place sections {off:#x} bytes into the file, more than they hold ({bound:#x})"));
    }
    // (The writer places the segments' sections the layout does not: it needs to know them.)
    let segments = maps.into_iter().map(|m| Segment { sections: m.sections, ..m.out }).collect();
    Ok(Layout { segments, offsets, end: off, warnings })
}

/// `copy_elf_program_header` (no section a segment held was removed): a map per input
/// segment.
fn maps(obj: &ElfObject<'_>, image: &Image, eh: u64, ph: u64) -> Vec<Map> {
    let paddr_valid = image.segments.iter().any(|p| p.p_paddr != 0);
    let table_end = image.phoff.saturating_add(ph * image.segments.len() as u64);
    let mut phdrs_seen = false;
    let mut maps = Vec::with_capacity(image.segments.len());
    for (idx, p) in image.segments.iter().enumerate() {
        let alloc = |i: &usize| obj.sections[*i].sh_flags & SHF_ALLOC != 0;
        let mut sections: Vec<usize> = p.sections.iter().copied().filter(|i| p.p_type != PT_LOAD || alloc(i)).collect();
        sections.sort_by_key(|&i| (obj.lma(i), obj.sections[i].sh_addr, i));
        let filehdr = p.p_offset == 0 && p.p_filesz >= eh;
        let mut phdrs = p.p_offset <= image.phoff && p.file_end() >= table_end;
        if p.p_type == PT_LOAD {
            phdrs &= !phdrs_seen;
            phdrs_seen |= phdrs;
        }
        let mut valid = paddr_valid;
        for &i in sections.iter().filter(|i| alloc(i)) {
            let s = &obj.sections[i];
            if obj.lma(i).wrapping_sub(p.p_paddr) != s.sh_addr.wrapping_sub(p.p_vaddr) {
                valid = false;
            }
        }
        let lowest = sections.iter().filter(|i| alloc(i)).map(|&i| obj.lma(i)).min();
        let vaddr_offset = match lowest {
            None if sections.is_empty() => p.p_vaddr,
            Some(low) if valid => p
                .p_paddr
                .wrapping_add(if filehdr { eh } else { 0 })
                .wrapping_add(if phdrs { ph * image.segments.len() as u64 } else { 0 })
                .wrapping_sub(low),
            _ => 0,
        };
        let out = Segment { p_type: p.p_type, p_flags: p.p_flags, p_align: p.p_align, ..Segment::default() };
        let stack_size = p.p_memsz;
        maps.push(Map { idx, sections, filehdr, phdrs, paddr: p.p_paddr, paddr_valid: valid, vaddr_offset, stack_size, out });
    }
    maps
}

/// The main loop of `assign_file_positions_for_load_sections` for one map.
fn place(
    obj: &ElfObject<'_>,
    m: &mut Map,
    is_phdr_load: bool,
    phdr_load: Option<(u64, u64, u64, bool)>,
    (eh, table): (u64, u64),
    cur: &mut Cursor,
) -> Result<(), String> {
    let Cursor { off, offsets, lmas, warnings } = cur;
    let load = m.out.p_type == PT_LOAD;
    let nobits = |i: usize| obj.sections[i].sh_type == SHT_NOBITS;
    let p = &mut m.out;
    let first = m.sections.first().copied();
    p.p_vaddr = first.map_or(m.vaddr_offset, |i| obj.sections[i].sh_addr.wrapping_add(m.vaddr_offset));
    p.p_paddr = if m.paddr_valid { m.paddr } else { first.map_or(0, |i| lmas[i].wrapping_add(m.vaddr_offset)) };
    if is_phdr_load {
        if !m.filehdr {
            p.p_offset = *off;
        }
        *off += table;
    }
    let (mut no_contents, mut off_adjust) = (false, 0u64);
    if load && first.is_some() {
        let align = p.p_align.max(1);
        no_contents = m.sections.iter().all(|&i| nobits(i));
        off_adjust = p.p_vaddr.wrapping_sub(*off) % align;
        *off += off_adjust;
        if !no_contents {
            off_adjust = 0;
        }
    }
    if m.filehdr {
        p.p_filesz = eh;
        p.p_memsz = eh;
        if load && first.is_some() {
            if p.p_vaddr < *off || (!m.paddr_valid && p.p_paddr < *off) {
                return Err("not enough room for program headers, try linking with -N".into());
            }
            p.p_vaddr -= *off;
            if !m.paddr_valid {
                p.p_paddr -= *off;
            }
        }
    }
    if m.phdrs {
        if !m.filehdr {
            if load {
                if first.is_some() {
                    p.p_vaddr = p.p_vaddr.wrapping_sub(off.wrapping_sub(p.p_offset));
                    if !m.paddr_valid {
                        p.p_paddr = p.p_paddr.wrapping_sub(off.wrapping_sub(p.p_offset));
                    }
                }
            } else if let Some((vaddr, paddr, offset, has_filehdr)) = phdr_load {
                let delta = if has_filehdr { eh } else { 0 };
                p.p_vaddr = vaddr.wrapping_add(delta);
                if !m.paddr_valid {
                    p.p_paddr = paddr.wrapping_add(delta);
                }
                p.p_offset = offset.wrapping_add(delta);
            } else {
                p.p_offset = eh;
            }
        }
        p.p_filesz += table;
        p.p_memsz += table;
    }
    if load {
        if !m.filehdr && !m.phdrs {
            p.p_offset = if no_contents { *off % p.p_align.max(1) } else { *off };
        } else {
            let adjust = off.wrapping_sub(p.p_offset + p.p_filesz);
            if !no_contents {
                p.p_filesz = p.p_filesz.wrapping_add(adjust);
            }
            p.p_memsz = p.p_memsz.wrapping_add(adjust);
        }
    }
    for (n, &i) in m.sections.iter().enumerate() {
        let s = &obj.sections[i];
        let (alloc, tls, nb) = (s.sh_flags & SHF_ALLOC != 0, s.sh_flags & SHF_TLS != 0, nobits(i));
        let size = s.size(obj.is_64);
        if (load || p.p_type == PT_TLS) && (!nb || (alloc && (!tls || p.p_type == PT_TLS))) {
            let (p_start, p_end, s_start) = (p.p_paddr, p.p_paddr.wrapping_add(p.p_memsz), lmas[i]);
            let mut adjust = s_start.wrapping_sub(p_end);
            if adjust != 0 && (s_start < p_end || p_end < p_start) {
                let name = String::from_utf8_lossy(&s.name);
                warnings.push(format!("section {name} lma {} adjusted to {}", c_hex(s_start), c_hex(p_end)));
                adjust = 0;
                lmas[i] = p_end;
            }
            p.p_memsz = p.p_memsz.wrapping_add(adjust);
            if load {
                if !nb {
                    off_adjust = 0;
                    if p.p_filesz.saturating_add(adjust) < p.p_memsz {
                        adjust = p.p_memsz - p.p_filesz;
                    }
                }
                if !nb || n == 0 {
                    *off = off.saturating_add(adjust);
                    if nb {
                        off_adjust = off_adjust.saturating_add(adjust);
                    }
                }
            }
            if !nb {
                p.p_filesz = p.p_filesz.wrapping_add(adjust);
            }
        }
        if load {
            offsets[i] = Some(*off);
            if !nb {
                *off = off.saturating_add(size);
            }
        }
        if !nb {
            p.p_filesz = p.p_filesz.saturating_add(size);
            if alloc {
                p.p_memsz = p.p_memsz.saturating_add(size);
            }
        } else if alloc && (p.p_type == PT_TLS || !tls) {
            p.p_memsz = p.p_memsz.saturating_add(size);
        }
    }
    *off -= off_adjust;
    Ok(())
}

/// The end of the loop of `assign_file_positions_for_load_sections` for a load segment (`j`:
/// its place in layout order): a warning, with the segment's sections, for each section that
/// is not inside it (addresses checked unless sections share one: overlays).
fn check_load(obj: &ElfObject<'_>, m: &Map, j: usize, cur: &mut Cursor) {
    let header = |i: usize| {
        let s = &obj.sections[i];
        InputHeader {
            sh_type: s.sh_type,
            sh_flags: s.sh_flags,
            sh_offset: cur.offsets[i].unwrap_or(0),
            sh_addr: s.sh_addr,
            sh_size: s.size(obj.is_64),
        }
    };
    let tbss = |h: &InputHeader| h.sh_flags & SHF_TLS != 0 && h.sh_type == SHT_NOBITS;
    let sized = |h: &InputHeader| if tbss(h) { 0 } else { h.sh_size };
    let check_vma = !m.sections.windows(2).any(|w| {
        let (a, b) = (header(w[0]), header(w[1]));
        a.sh_addr == b.sh_addr && sized(&a) != 0 && sized(&b) != 0
    });
    for &i in &m.sections {
        let h = header(i);
        if !tbss(&h) && !in_segment_1(&h, &m.out, check_vma) {
            let names: Vec<String> = m.sections.iter().map(|&k| format!(" {}", String::from_utf8_lossy(&obj.sections[k].name))).collect();
            let name = String::from_utf8_lossy(&obj.sections[i].name);
            cur.warnings.push(format!("section `{name}' can't be allocated in segment {j}\nLOAD:{}", names.concat()));
        }
    }
}

/// The end of `assign_file_positions_for_load_sections`: the other segments from their
/// sections' new places (`input` is the segment as read; `loads`, the load maps in layout
/// order).
fn fix_non_load(obj: &ElfObject<'_>, m: &mut Map, input: Option<&Segment>, loads: &[(&Segment, &[usize])], offsets: &[Option<u64>]) {
    let size = |i: usize| obj.sections[i].size(obj.is_64);
    let p = &mut m.out;
    match p.p_type {
        PT_GNU_RELRO => {
            let blank = Segment { p_type: p.p_type, p_flags: p.p_flags, p_align: p.p_align, ..Segment::default() };
            let (Some(&first), Some(input)) = (m.sections.first(), input) else {
                *p = blank;
                return;
            };
            let start = obj.sections[first].sh_addr;
            let end = start.wrapping_add(input.p_memsz);
            let span = |secs: &[usize]| match (secs.first(), secs.last()) {
                (Some(&a), Some(&b)) => (obj.sections[a].sh_addr, obj.sections[b].sh_addr.wrapping_add(size(b))),
                _ => (0, 0),
            };
            let found = loads.iter().find(|(_, secs)| {
                let (lo, hi) = span(secs);
                lo < end && hi > start
            });
            let hit = found.and_then(|(lp, secs)| {
                secs.iter().copied().find(|&i| (start..end).contains(&obj.sections[i].sh_addr) && size(i) != 0).map(|i| (lp, i))
            });
            let Some((lp, i)) = hit else {
                *p = blank;
                return;
            };
            let vaddr = obj.sections[i].sh_addr;
            p.p_vaddr = vaddr;
            p.p_paddr = vaddr;
            p.p_offset = offsets[i].unwrap_or(0);
            p.p_memsz = end - vaddr;
            p.p_filesz = p.p_memsz.min(lp.p_vaddr.wrapping_add(lp.p_filesz).wrapping_sub(vaddr));
        }
        PT_GNU_STACK => {
            p.p_memsz = m.stack_size;
            p.p_offset = 0;
            p.p_filesz = 0;
        }
        _ if !m.sections.is_empty() => {
            let first = m.sections[0];
            let start = offsets[first].unwrap_or(0);
            p.p_offset = start;
            p.p_filesz = m
                .sections
                .iter()
                .rfind(|&&i| obj.sections[i].sh_type != SHT_NOBITS)
                .map_or(0, |&i| offsets[i].unwrap_or(0).saturating_add(size(i)).saturating_sub(start));
            if p.p_type == PT_NOTE && obj.sections[first].sh_flags & SHF_ALLOC != 0 {
                p.p_memsz = p.p_filesz;
            }
        }
        _ => {}
    }
}
