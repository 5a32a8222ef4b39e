//! GNU objcopy's section and symbol operations on an ELF file, as `copy_object`,
//! `is_strip_section` and `filter_symbols` in binutils' `objcopy.c` do them (in an executable or
//! shared object, globals are kept only when asked for, as BFD keeps them only in relocatable
//! files):
//! - a section goes when `-R` names it, when `-j` is given and does not, when it is a debugging
//!   section (BFD's `SEC_DEBUGGING`) and symbols are stripped (`-g`, `--strip-unneeded`, `-S`,
//!   `-x`), or when it is a group all of whose members go; relocation sections follow their
//!   target (and go with `--remove-relocations` or `-R .rel[a]NAME`, or when every symbol goes);
//! - a symbol stays by GNU's rules: none with `-S`; one a kept relocation uses; defined globals
//!   and commons of a relocatable file; debugging symbols (section, file) unless symbols are
//!   stripped; other locals unless `--strip-unneeded`, `-x`, or `-X` for compiler labels
//!   (`.L…`); then `-N` (an error for a symbol a relocation uses), `--strip-unneeded-symbol`,
//!   `-K`/`--keep-file-symbols`, and none in a removed section;
//! - a kept symbol is renamed (`--redefine-sym`, then `--prefix-symbols`), weakened (`-W`,
//!   `--weaken`: globals, unique and undefined ones), localized (`-L`, `-G`, `--localize-hidden`:
//!   defined globals and weak ones) or globalized (`--globalize-symbol`: defined locals).

use std::borrow::Cow;

use super::addresses::Addresses;
use super::glob::NameList;
use super::section_flags::{AddSymbol, SecFlags};
use crate::bfd;
use crate::elf::compress::{self, Method};
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, Section, SectionData, SymbolSection};

/// Which symbols `-S`/`-g`/`--strip-unneeded` remove.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strip {
    /// None.
    #[default]
    None,
    /// `-g`, `--strip-debug`: debugging sections and symbols.
    Debug,
    /// `--strip-unneeded`: what relocation processing does not need.
    Unneeded,
    /// `-S`, `--strip-all`: every symbol (and the relocations).
    All,
    /// `--only-keep-debug`: every allocated section's contents (they become `SHT_NOBITS`,
    /// keeping their headers), the rest kept: what a separate debug file holds.
    NonDebug,
    /// `--strip-dwo`: the split-DWARF sections (names ending in `.dwo`).
    Dwo,
    /// `--extract-dwo`: everything but the split-DWARF sections, symbols included.
    NonDwo,
}

/// Which local symbols `-x`/`-X` remove.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discard {
    /// None.
    #[default]
    None,
    /// `-X`: compiler-generated local labels (`.L…`).
    Labels,
    /// `-x`: every local that is not a debugging symbol.
    All,
}

/// The operations of one objcopy or strip run on ELF objects.
#[derive(Clone, Debug, Default)]
pub struct Edits {
    /// `-R`.
    pub remove_sections: NameList,
    /// `-j`.
    pub only_sections: NameList,
    /// `--keep-section`: kept whatever else says.
    pub keep_sections: NameList,
    /// `--remove-relocations`.
    pub remove_relocations: NameList,
    /// `-S`, `-g`, `--strip-unneeded`.
    pub strip: Strip,
    /// `-x`, `-X`.
    pub discard: Discard,
    /// `--keep-file-symbols`.
    pub keep_file_symbols: bool,
    /// `--keep-section-symbols`.
    pub keep_section_symbols: bool,
    /// `-N`, `--strip-symbols`.
    pub strip_symbols: NameList,
    /// `--strip-unneeded-symbol(s)`.
    pub strip_unneeded_symbols: NameList,
    /// `-K`, `--keep-symbols`.
    pub keep_symbols: NameList,
    /// `-L`, `--localize-symbols`.
    pub localize_symbols: NameList,
    /// `--globalize-symbol(s)`.
    pub globalize_symbols: NameList,
    /// `-G`, `--keep-global-symbols`.
    pub keep_global_symbols: NameList,
    /// `-W`, `--weaken-symbols`.
    pub weaken_symbols: NameList,
    /// `--weaken`.
    pub weaken: bool,
    /// `--localize-hidden`.
    pub localize_hidden: bool,
    /// `--redefine-sym(s)`: (old, new).
    pub redefine: Vec<(Vec<u8>, Vec<u8>)>,
    /// `--prefix-symbols`.
    pub prefix_symbols: Option<Vec<u8>>,
    /// `--set-symbol-visibility(s)`: names and the ELF visibility (`STV_*`) they get.
    pub set_visibility: Vec<(NameList, u8)>,
    /// `--rename-section old=new`.
    pub rename_sections: Vec<(Vec<u8>, Vec<u8>)>,
    /// The flags of `--rename-section old=new,flags`, by old name.
    pub rename_flags: Vec<(Vec<u8>, SecFlags)>,
    /// `--set-section-flags name=flags` (patterns).
    pub set_section_flags: Vec<(NameList, SecFlags)>,
    /// `--add-symbol`.
    pub add_symbols: Vec<AddSymbol>,
    /// `--extract-symbol`: every section emptied (headers, flags and symbols kept).
    pub extract_symbol: bool,
    /// `--elf-stt-common=yes|no`: common symbols get `STT_COMMON` or `STT_OBJECT`.
    pub elf_stt_common: Option<bool>,
    /// The address options ([`super::addresses`]).
    pub addresses: Addresses,
    /// `-I`/`-O`/`-F` named an ELF target (name, target): the object must be in it.
    pub target: Option<(String, super::binary::BinaryTarget)>,
    /// `--prefix-sections`.
    pub prefix_sections: Option<Vec<u8>>,
    /// `--prefix-alloc-sections`.
    pub prefix_alloc_sections: Option<Vec<u8>>,
    /// `--set-section-alignment name=align` (patterns, the alignment in bytes).
    pub set_alignment: Vec<(NameList, u64)>,
    /// `--add-gnu-debuglink=FILE`.
    pub add_gnu_debuglink: Option<std::path::PathBuf>,
    /// `--compress-debug-sections[=method]` (`Some(Some(method))`) or
    /// `--decompress-debug-sections` / `=none` (`Some(None)`).
    pub compress_debug: Option<Option<Method>>,
    /// That FILE read ([`DebugLink`]), by [`super::run`] for each ELF input without a link.
    pub gnu_debuglink: Option<DebugLink>,
    /// `--add-section name=contents`.
    pub add_sections: Vec<(Vec<u8>, Vec<u8>)>,
    /// `--update-section name=contents`.
    pub update_sections: Vec<(Vec<u8>, Vec<u8>)>,
    /// `-O binary|ihex|srec|verilog`: the file written in that format instead of ELF.
    pub output: Option<super::raw_output::RawOutput>,
    /// `-M`/`--merge-notes`: `None` off, `Some(explicit)` on (strip's default, quiet, is
    /// `Some(false)`).
    pub merge_notes: Option<bool>,
}

