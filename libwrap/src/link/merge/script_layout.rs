//! Pass 3 with a linker script (`-T`): output sections as the script's `SECTIONS` lays them
//! out, as GNU ld 2.40 does with `-r` (`notes/gnu-ld-r-linker-scripts.md` has the rules and
//! where BFD implements them):
//! 1. claims: the output section statements in script order, each input section description
//!    in order, files in input order, sections in file order; the first description that
//!    matches a section takes it (group members only by `/DISCARD/`: a partial link keeps
//!    groups whole); `ONLY_IF_RO`/`ONLY_IF_RW` statements whose sections do not all qualify
//!    are dropped; `SORT_*` orders the matches of its pattern;
//! 2. orphans (sections no statement takes), in input order: into the output section of
//!    their name when its flags agree, else a new output section after the last one of
//!    their kind (`ldelf_place_orphan`'s classes: text, rodata, tdata, data, bss, notes,
//!    non-allocated), at address 0;
//! 3. contents and symbols: input sections at their alignment (`SUBALIGN` overrides it), data
//!    statements, `.` assignments padding with the fill, symbol assignments (relative to the
//!    output section inside one); a statement with nothing in it makes no section;
//! 4. [`assign_addresses`], once `.eh_frame` is rebuilt: each section at its statement's
//!    address, or the location counter's; top-level assignments in order.

use rustc_hash::FxHashMap;

use super::super::load::Object;
use super::super::options::Options;
use super::super::script::expr::{Context, EvalError, align_up};
use super::super::script::{
    Expr, Fill, InputDescription, OutputItem, OutputSection, Script, SectionType, SectionsItem, SortKey, Statement,
};
use super::properties;
use super::sections::{self, AddressStep, Layout, OutSection, ScriptSymbol, StackNotes};
use crate::elf::consts::*;
use crate::elf::{Section, SectionData, SymbolSection};
use crate::error::{Error, Result};
use crate::objcopy::glob::fnmatch;
use crate::resolve::{Origin, Table};

