//! The native half of a partial link: output sections, symbols, relocations, groups, the
//! rebuilt `.eh_frame` and `.note.GNU-stack`, in one ELF model (see the contract in
//! [`super`]). Bitcode winners get an output symbol here that [`super::carry`] defines.

use std::borrow::Cow;
use std::collections::HashMap;

use super::Options;
use super::eh_frame;
use super::load::Object;
use super::resolve::{CommonKind, Origin, State, Table};
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, Link, Reloc, Section, SectionData, Symbol, SymbolSection};
use crate::error::{Error, Result};

/// The output being built.
pub struct Output<'a> {
    /// The model.
    pub obj: ElfObject<'a>,
    /// For each entry of the resolution table, its output symbol.
    pub global_symbols: Vec<usize>,
    /// The machine came from a native input (bitcode must then match it).
    pub native_machine: bool,
}

/// `SHT_X86_64_UNWIND` (clang's `.eh_frame` type on x86-64).
const SHT_X86_64_UNWIND: u32 = 0x7000_0001;

/// What decides which output section an input section joins.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    name: Vec<u8>,
    /// (object, group section) for members of a kept group: each group keeps its own sections.
    group: Option<(usize, usize)>,
    /// The output section an `SHF_LINK_ORDER` section is linked to.
    link_order: Option<usize>,
}

/// An output section under construction.
struct OutSection {
    name: Vec<u8>,
    sh_type: u32,
    flags: u64,
    align: u64,
    entsize: u64,
    /// Link to another output section.
    link: Option<usize>,
    bytes: Vec<u8>,
    /// Size when `SHT_NOBITS`.
    nobits: Option<u64>,
    relocs: Vec<Reloc>,
    rela: Option<bool>,
    /// The output group this section belongs to.
    group: Option<usize>,
}

impl OutSection {
    /// An empty output section with no link, group or relocations.
    fn empty(name: &[u8], sh_type: u32, flags: u64) -> OutSection {
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
        }
    }

    fn size(&self) -> u64 {
        self.nobits.unwrap_or(self.bytes.len() as u64)
    }

    /// Appends an input section at its alignment; returns its offset. Fails (rather than
    /// allocating without bound) when the offsets overflow or when more than
    /// [`MAX_MATERIALIZED`] bytes of zeros would have to be written out.
    fn append(&mut self, s: &Section<'_>) -> std::result::Result<u64, String> {
        let align = s.sh_addralign.max(1);
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
                self.bytes.resize(bytes_up_to(at)?, 0);
                self.bytes.extend_from_slice(b);
            }
            _ => {}
        }
        self.align = self.align.max(align);
        Ok(at)
    }
}

/// The most zero bytes a partial link writes out for a section that mixes `SHT_NOBITS` and
/// file contents (1 GiB); a larger one is an error, not an allocation failure.
const MAX_MATERIALIZED: u64 = 1 << 30;

/// GNU's names of machines, for the incompatibility message.
fn machine_name(e_machine: u16, is_64: bool) -> String {
    match e_machine {
        m if m == EM_X86_64.0 && is_64 => "i386:x86-64".into(),
        m if m == EM_X86_64.0 => "i386:x64-32".into(),
        m if m == EM_386.0 => "i386".into(),
        m if m == EM_AARCH64.0 => "aarch64".into(),
        m if m == EM_ARM.0 => "arm".into(),
        m if m == EM_RISCV.0 => "riscv".into(),
        m if m == EM_PPC64.0 => "powerpc:common64".into(),
        m if m == EM_S390.0 => "s390:64-bit".into(),
        m => format!("machine {m}"),
    }
}

/// The machine of `-m EMULATION` (for outputs without native inputs).
pub(crate) fn emulation_machine(emulation: Option<&str>) -> Result<(u16, bool, bool)> {
    Ok(match emulation.unwrap_or("elf_x86_64") {
        "elf_x86_64" => (EM_X86_64.0, true, false),
        "elf32_x86_64" => (EM_X86_64.0, false, false),
        "elf_i386" => (EM_386.0, false, false),
        "aarch64linux" | "aarch64elf" => (EM_AARCH64.0, true, false),
        "armelf_linux_eabi" | "armelf" => (EM_ARM.0, false, false),
        "elf64lriscv" => (EM_RISCV.0, true, false),
        "elf64lppc" => (EM_PPC64.0, true, false),
        other => {
            let supported = "elf_x86_64 elf32_x86_64 elf_i386 aarch64linux aarch64elf armelf_linux_eabi armelf elf64lriscv elf64lppc";
            return Err(Error::Link { messages: vec![format!("unrecognised emulation mode: {other}\nSupported emulations: {supported}")] });
        }
    })
}

