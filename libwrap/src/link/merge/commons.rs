//! Pass: common symbols. They stay common in a partial link, unless `-d` gives them space in
//! `.bss` as GNU ld's `lang_common` does.

use super::sections::{Layout, MAX_MATERIALIZED, OutSection};
use super::symbols::{Place, SymbolList};
use crate::elf::SymbolSection;
use crate::elf::consts::*;
use crate::error::{Error, Result};
use crate::link::options::Options;
use crate::resolve::{State, Table};

/// With `-d` and commons to allocate: the output `.bss` they go to (created now, so that it gets
/// its section symbol with the others).
pub(super) fn bss_section(layout: &mut Layout, table: &Table, opts: &Options) -> Option<usize> {
    if !opts.define_common || !table.globals.iter().any(|g| matches!(g.state, State::Common { .. })) {
        return None;
    }
    Some(match layout.sections.iter().position(|s| s.name == b".bss" && s.group.is_none()) {
        Some(b) => b,
        None => {
            layout.sections.push(OutSection::empty(b".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE));
            layout.sections.len() - 1
        }
    })
}

/// `-d`: gives every common symbol space in output section `bss`.
pub(super) fn allocate(layout: &mut Layout, bss: usize, list: &mut SymbolList<'_>, table: &Table) -> Result<()> {
    define_commons(&mut layout.sections[bss], bss, list, table.globals.len()).map_err(|e| Error::Link { messages: vec![e] })
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
fn define_commons(bss: &mut OutSection, bss_index: usize, list: &mut SymbolList<'_>, names: usize) -> std::result::Result<(), String> {
    let (symbols, symbol_section, commons) = (&mut list.symbols, &mut list.places, &list.commons);
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
