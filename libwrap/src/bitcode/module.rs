//! Reading one module's records without materialising its IR.
//!
//! What is read (module VERSION 2, i.e. LLVM ≥ 5, where names live in the STRTAB):
//! - IDENTIFICATION: producer string and epoch;
//! - MODULE_BLOCK records: TRIPLE, DATALAYOUT, ASM, SECTIONNAME, COMDAT, GLOBALVAR, FUNCTION,
//!   ALIAS, IFUNC, SOURCE_FILENAME, VSTOFFSET, HASH. Value IDs count GLOBALVAR, FUNCTION, ALIAS
//!   and IFUNC records in record order; every trailing field is optional, as in LLVM's reader;
//! - on request: the module-level VALUE_SYMTAB (`FNENTRY [valueid, word offset]`, the offset of
//!   each function block counted in 32-bit words from BCBegin, plus one), the module CONSTANTS
//!   (to find what an alias points at through a cast or GEP), the summary block, and the
//!   function blocks (to count instructions when there is no summary).
//!
//! Every other sub-block is skipped by its length word.

use crate::bad;
use crate::bitcode::bitstream::{self, BlockHeader, BlockInfo, BlockReader, Entry, Record};
use crate::bitcode::container::{ModuleUnit, block};
use crate::bitcode::summary::{self, Summary};
use crate::error::PResult;

/// Module record codes.
pub(crate) mod code {
    pub(crate) const VERSION: u32 = 1;
    pub(crate) const TRIPLE: u32 = 2;
    pub(crate) const DATALAYOUT: u32 = 3;
    pub(crate) const ASM: u32 = 4;
    pub(crate) const SECTIONNAME: u32 = 5;
    pub(crate) const GLOBALVAR: u32 = 7;
    pub(crate) const FUNCTION: u32 = 8;
    pub(crate) const ALIAS_OLD: u32 = 9;
    pub(crate) const COMDAT: u32 = 12;
    pub(crate) const VSTOFFSET: u32 = 13;
    pub(crate) const ALIAS: u32 = 14;
    pub(crate) const SOURCE_FILENAME: u32 = 16;
    pub(crate) const HASH: u32 = 17;
    pub(crate) const IFUNC: u32 = 18;
}

/// Linkage of a global value, in LLVM's in-memory order (the order summary flags use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Linkage {
    /// `external`
    External = 0,
    /// `available_externally`
    AvailableExternally = 1,
    /// `linkonce`
    LinkOnceAny = 2,
    /// `linkonce_odr`
    LinkOnceOdr = 3,
    /// `weak`
    WeakAny = 4,
    /// `weak_odr`
    WeakOdr = 5,
    /// `appending`
    Appending = 6,
    /// `internal`
    Internal = 7,
    /// `private`
    Private = 8,
    /// `extern_weak`
    ExternWeak = 9,
    /// `common`
    Common = 10,
}

impl Linkage {
    /// Decodes the bitcode record encoding (`getDecodedLinkage`); unknown values are external.
    pub(crate) fn from_bitcode(v: u64) -> Linkage {
        match v {
            2 => Linkage::Appending,
            3 => Linkage::Internal,
            7 => Linkage::ExternWeak,
            8 => Linkage::Common,
            9 | 13 | 14 => Linkage::Private,
            12 => Linkage::AvailableExternally,
            1 | 16 => Linkage::WeakAny,
            10 | 17 => Linkage::WeakOdr,
            4 | 18 => Linkage::LinkOnceAny,
            11 | 19 => Linkage::LinkOnceOdr,
            _ => Linkage::External,
        }
    }

    /// The in-memory encoding.
    pub(crate) fn as_memory(self) -> u8 {
        self as u8
    }

    /// internal or private.
    pub(crate) fn is_local(self) -> bool {
        matches!(self, Linkage::Internal | Linkage::Private)
    }

    /// linkonce*, weak* or extern_weak: what symbol tables call weak.
    pub(crate) fn is_weak_for_linker(self) -> bool {
        matches!(self, Linkage::LinkOnceAny | Linkage::LinkOnceOdr | Linkage::WeakAny | Linkage::WeakOdr | Linkage::ExternWeak)
    }
}