/// BFD's `%pT`: a symbol name, demangled (ld demangles by default).
fn shown(name: &[u8]) -> String {
    let demangled = crate::demangle::bfd_demangle(name, None).unwrap_or_else(|| name.to_vec());
    String::from_utf8_lossy(&demangled).into_owned()
}

/// BFD's `_bfd_elf_find_function`: the symbol a code offset is in (the nearest one at or before
/// it that could be a function: not an object, TLS, section or file symbol), and the FILE
/// symbol it belongs to.
fn nearest_function<'e>(elf: &'e ElfObject<'_>, section: usize, offset: u64) -> Option<(&'e [u8], Option<&'e [u8]>)> {
    #[derive(PartialEq)]
    enum Seen {
        Nothing,
        Symbol,
        FileAfterSymbol,
    }
    let mut file: Option<&[u8]> = None;
    let mut state = Seen::Nothing;
    /// A candidate: name, offset, size, FILE symbol.
    type Candidate<'n> = (&'n [u8], u64, u64, Option<&'n [u8]>);
    let mut best: Option<Candidate<'_>> = None;
    for s in &elf.symbols {
        if s.kind() == STT_FILE {
            file = Some(s.name.as_ref());
            if state == Seen::Symbol {
                state = Seen::FileAfterSymbol;
            }
            continue;
        }
        let candidate = s.section == SymbolSection::Section(section)
            && !matches!(s.kind(), STT_OBJECT | STT_TLS | STT_SECTION | STT_COMMON)
            && !(s.size == 0 && s.binding() == STB_LOCAL && s.kind() == STT_NOTYPE && s.visibility() == STV_HIDDEN);
        if candidate {
            let size = s.size.max(1);
            let better = match best {
                None => s.value <= offset,
                Some((_, low, bsize, _)) => s.value <= offset && (s.value > low || (s.value == low && size > bsize)),
            };
            if better {
                let f = if file.is_some() && (s.binding() == STB_LOCAL || state != Seen::FileAfterSymbol) { file } else { None };
                best = Some((s.name.as_ref(), s.value, size, f));
            }
        }
        if state == Seen::Nothing {
            state = Seen::Symbol;
        }
    }
    best.map(|(n, _, _, f)| (n, f))
}

/// GNU ld's `%C`: `obj: in function `f':\nfile:(section+0xoff)` when the offset is in a
/// function, else `obj:(section+0xoff)`.
fn where_c(o: &Object<'_>, section: usize, offset: u64) -> String {
    let Some(elf) = &o.elf else { return o.name.clone() };
    let sec = String::from_utf8_lossy(&elf.sections[section].name);
    match nearest_function(elf, section, offset) {
        Some((f, file)) => {
            let file = file.map(|f| format!("{}:", String::from_utf8_lossy(f))).unwrap_or_default();
            format!("{}: in function `{}':\n{file}({sec}+{offset:#x})", o.name, shown(f))
        }
        None => format!("{}:({sec}+{offset:#x})", o.name),
    }
}

/// GNU ld's `%D`: `obj:file:(section+0xoff)`, without the function.
fn where_d(o: &Object<'_>, section: usize, offset: u64) -> String {
    let Some(elf) = &o.elf else { return o.name.clone() };
    let sec = String::from_utf8_lossy(&elf.sections[section].name);
    match nearest_function(elf, section, offset) {
        Some((_, Some(file))) => format!("{}:{}:({sec}+{offset:#x})", o.name, String::from_utf8_lossy(file)),
        _ => format!("{}:({sec}+{offset:#x})", o.name),
    }
}

