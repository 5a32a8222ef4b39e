//! The `.tl.summary` section: one self-delimiting, checksummed record per bitcode module.
//!
//! Format (version 1, all integers little-endian):
//! ```text
//! record  = magic "TLSM" | version u16 | reserved u16 (0) | body_len u32 | body | crc u32
//!           crc = CRC-32 (ISO-HDLC, crc32fast) of every byte from magic to the end of body
//! body    = module_index u32 | unit_offset u64 | unit_size u64      (where the record's writer put
//!           module_size u64 | module_crc u32                          the module's unit in .llvmbc;
//!           source_filename str | triple str | producer str           identity of the module bytes
//!           hash_present u8 | hash [u32; 5]                           [BCBegin, end of MODULE_BLOCK))
//!           summary_kind u8 (0 none, 1 ThinLTO, 2 regular LTO) | summary_version u32 | summary_flags u64
//!           nsymbols u32 | symbol × nsymbols
//!           nfunctions u32 | function × nfunctions
//! symbol   = name str | guid u64 | linkage u8 (in-memory LLVM enum, 255 unknown) | visibility u8
//!           | kind u8 (see [`SymbolKind`]) | flags u32 (irsymtab flag bits)
//! function = symbol u32 (index in the record's symbols) | inst_count u32 | counted u8 (1 = counted
//!           from the function block, 0 = from the ThinLTO summary) | block_offset u64 (from the
//!           module's BCBegin, u64::MAX unknown) | block_size u64 | fflags u64
//!           | ncalls u32 | (callee_guid u64 | hotness u8 | tail u8) × ncalls | nrefs u32 | guid u64 × nrefs
//! str      = len u32 | bytes
//! ```
//! Records follow each other; zero bytes between records are padding (a linker may align a
//! concatenation). After a foreign `ld -r` concatenated two sections, every record is still found,
//! and the reader matches records to modules by `(module_size, module_crc)`, not by offset.

use crate::bad;
use crate::error::PResult;

/// Record magic.
pub const MAGIC: &[u8; 4] = b"TLSM";
/// Version written.
pub(crate) const VERSION: u16 = 1;

/// A symbol entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolRecord {
    /// Linker name.
    pub name: Vec<u8>,
    /// ThinLTO GUID.
    pub guid: u64,
    /// In-memory linkage, 255 when unknown.
    pub(crate) linkage: u8,
    /// 0 default, 1 hidden, 2 protected.
    pub(crate) visibility: u8,
    /// Kind code (see [`SymbolKind`]).
    pub(crate) kind: u8,
    /// irsymtab flag bits.
    pub(crate) flags: u32,
}

/// A call edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// Callee GUID.
    pub guid: u64,
    /// Hotness (0 unknown … 4 critical).
    pub hotness: u8,
    /// Tail call.
    pub tail: bool,
}

/// A defined function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionRecord {
    /// Index into the record's symbols.
    pub symbol: u32,
    /// Instruction count.
    pub inst_count: u32,
    /// True if counted from the function block (no ThinLTO summary), false if from the summary.
    pub counted: bool,
    /// Offset of the FUNCTION_BLOCK from the module's BCBegin (`u64::MAX` if unknown).
    pub block_offset: u64,
    /// Size of the FUNCTION_BLOCK in bytes.
    pub block_size: u64,
    /// Summary function flags.
    pub(crate) fflags: u64,
    /// Calls (from the ThinLTO summary).
    pub calls: Vec<CallRecord>,
    /// References (GUIDs, from the ThinLTO summary).
    pub refs: Vec<u64>,
}