/// What kind of global value a record defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GlobalKind {
    /// GLOBALVAR
    Variable,
    /// FUNCTION
    Function,
    /// ALIAS
    Alias,
    /// IFUNC
    Ifunc,
}

/// A global value record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalValue {
    /// Record kind.
    pub kind: GlobalKind,
    /// IR name (may start with `\x01`).
    pub(crate) name: Vec<u8>,
    /// Linkage.
    pub(crate) linkage: Linkage,
    /// 0 default, 1 hidden, 2 protected (default for local linkage, as LLVM's reader forces).
    pub(crate) visibility: u8,
    /// A declaration (variable without initializer, function prototype).
    pub is_declaration: bool,
    /// Thread-local mode (0 = not TLS).
    pub(crate) thread_local: u8,
    /// Constant variable.
    pub(crate) is_const: bool,
    /// 0 none, 1 unnamed_addr, 2 local_unnamed_addr.
    pub(crate) unnamed_addr: u8,
    /// 1-based SECTIONNAME index (0 none).
    pub(crate) section: u32,
    /// 1-based COMDAT index (0 none).
    pub(crate) comdat: u32,
    /// log2(alignment) + 1 (0 none).
    pub(crate) alignment: u8,
    /// dso_local.
    pub(crate) dso_local: bool,
    /// Aliasee or resolver value ID (aliases and ifuncs).
    pub(crate) target: Option<u64>,
}

/// A COMDAT record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Comdat {
    /// Name.
    pub(crate) name: Vec<u8>,
    /// Selection kind in the bitcode encoding 1–5 (any, exactmatch, largest, nodeduplicate,
    /// samesize).
    pub(crate) selection: u8,
}

/// A function body located through the module VST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionBlock {
    /// Value ID of the function.
    pub value_id: u64,
    /// Byte offset of the FUNCTION_BLOCK from the module's BCBegin.
    pub offset: u64,
    /// Size of the block in bytes (header, body and END_BLOCK).
    pub size: u64,
    /// Instruction records counted in the block (when requested).
    pub instructions: Option<u32>,
}

/// What to read beyond the module-level records.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Decode the ThinLTO / full-LTO summary block.
    pub summary: bool,
    /// Read the module VST and locate function blocks.
    pub function_blocks: bool,
    /// Count instruction records in each function block the summary does not describe
    /// (implies `function_blocks`).
    pub instruction_counts: bool,
    /// Read the module-level constants (what aliases of casts and GEPs point at).
    pub constants: bool,
}

/// Everything read from one module.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    /// IDENTIFICATION producer, e.g. `LLVM19.1.7`.
    pub(crate) producer: Option<String>,
    /// MODULE VERSION record.
    pub(crate) version: u64,
    /// Target triple.
    pub(crate) triple: String,
    /// Data layout string.
    pub(crate) datalayout: String,
    /// SOURCE_FILENAME.
    pub(crate) source_filename: String,
    /// Module-level inline asm (fragments joined by `\n`).
    pub(crate) asm: String,
    /// SECTIONNAME records.
    pub(crate) section_names: Vec<Vec<u8>>,
    /// COMDAT records.
    pub(crate) comdats: Vec<Comdat>,
    /// GLOBALVAR/FUNCTION/ALIAS/IFUNC records; index = value ID.
    pub globals: Vec<GlobalValue>,
    /// MODULE_CODE_HASH.
    pub(crate) hash: Option<[u32; 5]>,
    /// Function blocks (when requested).
    pub function_blocks: Vec<FunctionBlock>,
    /// The summary (when requested and present).
    pub summary: Option<Summary>,
    /// For value IDs past the globals: the global a module-level constant expression is based
    /// on (a cast or GEP of a global), when it could be determined.
    pub(crate) constant_bases: Vec<Option<u64>>,
}

/// The major version in an IDENTIFICATION producer (`LLVM19.1.7` → 19,
/// `LLVM22.1.2-rust-1.95.0-stable` → 22).
pub(crate) fn producer_major(producer: &str) -> Option<u32> {
    let rest = producer.strip_prefix("LLVM")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

pub(crate) fn name_from_strtab(strtab: Option<&[u8]>, off: u64, size: u64) -> PResult<Vec<u8>> {
    if size == 0 {
        return Ok(Vec::new());
    }
    let strtab = strtab.ok_or_else(|| bad!("module names a string but has no STRTAB"))?;
    let (off, size) = (off as usize, size as usize);
    off.checked_add(size)
        .and_then(|e| strtab.get(off..e))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| bad!("string ({off}, {size}) outside the STRTAB of {} bytes", strtab.len()))
}