/// BFD's `is_mergeable_note_section`: the GNU build-attribute notes (annobin's).
pub(crate) fn is_mergeable_note(s: &Section<'_>) -> bool {
    s.sh_type == SHT_NOTE && s.name.starts_with(b".gnu.build.attributes")
}

impl Edits {
    /// Whether GNU's `copy_object` runs `filter_symbols` at all for these options (sections
    /// actually removed also make it run). `--strip-unneeded-symbol` and `--keep-file-symbols`
    /// are not among them: alone, they change nothing.
    pub fn filters_symbols(&self) -> bool {
        self.strip != Strip::None
            || self.discard != Discard::None
            || self.localize_hidden
            || self.weaken
            || !self.strip_symbols.is_empty()
            || !self.keep_symbols.is_empty()
            || !self.localize_symbols.is_empty()
            || !self.globalize_symbols.is_empty()
            || !self.keep_global_symbols.is_empty()
            || !self.weaken_symbols.is_empty()
            || !self.redefine.is_empty()
            || self.prefix_symbols.is_some()
            || !self.rename_sections.is_empty()
            || self.prefix_sections.is_some()
            || self.prefix_alloc_sections.is_some()
            || !self.add_symbols.is_empty()
    }

    /// The section operations alone (what a re-wrapped object still needs done).
    pub fn sections_only(&self) -> Edits {
        Edits {
            remove_sections: self.remove_sections.clone(),
            only_sections: self.only_sections.clone(),
            keep_sections: self.keep_sections.clone(),
            remove_relocations: self.remove_relocations.clone(),
            rename_sections: self.rename_sections.clone(),
            rename_flags: self.rename_flags.clone(),
            set_section_flags: self.set_section_flags.clone(),
            prefix_sections: self.prefix_sections.clone(),
            prefix_alloc_sections: self.prefix_alloc_sections.clone(),
            set_alignment: self.set_alignment.clone(),
            gnu_debuglink: self.gnu_debuglink.clone(),
            add_gnu_debuglink: self.add_gnu_debuglink.clone(),
            compress_debug: self.compress_debug,
            add_sections: self.add_sections.clone(),
            update_sections: self.update_sections.clone(),
            ..Edits::default()
        }
    }

    /// True when the run changes nothing but may still copy (a plain `objcopy in out`).
    pub fn is_empty(&self) -> bool {
        self.remove_sections.is_empty()
            && self.only_sections.is_empty()
            && self.remove_relocations.is_empty()
            && self.strip == Strip::None
            && self.discard == Discard::None
            && self.strip_symbols.is_empty()
            && self.strip_unneeded_symbols.is_empty()
            && self.localize_symbols.is_empty()
            && self.globalize_symbols.is_empty()
            && self.keep_global_symbols.is_empty()
            && self.weaken_symbols.is_empty()
            && !self.weaken
            && !self.localize_hidden
            && self.redefine.is_empty()
            && self.prefix_symbols.is_none()
            && self.set_visibility.is_empty()
            && self.rename_sections.is_empty()
            && self.set_section_flags.is_empty()
            && self.add_symbols.is_empty()
            && !self.extract_symbol
            && self.elf_stt_common.is_none()
            && self.addresses.is_empty()
            && self.prefix_sections.is_none()
            && self.prefix_alloc_sections.is_none()
            && self.set_alignment.is_empty()
            && self.gnu_debuglink.is_none()
            && self.add_gnu_debuglink.is_none()
            && self.compress_debug.is_none()
            && self.add_sections.is_empty()
            && self.update_sections.is_empty()
            && self.output.is_none()
    }
}

/// The relocation section's target, when it is one against the symbol table.
fn reloc_target(s: &Section<'_>) -> Option<usize> {
    match (&s.data, &s.info) {
        (SectionData::Relocations { .. }, Info::Section(t)) => Some(*t),
        _ => None,
    }
}

/// `is_strip_section_1`: whether a (non-relocation) section goes, before groups are looked at.
fn strips_section(s: &Section<'_>, e: &Edits) -> Result<bool, String> {
    let name = s.name.as_ref();
    let removed = e.remove_sections.matches(name);
    let kept = e.keep_sections.matches(name);
    if removed && kept {
        return Err(format!("error: section {} matches both remove and keep lists", String::from_utf8_lossy(name)));
    }
    if removed {
        return Ok(true);
    }
    if kept {
        return Ok(false);
    }
    if !e.only_sections.is_empty() && !e.only_sections.matches(name) {
        return Ok(true);
    }
    let dwo = name.ends_with(b".dwo");
    match e.strip {
        Strip::Dwo => return Ok(dwo),
        Strip::NonDwo => return Ok(!dwo),
        _ => {}
    }
    let strips_debug = matches!(e.strip, Strip::Debug | Strip::Unneeded | Strip::All) || e.discard == Discard::All;
    Ok(strips_debug && bfd::is_debugging_section(name, s.sh_type, s.sh_flags))
}