/// What one output section (a statement's or an orphan's) holds, in order.
enum Piece<'s> {
    Input(usize, usize),
    Data(u8, &'s Expr),
    Fill(&'s Fill),
    Statement(&'s Statement),
    /// The input's `.note.GNU-stack` (object, section).
    StackNote(usize, usize),
    /// An input's `.note.gnu.property` (object, section): the merged note.
    PropertyNote(usize, usize),
}

/// An output section being planned.
struct Entry<'s> {
    name: Vec<u8>,
    statement: Option<&'s OutputSection>,
    pieces: Vec<Piece<'s>>,
    /// For an orphan: the output group of its sections (each group keeps its own).
    group: Option<(usize, usize)>,
}

/// The plan: output sections and top-level statements, in output order.
enum Item<'s> {
    Entry(usize),
    Statement(&'s Statement),
}

/// Lays the inputs out as `script` says (see the module documentation).
pub(super) fn place(objects: &[Object<'_>], opts: &Options, script: &Script, e_machine: u16, warnings: &mut Vec<String>) -> Result<Layout> {
    let mut layout = Layout::new(objects);
    let mut group_of = Vec::new();
    for (oi, o) in objects.iter().enumerate() {
        group_of.push(if opts.force_group_allocation { FxHashMap::default() } else { sections::keep_groups(&mut layout, oi, o) });
    }
    let (mut entries, mut items, claimed) = claims(objects, script, &group_of);
    layout.discarded = discarded(&entries, &claimed);
    orphans(objects, &group_of, &layout, &claimed, &mut entries, &mut items);
    build(objects, opts, script, &entries, &items, e_machine, &mut layout, &group_of, warnings)?;
    Ok(layout)
}

/// GNU's error for each relocation of a kept section against a symbol defined in a section
/// `/DISCARD/` took (`elf_link_input_bfd`'s "defined in discarded section"; not for debugging
/// sections or `.eh_frame`, whose references GNU lets go).
pub(super) fn check_discarded_references(objects: &[Object<'_>], table: &Table, layout: &Layout) -> Result<()> {
    if layout.discarded.is_empty() {
        return Ok(());
    }
    let gone: rustc_hash::FxHashSet<(usize, usize)> = layout.discarded.iter().copied().collect();
    let mut messages = Vec::new();
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        for r in &elf.sections {
            let (SectionData::Relocations { relocs, .. }, crate::elf::Info::Section(t)) = (&r.data, &r.info) else { continue };
            let target = &elf.sections[*t];
            let lenient = matches!(target.name.as_ref(), b".eh_frame" | b".sframe" | b".gcc_except_table")
                || target.name.starts_with(b".eh_frame.")
                || crate::bfd::is_debugging_section(&target.name, target.sh_type, target.sh_flags);
            if lenient || layout.placement[oi].get(*t).copied().flatten().is_none() {
                continue;
            }
            for j in relocs.iter().filter_map(|r| r.symbol) {
                let Some(sym) = elf.symbols.get(j) else { continue };
                let def = if sym.binding() == STB_LOCAL {
                    match sym.section {
                        SymbolSection::Section(k) => Some((oi, k)),
                        _ => None,
                    }
                } else {
                    table.position(&sym.name).and_then(|g| match table.globals[g].origin {
                        Origin::Native { object, symbol } => match objects[object].elf.as_ref()?.symbols[symbol].section {
                            SymbolSection::Section(k) => Some((object, k)),
                            _ => None,
                        },
                        _ => None,
                    })
                };
                let Some((d, k)) = def.filter(|d| gone.contains(d)) else { continue };
                let dsec = section(objects, d, k);
                let name = if sym.kind() == STT_SECTION { dsec.name.as_ref() } else { sym.name.as_ref() };
                let m = format!(
                    "`{}' referenced in section `{}' of {}: defined in discarded section `{}' of {}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(&target.name),
                    o.name,
                    String::from_utf8_lossy(&dsec.name),
                    objects[d].name
                );
                if !messages.contains(&m) {
                    messages.push(m);
                }
            }
        }
    }
    if messages.is_empty() {
        Ok(())
    } else {
        Err(Error::Link { messages: messages.into_iter().map(|m| format!("{}{m}", crate::link::diagnostics::UNPREFIXED)).collect() })
    }
}

/// The sections `/DISCARD/` took: claimed, but in no entry.
fn discarded(entries: &[Entry<'_>], claimed: &Claimed) -> Vec<(usize, usize)> {
    let mut placed: Vec<Vec<bool>> = claimed.iter().map(|c| vec![false; c.len()]).collect();
    for p in entries.iter().flat_map(|e| &e.pieces) {
        if let Piece::Input(oi, k) = p {
            placed[*oi][*k] = true;
        }
    }
    let mut out = Vec::new();
    for (oi, c) in claimed.iter().enumerate() {
        out.extend((0..c.len()).filter(|&k| c[k] && !placed[oi][k]).map(|k| (oi, k)));
    }
    out
}

/// Whether input section `s` is one the partial link places at all.
fn candidate(o: &Object<'_>, k: usize, s: &Section<'_>) -> bool {
    !o.discarded[k] && sections::is_placed(s)
}

/// What a statement took (by object, by section), `/DISCARD/` included.
type Claimed = Vec<Vec<bool>>;

/// The statements' entries and claims (step 1).
fn claims<'s>(
    objects: &[Object<'_>],
    script: &'s Script,
    group_of: &[FxHashMap<usize, usize>],
) -> (Vec<Entry<'s>>, Vec<Item<'s>>, Claimed) {
    let mut claimed: Vec<Vec<bool>> = objects.iter().map(|o| vec![false; o.elf.as_ref().map_or(0, |e| e.sections.len())]).collect();
    let (mut entries, mut items) = (Vec::new(), Vec::new());
    for item in &script.sections {
        let os = match item {
            SectionsItem::Statement(s) => {
                items.push(Item::Statement(s));
                continue;
            }
            SectionsItem::Output(os) => os,
        };
        let discard = os.name == "/DISCARD/";
        let mut pieces = Vec::new();
        let mut taken = Vec::new();
        for it in &os.items {
            match it {
                OutputItem::Input(d) => {
                    for (oi, k) in matches(objects, d, &claimed, group_of, discard) {
                        claimed[oi][k] = true;
                        taken.push((oi, k));
                        pieces.push(Piece::Input(oi, k));
                    }
                }
                OutputItem::Data(size, e) => pieces.push(Piece::Data(*size, e)),
                OutputItem::Fill(e) => pieces.push(Piece::Fill(e)),
                OutputItem::Statement(s) => pieces.push(Piece::Statement(s)),
            }
        }
        if let Some(ro) = os.only_if_ro {
            let writable = taken.iter().any(|&(oi, k)| section(objects, oi, k).sh_flags & SHF_WRITE != 0);
            if ro == writable {
                // The statement does not apply: its sections are free for later ones.
                for (oi, k) in taken {
                    claimed[oi][k] = false;
                }
                continue;
            }
        }
        if discard {
            continue;
        }
        entries.push(Entry { name: os.name.clone().into_bytes(), statement: Some(os), pieces, group: None });
        items.push(Item::Entry(entries.len() - 1));
    }
    (entries, items, claimed)
}

fn section<'o, 'a>(objects: &'o [Object<'a>], oi: usize, k: usize) -> &'o Section<'a> {
    &objects[oi].elf.as_ref().expect("a native object").sections[k]
}

/// The sections description `d` takes, in GNU's order: files in input order, sections in file
/// order, then the sorted patterns' matches sorted.
fn matches(
    objects: &[Object<'_>],
    d: &InputDescription,
    claimed: &[Vec<bool>],
    group_of: &[FxHashMap<usize, usize>],
    discard: bool,
) -> Vec<(usize, usize)> {
    let mut plain = Vec::new();
    let mut sorted: Vec<((usize, usize), SortKey, SortKey)> = Vec::new();
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        if !file_matches(&d.file, o) || d.file_excludes.iter().any(|x| file_matches(x, o)) {
            continue;
        }
        for (k, s) in elf.sections.iter().enumerate() {
            if claimed[oi][k] || !candidate(o, k, s) || (!discard && group_of[oi].contains_key(&k)) {
                continue;
            }
            if d.sections.is_empty() {
                plain.push((oi, k));
                continue;
            }
            let Some(p) =
                d.sections.iter().find(|p| fnmatch(p.pattern.as_bytes(), &s.name) && !p.excludes.iter().any(|x| file_matches(x, o)))
            else {
                continue;
            };
            match p.sort.outer {
                SortKey::None | SortKey::Explicitly => plain.push((oi, k)),
                outer => sorted.push(((oi, k), outer, p.sort.inner)),
            }
        }
    }
    let name = |&(oi, k): &(usize, usize)| section(objects, oi, k).name.to_vec();
    let align = |&(oi, k): &(usize, usize)| std::cmp::Reverse(section(objects, oi, k).sh_addralign);
    let priority = |&(oi, k): &(usize, usize)| init_priority(&section(objects, oi, k).name);
    let by = |key: SortKey, a: &(usize, usize), b: &(usize, usize)| match key {
        SortKey::Name => name(a).cmp(&name(b)),
        SortKey::Alignment => align(a).cmp(&align(b)),
        SortKey::InitPriority => priority(a).cmp(&priority(b)),
        _ => std::cmp::Ordering::Equal,
    };
    sorted.sort_by(|a, b| by(a.1, &a.0, &b.0).then_with(|| by(a.2, &a.0, &b.0)));
    plain.extend(sorted.into_iter().map(|(s, _, _)| s));
    plain
}

/// `SORT_BY_INIT_PRIORITY`'s key: the number after the name's last `.` (`.ctors`/`.dtors`:
/// 65535 minus it, as GNU's `get_init_priority`).
fn init_priority(name: &[u8]) -> u64 {
    let Some(dot) = name.iter().rposition(|&c| c == b'.') else { return u64::MAX };
    let Some(n) = std::str::from_utf8(&name[dot + 1..]).ok().and_then(|t| t.parse::<u64>().ok()) else { return u64::MAX };
    if name.starts_with(b".ctors") || name.starts_with(b".dtors") { 65535u64.saturating_sub(n) } else { n }
}

/// Whether a file pattern names object `o` (`archive:member` patterns name members).
fn file_matches(pattern: &str, o: &Object<'_>) -> bool {
    if pattern == "*" {
        return true;
    }
    let (archive, member) = match o.name.strip_suffix(')').and_then(|n| n.split_once('(')) {
        Some((a, m)) => (Some(a), m),
        None => (None, o.name.as_str()),
    };
    match pattern.split_once(':') {
        Some((ap, mp)) => {
            archive.is_some_and(|a| fnmatch(ap.as_bytes(), a.as_bytes())) && (mp.is_empty() || fnmatch(mp.as_bytes(), member.as_bytes()))
        }
        None => fnmatch(pattern.as_bytes(), member.as_bytes()),
    }
}

/// BFD's section flags, as `ldelf_place_orphan` and `lang_output_section_find_by_flags`
/// compare them.
mod sec {
    pub(super) const HAS_CONTENTS: u32 = 1;
    pub(super) const ALLOC: u32 = 2;
    pub(super) const LOAD: u32 = 4;
    pub(super) const READONLY: u32 = 8;
    pub(super) const CODE: u32 = 16;
    pub(super) const THREAD_LOCAL: u32 = 32;
    pub(super) const DEBUGGING: u32 = 64;
}

/// The BFD flags of an input section.
fn bfd_flags(s: &Section<'_>) -> u32 {
    let alloc = s.sh_flags & SHF_ALLOC != 0;
    let contents = s.sh_type != SHT_NOBITS;
    let mut f = 0;
    f |= if contents { sec::HAS_CONTENTS } else { 0 };
    f |= if alloc { sec::ALLOC } else { 0 };
    f |= if alloc && contents { sec::LOAD } else { 0 };
    f |= if s.sh_flags & SHF_WRITE == 0 { sec::READONLY } else { 0 };
    f |= if s.sh_flags & SHF_EXECINSTR != 0 { sec::CODE } else { 0 };
    f |= if s.sh_flags & SHF_TLS != 0 { sec::THREAD_LOCAL } else { 0 };
    f |= if crate::bfd::is_debugging_section(&s.name, s.sh_type, s.sh_flags) { sec::DEBUGGING } else { 0 };
    f
}

/// An entry's output section as BFD has it when orphans are placed: none yet (`None`), or
/// its flags (0 for one made by an assignment alone) and its first input.
fn entry_section(e: &Entry<'_>, objects: &[Object<'_>]) -> Option<(u32, Option<(usize, usize)>)> {
    let mut flags: Option<u32> = None;
    let mut first = None;
    for p in &e.pieces {
        let f = match p {
            Piece::Input(oi, k) | Piece::StackNote(oi, k) | Piece::PropertyNote(oi, k) => {
                first.get_or_insert((*oi, *k));
                bfd_flags(section(objects, *oi, *k))
            }
            Piece::Data(..) => sec::HAS_CONTENTS | sec::ALLOC | sec::LOAD | sec::READONLY,
            // (A section made by assignments alone has flags 0; they add none to others.)
            Piece::Statement(_) | Piece::Fill(_) => {
                flags.get_or_insert(0);
                continue;
            }
        };
        // (Read-only only if every part is; other flags or-ed.)
        flags = Some(match flags {
            None | Some(0) => f,
            Some(g) => ((g | f) & !sec::READONLY) | (g & f & sec::READONLY),
        });
    }
    // The statement's type changes its inputs' flags (`lang_add_section`; `READONLY` not
    // yet when orphans are placed, as measured against GNU ld 2.40).
    let kind = e.statement.map_or(SectionType::Normal, |st| st.kind);
    let flags = flags.map(|f| match kind {
        SectionType::NotAlloc => f & !sec::ALLOC,
        SectionType::NoLoad if f != 0 => f & !(sec::LOAD | sec::HAS_CONTENTS),
        _ => f,
    });
    flags.map(|f| (f, first))
}

/// The orphans' output sections (step 2, `ldelf_place_orphan` with `-r`).
fn orphans(
    objects: &[Object<'_>],
    group_of: &[FxHashMap<usize, usize>],
    layout: &Layout,
    claimed: &Claimed,
    entries: &mut Vec<Entry<'_>>,
    items: &mut Vec<Item<'_>>,
) {
    // Per class: its last orphan (the next one of the class follows it).
    let mut last_of_class: FxHashMap<Class, usize> = FxHashMap::default();
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        for (k, s) in elf.sections.iter().enumerate() {
            if claimed[oi][k] || !candidate(o, k, s) {
                continue;
            }
            let piece = if s.name.as_ref() == b".note.GNU-stack" {
                Piece::StackNote(oi, k)
            } else if s.name.as_ref() == properties::NAME && s.sh_type == SHT_NOTE {
                Piece::PropertyNote(oi, k)
            } else {
                Piece::Input(oi, k)
            };
            let group = group_of[oi].get(&k).map(|&g| layout.groups[g]);
            if group.is_none()
                && let Some(e) = same_name(objects, entries, s)
            {
                entries[e].pieces.push(piece);
                continue;
            }
            entries.push(Entry { name: s.name.to_vec(), statement: None, pieces: vec![piece], group });
            let new = entries.len() - 1;
            let flags = bfd_flags(s);
            let Some(class) = classify(flags, s.sh_type) else {
                // Non-allocated debugging sections go last, in the order met.
                items.push(Item::Entry(new));
                continue;
            };
            let at = match last_of_class.get(&class) {
                Some(&e) => position(items, e) + 1,
                None => insert_after(items, anchor(objects, entries, items, class, flags, s.sh_type)),
            };
            items.insert(at, Item::Entry(new));
            last_of_class.insert(class, new);
        }
    }
}

/// The output section an orphan named like it joins (`ldelf_place_orphan`'s first loop): the
/// first of that name whose section has compatible flags (or none yet: the last such).
fn same_name(objects: &[Object<'_>], entries: &[Entry<'_>], s: &Section<'_>) -> Option<usize> {
    let mut by_name = None;
    for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.name == s.name.as_ref() && e.group.is_none()) {
        match entry_section(e, objects) {
            None => by_name = Some(i),
            Some((0, _)) => return Some(i),
            Some((f, first)) => {
                let compatible = ((f ^ bfd_flags(s)) & (sec::LOAD | sec::ALLOC)) == 0
                    && first.is_none_or(|(oi, k)| {
                        let t = section(objects, oi, k);
                        const OS_PROC: u64 = 0xfff0_0000;
                        t.sh_type == s.sh_type && t.info == s.info && (t.sh_flags ^ s.sh_flags) & OS_PROC == 0
                    });
                if compatible {
                    return Some(i);
                }
            }
        }
    }
    by_name
}

