//! What a buffer holds, decided by content (never by file name): the file kind by its magic,
//! and for ELF what the object carries besides native code.

use crate::archive::read as archive;
use crate::bitcode::container;
use crate::elf::{ElfObject, consts::*};
use crate::embedded::{GCC_LTO_SLIM, GUARD_SYMBOL, LLVMBC, SUMMARY_SECTION, is_llvm_lto};

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
    /// GCC fat LTO object (`-ffat-lto-objects`: native code plus GIMPLE).
    GccLtoFat,
    /// ELF with an empty `.llvmbc` (`-fembed-bitcode=marker`).
    BitcodeMarker,
}

impl ElfKind {
    /// A short description, for messages and `--info` output.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            ElfKind::Native => "native ELF object",
            ElfKind::Wrapped => "tl wrapped bitcode object",
            ElfKind::EmbeddedBitcode => "ELF object with embedded bitcode (-fembed-bitcode)",
            ElfKind::FatLto => "fat LTO object (-ffat-lto-objects)",
            ElfKind::RustcBitcode => "rustc object with embedded bitcode",
            ElfKind::GccLtoSlim => "GCC slim LTO object",
            ElfKind::GccLtoFat => "GCC fat LTO object (-ffat-lto-objects)",
            ElfKind::BitcodeMarker => "ELF object with a bitcode marker (-fembed-bitcode=marker)",
        }
    }

    /// True if the object carries bitcode tl can read.
    pub(crate) fn has_bitcode(self) -> bool {
        matches!(self, ElfKind::Wrapped | ElfKind::EmbeddedBitcode | ElfKind::FatLto | ElfKind::RustcBitcode)
    }
}

/// Classifies an ELF object.
pub fn classify(obj: &ElfObject<'_>) -> ElfKind {
    if obj.section_by_name(SUMMARY_SECTION).is_some() || obj.symbols.iter().any(|s| s.name.as_ref() == GUARD_SYMBOL) {
        return ElfKind::Wrapped;
    }
    if obj.sections.iter().any(|s| is_llvm_lto(s.sh_type, &s.name)) {
        return ElfKind::FatLto;
    }
    if let Some(i) = obj.section_by_name(LLVMBC) {
        let s = &obj.sections[i];
        if s.size(obj.is_64) == 0 {
            return ElfKind::BitcodeMarker;
        }
        return if s.sh_flags & SHF_EXCLUDE != 0 { ElfKind::RustcBitcode } else { ElfKind::EmbeddedBitcode };
    }
    if obj.symbols.iter().any(|s| s.name.as_ref() == GCC_LTO_SLIM) {
        return ElfKind::GccLtoSlim;
    }
    if crate::gcc_lto::is_lto_object(obj) {
        return ElfKind::GccLtoFat;
    }
    ElfKind::Native
}
