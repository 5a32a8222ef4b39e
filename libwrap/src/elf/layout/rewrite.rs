//! BFD's `rewrite_elf_program_header`, which GNU objcopy 2.40 runs instead of
//! `copy_elf_program_header` once a section a segment held is gone (`-R`, `-j`), moved,
//! realigned or given other flags: a map per input segment again, but
//! - `PT_GNU_RELRO` is dropped (objcopy has no link to say where RELRO ends);
//! - a segment whose first section is gone loses its `p_paddr` and starts at the first
//!   section left, at that section's load address (taking the headers it held along: the
//!   file header and program header table stay where they were);
//! - a segment left with no section keeps its address, with a `p_paddr` of 0 when it held
//!   sections (BFD warns about such load segments);
//! - the other segments' alignments come from their sections (8 or 4 when empty, the file
//!   alignment), a load segment's from the input, capped by the largest load alignment;
//!   `PT_GNU_STACK` gets no size;
//! - sections that no longer fit at the segment's new load address start a new segment.

use super::super::consts::*;
use super::super::model::{ElfObject, Image, Segment};
use super::map::{Map, align_up};

/// What one input segment still holds, in BFD's terms.
struct Held {
    /// The sections `IS_SECTION_IN_INPUT_SEGMENT` counts that are still there.
    sections: Vec<usize>,
    /// The first section it held is still there (or it held none).
    first_kept: bool,
}

/// The sections of `p` BFD counts when rewriting: allocated ones (notes of a `PT_NOTE` too),
/// none for `PT_GNU_STACK`, TLS ones only in `PT_TLS` and `PT_LOAD`.
fn held(obj: &ElfObject<'_>, p: &Segment) -> Held {
    let counted = |&i: &usize| {
        let s = &obj.sections[i];
        let tls = s.sh_flags & SHF_TLS != 0;
        let kind_ok = s.sh_flags & SHF_ALLOC != 0 || (p.p_type == PT_NOTE && s.sh_type == SHT_NOTE);
        kind_ok && p.p_type != PT_GNU_STACK && (p.p_type != PT_TLS || tls) && (matches!(p.p_type, PT_LOAD | PT_TLS) || !tls)
    };
    Held { sections: p.sections.iter().copied().filter(counted).collect(), first_kept: !p.lost_first }
}

/// The map's section size BFD checks against the segment (`section_size`).
fn size_in(obj: &ElfObject<'_>, i: usize, p: &Segment) -> u64 {
    let s = &obj.sections[i];
    if s.sh_type != SHT_NOBITS || s.sh_flags & SHF_TLS == 0 || p.p_type == PT_TLS { s.size(obj.is_64) } else { 0 }
}

/// `is_contained_by` on load addresses: section `i` lies in `p` placed at `paddr`.
fn contained(obj: &ElfObject<'_>, i: usize, p: &Segment, paddr: u64) -> bool {
    let (lma, size) = (obj.lma(i), size_in(obj, i, p));
    let seg = p.p_memsz.max(p.p_filesz);
    lma >= paddr && seg >= size && lma - paddr <= seg - size
}

/// `is_note`: a note section of a `PT_NOTE` (its file range was checked when read).
fn is_note(obj: &ElfObject<'_>, i: usize, p: &Segment) -> bool {
    p.p_type == PT_NOTE && obj.sections[i].sh_type == SHT_NOTE
}