/// GNU's `--warn-common` warnings (ldmain.c's `multiple_common`), in the order the commons met.
fn common_messages(objects: &[Object<'_>], table: &Table) -> Vec<String> {
    let file = |origin: Origin| match origin {
        Origin::Native { object, .. } | Origin::Bitcode { object, .. } => Some(objects[object].name.as_str()),
        Origin::CommandLine => None,
    };
    table
        .common_events
        .iter()
        .map(|e| {
            let (new, name) = (file(e.new).unwrap_or("command line"), shown(&e.name));
            let from = file(e.old).map(|o| format!(" from {o}")).unwrap_or_default();
            match e.kind {
                CommonKind::DefinitionOverridesCommon => format!("{new}: warning: definition of `{name}' overriding common{from}"),
                CommonKind::CommonOverriddenByDefinition => format!("{new}: warning: common of `{name}' overridden by definition{from}"),
                CommonKind::LargerCommon => format!("{new}: warning: common of `{name}' overriding smaller common{from}"),
                CommonKind::SmallerCommon => format!("{new}: warning: common of `{name}' overridden by larger common{from}"),
                CommonKind::SameCommon => match file(e.old) {
                    Some(old) => format!("{new} and {old}: warning: multiple common of `{name}'"),
                    None => format!("{new}: warning: multiple common of `{name}'"),
                },
            }
        })
        .collect()
}

/// GNU's "multiple definition" messages.
fn duplicate_messages(objects: &[Object<'_>], table: &Table) -> Vec<String> {
    let at = |origin: Origin, c: bool| -> String {
        match origin {
            Origin::Native { object, symbol } => {
                let o = &objects[object];
                let Some(elf) = &o.elf else { return o.name.clone() };
                let s = &elf.symbols[symbol];
                match s.section {
                    SymbolSection::Section(k) if c => where_c(o, k, s.value),
                    SymbolSection::Section(k) => where_d(o, k, s.value),
                    _ => format!("{}:(*ABS*+{:#x})", o.name, s.value),
                }
            }
            Origin::Bitcode { object, .. } => format!("{}:(LLVM bitcode)", objects[object].name),
            Origin::CommandLine => "command line".into(),
        }
    };
    table
        .duplicates
        .iter()
        .map(|d| format!("{}: multiple definition of `{}'; {}: first defined here", at(d.second, true), shown(&d.name), at(d.first, false)))
        .collect()
}

/// GNU ld's warning symbols: a section `.gnu.warning.SYMBOL` makes the first reference to
/// SYMBOL print the section's text, at the first relocation against it in the referring
/// object (or naming the object when it has none).
fn symbol_warnings(objects: &[Object<'_>], table: &Table) -> Vec<String> {
    let mut texts: HashMap<&[u8], String> = HashMap::new();
    for o in objects {
        let Some(elf) = &o.elf else { continue };
        for s in &elf.sections {
            if let Some(sym) = s.name.strip_prefix(b".gnu.warning.".as_slice())
                && let Some(b) = s.bytes_data()
            {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                texts.entry(sym).or_insert_with(|| String::from_utf8_lossy(&b[..end]).into_owned());
            }
        }
    }
    if texts.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut warned: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    for o in objects {
        let Some(elf) = &o.elf else { continue };
        // The names this object refers to, in symbol order, that carry a warning.
        for s in &elf.symbols {
            if s.section != SymbolSection::Undefined || s.binding() == STB_LOCAL {
                continue;
            }
            let name: &[u8] = s.name.as_ref();
            let Some(text) = texts.get(name) else { continue };
            if warned.contains(name) || table.get(name).is_none() {
                continue;
            }
            warned.insert(texts.get_key_value(name).map(|(k, _)| *k).unwrap_or(name));
            let place = elf.sections.iter().find_map(|rs| {
                let (SectionData::Relocations { relocs, .. }, Info::Section(t)) = (&rs.data, &rs.info) else { return None };
                relocs.iter().find(|r| r.symbol.is_some_and(|j| elf.symbols[j].name.as_ref() == name)).map(|r| (*t, r.offset))
            });
            out.push(match place {
                Some((t, off)) => format!("{}: warning: {text}", where_c(o, t, off)),
                None => format!("{}: warning: {text}", o.name),
            });
        }
    }
    out
}

/// Where an output symbol's section is: an output section or an output group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Out(usize),
    Group(usize),
}

/// Where each input section went: (output section, offset).
type Placement = Vec<Vec<Option<(usize, u64)>>>;

/// Builds the native output (see the module documentation).
pub fn merge<'a>(objects: &[Object<'a>], table: &Table, opts: &Options, warnings: &mut Vec<String>) -> Result<Output<'a>> {
    if !table.duplicates.is_empty() && !opts.allow_multiple_definition {
        return Err(Error::Link { messages: duplicate_messages(objects, table) });
    }
    if opts.warn_common {
        warnings.extend(common_messages(objects, table));
    }
    warnings.extend(symbol_warnings(objects, table));
    // The output machine: the first native input's.
    let first = objects.iter().find_map(|o| o.elf.as_ref().filter(|e| !e.sections.is_empty() || !e.symbols.is_empty()));
    let mut obj = match first {
        Some(f) => {
            let mut obj = ElfObject::new_relocatable(f.is_64, f.big_endian, f.e_machine, f.e_flags);
            obj.os_abi = f.os_abi;
            obj.abi_version = f.abi_version;
            obj
        }
        None => {
            let (m, is_64, be) = emulation_machine(opts.emulation.as_deref())?;
            ElfObject::new_relocatable(is_64, be, m, 0)
        }
    };
    let native_machine = first.is_some();
    for o in objects {
        let Some(e) = &o.elf else { continue };
        if e.sections.is_empty() && e.symbols.is_empty() {
            continue;
        }
        if (e.e_machine, e.is_64, e.big_endian) != (obj.e_machine, obj.is_64, obj.big_endian) {
            return Err(Error::Link {
                messages: vec![format!(
                    "{} architecture of input file `{}' is incompatible with {} output",
                    machine_name(e.e_machine, e.is_64),
                    o.name,
                    machine_name(obj.e_machine, obj.is_64)
                )],
            });
        }
        if e.os_abi == 3 {
            obj.os_abi = 3;
        }
    }

    let mut sections: Vec<OutSection> = Vec::new();
    let mut by_key: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (object, input group section) kept
    let mut placement: Placement = objects.iter().map(|o| vec![None; o.elf.as_ref().map_or(0, |e| e.sections.len())]).collect();
    let mut eh_frame: Option<usize> = None;
    let mut stack_note: Option<usize> = None;
    let mut exec_stack = false;
    let mut missing_note = false;

    // Sections, in input order.
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        // The group each section belongs to, when kept.
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        for (k, s) in elf.sections.iter().enumerate() {
            if let SectionData::Group { members, .. } = &s.data
                && !o.discarded[k]
            {
                groups.push((oi, k));
                for &m in members {
                    group_of.insert(m, groups.len() - 1);
                }
            }
        }
        let mut has_note = false;
        for (k, s) in elf.sections.iter().enumerate() {
            if o.discarded[k] {
                continue;
            }
            match s.data {
                SectionData::SymbolTable
                | SectionData::StringTable
                | SectionData::SectionNames
                | SectionData::SymtabShndx
                | SectionData::Relocations { .. }
                | SectionData::Group { .. } => continue,
                _ => {}
            }
            if s.name.as_ref() == b".note.GNU-stack" {
                has_note = true;
                if s.sh_flags & SHF_EXECINSTR != 0 {
                    exec_stack = true;
                    if opts.exec_stack.is_none() {
                        warnings.push(format!(
                            "warning: {}: requires executable stack (because the .note.GNU-stack section is executable)",
                            o.name
                        ));
                    }
                }
                if stack_note.is_none() {
                    sections.push(OutSection::empty(&s.name, SHT_PROGBITS, 0));
                    stack_note = Some(sections.len() - 1);
                }
                continue;
            }
            if s.sh_flags & 0x800 != 0 {
                return Err(Error::Link {
                    messages: vec![format!("{}: compressed section {} is not supported", o.name, String::from_utf8_lossy(&s.name))],
                });
            }
            let is_eh = s.name.as_ref() == b".eh_frame" && matches!(s.sh_type, SHT_PROGBITS | SHT_X86_64_UNWIND);
            let link_order = if s.sh_flags & SHF_LINK_ORDER != 0 {
                match s.link {
                    Link::Section(t) => placement[oi].get(t).copied().flatten().map(|(out, _)| out),
                    _ => None,
                }
            } else {
                None
            };
            let group = group_of.get(&k).map(|&g| groups[g]);
            let key = Key { name: s.name.to_vec(), group, link_order };
            let out = match by_key.get(&key) {
                Some(&i) => i,
                None => {
                    let mut os = OutSection::empty(&s.name, s.sh_type, s.sh_flags & !SHF_GROUP);
                    os.entsize = s.sh_entsize;
                    os.link = link_order;
                    os.nobits = matches!(s.data, SectionData::NoBits(_)).then_some(0);
                    os.group = group_of.get(&k).copied();
                    sections.push(os);
                    by_key.insert(key, sections.len() - 1);
                    if is_eh && eh_frame.is_none() {
                        eh_frame = Some(sections.len() - 1);
                    }
                    sections.len() - 1
                }
            };
            let os = &mut sections[out];
            os.flags |= s.sh_flags & !SHF_GROUP;
            if is_eh {
                // Placed when .eh_frame is rebuilt below.
                if !s.sh_addralign.max(1).is_power_of_two() || s.sh_addralign > 1 << 16 {
                    let what = format!("{}: section .eh_frame has alignment {}", o.name, s.sh_addralign);
                    return Err(Error::Link { messages: vec![what] });
                }
                os.align = os.align.max(s.sh_addralign.max(1));
                placement[oi][k] = Some((out, u64::MAX));
                continue;
            }
            let at = os.append(s).map_err(|e| Error::Link { messages: vec![format!("{}: {e}", o.name)] })?;
            placement[oi][k] = Some((out, at));
        }
        if !has_note && (!elf.sections.is_empty()) {
            missing_note = true;
            if opts.exec_stack.is_none() {
                warnings.push(format!("warning: {}: missing .note.GNU-stack section implies executable stack", o.name));
            }
        }
    }
    if missing_note && opts.exec_stack.is_none() {
        warnings.push("NOTE: This behaviour is deprecated and will be removed in a future version of the linker".into());
    }
    let exec = opts.exec_stack.unwrap_or(exec_stack || missing_note);
    if !objects.is_empty() {
        let note = match stack_note {
            Some(n) => n,
            None => {
                sections.push(OutSection::empty(b".note.GNU-stack", SHT_PROGBITS, 0));
                sections.len() - 1
            }
        };
        sections[note].flags = if exec { SHF_EXECINSTR } else { 0 };
    }

    // `-d` gives commons space in `.bss` (created now, so it gets its section symbol).
    let bss_for_commons = if opts.define_common && table.globals.iter().any(|g| matches!(g.state, State::Common { .. })) {
        Some(match sections.iter().position(|s| s.name == b".bss" && s.group.is_none()) {
            Some(b) => b,
            None => {
                sections.push(OutSection::empty(b".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE));
                sections.len() - 1
            }
        })
    } else {
        None
    };

    // Symbols: section symbols (groups first), then each object's locals, then one per global
    // name. `place` says where an input section's symbols go: an output section at an offset,
    // or an output group.
    let group_index: HashMap<(usize, usize), usize> = groups.iter().enumerate().map(|(g, &key)| (key, g)).collect();
    let place = |oi: usize, k: usize| -> Option<(Place, u64)> {
        match placement[oi].get(k).copied().flatten() {
            Some((out, at)) if at != u64::MAX => Some((Place::Out(out), at)),
            Some((out, _)) => Some((Place::Out(out), 0)),
            None => group_index.get(&(oi, k)).map(|&g| (Place::Group(g), 0)),
        }
    };
    let mut symbols: Vec<Symbol<'a>> = Vec::new();
    let mut symbol_section: Vec<Option<Place>> = Vec::new();
    let section_symbol_of = |symbols: &mut Vec<Symbol<'a>>, symbol_section: &mut Vec<Option<Place>>, at: Place| -> usize {
        symbols.push(Symbol {
            name: Cow::Borrowed(b""),
            st_info: STT_SECTION,
            st_other: 0,
            section: SymbolSection::Undefined,
            value: 0,
            size: 0,
        });
        symbol_section.push(Some(at));
        symbols.len() - 1
    };
    let group_symbol: Vec<usize> =
        (0..groups.len()).map(|g| section_symbol_of(&mut symbols, &mut symbol_section, Place::Group(g))).collect();
    let section_symbol: Vec<usize> =
        (0..sections.len()).map(|i| section_symbol_of(&mut symbols, &mut symbol_section, Place::Out(i))).collect();
    let mut local_map: Vec<Vec<Option<usize>>> = Vec::with_capacity(objects.len());
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else {
            local_map.push(Vec::new());
            continue;
        };
        let mut map = vec![None; elf.symbols.len()];
        let mut have_file = false;
        for (j, s) in elf.symbols.iter().enumerate() {
            if s.binding() != STB_LOCAL || s.kind() == STT_SECTION || s.section == SymbolSection::Undefined {
                continue;
            }
            let (section, value) = match s.section {
                SymbolSection::Section(k) => match place(oi, k) {
                    Some((at, off)) => (Some(at), s.value + off),
                    None => continue,
                },
                _ => (None, s.value),
            };
            // GNU ld names the input in a FILE symbol when its locals come before any FILE
            // symbol, so they are not taken for the previous input's.
            if s.kind() == STT_FILE {
                have_file = true;
            } else if !have_file {
                have_file = true;
                symbols.push(Symbol {
                    name: Cow::Owned(o.file_name.clone().into_bytes()),
                    st_info: STT_FILE,
                    st_other: 0,
                    section: SymbolSection::Absolute,
                    value: 0,
                    size: 0,
                });
                symbol_section.push(None);
            }
            map[j] = Some(symbols.len());
            symbols.push(Symbol { value, section: s.section, ..s.clone() });
            symbol_section.push(section);
        }
        local_map.push(map);
    }
    let mut global_symbols = Vec::with_capacity(table.globals.len());
    let mut commons: Vec<usize> = Vec::new();
    for g in &table.globals {
        let vis = g.visibility;
        let (sym, section) = match (g.state, g.origin) {
            (State::Defined { weak }, Origin::Native { object, symbol }) => {
                let elf = objects[object].elf.as_ref().expect("native origin");
                let s = &elf.symbols[symbol];
                let (section, value) = match s.section {
                    SymbolSection::Section(k) => match place(object, k) {
                        Some((at, off)) => (Some(at), s.value + off),
                        None => (None, s.value),
                    },
                    _ => (None, s.value),
                };
                let lost_section = matches!(s.section, SymbolSection::Section(_)) && section.is_none();
                let binding = if s.binding() == STB_GNU_UNIQUE {
                    STB_GNU_UNIQUE
                } else if weak {
                    STB_WEAK
                } else {
                    STB_GLOBAL
                };
                let mut out = Symbol { st_info: (binding << 4) | s.kind(), st_other: (s.st_other & !3) | vis, value, ..s.clone() };
                if lost_section {
                    out.section = SymbolSection::Undefined;
                }
                (out, section)
            }
            (State::Defined { weak }, _) => {
                // A bitcode winner: carry defines it.
                let binding = if weak { STB_WEAK } else { STB_GLOBAL };
                (
                    Symbol {
                        name: Cow::Owned(g.name.clone()),
                        st_info: binding << 4,
                        st_other: vis,
                        section: SymbolSection::Undefined,
                        value: 0,
                        size: 0,
                    },
                    None,
                )
            }
            (State::Common { size, align }, _) => {
                commons.push(symbols.len());
                (
                    Symbol {
                        name: Cow::Owned(g.name.clone()),
                        st_info: (STB_GLOBAL << 4) | STT_OBJECT,
                        st_other: vis,
                        section: SymbolSection::Common,
                        value: align,
                        size,
                    },
                    None,
                )
            }
            (State::Undefined, origin) => {
                let kind = match origin {
                    Origin::Native { object, symbol } => objects[object].elf.as_ref().map_or(STT_NOTYPE, |e| e.symbols[symbol].kind()),
                    _ => STT_NOTYPE,
                };
                let binding = if g.strong_ref { STB_GLOBAL } else { STB_WEAK };
                (
                    Symbol {
                        name: Cow::Owned(g.name.clone()),
                        st_info: (binding << 4) | kind,
                        st_other: vis,
                        section: SymbolSection::Undefined,
                        value: 0,
                        size: 0,
                    },
                    None,
                )
            }
        };
        global_symbols.push(symbols.len());
        symbols.push(sym);
        symbol_section.push(section);
    }
    if let Some(bss) = bss_for_commons {
        define_commons(&mut sections[bss], bss, &mut symbols, &mut symbol_section, &commons, table.globals.len())
            .map_err(|e| Error::Link { messages: vec![e] })?;
    }

    let mapper = Mapper {
        objects,
        table,
        section_symbol: &section_symbol,
        group_symbol: &group_symbol,
        group_index: &group_index,
        local_map: &local_map,
        global_symbols: &global_symbols,
    };

    // .eh_frame, rebuilt.
    let mut eh_inputs = std::collections::HashSet::new();
    if let Some(eh) = eh_frame {
        for (oi, k, at) in rebuild_eh_frame(objects, &placement, &mut sections[eh], &mapper, obj.big_endian)? {
            placement[oi][k] = Some((eh, at));
            eh_inputs.insert((oi, k));
        }
    }

    // Relocations.
    for (oi, o) in objects.iter().enumerate() {
        let Some(elf) = &o.elf else { continue };
        for (k, s) in elf.sections.iter().enumerate() {
            let (SectionData::Relocations { rela, relocs }, Info::Section(target)) = (&s.data, &s.info) else { continue };
            if o.discarded[k] || o.discarded.get(*target).copied().unwrap_or(true) {
                continue;
            }
            let Some((out, at)) = placement[oi].get(*target).copied().flatten() else { continue };
            if at == u64::MAX || eh_inputs.contains(&(oi, *target)) {
                continue; // .eh_frame: done above
            }
            let os = &mut sections[out];
            match os.rela {
                Some(r) if r != *rela => {
                    return Err(Error::Link { messages: vec![format!("{}: REL and RELA relocations for one section", o.name)] });
                }
                _ => os.rela = Some(*rela),
            }
            for r in relocs {
                let offset = r.offset + at;
                let mapped = r.symbol.map(|j| mapper.map(&placement, oi, j));
                match mapped {
                    None => os.relocs.push(Reloc { offset, ..r.clone() }),
                    Some(None) => {
                        // Against a discarded section: GNU leaves R_*_NONE against symbol 0.
                        if !*rela {
                            clear_field(obj.e_machine, r.r_type, &mut os.bytes, offset);
                        }
                        os.relocs.push(Reloc { offset, symbol: None, r_type: 0, addend: 0 });
                    }
                    Some(Some((sym, add))) => {
                        let mut addend = r.addend;
                        if add != 0 {
                            if *rela {
                                addend += add;
                            } else {
                                patch_rel(obj.e_machine, r.r_type, &mut os.bytes, offset, add)
                                    .map_err(|m| Error::Link { messages: vec![format!("{}: {m}", o.name)] })?;
                            }
                        }
                        os.relocs.push(Reloc { offset, symbol: Some(sym), r_type: r.r_type, addend });
                    }
                }
            }
        }
    }

    // Materialise: groups first, then each section followed by its relocations.
    let mut model_of = vec![0usize; sections.len()];
    let first_section = groups.len();
    let mut next = first_section;
    let mut rela_of = vec![None; sections.len()];
    for (i, s) in sections.iter().enumerate() {
        model_of[i] = next;
        next += 1;
        if !s.relocs.is_empty() {
            rela_of[i] = Some(next);
            next += 1;
        }
    }
    // Group sections.
    for &(oi, k) in &groups {
        let elf = objects[oi].elf.as_ref().expect("group of a native object");
        let gs = &elf.sections[k];
        let SectionData::Group { flags, members } = &gs.data else { unreachable!() };
        let mut out_members = Vec::new();
        for &m in members {
            if let Some((out, _)) = placement[oi].get(m).copied().flatten() {
                if !out_members.contains(&model_of[out]) {
                    out_members.push(model_of[out]);
                }
            } else if let Some(Info::Section(t)) = elf.sections.get(m).map(|s| s.info.clone())
                && matches!(elf.sections[m].data, SectionData::Relocations { .. })
                && let Some((out, _)) = placement[oi].get(t).copied().flatten()
                && let Some(r) = rela_of[out]
                && !out_members.contains(&r)
            {
                out_members.push(r);
            }
        }
        let signature = match gs.info {
            Info::Symbol(j) => mapper.map(&placement, oi, j).map(|(s, _)| s).unwrap_or(0),
            _ => 0,
        };
        obj.add_section(Section {
            name: gs.name.clone(),
            sh_type: SHT_GROUP,
            sh_flags: 0,
            sh_addr: 0,
            sh_addralign: 4,
            sh_entsize: 4,
            link: Link::Symtab,
            info: Info::Symbol(signature),
            data: SectionData::Group { flags: *flags, members: out_members },
        });
    }
    let is_64 = obj.is_64;
    let reloc_entsize = |rela: bool| -> u64 {
        match (is_64, rela) {
            (true, true) => 24,
            (true, false) => 16,
            (false, true) => 12,
            (false, false) => 8,
        }
    };
    for (i, s) in sections.into_iter().enumerate() {
        let data = match s.nobits {
            Some(n) => SectionData::NoBits(n),
            None => SectionData::Bytes(Cow::Owned(s.bytes)),
        };
        let in_group = s.group.is_some();
        obj.add_section(Section {
            name: Cow::Owned(s.name.clone()),
            sh_type: s.sh_type,
            sh_flags: s.flags | if in_group { SHF_GROUP } else { 0 },
            sh_addr: 0,
            sh_addralign: s.align,
            sh_entsize: s.entsize,
            link: s.link.map_or(Link::Raw(0), |l| Link::Section(model_of[l])),
            info: Info::Raw(0),
            data,
        });
        if !s.relocs.is_empty() {
            let rela = s.rela.unwrap_or(true);
            let prefix: &[u8] = if rela { b".rela" } else { b".rel" };
            obj.add_section(Section {
                name: Cow::Owned([prefix, &s.name].concat()),
                sh_type: if rela { SHT_RELA } else { SHT_REL },
                sh_flags: SHF_INFO_LINK | if in_group { SHF_GROUP } else { 0 },
                sh_addr: 0,
                sh_addralign: if is_64 { 8 } else { 4 },
                sh_entsize: reloc_entsize(rela),
                link: Link::Symtab,
                info: Info::Section(model_of[i]),
                data: SectionData::Relocations { rela, relocs: s.relocs },
            });
        }
    }
    for (sym, section) in symbols.iter_mut().zip(&symbol_section) {
        match section {
            Some(Place::Out(out)) => sym.section = SymbolSection::Section(model_of[*out]),
            Some(Place::Group(g)) => sym.section = SymbolSection::Section(*g),
            None => {}
        }
    }
    obj.symbols = symbols;
    Ok(Output { obj, global_symbols, native_machine })
}

