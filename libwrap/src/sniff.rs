//! What a buffer holds, decided by content (never by file name).

use crate::archive;
use crate::bitcode::container;
use crate::elf::{ElfObject, consts::*};

/// The kind of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF file.
    Elf,
    /// An archive (`!<arch>` or thin `!<thin>`).
    Archive {
        /// Thin archive.
        thin: bool,
    },
    /// Raw LLVM bitcode.
    Bitcode {
        /// Starts with the `0x0B17C0DE` wrapper header.
        wrapper: bool,
    },
    /// Anything else.
    Unknown,
}

/// Sniffs the first bytes.
pub fn sniff(data: &[u8]) -> FileKind {
    if crate::elf::read::is_elf(data) {
        FileKind::Elf
    } else if data.starts_with(archive::MAGIC) {
        FileKind::Archive { thin: false }
    } else if data.starts_with(archive::THIN_MAGIC) {
        FileKind::Archive { thin: true }
    } else if data.starts_with(&container::MAGIC) {
        FileKind::Bitcode { wrapper: false }
    } else if data.starts_with(&container::WRAPPER_MAGIC) {
        FileKind::Bitcode { wrapper: true }
    } else {
        FileKind::Unknown
    }
}

/// What an ELF file carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfKind {
    /// Native code only.
    Native,
    /// A tl wrapped object (`.llvmbc` + mirrored symbols + `.tl.summary`).
    Wrapped,
    /// clang `-fembed-bitcode`: native code plus `.llvmbc` (flags 0) and `.llvmcmd`.
    EmbeddedBitcode,
    /// clang `-ffat-lto-objects`: native code plus `.llvm.lto`.
    FatLto,
    /// rustc object: native code plus `.llvmbc` marked SHF_EXCLUDE.
    RustcBitcode,
    /// GCC slim LTO object (GIMPLE only, `__gnu_lto_slim`).
    GccLtoSlim,
    /// ELF with an empty `.llvmbc` (`-fembed-bitcode=marker`).
    BitcodeMarker,
}

impl ElfKind {
    /// A short description, for messages and `--info` output.
    pub fn describe(self) -> &'static str {
        match self {
            ElfKind::Native => "native ELF object",
            ElfKind::Wrapped => "tl wrapped bitcode object",
            ElfKind::EmbeddedBitcode => "ELF object with embedded bitcode (-fembed-bitcode)",
            ElfKind::FatLto => "fat LTO object (-ffat-lto-objects)",
            ElfKind::RustcBitcode => "rustc object with embedded bitcode",
            ElfKind::GccLtoSlim => "GCC slim LTO object",
            ElfKind::BitcodeMarker => "ELF object with a bitcode marker (-fembed-bitcode=marker)",
        }
    }

    /// True if the object carries bitcode tl can read.
    pub fn has_bitcode(self) -> bool {
        matches!(self, ElfKind::Wrapped | ElfKind::EmbeddedBitcode | ElfKind::FatLto | ElfKind::RustcBitcode)
    }
}

/// Name of the section holding bitcode in wrapped, embedded and rustc objects.
pub const LLVMBC: &[u8] = b".llvmbc";
/// Name of clang's fat-LTO bitcode section.
pub const LLVM_LTO: &[u8] = b".llvm.lto";

/// Classifies an ELF object.
pub fn classify(obj: &ElfObject<'_>) -> ElfKind {
    if obj.section_by_name(crate::wrapped::SUMMARY_SECTION).is_some()
        || obj.symbols.iter().any(|s| s.name.as_ref() == crate::wrapped::GUARD_SYMBOL)
    {
        return ElfKind::Wrapped;
    }
    if obj.sections.iter().any(|s| s.sh_type == SHT_LLVM_LTO || s.name.as_ref() == LLVM_LTO) {
        return ElfKind::FatLto;
    }
    if let Some(i) = obj.section_by_name(LLVMBC) {
        let s = &obj.sections[i];
        if s.size(obj.is_64) == 0 {
            return ElfKind::BitcodeMarker;
        }
        return if s.sh_flags & SHF_EXCLUDE != 0 { ElfKind::RustcBitcode } else { ElfKind::EmbeddedBitcode };
    }
    if obj.symbols.iter().any(|s| s.name.as_ref() == b"__gnu_lto_slim") {
        return ElfKind::GccLtoSlim;
    }
    ElfKind::Native
}

/// The bitcode an object carries: the `.llvm.lto` sections of a fat object, else every
/// `.llvmbc` section, concatenated in section order (a foreign `ld -r` may leave several when
/// their flags differ). `None` when there is none or all are empty.
pub fn bitcode_section<'o>(obj: &'o ElfObject<'_>) -> Option<std::borrow::Cow<'o, [u8]>> {
    let lto: Vec<&[u8]> =
        obj.sections.iter().filter(|s| s.sh_type == SHT_LLVM_LTO || s.name.as_ref() == LLVM_LTO).filter_map(|s| s.bytes_data()).collect();
    let parts = if lto.is_empty() { sections_named(obj, LLVMBC) } else { lto };
    join(parts)
}

/// Every section called `name`, in order.
pub fn sections_named<'o>(obj: &'o ElfObject<'_>, name: &[u8]) -> Vec<&'o [u8]> {
    obj.sections.iter().filter(|s| s.name.as_ref() == name).filter_map(|s| s.bytes_data()).collect()
}

/// Concatenation of non-empty parts (borrowed when there is one).
pub fn join(parts: Vec<&[u8]>) -> Option<std::borrow::Cow<'_, [u8]>> {
    let parts: Vec<&[u8]> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    match parts.len() {
        0 => None,
        1 => Some(std::borrow::Cow::Borrowed(parts[0])),
        _ => Some(std::borrow::Cow::Owned(parts.concat())),
    }
}
