//! The LLVM bitstream container (LLVM's `BitstreamReader`, re-implemented).
//!
//! Invariants of the format, as this reader relies on them:
//! - the stream is little-endian 32-bit words read LSB first; `Fixed(n)` is the next n bits,
//!   `VBR(n)` is chunks of n bits whose top bit says "more";
//! - abbrev ID 0 ends a block (then align to 32 bits), 1 enters a sub-block
//!   (`blockid` VBR8, `newabbrevwidth` VBR4, align 32, `numwords` Fixed32), 2 defines an abbrev,
//!   3 is an unabbreviated record (`code` VBR6, `numops` VBR6, ops VBR6), ≥ 4 an abbreviated one;
//! - a block's length word counts the 32-bit words of its body, so a reader can skip any block
//!   without decoding it; this is what makes symbol reading cheap;
//! - abbrev IDs in a block start at 4 with the BLOCKINFO abbrevs registered for that block id,
//!   followed by the block's own; the BLOCKINFO scope is one module.
//!
//! Every read is bounds-checked and every count is checked against the bits left, so hostile
//! input yields a [`Bad`], never a panic or a huge allocation.

use rustc_hash::FxHashMap;
use std::rc::Rc;

use crate::bad;
use crate::error::PResult;

/// Abbrev ID: end of block.
pub(crate) const END_BLOCK: u64 = 0;
/// Abbrev ID: enter a sub-block.
pub(crate) const ENTER_SUBBLOCK: u64 = 1;
/// Abbrev ID: define an abbreviation.
pub(crate) const DEFINE_ABBREV: u64 = 2;
/// Abbrev ID: unabbreviated record.
pub(crate) const UNABBREV_RECORD: u64 = 3;
/// Block ID of BLOCKINFO.
pub(crate) const BLOCKINFO_BLOCK_ID: u32 = 0;

/// A bit cursor over a byte slice.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    bit: u64,
    end: u64,
}

