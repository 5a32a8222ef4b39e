//! From an LLVM target triple to the ELF identity of a wrapped object: class, byte order,
//! `e_machine` and the `e_flags` a native object of that target carries (so a foreign `ld -r`
//! accepts wrapped objects next to native ones).

use super::consts::*;

/// ELF identity for a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElfTarget {
    /// ELFCLASS64.
    pub(crate) is_64: bool,
    /// Big-endian.
    pub(crate) big_endian: bool,
    /// `e_machine`.
    pub(crate) e_machine: u16,
    /// `e_flags`.
    pub(crate) e_flags: u32,
}

/// EM_LOONGARCH (not in every `object` version's constant list).
pub(crate) const EM_LOONGARCH: u16 = 258;
/// EM_SPARC (32-bit SPARC).
pub(crate) const EM_SPARC: u16 = 2;
/// EM_68K.
pub(crate) const EM_68K: u16 = 4;
/// EM_QDSP6 (Hexagon).
pub(crate) const EM_HEXAGON: u16 = 164;
/// EM_BPF.
pub(crate) const EM_BPF: u16 = 247;

/// The ELF identity for `triple`, or why there is none.
pub(crate) fn for_triple(triple: &str) -> Result<ElfTarget, String> {
    let mut parts = triple.split('-');
    let arch = parts.next().unwrap_or("");
    // The other components, without allocating (triples have at most four).
    let mut components = [""; 8];
    let mut n = 0;
    for p in parts {
        components[n.min(7)] = p;
        n += 1;
    }
    let rest = &components[..n.min(8)];
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
        // EF_MIPS_NOREORDER | EF_MIPS_PIC | EF_MIPS_CPIC, o32 and MIPS32r2 / n64 and MIPS64r2:
        // what clang's objects for these triples carry (GNU tools check the ABI bits).
        "mips" | "mipsel" => t(false, arch == "mips", EM_MIPS.0, 0x7000_1007),
        // (object's writer gives little-endian MIPS64 its relocation layout from e_machine.)
        "mips64" | "mips64el" => t(true, arch == "mips64", EM_MIPS.0, 0x8000_0007),
        "sparc" => t(false, true, EM_SPARC, 0),
        "sparcel" => t(false, false, EM_SPARC, 0),
        "m68k" => t(false, true, EM_68K, 0),
        // EF_HEXAGON_MACH_V60, clang's default CPU.
        "hexagon" => t(false, false, EM_HEXAGON, 0x60),
        "bpf" | "bpfel" => t(true, false, EM_BPF, 0),
        "bpfeb" => t(true, true, EM_BPF, 0),
        "" => Err("bitcode has no target triple".to_string()),
        other => Err(format!("no ELF mapping for architecture {other} (triple {triple})")),
    }
}

