//! GNU objcopy's symbol operations on the symbols of LLVM bitcode: raw bitcode, wrapped
//! objects, the modules of a tl-ld -r output, and archive members of any of them.
//!
//! Each listed global value is classified as BFD would classify the ELF symbol the same
//! source compiles to, and GNU's rules ([`super::edit`]) decide what happens to it; the
//! result goes into the bitcode by [`crate::bitcode::rewrite`]:
//! - a removed symbol (`-N`, `--strip-unneeded`, `-x`, `--strip-unneeded-symbol`) becomes
//!   `private` (its code stays for the module's own references, as the native object keeps
//!   the section contents); a symbol that another value of the module refers to (by the
//!   summary's edges) counts as named in a relocation, so `-N` warns and keeps it, as GNU does
//!   for a global a relocation uses. Undefined symbols are always used;
//! - weakened: `weak` (definitions) or `extern_weak` (declarations); localized: `internal`;
//!   globalized: `external`; renamed: a new name, in every module of the file;
//! - `--set-symbol-visibility`: default, hidden or protected (LLVM has no internal).
//!
//! `-g`, `--strip-unneeded` and `-x` also remove the modules' debug info
//! ([`crate::bitcode::debug_info`]), as GNU's remove debugging sections.
//!
//! Refused, with the symbol named: changing a symbol module-level inline asm defines or names,
//! localizing or removing a definition another module of the same file refers to, and weak or
//! local commons. `-S`/`--strip-all` is refused on bitcode.

use rustc_hash::{FxHashMap, FxHashSet};

use super::edit::{self, Discard, Edits, Strip, SymClass};
use crate::bitcode::container;
use crate::bitcode::debug_info;
use crate::bitcode::rewrite::{self, Binding, Change, Global};
use crate::elf::consts::*;

/// Whether the edits change any symbol (what bitcode needs rewriting for).
pub(crate) fn changes_symbols(e: &Edits) -> bool {
    !e.strip_symbols.is_empty()
        || !e.strip_unneeded_symbols.is_empty()
        || !e.localize_symbols.is_empty()
        || !e.globalize_symbols.is_empty()
        || !e.keep_global_symbols.is_empty()
        || !e.weaken_symbols.is_empty()
        || e.weaken
        || e.localize_hidden
        || !e.redefine.is_empty()
        || e.prefix_symbols.is_some()
        || !e.set_visibility.is_empty()
        || e.strip != Strip::None
        || e.discard != Discard::None
}

fn class(g: &Global) -> SymClass {
    let (weak, local, common) = (g.is_weak(), g.is_local(), g.is_common());
    SymClass { global: !weak && !local && !common && !g.undefined, weak, local, undefined: g.undefined, common, ..SymClass::default() }
}