/// Maps input symbols to output symbols.
struct Mapper<'m, 'a> {
    objects: &'m [Object<'a>],
    table: &'m Table,
    section_symbol: &'m [usize],
    group_symbol: &'m [usize],
    group_index: &'m HashMap<(usize, usize), usize>,
    local_map: &'m [Vec<Option<usize>>],
    global_symbols: &'m [usize],
}

impl Mapper<'_, '_> {
    /// The output symbol input symbol `j` of object `oi` maps to, with the addend to add when it
    /// was a section symbol; `None` when it is gone (its section was discarded): a relocation
    /// against it becomes `R_*_NONE`.
    fn map(&self, placement: &Placement, oi: usize, j: usize) -> Option<(usize, i64)> {
        let elf = self.objects[oi].elf.as_ref()?;
        let s = &elf.symbols[j];
        if s.kind() == STT_SECTION {
            let SymbolSection::Section(k) = s.section else { return None };
            return match placement[oi].get(k).copied().flatten() {
                Some((out, at)) => Some((self.section_symbol[out], if at == u64::MAX { 0 } else { at as i64 })),
                None => self.group_index.get(&(oi, k)).map(|&g| (self.group_symbol[g], 0)),
            };
        }
        if s.binding() == STB_LOCAL {
            return self.local_map[oi][j].map(|i| (i, 0));
        }
        self.table.position(&s.name).map(|g| (self.global_symbols[g], 0))
    }
}