impl<'a> Cursor<'a> {
    /// A cursor over all of `data`, at bit 0.
    #[cfg(test)]
    pub(crate) fn new(data: &'a [u8]) -> Cursor<'a> {
        Cursor { data, bit: 0, end: data.len() as u64 * 8 }
    }

    /// A cursor at `bit`, not reading past `end` (both in bits from the start of `data`).
    pub(crate) fn at(data: &'a [u8], bit: u64, end: u64) -> Cursor<'a> {
        let end = end.min(data.len() as u64 * 8);
        Cursor { data, bit: bit.min(end), end }
    }

    /// The underlying bytes.
    pub(crate) fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Current position in bits.
    pub(crate) fn bit_pos(&self) -> u64 {
        self.bit
    }

    /// Bits left before the end.
    pub(crate) fn remaining(&self) -> u64 {
        self.end - self.bit
    }

    /// Moves to `bit` (clamped to the end).
    pub(crate) fn seek(&mut self, bit: u64) {
        self.bit = bit.min(self.end);
    }

    /// Reads `n` ≤ 64 bits.
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> PResult<u64> {
        // Fast path: one unaligned 64-bit load covers the field.
        let byte = (self.bit >> 3) as usize;
        let off = (self.bit & 7) as u32;
        if n.wrapping_sub(1) < 64
            && n + off <= 64
            && self.remaining() >= u64::from(n)
            && let Some(word) = self.data.get(byte..byte + 8)
        {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            let value = (word >> off) & (u64::MAX >> (64 - n));
            self.bit += u64::from(n);
            return Ok(value);
        }
        self.read_slow(n)
    }

    /// [`Cursor::read`] near the end of the data, for fields crossing 64 bits, and its errors.
    #[cold]
    #[inline(never)]
    fn read_slow(&mut self, n: u32) -> PResult<u64> {
        if n == 0 {
            return Ok(0);
        }
        if n > 64 {
            return Err(bad!("bitstream field wider than 64 bits"));
        }
        if self.remaining() < n as u64 {
            return Err(bad!("truncated bitstream (needed {n} bits at bit {})", self.bit));
        }
        let mut value = 0u64;
        let mut got = 0u32;
        let mut bit = self.bit;
        while got < n {
            let byte = self.data[(bit >> 3) as usize];
            let off = (bit & 7) as u32;
            let take = (8 - off).min(n - got);
            let bits = (u64::from(byte) >> off) & ((1u64 << take) - 1);
            value |= bits << got;
            got += take;
            bit += take as u64;
        }
        self.bit = bit;
        Ok(value)
    }

    /// Reads a VBR(`n`) value of at most 64 bits.
    #[inline]
    pub(crate) fn read_vbr(&mut self, n: u32) -> PResult<u64> {
        if !(2..=32).contains(&n) {
            return Err(bad!("invalid VBR width {n}"));
        }
        let hi = 1u64 << (n - 1);
        // Fast path: the value fits in one chunk.
        let chunk = self.read(n)?;
        if chunk & hi == 0 {
            return Ok(chunk);
        }
        self.read_vbr_chunks(n, hi, chunk & (hi - 1))
    }

    /// [`Cursor::read_vbr`] for values of several chunks, after the first one (`value`).
    fn read_vbr_chunks(&mut self, n: u32, hi: u64, mut value: u64) -> PResult<u64> {
        let mut shift = n - 1;
        loop {
            let chunk = self.read(n)?;
            let payload = chunk & (hi - 1);
            if shift < 64 {
                let part = payload << shift;
                if part >> shift != payload {
                    return Err(bad!("VBR value does not fit in 64 bits"));
                }
                value |= part;
            } else if payload != 0 {
                return Err(bad!("VBR value does not fit in 64 bits"));
            }
            if chunk & hi == 0 {
                return Ok(value);
            }
            shift += n - 1;
            if shift > 70 {
                return Err(bad!("VBR value does not fit in 64 bits"));
            }
        }
    }

    /// Skips to the next multiple of 32 bits.
    pub(crate) fn align32(&mut self) {
        let aligned = (self.bit + 31) & !31;
        self.bit = aligned.min(self.end);
    }
}

/// One operand of an abbreviation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// A constant; nothing is stored.
    Literal(u64),
    /// A fixed-width field.
    Fixed(u32),
    /// A VBR field.
    Vbr(u32),
    /// An array; the next op is its element.
    Array,
    /// A 6-bit character `[a-zA-Z0-9._]`.
    Char6,
    /// A blob: length, align 32, bytes, align 32.
    Blob,
}

/// An abbreviation: the shape of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Abbrev {
    /// Its operands; the first gives the record code.
    pub(crate) ops: Vec<Op>,
}

/// The abbreviations BLOCKINFO registered, per block ID.
#[derive(Default, Debug, Clone)]
pub(crate) struct BlockInfo {
    abbrevs: FxHashMap<u32, Vec<Rc<Abbrev>>>,
}

impl BlockInfo {
    /// The abbrevs registered for `block_id`.
    pub(crate) fn for_block(&self, block_id: u32) -> &[Rc<Abbrev>] {
        self.abbrevs.get(&block_id).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Where a sub-block is in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    /// Block ID.
    pub(crate) id: u32,
    /// Abbrev ID width inside the block.
    pub(crate) abbrev_width: u32,
    /// Bit position of the ENTER_SUBBLOCK abbrev ID.
    pub(crate) start_bit: u64,
    /// Bit position of the first entry of the body (after the length word).
    pub(crate) body_bit: u64,
    /// Bit position just after the block (after END_BLOCK and its alignment).
    pub(crate) end_bit: u64,
}

/// A record: a code and operands (and a blob when its abbrev has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// Record code.
    pub(crate) code: u32,
    /// Operands, excluding the code. Char6 and array elements are stored as values.
    pub(crate) ops: Vec<u64>,
    /// The blob operand, if any.
    pub(crate) blob: Option<&'a [u8]>,
    /// Bit position of the record's abbrev ID.
    pub(crate) start_bit: u64,
}

impl Record<'_> {
    /// Operand `i`, or 0 when the record is shorter (LLVM treats trailing fields as optional).
    pub(crate) fn op(&self, i: usize) -> u64 {
        self.ops.get(i).copied().unwrap_or(0)
    }

    /// The operands as bytes (for string records); values above 255 make it an error.
    pub(crate) fn string(&self) -> PResult<Vec<u8>> {
        self.ops.iter().map(|&v| u8::try_from(v).map_err(|_| bad!("character record with value {v}"))).collect()
    }
}

