//! GNU objcopy's address options: `--change-section-address`,
//! `--change-section-vma`, `--change-section-lma`, `--change-addresses`, `--set-start`,
//! `--change-start`, `--[no-]change-warnings` (binutils' `setup_section`):
//! - a section's VMA (`sh_addr`) is set or moved by the newest option whose pattern matches
//!   its name, else moved by `--change-addresses`; an LMA has no field in a relocatable
//!   object's headers, so LMA changes only count as used there; in an executable or shared
//!   object the LMA is set likewise, symbols move with their section's VMA and the segments
//!   holding a moved section are rewritten;
//! - `e_entry` is `--set-start` (or the input's), plus `--change-start`
//!   (`--change-addresses` sets that too);
//! - with warnings on (the default), each option that matched no section says
//!   `--change-section-vma NAME=0xV never used` (or `+0xV`; an LMA one likewise).

use super::glob::NameList;
use crate::elf::ElfObject;

/// Set or move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrChange {
    /// `NAME=VAL`.
    Set(u64),
    /// `NAME+VAL` / `NAME-VAL` (stored as a wrapping addend).
    Add(u64),
}

impl AddrChange {
    fn apply(self, v: u64) -> u64 {
        match self {
            AddrChange::Set(x) => x,
            AddrChange::Add(x) => v.wrapping_add(x),
        }
    }

    fn shown(self) -> String {
        match self {
            AddrChange::Set(x) => format!("={x:#x}"),
            AddrChange::Add(x) => format!("+{x:#x}"),
        }
    }
}

/// One `--change-section-*` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionAddress {
    /// The pattern as given.
    pub pattern: String,
    /// The VMA change (`--change-section-vma`, `--change-section-address`).
    pub vma: Option<AddrChange>,
    /// The LMA change (`--change-section-lma`, `--change-section-address`).
    pub lma: Option<AddrChange>,
}

/// The address options of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addresses {
    /// `--change-section-*`, in command-line order.
    pub sections: Vec<SectionAddress>,
    /// `--change-addresses`: added to every other section's VMA.
    pub change_addresses: u64,
    /// `--set-start`.
    pub set_start: Option<u64>,
    /// `--change-start` (or `--change-addresses`), the last given.
    pub change_start: u64,
    /// `--change-warnings` (the default) / `--no-change-warnings`.
    pub warnings: bool,
}

impl Default for Addresses {
    fn default() -> Addresses {
        Addresses { sections: Vec::new(), change_addresses: 0, set_start: None, change_start: 0, warnings: true }
    }
}

impl Addresses {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty() && self.change_addresses == 0 && self.set_start.is_none() && self.change_start == 0
    }

    /// Applies the options to `obj` (sections given by `movable`: not the tables or relocation
    /// sections).
    pub(crate) fn apply(&self, obj: &mut ElfObject<'_>, movable: &[bool]) {
        let image = obj.image.is_some();
        let lmas: Vec<u64> = (0..obj.sections.len()).map(|k| obj.lma(k)).collect();
        let mut moved = Vec::new();
        for (k, s) in obj.sections.iter_mut().enumerate() {
            if !movable.get(k).copied().unwrap_or(false) {
                continue;
            }
            // The newest option naming the section decides (GNU prepends to its list).
            let vma = match self.sections.iter().rev().find(|a| a.vma.is_some() && a.matches(&s.name)) {
                Some(a) => a.vma.map_or(s.sh_addr, |c| c.apply(s.sh_addr)),
                None => s.sh_addr.wrapping_add(self.change_addresses),
            };
            let lma = match self.sections.iter().rev().find(|a| a.lma.is_some() && a.matches(&s.name)) {
                Some(a) => a.lma.map_or(lmas[k], |c| c.apply(lmas[k])),
                None => lmas[k].wrapping_add(self.change_addresses),
            };
            if image && (vma != s.sh_addr || lma != lmas[k]) {
                moved.push((k, vma.wrapping_sub(s.sh_addr)));
                s.lma = Some(lma);
            }
            s.sh_addr = vma;
        }
        if !moved.is_empty() {
            moved_in_image(obj, &moved);
        }
        obj.e_entry = self.set_start.unwrap_or(obj.e_entry).wrapping_add(self.change_start);
    }

    /// The same options acting on load addresses as [`Addresses::apply`] acts on addresses
    /// (for a non-ELF output, where only load addresses count).
    pub(crate) fn on_load_addresses(&self) -> Addresses {
        let sections = self.sections.iter().map(|a| SectionAddress { pattern: a.pattern.clone(), vma: a.lma, lma: None }).collect();
        Addresses { sections, ..self.clone() }
    }

    /// The "never used" warnings for a run whose files had these section names (GNU marks an
    /// option used by any file; it reports the newest option first).
    pub fn unused_warnings<'n>(&self, names: impl Iterator<Item = &'n [u8]> + Clone) -> Vec<String> {
        if !self.warnings {
            return Vec::new();
        }
        // GNU keeps one entry per pattern (the newest first), holding the latest VMA and LMA
        // changes given for it.
        let mut patterns: Vec<&SectionAddress> = Vec::new();
        for a in &self.sections {
            if !patterns.iter().any(|p| p.pattern == a.pattern) {
                patterns.push(a);
            }
        }
        let mut out = Vec::new();
        for a in patterns.into_iter().rev() {
            if names.clone().any(|n| a.matches(n)) {
                continue;
            }
            let latest =
                |f: fn(&SectionAddress) -> Option<AddrChange>| self.sections.iter().rev().filter(|b| b.pattern == a.pattern).find_map(f);
            for (option, change) in [("--change-section-vma", latest(|b| b.vma)), ("--change-section-lma", latest(|b| b.lma))] {
                if let Some(c) = change {
                    out.push(format!("{option} {}{} never used", a.pattern, c.shown()));
                }
            }
        }
        out
    }
}