/// Why modules have no one ELF identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TargetConflict<'t, K> {
    /// A module's triple has no ELF mapping (the message says why), with its key.
    Unmapped(String, K),
    /// Two triples map to different identities: (triple, key) of the first and of the other.
    Differ {
        /// The first module's triple and key.
        first: (&'t str, K),
        /// The module that disagrees.
        second: (&'t str, K),
    },
}

/// The ELF identity that every `(triple, key)` maps to, with the first triple and key; `None`
/// when there is no triple. The key identifies a module in the caller's messages.
pub(crate) fn agreed<'t, K: Clone>(
    triples: impl IntoIterator<Item = (&'t str, K)>,
) -> Result<Option<(ElfTarget, &'t str, K)>, TargetConflict<'t, K>> {
    let mut found: Option<(ElfTarget, &'t str, K)> = None;
    let mut last: Option<(&'t str, ElfTarget)> = None;
    for (triple, key) in triples {
        let t = match last {
            Some((l, t)) if l == triple => t,
            _ => for_triple(triple).map_err(|e| TargetConflict::Unmapped(e, key.clone()))?,
        };
        last = Some((triple, t));
        match &found {
            Some((f, ft, fk)) if *f != t => {
                return Err(TargetConflict::Differ { first: (ft, fk.clone()), second: (triple, key) });
            }
            None => found = Some((t, triple, key)),
            _ => {}
        }
    }
    Ok(found)
}

/// The absolute-address relocation of a machine, as `(r_type, width in bytes, RELA)`: what the
/// guard of a wrapped object is referenced with.
pub(crate) fn abs_reloc(e_machine: u16, is_64: bool) -> Option<(u32, u64, bool)> {
    Some(match e_machine {
        m if m == EM_X86_64.0 && is_64 => (1, 8, true),
        m if m == EM_X86_64.0 => (10, 4, true),
        m if m == EM_386.0 => (1, 4, false),
        m if m == EM_AARCH64.0 => (257, 8, true),
        m if m == EM_ARM.0 => (2, 4, false),
        m if m == EM_RISCV.0 && is_64 => (2, 8, true),
        m if m == EM_RISCV.0 => (1, 4, true),
        m if m == EM_PPC64.0 => (38, 8, true),
        m if m == EM_PPC.0 => (1, 4, true),
        m if m == EM_S390.0 => (22, 8, true),
        m if m == EM_SPARCV9.0 => (32, 8, true),
        m if m == EM_LOONGARCH => (2, 8, true),
        m if m == EM_MIPS.0 && is_64 => (18, 8, true), // R_MIPS_64 (big-endian n64 only)
        m if m == EM_MIPS.0 => (2, 4, false),          // R_MIPS_32
        m if m == EM_SPARC => (3, 4, true),            // R_SPARC_32
        m if m == EM_68K => (1, 4, true),              // R_68K_32
        m if m == EM_HEXAGON => (6, 4, true),          // R_HEX_32
        m if m == EM_BPF => (2, 8, false),             // R_BPF_64_ABS64
        _ => return None,
    })
}

/// GNU's name of a machine (BFD's `printable_name`), for messages.
pub(crate) fn machine_name(e_machine: u16, is_64: bool) -> String {
    match e_machine {
        m if m == EM_X86_64.0 && is_64 => "i386:x86-64".into(),
        m if m == EM_X86_64.0 => "i386:x64-32".into(),
        m if m == EM_386.0 => "i386".into(),
        m if m == EM_AARCH64.0 => "aarch64".into(),
        m if m == EM_ARM.0 => "arm".into(),
        m if m == EM_RISCV.0 => "riscv".into(),
        m if m == EM_PPC64.0 => "powerpc:common64".into(),
        m if m == EM_S390.0 => "s390:64-bit".into(),
        m => format!("machine {m}"),
    }
}

/// GNU ld's emulations tl knows, with their machine: `(name, e_machine, ELFCLASS64, big-endian)`.
pub(crate) const EMULATIONS: &[(&str, u16, bool, bool)] = &[
    ("elf_x86_64", EM_X86_64.0, true, false),
    ("elf32_x86_64", EM_X86_64.0, false, false),
    ("elf_i386", EM_386.0, false, false),
    ("aarch64linux", EM_AARCH64.0, true, false),
    ("aarch64elf", EM_AARCH64.0, true, false),
    ("armelf_linux_eabi", EM_ARM.0, false, false),
    ("armelf", EM_ARM.0, false, false),
    ("elf64lriscv", EM_RISCV.0, true, false),
    ("elf64lppc", EM_PPC64.0, true, false),
];

/// An ARM (`$a`, `$t`, `$d`) or AArch64 (`$x`, `$d`) mapping symbol, alone or followed by
/// `.` and anything.
pub(crate) fn is_mapping_symbol(e_machine: u16, name: &[u8]) -> bool {
    let kinds: &[u8] = match e_machine {
        m if m == EM_ARM.0 => b"atd",
        m if m == EM_AARCH64.0 => b"xd",
        _ => return false,
    };
    matches!(name, [b'$', k, rest @ ..] if kinds.contains(k) && (rest.is_empty() || rest[0] == b'.'))
}
