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

/// The bitcode section of an object that carries bitcode: `.llvm.lto` for fat objects, else
/// `.llvmbc`.
pub fn bitcode_section<'o>(obj: &'o ElfObject<'_>) -> Option<&'o [u8]> {
    let i = obj
        .sections
        .iter()
        .position(|s| s.sh_type == SHT_LLVM_LTO || s.name.as_ref() == LLVM_LTO)
        .or_else(|| obj.section_by_name(LLVMBC))?;
    obj.sections[i].bytes_data().filter(|b| !b.is_empty())
}
