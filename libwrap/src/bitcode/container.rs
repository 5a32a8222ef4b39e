//! Finding the modules in a bitcode buffer.
//!
//! The layout this module accepts (a superset of what LLVM's `getBitcodeFileContents` reads):
//! - a *stream* starts with the magic `BC C0 DE`, or with the wrapper header `DE C0 17 0B`
//!   (5 × u32 LE: magic, version, offset, size, cputype) whose `[offset, offset+size)` holds a
//!   stream; top-level entries use abbrev width 2 and are all blocks, each ending 32-bit aligned;
//! - `IDENTIFICATION` (13) is followed by the `MODULE_BLOCK` (8) it describes; a module's own
//!   buffer (*BCBegin*) starts at its IDENTIFICATION block, or at the MODULE_BLOCK without one;
//! - a `STRTAB` (23) is the string table of every preceding module that has none yet;
//! - a `SYMTAB` (25) holding an irsymtab for `k` modules belongs to the last `k` modules without
//!   one (LLVM itself only uses the first SYMTAB of a file and only when it covers every module;
//!   this generalisation gives the same answer on LLVM's layouts and also reads concatenations);
//!   its strings are in the next STRTAB;
//! - several streams may follow each other (what a foreign `ld -r` makes of `.llvmbc`), with
//!   zero words between them; up to 8 trailing bytes of anything are ignored, as LLVM does.
//!
//! A *unit* is the run of top-level blocks that one producer wrote together: the modules of one
//! stream up to and including the STRTAB (and SYMTAB) that complete them. Units are what
//! splitting and concatenation copy verbatim.

use crate::bad;
use crate::bitcode::bitstream::{BlockHeader, read_top_level_block};
use crate::error::PResult;

/// Raw bitcode magic.
pub(crate) const MAGIC: [u8; 4] = [b'B', b'C', 0xC0, 0xDE];
/// Bitcode wrapper magic (`0x0B17C0DE` little-endian).
pub(crate) const WRAPPER_MAGIC: [u8; 4] = [0xDE, 0xC0, 0x17, 0x0B];

/// Top-level block IDs.
pub mod block {
    /// BLOCKINFO
    pub(crate) const BLOCKINFO: u32 = 0;
    /// MODULE_BLOCK
    pub(crate) const MODULE: u32 = 8;
    /// CONSTANTS_BLOCK
    pub(crate) const CONSTANTS: u32 = 11;
    /// METADATA_BLOCK
    pub(crate) const METADATA: u32 = 15;
    /// FUNCTION_BLOCK
    pub(crate) const FUNCTION: u32 = 12;
    /// IDENTIFICATION_BLOCK
    pub(crate) const IDENTIFICATION: u32 = 13;
    /// VALUE_SYMTAB_BLOCK
    pub(crate) const VALUE_SYMTAB: u32 = 14;
    /// GLOBALVAL_SUMMARY_BLOCK (ThinLTO)
    pub(crate) const GLOBALVAL_SUMMARY: u32 = 20;
    /// STRTAB_BLOCK
    pub(crate) const STRTAB: u32 = 23;
    /// FULL_LTO_GLOBALVAL_SUMMARY_BLOCK
    pub(crate) const FULL_LTO_GLOBALVAL_SUMMARY: u32 = 24;
    /// SYMTAB_BLOCK
    pub(crate) const SYMTAB: u32 = 25;
}

/// True if `data` starts like bitcode (raw magic or wrapper).
pub fn is_bitcode(data: &[u8]) -> bool {
    data.starts_with(&MAGIC) || data.starts_with(&WRAPPER_MAGIC)
}

/// A byte range `[start, end)` in the buffer.
pub(crate) type Span = std::ops::Range<usize>;

/// The irsymtab that covers a module.
#[derive(Clone, Debug)]
pub struct SymtabRef<'a> {
    /// The SYMTAB blob.
    pub blob: &'a [u8],
    /// The STRTAB that follows it (its strings), if any.
    pub strtab: Option<&'a [u8]>,
    /// This module's index in the irsymtab's module list.
    pub(crate) index: usize,
}

/// One module found in a buffer. Offsets are bytes from the start of the buffer.
#[derive(Clone, Debug)]
pub struct ModuleUnit<'a> {
    /// The whole buffer the offsets refer to.
    pub(crate) data: &'a [u8],
    /// Index of the unit (see the module docs) this module belongs to.
    pub(crate) unit: usize,
    /// BCBegin: start of the IDENTIFICATION block, or of the MODULE_BLOCK.
    pub begin: usize,
    /// End of the MODULE_BLOCK.
    pub end: usize,
    /// The IDENTIFICATION block, if present.
    pub(crate) identification: Option<BlockHeader>,
    /// The MODULE_BLOCK.
    pub(crate) module_block: BlockHeader,
    /// The module's string table blob.
    pub(crate) strtab: Option<&'a [u8]>,
    /// Byte range of the STRTAB block that holds it.
    pub strtab_block: Option<Span>,
    /// The irsymtab covering this module.
    pub symtab: Option<SymtabRef<'a>>,
}

