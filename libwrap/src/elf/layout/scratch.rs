//! BFD's `_bfd_elf_map_sections_to_segments` with no link information: the program headers
//! GNU objcopy 2.40 builds from the sections alone when it does not copy the input's (under
//! `--extract-symbol`). `notes/bfd-extract-symbol-layout.md` derives it from BFD's code and
//! GNU's outputs.
//! - The allocated sections, sorted by load address (then address, sections with neither file
//!   contents nor TLS last, then size in the file, then section order), go into load segments
//!   in that order. A new one starts when the load-to-virtual offset changes, a section
//!   overlaps the previous one's end, a whole page would be skipped (unless the section is on
//!   the page where the previous one ends), loaded data follows `.bss`, or a writable section
//!   follows read-only ones only.
//! - The first holds the ELF header and the program headers when the table estimated by
//!   [`estimate`] fits below its first section within the page.
//! - The table's order: `PT_PHDR` and `PT_INTERP` (when `.interp` has contents), the load
//!   segments, `PT_DYNAMIC` (a loaded `.dynamic`), a `PT_NOTE` per run of adjacent loaded
//!   notes of one alignment, `PT_TLS`, `PT_GNU_PROPERTY` (a `.note.gnu.property` with
//!   contents). No `PT_GNU_EH_FRAME`, `PT_GNU_STACK` or `PT_GNU_RELRO`: only the linker knows
//!   them.
//! - Flags are R, W when a section is writable, X when one is code (R alone for `PT_PHDR`,
//!   `PT_TLS` and `PT_GNU_PROPERTY`); a load segment is aligned to the page or to its largest
//!   section alignment, the others to their largest section alignment (the file alignment when
//!   empty).
//! - A target's own segment ([`backend_segment`]: ARM's exception index first, RISC-V's
//!   attributes after `PT_PHDR` and `PT_INTERP`).
//!
//! The page size is the target's (BFD's `ELF_MAXPAGESIZE`), not the input's.

use super::super::consts::*;
use super::super::model::{ElfObject, Segment};
use super::map::{Map, align_up};

/// The page size BFD lays out a new segment map with for the machine (its target's
/// `ELF_MAXPAGESIZE`, as GNU's outputs show it): the machines tl reproduces that layout for.
pub(crate) fn page_size(e_machine: u16) -> Option<u64> {
    let pages = [
        (EM_X86_64.0, 0x1000),
        (EM_386.0, 0x1000),
        (EM_AARCH64.0, 0x10000),
        (EM_ARM.0, 0x1000),
        (EM_RISCV.0, 0x1000),
        (EM_PPC64.0, 0x10000),
        (EM_S390.0, 0x1000),
    ];
    pages.into_iter().find(|&(m, _)| m == e_machine).map(|(_, page)| page)
}

/// ARM's `PT_ARM_EXIDX`.
const PT_ARM_EXIDX: u32 = 0x7000_0001;
/// RISC-V's `PT_RISCV_ATTRIBUTES`.
const PT_RISCV_ATTRIBUTES: u32 = 0x7000_0003;

/// The segment a target's BFD backend adds (its `modify_segment_map`), for the section it
/// describes, and whether it goes after `PT_PHDR` and `PT_INTERP` (else first of all):
/// ARM's `PT_ARM_EXIDX` for a loaded `.ARM.exidx`, RISC-V's `PT_RISCV_ATTRIBUTES` for
/// `.riscv.attributes`. Each backend's `additional_program_headers` counts it in the estimate.
fn backend_segment(f: &Facts<'_, '_>) -> Option<(u32, usize, bool)> {
    let m = f.obj.e_machine;
    if m == EM_ARM.0 {
        return f.named(".ARM.exidx").filter(|&i| f.loaded(i)).map(|i| (PT_ARM_EXIDX, i, false));
    }
    if m == EM_RISCV.0 {
        return f.named(".riscv.attributes").map(|i| (PT_RISCV_ATTRIBUTES, i, true));
    }
    None
}

/// What the mapping asks of one section (BFD's section flags).
struct Facts<'o, 'a> {
    obj: &'o ElfObject<'a>,
    lma: Vec<u64>,
}

