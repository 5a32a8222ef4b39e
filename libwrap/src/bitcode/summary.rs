//! The per-module ThinLTO summary (`GLOBALVAL_SUMMARY_BLOCK`, 20) and the regular-LTO one
//! (`FULL_LTO_GLOBALVAL_SUMMARY_BLOCK`, 24).
//!
//! Record layouts by summary version (`FS_VERSION` is the first record; LLVM 14 writes 9,
//! LLVM 19 writes 10, LLVM 22 writes 12):
//! - `FS_PERMODULE` (1), `FS_PERMODULE_PROFILE` (2), `FS_PERMODULE_RELBF` (19):
//!   `[valueid, gvflags, instcount, fflags (v ≥ 4), numrefs, rorefcnt (v ≥ 5),
//!   worefcnt (v ≥ 7), refs × numrefs, calls…]`; calls are callee value IDs (code 1), or pairs
//!   `(callee, hotness | tail << 3)` (code 2), or `(callee, relbf)` (code 19); version 1 adds
//!   per-call counts that are skipped;
//! - `FS_PERMODULE_GLOBALVAR_INIT_REFS` (3): `[valueid, gvflags, varflags (v ≥ 5), refs…]`;
//! - `FS_PERMODULE_VTABLE_GLOBALVAR_INIT_REFS` (23): `[valueid, gvflags, varflags, numrefs,
//!   refs…, (vfunc valueid, offset)…]`;
//! - `FS_ALIAS` (7): `[valueid, gvflags, aliasee valueid]`;
//! - `FS_VALUE_GUID` (16): `[valueid, guid]`, or `[valueid, guid_hi32, guid_lo32]` from v11;
//! - `FS_FLAGS` (20): index flags.
//!
//! gvflags: bits 0–3 linkage (in-memory enum), 4 notEligibleToImport, 5 live, 6 dsoLocal,
//! 7 canAutoHide, 8–9 visibility, 10 importType.

use rustc_hash::FxHashMap;

use crate::bad;
use crate::bitcode::bitstream::{self, BlockHeader, BlockInfo};
use crate::error::PResult;

/// A call edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    /// Callee value ID (a module global, or an ID given a GUID by `FS_VALUE_GUID`).
    pub(crate) callee: u64,
    /// Hotness: 0 unknown, 1 cold, 2 none, 3 hot, 4 critical.
    pub(crate) hotness: u8,
    /// Tail call (v ≥ 10 profile records).
    pub(crate) tail: bool,
    /// Relative block frequency (`FS_PERMODULE_RELBF` only).
    pub(crate) relbf: u64,
}

/// A function summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSummary {
    /// Value ID.
    pub value_id: u64,
    /// gvflags.
    pub(crate) flags: u64,
    /// Instruction count.
    pub inst_count: u32,
    /// Function flags.
    pub(crate) fflags: u64,
    /// Referenced value IDs.
    pub(crate) refs: Vec<u64>,
    /// Read-only refs (the last `ro + wo` refs are read-only then write-only).
    pub(crate) ro_refs: u64,
    /// Write-only refs.
    pub(crate) wo_refs: u64,
    /// Calls.
    pub(crate) calls: Vec<Call>,
}

/// A summary entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A function.
    Function(FunctionSummary),
    /// A global variable with its initializer's references.
    Variable {
        /// Value ID.
        value_id: u64,
        /// gvflags.
        flags: u64,
        /// varflags.
        var_flags: u64,
        /// Referenced value IDs.
        refs: Vec<u64>,
    },
    /// An alias.
    Alias {
        /// Value ID.
        value_id: u64,
        /// gvflags.
        flags: u64,
        /// Aliasee value ID.
        aliasee: u64,
    },
}

/// A module's summary.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Summary {
    /// True for the ThinLTO block (20), false for the regular-LTO one (24).
    pub(crate) thin: bool,
    /// FS_VERSION.
    pub version: u64,
    /// FS_FLAGS.
    pub(crate) flags: u64,
    /// Entries in record order.
    pub entries: Vec<Entry>,
    /// GUIDs given explicitly to value IDs.
    pub(crate) value_guids: FxHashMap<u64, u64>,
}

/// Highest summary version this reader knows; newer ones are refused like LLVM refuses them.
pub(crate) const MAX_VERSION: u64 = 14;