fn position(items: &[Item<'_>], entry: usize) -> usize {
    items.iter().position(|i| matches!(i, Item::Entry(e) if *e == entry)).expect("a planned entry")
}

/// `ldelf_place_orphan`'s classes (its `hold` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    Text,
    Rodata,
    Tdata,
    Data,
    Bss,
    Note,
    NonAlloc,
}

/// An orphan's class; `None` for non-allocated debugging sections.
fn classify(f: u32, sh_type: u32) -> Option<Class> {
    Some(if f & (sec::ALLOC | sec::DEBUGGING) == 0 {
        Class::NonAlloc
    } else if f & sec::ALLOC == 0 {
        return None;
    } else if f & sec::LOAD != 0 && sh_type == SHT_NOTE {
        Class::Note
    } else if f & (sec::LOAD | sec::HAS_CONTENTS | sec::THREAD_LOCAL) == 0 {
        Class::Bss
    } else if f & sec::THREAD_LOCAL != 0 {
        Class::Tdata
    } else if f & sec::READONLY == 0 {
        Class::Data
    } else if f & sec::CODE == 0 {
        Class::Rodata
    } else {
        Class::Text
    })
}

/// The item the first orphan of a class follows: the output section statement named for the
/// class, else [`find_by_flags`]'s; `None`: the start.
fn anchor(objects: &[Object<'_>], entries: &[Entry<'_>], items: &[Item<'_>], class: Class, flags: u32, sh_type: u32) -> Option<usize> {
    let name: &[u8] = match class {
        Class::Text => b".text",
        Class::Rodata => b".rodata",
        Class::Tdata => b".tdata",
        Class::Data => b".data",
        Class::Bss => b".bss",
        Class::Note => b".interp",
        Class::NonAlloc => b".comment",
    };
    let entry_of = |i: &Item<'_>| match i {
        Item::Entry(e) => Some(*e),
        Item::Statement(_) => None,
    };
    if let Some(at) = items.iter().position(|i| entry_of(i).is_some_and(|e| entries[e].name == name)) {
        return Some(at);
    }
    // The statements' flags as BFD sees them: their sections' (`None`: no section yet).
    let looks: Vec<(usize, Option<(u32, u32)>)> = items
        .iter()
        .enumerate()
        .filter_map(|(at, i)| entry_of(i).map(|e| (at, e)))
        .map(|(at, e)| {
            let section =
                entry_section(&entries[e], objects).map(|(f, first)| (f, first.map_or(0, |(oi, k)| section(objects, oi, k).sh_type)));
            (at, section)
        })
        .collect();
    find_by_flags(&looks, flags, sh_type, true).or_else(|| find_by_flags(&looks, flags, sh_type, false))
}

