//! GNU ld's linker script language, as far as relocatable links use it: the syntax tree
//! ([`parse`] builds it, GNU's `file:line: syntax error` on failure) and the expressions
//! ([`expr`]). What the statements do to a partial link is [`crate::link::merge`]'s
//! `script_layout` pass.

mod ast;
pub(crate) mod expr;
mod parse;

pub(crate) use ast::*;
pub(crate) use expr::Expr;
use parse::parse;

/// Reads and parses the `-T` scripts (one script, in order). A script or `INCLUDE`d file is
/// looked for as named, then in the `-L` directories, as GNU's `ldfile_find_command_file`
/// does; GNU's message when none is found.
pub(crate) fn load(paths: &[std::path::PathBuf], search_dirs: &[std::path::PathBuf]) -> Result<Option<Script>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let read = |name: &str| -> Result<(String, Vec<u8>), String> {
        let candidates = std::iter::once(std::path::PathBuf::from(name))
            .chain(search_dirs.iter().filter(|_| !name.starts_with('/')).map(|d| d.join(name)));
        for c in candidates {
            if let Ok(text) = std::fs::read(&c) {
                return Ok((c.to_string_lossy().into_owned(), text));
            }
        }
        Err(format!("cannot open linker script file {name}: No such file or directory"))
    };
    let mut script = Script::default();
    for (i, p) in paths.iter().enumerate() {
        if paths[..i].contains(p) {
            return Err(format!("error: linker script file '{}' appears multiple times", p.display()));
        }
        let (name, text) = read(&p.to_string_lossy())?;
        let one = parse(&name, &text, &read)?;
        if let Some((files, _)) = one.inputs.first() {
            return Err(format!("{name}: INPUT/GROUP in a linker script ({}): not supported with -r yet", files.join(" ")));
        }
        script.sections.extend(one.sections);
        script.top.extend(one.top);
        script.entry = one.entry.or(script.entry);
        script.output_format = one.output_format.or(script.output_format);
        script.search_dirs.extend(one.search_dirs);
        script.output_arch = one.output_arch.or(script.output_arch);
        script.common_allocation = one.common_allocation.or(script.common_allocation);
    }
    Ok(Some(script))
}

/// Whether `OUTPUT_FORMAT`/`OUTPUT_ARCH` name the output's machine (`e_machine`, ELFCLASS64,
/// big-endian), or GNU's message-like refusal: tl writes the inputs' machine only.
pub(crate) fn check_output(script: &Script, e_machine: u16, is_64: bool, big_endian: bool) -> Result<(), String> {
    if let Some(f) = &script.output_format {
        let t = crate::objcopy::binary::BinaryTarget::by_name(f);
        if !t.is_some_and(|t| (t.e_machine == 0 || t.e_machine == e_machine) && t.is_64 == is_64 && t.big_endian == big_endian) {
            return Err(format!("OUTPUT_FORMAT({f}) in a linker script: not the inputs' format; not supported with -r"));
        }
    }
    if let Some(a) = &script.output_arch {
        let machine = match a.as_str() {
            "i386:x86-64" | "i386:x64-32" => Some(crate::elf::consts::EM_X86_64.0),
            "i386" => Some(3),
            "aarch64" => Some(183),
            "arm" => Some(40),
            "riscv" | "riscv:rv64" | "riscv:rv32" => Some(243),
            _ => None,
        };
        if machine != Some(e_machine) {
            return Err(format!("OUTPUT_ARCH({a}) in a linker script: not the inputs' architecture; not supported with -r"));
        }
    }
    Ok(())
}