/// True if `asm` names `symbol` as a whole word.
fn asm_names(asm: &str, symbol: &[u8]) -> bool {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$' | b'@');
    let a = asm.as_bytes();
    let mut from = 0;
    while let Some(k) = a[from..].windows(symbol.len().max(1)).position(|w| w == symbol) {
        let at = from + k;
        let end = at + symbol.len();
        if (at == 0 || !is_ident(a[at - 1])) && (end == a.len() || !is_ident(a[end]) || a[end] == b'@') {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The ELF visibility as LLVM's.
fn llvm_visibility(stv: u8, name: &[u8]) -> Result<u8, String> {
    match stv {
        STV_DEFAULT => Ok(0),
        STV_HIDDEN => Ok(1),
        STV_PROTECTED => Ok(2),
        _ => Err(format!("symbol `{}': LLVM bitcode has no internal visibility", String::from_utf8_lossy(name))),
    }
}

/// The change GNU's rules make to one listed global, if any.
fn change_of(g: &Global, e: &Edits, warnings: &mut Vec<String>) -> Result<Option<Change>, String> {
    let c = class(g);
    let name = edit::renamed(&g.name, e);
    let used = g.undefined || (!c.local && g.referenced);
    let keep = edit::keeps_symbol(&c, &name, used, e, warnings);
    let mut ch = Change { name: (name != g.name).then(|| name.clone()), ..Change::default() };
    if !keep {
        ch.binding = Some(Binding::Removed);
    } else {
        let hidden = g.visibility == 1;
        ch.binding = match edit::new_binding(&c, &name, hidden, e) {
            Some(STB_WEAK) => Some(Binding::Weak),
            Some(STB_LOCAL) => Some(Binding::Local),
            Some(STB_GLOBAL) => Some(Binding::Global),
            _ => None,
        };
        if let Some(v) = edit::new_visibility(&name, e) {
            let v = llvm_visibility(v, &name)?;
            ch.visibility = (v != g.visibility).then_some(v);
        }
    }
    Ok((ch != Change::default()).then_some(ch))
}

/// Applies the symbol operations of `e` to a bitcode buffer; returns the new bitcode (`None`
/// when nothing changes) and GNU's non-fatal errors. `Err` is a refusal (nothing written).
pub(crate) fn copy_bitcode(bc: &[u8], e: &Edits) -> Result<(Option<Vec<u8>>, Vec<String>), String> {
    copy_bitcode_beside(bc, e, &FxHashSet::default())
}

/// [`copy_bitcode`] for bitcode linked with native code that refers to `native_refs`: those
/// definitions cannot be localized or removed either.
pub(crate) fn copy_bitcode_beside(
    bc: &[u8],
    e: &Edits,
    native_refs: &FxHashSet<Vec<u8>>,
) -> Result<(Option<Vec<u8>>, Vec<String>), String> {
    if e.strip == Strip::All {
        return Err("--strip-all on LLVM bitcode would remove every symbol the bitcode defines; not done".into());
    }
    if e.strip == Strip::NonDebug {
        return Err("--only-keep-debug on LLVM bitcode is not supported (its debug info is inside the IR); not done".into());
    }
    // GNU's -g, --strip-unneeded and -x remove debugging sections; here, the IR's debug info.
    let strip_debug = matches!(e.strip, Strip::Debug | Strip::Unneeded) || e.discard == Discard::All;
    let c = container::parse(bc).map_err(|x| x.to_string())?;
    let mut debug = false;
    for m in &c.modules {
        debug |= strip_debug && debug_info::has_debug_info(m).map_err(|x| x.to_string())?;
    }
    if !e.filters_symbols() && e.set_visibility.is_empty() && !debug {
        return Ok((None, Vec::new())); // GNU changes no symbol for these options
    }
    let symbols = rewrite::globals(bc).map_err(|x| x.to_string())?;
    let globals = &symbols.globals;
    let mut warnings = Vec::new();
    let mut changes: FxHashMap<(usize, usize), Change> = FxHashMap::default();
    for g in globals.iter().filter(|g| g.listed) {
        let Some(ch) = change_of(g, e, &mut warnings)? else { continue };
        let shown = String::from_utf8_lossy(&g.name).into_owned();
        let Some(id) = g.value_id else {
            return Err(format!("symbol `{shown}' is defined by module-level inline asm; tl-objcopy does not change asm symbols"));
        };
        if ch.name.is_some() && symbols.asm.get(g.module).is_some_and(|asm| asm_names(asm, &g.name)) {
            return Err(format!("symbol `{shown}' is named in module-level inline asm; renaming it there is not supported yet"));
        }
        if matches!(ch.binding, Some(Binding::Local | Binding::Removed)) && !g.undefined {
            let other_module = globals.iter().any(|o| o.module != g.module && o.name == g.name && o.undefined);
            if other_module || native_refs.contains(&g.name) {
                let by = if other_module { "another module" } else { "the native code" };
                return Err(format!("symbol `{shown}' is referenced by {by} of this file; localizing or removing it is not supported yet"));
            }
        }
        changes.insert((g.module, id), ch);
    }
    if changes.is_empty() && !debug {
        return Ok((None, warnings));
    }
    let out = rewrite::apply(bc, &changes, debug).map_err(|x| x.to_string())?;
    Ok((Some(out), warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asm_names_whole_words() {
        assert!(asm_names(".globl foo\nfoo:", b"foo"));
        assert!(asm_names(".symver foo, foo@VER", b"foo"));
        assert!(!asm_names(".globl foobar", b"foo"));
        assert!(!asm_names(".globl _foo", b"foo"));
    }
}
