//! Writing the LLVM bitstream: the inverse of [`super::bitstream`]'s cursor.
//!
//! Bits are appended LSB first into little-endian 32-bit words, as LLVM's `BitstreamWriter`
//! does. Besides fixed and VBR fields this writer copies bit ranges of an input stream
//! verbatim (at any bit offset), and patches fixed fields already written, which is what a
//! rewrite that keeps most of a module untouched needs.

use crate::bad;
use crate::bitcode::bitstream::{Cursor, END_BLOCK, ENTER_SUBBLOCK, UNABBREV_RECORD};
use crate::error::PResult;

/// A growing bitstream.
#[derive(Clone, Debug, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    bit: u64,
}

impl BitWriter {
    /// An empty stream.
    pub(crate) fn new() -> BitWriter {
        BitWriter::default()
    }

    /// Bits written so far.
    pub(crate) fn bit_pos(&self) -> u64 {
        self.bit
    }

    /// The bytes written so far (a partial last byte included).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The stream, which must end on a 32-bit boundary.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        debug_assert_eq!(self.bit % 32, 0);
        self.bytes
    }

    /// Appends the low `n` ≤ 64 bits of `value`.
    pub(crate) fn write(&mut self, value: u64, n: u32) {
        let mut left = n;
        let mut v = if n >= 64 { value } else { value & ((1u64 << n) - 1) };
        while left > 0 {
            let off = (self.bit & 7) as u32;
            if off == 0 {
                self.bytes.push(0);
            }
            let take = (8 - off).min(left);
            let last = self.bytes.len() - 1;
            self.bytes[last] |= ((v & ((1u64 << take) - 1)) as u8) << off;
            v >>= take;
            left -= take;
            self.bit += u64::from(take);
        }
    }

    /// Appends `value` as VBR chunks of `n` bits.
    pub(crate) fn write_vbr(&mut self, mut value: u64, n: u32) {
        let hi = 1u64 << (n - 1);
        while value >= hi {
            self.write((value & (hi - 1)) | hi, n);
            value >>= n - 1;
        }
        self.write(value, n);
    }

    /// Pads with zero bits to the next multiple of 32.
    pub(crate) fn align32(&mut self) {
        let pad = (32 - (self.bit % 32)) % 32;
        self.write(0, pad as u32);
    }

    /// Appends whole 32-bit-aligned bytes (the writer must be aligned).
    pub(crate) fn write_aligned_bytes(&mut self, data: &[u8]) {
        debug_assert_eq!(self.bit % 8, 0);
        self.bytes.extend_from_slice(data);
        self.bit += data.len() as u64 * 8;
    }

    /// Copies bits `[from, to)` of `data` verbatim.
    pub(crate) fn copy_bits(&mut self, data: &[u8], from: u64, to: u64) -> PResult<()> {
        if to < from || to > data.len() as u64 * 8 {
            return Err(bad!("bit range {from}..{to} outside the stream"));
        }
        if from.is_multiple_of(8) && self.bit.is_multiple_of(8) {
            let whole = (to - from) / 8;
            let start = (from / 8) as usize;
            self.write_aligned_bytes(&data[start..start + whole as usize]);
            let rest = (to - from) % 8;
            if rest > 0 {
                let b = u64::from(data[start + whole as usize]);
                self.write(b, rest as u32);
            }
            return Ok(());
        }
        let mut cur = Cursor::at(data, from, to);
        while cur.remaining() > 0 {
            let n = cur.remaining().min(32) as u32;
            let v = cur.read(n)?;
            self.write(v, n);
        }
        Ok(())
    }

    /// Overwrites the `n` bits at `at` (already written) with `value`.
    pub(crate) fn patch(&mut self, at: u64, value: u64, n: u32) {
        for k in 0..u64::from(n) {
            let bit = at + k;
            let byte = (bit / 8) as usize;
            let mask = 1u8 << (bit % 8);
            if (value >> k) & 1 == 1 {
                self.bytes[byte] |= mask;
            } else {
                self.bytes[byte] &= !mask;
            }
        }
    }

    /// An unabbreviated record.
    pub(crate) fn unabbrev_record(&mut self, width: u32, code: u32, ops: &[u64]) {
        self.write(UNABBREV_RECORD, width);
        self.write_vbr(u64::from(code), 6);
        self.write_vbr(ops.len() as u64, 6);
        for &op in ops {
            self.write_vbr(op, 6);
        }
    }

    /// ENTER_SUBBLOCK in a parent of abbrev width `width`, up to and including a placeholder
    /// length word; returns the length word's bit position for [`BitWriter::end_block`].
    pub(crate) fn enter_block(&mut self, width: u32, id: u32, inner_width: u32) -> u64 {
        self.write(ENTER_SUBBLOCK, width);
        self.write_vbr(u64::from(id), 8);
        self.write_vbr(u64::from(inner_width), 4);
        self.align32();
        let at = self.bit;
        self.write(0, 32);
        at
    }

    /// END_BLOCK, alignment, and the block's length word at `length_at` filled in.
    pub(crate) fn end_block(&mut self, inner_width: u32, length_at: u64) {
        self.write(END_BLOCK, inner_width);
        self.align32();
        let words = (self.bit - length_at - 32) / 32;
        self.patch(length_at, words, 32);
    }

    /// A block holding one record with a blob (`STRTAB`, `SYMTAB`): abbrev width 3, one
    /// abbrev `[code literal, blob]`, as LLVM writes them (the writer must be aligned).
    pub(crate) fn blob_block(&mut self, id: u32, code: u32, blob: &[u8]) {
        let length_at = self.enter_block(2, id, 3);
        // DEFINE_ABBREV: 2 ops, literal code, blob.
        self.write(crate::bitcode::bitstream::DEFINE_ABBREV, 3);
        self.write_vbr(2, 5);
        self.write(1, 1);
        self.write_vbr(u64::from(code), 8);
        self.write(0, 1);
        self.write(5, 3);
        // The record, with abbrev ID 4.
        self.write(4, 3);
        self.write_vbr(blob.len() as u64, 6);
        self.align32();
        self.write_aligned_bytes(blob);
        self.align32();
        self.end_block(3, length_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_the_cursor_reads() {
        let mut w = BitWriter::new();
        w.write(5, 3);
        w.write_vbr(1000, 6);
        w.write(0xdead_beef, 32);
        w.align32();
        let bytes = w.into_bytes();
        let mut c = Cursor::new(&bytes);
        assert_eq!(c.read(3).unwrap(), 5);
        assert_eq!(c.read_vbr(6).unwrap(), 1000);
        assert_eq!(c.read(32).unwrap(), 0xdead_beef);
    }

    #[test]
    fn copies_unaligned_ranges() {
        let data: Vec<u8> = (0..64u8).map(|b| b.wrapping_mul(37)).collect();
        for shift in [0u32, 1, 5, 13] {
            let mut w = BitWriter::new();
            w.write(0, shift);
            w.copy_bits(&data, 3, 300).unwrap();
            let out = w.bytes().to_vec();
            let mut a = Cursor::at(&data, 3, 300);
            let mut b = Cursor::at(&out, u64::from(shift), u64::from(shift) + 297);
            while a.remaining() > 0 {
                assert_eq!(a.read(1).unwrap(), b.read(1).unwrap());
            }
        }
    }
}
