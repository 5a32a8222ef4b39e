//! Pass: output sections. Every kept input section joins the output section of its name (and
//! group, and `SHF_LINK_ORDER` target), in input order, at its alignment; groups that won their
//! COMDAT signature are kept; `.eh_frame` is only reserved here (rebuilt by [`super::eh_frame`]);
//! `.note.GNU-stack` decides whether the output asks for an executable stack.

use rustc_hash::FxHashMap;

use super::super::load::Object;
use super::super::options::Options;
use super::properties;
use crate::elf::consts::*;
use crate::elf::{Link, Reloc, Section, SectionData};
use crate::error::{Error, Result};

/// `SHT_X86_64_UNWIND` (clang's `.eh_frame` type on x86-64).
const SHT_X86_64_UNWIND: u32 = 0x7000_0001;

/// What decides which output section an input section joins.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key<'n> {
    name: &'n [u8],
    /// (object, group section) for members of a kept group: each group keeps its own sections.
    group: Option<(usize, usize)>,
    /// The output section an `SHF_LINK_ORDER` section is linked to.
    link_order: Option<usize>,
}

/// An output section under construction.
pub(super) struct OutSection {
    pub(super) name: Vec<u8>,
    pub(super) sh_type: u32,
    pub(super) flags: u64,
    pub(super) align: u64,
    pub(super) entsize: u64,
    /// Link to another output section.
    pub(super) link: Option<usize>,
    pub(super) bytes: Vec<u8>,
    /// Size when `SHT_NOBITS`.
    pub(super) nobits: Option<u64>,
    pub(super) relocs: Vec<Reloc>,
    pub(super) rela: Option<bool>,
    /// The output group this section belongs to.
    pub(super) group: Option<usize>,
    /// Gaps between the input sections of a code section are filled with the target's NOPs
    /// (x86-64 and x32, as GNU ld fills them), else with zeros.
    pub(super) code_fill: bool,
    /// How many input sections it holds.
    pub(super) inputs: usize,
    /// A linker script's fill pattern for the gaps (else NOPs or zeros).
    pub(super) fill: Option<Vec<u8>>,
    /// `sh_addr` (a linker script's address; 0 otherwise).
    pub(super) addr: u64,
}

impl OutSection {
    /// An empty output section with no link, group or relocations.
    pub(super) fn empty(name: &[u8], sh_type: u32, flags: u64) -> OutSection {
        OutSection {
            name: name.to_vec(),
            sh_type,
            flags,
            align: 1,
            entsize: 0,
            link: None,
            bytes: Vec::new(),
            nobits: (sh_type == SHT_NOBITS).then_some(0),
            relocs: Vec::new(),
            rela: None,
            group: None,
            code_fill: false,
            inputs: 0,
            fill: None,
            addr: 0,
        }
    }

    pub(super) fn size(&self) -> u64 {
        self.nobits.unwrap_or(self.bytes.len() as u64)
    }

    /// Appends an input section at its alignment; returns its offset. Fails (rather than
    /// allocating without bound) when the offsets overflow or when more than
    /// [`MAX_MATERIALIZED`] bytes of zeros would have to be written out.
    pub(super) fn append(&mut self, s: &Section<'_>) -> std::result::Result<u64, String> {
        self.append_aligned(s, s.sh_addralign.max(1))
    }

    /// [`OutSection::append`] at alignment `align` (a script's `SUBALIGN`).
    pub(super) fn append_aligned(&mut self, s: &Section<'_>, align: u64) -> std::result::Result<u64, String> {
        if !align.is_power_of_two() {
            return Err(format!("section {} has alignment {align}, not a power of two", String::from_utf8_lossy(&s.name)));
        }
        let too_large = || format!("section {} is too large to link", String::from_utf8_lossy(&self.name));
        let at = self.size().checked_next_multiple_of(align).ok_or_else(too_large)?;
        let bytes_up_to = |end: u64| if end <= MAX_MATERIALIZED { Ok(end as usize) } else { Err(too_large()) };
        match (&s.data, self.nobits) {
            (SectionData::NoBits(n), Some(size)) => self.nobits = Some(at.max(size).checked_add(*n).ok_or_else(too_large)?),
            (SectionData::NoBits(n), None) => {
                let end = bytes_up_to(at.checked_add(*n).ok_or_else(too_large)?)?;
                self.bytes.resize(end, 0);
            }
            (data, Some(size)) => {
                // PROGBITS joining NOBITS: the output holds zeros up to here.
                let (size, at) = (bytes_up_to(size)?, bytes_up_to(at)?);
                self.nobits = None;
                self.sh_type = s.sh_type;
                self.bytes.resize(size, 0);
                self.bytes.resize(at, 0);
                if let SectionData::Bytes(b) = data {
                    self.bytes.extend_from_slice(b);
                }
            }
            (SectionData::Bytes(b), None) => {
                let gap_end = bytes_up_to(at)?;
                if let Some(pattern) = self.fill.as_ref().filter(|p| !p.is_empty()) {
                    // (The pattern starts again at every gap, as BFD writes it.)
                    let gap = gap_end.saturating_sub(self.bytes.len());
                    self.bytes.extend(pattern.iter().cycle().take(gap));
                } else if self.code_fill && self.flags & SHF_EXECINSTR != 0 {
                    fill_with_nops(&mut self.bytes, gap_end);
                } else {
                    self.bytes.resize(gap_end, 0);
                }
                self.bytes.extend_from_slice(b);
            }
            _ => {}
        }
        self.align = self.align.max(align);
        Ok(at)
    }
}