/// The LLVM major versions that wrote the modules of a raw bitcode buffer (from their
/// IDENTIFICATION producers); empty when it is not bitcode or names no producer.
pub fn llvm_majors(data: &[u8]) -> Vec<u32> {
    let Ok(c) = super::container::parse(data) else { return Vec::new() };
    c.modules.iter().filter_map(|m| read_producer(m).ok().flatten()).filter_map(|p| producer_major(&p)).collect()
}

/// Reads the IDENTIFICATION block's producer string.
pub(crate) fn read_producer(m: &ModuleUnit<'_>) -> PResult<Option<String>> {
    let Some(h) = m.identification else { return Ok(None) };
    let mut info = BlockInfo::default();
    let mut producer = None;
    bitstream::for_each_record(m.data, &h, &mut info, |r| {
        if r.code == 1 {
            producer = Some(String::from_utf8_lossy(&r.string()?).into_owned());
        } else if r.code == 2 && r.op(0) != 0 {
            return Err(bad!("unsupported bitcode epoch {}", r.op(0)));
        }
        Ok(())
    })?;
    Ok(producer)
}

fn u8_field(r: &Record<'_>, i: usize) -> u8 {
    u8::try_from(r.op(i)).unwrap_or(u8::MAX)
}

fn u32_field(r: &Record<'_>, i: usize) -> u32 {
    u32::try_from(r.op(i)).unwrap_or(u32::MAX)
}

fn global_from_record(r: &Record<'_>, strtab: Option<&[u8]>) -> PResult<Option<GlobalValue>> {
    let kind = match r.code {
        code::GLOBALVAR => GlobalKind::Variable,
        code::FUNCTION => GlobalKind::Function,
        code::ALIAS => GlobalKind::Alias,
        code::IFUNC => GlobalKind::Ifunc,
        _ => return Ok(None),
    };
    let min = match kind {
        GlobalKind::Variable => 8,
        GlobalKind::Function => 10,
        GlobalKind::Alias => 7,
        GlobalKind::Ifunc => 7,
    };
    if r.ops.len() < min {
        return Err(bad!("global value record (code {}) with {} operands", r.code, r.ops.len()));
    }
    let name = name_from_strtab(strtab, r.op(0), r.op(1))?;
    let mut g = GlobalValue {
        kind,
        name,
        linkage: Linkage::External,
        visibility: 0,
        is_declaration: false,
        thread_local: 0,
        is_const: false,
        unnamed_addr: 0,
        section: 0,
        comdat: 0,
        alignment: 0,
        dso_local: false,
        target: None,
    };
    match kind {
        GlobalKind::Variable => {
            g.is_const = r.op(3) & 1 != 0;
            g.is_declaration = r.op(4) == 0;
            g.linkage = Linkage::from_bitcode(r.op(5));
            g.alignment = u8_field(r, 6);
            g.section = u32_field(r, 7);
            g.visibility = u8_field(r, 8);
            g.thread_local = u8_field(r, 9);
            g.unnamed_addr = u8_field(r, 10);
            g.comdat = u32_field(r, 13);
            g.dso_local = r.op(15) != 0;
        }
        GlobalKind::Function => {
            g.is_declaration = r.op(4) != 0;
            g.linkage = Linkage::from_bitcode(r.op(5));
            g.alignment = u8_field(r, 7);
            g.section = u32_field(r, 8);
            g.visibility = u8_field(r, 9);
            g.unnamed_addr = u8_field(r, 11);
            g.comdat = u32_field(r, 14);
            g.dso_local = r.op(17) != 0;
        }
        GlobalKind::Alias => {
            g.target = Some(r.op(4));
            g.linkage = Linkage::from_bitcode(r.op(5));
            g.visibility = u8_field(r, 6);
            g.thread_local = u8_field(r, 8);
            g.unnamed_addr = u8_field(r, 9);
            g.dso_local = r.op(10) != 0;
        }
        GlobalKind::Ifunc => {
            g.target = Some(r.op(4));
            g.linkage = Linkage::from_bitcode(r.op(5));
            g.visibility = u8_field(r, 6);
            g.dso_local = r.op(7) != 0;
        }
    }
    if g.linkage.is_local() {
        g.visibility = 0; // LLVM's reader ignores a visibility stored with local linkage
    }
    if g.visibility > 2 {
        return Err(bad!("invalid visibility {} in global value record", g.visibility));
    }
    Ok(Some(g))
}