impl Facts<'_, '_> {
    fn size(&self, i: usize) -> u64 {
        self.obj.sections[i].size(self.obj.is_64)
    }
    fn flags(&self, i: usize) -> u64 {
        self.obj.sections[i].sh_flags
    }
    fn vma(&self, i: usize) -> u64 {
        self.obj.sections[i].sh_addr
    }
    fn align(&self, i: usize) -> u64 {
        self.obj.sections[i].sh_addralign.max(1)
    }
    /// `SEC_LOAD`: allocated with contents in the file.
    fn loaded(&self, i: usize) -> bool {
        self.flags(i) & SHF_ALLOC != 0 && self.obj.sections[i].sh_type != SHT_NOBITS
    }
    fn tls(&self, i: usize) -> bool {
        self.flags(i) & SHF_TLS != 0
    }
    fn tbss(&self, i: usize) -> bool {
        self.tls(i) && !self.loaded(i)
    }
    fn loaded_note(&self, i: usize) -> bool {
        self.loaded(i) && self.obj.sections[i].sh_type == SHT_NOTE
    }
    fn named(&self, name: &str) -> Option<usize> {
        self.obj.section_by_name(name.as_bytes())
    }
    /// `elf_sort_sections`' key (a stable sort leaves ties in section order).
    fn sort_key(&self, i: usize) -> (u64, u64, bool, u64) {
        let to_end = !self.loaded(i) && !self.tls(i) && self.size(i) != 0;
        (self.lma[i], self.vma(i), to_end, if self.loaded(i) { self.size(i) } else { 0 })
    }
}

/// `get_program_header_size` with no link information: the number of program headers BFD
/// expects, which decides whether the table goes into the first load segment (notes are
/// counted by alignment runs here, not by adjacency as they are mapped).
fn estimate(f: &Facts<'_, '_>) -> u64 {
    let n = f.obj.sections.len();
    let mut segs = 2;
    if f.named(".interp").is_some_and(|i| f.loaded(i) && f.size(i) != 0) {
        segs += 2;
    }
    if f.named(".dynamic").is_some() {
        segs += 1;
    }
    if f.named(".note.gnu.property").is_some_and(|i| f.size(i) != 0) {
        segs += 1;
    }
    let mut k = 0;
    while k < n {
        if f.loaded_note(k) {
            segs += 1;
            while k + 1 < n && f.align(k + 1) == f.align(k) && f.loaded_note(k + 1) {
                k += 1;
            }
        }
        k += 1;
    }
    if (0..n).any(|i| f.tls(i)) {
        segs += 1;
    }
    // elf_x86_64_additional_program_headers (x86-64 and x32).
    if f.obj.e_machine == EM_X86_64.0 {
        segs += [".lrodata", ".ldata"].iter().filter(|&&name| f.named(name).is_some_and(|i| f.loaded(i))).count() as u64;
    }
    segs + u64::from(backend_segment(f).is_some())
}

/// A new map of type `p_type` holding `sections` (its flags and alignment are set at the end).
fn map(p_type: u32, sections: Vec<usize>, headers: bool) -> Map {
    let out = Segment { p_type, ..Segment::default() };
    Map { idx: 0, sections, filehdr: headers, phdrs: headers, paddr: 0, paddr_valid: false, vaddr_offset: 0, stack_size: 0, out }
}

/// Whether section `h` starts a new load segment after `last` (of size `last_size`), the
/// segment so far holding a writable section when `writable`.
fn breaks(f: &Facts<'_, '_>, last: usize, last_size: u64, h: usize, writable: bool, page: u64) -> bool {
    let (ll, hl) = (f.lma[last], f.lma[h]);
    let end = ll.wrapping_add(last_size);
    let page_of = |x: u64| x & !(page - 1);
    if ll.wrapping_sub(f.vma(last)) != hl.wrapping_sub(f.vma(h)) || hl < end || end < ll {
        return true;
    }
    if page_of(end.wrapping_sub(1)) == page_of(hl) {
        return false;
    }
    let skipped = align_up(end, page).wrapping_add(page);
    if skipped > ll && skipped <= hl {
        return true;
    }
    let loads = |i: usize| f.loaded(i) || f.tls(i);
    (!loads(last) && loads(h)) || (!writable && f.flags(h) & SHF_WRITE != 0)
}

/// The load segments of the allocated sections (`sorted`), the first holding the headers when
/// `headers`.
fn loads(f: &Facts<'_, '_>, sorted: &[usize], mut headers: bool, page: u64) -> Vec<Map> {
    let mut maps = Vec::new();
    let (mut last, mut last_size, mut start, mut writable) = (None, 0, 0, false);
    for (k, &h) in sorted.iter().enumerate() {
        if last.is_some_and(|l| breaks(f, l, last_size, h, writable, page)) {
            maps.push(map(PT_LOAD, sorted[start..k].to_vec(), headers));
            (start, writable, headers) = (k, false, false);
        }
        writable |= f.flags(h) & SHF_WRITE != 0;
        last = Some(h);
        last_size = if f.tbss(h) { 0 } else { f.size(h) };
    }
    if let Some(l) = last
        && (sorted.len() - start != 1 || !f.tbss(l))
    {
        maps.push(map(PT_LOAD, sorted[start..].to_vec(), headers));
    }
    maps
}