/// `is_strip_section_1` on the section BFD gives a symbol outside every section (`*ABS*`,
/// `*UND*`, `*COM*`): such symbols go when `-R` names that section, or when `-j` is given and
/// does not (so `-j .text` drops file symbols and undefined references).
fn strips_pseudo_section(section: SymbolSection, e: &Edits) -> bool {
    let name: &[u8] = match section {
        SymbolSection::Undefined => b"*UND*",
        SymbolSection::Common => b"*COM*",
        _ => b"*ABS*",
    };
    if e.keep_sections.matches(name) {
        return false;
    }
    e.remove_sections.matches(name) || (!e.only_sections.is_empty() && !e.only_sections.matches(name))
}

/// Whether `-R`, `-j` or the strip options remove section `s`.
pub(crate) fn removes_section(s: &Section<'_>, e: &Edits) -> bool {
    strips_section(s, e).unwrap_or(false)
}

/// The tables the writer regenerates.
fn is_table(s: &Section<'_>) -> bool {
    matches!(s.data, SectionData::SymbolTable | SectionData::StringTable | SectionData::SectionNames | SectionData::SymtabShndx)
}

/// Which sections stay (see the module documentation).
fn kept_sections(obj: &ElfObject<'_>, e: &Edits) -> Result<Vec<bool>, String> {
    let mut keep = vec![true; obj.sections.len()];
    for (k, s) in obj.sections.iter().enumerate() {
        if is_table(s) || reloc_target(s).is_some() || matches!(s.data, SectionData::Group { .. }) {
            continue;
        }
        keep[k] = !strips_section(s, e)?;
    }
    for (k, s) in obj.sections.iter().enumerate() {
        if let SectionData::Group { members, .. } = &s.data {
            let explicitly = e.remove_sections.matches(&s.name);
            let signature_stripped = match s.info {
                Info::Symbol(j) => obj.symbols.get(j).is_some_and(|sym| e.strip_symbols.matches(&sym.name)),
                _ => false,
            };
            let all_gone = !members.is_empty() && members.iter().all(|&m| !keep.get(m).copied().unwrap_or(true));
            keep[k] = !(explicitly || signature_stripped || all_gone);
        }
    }
    for (k, s) in obj.sections.iter().enumerate() {
        let Some(t) = reloc_target(s) else { continue };
        let target_name = obj.sections.get(t).map(|t| t.name.as_ref()).unwrap_or(b"");
        let gone = !keep.get(t).copied().unwrap_or(false)
            || e.remove_relocations.matches(target_name)
            || e.remove_sections.matches(&s.name) && !e.keep_sections.matches(&s.name)
            || matches!(e.strip, Strip::All | Strip::NonDwo);
        keep[k] = !gone;
    }
    Ok(keep)
}

/// BFD's flags of a symbol, the part `filter_symbols` looks at.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SymClass {
    pub(crate) global: bool,
    pub(crate) weak: bool,
    pub(crate) unique: bool,
    pub(crate) local: bool,
    pub(crate) undefined: bool,
    pub(crate) common: bool,
    pub(crate) debugging: bool,
    pub(crate) file: bool,
    pub(crate) section: bool,
    /// A section symbol of an `SHF_MERGE` section (BFD writes none of those).
    pub(crate) merge: bool,
    /// In an executable or shared object (BFD's `EXEC_P | DYNAMIC`): defined globals are not
    /// kept for being global.
    pub(crate) in_image: bool,
}

fn classify(s: &crate::elf::Symbol<'_>) -> SymClass {
    let undefined = s.section == SymbolSection::Undefined;
    let common = s.section == SymbolSection::Common;
    let bind = s.binding();
    let section = s.kind() == STT_SECTION;
    let file = s.kind() == STT_FILE;
    SymClass {
        global: bind == STB_GLOBAL && !undefined && !common,
        weak: bind == STB_WEAK,
        unique: bind == STB_GNU_UNIQUE,
        local: bind == STB_LOCAL,
        undefined,
        common,
        debugging: section || file,
        file,
        section,
        merge: false,
        in_image: false,
    }
}

/// `bfd_is_local_label` for ELF: a name that starts with `.L` (or `..`, or is `L0^A`).
fn is_local_label(name: &[u8]) -> bool {
    name.starts_with(b".L") || name.starts_with(b"..") || name == b"L0\x01"
}

/// GNU's `filter_symbols` for one symbol, before removed sections are looked at: whether it
/// stays (`used`: a kept relocation names it). Warns when `-N` names a used symbol.
pub(crate) fn keeps_symbol(c: &SymClass, name: &[u8], used: bool, e: &Edits, warnings: &mut Vec<String>) -> bool {
    let mut keep = if matches!(e.strip, Strip::All | Strip::NonDwo) {
        false
    } else if used || (!c.in_image && (c.global || c.weak || c.common)) {
        true
    } else if c.undefined || c.global || c.weak || c.common {
        e.strip != Strip::Unneeded
    } else if c.debugging {
        !matches!(e.strip, Strip::Debug | Strip::Unneeded)
    } else {
        e.strip != Strip::Unneeded && e.discard != Discard::All && !(e.discard == Discard::Labels && is_local_label(name))
    };
    if keep && e.strip_symbols.matches(name) {
        if used {
            warnings.push(format!("not stripping symbol `{}' because it is named in a relocation", String::from_utf8_lossy(name)));
        } else {
            keep = false;
        }
    }
    if keep && !used && e.strip_unneeded_symbols.matches(name) {
        keep = false;
    }
    if !keep && ((e.keep_file_symbols && c.file) || (e.keep_section_symbols && c.section && !c.merge) || e.keep_symbols.matches(name)) {
        keep = true;
    }
    keep
}

/// What stopped an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// About the file (printed after its name).
    File(String),
    /// About the command (printed alone, as GNU's `fatal`).
    Command(String),
}