/// Sections of an executable or shared object that moved (`(section, VMA change)`): their
/// symbols move with them (BFD's symbol values are section-relative) and the segments holding
/// them are rewritten ([`crate::elf::layout`]).
fn moved_in_image(obj: &mut ElfObject<'_>, moved: &[(usize, u64)]) {
    for sym in obj.symbols.iter_mut() {
        if let crate::elf::SymbolSection::Section(k) = sym.section
            && let Some(&(_, delta)) = moved.iter().find(|(m, _)| *m == k)
        {
            sym.value = sym.value.wrapping_add(delta);
        }
    }
    for &(k, _) in moved {
        obj.section_changed(k);
    }
}

impl SectionAddress {
    fn matches(&self, name: &[u8]) -> bool {
        NameList { entries: vec![self.pattern.clone()], wildcard: true }.matches(name)
    }
}

/// A number in C's notation split into its digits and radix: `0x…` hex, `0…` octal, else
/// decimal.
pub(crate) fn c_radix(s: &str) -> (&str, u32) {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    }
}

/// Parses `NAME{=,+,-}VAL` of `option`, with GNU's messages.
pub fn parse_section_change(option: &str, arg: &str) -> Result<(String, AddrChange), String> {
    // GNU looks for `=`, then `+`, then `-` (names such as `.note.GNU-stack` have a `-`).
    let at = arg.find('=').or_else(|| arg.find('+')).or_else(|| arg.find('-')).ok_or_else(|| format!("bad format for {option}"))?;
    let value = parse_vma(&arg[at + 1..], option)?;
    let change = match &arg[at..=at] {
        "=" => AddrChange::Set(value),
        "+" => AddrChange::Add(value),
        _ => AddrChange::Add(value.wrapping_neg()),
    };
    Ok((arg[..at].to_string(), change))
}

/// binutils' `parse_vma`: C's `strtoul` with base 0 (leading blanks, a sign, `0x…` hex, `0…`
/// octal, else decimal; too large is the largest value; the empty string is 0) that must use
/// the whole argument, or `OPTION: bad number: ARG`.
pub fn parse_vma(s: &str, option: &str) -> Result<u64, String> {
    let bad = || format!("{option}: bad number: {s}");
    if s.is_empty() {
        return Ok(0);
    }
    let rest = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, rest) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let hex_digit_follows = |r: &str| r.as_bytes().get(2).is_some_and(u8::is_ascii_hexdigit);
    let (digits, radix) = if (rest.starts_with("0x") || rest.starts_with("0X")) && hex_digit_follows(rest) {
        (&rest[2..], 16)
    } else if rest.starts_with('0') {
        (rest, 8)
    } else {
        (rest, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(bad());
    }
    // (strtoul's ERANGE: the largest value, whatever the sign.)
    Ok(u64::from_str_radix(digits, radix).map_or(u64::MAX, |v| if negative { v.wrapping_neg() } else { v }))
}

impl Addresses {
    /// [`Addresses::unused_warnings`] for an input file: an ELF object's section names, or
    /// those of every ELF member of an archive.
    pub(crate) fn unused_warnings_for(&self, data: &[u8], path: &str) -> Vec<String> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut add = |bytes: &[u8]| {
            if let Ok(obj) = crate::elf::read(bytes) {
                names.extend(obj.sections.iter().map(|s| s.name.to_vec()));
            }
        };
        match crate::file_kind::sniff(data) {
            crate::file_kind::FileKind::Archive { .. } => {
                if let Ok(ar) = crate::archive::read(data, path) {
                    for m in &ar.members {
                        if let Ok(b) = m.bytes() {
                            add(b);
                        }
                    }
                }
            }
            _ => add(data),
        }
        self.unused_warnings(names.iter().map(Vec::as_slice))
    }
}
