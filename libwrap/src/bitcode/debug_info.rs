//! Removing debug info from a module's bitcode (what `strip -g` does to a native object's
//! `.debug_*` sections): variable locations as debug *records* (LLVM ≥ 19 writes
//! `FUNC_CODE_DEBUG_RECORD_*`) or as `llvm.dbg.*` calls (LLVM 14–18).
//!
//! What goes, as LLVM's `StripDebugInfo` removes it:
//! - in function blocks: `DEBUG_LOC`/`DEBUG_LOC_AGAIN` (instruction locations) and the debug
//!   records; in their `METADATA_ATTACHMENT` blocks, the `!dbg`, `!DIAssignID` and
//!   `!heapallocsite` attachments;
//! - in the module's METADATA block: the `llvm.dbg.*` named metadata, the `!dbg` attachments of
//!   globals and declarations (`GLOBAL_DECL_ATTACHMENT`), and the DILocations that loop
//!   metadata names (the loop properties stay); the metadata index, which records positions in
//!   the block, is dropped (readers then read the block in order, as they do without one).
//!
//! The debug-info nodes themselves stay in the block, unreferenced: nothing reaches them, so
//! LLVM's reader and `llvm-dis` no longer see them, and metadata IDs need no renumbering.
//! Modules that carry variable locations as calls to `llvm.dbg.*` intrinsics (LLVM 14–18) get
//! those calls dropped ([`dbg_calls`] finds them by numbering the function's values); the
//! intrinsics' declarations stay, unused.

use rustc_hash::FxHashSet;

use crate::bad;
use crate::bitcode::bitstream::{self, BlockHeader, BlockInfo, BlockReader, Entry, Record};
use crate::bitcode::bitwriter::BitWriter;
use crate::bitcode::container::{ModuleUnit, block, block::METADATA};
use crate::bitcode::dbg_calls::{self, Numbering};
use crate::bitcode::module::{self, ModuleInfo};
use crate::bitcode::reemit::{Edit, copy_block, rewrite_block, rewrite_block_with};
use crate::error::PResult;

/// METADATA_ATTACHMENT block (in function blocks).
const METADATA_ATTACHMENT: u32 = 16;
/// METADATA_KIND_BLOCK.
const METADATA_KIND: u32 = 22;

/// Metadata record codes this module reads.
mod md {
    pub(super) const NODE: u32 = 3;
    pub(super) const NAME: u32 = 4;
    pub(super) const DISTINCT_NODE: u32 = 5;
    pub(super) const KIND: u32 = 6;
    pub(super) const LOCATION: u32 = 7;
    pub(super) const NAMED_NODE: u32 = 10;
    pub(super) const STRINGS: u32 = 35;
    pub(super) const GLOBAL_DECL_ATTACHMENT: u32 = 36;
    pub(super) const INDEX_OFFSET: u32 = 38;
    pub(super) const INDEX: u32 = 39;
}

/// How many metadata IDs a module-level METADATA record defines (LLVM's `parseOneMetadata`);
/// `None` for a code this reader does not know.
fn ids_defined(r: &Record<'_>) -> Option<u64> {
    match r.code {
        md::NAME | md::KIND | md::NAMED_NODE | 11 | md::GLOBAL_DECL_ATTACHMENT | md::INDEX_OFFSET | md::INDEX => Some(0),
        md::STRINGS => Some(r.op(0)),
        1..=3 | 5 | 7..=9 | 12..=34 | 37 | 40 | 41 | 44..=47 => Some(1),
        _ => None,
    }
}

/// What stripping a module needs to know, gathered before it is rewritten.
#[derive(Clone, Debug, Default)]
pub(crate) struct DebugPlan {
    /// Attachment kinds that go: `dbg` (0), `DIAssignID`, `heapallocsite` (a DIType).
    kinds: FxHashSet<u64>,
    /// Module-level metadata IDs of DILocation nodes.
    locations: FxHashSet<u64>,
    /// Metadata IDs the module-level block defines (a function's own METADATA block numbers
    /// its nodes from there).
    module_ids: u64,
    /// When variable locations are `llvm.dbg.*` calls: what finding them needs.
    calls: Option<dbg_calls::ModuleValues>,
}

/// True if the module has debug info (named metadata `llvm.dbg.cu`).
pub(crate) fn has_debug_info(m: &ModuleUnit<'_>) -> PResult<bool> {
    let mut found = false;
    for_module_block(m, METADATA, &mut |r| {
        found |= r.code == md::NAME && spells(&r.ops, b"llvm.dbg.cu");
        Ok(())
    })?;
    Ok(found)
}