/// One entry of a block.
#[derive(Debug)]
pub(crate) enum Entry<'a> {
    /// A sub-block; the reader has already moved past it. Open it with [`BlockReader::open`].
    Block(BlockHeader),
    /// A record.
    Record(Record<'a>),
    /// END_BLOCK.
    End,
}

/// Reads the entries of one block.
pub(crate) struct BlockReader<'a> {
    cur: Cursor<'a>,
    id: u32,
    width: u32,
    abbrevs: Vec<Rc<Abbrev>>,
    /// In BLOCKINFO: the block ID that DEFINE_ABBREVs apply to.
    blockinfo_target: Option<u32>,
}

/// Reads an ENTER_SUBBLOCK header whose abbrev ID (at `start_bit`) has just been read.
fn read_block_header(cur: &mut Cursor<'_>, start_bit: u64, limit: u64) -> PResult<BlockHeader> {
    let id = cur.read_vbr(8)?;
    let width = cur.read_vbr(4)?;
    if id > u64::from(u32::MAX) {
        return Err(bad!("block ID {id} out of range"));
    }
    if width == 0 || width > 32 {
        return Err(bad!("invalid abbrev width {width} for block {id}"));
    }
    cur.align32();
    let words = cur.read(32)?;
    let body_bit = cur.bit_pos();
    let end_bit = body_bit + words * 32;
    if end_bit > limit {
        return Err(bad!("block {id} at bit {start_bit} runs past the end of its parent"));
    }
    Ok(BlockHeader { id: id as u32, abbrev_width: width as u32, start_bit, body_bit, end_bit })
}

/// Reads the top-level block header at byte `offset` of `data` (abbrev width 2).
pub(crate) fn read_top_level_block(data: &[u8], offset: usize) -> PResult<BlockHeader> {
    let mut cur = Cursor::at(data, offset as u64 * 8, data.len() as u64 * 8);
    let start = cur.bit_pos();
    let abbrev = cur.read(2)?;
    if abbrev != ENTER_SUBBLOCK {
        return Err(bad!("malformed top-level entry at byte {offset} (abbrev ID {abbrev})"));
    }
    read_block_header(&mut cur, start, data.len() as u64 * 8)
}

/// Reads a sub-block header at bit `bit` of `data`, in a parent whose abbrev width is `width`
/// (used to open a function block from its VST offset).
pub(crate) fn read_block_at(data: &[u8], bit: u64, width: u32, limit: u64) -> PResult<BlockHeader> {
    let mut cur = Cursor::at(data, bit, limit);
    let abbrev = cur.read(width)?;
    if abbrev != ENTER_SUBBLOCK {
        return Err(bad!("no block at bit {bit}"));
    }
    read_block_header(&mut cur, bit, limit)
}

impl<'a> BlockReader<'a> {
    /// Opens the body of the block described by `header` in `data`.
    pub(crate) fn open(data: &'a [u8], header: &BlockHeader, info: &BlockInfo) -> BlockReader<'a> {
        BlockReader {
            cur: Cursor::at(data, header.body_bit, header.end_bit),
            id: header.id,
            width: header.abbrev_width,
            abbrevs: info.for_block(header.id).to_vec(),
            blockinfo_target: None,
        }
    }

    /// Bit position of the next entry (after a record or block just read: its end).
    pub(crate) fn bit_pos(&self) -> u64 {
        self.cur.bit_pos()
    }

    /// Reads the next entry. DEFINE_ABBREVs are absorbed (into this block, or into `info` when
    /// this is BLOCKINFO). Reaching the block's end without END_BLOCK is an error.
    pub(crate) fn next(&mut self, info: &mut BlockInfo) -> PResult<Entry<'a>> {
        self.next_with(info, Vec::new())
    }

