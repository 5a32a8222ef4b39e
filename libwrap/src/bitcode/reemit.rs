//! Re-emitting bitstream blocks: copied verbatim where nothing changes, record by record where
//! something does (the machinery [`super::rewrite`] and [`super::debug_info`] share).
//!
//! Invariants relied on: a block's body starts and ends on a 32-bit boundary, so a sub-block
//! copies whole once re-headed at its new position; a record can always be written
//! unabbreviated (readers accept either form), so a changed record never needs its abbrev;
//! DEFINE_ABBREVs sit between records and are copied with them, keeping abbrev IDs valid.

use crate::bitcode::bitstream::{self, BlockHeader, BlockInfo, BlockReader, Entry, Record};
use crate::bitcode::bitwriter::BitWriter;
use crate::error::PResult;

/// What to do with one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Copy it.
    Keep,
    /// Write these operands instead (unabbreviated).
    Replace(Vec<u64>),
    /// Leave it out.
    Drop,
}

/// Copies a sub-block whole, re-heading it at the writer's position.
pub(crate) fn copy_block(w: &mut BitWriter, data: &[u8], h: &BlockHeader, parent_width: u32) -> PResult<()> {
    w.write(bitstream::ENTER_SUBBLOCK, parent_width);
    w.write_vbr(u64::from(h.id), 8);
    w.write_vbr(u64::from(h.abbrev_width), 4);
    w.align32();
    w.copy_bits(data, h.body_bit - 32, h.end_bit)
}

/// Re-emits a block, applying `edit` to each record; sub-blocks are copied whole.
pub(crate) fn rewrite_block(
    w: &mut BitWriter,
    data: &[u8],
    h: &BlockHeader,
    parent_width: u32,
    info: &mut BlockInfo,
    edit: &mut dyn FnMut(&Record<'_>) -> Edit,
) -> PResult<()> {
    rewrite_block_with(w, data, h, parent_width, info, edit, &mut |w, data, b, width, _| copy_block(w, data, b, width))
}

/// A handler for the sub-blocks of a block being re-emitted: writes `b` (at the writer's
/// position, in a parent of the given abbrev width).
pub(crate) type SubBlockFn<'f> = dyn FnMut(&mut BitWriter, &[u8], &BlockHeader, u32, &mut BlockInfo) -> PResult<()> + 'f;

/// [`rewrite_block`], with `sub` writing each sub-block.
pub(crate) fn rewrite_block_with(
    w: &mut BitWriter,
    data: &[u8],
    h: &BlockHeader,
    parent_width: u32,
    info: &mut BlockInfo,
    edit: &mut dyn FnMut(&Record<'_>) -> Edit,
    sub: &mut SubBlockFn<'_>,
) -> PResult<()> {
    let length_at = w.enter_block(parent_width, h.id, h.abbrev_width);
    let mut reader = BlockReader::open(data, h, info);
    let mut copied = h.body_bit;
    loop {
        let before = reader.bit_pos();
        match reader.next(info)? {
            Entry::End => {
                w.copy_bits(data, copied, before)?;
                w.end_block(h.abbrev_width, length_at);
                return Ok(());
            }
            Entry::Block(b) => {
                w.copy_bits(data, copied, b.start_bit)?;
                if b.id == bitstream::BLOCKINFO_BLOCK_ID {
                    bitstream::for_each_record(data, &b, info, |_| Ok(()))?;
                }
                sub(w, data, &b, h.abbrev_width, info)?;
                copied = b.end_bit;
            }
            Entry::Record(r) => match edit(&r) {
                Edit::Keep => {}
                Edit::Replace(ops) => {
                    w.copy_bits(data, copied, r.start_bit)?;
                    w.unabbrev_record(h.abbrev_width, r.code, &ops);
                    copied = reader.bit_pos();
                }
                Edit::Drop => {
                    w.copy_bits(data, copied, r.start_bit)?;
                    copied = reader.bit_pos();
                }
            },
        }
    }
}
