//! The names by which objects carry bitcode and mark what they are, and reading the bitcode an
//! ELF object carries. Every section and marker name libwrap looks for is defined here once.

use std::borrow::Cow;

use crate::elf::ElfObject;
use crate::elf::consts::SHT_LLVM_LTO;

/// The section holding bitcode in wrapped, embedded (`-fembed-bitcode`) and rustc objects.
pub(crate) const LLVMBC: &[u8] = b".llvmbc";
/// clang's fat-LTO bitcode section (`-ffat-lto-objects`, type `SHT_LLVM_LTO`).
pub(crate) const LLVM_LTO: &[u8] = b".llvm.lto";
/// The summary section of a wrapped object (see [`crate::wrapped::summary_section`]).
pub const SUMMARY_SECTION: &[u8] = b".tl.summary";
/// The guard symbol of a wrapped object: undefined, referenced from every placeholder section,
/// so a native final link that keeps one fails loudly.
pub const GUARD_SYMBOL: &[u8] = b"__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld";
/// The marker symbol of a GCC slim LTO object (GIMPLE only, no native code).
pub(crate) const GCC_LTO_SLIM: &[u8] = b"__gnu_lto_slim";

/// True for a section holding clang's fat-LTO bitcode.
pub(crate) fn is_llvm_lto(sh_type: u32, name: &[u8]) -> bool {
    sh_type == SHT_LLVM_LTO || name == LLVM_LTO
}

/// The bitcode an object carries: the non-empty `.llvm.lto` sections of a fat object, else
/// every non-empty `.llvmbc` section, concatenated in section order (a foreign `ld -r` may leave
/// several when their flags differ); borrowed from the file when there is one. `None` when
/// there is none.
pub fn bitcode_section<'a>(obj: &ElfObject<'a>) -> Option<Cow<'a, [u8]>> {
    let nonempty = |s: &&crate::elf::Section<'a>| s.size(obj.is_64) > 0;
    let mut parts: Vec<&crate::elf::Section<'a>> =
        obj.sections.iter().filter(|s| is_llvm_lto(s.sh_type, &s.name)).filter(nonempty).collect();
    if parts.is_empty() {
        parts = obj.sections.iter().filter(|s| s.name.as_ref() == LLVMBC).filter(nonempty).collect();
    }
    match parts.as_slice() {
        [] => None,
        [one] => match &one.data {
            crate::elf::SectionData::Bytes(Cow::Borrowed(b)) => Some(Cow::Borrowed(*b)),
            crate::elf::SectionData::Bytes(Cow::Owned(v)) => Some(Cow::Owned(v.clone())),
            _ => None,
        },
        many => Some(Cow::Owned(many.iter().filter_map(|s| s.bytes_data()).flatten().copied().collect())),
    }
}

/// The contents of every section called `name`, in order.
pub fn sections_named<'o>(obj: &'o ElfObject<'_>, name: &[u8]) -> Vec<&'o [u8]> {
    obj.sections.iter().filter(|s| s.name.as_ref() == name).filter_map(|s| s.bytes_data()).collect()
}
