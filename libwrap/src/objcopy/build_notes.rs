//! `-M`/`--merge-notes` (strip's default): GNU objcopy 2.40's `merge_gnu_build_notes` on a
//! `.gnu.build.attributes` section (annobin's notes: `NT_GNU_BUILD_ATTRIBUTE_OPEN` 0x100 and
//! `_FUNC` 0x101, names `GA` + a type character + the attribute, descriptions empty or a start
//! and end address).
//!
//! Invariant, as in GNU: only version-3 notes are merged; a note with an empty description
//! takes the range of the last note of its kind; then notes of the same name are merged (a
//! duplicate or a range inside another is dropped, ranges that overlap, or lie apart after a
//! 16-byte alignment, are joined — BFD's test, kept as it is), zero ranges dropped, and the
//! rest written in BFD's final order, a description only where the range changes. The result
//! replaces the section only when smaller. The sorts are glibc's merge sort (`qsort`), since
//! the first comparison is not a total order and the results depend on the algorithm.

use std::cmp::Ordering;

const OPEN: u32 = 0x100;
const FUNC: u32 = 0x101;
/// `GNU_BUILD_ATTRIBUTE_VERSION`.
const VERSION: u8 = 1;

/// One note, as `objcopy_internal_note`.
#[derive(Clone)]
struct Note<'a> {
    namesz: usize,
    /// 0 once deleted.
    kind: u32,
    name: &'a [u8],
    start: u64,
    end: u64,
}

impl Note<'_> {
    fn padded(&self) -> usize {
        (self.namesz + 3) & !3
    }
}

/// What merging gave: new contents (when smaller) and GNU's warning about a missing version
/// note. Errors are GNU's messages (the file then fails).
pub(crate) struct Merged {
    pub(crate) contents: Option<Vec<u8>>,
    pub(crate) warning: Option<&'static str>,
}

/// Merges the notes of one section (`is_64`: the file's class, for the addresses written).
pub(crate) fn merge(contents: &[u8], big_endian: bool, is_64: bool) -> Result<Merged, &'static str> {
    let u32_at = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) }
    };
    let u64_at = |b: &[u8]| {
        let a: [u8; 8] = b[..8].try_into().expect("8 bytes");
        if big_endian { u64::from_be_bytes(a) } else { u64::from_le_bytes(a) }
    };
    let mut notes = Vec::new();
    let (mut rest, mut versions) = (contents, [0u32; 3]);
    let (mut open, mut func) = ((0u64, 0u64), (0u64, 0u64));
    while rest.len() >= 12 {
        let (namesz, descsz, kind) = (u32_at(rest) as usize, u32_at(&rest[4..]) as usize, u32_at(&rest[8..]));
        if descsz % 4 != 0 {
            return Err("corrupt GNU build attribute note: description size not a factor of 4");
        }
        if kind != OPEN && kind != FUNC {
            return Err("corrupt GNU build attribute note: wrong note type");
        }
        let padded = namesz.checked_add(3).map(|n| n & !3);
        let size = padded.and_then(|p| p.checked_add(descsz)).and_then(|n| n.checked_add(12));
        let Some(size) = size.filter(|&n| n <= rest.len()) else {
            return Err("corrupt GNU build attribute note: note too big");
        };
        if namesz < 2 {
            return Err("corrupt GNU build attribute note: name too small");
        }
        let name = &rest[12..12 + namesz];
        let desc = &rest[12 + padded.unwrap_or(0)..size];
        rest = &rest[size..];
        if namesz > 2 && name[0] == b'$' && name[1] == VERSION && name[2] == b'1' {
            versions[0] += 1;
        } else if namesz > 4 && name.starts_with(b"GA$") && name[3] == VERSION {
            match name[4] {
                b'2' => versions[1] += 1,
                b'3' => versions[2] += 1,
                _ => return Err("corrupt GNU build attribute note: unsupported version"),
            }
        }
        let (mut start, end) = match desc.len() {
            0 => (0, 0),
            4 => (u32_at(desc) as u64, u64::MAX),
            8 => (u32_at(desc) as u64, u32_at(&desc[4..]) as u64),
            16 => (u64_at(desc), u64_at(&desc[8..])),
            _ => return Err("corrupt GNU build attribute note: bad description size"),
        };
        // (PPC64LE writes empty notes as start = end + 4.)
        start = start.min(end);
        let previous = if kind == OPEN { &mut open } else { &mut func };
        if start != 0 {
            previous.0 = start;
        }
        if end != 0 {
            previous.1 = end;
        }
        if name[namesz - 1] != 0 {
            return Err("corrupt GNU build attribute note: name not NUL terminated");
        }
        notes.push(Note { namesz, kind, name, start: previous.0, end: previous.1 });
    }
    if !rest.is_empty() {
        return Err("corrupt GNU build attribute notes: excess data at end");
    }
    let mut warning = None;
    if versions == [0, 0, 0] {
        // ("This happens with glibc.")
        warning = Some("Warning: version note missing - assuming version 3");
        versions[2] = 2;
    }
    if versions.iter().filter(|&&n| n > 0).count() > 1 {
        return Err("bad GNU build attribute notes: multiple different versions");
    }
    if versions[2] == 0 {
        return Ok(Merged { contents: None, warning });
    }
    glibc_msort(&mut notes, &compare_for_merging);
    merge_ranges(&mut notes);
    glibc_msort(&mut notes, &final_order);
    let written = write(&notes, big_endian, is_64);
    Ok(Merged { contents: (written.len() < contents.len()).then_some(written), warning })
}

