//! `ld -r`: partial links of ELF relocatable objects that carry LLVM bitcode through, and the
//! preparation of final links for a real LTO linker ([`final_link`]).
//!
//! The partial link is its own pipeline, in the order of its submodules:
//! [`load`] (inputs found by [`search`], archives, groups, `-u`, with symbol resolution in
//! [`crate::resolve`] as members are pulled: one entry per global name) → [`merge`] (COMDAT
//! deduplication, output sections, `.eh_frame`, commons, symbols, relocations,
//! groups, notes, each a named pass; messages worded by [`diagnostics`]) → [`carry`] (the
//! bitcode: `.llvmbc`, `.tl.summary`, the mirror and the guard) → [`crate::elf::write`].
//!
//! Contract (GNU ld 2.40's `-r`, checked by the acceptance tests against it):
//! - the output is an `ET_REL` for the inputs' machine; sections are merged only when their
//!   names are equal (and their groups and `SHF_LINK_ORDER` targets too), in input order, each
//!   input placed at its alignment; the output's alignment is the largest; flags are or-ed;
//!   `SHF_MERGE` sections are concatenated, not merged;
//! - relocations are kept: their offsets are moved with their section, symbol indices renumbered,
//!   and relocations against a section symbol get the input section's offset added to their
//!   addend (RELA) or to the addend stored in place (REL, i386);
//! - globals are resolved across inputs: a definition satisfies undefined references elsewhere;
//!   a strong definition beats a common, which beats a weak definition; two strong definitions
//!   are an error naming both, as GNU's "multiple definition" is (unless
//!   `--allow-multiple-definition`: the first wins); commons keep the largest size and alignment
//!   and stay common unless `-d` (`--warn-common` reports where they meet, in GNU's words); the
//!   most constraining visibility wins; a name left undefined stays undefined
//!   (weak only if every reference is weak); locals and file symbols are kept;
//! - archives: a member is loaded only to define a symbol that is undefined at that point (or
//!   common, by a real definition), repeatedly until nothing more is needed; `--whole-archive`
//!   loads every member; `--start-group … --end-group` repeats its archives until nothing more
//!   is loaded; thin and empty archives are fine;
//! - COMDAT groups: the first group of a signature wins; the sections of later ones are
//!   discarded, their relocation sections with them; relocations elsewhere against symbols of
//!   discarded sections become `R_*_NONE` against symbol 0 (as GNU does); `.eh_frame` is rebuilt
//!   from its CIEs and FDEs without the FDEs of discarded code and the CIEs left unused;
//! - `.note.GNU-stack`: the output asks for an executable stack if an input does or if a native
//!   input has no such note (with GNU's warnings), unless `-z noexecstack`/`-z execstack`;
//! - bitcode (raw, wrapped, multi-module, or a previous partial link's output) is not compiled:
//!   its modules are carried into the output's `.llvmbc` in LLVM's multi-module layout, their
//!   summary records into `.tl.summary`, and their symbols take part in resolution like native
//!   ones; the output mirrors the symbols whose winning definition is bitcode (see
//!   [`crate::wrapped`]) and carries the guard.

pub mod carry;
mod defsym;
pub mod diagnostics;
pub mod final_link;
pub mod load;
pub mod merge;
pub mod options;
pub(crate) mod script;
pub mod search;
mod strip;

pub use options::{Discard, InputSpec, Linked, Options, PropertyOptions, Report, Strip};

use crate::error::Result;

