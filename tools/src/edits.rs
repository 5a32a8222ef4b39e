//! The section and symbol options tl-objcopy and tl-strip share: their clap arguments, GNU's
//! symbol-list file syntax, and the [`Edits`] they make.

use clap::{Arg, ArgAction, ArgMatches};
use libwrap::objcopy::glob::NameList;
use libwrap::objcopy::section_flags::{AddSymbol, SecFlags};
use libwrap::objcopy::{Discard, Edits, Strip};

/// How an option of the tools' tables is declared.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A flag.
    Flag,
    /// A value, the last one wins.
    One,
    /// A value, repeatable.
    Many,
    /// A value that may start with `-`, repeatable.
    Signed,
    /// An optional value after `=` (`--compress-debug-sections[=zlib]`).
    OptionalZlib,
    /// An optional value after `=`, none by default.
    Optional,
}

/// An option: long name (its id too), short letter, kind, GNU's alias.
pub type Opt = (&'static str, Option<char>, Kind, Option<&'static str>);

/// The options both tools take.
const SHARED: &[Opt] = &[
    ("remove-section", Some('R'), Kind::Signed, None),
    ("keep-section", None, Kind::Signed, None),
    ("remove-relocations", None, Kind::Signed, None),
    ("strip-unneeded", None, Kind::Flag, None),
    ("discard-all", Some('x'), Kind::Flag, None),
    ("discard-locals", Some('X'), Kind::Flag, None),
    ("keep-file-symbols", None, Kind::Flag, None),
    ("strip-symbol", Some('N'), Kind::Signed, None),
    ("keep-symbol", Some('K'), Kind::Signed, None),
    ("wildcard", Some('w'), Kind::Flag, None),
    ("preserve-dates", Some('p'), Kind::Flag, None),
    ("merge-notes", Some('M'), Kind::Flag, None),
    ("no-merge-notes", None, Kind::Flag, None),
    ("only-keep-debug", None, Kind::Flag, None),
    ("strip-dwo", None, Kind::Flag, None),
];

/// The ones only strip takes (`-g` and `-d` are aliases of `-S`, added in [`args`]).
const STRIP_ONLY: &[Opt] = &[
    ("keep-section-symbols", None, Kind::Flag, None),
    ("strip-all", Some('s'), Kind::Flag, None),
    ("strip-debug", Some('S'), Kind::Flag, None),
];

/// The ones only objcopy takes.
const OBJCOPY_ONLY: &[Opt] = &[
    ("strip-all", Some('S'), Kind::Flag, None),
    ("strip-debug", Some('g'), Kind::Flag, None),
    ("only-section", Some('j'), Kind::Signed, None),
    ("extract-dwo", None, Kind::Flag, None),
    ("extract-symbol", None, Kind::Flag, None),
    // GNU objcopy 2.40 declares it with a (required, unused) argument; strip without.
    ("keep-section-symbols", None, Kind::Signed, None),
    ("writable-text", None, Kind::Flag, None),
    ("readonly-text", None, Kind::Flag, None),
    ("pure", None, Kind::Flag, None),
    ("impure", None, Kind::Flag, None),
    ("strip-symbols", None, Kind::Signed, None),
    ("strip-unneeded-symbol", None, Kind::Signed, None),
    ("strip-unneeded-symbols", None, Kind::Signed, None),
    ("keep-symbols", None, Kind::Signed, None),
    ("localize-symbol", Some('L'), Kind::Signed, None),
    ("localize-symbols", None, Kind::Signed, None),
    ("globalize-symbol", None, Kind::Signed, None),
    ("globalize-symbols", None, Kind::Signed, None),
    ("keep-global-symbol", Some('G'), Kind::Signed, None),
    ("keep-global-symbols", None, Kind::Signed, None),
    ("weaken-symbol", Some('W'), Kind::Signed, None),
    ("weaken-symbols", None, Kind::Signed, None),
    ("weaken", None, Kind::Flag, None),
    ("localize-hidden", None, Kind::Flag, None),
    ("redefine-sym", None, Kind::Signed, None),
    ("redefine-syms", None, Kind::Signed, None),
    ("prefix-symbols", None, Kind::Signed, None),
    ("set-symbol-visibility", None, Kind::Signed, None),
    ("set-symbol-visibilities", None, Kind::Signed, None),
    ("rename-section", None, Kind::Signed, None),
    ("set-section-flags", None, Kind::Signed, None),
    ("add-symbol", None, Kind::Signed, None),
    ("prefix-sections", None, Kind::Signed, None),
    ("prefix-alloc-sections", None, Kind::Signed, None),
    ("set-section-alignment", None, Kind::Signed, None),
    ("add-section", None, Kind::Signed, None),
    ("update-section", None, Kind::Signed, None),
];