/// `lang_output_section_find_by_flags`: the last statement whose flags suit an orphan's (exact
/// first, then by the orphan's kind); with `match_type`, statements with a section of another
/// type are passed over.
fn find_by_flags(looks: &[(usize, Option<(u32, u32)>)], f: u32, sh_type: u32, match_type: bool) -> Option<usize> {
    use sec::*;
    let typed = |l: &Option<(u32, u32)>| !match_type || l.is_none_or(|(_, t)| t == sh_type);
    let flags_of = |l: &Option<(u32, u32)>| l.map_or(0, |(g, _)| g);
    let last = |mask: u32| looks.iter().filter(|(_, l)| typed(l) && (flags_of(l) ^ f) & mask == 0).map(|(at, _)| *at).next_back();
    if let Some(at) = last(HAS_CONTENTS | ALLOC | LOAD | READONLY | CODE | THREAD_LOCAL) {
        return Some(at);
    }
    if f & CODE != 0 && f & ALLOC != 0 {
        last(HAS_CONTENTS | ALLOC | LOAD | CODE | THREAD_LOCAL)
    } else if f & READONLY != 0 && f & ALLOC != 0 && f & THREAD_LOCAL == 0 && f & HAS_CONTENTS != 0 {
        last(HAS_CONTENTS | ALLOC | LOAD | READONLY)
    } else if f & THREAD_LOCAL != 0 && f & ALLOC != 0 {
        // .tdata after the last loaded section, .tbss after the last TLS one.
        let mut found = None;
        let mut seen_tls = false;
        for (at, l) in looks {
            let x = flags_of(l) ^ (f | LOAD | HAS_CONTENTS);
            if x & (THREAD_LOCAL | ALLOC) == 0 {
                // (.tdata before .tbss.)
                if flags_of(l) & LOAD == 0 && f & LOAD != 0 {
                    break;
                }
                found = Some(*at);
                seen_tls = true;
            } else if seen_tls {
                break;
            } else if x & (ALLOC | LOAD) == 0 {
                found = Some(*at);
            }
        }
        found
    } else if f & HAS_CONTENTS != 0 && f & ALLOC != 0 {
        last(HAS_CONTENTS | ALLOC | LOAD | THREAD_LOCAL)
    } else if f & ALLOC != 0 {
        looks.iter().filter(|(_, l)| typed(l) && flags_of(l) & ALLOC != 0).map(|(at, _)| *at).next_back()
    } else {
        // Non-allocated: after the last statement (of the same debugging kind).
        looks.iter().filter(|(_, l)| (flags_of(l) ^ f) & DEBUGGING == 0).map(|(at, _)| *at).next_back()
    }
}

