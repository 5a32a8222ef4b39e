//! GNU's rules (BFD's) for what a symbol of an ELF section is: the section flags BFD gives an
//! ELF section, the letter nm prints for a symbol defined there (`bfd_decode_symclass`,
//! `coff_section_type`), and the target-special symbols nm hides. Reproduced from BFD's
//! `elf.c` (`_bfd_elf_make_section_from_shdr`) and `syms.c`.

use crate::elf::Section;
use crate::elf::consts::*;

/// BFD section flags an ELF section gets (the part letters depend on).
#[derive(Clone, Copy, Debug, Default)]
struct SecFlags {
    code: bool,
    data: bool,
    readonly: bool,
    has_contents: bool,
    debugging: bool,
}

/// True for the sections BFD marks `SEC_DEBUGGING` (recognised by name among non-allocated
/// sections): what `strip --strip-debug` removes.
pub fn is_debugging_section(name: &[u8], sh_type: u32, sh_flags: u64) -> bool {
    sec_flags(name, sh_type, sh_flags).debugging
}

fn sec_flags(name: &[u8], sh_type: u32, sh_flags: u64) -> SecFlags {
    let alloc = sh_flags & SHF_ALLOC != 0;
    let nobits = sh_type == SHT_NOBITS;
    let load = alloc && !nobits;
    let code = sh_flags & SHF_EXECINSTR != 0;
    let debugging = !alloc
        && name.first() == Some(&b'.')
        && (name.starts_with(b".debug")
            || name.starts_with(b".gnu.debuglto_.debug_")
            || name.starts_with(b".gnu.linkonce.wi.")
            || name.starts_with(b".zdebug")
            || name.starts_with(b".line")
            || name.starts_with(b".stab")
            || name == b".gdb_index");
    SecFlags { code, data: !code && load, readonly: sh_flags & SHF_WRITE == 0, has_contents: !nobits, debugging }
}

/// `coff_section_type`: BFD applies it to every format.
fn coff_section_type(name: &[u8]) -> Option<char> {
    for (prefix, c) in [(&b".drectve"[..], 'i'), (b".edata", 'e'), (b".idata", 'i'), (b".pdata", 'p')] {
        if let Some(rest) = name.strip_prefix(prefix) {
            match rest.first() {
                None => return Some(c),
                Some(b) if b".$0123456789".contains(b) => return Some(c),
                _ => {}
            }
        }
    }
    None
}

/// GNU nm's letter (lower case) for a symbol defined in `sec`.
pub(crate) fn section_letter(sec: &Section<'_>) -> char {
    coff_section_type(&sec.name).unwrap_or_else(|| decode_section_type(sec_flags(&sec.name, sec.sh_type, sec.sh_flags)))
}

fn decode_section_type(f: SecFlags) -> char {
    if f.code {
        't'
    } else if f.data {
        if f.readonly { 'r' } else { 'd' }
    } else if !f.has_contents {
        'b'
    } else if f.debugging {
        'N'
    } else if f.readonly {
        'n'
    } else {
        '?'
    }
}

/// Target-special symbols (`bfd_is_target_special_symbol`): mapping symbols of ARM, AArch64
/// and RISC-V (`$a`, `$d`, `$t`, `$x`, optionally followed by `.`).
pub(crate) fn is_special(e_machine: u16, name: &[u8]) -> bool {
    let mapping = |allowed: &[u8]| name.len() >= 2 && name[0] == b'$' && allowed.contains(&name[1]) && (name.len() == 2 || name[2] == b'.');
    match e_machine {
        m if m == EM_ARM.0 => mapping(b"adt"),
        m if m == EM_AARCH64.0 => mapping(b"dx"),
        m if m == EM_RISCV.0 => mapping(b"dx"),
        _ => false,
    }
}