/// Calls `f` for every record of the module's sub-blocks with ID `id`.
fn for_module_block(m: &ModuleUnit<'_>, id: u32, f: &mut dyn FnMut(&Record<'_>) -> PResult<()>) -> PResult<()> {
    let mut info = BlockInfo::default();
    let mut reader = BlockReader::open(m.data, &m.module_block, &info);
    loop {
        match reader.next(&mut info)? {
            Entry::End => return Ok(()),
            Entry::Record(_) => {}
            Entry::Block(h) if h.id == block::BLOCKINFO || h.id == id => {
                bitstream::for_each_record(m.data, &h, &mut info, |r| if h.id == id { f(r) } else { Ok(()) })?;
            }
            Entry::Block(_) => {}
        }
    }
}

/// Plans the removal, or refuses a module whose debug info cannot be removed.
pub(crate) fn plan(m: &ModuleUnit<'_>, info: &ModuleInfo) -> PResult<DebugPlan> {
    let mut plan = DebugPlan::default();
    if info.globals.iter().any(|g| g.name.starts_with(b"llvm.dbg.")) {
        // LLVM 14–18: variable locations are calls; number the functions' values to find them.
        let names: Vec<Vec<u8>> = info.globals.iter().map(|g| g.name.clone()).collect();
        let version = info.producer.as_deref().and_then(module::producer_major).map_or("LLVM".to_string(), |v| format!("LLVM {v}"));
        plan.calls = Some(dbg_calls::module_values(m, &names).map_err(|e| bad!("{version} debug intrinsics: {e}"))?);
    }
    plan.kinds.insert(0);
    for_module_block(m, METADATA_KIND, &mut |r| {
        let name = r.ops.get(1..).unwrap_or_default();
        if r.code == md::KIND && [&b"dbg"[..], b"DIAssignID", b"heapallocsite"].iter().any(|k| spells(name, k)) {
            plan.kinds.insert(r.op(0));
        }
        Ok(())
    })?;
    let mut unknown = None;
    for_module_block(m, METADATA, &mut |r| {
        count_ids(r, &mut plan.module_ids, &mut plan.locations, &mut unknown);
        Ok(())
    })?;
    if let Some(code) = unknown {
        return Err(bad!("metadata record {code} is unknown to tl; the debug info was not removed"));
    }
    Ok(plan)
}

/// Numbers one METADATA record: the DILocations it defines go into `locations`.
fn count_ids(r: &Record<'_>, next_id: &mut u64, locations: &mut FxHashSet<u64>, unknown: &mut Option<u32>) {
    if r.code == md::LOCATION {
        locations.insert(*next_id);
    }
    match ids_defined(r).and_then(|n| next_id.checked_add(n)) {
        Some(n) => *next_id = n,
        None => *unknown = unknown.or(Some(r.code)),
    }
}

/// True if a record's operands spell `text` (each operand one byte, none larger).
fn spells(ops: &[u64], text: &[u8]) -> bool {
    ops.len() == text.len() && ops.iter().zip(text).all(|(&v, &c)| v == u64::from(c))
}

/// Re-emits function body `k` without instruction locations, debug records, calls to the
/// `llvm.dbg.*` intrinsics and debug attachments (and with its own METADATA block cleaned as the
/// module's).
pub(crate) fn rewrite_function(
    w: &mut BitWriter,
    data: &[u8],
    h: &BlockHeader,
    width: u32,
    info: &mut BlockInfo,
    plan: &DebugPlan,
    k: usize,
) -> PResult<()> {
    let numbering = match &plan.calls {
        Some(values) => Some(std::cell::RefCell::new(Numbering::new(values, k)?)),
        None => None,
    };
    let failure = std::cell::RefCell::new(None);
    let mut edit = |r: &Record<'_>| {
        if let Some(n) = &numbering {
            match n.borrow_mut().is_dbg_call(r) {
                Ok(true) => return Edit::Drop,
                Ok(false) => {}
                Err(e) => {
                    failure.borrow_mut().get_or_insert(e);
                }
            }
        }
        if matches!(r.code, 33 | 35 | 61..=65) { Edit::Drop } else { Edit::Keep }
    };
    let mut sub = |w: &mut BitWriter, data: &[u8], b: &BlockHeader, width: u32, info: &mut BlockInfo| {
        if let Some(n) = &numbering {
            n.borrow_mut().block(data, b, info)?;
        }
        match b.id {
            METADATA_ATTACHMENT => rewrite_block(w, data, b, width, info, &mut |r| {
                let edit = without_kinds(&r.ops, r.ops.len() % 2, &plan.kinds);
                // An instruction's attachments follow it to its new index.
                match (&numbering, r.ops.len() % 2) {
                    (Some(n), 1) => {
                        let ops = match &edit {
                            Edit::Drop => return Edit::Drop,
                            Edit::Replace(ops) => ops.clone(),
                            Edit::Keep => r.ops.clone(),
                        };
                        match n.borrow().instruction_index(ops[0]) {
                            None => Edit::Drop,
                            Some(i) if i == ops[0] => edit,
                            Some(i) => Edit::Replace([&[i][..], &ops[1..]].concat()),
                        }
                    }
                    _ => edit,
                }
            }),
            METADATA => {
                // Its nodes are numbered after the module's; collect its DILocations first
                // (nodes may name later ones).
                let mut local = FxHashSet::default();
                let (mut next_id, mut unknown) = (plan.module_ids, None);
                bitstream::for_each_record(data, b, info, |r| {
                    count_ids(r, &mut next_id, &mut local, &mut unknown);
                    Ok(())
                })?;
                if let Some(code) = unknown {
                    return Err(bad!("metadata record {code} is unknown to tl; the debug info was not removed"));
                }
                rewrite_metadata_with(w, data, b, width, info, plan, &local)
            }
            dbg_calls::USELIST_BLOCK => rewrite_use_lists(w, data, b, width, info, plan),
            _ => copy_block(w, data, b, width),
        }
    };
    rewrite_block_with(w, data, h, width, info, &mut edit, &mut sub)?;
    match failure.into_inner() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// A USELIST block without the orders of the intrinsics whose calls went.
