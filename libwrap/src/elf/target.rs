//! From an LLVM target triple to the ELF identity of a wrapped object: class, byte order,
//! `e_machine` and the `e_flags` a native object of that target carries (so a foreign `ld -r`
//! accepts wrapped objects next to native ones).

use super::consts::*;

/// ELF identity for a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfTarget {
    /// ELFCLASS64.
    pub is_64: bool,
    /// Big-endian.
    pub big_endian: bool,
    /// `e_machine`.
    pub e_machine: u16,
    /// `e_flags`.
    pub e_flags: u32,
}

/// EM_LOONGARCH (not in every `object` version's constant list).
pub const EM_LOONGARCH: u16 = 258;

/// The ELF identity for `triple`, or why there is none.
pub fn for_triple(triple: &str) -> Result<ElfTarget, String> {
    let mut parts = triple.split('-');
    let arch = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let has = |w: &str| rest.iter().any(|p| p.starts_with(w));
    if has("apple") || has("darwin") || has("macos") || has("ios") || has("tvos") || has("watchos") {
        return Err(format!("target {triple} is Mach-O, not ELF"));
    }
    if has("windows") || has("win32") || has("mingw") || has("cygwin") || has("msvc") {
        return Err(format!("target {triple} is COFF, not ELF"));
    }
    let env_last = rest.last().copied().unwrap_or("");
    let t = |is_64, big_endian, e_machine, e_flags| Ok(ElfTarget { is_64, big_endian, e_machine, e_flags });
    match arch {
        "x86_64" | "amd64" => t(!env_last.ends_with("x32"), false, EM_X86_64.0, 0),
        "i386" | "i486" | "i586" | "i686" | "x86" => t(false, false, EM_386.0, 0),
        "aarch64" | "arm64" => t(true, false, EM_AARCH64.0, 0),
        "aarch64_be" => t(true, true, EM_AARCH64.0, 0),
        a if a.starts_with("arm") || a.starts_with("thumb") => {
            let big = a.ends_with("eb");
            // EF_ARM_EABI_VER5 | (hard-float ABI ? EF_ARM_ABI_FLOAT_HARD : EF_ARM_ABI_FLOAT_SOFT)
            let float = if env_last.ends_with("hf") { 0x400 } else { 0x200 };
            t(false, big, EM_ARM.0, 0x0500_0000 | float)
        }
        // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE: what a Linux toolchain's objects carry.
        "riscv64" => t(true, false, EM_RISCV.0, 0x5),
        "riscv32" => t(false, false, EM_RISCV.0, 0x5),
        "ppc64le" | "powerpc64le" => t(true, false, EM_PPC64.0, 2),
        "ppc64" | "powerpc64" => t(true, true, EM_PPC64.0, 0),
        "ppc" | "powerpc" | "ppc32" => t(false, true, EM_PPC.0, 0),
        "ppcle" | "powerpcle" => t(false, false, EM_PPC.0, 0),
        "s390x" | "systemz" => t(true, true, EM_S390.0, 0),
        "sparcv9" | "sparc64" => t(true, true, EM_SPARCV9.0, 0),
        "loongarch64" => t(true, false, EM_LOONGARCH, 0x43),
        "" => Err("bitcode has no target triple".to_string()),
        other => Err(format!("no ELF mapping for architecture {other} (triple {triple})")),
    }
}