/// One option of a table. (Built in one place rather than inlined at each of a hundred
/// options: code the tool runs once is resident memory of every run.)
#[inline(never)]
pub fn option(&(long, short, kind, alias): &Opt) -> Arg {
    let mut a = Arg::new(long).long(long);
    if let Some(c) = short {
        a = a.short(c);
    }
    if let Some(alias) = alias {
        a = a.visible_alias(alias);
    }
    match kind {
        Kind::Flag => a.action(ArgAction::SetTrue),
        Kind::One => a.num_args(1).action(ArgAction::Set),
        Kind::Many => a.num_args(1).action(ArgAction::Append),
        Kind::Signed => a.num_args(1).allow_hyphen_values(true).action(ArgAction::Append),
        Kind::OptionalZlib => a.num_args(0..=1).require_equals(true).default_missing_value("zlib").action(ArgAction::Append),
        Kind::Optional => a.num_args(0..=1).require_equals(true).default_missing_value("").action(ArgAction::Append),
    }
}

/// The shared arguments. `strip` selects strip's letters (`-S`, `-g`, `-d` are strip-debug
/// and `-s` strip-all there; objcopy's `-S` is strip-all).
pub fn args(strip: bool) -> Vec<Arg> {
    let own = if strip { STRIP_ONLY } else { OBJCOPY_ONLY };
    let mut v: Vec<Arg> = SHARED.iter().chain(own).map(option).collect();
    if strip && let Some(debug) = v.pop() {
        v.push(debug.short_alias('g').short_alias('d'));
    }
    v
}

/// The ids of [`args`] (what the tools must not also declare).
pub fn ids(strip: bool) -> Vec<String> {
    args(strip).iter().map(|a| a.get_id().to_string()).collect()
}

fn values<'m>(m: &'m ArgMatches, id: &str) -> Vec<&'m String> {
    if m.try_contains_id(id).unwrap_or(false) { m.get_many::<String>(id).into_iter().flatten().collect() } else { Vec::new() }
}

fn flag_set(m: &ArgMatches, id: &str) -> bool {
    m.try_contains_id(id).unwrap_or(false) && m.get_flag(id)
}

/// GNU's `add_specific_symbols`: one name per line, anything after `#` ignored, blanks trimmed.
fn symbol_file(path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot open '{path}': {}", libwrap::error::io_message(&e)))?;
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Symbol renamings: (old, new).
type Renamings = Vec<(Vec<u8>, Vec<u8>)>;

/// GNU's `add_redefine_syms_file`: `old new` a line, `#` comments.
fn redefine_file(path: &str) -> Result<Renamings, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("couldn't open symbol redefinition file {path} (error: {})", libwrap::error::io_message(&e)))?;
    let mut out = Vec::new();
    for (n, line) in String::from_utf8_lossy(&text).lines().enumerate() {
        let words: Vec<&str> = line.split('#').next().unwrap_or("").split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            [_] => return Err(format!("{path}:{}: missing new symbol name", n + 1)),
            [old, new] => out.push((old.as_bytes().to_vec(), new.as_bytes().to_vec())),
            _ => return Err(format!("{path}:{}: garbage found at end of line", n + 1)),
        }
    }
    Ok(out)
}

/// A symbol list from its option and its `…-symbols FILE` form.
fn names(m: &ArgMatches, one: &str, file: Option<&str>, wildcard: bool) -> Result<NameList, String> {
    let mut entries: Vec<String> = values(m, one).into_iter().cloned().collect();
    if let Some(f) = file {
        for path in values(m, f) {
            entries.extend(symbol_file(path)?);
        }
    }
    Ok(NameList { entries, wildcard })
}