/// BFD's string hash (`bfd_hash_hash`), which orders GNU ld's hash-table traversals.
fn bfd_hash(name: &[u8]) -> u64 {
    let mut hash: u64 = 0;
    for &c in name {
        let c = u64::from(c);
        hash = hash.wrapping_add(c).wrapping_add(c << 17);
        hash ^= hash >> 2;
    }
    let len = name.len() as u64;
    hash = hash.wrapping_add(len).wrapping_add(len << 17);
    hash ^ (hash >> 2)
}

/// `-d`: commons get space in `.bss` (output section `bss_index`) in the order GNU ld's
/// `lang_common` visits them: its link hash table's buckets in order (4051 of them, doubled
/// while more than three quarters full), the most recent name first within a bucket.
fn define_commons(
    bss: &mut OutSection,
    bss_index: usize,
    symbols: &mut [Symbol<'_>],
    symbol_section: &mut [Option<Place>],
    commons: &[usize],
    names: usize,
) -> std::result::Result<(), String> {
    let mut size: u64 = 4051;
    while names as u64 > size * 3 / 4 {
        size *= 2;
    }
    let mut order: Vec<(usize, usize)> = commons.iter().copied().enumerate().collect();
    order.sort_by_key(|&(seen, j)| (bfd_hash(&symbols[j].name) % size, std::cmp::Reverse(seen)));
    for (_, j) in order {
        let align = symbols[j].value.max(1);
        let sym_size = symbols[j].size;
        bss.align = bss.align.max(align);
        let too_large = || format!("common symbol {} is too large to allocate", String::from_utf8_lossy(&symbols[j].name));
        let end = bss.size().checked_next_multiple_of(align).and_then(|at| Some((at, at.checked_add(sym_size)?))).ok_or_else(too_large)?;
        let at = end.0;
        match bss.nobits {
            Some(_) => bss.nobits = Some(end.1),
            None if end.1 <= MAX_MATERIALIZED => bss.bytes.resize(end.1 as usize, 0),
            None => return Err(too_large()),
        }
        symbols[j].value = at;
        symbols[j].section = SymbolSection::Undefined; // set on materialisation
        symbol_section[j] = Some(Place::Out(bss_index));
    }
    Ok(())
}

/// Rebuilds `.eh_frame` from every kept input's records (see [`eh_frame`]).
/// Returns where each input `.eh_frame` went, for its section symbol.
fn rebuild_eh_frame(
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
            let records = match eh_frame::records(data, big_endian) {
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
            let relocs_of = |rec: &eh_frame::Record| -> Vec<&Reloc> {
                relocs.iter().filter(|r| (r.offset as usize) >= rec.start && (r.offset as usize) < rec.end).collect()
            };
            let live = |rec: &eh_frame::Record| -> bool {
                let pc = rec.start as u64 + 8;
                !relocs_of(rec).iter().any(|r| r.offset == pc && dead(r))
            };
            let used_cies: std::collections::HashSet<usize> =
                records.iter().filter(|r| r.cie.is_some() && live(r)).filter_map(|r| r.cie).collect();
            for rec in &records {
                if !(if rec.cie.is_some() { live(rec) } else { used_cies.contains(&rec.start) }) {
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
                    out.relocs.push(map_reloc(r, at + r.offset - rec.start as u64));
                }
            }
            placed.push((oi, k, base as u64));
        }
    }
    Ok(placed)
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
