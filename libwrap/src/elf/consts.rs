//! ELF constants used across libwrap (raw values of the ELF specification and its GNU and
//! LLVM extensions).

pub use object::elf::{EM_386, EM_AARCH64, EM_ARM, EM_MIPS, EM_PPC, EM_PPC64, EM_RISCV, EM_S390, EM_SPARCV9, EM_X86_64};
/// ET_REL
pub const ET_REL: u16 = 1;
/// ET_EXEC
pub const ET_EXEC: u16 = 2;
/// ET_DYN
pub const ET_DYN: u16 = 3;
/// SHT_PROGBITS
pub const SHT_PROGBITS: u32 = 1;
/// SHT_SYMTAB
pub const SHT_SYMTAB: u32 = 2;
/// SHT_STRTAB
pub const SHT_STRTAB: u32 = 3;
/// SHT_RELA
pub const SHT_RELA: u32 = 4;
/// SHT_NOTE
pub const SHT_NOTE: u32 = 7;
/// SHT_NOBITS
pub const SHT_NOBITS: u32 = 8;
/// SHT_REL
pub const SHT_REL: u32 = 9;
/// SHT_DYNSYM
pub const SHT_DYNSYM: u32 = 11;
/// SHT_GROUP
pub const SHT_GROUP: u32 = 17;
/// SHT_SYMTAB_SHNDX
pub const SHT_SYMTAB_SHNDX: u32 = 18;
/// SHT_LLVM_LTO (clang's `.llvm.lto`)
pub const SHT_LLVM_LTO: u32 = 0x6fff_4c0c;
/// SHF_WRITE
pub const SHF_WRITE: u64 = 1;
/// SHF_ALLOC
pub const SHF_ALLOC: u64 = 2;
/// SHF_EXECINSTR
pub const SHF_EXECINSTR: u64 = 4;
/// SHF_MERGE
pub const SHF_MERGE: u64 = 0x10;
/// SHF_STRINGS
pub const SHF_STRINGS: u64 = 0x20;
/// SHF_INFO_LINK
pub const SHF_INFO_LINK: u64 = 0x40;
/// SHF_LINK_ORDER
pub const SHF_LINK_ORDER: u64 = 0x80;
/// SHF_GROUP
pub const SHF_GROUP: u64 = 0x200;
/// SHF_TLS
pub const SHF_TLS: u64 = 0x400;
/// SHF_EXCLUDE
pub const SHF_EXCLUDE: u64 = 0x8000_0000;
/// GRP_COMDAT
pub const GRP_COMDAT: u32 = 1;
/// STB_LOCAL
pub const STB_LOCAL: u8 = 0;
/// STB_GLOBAL
pub const STB_GLOBAL: u8 = 1;
/// STB_WEAK
pub const STB_WEAK: u8 = 2;
/// STB_GNU_UNIQUE
pub const STB_GNU_UNIQUE: u8 = 10;
/// STT_NOTYPE
pub const STT_NOTYPE: u8 = 0;
/// STT_OBJECT
pub const STT_OBJECT: u8 = 1;
/// STT_FUNC
pub const STT_FUNC: u8 = 2;
/// STT_SECTION
pub const STT_SECTION: u8 = 3;
/// STT_FILE
pub const STT_FILE: u8 = 4;
/// STT_COMMON
pub const STT_COMMON: u8 = 5;
/// STT_TLS
pub const STT_TLS: u8 = 6;
/// STT_GNU_IFUNC
pub const STT_GNU_IFUNC: u8 = 10;
/// STV_DEFAULT
pub const STV_DEFAULT: u8 = 0;
/// STV_INTERNAL
pub const STV_INTERNAL: u8 = 1;
/// STV_HIDDEN
pub const STV_HIDDEN: u8 = 2;
/// STV_PROTECTED
pub const STV_PROTECTED: u8 = 3;