/// The rewritten maps (see the module documentation).
pub(super) fn maps(obj: &ElfObject<'_>, image: &Image, eh: u64, ph: u64) -> Result<Vec<Map>, String> {
    let phnum = image.segments.len() as u64;
    let table_end = image.phoff.saturating_add(ph * phnum);
    let paddr_valid = image.segments.iter().any(|p| p.p_paddr != 0);
    let max_page = super::map::max_page(image);
    let file_align = if obj.is_64 { 8 } else { 4 };
    let mut maps = Vec::new();
    let mut phdr_included = false;
    let mut phdr_adjust = None;
    for (idx, p) in image.segments.iter().enumerate() {
        if p.p_type == PT_GNU_RELRO {
            continue;
        }
        let load = p.p_type == PT_LOAD;
        let held = held(obj, p);
        let filehdr = p.p_offset == 0 && p.p_filesz >= eh;
        let mut phdrs = false;
        if !phdr_included || !load {
            phdrs = p.p_offset <= image.phoff && p.file_end() >= table_end;
            phdr_included |= load && phdrs;
        }
        let (paddr, valid) = if held.first_kept { (p.p_paddr, paddr_valid) } else { (0, false) };
        let align = |sections: &[usize]| match (load, sections.is_empty()) {
            (true, _) => p.p_align.min(max_page),
            (false, true) => file_align,
            (false, false) => sections.iter().map(|&i| obj.sections[i].sh_addralign.max(1)).max().unwrap_or(1),
        };
        let out = |sections: &[usize]| Segment { p_type: p.p_type, p_flags: p.p_flags, p_align: align(sections), ..Segment::default() };
        let mut map =
            Map { idx, sections: Vec::new(), filehdr, phdrs, paddr, paddr_valid: valid, vaddr_offset: 0, stack_size: 0, out: out(&[]) };
        if held.sections.is_empty() {
            map.vaddr_offset = p.p_vaddr;
            maps.push(map);
            continue;
        }
        let headers = if filehdr { eh } else { 0 } + if phdrs { phnum * ph } else { 0 };
        // Step one: do the sections still fit where the segment was?
        let mut matching: Option<usize> = None;
        let mut suggested = None;
        let mut fitting = 0;
        for &i in &held.sections {
            let s = &obj.sections[i];
            if !paddr_valid
                && p.p_vaddr != 0
                && fitting == 0
                && obj.lma(i) != 0
                && align_up(p.p_vaddr.wrapping_add(headers), s.sh_addralign) == s.sh_addr
            {
                map.paddr = p.p_vaddr;
            }
            if contained(obj, i, p, map.paddr) || is_note(obj, i, p) {
                if matching.is_none_or(|m| obj.lma(i) < obj.lma(m)) {
                    matching = Some(i);
                }
                fitting += 1;
            } else if suggested.is_none() {
                suggested = Some(i);
            }
        }
        if fitting == held.sections.len() {
            if paddr_valid {
                let low = matching.map_or(0, |m| obj.lma(m));
                map.vaddr_offset = map.paddr.wrapping_add(headers).wrapping_sub(low);
            }
            map.out = out(&held.sections);
            map.sections = held.sections;
            maps.push(map);
            continue;
        }
        // Step two: the segment moves to its lowest section still there.
        let first = matching.or(suggested).expect("a section that does not fit");
        map.paddr = obj.lma(first);
        if phdrs {
            map.paddr = map.paddr.wrapping_sub(phnum * ph);
            phdr_adjust = Some(maps.len());
        }
        if filehdr {
            let mut a = obj.sections[first].sh_addralign.max(1);
            map.paddr = map.paddr.wrapping_sub(eh);
            if p.p_align != 0 && p.p_align < a {
                a = p.p_align;
            }
            map.paddr &= !(a.max(1) - 1);
        }
        split(obj, p, held.sections, map, &mut maps, (eh, phnum * ph), max_page, paddr_valid, &out)?;
    }
    // assign_file_positions_for_load_sections sorts each map's sections (`elf_sort_sections`):
    // by load address, address, then sections without file contents or TLS last, then by
    // size in the file.
    for m in &mut maps {
        m.sections.sort_by_key(|&i| {
            let s = &obj.sections[i];
            let (nobits, size) = (s.sh_type == SHT_NOBITS, s.size(obj.is_64));
            let to_end = nobits && s.sh_flags & SHF_TLS == 0 && size != 0;
            (obj.lma(i), s.sh_addr, to_end, if nobits { 0 } else { size }, i)
        });
    }
    if let Some(k) = phdr_adjust {
        if maps.len() as u64 > phnum {
            maps[k].paddr = maps[k].paddr.wrapping_sub((maps.len() as u64 - phnum) * ph);
        }
        let at = maps[k].paddr.wrapping_add(if maps[k].filehdr { eh } else { 0 });
        if let Some(m) = maps.iter_mut().find(|m| m.out.p_type == PT_PHDR) {
            m.paddr = at;
        }
    }
    Ok(maps)
}