/// `SYM=default|protected|hidden|internal` of `--set-symbol-visibility` (tl's own option).
fn visibility(v: &str, wildcard: bool) -> Result<(NameList, u8), String> {
    let (name, vis) = v.rsplit_once('=').filter(|(n, _)| !n.is_empty()).ok_or("bad format for --set-symbol-visibility")?;
    let stv = match vis {
        "default" => 0,
        "internal" => 1,
        "hidden" => 2,
        "protected" => 3,
        _ => return Err(format!("unknown visibility `{vis}' for --set-symbol-visibility (default, protected, hidden or internal)")),
    };
    Ok((NameList { entries: vec![name.to_string()], wildcard }, stv))
}

/// `NAME=ALIGN` of `--set-section-alignment`, with GNU's messages.
fn section_alignment(v: &str) -> Result<(NameList, u64), String> {
    let bad = |why: &str| format!("bad format for --set-section-alignment: {why}");
    let (name, value) = v.split_once('=').ok_or_else(|| bad("argument needed"))?;
    // GNU reads it with strtoul base 10: the leading digits, 0 when there are none.
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    let parsed: Option<u64> = digits.parse().ok();
    let align = parsed.filter(|&a| a != 0).ok_or_else(|| bad("numeric argument needed"))?;
    if !align.is_power_of_two() {
        return Err(bad("alignment is not a power of two"));
    }
    Ok((NameList { entries: vec![name.to_string()], wildcard: true }, align))
}

/// `NAME=FILE` of `--add-section`/`--update-section`, with the file read.
fn section_file(option: &str, v: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (name, file) =
        v.split_once('=').filter(|(n, f)| !n.is_empty() && !f.is_empty()).ok_or_else(|| format!("bad format for {option}"))?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot open: {file}: {}", libwrap::error::io_message(&e)))?;
    Ok((name.as_bytes().to_vec(), bytes))
}

