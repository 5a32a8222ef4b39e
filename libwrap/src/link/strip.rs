//! `-s`, `-S`, `-x`, `-X` on a partial link's output, as GNU ld -r applies them:
//! - `-S` (`--strip-debug`) and `-s` (`--strip-all`): the debugging sections (BFD's
//!   `SEC_DEBUGGING`), their relocations and section symbols go;
//! - `-x` (`--discard-all`): every local symbol but section symbols goes (file symbols too),
//!   unless a relocation uses it; `-X` (`--discard-locals`): the compiler's local labels
//!   (`.L…`) go, unless a relocation uses them; `-s` discards as `-x` unless `-x`, `-X` or
//!   `--discard-none` is given;
//! - global symbols stay (a partial link's output is linked again).

use super::options::{Discard, Strip};
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, SectionData, SymbolSection};

/// Applies the options to the output (see the module documentation).
pub(crate) fn apply(obj: &mut ElfObject<'_>, strip: Strip, discard: Discard) {
    if strip == Strip::None && discard == Discard::None {
        return;
    }
    let mut keep_sections: Vec<bool> =
        obj.sections.iter().map(|s| strip == Strip::None || !crate::bfd::is_debugging_section(&s.name, s.sh_type, s.sh_flags)).collect();
    for (k, s) in obj.sections.iter().enumerate() {
        if let (SectionData::Relocations { .. }, Info::Section(t)) = (&s.data, &s.info)
            && !keep_sections[*t]
        {
            keep_sections[k] = false;
        }
    }
    let mut used = vec![false; obj.symbols.len()];
    for (k, s) in obj.sections.iter().enumerate() {
        if let SectionData::Relocations { relocs, .. } = &s.data
            && keep_sections[k]
        {
            relocs.iter().filter_map(|r| r.symbol).for_each(|j| used[j] = true);
        }
    }
    // `-s` discards the locals as `-x` does, unless `-x`/`-X` says otherwise.
    let discard = if strip == Strip::All && discard == Discard::None { Discard::All } else { discard };
    let keep_symbols: Vec<bool> = obj
        .symbols
        .iter()
        .enumerate()
        .map(|(j, s)| {
            let in_kept = match s.section {
                SymbolSection::Section(k) => keep_sections[k],
                _ => true,
            };
            let local = s.binding() == STB_LOCAL && s.kind() != STT_SECTION;
            let discarded = local
                && !used[j]
                && match discard {
                    Discard::All => true,
                    Discard::Locals => s.name.starts_with(b".L"),
                    Discard::None | Discard::Nothing => false,
                };
            in_kept && !discarded
        })
        .collect();
    obj.retain(&keep_sections, &keep_symbols);
}