/// Step three: the sections that fit from the map's load address on, in order; the others
/// start further maps at the first of them.
#[allow(clippy::too_many_arguments)]
fn split(
    obj: &ElfObject<'_>,
    p: &Segment,
    mut left: Vec<usize>,
    mut map: Map,
    maps: &mut Vec<Map>,
    (eh, table): (u64, u64),
    max_page: u64,
    paddr_valid: bool,
    out: &dyn Fn(&[usize]) -> Segment,
) -> Result<(), String> {
    // (GNU's words: objcopy's message for bfd_error_sorry from copy_private_bfd_data.)
    let sorry = || "error in private header data: sorry, cannot handle this file".to_string();
    loop {
        let mut suggested = None;
        let mut rest = Vec::new();
        for &i in &left {
            let (lma, s) = (obj.lma(i), &obj.sections[i]);
            if !(contained(obj, i, p, map.paddr) || is_note(obj, i, p)) {
                suggested.get_or_insert(i);
                rest.push(i);
                continue;
            }
            if let Some(&prev) = map.sections.last() {
                let prev_end = obj.lma(prev).wrapping_add(obj.sections[prev].size(obj.is_64));
                if align_up(prev_end, max_page) < align_up(lma, max_page) || prev_end > lma {
                    suggested.get_or_insert(i);
                    rest.push(i);
                    continue;
                }
            } else {
                let headers = if map.filehdr { eh } else { 0 } + if map.phdrs { table } else { 0 };
                if align_up(map.paddr.wrapping_add(headers), s.sh_addralign) != lma {
                    return Err(sorry());
                }
            }
            map.sections.push(i);
        }
        let placed = !map.sections.is_empty();
        // (A load segment split off gets the largest load alignment, the first keeps its own.)
        let load_align = map.out.p_align;
        map.out = out(&map.sections);
        if p.p_type == PT_LOAD {
            map.out.p_align = load_align;
        }
        let idx = map.idx;
        maps.push(map);
        let Some(next) = suggested.filter(|_| !rest.is_empty()) else { return Ok(()) };
        if !placed {
            return Err(sorry());
        }
        left = rest;
        map = Map {
            idx,
            sections: Vec::new(),
            filehdr: false,
            phdrs: false,
            paddr: obj.lma(next),
            paddr_valid,
            vaddr_offset: 0,
            stack_size: 0,
            out: Segment { p_align: max_page, ..out(&[]) },
        };
    }
}

/// BFD's warnings about load segments a rewrite leaves empty (for the file named `path`).
pub(super) fn empty_segment_warnings(obj: &ElfObject<'_>, path: &str) -> Vec<String> {
    let Some(image) = obj.image.as_ref().filter(|i| i.segments.iter().any(|p| p.changed)) else { return Vec::new() };
    let mut warnings = Vec::new();
    for p in image.segments.iter().filter(|p| p.p_type == PT_LOAD) {
        // (Later BFDs spare the one holding the program headers; 2.40 does not.)
        if held(obj, p).sections.is_empty() && (p.p_filesz > 0 || p.p_memsz == 0) {
            let vaddr = super::map::c_hex(p.p_vaddr);
            warnings.push(format!("{path}: warning: empty loadable segment detected at vaddr={vaddr}, is this intentional?"));
        }
    }
    warnings
}