/// BFD's `overlaps_or_adjoins`, as written (the second test compares a note with itself).
fn overlaps_or_adjoins(a: &Note<'_>, b: &Note<'_>) -> bool {
    // (BFD_ALIGN gives all ones when the addition overflows.)
    let align16 = |x: u64| x.checked_add(15).map_or(u64::MAX, |v| v & !15);
    if a.end < b.start {
        return align16(a.end) < b.start;
    }
    if b.end < b.start {
        return align16(b.end) < a.start;
    }
    a.end != b.end
}

/// The merging rules (see the module documentation), in BFD's order.
fn merge_ranges(notes: &mut [Note<'_>]) {
    let mut prev: Option<usize> = None;
    for i in 0..notes.len() {
        if notes[i].kind == 0 {
            continue;
        }
        if notes[i].start == notes[i].end {
            notes[i].kind = 0;
            continue;
        }
        let mut iter = 0;
        let mut back = prev.unwrap_or(i).checked_sub(if prev.is_some() { 0 } else { 1 });
        while let Some(b) = back {
            back = b.checked_sub(1);
            if notes[b].kind == 0 {
                continue;
            }
            let (n, p) = (&notes[i], &notes[b]);
            if p.namesz != n.namesz || p.name != n.name {
                break;
            }
            if p.start == n.start && p.end == n.end {
                notes[i].kind = 0;
                break;
            }
            if n.start >= p.start && n.end <= p.end {
                notes[i].kind = 0;
                break;
            }
            if overlaps_or_adjoins(p, n) && (p.kind == FUNC) == (n.kind == FUNC) {
                let (start, end) = (p.start.min(n.start), p.end.max(n.end));
                notes[b].start = start;
                notes[b].end = end;
                notes[i].kind = 0;
                break;
            }
            iter += 1;
            if iter > 17 {
                break;
            }
        }
        if notes[i].kind != 0 {
            prev = Some(i);
        }
    }
}

/// `compare_gnu_build_notes`.
fn compare_for_merging(a: &Note<'_>, b: &Note<'_>) -> Ordering {
    let n = a.namesz.min(b.namesz).saturating_sub(3);
    let by_name = a.name[3.min(a.name.len())..].iter().take(n).cmp(b.name[3.min(b.name.len())..].iter().take(n));
    if by_name != Ordering::Equal {
        return by_name;
    }
    if a.end < b.start {
        return Ordering::Less;
    }
    if a.start > b.end {
        return Ordering::Greater;
    }
    if a.start < b.start {
        return Ordering::Less;
    }
    if a.end > b.end {
        return Ordering::Greater;
    }
    if a.end < b.end {
        return Ordering::Less;
    }
    match (a.kind == OPEN, b.kind == OPEN) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// `sort_gnu_build_notes`: open notes first, deleted ones last; by start, larger ranges
/// first, then by attribute.
fn final_order(a: &Note<'_>, b: &Note<'_>) -> Ordering {
    if a.kind != b.kind {
        return if a.kind == 0 || (a.kind != OPEN && b.kind != 0) { Ordering::Greater } else { Ordering::Less };
    }
    a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then_with(|| {
        // (C's char: signed.)
        if a.namesz > 4 && b.namesz > 4 { (a.name[3] as i8).cmp(&(b.name[3] as i8)) } else { Ordering::Equal }
    })
}

/// glibc's `qsort` (its merge sort, `msort_with_tmp`): halves sorted, then merged taking from
/// the first half while it does not compare greater.
fn glibc_msort<T: Clone>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    glibc_msort(&mut v[..n1], cmp);
    glibc_msort(&mut v[n1..], cmp);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) != Ordering::Greater {
            merged.push(v[i].clone());
            i += 1;
        } else {
            merged.push(v[j].clone());
            j += 1;
        }
    }
    merged.extend_from_slice(&v[i..n1]);
    merged.extend_from_slice(&v[j..n]);
    v.clone_from_slice(&merged);
}

