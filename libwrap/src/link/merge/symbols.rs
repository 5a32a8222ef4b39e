//! Pass: the output symbol table. Section symbols (groups' first, then each output section's),
//! then each object's local symbols (with GNU's FILE symbol for inputs whose locals come before
//! any), then one symbol per global name as resolution decided it. [`Mapper`] maps an input
//! symbol to its output symbol for relocations and group signatures.

use std::borrow::Cow;
use std::collections::HashMap;

use super::sections::{Layout, Placement};
use crate::elf::consts::*;
use crate::elf::{Symbol, SymbolSection};
use crate::link::load::Object;
use crate::resolve::{Origin, State, Table};

/// Where an output symbol's section is: an output section or an output group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Place {
    /// Output section (index in [`Layout::sections`]).
    Out(usize),
    /// Output group (index in [`Layout::groups`]).
    Group(usize),
}

/// The output symbols, each with the place its section is (set on materialisation).
pub(super) struct SymbolList<'a> {
    /// The symbols.
    pub(super) symbols: Vec<Symbol<'a>>,
    /// Where each symbol's section is, `None` when it has none.
    pub(super) places: Vec<Option<Place>>,
    /// The common symbols (indices), in resolution order.
    pub(super) commons: Vec<usize>,
}

impl<'a> SymbolList<'a> {
    fn push(&mut self, s: Symbol<'a>, place: Option<Place>) -> usize {
        self.symbols.push(s);
        self.places.push(place);
        self.symbols.len() - 1
    }

    fn section_symbol(&mut self, at: Place) -> usize {
        let s =
            Symbol { name: Cow::Borrowed(b""), st_info: STT_SECTION, st_other: 0, section: SymbolSection::Undefined, value: 0, size: 0 };
        self.push(s, Some(at))
    }
}

/// Which output symbol stands for what.
pub(super) struct SymbolMap {
    /// Each output section's section symbol.
    pub(super) section_symbol: Vec<usize>,
    /// Each output group's section symbol.
    pub(super) group_symbol: Vec<usize>,
    /// (object, input group section) → output group.
    pub(super) group_index: HashMap<(usize, usize), usize>,
    /// Each object's local symbols → output symbol.
    pub(super) local_map: Vec<Vec<Option<usize>>>,
    /// Each resolution entry → output symbol.
    pub(super) global_symbols: Vec<usize>,
}

impl SymbolMap {
    /// Where an input section's symbols go: an output section at an offset, or an output group.
    fn place(&self, placement: &Placement, oi: usize, k: usize) -> Option<(Place, u64)> {
        match placement[oi].get(k).copied().flatten() {
            Some((out, at)) if at != u64::MAX => Some((Place::Out(out), at)),
            Some((out, _)) => Some((Place::Out(out), 0)),
            None => self.group_index.get(&(oi, k)).map(|&g| (Place::Group(g), 0)),
        }
    }
}

/// Builds the output symbols (see the module documentation).
pub(super) fn build<'a>(objects: &[Object<'a>], table: &Table, layout: &Layout) -> (SymbolList<'a>, SymbolMap) {
    let mut list = SymbolList { symbols: Vec::new(), places: Vec::new(), commons: Vec::new() };
    let group_index: HashMap<(usize, usize), usize> = layout.groups.iter().enumerate().map(|(g, &key)| (key, g)).collect();
    let group_symbol = (0..layout.groups.len()).map(|g| list.section_symbol(Place::Group(g))).collect();
    let section_symbol = (0..layout.sections.len()).map(|i| list.section_symbol(Place::Out(i))).collect();
    let mut map = SymbolMap { section_symbol, group_symbol, group_index, local_map: Vec::new(), global_symbols: Vec::new() };
    for (oi, o) in objects.iter().enumerate() {
        let locals = locals(&mut list, &map, &layout.placement, oi, o);
        map.local_map.push(locals);
    }
    for g in &table.globals {
        let (sym, place) = global(objects, &map, &layout.placement, g);
        if matches!(g.state, State::Common { .. }) {
            list.commons.push(list.symbols.len());
        }
        let j = list.push(sym, place);
        map.global_symbols.push(j);
    }
    (list, map)
}