pub(crate) fn rewrite_use_lists(
    w: &mut BitWriter,
    data: &[u8],
    b: &BlockHeader,
    width: u32,
    info: &mut BlockInfo,
    plan: &DebugPlan,
) -> PResult<()> {
    match &plan.calls {
        Some(values) => rewrite_block(w, data, b, width, info, &mut |r| if values.keeps_use_list(r) { Edit::Keep } else { Edit::Drop }),
        None => copy_block(w, data, b, width),
    }
}

/// An attachment record (`skip` leading operands, then `(kind, node)` pairs) without the pairs
/// of `kinds`; dropped when no pair is left.
fn without_kinds(ops: &[u64], skip: usize, kinds: &FxHashSet<u64>) -> Edit {
    let (head, pairs) = ops.split_at(skip.min(ops.len()));
    let kept: Vec<u64> = pairs.chunks(2).filter(|p| p.len() == 2 && !kinds.contains(&p[0])).flatten().copied().collect();
    if kept.len() == pairs.len() {
        Edit::Keep
    } else if kept.is_empty() {
        Edit::Drop
    } else {
        Edit::Replace(head.iter().chain(&kept).copied().collect())
    }
}

/// Re-emits the module's METADATA block without what points at debug info.
pub(crate) fn rewrite_metadata(
    w: &mut BitWriter,
    data: &[u8],
    h: &BlockHeader,
    width: u32,
    info: &mut BlockInfo,
    plan: &DebugPlan,
) -> PResult<()> {
    rewrite_metadata_with(w, data, h, width, info, plan, &FxHashSet::default())
}

/// [`rewrite_metadata`] for a function's METADATA block, whose own DILocations are `local`.
fn rewrite_metadata_with(
    w: &mut BitWriter,
    data: &[u8],
    h: &BlockHeader,
    width: u32,
    info: &mut BlockInfo,
    plan: &DebugPlan,
    local: &FxHashSet<u64>,
) -> PResult<()> {
    let mut drop_named_node = false;
    rewrite_block(w, data, h, width, info, &mut |r| {
        // A NAME's node is the record right after it.
        let after_dropped_name = std::mem::take(&mut drop_named_node);
        match r.code {
            md::NAME => {
                drop_named_node = r.ops.len() >= 9 && spells(&r.ops[..9], b"llvm.dbg.");
                if drop_named_node { Edit::Drop } else { Edit::Keep }
            }
            md::NAMED_NODE if after_dropped_name => Edit::Drop,
            md::GLOBAL_DECL_ATTACHMENT => without_kinds(&r.ops, 1, &plan.kinds),
            md::INDEX_OFFSET | md::INDEX => Edit::Drop,
            md::NODE | md::DISTINCT_NODE => {
                // Operands are ID + 1 (0: null). Loop metadata names its DILocations.
                let is_location = |v: u64| v != 0 && (plan.locations.contains(&(v - 1)) || local.contains(&(v - 1)));
                let kept: Vec<u64> = r.ops.iter().copied().filter(|&v| !is_location(v)).collect();
                if kept.len() == r.ops.len() { Edit::Keep } else { Edit::Replace(kept) }
            }
            _ => Edit::Keep,
        }
    })
}
