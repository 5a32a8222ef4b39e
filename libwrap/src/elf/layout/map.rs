//! The segment map both program-header paths build ([`super`] lays it out), and C's `%#x`.

use super::super::consts::PT_LOAD;
use super::super::model::{Image, Segment};

/// A segment being laid out (BFD's `elf_segment_map` with its program header).
pub(super) struct Map {
    /// The input segment it comes from.
    pub(super) idx: usize,
    pub(super) sections: Vec<usize>,
    pub(super) filehdr: bool,
    pub(super) phdrs: bool,
    /// `p_paddr`, when `paddr_valid`.
    pub(super) paddr: u64,
    pub(super) paddr_valid: bool,
    pub(super) vaddr_offset: u64,
    /// A `PT_GNU_STACK`'s `p_memsz` (BFD's `p_size`).
    pub(super) stack_size: u64,
    /// Type, flags and alignment set; the rest is laid out.
    pub(super) out: Segment,
}

/// C's `%#x`: no `0x` before a zero.
pub(super) fn c_hex(v: u64) -> String {
    if v == 0 { "0".into() } else { format!("{v:#x}") }
}

/// BFD_ALIGN: `x` rounded up to a multiple of `align` (a power of two; wrapping).
pub(super) fn align_up(x: u64, align: u64) -> u64 {
    let a = align.max(1);
    x.wrapping_add(a - 1) & !(a - 1)
}

/// The page size BFD lays an image out with: its load segments' largest alignment (4 KiB
/// when none has one).
pub(super) fn max_page(image: &Image) -> u64 {
    image.segments.iter().filter(|p| p.p_type == PT_LOAD).map(|p| p.p_align).max().filter(|&a| a != 0).unwrap_or(0x1000)
}
