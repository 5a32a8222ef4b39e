//! ELF constants used across libwrap (raw values of the ELF specification and its GNU and
//! LLVM extensions).

pub(crate) use object::elf::{
    EM_386, EM_AARCH64, EM_ALPHA, EM_ARM, EM_IAMCU, EM_MIPS, EM_PPC, EM_PPC64, EM_RISCV, EM_S390, EM_SPARCV9, EM_X86_64,
};
/// ET_REL
pub(crate) const ET_REL: u16 = 1;
/// ET_EXEC
pub(crate) const ET_EXEC: u16 = 2;
/// ET_DYN
pub(crate) const ET_DYN: u16 = 3;
/// SHT_HASH
pub(crate) const SHT_HASH: u32 = 5;
/// SHT_GNU_HASH
pub(crate) const SHT_GNU_HASH: u32 = 0x6fff_fff6;
/// SHT_LOOS: the first OS-specific section type.
pub(crate) const SHT_LOOS: u32 = 0x6000_0000;
/// SHT_PROGBITS
pub(crate) const SHT_PROGBITS: u32 = 1;
/// SHT_SYMTAB
pub(crate) const SHT_SYMTAB: u32 = 2;
/// SHT_STRTAB
pub(crate) const SHT_STRTAB: u32 = 3;
/// SHT_RELA
pub(crate) const SHT_RELA: u32 = 4;
/// SHT_NOTE
pub(crate) const SHT_NOTE: u32 = 7;
/// SHT_NOBITS
pub(crate) const SHT_NOBITS: u32 = 8;
/// SHT_REL
pub(crate) const SHT_REL: u32 = 9;
/// SHT_RELR
pub(crate) const SHT_RELR: u32 = 19;
/// SHT_DYNSYM
pub(crate) const SHT_DYNSYM: u32 = 11;
/// SHT_GROUP
pub(crate) const SHT_GROUP: u32 = 17;
/// SHT_SYMTAB_SHNDX
pub(crate) const SHT_SYMTAB_SHNDX: u32 = 18;
/// SHT_LLVM_LTO (clang's `.llvm.lto`)
pub(crate) const SHT_LLVM_LTO: u32 = 0x6fff_4c0c;
/// SHF_MERGE
pub(crate) const SHF_MERGE: u64 = 0x10;
/// SHF_STRINGS
pub(crate) const SHF_STRINGS: u64 = 0x20;
/// SHF_MASKOS
pub(crate) const SHF_MASKOS: u64 = 0x0ff0_0000;
/// SHF_MASKPROC
pub(crate) const SHF_MASKPROC: u64 = 0xf000_0000;
/// SHF_WRITE
pub(crate) const SHF_WRITE: u64 = 1;
/// SHF_ALLOC
pub(crate) const SHF_ALLOC: u64 = 2;
/// SHF_EXECINSTR
pub(crate) const SHF_EXECINSTR: u64 = 4;
/// SHF_INFO_LINK
pub(crate) const SHF_INFO_LINK: u64 = 0x40;
/// SHF_LINK_ORDER
pub(crate) const SHF_LINK_ORDER: u64 = 0x80;
/// SHF_GROUP
pub(crate) const SHF_GROUP: u64 = 0x200;
/// SHF_TLS
pub(crate) const SHF_TLS: u64 = 0x400;
/// SHF_COMPRESSED
pub(crate) const SHF_COMPRESSED: u64 = 0x800;
/// SHF_EXCLUDE
pub(crate) const SHF_EXCLUDE: u64 = 0x8000_0000;
/// GRP_COMDAT
pub(crate) const GRP_COMDAT: u32 = 1;
/// STB_LOCAL
pub(crate) const STB_LOCAL: u8 = 0;
/// STB_GLOBAL
pub(crate) const STB_GLOBAL: u8 = 1;
/// STB_WEAK
pub(crate) const STB_WEAK: u8 = 2;
/// STB_GNU_UNIQUE
pub(crate) const STB_GNU_UNIQUE: u8 = 10;
/// STT_NOTYPE
pub(crate) const STT_NOTYPE: u8 = 0;
/// STT_OBJECT
pub(crate) const STT_OBJECT: u8 = 1;
/// STT_FUNC
pub(crate) const STT_FUNC: u8 = 2;
/// STT_SECTION
pub(crate) const STT_SECTION: u8 = 3;
/// STT_FILE
pub(crate) const STT_FILE: u8 = 4;
/// STT_COMMON
pub(crate) const STT_COMMON: u8 = 5;
/// STT_TLS
pub(crate) const STT_TLS: u8 = 6;
/// STT_GNU_IFUNC
pub(crate) const STT_GNU_IFUNC: u8 = 10;
/// STV_DEFAULT
pub(crate) const STV_DEFAULT: u8 = 0;
/// STV_INTERNAL
pub(crate) const STV_INTERNAL: u8 = 1;
/// STV_HIDDEN
pub(crate) const STV_HIDDEN: u8 = 2;
/// STV_PROTECTED
pub(crate) const STV_PROTECTED: u8 = 3;
/// SHT_GNU_verdef
pub(crate) const SHT_GNU_VERDEF: u32 = 0x6fff_fffd;
/// SHT_GNU_verneed
pub(crate) const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
/// SHT_GNU_versym
pub(crate) const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
/// PT_LOAD
pub(crate) const PT_LOAD: u32 = 1;
/// PT_DYNAMIC
pub(crate) const PT_DYNAMIC: u32 = 2;
/// PT_INTERP
pub(crate) const PT_INTERP: u32 = 3;
/// PT_NOTE
pub(crate) const PT_NOTE: u32 = 4;
/// PT_PHDR
pub(crate) const PT_PHDR: u32 = 6;
/// PT_TLS
pub(crate) const PT_TLS: u32 = 7;
/// PT_GNU_EH_FRAME
pub(crate) const PT_GNU_EH_FRAME: u32 = 0x6474_e550;
/// PT_GNU_STACK
pub(crate) const PT_GNU_STACK: u32 = 0x6474_e551;
/// PT_GNU_RELRO
pub(crate) const PT_GNU_RELRO: u32 = 0x6474_e552;
/// PT_GNU_PROPERTY
pub(crate) const PT_GNU_PROPERTY: u32 = 0x6474_e553;
/// PT_GNU_SFRAME
pub(crate) const PT_GNU_SFRAME: u32 = 0x6474_e554;
/// PT_GNU_MBIND_LO
pub(crate) const PT_GNU_MBIND_LO: u32 = 0x6474_e555;
/// PT_GNU_MBIND_HI
pub(crate) const PT_GNU_MBIND_HI: u32 = 0x6474_f554;
/// PF_X
pub(crate) const PF_X: u32 = 1;
/// PF_W
pub(crate) const PF_W: u32 = 2;
/// PF_R
pub(crate) const PF_R: u32 = 4;