/// x86's long NOPs of 1 to 10 bytes, the ones BFD's x86-64 target fills code gaps with
/// (measured on GNU ld -r 2.40: a gap is a run of 10-byte NOPs, then one NOP of the rest).
const X86_NOPS: [&[u8]; 10] = [
    &[0x90],
    &[0x66, 0x90],
    &[0x0f, 0x1f, 0x00],
    &[0x0f, 0x1f, 0x40, 0x00],
    &[0x0f, 0x1f, 0x44, 0x00, 0x00],
    &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
    &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
    &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

/// Extends `bytes` to `end` with x86 NOPs.
pub(super) fn fill_with_nops(bytes: &mut Vec<u8>, end: usize) {
    while bytes.len() < end {
        let n = (end - bytes.len()).min(10);
        bytes.extend_from_slice(X86_NOPS[n - 1]);
    }
}

/// The most zero bytes a partial link writes out for a section that mixes `SHT_NOBITS` and
/// file contents (1 GiB); a larger one is an error, not an allocation failure.
pub(super) const MAX_MATERIALIZED: u64 = 1 << 30;

/// Where each input section went: (output section, offset); the offset is `u64::MAX` for an
/// `.eh_frame` not placed yet.
pub(super) type Placement = Vec<Vec<Option<(usize, u64)>>>;

/// The output sections and where every input section went.
pub(super) struct Layout {
    /// Output sections, in order.
    pub(super) sections: Vec<OutSection>,
    /// The kept groups: (object, input group section).
    pub(super) groups: Vec<(usize, usize)>,
    /// Where each input section went.
    pub(super) placement: Placement,
    /// The output `.eh_frame`, if any.
    pub(super) eh_frame: Option<usize>,
    /// The symbols a linker script defines.
    pub(super) script_symbols: Vec<ScriptSymbol>,
    /// The input sections a script's `/DISCARD/` took: (object, section).
    pub(super) discarded: Vec<(usize, usize)>,
    /// With a script: how the output sections get their addresses, replayed once their sizes
    /// are final (after `.eh_frame` is rebuilt and commons are allocated).
    pub(super) addresses: Vec<AddressStep>,
}

/// One step of a script's address assignment.
pub(super) enum AddressStep {
    /// A top-level assignment or `ASSERT` (defining `script_symbols[i]` when `Some(i)`).
    Statement(crate::link::script::Statement, Option<usize>),
    /// Output section `out`: at its statement's address, else at the location counter
    /// (aligned); an orphan at 0.
    Section { out: usize, address: Option<crate::link::script::Expr>, orphan: bool },
}

impl Layout {
    /// An empty layout for `objects` (nothing placed).
    pub(super) fn new(objects: &[Object<'_>]) -> Layout {
        Layout {
            sections: Vec::new(),
            groups: Vec::new(),
            placement: objects.iter().map(|o| vec![None; o.elf.as_ref().map_or(0, |e| e.sections.len())]).collect(),
            eh_frame: None,
            script_symbols: Vec::new(),
            discarded: Vec::new(),
            addresses: Vec::new(),
        }
    }
}

/// A symbol a linker script assignment defines.
#[derive(Debug)]
pub(super) struct ScriptSymbol {
    pub(super) name: Vec<u8>,
    /// The output section it is relative to (`None`: absolute).
    pub(super) section: Option<usize>,
    pub(super) value: u64,
    /// `PROVIDE`: defined only when referenced and not defined otherwise.
    pub(super) provide: bool,
    /// `HIDDEN`, `PROVIDE_HIDDEN`.
    pub(super) hidden: bool,
}

/// What `.note.GNU-stack` sections said, input by input.
#[derive(Default)]
pub(super) struct StackNotes {
    /// The output's note section.
    pub(super) note: Option<usize>,
    /// An input's note asks for an executable stack.
    pub(super) exec: bool,
    /// A native input has no note.
    pub(super) missing: bool,
    /// The warnings about notes, in input order (GNU gives none when no input has a note).
    pub(super) pending: Vec<String>,
}

/// Places every input section (see the module documentation).
pub(super) fn place<'a>(objects: &'a [Object<'_>], opts: &Options, e_machine: u16, warnings: &mut Vec<String>) -> Result<Layout> {
    let mut layout = Layout::new(objects);
    let mut by_key: FxHashMap<Key<'a>, usize> = FxHashMap::default();
    let mut notes = StackNotes::default();
    let mut property_note = property_note(objects, opts, e_machine, warnings)?;
    let mut property_out = None;
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        // --force-group-allocation: group members are placed like any section, no group kept.
        let group_of = if opts.force_group_allocation { FxHashMap::default() } else { keep_groups(&mut layout, oi, o) };
        let mut has_note = false;
        for (k, s) in elf.sections.iter().enumerate() {
            if o.discarded[k] || !is_placed(s) {
                continue;
            }
            if s.name.as_ref() == b".note.GNU-stack" {
                has_note = true;
                stack_note(&mut layout, &mut notes, o, s, opts);
                continue;
            }
            if s.name.as_ref() == properties::NAME && s.sh_type == SHT_NOTE {
                // The merged note goes where the first input's was (none when nothing is left).
                if let Some(bytes) = property_note.take() {
                    let mut os = OutSection::empty(properties::NAME, SHT_NOTE, SHF_ALLOC);
                    (os.bytes, os.align) = (bytes, s.sh_addralign.max(1));
                    layout.sections.push(os);
                    property_out = Some(layout.sections.len() - 1);
                }
                layout.placement[oi][k] = property_out.map(|out| (out, 0));
                continue;
            }
            place_one(&mut layout, &mut by_key, oi, o, k, &group_of, e_machine == EM_X86_64.0)?;
        }
        if !has_note && (!elf.sections.is_empty()) {
            notes.missing = true;
            if opts.exec_stack.is_none() {
                notes.pending.push(format!("warning: {}: missing .note.GNU-stack section implies executable stack", o.name));
            }
        }
    }
    if let Some(bytes) = property_note.take() {
        push_made_property_note(&mut layout, objects, bytes);
    }
    finish_stack_note(&mut layout, notes, objects, opts, warnings);
    Ok(layout)
}

/// The `.note.gnu.property` a `-z` option made when no input had one, at the end.
pub(super) fn push_made_property_note(layout: &mut Layout, objects: &[Object<'_>], bytes: Vec<u8>) {
    let mut os = OutSection::empty(properties::NAME, SHT_NOTE, SHF_ALLOC);
    let is_64 = objects.iter().find_map(|o| o.elf.as_ref()).is_none_or(|e| e.is_64);
    (os.bytes, os.align) = (bytes, if is_64 { 8 } else { 4 });
    layout.sections.push(os);
}

/// The merged `.note.gnu.property` of the native inputs ([`properties`]), or `None` when no
/// property is left; `-z cet-report` messages go to `warnings` (or fail the link).
pub(super) fn property_note(objects: &[Object<'_>], opts: &Options, e_machine: u16, warnings: &mut Vec<String>) -> Result<Option<Vec<u8>>> {
    let mut inputs = Vec::new();
    let mut format = None;
    for o in objects {
        let Some(elf) = &o.elf else { continue };
        format.get_or_insert((elf.is_64, elf.big_endian));
        let mut props = None;
        for (k, s) in elf.sections.iter().enumerate() {
            if s.name.as_ref() == properties::NAME && s.sh_type == SHT_NOTE && !o.discarded[k] {
                let parsed = properties::parse(s.bytes_data().unwrap_or(&[]), elf.is_64, elf.big_endian, e_machine)
                    .map_err(|e| Error::Link { messages: vec![format!("{}: {e}", o.name)] })?;
                props.get_or_insert_with(properties::Props::new).extend(parsed);
            }
        }
        inputs.push((o.name.clone(), props));
    }
    let Some((is_64, big_endian)) = format else { return Ok(None) };
    let (merged, reports, fatal) = properties::merge(&inputs, e_machine, is_64, &opts.properties);
    if fatal && !reports.is_empty() {
        return Err(Error::Link { messages: reports });
    }
    warnings.extend(reports);
    Ok((!merged.is_empty()).then(|| properties::encode(&merged, is_64, big_endian)))
}

/// True for the sections that are placed (not tables, relocations or groups).
pub(super) fn is_placed(s: &Section<'_>) -> bool {
    !matches!(
        s.data,
        SectionData::SymbolTable
            | SectionData::StringTable
            | SectionData::SectionNames
            | SectionData::SymtabShndx
            | SectionData::Relocations { .. }
            | SectionData::Group { .. }
    )
}

/// Records object `oi`'s kept groups; returns the group each of its sections belongs to.
pub(super) fn keep_groups(layout: &mut Layout, oi: usize, o: &Object<'_>) -> FxHashMap<usize, usize> {
    let mut group_of = FxHashMap::default();
    let Some(elf) = &o.elf else { return group_of };
    for (k, s) in elf.sections.iter().enumerate() {
        if let SectionData::Group { members, .. } = &s.data
            && !o.discarded[k]
        {
            layout.groups.push((oi, k));
            for &m in members {
                group_of.insert(m, layout.groups.len() - 1);
            }
        }
    }
    group_of
}

/// An input `.note.GNU-stack`: the first one makes the output's.
pub(super) fn stack_note(layout: &mut Layout, notes: &mut StackNotes, o: &Object<'_>, s: &Section<'_>, opts: &Options) {
    stack_note_warning(notes, o, s, opts);
    if notes.note.is_none() {
        layout.sections.push(OutSection::empty(&s.name, SHT_PROGBITS, 0));
        notes.note = Some(layout.sections.len() - 1);
    }
}

/// What an input's `.note.GNU-stack` says: whether it asks for an executable stack (GNU's
/// warning unless `-z execstack`/`noexecstack`).
pub(super) fn stack_note_warning(notes: &mut StackNotes, o: &Object<'_>, s: &Section<'_>, opts: &Options) {
    if s.sh_flags & SHF_EXECINSTR != 0 {
        notes.exec = true;
        if opts.exec_stack.is_none() {
            notes
                .pending
                .push(format!("warning: {}: requires executable stack (because the .note.GNU-stack section is executable)", o.name));
        }
    }
}

/// With a linker script: output section `out` is the output's `.note.GNU-stack`.
pub(super) fn stack_note_at(layout: &mut Layout, notes: &mut StackNotes, out: usize, s: &Section<'_>) {
    let os = &mut layout.sections[out];
    (os.sh_type, os.flags, os.align) = (SHT_PROGBITS, 0, s.sh_addralign.max(1));
    notes.note = Some(out);
}

/// The output's `.note.GNU-stack`: executable if an input asks for it or a native input has no
/// note (GNU's deprecated default), unless `-z execstack`/`-z noexecstack` says otherwise; none
/// (and no warning) when no input has one and no `-z` asks for one, as GNU ld -r does.
pub(super) fn finish_stack_note(
    layout: &mut Layout,
    notes: StackNotes,
    objects: &[Object<'_>],
    opts: &Options,
    warnings: &mut Vec<String>,
) {
    // (A partial link that carries bitcode keeps the wrapped format's note.)
    if notes.note.is_none() && opts.exec_stack.is_none() && !objects.iter().any(|o| o.bitcode.is_some()) {
        return;
    }
    warnings.extend(notes.pending);
    if notes.missing && opts.exec_stack.is_none() {
        warnings.push("NOTE: This behaviour is deprecated and will be removed in a future version of the linker".into());
    }
    let exec = opts.exec_stack.unwrap_or(notes.exec || notes.missing);
    if !objects.is_empty() {
        let note = match notes.note {
            Some(n) => n,
            None => {
                layout.sections.push(OutSection::empty(b".note.GNU-stack", SHT_PROGBITS, 0));
                layout.sections.len() - 1
            }
        };
        layout.sections[note].flags = if exec { SHF_EXECINSTR } else { 0 };
    }
}

/// Places input section `k` of object `oi` in its output section.
fn place_one<'a>(
    layout: &mut Layout,
    by_key: &mut FxHashMap<Key<'a>, usize>,
    oi: usize,
    o: &'a Object<'_>,
    k: usize,
    group_of: &FxHashMap<usize, usize>,
    code_fill: bool,
) -> Result<()> {
    let s = &o.elf.as_ref().expect("placing a section of a native object").sections[k];
    let link_order = link_order_target(layout, oi, s);
    let group = group_of.get(&k).map(|&g| layout.groups[g]);
    let key = Key { name: &s.name, group, link_order };
    let out = match by_key.get(&key) {
        Some(&i) => i,
        None => {
            let i = new_output(layout, s, group_of.get(&k).copied(), link_order, code_fill);
            by_key.insert(key, i);
            i
        }
    };
    put(layout, out, oi, o, k, None)
}

/// The output section an `SHF_LINK_ORDER` section's link target went to.
pub(super) fn link_order_target(layout: &Layout, oi: usize, s: &Section<'_>) -> Option<usize> {
    if s.sh_flags & SHF_LINK_ORDER == 0 {
        return None;
    }
    match s.link {
        Link::Section(t) => layout.placement[oi].get(t).copied().flatten().map(|(out, _)| out),
        _ => None,
    }
}

/// A new output section for input section `s` (its name, type, flags and entry size), in
/// output group `group`; returns its index.
pub(super) fn new_output(layout: &mut Layout, s: &Section<'_>, group: Option<usize>, link_order: Option<usize>, code_fill: bool) -> usize {
    let mut os = OutSection::empty(&s.name, s.sh_type, s.sh_flags & !SHF_GROUP);
    os.entsize = s.sh_entsize;
    os.link = link_order;
    os.nobits = matches!(s.data, SectionData::NoBits(_)).then_some(0);
    os.group = group;
    os.code_fill = code_fill;
    layout.sections.push(os);
    let i = layout.sections.len() - 1;
    if is_eh_frame(s) && layout.eh_frame.is_none() {
        layout.eh_frame = Some(i);
    }
    i
}

fn is_eh_frame(s: &Section<'_>) -> bool {
    s.name.as_ref() == b".eh_frame" && matches!(s.sh_type, SHT_PROGBITS | SHT_X86_64_UNWIND)
}

/// Appends input section `k` of object `oi` to output section `out` (an `.eh_frame` is only
/// reserved: [`super::eh_frame`] places it).
/// `subalign` overrides the input's alignment (a script's `SUBALIGN`).
pub(super) fn put(layout: &mut Layout, out: usize, oi: usize, o: &Object<'_>, k: usize, subalign: Option<u64>) -> Result<()> {
    let s = &o.elf.as_ref().expect("placing a section of a native object").sections[k];
    if s.sh_flags & 0x800 != 0 {
        return Err(Error::Link {
            messages: vec![format!("{}: compressed section {} is not supported", o.name, String::from_utf8_lossy(&s.name))],
        });
    }
    let os = &mut layout.sections[out];
    // BFD keeps SHF_MERGE/SHF_STRINGS only while every input has the same ones and entry size.
    let merge = SHF_MERGE | SHF_STRINGS;
    let merge_bits = if os.inputs == 0 {
        s.sh_flags & merge
    } else if (os.flags ^ s.sh_flags) & merge != 0 || os.entsize != s.sh_entsize {
        if os.flags & SHF_MERGE != 0 {
            os.entsize = 0;
        }
        0
    } else {
        os.flags & merge
    };
    os.flags = ((os.flags | s.sh_flags) & !(SHF_GROUP | merge)) | merge_bits;
    os.inputs += 1;
    if is_eh_frame(s) {
        // Placed when .eh_frame is rebuilt.
        if !s.sh_addralign.max(1).is_power_of_two() || s.sh_addralign > 1 << 16 {
            let what = format!("{}: section .eh_frame has alignment {}", o.name, s.sh_addralign);
            return Err(Error::Link { messages: vec![what] });
        }
        os.align = os.align.max(s.sh_addralign.max(1));
        if layout.eh_frame.is_none() {
            layout.eh_frame = Some(out);
        }
        layout.placement[oi][k] = Some((out, u64::MAX));
        return Ok(());
    }
    let align = subalign.unwrap_or(s.sh_addralign.max(1));
    let at = os.append_aligned(s, align).map_err(|e| Error::Link { messages: vec![format!("{}: {e}", o.name)] })?;
    layout.placement[oi][k] = Some((out, at));
    Ok(())
}