    /// [`BlockReader::next`], filling `ops` (cleared first) with a record's operands, so a loop
    /// can hand the same buffer back instead of allocating one per record.
    pub(crate) fn next_with(&mut self, info: &mut BlockInfo, mut ops: Vec<u64>) -> PResult<Entry<'a>> {
        ops.clear();
        loop {
            if self.cur.remaining() == 0 {
                return Err(bad!("block {} has no END_BLOCK", self.id));
            }
            let start = self.cur.bit_pos();
            let abbrev_id = self.cur.read(self.width)?;
            match abbrev_id {
                END_BLOCK => {
                    self.cur.align32();
                    return Ok(Entry::End);
                }
                ENTER_SUBBLOCK => {
                    let limit = self.cur.end;
                    let header = read_block_header(&mut self.cur, start, limit)?;
                    self.cur.seek(header.end_bit);
                    return Ok(Entry::Block(header));
                }
                DEFINE_ABBREV => {
                    let abbrev = Rc::new(self.read_abbrev()?);
                    if self.id == BLOCKINFO_BLOCK_ID {
                        let target = self.blockinfo_target.ok_or_else(|| bad!("BLOCKINFO abbrev before SETBID"))?;
                        info.abbrevs.entry(target).or_default().push(abbrev);
                    } else {
                        self.abbrevs.push(abbrev);
                    }
                }
                UNABBREV_RECORD => {
                    let code = self.cur.read_vbr(6)?;
                    let n = self.cur.read_vbr(6)?;
                    if n.saturating_mul(6) > self.cur.remaining() {
                        return Err(bad!("record with {n} operands runs past its block"));
                    }
                    ops.reserve(n as usize);
                    for _ in 0..n {
                        ops.push(self.cur.read_vbr(6)?);
                    }
                    let record = Record { code: code_u32(code)?, ops, blob: None, start_bit: start };
                    self.note_blockinfo(&record);
                    return Ok(Entry::Record(record));
                }
                id => {
                    let index = (id - 4) as usize;
                    let abbrev = self.abbrevs.get(index).cloned().ok_or_else(|| bad!("undefined abbrev ID {id} in block {}", self.id))?;
                    let record = self.read_abbreviated(&abbrev, start, ops)?;
                    self.note_blockinfo(&record);
                    return Ok(Entry::Record(record));
                }
            }
        }
    }

    fn note_blockinfo(&mut self, record: &Record<'_>) {
        if self.id == BLOCKINFO_BLOCK_ID && record.code == 1 {
            self.blockinfo_target = record.ops.first().and_then(|&v| u32::try_from(v).ok());
        }
    }

    fn read_abbrev(&mut self) -> PResult<Abbrev> {
        let n = self.cur.read_vbr(5)?;
        if n == 0 || n.saturating_mul(2) > self.cur.remaining() {
            return Err(bad!("abbrev with {n} operands"));
        }
        let mut ops = Vec::with_capacity(n as usize);
        let mut i = 0;
        while i < n {
            let literal = self.cur.read(1)?;
            if literal == 1 {
                ops.push(Op::Literal(self.cur.read_vbr(8)?));
            } else {
                let enc = self.cur.read(3)?;
                let op = match enc {
                    1 | 2 => {
                        let w = self.cur.read_vbr(5)?;
                        if w > 64 || (enc == 2 && w > 32) {
                            return Err(bad!("abbrev operand width {w}"));
                        }
                        match (enc, w) {
                            (_, 0) => Op::Literal(0),
                            (1, w) => Op::Fixed(w as u32),
                            (_, w) if w < 2 => return Err(bad!("VBR abbrev operand width {w}")),
                            (_, w) => Op::Vbr(w as u32),
                        }
                    }
                    3 => Op::Array,
                    4 => Op::Char6,
                    5 => Op::Blob,
                    other => return Err(bad!("unknown abbrev operand encoding {other}")),
                };
                ops.push(op);
            }
            i += 1;
        }
        for (k, op) in ops.iter().enumerate() {
            match op {
                Op::Array if k + 2 != ops.len() => return Err(bad!("array not second to last in abbrev")),
                Op::Array if matches!(ops[k + 1], Op::Array | Op::Blob | Op::Literal(_)) => {
                    return Err(bad!("invalid array element in abbrev"));
                }
                Op::Blob if k + 1 != ops.len() => return Err(bad!("blob not last in abbrev")),
                _ => {}
            }
        }
        if k_is_array_or_blob_first(&ops) {
            return Err(bad!("abbrev starts with an array or blob"));
        }
        Ok(Abbrev { ops })
    }

    fn read_scalar(&mut self, op: &Op) -> PResult<u64> {
        match *op {
            Op::Literal(v) => Ok(v),
            Op::Fixed(w) => self.cur.read(w),
            Op::Vbr(w) => self.cur.read_vbr(w),
            Op::Char6 => {
                let v = self.cur.read(6)? as u8;
                Ok(u64::from(match v {
                    0..=25 => b'a' + v,
                    26..=51 => b'A' + (v - 26),
                    52..=61 => b'0' + (v - 52),
                    62 => b'.',
                    _ => b'_',
                }))
            }
            Op::Array | Op::Blob => Err(bad!("aggregate abbrev operand in scalar position")),
        }
    }

    fn read_abbreviated(&mut self, abbrev: &Abbrev, start: u64, mut ops: Vec<u64>) -> PResult<Record<'a>> {
        let code = self.read_scalar(&abbrev.ops[0])?;
        ops.reserve(abbrev.ops.len());
        let mut blob = None;
        let mut k = 1;
        while k < abbrev.ops.len() {
            match &abbrev.ops[k] {
                Op::Array => {
                    let len = self.cur.read_vbr(6)?;
                    let elt = abbrev.ops[k + 1].clone();
                    let min_bits = match elt {
                        Op::Fixed(w) => u64::from(w),
                        Op::Vbr(w) => u64::from(w),
                        Op::Char6 => 6,
                        _ => 1,
                    };
                    if len.saturating_mul(min_bits) > self.cur.remaining() {
                        return Err(bad!("array of {len} elements runs past its block"));
                    }
                    ops.reserve(len as usize);
                    for _ in 0..len {
                        ops.push(self.read_scalar(&elt)?);
                    }
                    k += 2;
                }
                Op::Blob => {
                    let len = self.cur.read_vbr(6)?;
                    self.cur.align32();
                    if len.saturating_mul(8) > self.cur.remaining() {
                        return Err(bad!("blob of {len} bytes runs past its block"));
                    }
                    let begin = (self.cur.bit_pos() / 8) as usize;
                    let bytes = &self.cur.data()[begin..begin + len as usize];
                    self.cur.seek(self.cur.bit_pos() + len * 8);
                    self.cur.align32();
                    blob = Some(bytes);
                    k += 1;
                }
                op => {
                    let op = op.clone();
                    ops.push(self.read_scalar(&op)?);
                    k += 1;
                }
            }
        }
        Ok(Record { code: code_u32(code)?, ops, blob, start_bit: start })
    }
}

