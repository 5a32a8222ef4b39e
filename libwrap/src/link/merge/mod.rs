//! The native half of a partial link, in one ELF model (see the contract in [`crate::link`]),
//! as named passes in the order they run:
//! 1. [`crate::link::diagnostics::check`]: multiple definitions, `--warn-common`, warning symbols;
//! 2. `output_header`: the output's machine (the first native input's, or `-m`'s), inputs checked
//!    against it;
//! 3. [`sections`] (or [`script_layout`] with `-T`): output sections, kept groups, where each input section goes, `.note.GNU-stack`,
//!    the merged `.note.gnu.property` ([`properties`]);
//! 4. [`commons`]: with `-d`, the `.bss` that commons get space in;
//! 5. [`symbols`]: section symbols, locals, one symbol per global name (then `-d`'s commons are
//!    allocated);
//! 6. [`eh_frame`]: `.eh_frame` rebuilt without the FDEs of discarded code;
//! 7. [`relocs`]: relocations moved, renumbered and adjusted;
//! 8. [`materialize`]: groups, sections, relocation sections and symbols into the model.
//!
//! Bitcode winners get an output symbol here that [`crate::link::carry`] defines.

mod commons;
mod eh_frame;
mod materialize;
mod properties;
mod relocs;
mod script_layout;
mod sections;
mod symbols;

use super::diagnostics;
use super::load::Object;
use super::options::Options;
use super::script::Script;
use crate::elf::ElfObject;
use crate::elf::target::{EMULATIONS, machine_name};
use crate::error::{Error, Result};
use crate::resolve::Table;

/// The output being built.
pub(crate) struct Output<'a> {
    /// The model.
    pub(crate) obj: ElfObject<'a>,
    /// For each entry of the resolution table, its output symbol.
    pub(crate) global_symbols: Vec<usize>,
    /// The machine came from a native input (bitcode must then match it).
    pub(crate) native_machine: bool,
}

/// Builds the native output (see the module documentation).
pub(crate) fn merge<'a>(
    objects: &[Object<'a>],
    table: &Table,
    opts: &Options,
    script: Option<&Script>,
    warnings: &mut Vec<String>,
) -> Result<Output<'a>> {
    diagnostics::check(objects, table, opts, warnings)?;
    let (mut obj, native_machine) = output_header(objects, opts)?;
    let mut layout = match script {
        Some(script) => {
            let layout = script_layout::place(objects, opts, script, obj.e_machine, warnings)?;
            script_layout::check_discarded_references(objects, table, &layout)?;
            layout
        }
        None => sections::place(objects, opts, obj.e_machine, warnings)?,
    };
    let bss = commons::bss_section(&mut layout, table, opts);
    let (mut list, map) = symbols::build(objects, table, &layout);
    if let Some(bss) = bss {
        commons::allocate(&mut layout, bss, &mut list, table)?;
    }
    let mapper = symbols::Mapper { objects, table, map: &map };
    let eh_inputs = eh_frame::rebuild_into(objects, &mut layout, &mapper, obj.big_endian)?;
    if script.is_some() {
        script_layout::assign_addresses(&mut layout)?;
    }
    relocs::copy(objects, &mut layout, &mapper, &eh_inputs, obj.e_machine)?;
    materialize::write(&mut obj, objects, layout, list, &mapper);
    Ok(Output { obj, global_symbols: map.global_symbols.clone(), native_machine })
}

/// The output's machine: the first native input's (with its OS ABI, GNU/Linux if any input's
/// is), else `-m`'s; every native input must match it.
fn output_header<'a>(objects: &[Object<'a>], opts: &Options) -> Result<(ElfObject<'a>, bool)> {
    let first = objects.iter().find_map(|o| o.elf.as_ref().filter(|e| !e.sections.is_empty() || !e.symbols.is_empty()));
    let mut obj = match first {
        Some(f) => {
            let mut obj = ElfObject::new_relocatable(f.is_64, f.big_endian, f.e_machine, f.e_flags);
            obj.os_abi = f.os_abi;
            obj.abi_version = f.abi_version;
            obj
        }
        None => {
            let (m, is_64, be) = emulation_machine(opts.emulation.as_deref())?;
            ElfObject::new_relocatable(is_64, be, m, 0)
        }
    };
    for o in objects {
        let Some(e) = &o.elf else { continue };
        if e.sections.is_empty() && e.symbols.is_empty() {
            continue;
        }
        if (e.e_machine, e.is_64, e.big_endian) != (obj.e_machine, obj.is_64, obj.big_endian) {
            return Err(Error::Link {
                messages: vec![format!(
                    "{} architecture of input file `{}' is incompatible with {} output",
                    machine_name(e.e_machine, e.is_64),
                    o.name,
                    machine_name(obj.e_machine, obj.is_64)
                )],
            });
        }
        if e.os_abi == 3 {
            obj.os_abi = 3;
        }
    }
    Ok((obj, first.is_some()))
}

/// The machine of `-m EMULATION` (for outputs without native inputs): `(e_machine, ELFCLASS64,
/// big-endian)`.
pub(crate) fn emulation_machine(emulation: Option<&str>) -> Result<(u16, bool, bool)> {
    let name = emulation.unwrap_or("elf_x86_64");
    match EMULATIONS.iter().find(|e| e.0 == name) {
        Some(&(_, m, is_64, be)) => Ok((m, is_64, be)),
        None => {
            let supported: Vec<&str> = EMULATIONS.iter().map(|e| e.0).collect();
            Err(Error::Link {
                messages: vec![format!("unrecognised emulation mode: {name}\nSupported emulations: {}", supported.join(" "))],
            })
        }
    }
}