/// Applies the operations to a relocatable object; returns GNU's non-fatal errors (e.g. a
/// symbol named by `-N` that a relocation uses: the output is written, the status is 1), or
/// what stopped it.
pub fn apply(obj: &mut ElfObject<'_>, e: &Edits) -> Result<Vec<String>, Refusal> {
    let mut warnings = Vec::new();
    let mut ungrouped: Vec<usize> = Vec::new();
    let keep_sections = kept_sections(obj, e).map_err(Refusal::Command)?;
    let (used, mapping) = kept_by_bfd(obj, &keep_sections);
    if (!e.redefine.is_empty() || !e.rename_sections.is_empty())
        && obj.symbols.iter().any(|s| s.name.as_ref() == crate::embedded::GCC_LTO_SLIM)
    {
        return Err(Refusal::Command("redefining symbols does not work on LTO-compiled object files".into()));
    }
    // GNU renames first: every list below sees the new names.
    // (Only the renamed ones, by index: most symbols keep their names.)
    let mut names: rustc_hash::FxHashMap<usize, Vec<u8>> =
        obj.symbols.iter().enumerate().filter_map(|(j, s)| new_name(s, e).map(|n| (j, n))).collect();
    let mut keep_symbols = vec![true; obj.symbols.len()];
    // (GNU filters symbols whenever -R or -j is given, whatever they match.)
    let sections_removed = keep_sections.iter().any(|k| !k) || !e.remove_sections.is_empty() || !e.only_sections.is_empty();
    for (j, s) in obj.symbols.iter().enumerate().filter(|_| e.filters_symbols() || sections_removed) {
        let mut c = classify(s);
        c.in_image = obj.e_type != ET_REL;
        if let SymbolSection::Section(k) = s.section {
            c.merge = c.section && obj.sections.get(k).is_some_and(|sec| sec.sh_flags & SHF_MERGE != 0);
        }
        let name = names.get(&j).map_or(s.name.as_ref(), Vec::as_slice);
        let in_removed = match s.section {
            SymbolSection::Section(k) => !keep_sections[k],
            other => strips_pseudo_section(other, e),
        };
        let mut keep = keeps_symbol(&c, name, used[j] || mapping[j], e, &mut warnings);
        if keep && in_removed {
            keep = false;
        }
        keep_symbols[j] = keep;
    }
    // (A non-ELF output has no relocations to keep symbols for.)
    let relocations_kept = e.output.is_none() && !matches!(e.strip, Strip::All | Strip::NonDwo);
    if let Some(j) = (0..obj.symbols.len()).find(|&j| used[j] && !keep_symbols[j] && relocations_kept) {
        // BFD names a section symbol after its section.
        let s = &obj.symbols[j];
        let name = match s.section {
            SymbolSection::Section(k) if s.kind() == STT_SECTION => obj.sections[k].name.as_ref(),
            _ => s.name.as_ref(),
        };
        return Err(Refusal::File(format!("symbol `{}' required but not present", String::from_utf8_lossy(name))));
    }
    // A group goes with its signature symbol; its members are then no group's.
    let mut keep_sections = keep_sections;
    for (k, s) in obj.sections.iter().enumerate() {
        if let (SectionData::Group { members, .. }, Info::Symbol(j)) = (&s.data, &s.info)
            && keep_sections[k]
            && !keep_symbols.get(*j).copied().unwrap_or(false)
        {
            keep_sections[k] = false;
            ungrouped.extend(members.iter().copied());
        }
    }
    for &m in &ungrouped {
        if let Some(s) = obj.sections.get_mut(m) {
            s.sh_flags &= !SHF_GROUP;
        }
    }
    for (j, s) in obj.symbols.iter_mut().enumerate() {
        if keep_symbols[j] {
            change_symbol(s, names.remove(&j), e);
        }
    }
    obj.retain(&keep_sections, &keep_symbols);
    if e.strip == Strip::NonDebug {
        // BFD's setup_section for STRIP_NONDEBUG: allocated sections other than notes lose
        // their contents; relocation sections, symbols and the rest stay.
        for s in obj.sections.iter_mut().filter(|s| s.sh_flags & SHF_ALLOC != 0 && s.sh_type != SHT_NOTE) {
            if let SectionData::Bytes(b) = &s.data {
                s.data = SectionData::NoBits(b.len() as u64);
                s.sh_type = SHT_NOBITS;
                // BFD sets SHF_INFO_LINK only on relocation sections (`.rela.plt` loses it).
                s.sh_flags &= !SHF_INFO_LINK;
            }
        }
    }
    // No symbol left and nothing that needs the table: no `.symtab` (BFD writes one only for
    // symbols).
    let needs_table = obj.sections.iter().any(|s| matches!(s.data, SectionData::Relocations { .. } | SectionData::Group { .. }));
    if obj.symbols.is_empty() && !needs_table {
        let keep: Vec<bool> = obj
            .sections
            .iter()
            .map(|s| !matches!(s.data, SectionData::SymbolTable | SectionData::StringTable | SectionData::SymtabShndx))
            .collect();
        obj.retain_tables(&keep, &[]);
    }
    let movable: Vec<bool> = obj.sections.iter().map(|s| !is_table(s) && reloc_target(s).is_none()).collect();
    e.addresses.apply(obj, &movable);
    rename_and_add_sections(obj, e)?;
    add_symbols(obj, e).map_err(Refusal::Command)?;
    // BFD's targets but x86's keep unused section symbols (`keep_unused_section_symbols`): an
    // image's symbol table then gets one for every section, as --keep-section-symbols gives.
    let x86 = [EM_X86_64.0, EM_386.0, EM_IAMCU.0].contains(&obj.e_machine);
    if obj.e_type != ET_REL && (e.keep_section_symbols || (!x86 && !obj.symbols.is_empty())) {
        section_symbols(obj);
    }
    if e.extract_symbol {
        // GNU's `--extract-symbol`: sizes 0, no contents, no relocations, entry point 0, an
        // image's program headers built anew from the sections.
        obj.e_entry = 0;
        if let Some(image) = &mut obj.image {
            image.from_scratch = true;
        }
        for s in obj.sections.iter_mut().filter(|s| !is_table(s)) {
            match &mut s.data {
                SectionData::Bytes(b) => *b = Cow::Borrowed(b""),
                SectionData::NoBits(n) => *n = 0,
                SectionData::Relocations { relocs, .. } => {
                    relocs.clear();
                    s.sh_flags &= !SHF_GROUP;
                }
                // Not even the flag word (BFD writes the group's contents, now none).
                SectionData::Group { .. } => s.data = SectionData::Bytes(Cow::Borrowed(b"")),
                _ => {}
            }
        }
    }
    rel_named_sections(obj, e.strip == Strip::NonDebug);
    os_section_links(obj);
    // BFD's elf_fake_sections: a 32-bit `.gnu.hash` has 4-byte entries, a `.hash` the target's
    // (8 bytes on 64-bit s390 and alpha, else 4).
    let hash_entry = if obj.is_64 && [EM_S390.0, EM_ALPHA.0].contains(&obj.e_machine) { 8 } else { 4 };
    for s in obj.sections.iter_mut() {
        match s.sh_type {
            SHT_GNU_HASH if !obj.is_64 => s.sh_entsize = 4,
            SHT_HASH => s.sh_entsize = hash_entry,
            _ => {}
        }
    }
    if obj.e_type == ET_REL {
        groups_first(obj);
    }
    tls_symbols(obj);
    obj.move_tables_last();
    Ok(warnings)
}