/// Object `oi`'s local symbols; returns the map from its symbols to the output's.
fn locals<'a>(list: &mut SymbolList<'a>, map: &SymbolMap, placement: &Placement, oi: usize, o: &Object<'a>) -> Vec<Option<usize>> {
    let Some(elf) = &o.elf else { return Vec::new() };
    let mut out = vec![None; elf.symbols.len()];
    let mut have_file = false;
    for (j, s) in elf.symbols.iter().enumerate() {
        if s.binding() != STB_LOCAL || s.kind() == STT_SECTION || s.section == SymbolSection::Undefined {
            continue;
        }
        let (section, value) = match s.section {
            SymbolSection::Section(k) => match map.place(placement, oi, k) {
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
            let file = Symbol {
                name: Cow::Owned(o.file_name.clone().into_bytes()),
                st_info: STT_FILE,
                st_other: 0,
                section: SymbolSection::Absolute,
                value: 0,
                size: 0,
            };
            list.push(file, None);
        }
        out[j] = Some(list.push(Symbol { value, section: s.section, ..s.clone() }, section));
    }
    out
}

/// The output symbol of one resolution entry.
fn global<'a>(objects: &[Object<'a>], map: &SymbolMap, placement: &Placement, g: &crate::resolve::Global) -> (Symbol<'a>, Option<Place>) {
    let vis = g.visibility;
    let named = |st_info: u8, section: SymbolSection, value: u64, size: u64| Symbol {
        name: Cow::Owned(g.name.clone()),
        st_info,
        st_other: vis,
        section,
        value,
        size,
    };
    match (g.state, g.origin) {
        (State::Defined { weak }, Origin::Native { object, symbol }) => {
            let elf = objects[object].elf.as_ref().expect("native origin");
            let s = &elf.symbols[symbol];
            let (section, value) = match s.section {
                SymbolSection::Section(k) => match map.place(placement, object, k) {
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
        // A bitcode winner: carry defines it.
        (State::Defined { weak }, _) => (named((if weak { STB_WEAK } else { STB_GLOBAL }) << 4, SymbolSection::Undefined, 0, 0), None),
        (State::Common { size, align }, _) => (named((STB_GLOBAL << 4) | STT_OBJECT, SymbolSection::Common, align, size), None),
        (State::Undefined, origin) => {
            let kind = match origin {
                Origin::Native { object, symbol } => objects[object].elf.as_ref().map_or(STT_NOTYPE, |e| e.symbols[symbol].kind()),
                _ => STT_NOTYPE,
            };
            let binding = if g.strong_ref { STB_GLOBAL } else { STB_WEAK };
            (named((binding << 4) | kind, SymbolSection::Undefined, 0, 0), None)
        }
    }
}

/// Maps input symbols to output symbols.
pub(super) struct Mapper<'m, 'a> {
    pub(super) objects: &'m [Object<'a>],
    pub(super) table: &'m Table,
    pub(super) map: &'m SymbolMap,
}

impl Mapper<'_, '_> {
    /// The output symbol input symbol `j` of object `oi` maps to, with the addend to add when it
    /// was a section symbol; `None` when it is gone (its section was discarded): a relocation
    /// against it becomes `R_*_NONE`.
    pub(super) fn map(&self, placement: &Placement, oi: usize, j: usize) -> Option<(usize, i64)> {
        let elf = self.objects[oi].elf.as_ref()?;
        let s = &elf.symbols[j];
        if s.kind() == STT_SECTION {
            let SymbolSection::Section(k) = s.section else { return None };
            return match placement[oi].get(k).copied().flatten() {
                Some((out, at)) => Some((self.map.section_symbol[out], if at == u64::MAX { 0 } else { at as i64 })),
                None => self.map.group_index.get(&(oi, k)).map(|&g| (self.map.group_symbol[g], 0)),
            };
        }
        if s.binding() == STB_LOCAL {
            return self.map.local_map[oi][j].map(|i| (i, 0));
        }
        self.table.position(&s.name).map(|g| (self.map.global_symbols[g], 0))
    }
}