/// One module's record.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ModuleRecord {
    /// Module index in the `.llvmbc` the record was written with.
    pub module_index: u32,
    /// Offset of the module's unit in that `.llvmbc`.
    pub(crate) unit_offset: u64,
    /// Size of the unit.
    pub(crate) unit_size: u64,
    /// Size of the module's bytes (BCBegin to end of MODULE_BLOCK).
    pub(crate) module_size: u64,
    /// CRC-32 of those bytes.
    pub(crate) module_crc: u32,
    /// SOURCE_FILENAME.
    pub source_filename: String,
    /// Target triple.
    pub triple: String,
    /// IDENTIFICATION producer.
    pub producer: String,
    /// MODULE_CODE_HASH.
    pub hash: Option<[u32; 5]>,
    /// 0 none, 1 ThinLTO, 2 regular LTO.
    pub summary_kind: u8,
    /// FS_VERSION.
    pub summary_version: u32,
    /// FS_FLAGS.
    pub summary_flags: u64,
    /// Symbols.
    pub symbols: Vec<SymbolRecord>,
    /// Defined functions.
    pub functions: Vec<FunctionRecord>,
}

/// What a symbol names, as its `kind` byte says. The numbering is part of the format; codes
/// 0 (no type), 7 (section), 8 (file) and 9 (other) are reserved for ELF kinds that bitcode
/// symbols never have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SymbolKind {
    /// Code (1).
    Function = 1,
    /// Data (2).
    Data = 2,
    /// Thread-local data (3).
    Tls = 3,
    /// A common symbol (4).
    Common = 4,
    /// An indirect function (5).
    Ifunc = 5,
    /// An alias (6).
    Alias = 6,
}

impl SymbolKind {
    /// The byte stored in a symbol entry.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

struct Out(Vec<u8>);

impl Out {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }
}

struct In<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> PResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| bad!("summary record truncated (needed {n} bytes at {} of {})", self.pos, self.data.len()))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> PResult<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> PResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> PResult<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> PResult<Vec<u8>> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn string(&mut self) -> PResult<String> {
        String::from_utf8(self.bytes()?).map_err(|_| bad!("summary string is not UTF-8"))
    }
    /// A count whose elements take at least `min` bytes each.
    fn count(&mut self, min: usize) -> PResult<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.data.len() - self.pos {
            return Err(bad!("summary count {n} exceeds the record"));
        }
        Ok(n)
    }
}

/// Encodes one record.
pub(crate) fn encode(r: &ModuleRecord) -> Vec<u8> {
    let mut b = Out(Vec::new());
    b.u32(r.module_index);
    b.u64(r.unit_offset);
    b.u64(r.unit_size);
    b.u64(r.module_size);
    b.u32(r.module_crc);
    b.bytes(r.source_filename.as_bytes());
    b.bytes(r.triple.as_bytes());
    b.bytes(r.producer.as_bytes());
    b.u8(u8::from(r.hash.is_some()));
    for w in r.hash.unwrap_or_default() {
        b.u32(w);
    }
    b.u8(r.summary_kind);
    b.u32(r.summary_version);
    b.u64(r.summary_flags);
    b.u32(r.symbols.len() as u32);
    for s in &r.symbols {
        b.bytes(&s.name);
        b.u64(s.guid);
        b.u8(s.linkage);
        b.u8(s.visibility);
        b.u8(s.kind);
        b.u32(s.flags);
    }
    b.u32(r.functions.len() as u32);
    for f in &r.functions {
        b.u32(f.symbol);
        b.u32(f.inst_count);
        b.u8(u8::from(f.counted));
        b.u64(f.block_offset);
        b.u64(f.block_size);
        b.u64(f.fflags);
        b.u32(f.calls.len() as u32);
        for c in &f.calls {
            b.u64(c.guid);
            b.u8(c.hotness);
            b.u8(u8::from(c.tail));
        }
        b.u32(f.refs.len() as u32);
        for g in &f.refs {
            b.u64(*g);
        }
    }
    let body = b.0;
    let mut out = Out(Vec::with_capacity(body.len() + 16));
    out.0.extend_from_slice(MAGIC);
    out.u16(VERSION);
    out.u16(0);
    out.u32(body.len() as u32);
    out.0.extend_from_slice(&body);
    let crc = crc32fast::hash(&out.0);
    out.u32(crc);
    out.0
}

/// Encodes a section's worth of records.
pub(crate) fn encode_all(records: &[ModuleRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(&encode(r));
    }
    out
}