/// ARM's BFD follows the link of a non-empty OS-specific section it does not know to the
/// output section matching the linked one (`copy_special_section_fields`' `find_link`, run
/// twice: by input section, then by matching header fields); a link to the symbol table that
/// is gone (`--strip-all` on clang's `.llvm_addrsig`) gets its error each time, with the
/// section's number in the output. (The link is written as 0, as BFD leaves it.)
pub(crate) fn lost_links(obj: &ElfObject<'_>) -> Vec<String> {
    if obj.e_machine != EM_ARM.0 || obj.has_symbol_table() {
        return Vec::new();
    }
    let known = |s: &crate::elf::Section<'_>| matches!(s.data, SectionData::StringTable | SectionData::Relocations { .. });
    let lost = obj
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.sh_type >= SHT_LOOS && !known(s) && s.size(obj.is_64) != 0 && s.link == crate::elf::Link::Symtab);
    let message = |k: usize| format!("failed to find link section for section {}", k + 1);
    lost.flat_map(|(k, _)| [message(k), message(k)]).collect()
}

/// BFD's section symbols (`elf_map_symbols`) with `--keep-section-symbols` in an image: every
/// section but the tables gets one at its address, after the other locals.
fn section_symbols(obj: &mut ElfObject<'_>) {
    for (k, s) in obj.sections.iter().enumerate() {
        let has = obj.symbols.iter().any(|sym| sym.kind() == STT_SECTION && sym.section == SymbolSection::Section(k));
        if is_table(s) || has {
            continue;
        }
        obj.symbols.push(crate::elf::Symbol {
            name: Cow::Borrowed(b""),
            st_info: STT_SECTION,
            st_other: 0,
            section: SymbolSection::Section(k),
            value: s.sh_addr,
            size: 0,
        });
    }
}

/// BFD's `BSF_KEEP` symbols: those the kept relocations use, and (apart, since they go with
/// their section) ARM's and AArch64's mapping symbols in relocatable files, kept as if
/// relocations named them.
fn kept_by_bfd(obj: &ElfObject<'_>, keep_sections: &[bool]) -> (Vec<bool>, Vec<bool>) {
    let mut used = vec![false; obj.symbols.len()];
    for (k, s) in obj.sections.iter().enumerate() {
        if let SectionData::Relocations { relocs, .. } = &s.data
            && keep_sections[k]
        {
            for r in relocs.iter().filter_map(|r| r.symbol) {
                if let Some(u) = used.get_mut(r) {
                    *u = true;
                }
            }
        }
    }
    let mapping = obj
        .symbols
        .iter()
        .map(|sym| obj.e_type == ET_REL && sym.binding() == STB_LOCAL && crate::elf::target::is_mapping_symbol(obj.e_machine, &sym.name))
        .collect();
    (used, mapping)
}

/// BFD numbers a relocatable file's groups before its other sections (`assign_section_numbers`)
/// and marks every relocation section against a section `SHF_INFO_LINK` (clang leaves the flag
/// off those in groups).
fn groups_first(obj: &mut ElfObject<'_>) {
    for s in obj.sections.iter_mut() {
        if matches!(s.data, SectionData::Relocations { .. }) && matches!(s.info, Info::Section(_)) {
            s.sh_flags |= SHF_INFO_LINK;
        }
    }
    let is_group = |i: &usize| matches!(obj.sections[*i].data, SectionData::Group { .. });
    let order: Vec<usize> = (0..obj.sections.len()).filter(is_group).chain((0..obj.sections.len()).filter(|i| !is_group(i))).collect();
    if order.iter().enumerate().any(|(new, &old)| new != old) {
        obj.permute_sections(&order);
    }
}