/// The notes left, as BFD writes them: a description (the file class's addresses) only when
/// the range differs from the last one written, whatever the kinds.
fn write(notes: &[Note<'_>], big_endian: bool, is_64: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let put32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
    let put64 = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&if big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
    let mut prev = (0u64, 0u64);
    for n in notes.iter().filter(|n| n.kind != 0) {
        let same = (n.start, n.end) == prev;
        put32(&mut out, n.namesz as u32);
        put32(
            &mut out,
            if same {
                0
            } else if is_64 {
                16
            } else {
                8
            },
        );
        put32(&mut out, n.kind);
        out.extend_from_slice(n.name);
        out.resize(out.len() + n.padded() - n.namesz, 0);
        if !same {
            if is_64 {
                put64(&mut out, n.start);
                put64(&mut out, n.end);
            } else {
                put32(&mut out, n.start as u32);
                put32(&mut out, n.end as u32);
            }
            prev = (n.start, n.end);
        }
    }
    out
}

/// The sections that relocations apply to (GNU does not merge those).
pub(crate) fn relocated(obj: &crate::elf::ElfObject<'_>) -> Vec<Vec<u8>> {
    use crate::elf::{Info, SectionData};
    obj.sections
        .iter()
        .filter_map(|s| match (&s.data, &s.info) {
            (SectionData::Relocations { relocs, .. }, Info::Section(t)) if !relocs.is_empty() => {
                obj.sections.get(*t).map(|t| t.name.to_vec())
            }
            _ => None,
        })
        .collect()
}

/// Merges every `.gnu.build.attributes` note section left in `obj` (see the module
/// documentation); `explicit`: objcopy's `-M` (strip's default is quiet about the sections it
/// cannot merge). Returns GNU's errors (the file then fails) and its warnings, named after
/// `file` and the section.
pub(crate) fn merge_sections(
    obj: &mut crate::elf::ElfObject<'_>,
    relocated: &[Vec<u8>],
    explicit: bool,
    file: &str,
) -> (Vec<String>, Vec<String>) {
    use crate::elf::SectionData;
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    let (big_endian, is_64) = (obj.big_endian, obj.is_64);
    for s in obj.sections.iter_mut().filter(|s| super::edit::is_mergeable_note(s)) {
        let SectionData::Bytes(bytes) = &s.data else { continue };
        if bytes.is_empty() {
            continue;
        }
        let at = format!("{file}[{}]", String::from_utf8_lossy(&s.name));
        if relocated.iter().any(|n| *n == s.name.as_ref()) {
            if explicit {
                warnings.push(format!("{at}: Cannot merge - there are relocations against this section"));
            }
            continue;
        }
        match merge(bytes, big_endian, is_64) {
            Ok(m) => {
                warnings.extend(m.warning.map(|w| format!("{at}: {w}")));
                if let Some(new) = m.contents {
                    s.data = SectionData::Bytes(std::borrow::Cow::Owned(new));
                }
            }
            Err(e) => errors.push(format!("{at}: {e}: bad value")),
        }
    }
    (errors, warnings)
}