fn decode_body(body: &[u8]) -> PResult<ModuleRecord> {
    let mut i = In { data: body, pos: 0 };
    let mut r = ModuleRecord {
        module_index: i.u32()?,
        unit_offset: i.u64()?,
        unit_size: i.u64()?,
        module_size: i.u64()?,
        module_crc: i.u32()?,
        source_filename: i.string()?,
        triple: i.string()?,
        producer: i.string()?,
        ..ModuleRecord::default()
    };
    let has_hash = i.u8()?;
    let mut hash = [0u32; 5];
    for w in &mut hash {
        *w = i.u32()?;
    }
    r.hash = match has_hash {
        0 => None,
        1 => Some(hash),
        v => return Err(bad!("summary hash flag {v}")),
    };
    r.summary_kind = i.u8()?;
    if r.summary_kind > 2 {
        return Err(bad!("summary kind {}", r.summary_kind));
    }
    r.summary_version = i.u32()?;
    r.summary_flags = i.u64()?;
    let n = i.count(19)?;
    r.symbols.reserve(n);
    for _ in 0..n {
        r.symbols.push(SymbolRecord {
            name: i.bytes()?,
            guid: i.u64()?,
            linkage: i.u8()?,
            visibility: i.u8()?,
            kind: i.u8()?,
            flags: i.u32()?,
        });
    }
    let n = i.count(41)?;
    r.functions.reserve(n);
    for _ in 0..n {
        let symbol = i.u32()?;
        if symbol as usize >= r.symbols.len() {
            return Err(bad!("summary function names symbol {symbol} of {}", r.symbols.len()));
        }
        let inst_count = i.u32()?;
        let counted = match i.u8()? {
            0 => false,
            1 => true,
            v => return Err(bad!("summary count flag {v}")),
        };
        let block_offset = i.u64()?;
        let block_size = i.u64()?;
        let fflags = i.u64()?;
        let nc = i.count(10)?;
        let mut calls = Vec::with_capacity(nc);
        for _ in 0..nc {
            calls.push(CallRecord { guid: i.u64()?, hotness: i.u8()?, tail: i.u8()? != 0 });
        }
        let nr = i.count(8)?;
        let mut refs = Vec::with_capacity(nr);
        for _ in 0..nr {
            refs.push(i.u64()?);
        }
        r.functions.push(FunctionRecord { symbol, inst_count, counted, block_offset, block_size, fflags, calls, refs });
    }
    if i.pos != body.len() {
        return Err(bad!("{} unread bytes at the end of a summary record", body.len() - i.pos));
    }
    Ok(r)
}

/// Decodes every record of a section (or of several concatenated sections).
pub fn decode_all(data: &[u8]) -> PResult<Vec<ModuleRecord>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        if data[pos] == 0 {
            pos += 1; // padding between concatenated sections
            continue;
        }
        let rest = &data[pos..];
        if rest.len() < 16 || &rest[..4] != MAGIC {
            return Err(bad!("no summary record at byte {pos} of .tl.summary"));
        }
        let version = u16::from_le_bytes([rest[4], rest[5]]);
        if version == 0 || version > VERSION {
            return Err(bad!("summary record version {version} (this tl reads 1 to {VERSION})"));
        }
        let len = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]) as usize;
        let total = len
            .checked_add(16)
            .filter(|&t| t <= rest.len())
            .ok_or_else(|| bad!("summary record at byte {pos} claims {len} bytes, {} left", rest.len() - 12))?;
        let stored = u32::from_le_bytes([rest[total - 4], rest[total - 3], rest[total - 2], rest[total - 1]]);
        let crc = crc32fast::hash(&rest[..total - 4]);
        if crc != stored {
            return Err(bad!("summary record at byte {pos} is corrupt (CRC {crc:08x}, stored {stored:08x})"));
        }
        out.push(decode_body(&rest[12..total - 4]).map_err(|e| bad!("summary record at byte {pos}: {e}"))?);
        pos += total;
    }
    Ok(out)
}
