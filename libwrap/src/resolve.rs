//! Symbol resolution: one entry per global name across every loaded object, native or bitcode,
//! built as objects are loaded (archive members are pulled by what is undefined at that point).
//! Partial links resolve their inputs with it, and a wrapped object's mirror resolves its
//! modules with it.
//!
//! Rules (GNU ld's, for `-r`): a definition satisfies undefined references; a strong definition
//! beats a weak one (the first weak one stays among weak ones; `STB_GNU_UNIQUE` counts as weak
//! here); a strong definition beats a common, and a common beats a weak definition (ELF's rule
//! in GNU ld); two strong definitions are a duplicate; commons
//! merge to the largest size and alignment; a name nobody defines stays undefined, weak only when
//! every reference is weak; the most constraining visibility of all mentions wins.

use rustc_hash::FxHashMap;

use crate::bitcode::irsymtab::flag;
use crate::bitcode::symtab::IrSym;
use crate::elf::consts::*;
use crate::elf::{ElfObject, SymbolSection};

/// Where a symbol comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Symbol `symbol` (model index) of the native part of object `object`.
    Native {
        /// Object index.
        object: usize,
        /// Symbol index in its ELF model.
        symbol: usize,
    },
    /// Symbol `symbol` of module `module` of the bitcode of object `object`.
    Bitcode {
        /// Object index.
        object: usize,
        /// Module index in the object's bitcode.
        module: usize,
        /// Symbol index in the module's symbol list.
        symbol: usize,
    },
    /// `-u` on the command line.
    CommandLine,
}

/// What a global name resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Nobody defines it.
    Undefined,
    /// Common: the largest size and alignment seen.
    Common {
        /// Size.
        size: u64,
        /// Alignment.
        align: u64,
    },
    /// Defined.
    Defined {
        /// The winning definition is weak (or unique).
        weak: bool,
    },
}

/// One global name.
#[derive(Clone, Debug)]
pub(crate) struct Global {
    /// The name.
    pub(crate) name: Vec<u8>,
    /// What it resolved to.
    pub(crate) state: State,
    /// The winning definition (or common); for an undefined name, its first mention.
    pub(crate) origin: Origin,
    /// Some undefined reference is strong (pulls archive members; keeps the result strong).
    pub(crate) strong_ref: bool,
    /// Most constraining visibility seen (`STV_*`).
    pub(crate) visibility: u8,
}

/// How one mention of a name looks to resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mention {
    /// An undefined reference.
    Undefined {
        /// Weak reference.
        weak: bool,
    },
    /// A common symbol.
    Common {
        /// Size.
        size: u64,
        /// Alignment.
        align: u64,
    },
    /// A definition.
    Defined {
        /// Weak (or unique) definition.
        weak: bool,
    },
}

/// Two strong definitions of one name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Duplicate {
    /// The name.
    pub(crate) name: Vec<u8>,
    /// The definition kept.
    pub(crate) first: Origin,
    /// The one that clashed.
    pub(crate) second: Origin,
}

/// A common symbol meeting another common or a definition (what `--warn-common` reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CommonEvent {
    /// The name.
    pub(crate) name: Vec<u8>,
    /// What happened, in GNU ld's words.
    pub(crate) kind: CommonKind,
    /// The mention that met the earlier one.
    pub(crate) new: Origin,
    /// The earlier definition or (largest) common.
    pub(crate) old: Origin,
}

/// The cases of [`CommonEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommonKind {
    /// A definition after a common.
    DefinitionOverridesCommon,
    /// A common after a definition.
    CommonOverriddenByDefinition,
    /// A common larger than the earlier one.
    LargerCommon,
    /// A common smaller than the earlier one.
    SmallerCommon,
    /// Two commons of one size.
    SameCommon,
}

/// The resolution table.
#[derive(Debug, Default)]
pub(crate) struct Table {
    /// Entries in order of first mention.
    pub(crate) globals: Vec<Global>,
    index: FxHashMap<Vec<u8>, usize>,
    /// Duplicate strong definitions found so far.
    pub(crate) duplicates: Vec<Duplicate>,
    /// Commons that met other commons or definitions, in the order they did.
    pub(crate) common_events: Vec<CommonEvent>,
}

/// Constraint rank of a visibility: default < protected < hidden < internal.
fn rank(v: u8) -> u8 {
    match v {
        STV_INTERNAL => 3,
        STV_HIDDEN => 2,
        STV_PROTECTED => 1,
        _ => 0,
    }
}

impl Table {
    /// The entry of `name`.
    pub(crate) fn get(&self, name: &[u8]) -> Option<&Global> {
        self.index.get(name).map(|&i| &self.globals[i])
    }

    /// The index of `name`'s entry.
    pub(crate) fn position(&self, name: &[u8]) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// True when `name` is wanted from an archive: undefined and strongly referenced.
    pub(crate) fn wants(&self, name: &[u8]) -> bool {
        self.get(name).is_some_and(|g| g.state == State::Undefined && g.strong_ref)
    }

    /// True when `name` is common (an archive member with a real definition replaces it).
    pub(crate) fn is_common(&self, name: &[u8]) -> bool {
        self.get(name).is_some_and(|g| matches!(g.state, State::Common { .. }))
    }