/// Reads a summary block.
pub(crate) fn read(data: &[u8], h: &BlockHeader, thin: bool) -> PResult<Summary> {
    let mut s = Summary { thin, ..Summary::default() };
    let mut info = BlockInfo::default();
    let mut seen_version = false;
    bitstream::for_each_record(data, h, &mut info, |r| {
        let ops = &r.ops;
        if !seen_version {
            if r.code != 10 {
                return Err(bad!("summary block does not start with its version"));
            }
            s.version = r.op(0);
            if s.version < 1 || s.version > MAX_VERSION {
                return Err(bad!("unsupported summary version {}", s.version));
            }
            seen_version = true;
            return Ok(());
        }
        let v = s.version;
        match r.code {
            20 => s.flags = r.op(0),
            16 => {
                let guid = if v >= 11 { (r.op(1) << 32) | (r.op(2) & 0xffff_ffff) } else { r.op(1) };
                s.value_guids.insert(r.op(0), guid);
            }
            1 | 2 | 19 => {
                if ops.len() < 4 {
                    return Err(bad!("function summary record with {} operands", ops.len()));
                }
                let (fflags, numrefs, ro, wo, start) = if v >= 7 {
                    (r.op(3), r.op(4), r.op(5), r.op(6), 7)
                } else if v >= 5 {
                    (r.op(3), r.op(4), r.op(5), 0, 6)
                } else if v >= 4 {
                    (r.op(3), r.op(4), 0, 0, 5)
                } else {
                    (0, r.op(3), 0, 0, 4)
                };
                let refs_end = (start as u64)
                    .checked_add(numrefs)
                    .filter(|&e| e <= ops.len() as u64)
                    .ok_or_else(|| bad!("summary record with {numrefs} refs is too short"))? as usize;
                let refs = ops[start..refs_end].to_vec();
                let mut calls = Vec::new();
                let rest = &ops[refs_end..];
                let mut i = 0;
                while i < rest.len() {
                    let mut call = Call { callee: rest[i], hotness: 0, tail: false, relbf: 0 };
                    if v == 1 {
                        i += if r.code == 2 { 2 } else { 1 };
                    } else if r.code == 2 {
                        i += 1;
                        let e = *rest.get(i).ok_or_else(|| bad!("call edge without hotness"))?;
                        call.hotness = (e & 7) as u8;
                        call.tail = e & 8 != 0;
                    } else if r.code == 19 {
                        i += 1;
                        call.relbf = *rest.get(i).ok_or_else(|| bad!("call edge without frequency"))?;
                    }
                    calls.push(call);
                    i += 1;
                }
                s.entries.push(Entry::Function(FunctionSummary {
                    value_id: r.op(0),
                    flags: r.op(1),
                    inst_count: u32::try_from(r.op(2)).unwrap_or(u32::MAX),
                    fflags,
                    refs,
                    ro_refs: ro,
                    wo_refs: wo,
                    calls,
                }));
            }
            3 => {
                if ops.len() < 2 {
                    return Err(bad!("variable summary record with {} operands", ops.len()));
                }
                let (var_flags, start) = if v >= 5 { (r.op(2), 3) } else { (0, 2) };
                let refs = ops.get(start..).unwrap_or(&[]).to_vec();
                s.entries.push(Entry::Variable { value_id: r.op(0), flags: r.op(1), var_flags, refs });
            }
            23 => {
                if ops.len() < 4 {
                    return Err(bad!("vtable summary record with {} operands", ops.len()));
                }
                let n = r.op(3);
                let end =
                    4u64.checked_add(n).filter(|&e| e <= ops.len() as u64).ok_or_else(|| bad!("vtable summary record too short"))? as usize;
                s.entries.push(Entry::Variable { value_id: r.op(0), flags: r.op(1), var_flags: r.op(2), refs: ops[4..end].to_vec() });
            }
            7 => {
                if ops.len() < 3 {
                    return Err(bad!("alias summary record with {} operands", ops.len()));
                }
                s.entries.push(Entry::Alias { value_id: r.op(0), flags: r.op(1), aliasee: r.op(2) });
            }
            _ => {}
        }
        Ok(())
    })?;
    if !seen_version {
        return Err(bad!("empty summary block"));
    }
    Ok(s)
}