/// Reads a module. `opts` says which sub-blocks to decode; the rest are skipped.
pub fn read_module(m: &ModuleUnit<'_>, opts: ReadOptions) -> PResult<ModuleInfo> {
    let mut info = ModuleInfo { producer: read_producer(m)?, ..ModuleInfo::default() };
    let mut blockinfo = BlockInfo::default();
    let mut reader = BlockReader::open(m.data, &m.module_block, &blockinfo);
    let mut subblocks: Vec<BlockHeader> = Vec::new();
    loop {
        match reader.next(&mut blockinfo)? {
            Entry::End => break,
            Entry::Block(h) => {
                if h.id == block::BLOCKINFO {
                    // BLOCKINFO must be read in stream order: later blocks use its abbrevs.
                    bitstream::for_each_record(m.data, &h, &mut blockinfo, |_| Ok(()))?;
                } else {
                    subblocks.push(h);
                }
            }
            Entry::Record(r) => match r.code {
                code::VERSION => {
                    info.version = r.op(0);
                    if info.version < 2 {
                        return Err(bad!("module version {} (bitcode older than LLVM 5) is not supported", info.version));
                    }
                }
                code::TRIPLE => info.triple = String::from_utf8_lossy(&r.string()?).into_owned(),
                code::DATALAYOUT => info.datalayout = String::from_utf8_lossy(&r.string()?).into_owned(),
                code::ASM => {
                    if !info.asm.is_empty() {
                        info.asm.push('\n');
                    }
                    info.asm.push_str(&String::from_utf8_lossy(&r.string()?));
                }
                code::SECTIONNAME => info.section_names.push(r.string()?),
                code::SOURCE_FILENAME => info.source_filename = String::from_utf8_lossy(&r.string()?).into_owned(),
                code::COMDAT => {
                    // v2: [strtab_offset, strtab_size, selection_kind]
                    let name = name_from_strtab(m.strtab, r.op(0), r.op(1))?;
                    info.comdats.push(Comdat { name, selection: u8_field(&r, 2) });
                }
                code::ALIAS_OLD => {
                    return Err(bad!("pre-LLVM 3.8 alias records are not supported"));
                }
                code::HASH => {
                    if r.ops.len() != 5 {
                        return Err(bad!("module hash record with {} words", r.ops.len()));
                    }
                    let mut h = [0u32; 5];
                    for (k, w) in h.iter_mut().enumerate() {
                        *w = r.op(k) as u32;
                    }
                    info.hash = Some(h);
                }
                code::VSTOFFSET => {}
                _ => {
                    if let Some(g) = global_from_record(&r, m.strtab)? {
                        info.globals.push(g);
                    }
                }
            },
        }
    }
    let want_fns = opts.function_blocks || opts.instruction_counts;
    for h in &subblocks {
        match h.id {
            block::VALUE_SYMTAB if want_fns => read_function_entries(m, h, &mut blockinfo, &mut info)?,
            block::CONSTANTS if opts.constants => read_constant_bases(m, h, &mut blockinfo, &mut info)?,
            block::GLOBALVAL_SUMMARY | block::FULL_LTO_GLOBALVAL_SUMMARY if opts.summary => {
                info.summary = Some(summary::read(m.data, h, h.id == block::GLOBALVAL_SUMMARY)?);
            }
            _ => {}
        }
    }
    if opts.instruction_counts {
        // Functions the summary describes have their count there already.
        let summarized: std::collections::HashSet<u64> = info
            .summary
            .iter()
            .flat_map(|s| s.entries.iter())
            .filter_map(|e| match e {
                summary::Entry::Function(f) => Some(f.value_id),
                _ => None,
            })
            .collect();
        for f in &mut info.function_blocks {
            if !summarized.contains(&f.value_id) {
                f.instructions = Some(count_instructions(m, f, &mut blockinfo)?);
            }
        }
    }
    Ok(info)
}