    /// Records one mention of `name`.
    pub(crate) fn mention(&mut self, name: &[u8], m: Mention, visibility: u8, origin: Origin) {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.globals.push(Global {
                    name: name.to_vec(),
                    state: State::Undefined,
                    origin,
                    strong_ref: false,
                    visibility: STV_DEFAULT,
                });
                self.index.insert(name.to_vec(), self.globals.len() - 1);
                self.globals.len() - 1
            }
        };
        let g = &mut self.globals[i];
        if rank(visibility) > rank(g.visibility) {
            g.visibility = visibility;
        }
        match m {
            Mention::Undefined { weak } => {
                if !weak {
                    g.strong_ref = true;
                }
            }
            Mention::Common { size, align } => match g.state {
                State::Undefined => {
                    g.state = State::Common { size, align };
                    g.origin = origin;
                }
                State::Common { size: s, align: a } => {
                    let kind = match size.cmp(&s) {
                        std::cmp::Ordering::Greater => CommonKind::LargerCommon,
                        std::cmp::Ordering::Less => CommonKind::SmallerCommon,
                        std::cmp::Ordering::Equal => CommonKind::SameCommon,
                    };
                    self.common_events.push(CommonEvent { name: name.to_vec(), kind, new: origin, old: g.origin });
                    if size > s {
                        g.origin = origin;
                    }
                    g.state = State::Common { size: size.max(s), align: align.max(a) };
                }
                // In ELF a common beats a weak definition (GNU ld, silently).
                State::Defined { weak: true } => {
                    g.state = State::Common { size, align };
                    g.origin = origin;
                }
                State::Defined { weak: false } => {
                    let kind = CommonKind::CommonOverriddenByDefinition;
                    self.common_events.push(CommonEvent { name: name.to_vec(), kind, new: origin, old: g.origin });
                }
            },
            Mention::Defined { weak } => match g.state {
                State::Common { .. } if weak => {}
                State::Common { .. } => {
                    let kind = CommonKind::DefinitionOverridesCommon;
                    self.common_events.push(CommonEvent { name: name.to_vec(), kind, new: origin, old: g.origin });
                    g.state = State::Defined { weak };
                    g.origin = origin;
                }
                State::Undefined => {
                    g.state = State::Defined { weak };
                    g.origin = origin;
                }
                State::Defined { weak: true } if !weak => {
                    g.state = State::Defined { weak: false };
                    g.origin = origin;
                }
                State::Defined { weak: false } if !weak => {
                    self.duplicates.push(Duplicate { name: name.to_vec(), first: g.origin, second: origin });
                }
                State::Defined { .. } => {}
            },
        }
    }

    /// Records every global symbol of a native object. Symbols defined in `discarded` sections
    /// (COMDAT groups lost to an earlier copy) count as references.
    pub(crate) fn add_native(&mut self, object: usize, obj: &ElfObject<'_>, discarded: &[bool]) {
        for (j, s) in obj.symbols.iter().enumerate() {
            let binding = s.binding();
            if binding == STB_LOCAL {
                continue;
            }
            let weak = binding == STB_WEAK;
            let m = match s.section {
                SymbolSection::Undefined => Mention::Undefined { weak },
                SymbolSection::Common => Mention::Common { size: s.size, align: s.value.max(1) },
                SymbolSection::Section(k) if discarded.get(k).copied().unwrap_or(false) => Mention::Undefined { weak: true },
                _ => Mention::Defined { weak: weak || binding == STB_GNU_UNIQUE },
            };
            self.mention(&s.name, m, s.visibility(), Origin::Native { object, symbol: j });
        }
    }

    /// Records every global symbol of a bitcode module.
    pub(crate) fn add_bitcode(&mut self, object: usize, module: usize, symbols: &[IrSym]) {
        for (j, s) in symbols.iter().enumerate() {
            if !s.has(flag::GLOBAL) || s.format_specific() {
                continue;
            }
            let weak = s.has(flag::WEAK);
            let m = if s.has(flag::UNDEFINED) {
                Mention::Undefined { weak }
            } else if s.has(flag::COMMON) {
                Mention::Common { size: s.common_size.unwrap_or(0), align: u64::from(s.common_align.unwrap_or(1).max(1)) }
            } else {
                Mention::Defined { weak }
            };
            self.mention(&s.name, m, s.elf_visibility(), Origin::Bitcode { object, module, symbol: j });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const O: Origin = Origin::CommandLine;

    #[test]
    fn strong_beats_weak_beats_common_and_duplicates_are_reported() {
        let mut t = Table::default();
        t.mention(b"f", Mention::Undefined { weak: false }, 0, O);
        assert!(t.wants(b"f"));
        t.mention(b"f", Mention::Common { size: 4, align: 4 }, 0, O);
        t.mention(b"f", Mention::Common { size: 8, align: 2 }, 0, O);
        assert_eq!(t.get(b"f").unwrap().state, State::Common { size: 8, align: 4 });
        t.mention(b"f", Mention::Defined { weak: true }, STV_HIDDEN, O);
        t.mention(b"f", Mention::Defined { weak: false }, 0, O);
        assert_eq!(t.get(b"f").unwrap().state, State::Defined { weak: false });
        assert_eq!(t.get(b"f").unwrap().visibility, STV_HIDDEN);
        assert!(t.duplicates.is_empty());
        t.mention(b"f", Mention::Defined { weak: false }, 0, O);
        assert_eq!(t.duplicates.len(), 1);
        t.mention(b"w", Mention::Undefined { weak: true }, 0, O);
        assert!(!t.wants(b"w"));
    }
}