/// Where a class's first orphan goes after item `after` (`insert_os_after`): past the
/// top-level assignments that follow it, but before an assignment to `.` (at the start, after
/// the first one).
fn insert_after(items: &[Item<'_>], after: Option<usize>) -> usize {
    let mut at = after.map_or(0, |a| a + 1);
    let mut first_dot = after.is_none();
    while let Some(Item::Statement(st)) = items.get(at) {
        if let Statement::Assign(a) = st
            && a.target == "."
        {
            if !first_dot {
                return at;
            }
            first_dot = false;
        }
        at += 1;
    }
    at
}

/// The location counter and the symbols defined so far.
struct Counter<'l> {
    dot: u64,
    symbols: &'l [ScriptSymbol],
    sections: &'l [OutSection],
}

impl Context for Counter<'_> {
    fn dot(&self) -> u64 {
        self.dot
    }
    fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.iter().rev().find(|s| s.name == name.as_bytes()).map(|s| s.value)
    }
    fn section(&self, function: &str, name: &str) -> Option<u64> {
        let s = self.sections.iter().find(|s| s.name == name.as_bytes())?;
        Some(match function {
            "SIZEOF" => s.size(),
            "ALIGNOF" => s.align,
            _ => s.addr,
        })
    }
}

/// Step 3: the output sections, in the plan's order.
#[allow(clippy::too_many_arguments)]
fn build(
    objects: &[Object<'_>],
    opts: &Options,
    script: &Script,
    entries: &[Entry<'_>],
    items: &[Item<'_>],
    e_machine: u16,
    layout: &mut Layout,
    group_of: &[FxHashMap<usize, usize>],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let mut notes = stack_notes(objects, opts);
    let mut property_note = sections::property_note(objects, opts, e_machine, warnings)?;
    let mut property_empty = false;
    let mut dot = 0u64;
    for item in items {
        let e = match item {
            Item::Statement(s) => {
                // (Provisional: errors are reported when addresses are assigned.)
                let cx = Counter { dot, symbols: &layout.script_symbols, sections: &layout.sections };
                if let Ok(Effect::Dot(to)) = statement(s, &cx, None) {
                    dot = to;
                }
                top_level(s, layout);
                continue;
            }
            Item::Entry(e) => &entries[*e],
        };
        let before = layout.sections.len();
        let out = output_for(e, objects, group_of, layout, e_machine);
        // The section's address as far as known now (`.` inside it is absolute); the final
        // one comes once `.eh_frame` is rebuilt ([`assign_addresses`]).
        let base = provisional_address(e, objects, dot, layout)?;
        if let Some(f) = e.statement.and_then(|st| st.fill.as_ref()) {
            layout.sections[out].fill = Some(fill_pattern(f, &layout.script_symbols)?);
        }
        for p in &e.pieces {
            match p {
                Piece::Input(oi, k) => {
                    let subalign = match e.statement.and_then(|st| st.subalign.as_ref()) {
                        Some(a) => Some(power_of_two(eval(a, &Counter { dot: base, symbols: &[], sections: &[] })?)),
                        None => None,
                    };
                    sections::put(layout, out, *oi, &objects[*oi], *k, subalign)?;
                }
                Piece::StackNote(oi, k) => {
                    let s = section(objects, *oi, *k);
                    sections::stack_note_at(layout, &mut notes, out, s);
                }
                Piece::PropertyNote(oi, k) => {
                    let align = section(objects, *oi, *k).sh_addralign.max(1);
                    let os = &mut layout.sections[out];
                    os.inputs += 1;
                    if let Some(bytes) = property_note.take() {
                        (os.bytes, os.align) = (bytes, align);
                    } else if os.size() == 0 && e.pieces.iter().all(|p| matches!(p, Piece::PropertyNote(..))) {
                        // Nothing left of the properties: no note (as without a script).
                        property_empty = true;
                    }
                }
                Piece::Data(size, expr) => {
                    let here = base.wrapping_add(layout.sections[out].size());
                    let cx = Counter { dot: here, symbols: &layout.script_symbols, sections: &layout.sections };
                    let v = eval(expr, &cx)?;
                    let big = objects.iter().find_map(|o| o.elf.as_ref()).is_some_and(|e| e.big_endian);
                    let bytes =
                        if big { v.to_be_bytes()[8 - *size as usize..].to_vec() } else { v.to_le_bytes()[..*size as usize].to_vec() };
                    append_bytes(&mut layout.sections[out], &bytes);
                }
                Piece::Fill(f) => {
                    layout.sections[out].fill = Some(fill_pattern(f, &layout.script_symbols)?);
                }
                Piece::Statement(s) => {
                    let here = base.wrapping_add(layout.sections[out].size());
                    let cx = Counter { dot: here, symbols: &layout.script_symbols, sections: &layout.sections };
                    match statement(s, &cx, Some(out))? {
                        Effect::Dot(to) => pad_to(&mut layout.sections[out], to.wrapping_sub(base), e_machine == EM_X86_64.0)?,
                        Effect::Define(mut sym) => {
                            // (`.` is absolute; a symbol is relative to its section.)
                            if matches!(s, Statement::Assign(a) if a.expr.uses_dot()) {
                                sym.value = sym.value.wrapping_sub(base);
                            }
                            layout.script_symbols.push(sym);
                        }
                        Effect::None => {}
                    }
                }
            }
        }
        if std::mem::take(&mut property_empty) {
            layout.sections.truncate(before);
            continue;
        }
        finish_output(e, out, before, layout)?;
        if let Some(os) =
            layout.sections.get(out).filter(|os| layout.sections.len() > before && (e.statement.is_some() || os.flags & SHF_ALLOC != 0))
        {
            dot = base.wrapping_add(os.size());
        }
    }
    for s in &script.top {
        top_level(s, layout);
    }
    if let Some(bytes) = property_note.take() {
        sections::push_made_property_note(layout, objects, bytes);
    }
    sections::finish_stack_note(layout, notes, objects, opts, warnings);
    Ok(())
}

/// The `.note.GNU-stack` warnings, in input order (as [`sections::place`] gives them).
fn stack_notes(objects: &[Object<'_>], opts: &Options) -> StackNotes {
    let mut notes = StackNotes::default();
    for o in objects {
        let Some(elf) = &o.elf else { continue };
        let note = elf.sections.iter().enumerate().find(|(k, s)| s.name.as_ref() == b".note.GNU-stack" && candidate(o, *k, s));
        match note {
            Some((_, s)) => sections::stack_note_warning(&mut notes, o, s, opts),
            None if !elf.sections.is_empty() => {
                notes.missing = true;
                if opts.exec_stack.is_none() {
                    notes.pending.push(format!("warning: {}: missing .note.GNU-stack section implies executable stack", o.name));
                }
            }
            None => {}
        }
    }
    notes
}

/// A new output section for entry `e` (its first input section's type and flags; data
/// statements alone make `PROGBITS`).
fn output_for(e: &Entry<'_>, objects: &[Object<'_>], group_of: &[FxHashMap<usize, usize>], layout: &mut Layout, e_machine: u16) -> usize {
    let code_fill = e_machine == EM_X86_64.0;
    let first = e.pieces.iter().find_map(|p| match p {
        Piece::Input(oi, k) => Some((*oi, *k)),
        _ => None,
    });
    let i = match first {
        Some((oi, k)) => {
            let s = section(objects, oi, k);
            let group = group_of[oi].get(&k).copied();
            let link_order = sections::link_order_target(layout, oi, s);
            let i = sections::new_output(layout, s, group, link_order, code_fill);
            layout.sections[i].flags = 0;
            i
        }
        None => {
            let note = e.pieces.iter().any(|p| matches!(p, Piece::PropertyNote(..)));
            let (t, f) = if note { (SHT_NOTE, SHF_ALLOC) } else { (SHT_PROGBITS, 0) };
            let mut os = OutSection::empty(&e.name, t, f);
            os.code_fill = code_fill;
            layout.sections.push(os);
            layout.sections.len() - 1
        }
    };
    layout.sections[i].name = e.name.clone();
    i
}

/// The section's alignment, type and address once its contents are in. A statement makes a
/// section only when something is in it (an input section, data, an assignment: GNU's
/// `init_os` callers); one with assignments alone is `PROGBITS`, writable, or `NOBITS` when `.`
/// moved; data statements make it allocated.
fn finish_output(e: &Entry<'_>, out: usize, before: usize, layout: &mut Layout) -> Result<()> {
    let st = e.statement;
    if e.pieces.is_empty() {
        layout.sections.truncate(before);
        return Ok(());
    }
    let has_input = e.pieces.iter().any(|p| matches!(p, Piece::Input(..) | Piece::StackNote(..) | Piece::PropertyNote(..)));
    let has_data = e.pieces.iter().any(|p| matches!(p, Piece::Data(..)));
    let os = &mut layout.sections[out];
    if !has_input && !has_data {
        os.flags = SHF_WRITE | if os.size() > 0 { SHF_ALLOC } else { 0 };
        if os.size() > 0 {
            (os.sh_type, os.nobits, os.bytes) = (SHT_NOBITS, Some(os.size()), Vec::new());
        }
    } else if has_data {
        os.flags |= SHF_ALLOC;
    }
    if let Some(st) = st {
        let cx = Counter { dot: 0, symbols: &[], sections: &[] };
        if let Some(a) = &st.align {
            os.align = os.align.max(power_of_two(eval(a, &cx)?));
        }
        match st.kind {
            SectionType::NoLoad => {
                if os.nobits.is_none() {
                    os.nobits = Some(os.bytes.len() as u64);
                    os.bytes = Vec::new();
                }
                os.sh_type = SHT_NOBITS;
                os.flags |= SHF_ALLOC | SHF_WRITE;
            }
            SectionType::NotAlloc => {
                os.flags &= !SHF_ALLOC;
                if os.sh_type == SHT_NOBITS {
                    os.sh_type = SHT_PROGBITS;
                }
            }
            SectionType::ReadOnly => os.flags &= !SHF_WRITE,
            SectionType::Normal => {}
        }
    }
    let address = st.and_then(|s| s.address.clone());
    layout.addresses.push(AddressStep::Section { out, address, orphan: st.is_none() });
    Ok(())
}

/// A top-level statement: its symbol is defined now (for the statements after it) and
/// evaluated again with the final addresses ([`assign_addresses`]).
fn top_level(s: &Statement, layout: &mut Layout) {
    let symbol = match s {
        Statement::Assign(a) if a.target != "." => {
            let symbol =
                ScriptSymbol { name: a.target.clone().into_bytes(), section: None, value: 0, provide: a.provide, hidden: a.hidden };
            layout.script_symbols.push(symbol);
            Some(layout.script_symbols.len() - 1)
        }
        _ => None,
    };
    layout.addresses.push(AddressStep::Statement(s.clone(), symbol));
}

/// The addresses of a script's output sections, once their sizes are final: each at its
/// statement's address, else at the location counter aligned (orphans at 0, as GNU's -r puts
/// them, the counter following them); the top-level assignments evaluated in order, a symbol
/// derived from `.` relative to the allocated output section before it (GNU's
/// `section_for_dot`). The alignment written is the lowest bit set in the alignment and the
/// address, as BFD writes it.
pub(super) fn assign_addresses(layout: &mut Layout) -> Result<()> {
    let mut dot = 0u64;
    let mut last_alloc: Option<usize> = None;
    for step in std::mem::take(&mut layout.addresses) {
        match step {
            AddressStep::Section { out, address, orphan } => {
                let start = match &address {
                    Some(a) => eval(a, &Counter { dot, symbols: &layout.script_symbols, sections: &layout.sections })?,
                    None if orphan => 0,
                    None => dot,
                };
                let os = &mut layout.sections[out];
                let addr = if address.is_some() || orphan { start } else { align_up(start, os.align) };
                os.addr = addr;
                if addr != 0 {
                    os.align = os.align.min(1 << addr.trailing_zeros());
                }
                // (A non-allocated orphan leaves the counter where it was.)
                if !orphan || os.flags & SHF_ALLOC != 0 {
                    dot = addr.wrapping_add(os.size());
                }
                if os.flags & SHF_ALLOC != 0 && os.flags & SHF_TLS == 0 {
                    last_alloc = Some(out);
                }
            }
            AddressStep::Statement(s, symbol) => {
                let cx = Counter { dot, symbols: &layout.script_symbols, sections: &layout.sections };
                match statement(&s, &cx, None)? {
                    Effect::Dot(to) => dot = to,
                    Effect::Define(mut sym) => {
                        if let (Statement::Assign(a), Some(last)) = (&s, last_alloc)
                            && a.expr.uses_dot()
                        {
                            (sym.section, sym.value) = (Some(last), sym.value.wrapping_sub(layout.sections[last].addr));
                        }
                        if let Some(i) = symbol {
                            layout.script_symbols[i] = sym;
                        }
                    }
                    Effect::None => {}
                }
            }
        }
    }
    Ok(())
}

/// Where entry `e`'s section starts as far as known while it is filled: its statement's
/// address, else the counter aligned to its inputs' and `ALIGN`'s alignment; an orphan at 0.
fn provisional_address(e: &Entry<'_>, objects: &[Object<'_>], dot: u64, layout: &Layout) -> Result<u64> {
    let Some(st) = e.statement else { return Ok(0) };
    if let Some(a) = &st.address {
        return eval(a, &Counter { dot, symbols: &layout.script_symbols, sections: &layout.sections });
    }
    let mut align = e
        .pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Input(oi, k) => Some(section(objects, *oi, *k).sh_addralign.max(1)),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    if let Some(a) = &st.align {
        align = align.max(power_of_two(eval(a, &Counter { dot, symbols: &[], sections: &[] })?));
    }
    Ok(align_up(dot, align))
}

/// A fill's pattern: a literal's bytes, else the value's 4 bytes, big-endian.
fn fill_pattern(f: &Fill, symbols: &[ScriptSymbol]) -> Result<Vec<u8>> {
    match &f.literal {
        Some(bytes) => Ok(bytes.clone()),
        None => Ok((eval(&f.expr, &Counter { dot: 0, symbols, sections: &[] })? as u32).to_be_bytes().to_vec()),
    }
}

/// An alignment as GNU takes it from an expression: the next power of two.
fn power_of_two(v: u64) -> u64 {
    v.max(1).checked_next_power_of_two().unwrap_or(1 << 63)
}

/// Appends `bytes` at the end of `os`.
fn append_bytes(os: &mut OutSection, bytes: &[u8]) {
    if os.nobits.is_some() {
        os.nobits = Some(os.size() + bytes.len() as u64);
    } else {
        os.bytes.extend_from_slice(bytes);
    }
}

/// Moves the end of `os` to `to` (an assignment to `.` inside it), filling with `fill`.
fn pad_to(os: &mut OutSection, to: u64, code_fill: bool) -> Result<()> {
    let size = os.size();
    if to < size {
        return Err(Error::Link { messages: vec![format!("cannot move location counter backwards (from {size:016x} to {to:016x})")] });
    }
    if to > size + sections::MAX_MATERIALIZED {
        return Err(Error::Link { messages: vec![format!("section {} is too large to link", String::from_utf8_lossy(&os.name))] });
    }
    match os.nobits {
        Some(_) => os.nobits = Some(to),
        None if os.fill.is_none() && code_fill && os.flags & SHF_EXECINSTR != 0 => sections::fill_with_nops(&mut os.bytes, to as usize),
        None => {
            let pattern = os.fill.clone().filter(|p| !p.is_empty()).unwrap_or(vec![0]);
            os.bytes.extend(pattern.iter().cycle().take((to - size) as usize));
        }
    }
    Ok(())
}

/// What an assignment does.
enum Effect {
    None,
    /// `.` moves there.
    Dot(u64),
    Define(ScriptSymbol),
}

/// Evaluates an assignment or `ASSERT` (symbols relative to output section `out` when inside
/// one).
fn statement(s: &Statement, cx: &Counter<'_>, out: Option<usize>) -> Result<Effect> {
    match s {
        Statement::Assert(e, message) => {
            if eval(e, cx)? == 0 {
                return Err(Error::Link { messages: vec![message.clone()] });
            }
            Ok(Effect::None)
        }
        Statement::Assign(a) => {
            let value = eval(&a.expr, cx).map_err(|e| located(e, &a.at))?;
            let old = if a.target == "." { Some(cx.dot) } else { cx.symbol(&a.target) };
            let value = match (a.op, old) {
                ("=", _) => value,
                (op, Some(old)) => compound(op, old, value)?,
                (_, None) => return Err(undefined(&a.target)),
            };
            if a.target == "." {
                return Ok(Effect::Dot(value));
            }
            Ok(Effect::Define(ScriptSymbol {
                name: a.target.clone().into_bytes(),
                section: out,
                value,
                provide: a.provide,
                hidden: a.hidden,
            }))
        }
    }
}

fn compound(op: &str, old: u64, v: u64) -> Result<u64> {
    Ok(match op {
        "+=" => old.wrapping_add(v),
        "-=" => old.wrapping_sub(v),
        "*=" => old.wrapping_mul(v),
        "/=" if v == 0 => return Err(Error::Link { messages: vec!["/ by zero".into()] }),
        "/=" => old / v,
        "<<=" => old.wrapping_shl(v as u32),
        ">>=" => old.wrapping_shr(v as u32),
        "&=" => old & v,
        _ => old | v,
    })
}

/// GNU's message located at a script line (`x.lds:3: undefined symbol ...`).
fn located(e: Error, at: &str) -> Error {
    match e {
        Error::Link { messages } => Error::Link { messages: messages.into_iter().map(|m| format!("{at}: {m}")).collect() },
        other => other,
    }
}

fn undefined(name: &str) -> Error {
    Error::Link { messages: vec![format!("undefined symbol `{name}' referenced in expression")] }
}

fn eval(e: &Expr, cx: &Counter<'_>) -> Result<u64> {
    e.eval(cx).map_err(|err| match err {
        EvalError::Undefined(n) => undefined(&n),
        EvalError::NoSection(f, s) => Error::Link { messages: vec![format!("undefined section `{s}' referenced in expression ({f})")] },
        EvalError::ByZero(op) => Error::Link { messages: vec![format!("{op} by zero")] },
        EvalError::Unsupported(f) => {
            Error::Link { messages: vec![format!("{f} in a linker script expression: not supported with -r yet")] }
        }
    })
}