/// BFD gives a section named like a relocation section (not one) the relocation type its
/// name says (`_bfd_elf_new_section_hook` on the output name: `.rela*` RELA; `.rel` and
/// `.rel.*` REL, other `.rel*` too on REL targets, i386 and ARM; `.relr.dyn` RELR, nothing
/// more), and with it the relocation entry size (where the target writes that kind), a link
/// to `.dynsym` (allocated sections) or the symbol table, and an info of the section the
/// name's rest names. A section of an image
/// without contents in a load segment goes back to `SHT_NOBITS`, keeping what it got (lld's
/// `.relro_padding` on i386 and ARM), and then its input link and info where those came out 0.
/// Not under `--only-keep-debug` (`non_debug`), which sets allocated sections' type itself.
fn rel_named_sections(obj: &mut ElfObject<'_>, non_debug: bool) {
    let m = obj.e_machine;
    let rel_target = m == EM_386.0 || m == EM_ARM.0;
    if !rel_target && ![EM_X86_64.0, EM_AARCH64.0, EM_RISCV.0, EM_PPC64.0, EM_S390.0].contains(&m) {
        return;
    }
    let (rel_size, rela_size) = if obj.is_64 { (16, 24) } else { (8, 12) };
    let dynsym = obj.section_by_name(b".dynsym");
    let has_symtab = obj.has_symbol_table();
    let mut changes = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        // (`--only-keep-debug` sets the type of allocated sections but notes itself.)
        let made_nobits = non_debug && s.sh_flags & SHF_ALLOC != 0 && s.sh_type != SHT_NOTE;
        if matches!(s.sh_type, SHT_REL | SHT_RELA | SHT_RELR) || is_table(s) || made_nobits {
            continue;
        }
        let loaded_nobits = s.sh_type == SHT_NOBITS
            && obj.image.as_ref().is_some_and(|im| im.segments.iter().any(|p| p.p_type == PT_LOAD && p.sections.contains(&i)));
        if &*s.name == b".relr.dyn" {
            if !loaded_nobits {
                changes.push((i, SHT_RELR, s.sh_entsize, s.link.clone(), s.info.clone(), false));
            }
            continue;
        }
        if m == EM_386.0 && &*s.name == b".reloc" {
            // (elf_i386_fake_sections makes PE's `.reloc` PROGBITS, without a link.)
            let sh_type = if loaded_nobits { SHT_NOBITS } else { SHT_PROGBITS };
            changes.push((i, sh_type, rel_size, crate::elf::Link::Raw(0), s.info.clone(), false));
            continue;
        }
        let (rela, rest) = match s.name.strip_prefix(b".rela") {
            Some(rest) => (true, rest),
            None => match s.name.strip_prefix(b".rel") {
                Some(rest) if rest.is_empty() || rest[0] == b'.' || rel_target => (false, rest),
                _ => continue,
            },
        };
        let link = match dynsym {
            Some(d) if s.sh_flags & SHF_ALLOC != 0 => crate::elf::Link::Section(d),
            _ if has_symtab => crate::elf::Link::Symtab,
            _ if loaded_nobits => s.link.clone(),
            _ => crate::elf::Link::Raw(0),
        };
        let target = obj.section_by_name(rest).filter(|_| !rest.is_empty());
        let info = match target {
            Some(t) => crate::elf::Info::Section(t),
            None if loaded_nobits => s.info.clone(),
            None => crate::elf::Info::Raw(0),
        };
        let entsize = match (rela, rel_target) {
            (true, false) => rela_size,
            (false, true) => rel_size,
            _ => s.sh_entsize,
        };
        let sh_type = if loaded_nobits {
            SHT_NOBITS
        } else if rela {
            SHT_RELA
        } else {
            SHT_REL
        };
        changes.push((i, sh_type, entsize, link, info, target.is_some()));
    }
    for (i, sh_type, entsize, link, info, info_link) in changes {
        let s = &mut obj.sections[i];
        (s.sh_type, s.sh_entsize, s.link, s.info) = (sh_type, entsize, link, info);
        if info_link {
            s.sh_flags |= SHF_INFO_LINK;
        }
    }
}

/// BFD carries over the `sh_link` of an OS- or processor-specific section it does not know
/// (`_bfd_elf_copy_private_header_data`'s `find_link`) only when it names another section: a
/// link to the symbol table (`.llvm_addrsig`'s) becomes 0 (on ARM, when the section is empty).
fn os_section_links(obj: &mut ElfObject<'_>) {
    let (obj_is_arm, is_64) = (obj.e_machine == EM_ARM.0, obj.is_64);
    for s in obj.sections.iter_mut() {
        let known = matches!(s.data, SectionData::SymbolTable | SectionData::StringTable | SectionData::Relocations { .. });
        // (ARM's backend copies it from a section that is not empty:
        // `elf32_arm_copy_special_section_fields`.)
        let arm_copies = obj_is_arm && s.size(is_64) != 0;
        if s.sh_type >= SHT_LOOS && !known && !arm_copies && matches!(s.link, crate::elf::Link::Symtab | crate::elf::Link::Strtab) {
            s.link = crate::elf::Link::Raw(0);
        }
    }
}

/// BFD writes every symbol of a thread-local section (section symbols aside) as `STT_TLS`.
fn tls_symbols(obj: &mut ElfObject<'_>) {
    for sym in obj.symbols.iter_mut() {
        if let SymbolSection::Section(k) = sym.section
            && sym.kind() != STT_SECTION
            && obj.sections.get(k).is_some_and(|s| s.sh_flags & SHF_TLS != 0)
        {
            sym.st_info = (sym.st_info & 0xf0) | STT_TLS;
        }
    }
}

/// A symbol's name after `--redefine-sym` and `--prefix-symbols` (section symbols keep theirs).
fn new_name(s: &crate::elf::Symbol<'_>, e: &Edits) -> Option<Vec<u8>> {
    // (None: unchanged; most symbols are, and copying every name costs memory.)
    if s.kind() == STT_SECTION || (e.prefix_symbols.is_none() && !e.redefine.iter().any(|(old, _)| *old == s.name.as_ref())) {
        return None;
    }
    Some(renamed(&s.name, e))
}

/// `name` after `--redefine-sym`, then `--prefix-symbols`.
pub(crate) fn renamed(old_name: &[u8], e: &Edits) -> Vec<u8> {
    let mut name = match e.redefine.iter().find(|(old, _)| *old == old_name) {
        Some((_, new)) => new.clone(),
        None => old_name.to_vec(),
    };
    if let Some(prefix) = &e.prefix_symbols {
        name.splice(0..0, prefix.iter().copied());
    }
    name
}