fn k_is_array_or_blob_first(ops: &[Op]) -> bool {
    matches!(ops.first(), Some(Op::Array | Op::Blob))
}

fn code_u32(code: u64) -> PResult<u32> {
    u32::try_from(code).map_err(|_| bad!("record code {code} out of range"))
}

/// Reads a whole block, calling `f` for each record and collecting sub-block headers.
pub(crate) fn for_each_record<'a>(
    data: &'a [u8],
    header: &BlockHeader,
    info: &mut BlockInfo,
    mut f: impl FnMut(&Record<'a>) -> PResult<()>,
) -> PResult<Vec<BlockHeader>> {
    let mut reader = BlockReader::open(data, header, info);
    let mut blocks = Vec::new();
    let mut buffer = Vec::new();
    loop {
        match reader.next_with(info, std::mem::take(&mut buffer))? {
            Entry::End => return Ok(blocks),
            Entry::Block(h) => blocks.push(h),
            Entry::Record(r) => {
                f(&r)?;
                buffer = r.ops;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fixed_and_vbr_across_bytes() {
        // LSB first: bits 0-2 = 101; bits 3-6 = 1011 (vbr4 chunk 0b011, "more" set);
        // bits 7-10 = 0 1 0 0 -> chunk 0b010 without "more".
        let data = [0b0101_1101u8, 0b0000_0001, 0, 0];
        let mut c = Cursor::new(&data);
        assert_eq!(c.read(3).unwrap(), 0b101);
        assert_eq!(c.read_vbr(4).unwrap(), 0b011 | (0b010 << 3));
    }

    #[test]
    fn truncation_is_an_error() {
        let data = [0xffu8];
        let mut c = Cursor::new(&data);
        assert!(c.read(9).is_err());
        let mut c = Cursor::new(&data);
        assert!(c.read_vbr(4).is_err());
    }
}