impl<'a> ModuleUnit<'a> {
    /// The module's bytes: `[BCBegin, end of MODULE_BLOCK)`.
    pub fn bytes(&self) -> &'a [u8] {
        &self.data[self.begin..self.end]
    }
}

/// A unit: modules written together, with the bytes to copy to reproduce them.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    /// Start of the unit (its magic or wrapper header when it starts a stream, else BCBegin of
    /// its first module).
    pub(crate) start: usize,
    /// Where its first module begins (after magic and wrapper).
    pub(crate) first_begin: usize,
    /// End of its last block.
    pub(crate) end: usize,
    /// Indices into [`Container::modules`].
    pub(crate) modules: Vec<usize>,
}

/// Everything found in a bitcode buffer.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    /// The modules, in order.
    pub modules: Vec<ModuleUnit<'a>>,
    /// The units, in order.
    pub(crate) units: Vec<Unit>,
    /// Number of streams (magics) seen; more than one means the buffer was concatenated.
    pub streams: usize,
}

/// Reads the irsymtab's module count from a SYMTAB blob (header word 5: `Modules.Size`).
fn symtab_module_count(blob: &[u8]) -> Option<usize> {
    let b = blob.get(16..20)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Extracts the blob of a STRTAB or SYMTAB block (its one record, code 1).
fn single_blob<'a>(data: &'a [u8], header: &BlockHeader) -> PResult<&'a [u8]> {
    let mut info = crate::bitcode::bitstream::BlockInfo::default();
    let mut reader = crate::bitcode::bitstream::BlockReader::open(data, header, &info);
    let mut blob = None;
    loop {
        match reader.next(&mut info)? {
            crate::bitcode::bitstream::Entry::End => break,
            crate::bitcode::bitstream::Entry::Record(r) => {
                if r.code == 1 && blob.is_none() {
                    blob = r.blob;
                }
            }
            crate::bitcode::bitstream::Entry::Block(_) => {}
        }
    }
    blob.ok_or_else(|| bad!("block {} has no blob", header.id))
}

struct Scanner<'a> {
    data: &'a [u8],
    modules: Vec<ModuleUnit<'a>>,
    units: Vec<Unit>,
    streams: usize,
    /// SYMTABs waiting for their STRTAB: (indices of modules, blob).
    pending_symtab: Option<(Vec<usize>, &'a [u8])>,
}

impl<'a> Scanner<'a> {
    fn word(&self, pos: usize) -> Option<[u8; 4]> {
        self.data.get(pos..pos + 4).map(|w| [w[0], w[1], w[2], w[3]])
    }

    fn le32(&self, pos: usize) -> PResult<usize> {
        let w = self.word(pos).ok_or_else(|| bad!("truncated bitcode wrapper header"))?;
        Ok(u32::from_le_bytes(w) as usize)
    }