/// Renames, weakens, localizes or globalizes one kept symbol (`name`: its new name, which the
/// lists are matched against, as in GNU objcopy).
fn change_symbol(s: &mut crate::elf::Symbol<'_>, name: Option<Vec<u8>>, e: &Edits) {
    let c = classify(s);
    if c.section {
        return;
    }
    if let Some(name) = name.filter(|n| *n != s.name.as_ref()) {
        s.name = Cow::Owned(name);
    }
    let name = s.name.clone();
    let name = name.as_ref();
    let hidden = matches!(s.visibility(), STV_HIDDEN | STV_INTERNAL);
    if let Some(b) = new_binding(&c, name, hidden, e) {
        s.st_info = (b << 4) | (s.st_info & 0xf);
    }
    if let Some(v) = new_visibility(name, e) {
        s.st_other = (s.st_other & !3) | v;
    }
    if let Some(stt_common) = e.elf_stt_common
        && c.common
    {
        s.st_info = (s.st_info & 0xf0) | if stt_common { STT_COMMON } else { STT_OBJECT };
    }
}

/// The binding `-W`/`--weaken`, `-L`/`-G`/`--localize-hidden` and `--globalize-symbol` give a
/// kept symbol named `name` (its new name), if they change it.
pub(crate) fn new_binding(c: &SymClass, name: &[u8], hidden: bool, e: &Edits) -> Option<u8> {
    let mut binding = None;
    if (c.global || c.unique || c.undefined) && (e.weaken || e.weaken_symbols.matches(name)) {
        binding = Some(STB_WEAK);
    }
    if !c.undefined
        && (c.global || c.weak)
        && (e.localize_symbols.matches(name)
            || (!e.keep_global_symbols.is_empty() && !e.keep_global_symbols.matches(name))
            || (e.localize_hidden && hidden))
    {
        binding = Some(STB_LOCAL);
    }
    if !c.undefined && c.local && e.globalize_symbols.matches(name) {
        binding = Some(STB_GLOBAL);
    }
    binding
}

/// The ELF visibility `--set-symbol-visibility` gives `name` (the last option naming it wins).
pub(crate) fn new_visibility(name: &[u8], e: &Edits) -> Option<u8> {
    e.set_visibility.iter().rev().find(|(names, _)| names.matches(name)).map(|(_, v)| *v)
}

/// GNU's notes for the sections whose new flags say `share` (a COFF flag), in section order:
/// `SECTION: Note - dropping 'share' flag as output format is not COFF` (`path` goes before).
pub(crate) fn share_flag_notes(obj: &ElfObject<'_>, e: &Edits, path: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for s in obj.sections.iter().filter(|s| !is_table(s) && reloc_target(s).is_none()) {
        let set = e.set_section_flags.iter().rev().find(|(names, _)| names.matches(&s.name)).map(|(_, f)| *f);
        let renamed = e.rename_flags.iter().find(|(old, _)| *old == s.name.as_ref()).map(|(_, f)| *f);
        if set.or(renamed).is_some_and(SecFlags::shares) {
            let name = e.rename_sections.iter().find(|(old, _)| *old == s.name.as_ref()).map_or(s.name.as_ref(), |(_, new)| new.as_slice());
            notes.push(format!("{path}[{}]: Note - dropping 'share' flag as output format is not COFF", String::from_utf8_lossy(name)));
        }
    }
    notes
}

/// `--rename-section`, `--update-section` and `--add-section`.
fn rename_and_add_sections(obj: &mut ElfObject<'_>, e: &Edits) -> Result<(), Refusal> {
    if let Some(method) = e.compress_debug {
        compress::compress_debug_sections(obj, method).map_err(Refusal::File)?;
    }
    // In an image, a section whose flags change makes GNU rewrite the program headers of the
    // segments holding it (copy_private_bfd_data; so does a new alignment, not a new size).
    let before: Vec<(u32, u64)> = obj.sections.iter().map(|s| (s.sh_type, s.sh_flags)).collect();
    for s in obj.sections.iter_mut().filter(|s| !is_table(s) && reloc_target(s).is_none()) {
        // Matched against the input name, as GNU's section lists are.
        if let Some((_, f)) = e.set_section_flags.iter().rev().find(|(names, _)| names.matches(&s.name)) {
            f.apply(s, true);
        } else if let Some((_, f)) = e.rename_flags.iter().find(|(old, _)| *old == s.name.as_ref()) {
            f.apply(s, false);
        }
    }
    rename_sections(obj, e);
    let image = obj.image.is_some();
    let mut realigned = Vec::new();
    for (k, s) in obj.sections.iter_mut().enumerate().filter(|(_, s)| !is_table(s) && reloc_target(s).is_none()) {
        // GNU matches the input name; the last option naming a section wins.
        if let Some((_, align)) = e.set_alignment.iter().rev().find(|(names, _)| names.matches(&s.name)) {
            // In an image the program headers are rewritten when it changes, and an allocated
            // section gets no more alignment than its address has (as GNU writes them).
            if image && *align != s.sh_addralign {
                realigned.push(k);
            }
            let address_allows =
                if image && s.sh_flags & SHF_ALLOC != 0 && s.sh_addr != 0 { 1 << s.sh_addr.trailing_zeros() } else { u64::MAX };
            s.sh_addralign = (*align).min(address_allows);
        }
    }
    for (name, bytes) in &e.update_sections {
        let Some(k) = obj.section_by_name(name) else {
            // GNU says it without the file's name.
            return Err(Refusal::Command(format!("error: {} not found, can't be updated", String::from_utf8_lossy(name))));
        };
        obj.sections[k].data = SectionData::Bytes(Cow::Owned(bytes.clone()));
    }
    for (k, was) in before.into_iter().enumerate() {
        let s = &obj.sections[k];
        if image && (was != (s.sh_type, s.sh_flags) || realigned.contains(&k)) {
            obj.section_changed(k);
        }
    }
    for (name, bytes) in &e.add_sections {
        let at = after_last_content(obj);
        // BFD gives `.note*` sections the note type.
        let sh_type = if name.starts_with(b".note") { SHT_NOTE } else { SHT_PROGBITS };
        let s = Section::bytes(name, sh_type, 0, 1, Cow::Owned(bytes.clone()));
        obj.sections.insert(at, s);
        renumber_after_insert(obj, at);
    }
    if let Some(link) = &e.gnu_debuglink
        && obj.section_by_name(GNU_DEBUGLINK).is_none()
    {
        let at = after_last_content(obj);
        let s = Section::bytes(GNU_DEBUGLINK, SHT_PROGBITS, 0, 4, Cow::Owned(link.contents(obj.big_endian)));
        obj.sections.insert(at, s);
        renumber_after_insert(obj, at);
    }
    Ok(())
}