/// Runs a partial link (`ld -r`) and gives the result to `emit` (which borrows the inputs'
/// bytes: it prints the warnings and calls [`Linked::write`]).
pub fn relocatable<R>(opts: &Options, emit: impl FnOnce(&Linked<'_>) -> R) -> Result<R> {
    // An unknown `-m` is an error before anything is read, as in GNU ld.
    if opts.emulation.is_some() {
        merge::emulation_machine(opts.emulation.as_deref())?;
    }
    let script = script::load(&opts.scripts, &opts.search_dirs).map_err(|m| crate::error::Error::Link { messages: vec![m] })?;
    // A script's SEARCH_DIRs are searched after -L's; FORCE_COMMON_ALLOCATION is -d.
    let with_script;
    let opts = match &script {
        Some(sc) if !sc.search_dirs.is_empty() || sc.common_allocation.is_some() => {
            let mut o = opts.clone();
            o.search_dirs.extend(sc.search_dirs.iter().map(std::path::PathBuf::from));
            o.define_common = sc.common_allocation.unwrap_or(o.define_common);
            with_script = o;
            &with_script
        }
        _ => opts,
    };
    let files = load::open_inputs(opts)?;
    let archives = load::parse_archives(&files)?;
    let mut warnings = Vec::new();
    // (`-e SYMBOL` also asks for the symbol, as `-u` does.)
    let with_entry;
    let load_opts = match &opts.entry {
        Some(e) if !opts.undefined.contains(e) => {
            with_entry = Options { undefined: [opts.undefined.clone(), vec![e.clone()]].concat(), ..opts.clone() };
            &with_entry
        }
        _ => opts,
    };
    let loaded = load::load(load_opts, &files, &archives)?;
    if !opts.wrap.is_empty() && loaded.objects.iter().any(|o| o.bitcode.is_some()) {
        return Err(crate::error::Error::Link { messages: vec!["--wrap with bitcode inputs: not supported with -r yet".into()] });
    }
    let mut out = merge::merge(&loaded.objects, &loaded.table, opts, script.as_ref(), &mut warnings)?;
    if let Some(sc) = &script {
        script::check_output(sc, out.obj.e_machine, out.obj.is_64, out.obj.big_endian)
            .map_err(|m| crate::error::Error::Link { messages: vec![m] })?;
    }
    carry::carry(&loaded.objects, &loaded.table, &mut out)?;
    defsym::apply(&mut out.obj, &opts.defsym).map_err(|m| crate::error::Error::Link { messages: vec![m] })?;
    set_entry(&mut out.obj, opts.entry.as_deref(), script.as_ref().and_then(|s| s.entry.as_deref()), &mut warnings);
    strip::apply(&mut out.obj, opts.strip, opts.discard);
    if opts.stt_common {
        for s in out.obj.symbols.iter_mut().filter(|s| s.section == crate::elf::SymbolSection::Common) {
            s.st_info = (s.st_info & 0xf0) | crate::elf::consts::STT_COMMON;
        }
    }
    if let Some(method) = opts.compress_debug {
        crate::elf::compress::compress_debug_sections(&mut out.obj, Some(method))
            .map_err(|e| crate::error::Error::Link { messages: vec![e] })?;
    }
    let trace = if opts.trace > 0 { loaded.trace.clone() } else { Vec::new() };
    let linked = Linked { obj: out.obj, warnings, trace };
    let result = emit(&linked);
    if opts.exiting {
        // The process ends next: its memory goes back to the OS at once, rather than in the
        // hundreds of thousands of frees that dropping every input's model takes (lld does
        // the same): several milliseconds of a link of libc.a's members.
        std::mem::forget(linked);
        std::mem::forget(loaded);
        std::mem::forget(archives);
        std::mem::forget(files);
    }
    Ok(result)
}

/// `e_entry`, as GNU ld sets it in a partial link too: the address of `-e`'s symbol, else of
/// the script's `ENTRY`, else of `_start`, when defined; only an undefined `-e` is reported.
fn set_entry(obj: &mut crate::elf::ElfObject<'_>, option: Option<&[u8]>, script: Option<&str>, warnings: &mut Vec<String>) {
    let name: &[u8] = option.or(script.map(str::as_bytes)).unwrap_or(b"_start");
    let defined = obj.symbols.iter().find(|s| {
        s.name.as_ref() == name && !matches!(s.section, crate::elf::SymbolSection::Undefined | crate::elf::SymbolSection::Common)
    });
    match defined {
        Some(s) => {
            let base = match s.section {
                crate::elf::SymbolSection::Section(k) => obj.sections.get(k).map_or(0, |sec| sec.sh_addr),
                _ => 0,
            };
            obj.e_entry = s.value.wrapping_add(base);
        }
        None if option.is_some() => {
            let entry = String::from_utf8_lossy(name);
            warnings.push(format!("warning: cannot find entry symbol {entry}; not setting start address"));
        }
        None => {}
    }
}

impl Linked<'_> {
    /// Writes the output object to `path` atomically, straight from the model (the merged
    /// sections are not assembled into one buffer first); `mode` as [`crate::output::write_atomic`].
    pub fn write(&self, path: &std::path::Path, mode: u32) -> Result<()> {
        crate::elf::write::write_file(&self.obj, path, mode, None, "<output>")
    }

    /// The output object's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::elf::write(&self.obj).map_err(|e| e.at("<output>", None))
    }
}