/// The `PT_NOTE` maps (runs of loaded notes of one alignment, each where the previous ends)
/// and the `PT_TLS` one, in section order.
fn notes_and_tls(f: &Facts<'_, '_>, maps: &mut Vec<Map>) -> Result<(), String> {
    let n = f.obj.sections.len();
    let (mut first_tls, mut tls_count) = (None, 0);
    let mut k = 0;
    while k < n {
        if f.loaded_note(k) {
            let start = k;
            while k + 1 < n
                && f.align(k + 1) == f.align(k)
                && f.loaded_note(k + 1)
                && align_up(f.lma[k].wrapping_add(f.size(k)), f.align(k)) == f.lma[k + 1]
            {
                k += 1;
            }
            maps.push(map(PT_NOTE, (start..=k).collect(), false));
        }
        if f.tls(k) {
            first_tls.get_or_insert(k);
            tls_count += 1;
        }
        k += 1;
    }
    if let Some(first) = first_tls {
        let run: Vec<usize> = (first..first + tls_count).collect();
        if run.iter().any(|&i| i >= n || !f.tls(i)) {
            return Err("TLS sections are not adjacent".into());
        }
        maps.push(map(PT_TLS, run, false));
    }
    Ok(())
}

/// The maps BFD builds for `obj` laid out with pages of `page` bytes (see the module
/// documentation).
pub(super) fn maps(obj: &ElfObject<'_>, eh: u64, ph: u64, page: u64) -> Result<Vec<Map>, String> {
    let n = obj.sections.len();
    let f = Facts { obj, lma: (0..n).map(|i| obj.lma(i)).collect() };
    let alloc: Vec<usize> = (0..n).filter(|&i| f.flags(i) & SHF_ALLOC != 0).collect();
    // (A section wrapping past the end of the address space, the last in section order: the
    // headers must not go below its end.)
    let ends = alloc.iter().map(|&i| (f.lma[i], f.lma[i].wrapping_add(f.size(i))));
    let wrap_to = ends.filter(|&(start, end)| end < start).map(|(_, end)| end).next_back().unwrap_or(0);
    let mut sorted = alloc;
    sorted.sort_by_key(|&i| f.sort_key(i));
    let table = estimate(&f) * ph + eh;
    let first_lma = sorted.first().map(|&i| f.lma[i]);
    let mut headers = first_lma.is_some_and(|l| l & (page - 1) >= table & (page - 1));
    let mut maps = Vec::new();
    if let Some(interp) = f.named(".interp").filter(|&i| f.loaded(i) && f.size(i) != 0) {
        let mut phdr = map(PT_PHDR, Vec::new(), false);
        (phdr.phdrs, phdr.out.p_flags) = (true, PF_R);
        maps.push(phdr);
        maps.push(map(PT_INTERP, vec![interp], false));
        headers = true;
    }
    if let Some(l) = first_lma.filter(|_| headers) {
        let at = l.wrapping_sub(table) & !(page - 1);
        headers = !(l < at || l < table || at < wrap_to);
    }
    maps.extend(loads(&f, &sorted, headers, page));
    if let Some(dynamic) = f.named(".dynamic").filter(|&i| f.loaded(i)) {
        maps.push(map(PT_DYNAMIC, vec![dynamic], false));
    }
    notes_and_tls(&f, &mut maps)?;
    if let Some(property) = f.named(".note.gnu.property").filter(|&i| f.size(i) != 0) {
        maps.push(map(PT_GNU_PROPERTY, vec![property], false));
    }
    // elf_modify_segment_map: excluded sections leave, and so do load segments left empty.
    for m in &mut maps {
        m.sections.retain(|&i| f.flags(i) & SHF_EXCLUDE == 0);
    }
    maps.retain(|m| m.out.p_type != PT_LOAD || !m.sections.is_empty() || m.phdrs);
    if let Some((p_type, i, after_headers)) = backend_segment(&f) {
        let at = if after_headers { maps.iter().take_while(|m| matches!(m.out.p_type, PT_PHDR | PT_INTERP)).count() } else { 0 };
        maps.insert(at, map(p_type, vec![i], false));
    }
    let file_align = if obj.is_64 { 8 } else { 4 };
    for (k, m) in maps.iter_mut().enumerate() {
        m.idx = k;
        m.sections.sort_by_key(|&i| f.sort_key(i));
        let largest = m.sections.iter().map(|&i| f.align(i)).max();
        m.out.p_align = match (m.out.p_type, largest) {
            (PT_LOAD, a) => a.unwrap_or(0).max(page),
            (_, Some(a)) => a,
            (_, None) => file_align,
        };
        if matches!(m.out.p_type, PT_PHDR | PT_TLS | PT_GNU_PROPERTY) {
            m.out.p_flags = PF_R;
            continue;
        }
        let mut flags = if m.filehdr || m.phdrs || !m.sections.is_empty() { PF_R } else { 0 };
        for &i in &m.sections {
            flags |= if f.flags(i) & SHF_EXECINSTR != 0 { PF_X } else { 0 } | if f.flags(i) & SHF_WRITE != 0 { PF_W } else { 0 };
        }
        m.out.p_flags = flags;
    }
    Ok(maps)
}