/// The edits of the parsed options; `default_strip` is strip's `--strip-all` when no strip
/// option is given.
pub fn edits(m: &ArgMatches, default_strip: Strip) -> Result<Edits, String> {
    let wildcard = flag_set(m, "wildcard");
    let sections = |id: &str| NameList { entries: values(m, id).into_iter().cloned().collect(), wildcard: true };
    let mut e = Edits {
        remove_sections: sections("remove-section"),
        only_sections: sections("only-section"),
        keep_sections: sections("keep-section"),
        remove_relocations: sections("remove-relocations"),
        keep_file_symbols: flag_set(m, "keep-file-symbols"),
        extract_symbol: flag_set(m, "extract-symbol"),
        keep_section_symbols: if default_strip == Strip::All {
            flag_set(m, "keep-section-symbols")
        } else {
            !values(m, "keep-section-symbols").is_empty()
        },
        strip_symbols: names(m, "strip-symbol", Some("strip-symbols"), wildcard)?,
        strip_unneeded_symbols: names(m, "strip-unneeded-symbol", Some("strip-unneeded-symbols"), wildcard)?,
        keep_symbols: names(m, "keep-symbol", Some("keep-symbols"), wildcard)?,
        localize_symbols: names(m, "localize-symbol", Some("localize-symbols"), wildcard)?,
        globalize_symbols: names(m, "globalize-symbol", Some("globalize-symbols"), wildcard)?,
        keep_global_symbols: names(m, "keep-global-symbol", Some("keep-global-symbols"), wildcard)?,
        weaken_symbols: names(m, "weaken-symbol", Some("weaken-symbols"), wildcard)?,
        weaken: flag_set(m, "weaken"),
        localize_hidden: flag_set(m, "localize-hidden"),
        ..Edits::default()
    };
    // `-M`/`--no-merge-notes`, the last given; strip merges by default, and quietly (GNU
    // strip does not say that it found nothing to merge).
    let at = |id: &str| if flag_set(m, id) { m.indices_of(id).and_then(|i| i.max()) } else { None };
    let strip = default_strip == Strip::All;
    e.merge_notes = match (at("merge-notes"), at("no-merge-notes")) {
        (Some(on), off) if off.is_none_or(|off| on > off) => Some(!strip),
        (None, None) if strip => Some(false),
        _ => None,
    };
    // `-R .rel[a]NAME` also removes NAME's relocations (GNU's handle_remove_section_option).
    for p in &e.remove_sections.entries.clone() {
        if let Some(rest) = p.strip_prefix(".rel") {
            let target = rest.strip_prefix('a').unwrap_or(rest);
            if !target.is_empty() {
                e.remove_relocations.entries.push(target.to_string());
            }
        }
    }
    // The last of the strip options wins, as in GNU's getopt loop.
    let last = |id: &str| if flag_set(m, id) { m.indices_of(id).and_then(|i| i.max()) } else { None };
    e.strip = [
        ("strip-all", Strip::All),
        ("strip-unneeded", Strip::Unneeded),
        ("strip-debug", Strip::Debug),
        ("only-keep-debug", Strip::NonDebug),
        ("strip-dwo", Strip::Dwo),
        ("extract-dwo", Strip::NonDwo),
    ]
    .into_iter()
    .filter_map(|(id, s)| last(id).map(|i| (i, s)))
    .max_by_key(|(i, _)| *i)
    .map_or(Strip::None, |(_, s)| s);
    e.discard = if flag_set(m, "discard-all") {
        Discard::All
    } else if flag_set(m, "discard-locals") {
        Discard::Labels
    } else {
        Discard::None
    };
    if e.strip == Strip::None && e.discard == Discard::None && e.strip_symbols.is_empty() {
        e.strip = default_strip;
    }
    // GNU strip does not merge by default when it strips debug or DWO sections only.
    if strip && at("merge-notes").is_none() && at("no-merge-notes").is_none() && matches!(e.strip, Strip::Debug | Strip::Dwo) {
        e.merge_notes = None;
    }
    for v in values(m, "redefine-sym") {
        let (old, new) = v.split_once('=').filter(|(o, n)| !o.is_empty() && !n.is_empty()).ok_or("bad format for --redefine-sym")?;
        e.redefine.push((old.as_bytes().to_vec(), new.as_bytes().to_vec()));
    }
    for path in values(m, "redefine-syms") {
        e.redefine.extend(redefine_file(path)?);
    }
    e.prefix_symbols = values(m, "prefix-symbols").last().map(|p| p.as_bytes().to_vec());
    let mut visibilities: Vec<String> = values(m, "set-symbol-visibility").into_iter().cloned().collect();
    for path in values(m, "set-symbol-visibilities") {
        visibilities.extend(symbol_file(path)?);
    }
    for v in visibilities {
        e.set_visibility.push(visibility(&v, wildcard)?);
    }
    for v in values(m, "rename-section") {
        let (old, rest) = v.split_once('=').ok_or("bad format for --rename-section")?;
        let (new, flags) = match rest.split_once(',') {
            Some((new, flags)) => (new, Some(SecFlags::parse(flags).map_err(|lines| lines.join("\n"))?)),
            None => (rest, None),
        };
        e.rename_sections.push((old.as_bytes().to_vec(), new.as_bytes().to_vec()));
        if let Some(f) = flags {
            e.rename_flags.push((old.as_bytes().to_vec(), f));
        }
    }
    for v in values(m, "add-symbol") {
        e.add_symbols.push(AddSymbol::parse(v).map_err(|lines| lines.join("\n"))?);
    }
    for v in values(m, "set-section-flags") {
        let (name, flags) = v.split_once('=').ok_or("bad format for --set-section-flags")?;
        let f = SecFlags::parse(flags).map_err(|lines| lines.join("\n"))?;
        e.set_section_flags.push((NameList { entries: vec![name.to_string()], wildcard: true }, f));
    }
    e.prefix_sections = values(m, "prefix-sections").last().map(|p| p.as_bytes().to_vec());
    e.prefix_alloc_sections = values(m, "prefix-alloc-sections").last().map(|p| p.as_bytes().to_vec());
    for v in values(m, "set-section-alignment") {
        e.set_alignment.push(section_alignment(v)?);
    }
    for v in values(m, "add-section") {
        e.add_sections.push(section_file("--add-section", v)?);
    }
    for v in values(m, "update-section") {
        e.update_sections.push(section_file("--update-section", v)?);
    }
    Ok(e)
}