/// FNENTRY records of the module-level VST: where each function body is.
fn read_function_entries(m: &ModuleUnit<'_>, h: &BlockHeader, blockinfo: &mut BlockInfo, info: &mut ModuleInfo) -> PResult<()> {
    let mut entries = Vec::new();
    bitstream::for_each_record(m.data, h, blockinfo, |r| {
        if r.code == 3 {
            entries.push((r.op(0), r.op(1)));
        }
        Ok(())
    })?;
    let begin_bit = m.begin as u64 * 8;
    let module_end = m.module_block.end_bit;
    for (value_id, word) in entries {
        if word == 0 {
            return Err(bad!("function entry with offset 0"));
        }
        let bit = begin_bit.checked_add((word - 1).saturating_mul(32)).ok_or_else(|| bad!("function offset overflows"))?;
        let fh = bitstream::read_block_at(m.data, bit, m.module_block.abbrev_width, module_end)
            .map_err(|e| bad!("function entry for value {value_id}: {}", e.0))?;
        if fh.id != block::FUNCTION {
            return Err(bad!("function entry for value {value_id} points at block {}", fh.id));
        }
        info.function_blocks.push(FunctionBlock {
            value_id,
            offset: (bit - begin_bit) / 8,
            size: (fh.end_bit - fh.start_bit) / 8,
            instructions: None,
        });
    }
    info.function_blocks.sort_by_key(|f| f.offset);
    Ok(())
}

/// Module-level constants: for each, the global value it is a cast or GEP of (if any).
fn read_constant_bases(m: &ModuleUnit<'_>, h: &BlockHeader, blockinfo: &mut BlockInfo, info: &mut ModuleInfo) -> PResult<()> {
    let first = info.globals.len() as u64 + info.constant_bases.len() as u64;
    let mut bases: Vec<Option<u64>> = Vec::new();
    bitstream::for_each_record(m.data, h, blockinfo, |r| {
        let base = match r.code {
            1 => return Ok(()),  // SETTYPE defines no value
            11 => Some(r.op(2)), // CE_CAST [opcode, opty, opval]
            // CE_GEP (old) / CE_INBOUNDS_GEP: [pointee type if odd, (ty, val)*]
            12 | 20 => {
                let skip = r.ops.len() % 2;
                r.ops.get(skip + 1).copied()
            }
            // CE_GEP (LLVM ≥ 19): [pointee type, flags, (ty, val)*]
            32 => r.ops.get(3).copied(),
            _ => None,
        };
        bases.push(base);
        Ok(())
    })?;
    // Resolve chains: a constant based on another constant.
    let _ = first;
    info.constant_bases.extend(bases);
    Ok(())
}

impl ModuleInfo {
    /// The global value (index) that value ID `id` ultimately names, following aliases and
    /// constant casts/GEPs; `None` if it cannot be told.
    pub(crate) fn base_object(&self, mut id: u64) -> Option<usize> {
        for _ in 0..64 {
            let n = self.globals.len() as u64;
            if id < n {
                let g = &self.globals[id as usize];
                match (g.kind, g.target) {
                    (GlobalKind::Alias, Some(t)) => id = t,
                    _ => return Some(id as usize),
                }
            } else {
                id = (*self.constant_bases.get((id - n) as usize)?)?;
            }
        }
        None
    }
}

/// Record codes in a FUNCTION_BLOCK that are not instructions.
fn is_instruction_code(code: u32) -> bool {
    !matches!(code, 1 | 33 | 35 | 55 | 60 | 61 | 62 | 63 | 64 | 65)
}

fn count_instructions(m: &ModuleUnit<'_>, f: &FunctionBlock, blockinfo: &mut BlockInfo) -> PResult<u32> {
    let bit = m.begin as u64 * 8 + f.offset * 8;
    let h = bitstream::read_block_at(m.data, bit, m.module_block.abbrev_width, m.module_block.end_bit)?;
    let mut n = 0u32;
    bitstream::for_each_record(m.data, &h, blockinfo, |r| {
        if is_instruction_code(r.code) {
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}