    /// Scans `[pos, end)`.
    fn scan(&mut self, mut pos: usize, end: usize, depth: u32) -> PResult<()> {
        if depth > 4 {
            return Err(bad!("bitcode wrappers nested too deeply"));
        }
        let mut in_stream = false;
        let mut pending_ident: Option<BlockHeader> = None;
        let mut unit_start = pos;
        while pos < end {
            if end - pos <= 8 && in_stream {
                break; // up to 8 trailing bytes are ignored, as LLVM does
            }
            let word = self.word(pos).ok_or_else(|| bad!("truncated bitcode at byte {pos}"))?;
            if word == MAGIC {
                self.close_unit(unit_start, pos);
                in_stream = true;
                self.streams += 1;
                unit_start = pos;
                pos += 4;
                continue;
            }
            if word == WRAPPER_MAGIC {
                self.close_unit(unit_start, pos);
                let offset = self.le32(pos + 8)?;
                let size = self.le32(pos + 12)?;
                let inner_start = pos.checked_add(offset).ok_or_else(|| bad!("bad wrapper offset"))?;
                let inner_end = inner_start.checked_add(size).ok_or_else(|| bad!("bad wrapper size"))?;
                if offset < 20 || inner_end > end {
                    return Err(bad!("bitcode wrapper header points outside the buffer"));
                }
                let first_unit = self.units.len();
                self.scan(inner_start, inner_end, depth + 1)?;
                if let Some(u) = self.units.get_mut(first_unit) {
                    u.start = pos; // copying the unit keeps the wrapper header
                }
                pos = inner_end;
                in_stream = false;
                unit_start = pos;
                continue;
            }
            if word == [0, 0, 0, 0] {
                pos += 4; // padding between concatenated streams
                if !in_stream {
                    unit_start = pos;
                }
                continue;
            }
            if !in_stream {
                return Err(bad!("not LLVM bitcode (no magic at byte {pos})"));
            }
            let limited = &self.data[..end];
            let h = read_top_level_block(limited, pos)?;
            let block_end = (h.end_bit / 8) as usize;
            match h.id {
                block::IDENTIFICATION => pending_ident = Some(h),
                block::MODULE => {
                    let begin = pending_ident.map(|i| (i.start_bit / 8) as usize).unwrap_or(pos);
                    self.modules.push(ModuleUnit {
                        data: self.data,
                        unit: self.units.len(),
                        begin,
                        end: block_end,
                        identification: pending_ident.take(),
                        module_block: h,
                        strtab: None,
                        strtab_block: None,
                        symtab: None,
                    });
                }
                block::STRTAB => {
                    let blob = single_blob(limited, &h)?;
                    for m in self.modules.iter_mut().rev() {
                        if m.strtab.is_some() {
                            break;
                        }
                        m.strtab = Some(blob);
                        m.strtab_block = Some(pos..block_end);
                    }
                    if let Some((mods, sblob)) = self.pending_symtab.take() {
                        for (k, &mi) in mods.iter().enumerate() {
                            self.modules[mi].symtab = Some(SymtabRef { blob: sblob, strtab: Some(blob), index: k });
                        }
                    }
                    // A STRTAB completes the unit unless a SYMTAB is still to come for these
                    // modules; the writer always emits SYMTAB before STRTAB, so close here.
                    pos = block_end;
                    self.close_unit(unit_start, pos);
                    unit_start = pos;
                    continue;
                }
                block::SYMTAB => {
                    let blob = single_blob(limited, &h)?;
                    let unit_mods: Vec<usize> = self
                        .modules
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| m.unit == self.units.len() && m.symtab.is_none())
                        .map(|(i, _)| i)
                        .collect();
                    if let Some(k) = symtab_module_count(blob)
                        && k >= 1
                        && k <= unit_mods.len()
                    {
                        let mods = unit_mods[unit_mods.len() - k..].to_vec();
                        self.pending_symtab = Some((mods, blob));
                    }
                }
                _ => {}
            }
            pos = block_end;
        }
        self.close_unit(unit_start, pos.min(end));
        Ok(())
    }

    /// Ends the current unit at `end` if it holds modules.
    fn close_unit(&mut self, start: usize, end: usize) {
        let index = self.units.len();
        let mods: Vec<usize> = self.modules.iter().enumerate().filter(|(_, m)| m.unit == index).map(|(i, _)| i).collect();
        if mods.is_empty() {
            return;
        }
        let first_begin = self.modules[mods[0]].begin;
        self.units.push(Unit { start, first_begin, end, modules: mods });
        self.pending_symtab = None;
    }
}

/// Finds every module in `data` (a raw bitcode file, a `.llvmbc` section, or a concatenation).
pub fn parse(data: &[u8]) -> PResult<Container<'_>> {
    if !is_bitcode(data) {
        return Err(bad!("not LLVM bitcode (bad magic)"));
    }
    let mut s = Scanner { data, modules: Vec::new(), units: Vec::new(), streams: 0, pending_symtab: None };
    s.scan(0, data.len(), 0)?;
    if s.modules.is_empty() {
        return Err(bad!("no module in bitcode"));
    }
    Ok(Container { modules: s.modules, units: s.units, streams: s.streams })
}

impl<'a> Container<'a> {
    /// The blocks of unit `k` without its magic or wrapper header: what a concatenation copies.
    pub(crate) fn unit_body(&self, k: usize) -> &'a [u8] {
        let u = &self.units[k];
        &self.modules[u.modules[0]].data[u.first_begin..u.end]
    }

    /// One standalone bitcode file per unit (the modules one producer wrote together; a split
    /// LTO unit's two halves stay together, so each file holds at most one ThinLTO module).
    pub(crate) fn unit_files(&self) -> Vec<Vec<u8>> {
        (0..self.units.len())
            .map(|k| {
                let mut out = MAGIC.to_vec();
                out.extend_from_slice(self.unit_body(k));
                out
            })
            .collect()
    }

    /// One magic followed by every unit's blocks: LLVM's multi-module layout.
    pub fn joined(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for k in 0..self.units.len() {
            out.extend_from_slice(self.unit_body(k));
        }
        out
    }
}

/// [`Container::unit_files`] of a buffer.
pub fn split(bitcode: &[u8]) -> PResult<Vec<Vec<u8>>> {
    Ok(parse(bitcode)?.unit_files())
}

/// Raw bitcode from a bitcode section or file: verbatim when it is one stream (a single wrapped
/// stream keeps its wrapper, LLVM reads it); otherwise (a foreign `ld -r` concatenated several)
/// [`Container::joined`]: one magic followed by every unit's blocks, wrapper headers and padding
/// removed.
pub fn normalize(bitcode: &[u8]) -> PResult<std::borrow::Cow<'_, [u8]>> {
    let c = parse(bitcode)?;
    let wrapped_inside = bitcode.starts_with(&WRAPPER_MAGIC);
    if c.streams == 1 && (!wrapped_inside || c.units.len() == 1) {
        return Ok(std::borrow::Cow::Borrowed(bitcode));
    }
    Ok(std::borrow::Cow::Owned(c.joined()))
}