/// Where an added section goes: after the last section that is not a table (an LLVM object's
/// `.strtab` comes first; BFD moves the tables last).
fn after_last_content(obj: &ElfObject<'_>) -> usize {
    obj.sections.iter().rposition(|s| !is_table(s)).map_or(obj.sections.len(), |k| k + 1)
}

/// `--add-symbol`: each symbol at the end of the table, or before the one `before=` names
/// (the writer then puts locals first, as BFD does).
fn add_symbols(obj: &mut ElfObject<'_>, e: &Edits) -> Result<(), String> {
    for a in &e.add_symbols {
        let section = match &a.section {
            None => SymbolSection::Absolute,
            Some(name) => match obj.section_by_name(name) {
                Some(k) => SymbolSection::Section(k),
                None => return Err(format!("Section {} not found", String::from_utf8_lossy(name))),
            },
        };
        let symbol =
            crate::elf::Symbol { name: Cow::Owned(a.name.clone()), st_info: a.st_info(), st_other: 0, section, value: a.value, size: 0 };
        if a.placed.get() {
            continue; // GNU adds a `before=` symbol to the first file of the run only
        }
        match a.before.as_ref() {
            Some(b) => {
                let Some(j) = obj.symbols.iter().position(|s| s.name.as_ref() == b.as_slice()) else {
                    return Err(format!("'before={}' not found", String::from_utf8_lossy(b)));
                };
                insert_symbol(obj, j, symbol);
                a.placed.set(true);
            }
            None => {
                obj.add_symbol(symbol);
            }
        }
    }
    Ok(())
}

/// Inserts a symbol at index `j`, renumbering what refers to later symbols.
fn insert_symbol<'a>(obj: &mut ElfObject<'a>, j: usize, symbol: crate::elf::Symbol<'a>) {
    obj.symbols.insert(j, symbol);
    for s in obj.sections.iter_mut() {
        if let SectionData::Relocations { relocs, .. } = &mut s.data {
            for r in relocs.iter_mut() {
                if let Some(k) = r.symbol.as_mut().filter(|k| **k >= j) {
                    *k += 1;
                }
            }
        }
        if let Info::Symbol(k) = &mut s.info
            && *k >= j
        {
            *k += 1;
        }
    }
}

/// The section `--add-gnu-debuglink` adds.
pub const GNU_DEBUGLINK: &[u8] = b".gnu_debuglink";

/// What `--add-gnu-debuglink=FILE` records: FILE's base name and the CRC-32 of its contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebugLink {
    /// The file's base name.
    pub name: Vec<u8>,
    /// CRC-32 (the gzip polynomial, as GDB checks it) of its contents.
    pub crc: u32,
}

impl DebugLink {
    /// The section contents: the name, a NUL, zeros to a multiple of 4, the CRC in the
    /// object's byte order (BFD's `bfd_fill_in_gnu_debuglink_section`).
    pub fn contents(&self, big_endian: bool) -> Vec<u8> {
        let mut v = self.name.clone();
        v.push(0);
        v.resize(v.len().div_ceil(4) * 4, 0);
        v.extend(if big_endian { self.crc.to_be_bytes() } else { self.crc.to_le_bytes() });
        v
    }
}

/// `--rename-section`, then `--prefix-alloc-sections` (allocated sections) or
/// `--prefix-sections` (the others too); a relocation section is named after its target's new
/// name, as BFD names it.
fn rename_sections(obj: &mut ElfObject<'_>, e: &Edits) {
    let mut renamed: Vec<Option<Vec<u8>>> = vec![None; obj.sections.len()];
    for (k, s) in obj.sections.iter().enumerate() {
        if is_table(s) || reloc_target(s).is_some() {
            continue;
        }
        let mut name = match e.rename_sections.iter().find(|(old, _)| *old == s.name.as_ref()) {
            Some((_, new)) => new.clone(),
            None => s.name.to_vec(),
        };
        let prefix = match (&e.prefix_alloc_sections, &e.prefix_sections) {
            (Some(p), _) if s.sh_flags & SHF_ALLOC != 0 => Some(p),
            (_, p) => p.as_ref(),
        };
        if let Some(p) = prefix {
            name.splice(0..0, p.iter().copied());
        }
        if name != s.name.as_ref() {
            renamed[k] = Some(name);
        }
    }
    for k in 0..obj.sections.len() {
        let derived = reloc_target(&obj.sections[k]).and_then(|t| renamed.get(t).cloned().flatten()).map(|target| {
            let kind: &[u8] = if obj.sections[k].name.starts_with(b".rela") { b".rela" } else { b".rel" };
            [kind, &target].concat()
        });
        if let Some(name) = renamed[k].clone().or(derived) {
            obj.sections[k].name = Cow::Owned(name);
        }
    }
}

/// Model indices at or after `at` moved up by one.
fn renumber_after_insert(obj: &mut ElfObject<'_>, at: usize) {
    let shift = |i: &mut usize| {
        if *i >= at {
            *i += 1;
        }
    };
    for (k, s) in obj.sections.iter_mut().enumerate() {
        if k == at {
            continue;
        }
        if let crate::elf::Link::Section(t) = &mut s.link {
            shift(t);
        }
        if let Info::Section(t) = &mut s.info {
            shift(t);
        }
        if let SectionData::Group { members, .. } = &mut s.data {
            members.iter_mut().for_each(shift);
        }
    }
    for s in obj.symbols.iter_mut() {
        if let SymbolSection::Section(k) = &mut s.section {
            shift(k);
        }
    }
    for p in obj.image.iter_mut().flat_map(|image| image.segments.iter_mut()) {
        p.sections.iter_mut().for_each(shift);
    }
}
