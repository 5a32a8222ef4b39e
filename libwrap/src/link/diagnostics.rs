//! GNU ld's messages for a partial link: where a symbol is (`%C`, `%D`: object, function, FILE
//! symbol, section and offset, names demangled as `%pT`), multiple definitions, `--warn-common`
//! and `.gnu.warning.SYMBOL` warnings.

/// Marks a link message GNU ld prints without its program name in front (its `%X` errors
/// with no `%P`); the tool removes the mark.
pub const UNPREFIXED: char = '\u{1}';

use std::collections::HashMap;

use super::load::Object;
use super::options::Options;
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, SectionData, SymbolSection};
use crate::error::{Error, Result};
use crate::resolve::{CommonKind, Origin, Table};

/// The messages that come before any output is built: multiple definitions (an error unless
/// `--allow-multiple-definition`), then `--warn-common`'s and the `.gnu.warning` warnings.
pub(crate) fn check(objects: &[Object<'_>], table: &Table, opts: &Options, warnings: &mut Vec<String>) -> Result<()> {
    if !table.duplicates.is_empty() && !opts.allow_multiple_definition {
        return Err(Error::Link { messages: duplicate_messages(objects, table) });
    }
    if opts.warn_common {
        warnings.extend(common_messages(objects, table));
    }
    warnings.extend(symbol_warnings(objects, table));
    Ok(())
}

/// BFD's `%pT`: a symbol name, demangled (ld demangles by default).
pub(crate) fn shown(name: &[u8]) -> String {
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
        let hidden_label = s.size == 0 && s.binding() == STB_LOCAL && s.kind() == STT_NOTYPE && s.visibility() == STV_HIDDEN;
        // (ARM's and AArch64's backends skip their mapping symbols.)
        let mapping = crate::elf::target::is_mapping_symbol(elf.e_machine, &s.name);
        let candidate = s.section == SymbolSection::Section(section)
            && !matches!(s.kind(), STT_OBJECT | STT_TLS | STT_SECTION | STT_COMMON)
            && !hidden_label
            && !mapping;
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
pub(crate) fn common_messages(objects: &[Object<'_>], table: &Table) -> Vec<String> {
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
pub(crate) fn duplicate_messages(objects: &[Object<'_>], table: &Table) -> Vec<String> {
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
pub(crate) fn symbol_warnings(objects: &[Object<'_>], table: &Table) -> Vec<String> {
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
