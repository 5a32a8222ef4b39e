//! Changing a module's symbols inside its bitcode: names, linkage, visibility.
//!
//! Every place LLVM keeps a symbol changes together (`../shared/reference/bitcode.md` §7):
//! - the GLOBALVAR/FUNCTION/ALIAS/IFUNC record: linkage, visibility, dso_local, and the name,
//!   which is appended to the module's STRTAB (nothing else points into the STRTAB by
//!   position, so existing offsets stay valid); a COMDAT named like a renamed symbol follows
//!   it, as an ELF group signature does;
//! - the ThinLTO / full-LTO summary: each changed value's gvflags (linkage, dsoLocal,
//!   canAutoHide, visibility). GUIDs are not stored for a module's own values; readers
//!   compute them from the new name and linkage, and call/ref edges are value IDs, so they
//!   follow;
//! - the irsymtab (rebuilt from the decoded table with the new names and flags);
//! - `MODULE_CODE_HASH`, recomputed (§6.1), or LLVM's ThinLTO cache would reuse code built for
//!   the old symbols; `VSTOFFSET` and the VST's function offsets, which move when a record
//!   grows.
//!
//! A module is re-emitted, not re-encoded: module-level records that change are written
//! unabbreviated, every other bit is copied verbatim, sub-blocks whole (re-headed when their
//! position moves). Units with nothing to change are copied byte for byte, so an unchanged
//! file comes out identical.

use rustc_hash::{FxHashMap, FxHashSet};
use sha1::{Digest, Sha1};

use crate::bad;
use crate::bitcode::bitstream::{self, BlockHeader, BlockInfo, BlockReader, Entry, Record};
use crate::bitcode::bitwriter::BitWriter;
use crate::bitcode::container::{self, Container, MAGIC, ModuleUnit, block};
use crate::bitcode::debug_info::{self, DebugPlan};
use crate::bitcode::irsymtab::{self, Decoded, IrSymtab, flag};
use crate::bitcode::module::{self, GlobalKind, Linkage, ModuleInfo, ReadOptions, code};
use crate::bitcode::reemit::{Edit, copy_block, rewrite_block};
use crate::bitcode::summary;
use crate::bitcode::symtab;
use crate::error::PResult;

/// A symbol binding after a change (ELF terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// `external` (from internal).
    Global,
    /// `weak` for a definition, `extern_weak` for a declaration.
    Weak,
    /// `internal`.
    Local,
    /// `private`: kept for the module's own references, in no symbol table.
    Removed,
}

/// What to change about one global value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// New linker name.
    pub name: Option<Vec<u8>>,
    /// New binding.
    pub binding: Option<Binding>,
    /// New visibility (0 default, 1 hidden, 2 protected).
    pub visibility: Option<u8>,
}

/// A global value of a module, as symbol operations see it.
#[derive(Clone, Debug)]
pub struct Global {
    /// Module index in the file.
    pub module: usize,
    /// Value ID in the module (`None` for a symbol module-level asm defines).
    pub value_id: Option<usize>,
    /// Linker name.
    pub name: Vec<u8>,
    /// Kind of record.
    pub kind: Option<GlobalKind>,
    /// Linkage.
    pub(crate) linkage: Linkage,
    /// 0 default, 1 hidden, 2 protected.
    pub visibility: u8,
    /// A declaration (or available_externally).
    pub undefined: bool,
    /// Listed by symbol tables (not private, not `llvm.*`).
    pub listed: bool,
    /// Another global value of the module refers to it (by the summary's edges; without a
    /// summary every value counts as referenced).
    pub referenced: bool,
}

impl Global {
    /// Common linkage.
    pub fn is_common(&self) -> bool {
        self.linkage == Linkage::Common
    }
    /// Weak, linkonce or extern_weak.
    pub fn is_weak(&self) -> bool {
        self.linkage.is_weak_for_linker()
    }
    /// Internal or private.
    pub fn is_local(&self) -> bool {
        self.linkage.is_local()
    }
}

fn read_info(m: &ModuleUnit<'_>) -> PResult<ModuleInfo> {
    module::read_module(m, ReadOptions { summary: true, ..ReadOptions::default() })
}

/// Value IDs some summary edge names (refs, calls, aliasees); `None` without a summary.
fn referenced_ids(info: &ModuleInfo) -> Option<FxHashSet<u64>> {
    let s = info.summary.as_ref()?;
    let mut ids = FxHashSet::default();
    for e in &s.entries {
        match e {
            summary::Entry::Function(f) => {
                ids.extend(f.refs.iter().copied());
                ids.extend(f.calls.iter().map(|c| c.callee));
            }
            summary::Entry::Variable { refs, .. } => ids.extend(refs.iter().copied()),
            summary::Entry::Alias { aliasee, .. } => {
                ids.insert(*aliasee);
            }
        }
    }
    Some(ids)
}

/// What symbol operations see of a bitcode buffer.
#[derive(Clone, Debug, Default)]
pub struct FileSymbols {
    /// The global values of every module, and the symbols their module-level asm defines.
    pub globals: Vec<Global>,
    /// Each module's module-level inline asm (empty without), to check renames against.
    pub asm: Vec<String>,
}

/// The [`FileSymbols`] of a bitcode buffer.
pub fn globals(bitcode: &[u8]) -> PResult<FileSymbols> {
    let c = container::parse(bitcode)?;
    let mut out = Vec::new();
    let mut asm = Vec::with_capacity(c.modules.len());
    for (mi, m) in c.modules.iter().enumerate() {
        let info = read_info(m)?;
        let referenced = referenced_ids(&info);
        for (id, g) in info.globals.iter().enumerate() {
            let private = g.linkage == Linkage::Private;
            out.push(Global {
                module: mi,
                value_id: Some(id),
                name: symtab::mangle(&g.name, private, &info.datalayout),
                kind: Some(g.kind),
                linkage: g.linkage,
                visibility: g.visibility,
                undefined: g.is_declaration || g.linkage == Linkage::AvailableExternally,
                listed: !private && !g.name.starts_with(b"llvm.") && !g.name.is_empty(),
                referenced: referenced.as_ref().is_none_or(|r| r.contains(&(id as u64))),
            });
        }
        for s in symtab::read(m)?.symbols.iter().filter(|s| s.ir_name.is_empty()) {
            out.push(Global {
                module: mi,
                value_id: None,
                name: s.name.clone(),
                kind: None,
                linkage: if s.flags & flag::GLOBAL == 0 { Linkage::Internal } else { Linkage::External },
                visibility: (s.flags & flag::VISIBILITY_MASK) as u8,
                undefined: s.flags & flag::UNDEFINED != 0,
                listed: s.flags & flag::FORMAT_SPECIFIC == 0,
                referenced: true,
            });
        }
        asm.push(info.asm);
    }
    Ok(FileSymbols { globals: out, asm })
}

/// A value's state after its change.
#[derive(Clone, Debug)]
struct NewState {
    linkage: Linkage,
    visibility: u8,
    dso_local: Option<bool>,
    /// The new IR name's (offset, size) in the module's extended STRTAB.
    name: Option<(u64, u64)>,
}

/// The bitcode record encoding of a linkage this rewriter produces.
fn encoded_linkage(l: Linkage) -> u64 {
    match l {
        Linkage::External => 0,
        Linkage::WeakAny => 16,
        Linkage::Internal => 3,
        Linkage::Private => 9,
        Linkage::ExternWeak => 7,
        Linkage::Common => 8,
        Linkage::Appending => 2,
        Linkage::AvailableExternally => 12,
        Linkage::WeakOdr => 17,
        Linkage::LinkOnceAny => 18,
        Linkage::LinkOnceOdr => 19,
    }
}

/// Operand indices of linkage, visibility and dso_local in each kind of record.
fn field_indices(kind: GlobalKind) -> (usize, usize, usize) {
    match kind {
        GlobalKind::Variable => (5, 8, 15),
        GlobalKind::Function => (5, 9, 17),
        GlobalKind::Alias => (5, 6, 10),
        GlobalKind::Ifunc => (5, 6, 7),
    }
}

/// Partition name operand indices (offset, size) of each kind of record.
fn partition_indices(kind: GlobalKind) -> (usize, usize) {
    match kind {
        GlobalKind::Variable => (16, 17),
        GlobalKind::Function => (19, 20),
        GlobalKind::Alias => (11, 12),
        GlobalKind::Ifunc => (8, 9),
    }
}

/// The IR name that gives linker name `linker` (what `symtab::mangle` undoes): `\x01` + the
/// name when the old one was written so, else without the datalayout's global prefix.
fn ir_name_for(linker: &[u8], old_ir: &[u8], datalayout: &str) -> Vec<u8> {
    if old_ir.starts_with(b"\x01") {
        return [b"\x01".as_slice(), linker].concat();
    }
    let (_, global_prefix) = symtab::mangling_prefixes(datalayout);
    match linker.strip_prefix(global_prefix.as_bytes()) {
        Some(rest) if !global_prefix.is_empty() => rest.to_vec(),
        _ if global_prefix.is_empty() => linker.to_vec(),
        _ => [b"\x01".as_slice(), linker].concat(),
    }
}

/// The new states of a module's changed values, checked against what LLVM's verifier requires.
fn plan_module(info: &ModuleInfo, changes: &FxHashMap<usize, Change>, strtab: &mut Vec<u8>) -> PResult<FxHashMap<usize, NewState>> {
    let mut out = FxHashMap::default();
    for (&id, ch) in changes {
        let g = info.globals.get(id).ok_or_else(|| bad!("no global value {id}"))?;
        let undefined = g.is_declaration;
        let mut linkage = g.linkage;
        match ch.binding {
            None => {}
            Some(Binding::Global) => linkage = Linkage::External,
            Some(Binding::Weak) if undefined => linkage = Linkage::ExternWeak,
            Some(Binding::Weak) => linkage = Linkage::WeakAny,
            Some(Binding::Local) | Some(Binding::Removed) if undefined => {
                return Err(bad!("symbol `{}' is undefined; it cannot be made local", String::from_utf8_lossy(&g.name)));
            }
            Some(Binding::Local) => linkage = Linkage::Internal,
            Some(Binding::Removed) => linkage = Linkage::Private,
        }
        if g.linkage == Linkage::Common && ch.binding.is_some() && ch.binding != Some(Binding::Global) {
            return Err(bad!("symbol `{}' is common; LLVM has no weak or local common", String::from_utf8_lossy(&g.name)));
        }
        let mut visibility = ch.visibility.unwrap_or(g.visibility);
        if linkage.is_local() {
            visibility = 0; // LLVM: a local has default visibility
        }
        let dso_local = if linkage.is_local() || (visibility != 0 && linkage != Linkage::ExternWeak) {
            Some(true)
        } else if linkage == Linkage::ExternWeak && g.linkage != Linkage::ExternWeak {
            Some(false)
        } else {
            None
        };
        let name = ch.name.as_ref().map(|n| {
            let ir = ir_name_for(n, &g.name, &info.datalayout);
            let at = strtab.len() as u64;
            strtab.extend_from_slice(&ir);
            (at, ir.len() as u64)
        });
        out.insert(id, NewState { linkage, visibility, dso_local, name });
    }
    Ok(out)
}

/// A global value record's operands after its change.
fn changed_record(r: &Record<'_>, kind: GlobalKind, st: &NewState, dso_was: bool) -> Vec<u64> {
    let (li, vi, di) = field_indices(kind);
    let mut ops = r.ops.clone();
    if let Some((off, size)) = st.name {
        ops[0] = off;
        ops[1] = size;
    }
    ops[li] = encoded_linkage(st.linkage);
    if st.visibility != 0 && ops.len() <= vi {
        ops.resize(vi + 1, 0);
    }
    if vi < ops.len() {
        ops[vi] = u64::from(st.visibility);
    }
    let dso = st.dso_local.unwrap_or(dso_was);
    if di < ops.len() {
        ops[di] = u64::from(dso);
    }
    ops
}

/// gvflags after a change (`summary` module docs give the bits).
fn changed_gvflags(flags: u64, st: &NewState, old: Linkage, with_visibility: bool) -> u64 {
    let mut f = (flags & !0xf) | u64::from(st.linkage.as_memory());
    if let Some(d) = st.dso_local {
        f = if d { f | 1 << 6 } else { f & !(1 << 6) };
    }
    if st.linkage != old {
        f &= !(1 << 7); // canAutoHide is for linkonce_odr only
    }
    if with_visibility {
        f = (f & !(3 << 8)) | (u64::from(st.visibility) << 8);
    }
    f
}

/// What one module's rewrite needs to know.
struct ModulePlan<'p> {
    info: &'p ModuleInfo,
    states: &'p FxHashMap<usize, NewState>,
    /// The extended STRTAB (old bytes + appended names).
    strtab: &'p [u8],
    /// COMDAT index (0-based) → new (offset, size), for COMDATs named like a renamed value.
    comdats: FxHashMap<usize, (u64, u64)>,
    /// The debug info to remove, if any.
    debug: Option<&'p DebugPlan>,
}

/// The state of one module's re-emission.
struct ModuleWriter<'a, 'p> {
    data: &'a [u8],
    p: &'p ModulePlan<'p>,
    w: BitWriter,
    info: BlockInfo,
    /// Abbrev width of the MODULE_BLOCK.
    width: u32,
    /// Input bits before this one are in the output already.
    copied: u64,
    /// BCBegin of the input, in bits.
    old_begin: u64,
    /// Start of the output's module body (after its length word).
    body_start: u64,
    value_id: usize,
    comdat_index: usize,
    /// Function bodies seen so far.
    function_index: usize,
    /// The strings LLVM passes to its STRTAB builder, in order (the hash covers them).
    hashed_names: Vec<u8>,
    /// FNENTRY offset (words + 1) of each function block: input → output.
    fn_offsets: FxHashMap<u64, u64>,
    vstoffset_at: Option<u64>,
    vst_at: Option<u64>,
    /// The summary's gvflags carry visibility (LLVM ≥ 15).
    with_visibility: bool,
}

impl ModuleWriter<'_, '_> {
    /// Copies the input up to `bit`.
    fn catch_up(&mut self, bit: u64) -> PResult<()> {
        self.w.copy_bits(self.data, self.copied, bit)
    }

    /// Writes a changed record in place of `r` (which ends at `end`).
    fn replace(&mut self, r: &Record<'_>, end: u64, ops: &[u64]) -> PResult<()> {
        self.catch_up(r.start_bit)?;
        self.w.unabbrev_record(self.width, r.code, ops);
        self.copied = end;
        Ok(())
    }

    fn hash_name(&mut self, off: u64, size: u64) -> PResult<()> {
        let name = module::name_from_strtab(Some(self.p.strtab), off, size)?;
        self.hashed_names.extend(name);
        Ok(())
    }

    fn sub_block(&mut self, h: BlockHeader) -> PResult<()> {
        self.catch_up(h.start_bit)?;
        self.copied = h.end_bit;
        let (data, width, p) = (self.data, self.width, self.p);
        let new_start = self.w.bit_pos();
        match h.id {
            block::BLOCKINFO => {
                bitstream::for_each_record(data, &h, &mut self.info, |_| Ok(()))?;
                copy_block(&mut self.w, data, &h, width)
            }
            block::FUNCTION => {
                self.fn_offsets.insert((h.start_bit - self.old_begin) / 32 + 1, new_start / 32 + 1);
                if !new_start.is_multiple_of(32) {
                    return Err(bad!("a function block would not be word-aligned after the rewrite"));
                }
                match p.debug {
                    Some(d) => {
                        let k = self.function_index;
                        self.function_index += 1;
                        debug_info::rewrite_function(&mut self.w, data, &h, width, &mut self.info, d, k)
                    }
                    None => copy_block(&mut self.w, data, &h, width),
                }
            }
            crate::bitcode::dbg_calls::USELIST_BLOCK if p.debug.is_some() => {
                debug_info::rewrite_use_lists(&mut self.w, data, &h, width, &mut self.info, p.debug.unwrap_or(&DebugPlan::default()))
            }
            block::METADATA if p.debug.is_some() => {
                debug_info::rewrite_metadata(&mut self.w, data, &h, width, &mut self.info, p.debug.unwrap_or(&DebugPlan::default()))
            }
            block::GLOBALVAL_SUMMARY | block::FULL_LTO_GLOBALVAL_SUMMARY => {
                let with_visibility = self.with_visibility;
                rewrite_block(&mut self.w, data, &h, width, &mut self.info, &mut |r| {
                    let changed = || {
                        if r.ops.len() < 2 {
                            return None;
                        }
                        let id = usize::try_from(r.ops[0]).ok()?;
                        let st = p.states.get(&id)?;
                        let old = p.info.globals.get(id)?.linkage;
                        matches!(r.code, 1 | 2 | 3 | 7 | 19 | 23).then(|| {
                            let mut ops = r.ops.clone();
                            ops[1] = changed_gvflags(r.op(1), st, old, with_visibility);
                            ops
                        })
                    };
                    changed().map_or(Edit::Keep, Edit::Replace)
                })
            }
            block::VALUE_SYMTAB => {
                self.vst_at = Some(new_start);
                let mut missing = false;
                let offsets = &self.fn_offsets;
                rewrite_block(&mut self.w, data, &h, width, &mut self.info, &mut |r| {
                    if r.code != 3 || r.ops.len() != 2 {
                        return Edit::Keep;
                    }
                    match offsets.get(&r.ops[1]) {
                        Some(&new) if new == r.ops[1] => Edit::Keep,
                        Some(&new) => Edit::Replace(vec![r.ops[0], new]),
                        None => {
                            missing = true;
                            Edit::Keep
                        }
                    }
                })?;
                if missing {
                    return Err(bad!("the module's symbol table names a function block that does not exist"));
                }
                Ok(())
            }
            _ => copy_block(&mut self.w, data, &h, width),
        }
    }

    fn record(&mut self, r: &Record<'_>, end: u64) -> PResult<()> {
        let p = self.p;
        match r.code {
            code::GLOBALVAR | code::FUNCTION | code::ALIAS | code::IFUNC => {
                let id = self.value_id;
                self.value_id += 1;
                let g = p.info.globals.get(id).ok_or_else(|| bad!("global value {id} not read"))?;
                let ops = match p.states.get(&id) {
                    Some(st) => {
                        let ops = changed_record(r, g.kind, st, g.dso_local);
                        self.replace(r, end, &ops)?;
                        ops
                    }
                    None => r.ops.clone(),
                };
                self.hash_name(ops[0], ops[1])?;
                let (po, ps) = partition_indices(g.kind);
                if ops.len() > ps {
                    self.hash_name(ops[po], ops[ps])?;
                }
            }
            code::COMDAT => {
                let k = self.comdat_index;
                self.comdat_index += 1;
                let (off, size) = match p.comdats.get(&k) {
                    Some(&(off, size)) => {
                        if r.ops.len() < 2 {
                            return Err(bad!("COMDAT record with {} operands", r.ops.len()));
                        }
                        let mut ops = r.ops.clone();
                        (ops[0], ops[1]) = (off, size);
                        self.replace(r, end, &ops)?;
                        (off, size)
                    }
                    None => (r.op(0), r.op(1)),
                };
                self.hash_name(off, size)?;
            }
            code::VSTOFFSET => {
                // A Fixed32 field after the abbrev ID; patched once the VST is placed.
                // The one operand, in the 32 bits after the abbrev ID (LLVM's [13, Fixed32]).
                let field = bitstream::Cursor::at(self.data, r.start_bit + u64::from(self.width), end).read(32).ok();
                if end - r.start_bit != u64::from(self.width) + 32 || r.ops.len() != 1 || field != Some(r.op(0)) {
                    return Err(bad!("VSTOFFSET record is not a 32-bit field"));
                }
                self.catch_up(r.start_bit)?;
                self.vstoffset_at = Some(self.w.bit_pos() + u64::from(self.width));
                self.w.copy_bits(self.data, r.start_bit, end)?;
                self.copied = end;
            }
            code::HASH => {
                self.catch_up(r.start_bit)?;
                let words = self.module_hash();
                self.w.unabbrev_record(self.width, code::HASH, &words);
                self.copied = end;
            }
            _ => {}
        }
        Ok(())
    }

    /// MODULE_CODE_HASH of what is written so far (`bitcode.md` §6.1): SHA-1 of the STRTAB
    /// strings, then of the module body's complete words; five big-endian words.
    fn module_hash(&self) -> Vec<u64> {
        let hashed_end = (self.w.bit_pos() / 32 * 4) as usize;
        let mut sha = Sha1::new();
        sha.update(&self.hashed_names);
        sha.update(&self.w.bytes()[(self.body_start / 8) as usize..hashed_end]);
        sha.finalize().chunks(4).map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))).collect()
    }
}

/// Re-emits one module (`[IDENTIFICATION] MODULE_BLOCK`), its BCBegin at the output's start.
fn rewrite_module(m: &ModuleUnit<'_>, p: &ModulePlan<'_>) -> PResult<Vec<u8>> {
    let mut w = BitWriter::new();
    if let Some(id) = &m.identification {
        w.copy_bits(m.data, id.start_bit, id.end_bit)?;
    }
    let mh = m.module_block;
    let length_at = w.enter_block(2, block::MODULE, mh.abbrev_width);
    let mut mw = ModuleWriter {
        data: m.data,
        p,
        body_start: w.bit_pos(),
        w,
        info: BlockInfo::default(),
        width: mh.abbrev_width,
        copied: mh.body_bit,
        old_begin: m.begin as u64 * 8,
        value_id: 0,
        comdat_index: 0,
        function_index: 0,
        hashed_names: Vec::new(),
        fn_offsets: FxHashMap::default(),
        vstoffset_at: None,
        vst_at: None,
        with_visibility: p.info.producer.as_deref().and_then(module::producer_major).is_none_or(|v| v >= 15),
    };
    let mut reader = BlockReader::open(m.data, &mh, &mw.info);
    loop {
        let before = reader.bit_pos();
        match reader.next(&mut mw.info)? {
            Entry::End => {
                mw.catch_up(before)?;
                mw.w.end_block(mw.width, length_at);
                break;
            }
            Entry::Block(h) => mw.sub_block(h)?,
            Entry::Record(r) => mw.record(&r, reader.bit_pos())?,
        }
    }
    match (mw.vstoffset_at, mw.vst_at) {
        (Some(at), Some(vst)) if vst.is_multiple_of(32) => mw.w.patch(at, vst / 32 + 1, 32),
        (Some(_), _) => return Err(bad!("VSTOFFSET without a word-aligned module symbol table")),
        _ => {}
    }
    Ok(mw.w.into_bytes())
}

/// The irsymtab flags of a symbol after its change (the bits [`symtab::from_records`] derives
/// from linkage and visibility; the others kept).
fn changed_flags(old: u32, st: &NewState) -> u32 {
    let derived = flag::VISIBILITY_MASK | flag::WEAK | flag::GLOBAL | flag::FORMAT_SPECIFIC | flag::MAY_OMIT | flag::UNDEFINED;
    let mut f = (old & !derived) | (u32::from(st.visibility) & flag::VISIBILITY_MASK);
    if old & flag::UNDEFINED != 0 {
        f |= flag::UNDEFINED;
    }
    if st.linkage.is_weak_for_linker() {
        f |= flag::WEAK;
    }
    if !st.linkage.is_local() {
        f |= flag::GLOBAL;
    }
    if st.linkage == Linkage::Private {
        f |= flag::FORMAT_SPECIFIC;
    }
    if old & flag::FORMAT_SPECIFIC != 0 && st.linkage != Linkage::Private {
        f |= flag::FORMAT_SPECIFIC; // llvm.* and llvm.metadata stay format-specific
    }
    f
}

/// Applies the planned changes of a unit's modules to its irsymtab.
fn rewrite_symtab(t: &mut IrSymtab, index_of: &[(usize, usize)], unit_plans: &[Planned], datalayouts: &[String]) {
    for &(sym_module, plan_k) in index_of {
        let plan = &unit_plans[plan_k];
        let Some(range) = t.modules.get(sym_module).map(|m| m.begin as usize..m.end as usize) else { continue };
        for s in t.symbols.get_mut(range).into_iter().flatten() {
            if s.ir_name.is_empty() {
                continue; // module-asm symbols (and unnamed values) are not changed here
            }
            let Some(&id) = plan.ids.get(&s.ir_name) else { continue };
            let Some(st) = plan.states.get(&id) else { continue };
            if let Some(n) = &plan.new_names.get(&id) {
                s.ir_name = n.to_vec();
            }
            s.name = symtab::mangle(&s.ir_name, st.linkage == Linkage::Private, &datalayouts[plan_k]);
            s.flags = changed_flags(s.flags, st);
        }
    }
    for plan in unit_plans {
        for (old, new) in &plan.renamed_comdats {
            for c in t.comdats.iter_mut().filter(|c| &c.name == old) {
                c.name = new.clone();
            }
        }
    }
}

/// One module's planned rewrite.
struct Planned {
    info: ModuleInfo,
    states: FxHashMap<usize, NewState>,
    debug: Option<DebugPlan>,
    comdats: FxHashMap<usize, (u64, u64)>,
    /// IR name → value ID.
    ids: FxHashMap<Vec<u8>, usize>,
    /// Value ID → new IR name.
    new_names: FxHashMap<usize, Vec<u8>>,
    renamed_comdats: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Plans one module's rewrite; its new names are appended to `strtab`, the unit's STRTAB.
fn plan(m: &ModuleUnit<'_>, changes: &FxHashMap<usize, Change>, strip_debug: bool, strtab: &mut Vec<u8>) -> PResult<Planned> {
    let info = read_info(m)?;
    let debug = if strip_debug && debug_info::has_debug_info(m)? { Some(debug_info::plan(m, &info)?) } else { None };
    let states = plan_module(&info, changes, strtab)?;
    let mut comdats = FxHashMap::default();
    let mut renamed_comdats = Vec::new();
    let mut new_names = FxHashMap::default();
    for (&id, ch) in changes {
        let (Some(n), Some(g)) = (&ch.name, info.globals.get(id)) else { continue };
        let ir = ir_name_for(n, &g.name, &info.datalayout);
        if let Some(k) = info.comdats.iter().position(|c| c.name == g.name) {
            comdats.insert(k, states[&id].name.unwrap_or_default());
            renamed_comdats.push((g.name.clone(), ir.clone()));
        }
        new_names.insert(id, ir);
    }
    let ids = info.globals.iter().enumerate().filter(|(_, g)| !g.name.is_empty()).map(|(id, g)| (g.name.clone(), id)).collect();
    Ok(Planned { info, states, debug, comdats, ids, new_names, renamed_comdats })
}

/// Applies `changes` (keyed by module index and value ID) to a bitcode buffer, and removes
/// its debug info if `strip_debug` ([`debug_info`]). Units without a change are copied
/// verbatim; the others are re-emitted in LLVM's layout: the modules, the irsymtab (if the unit
/// had one), then the one STRTAB they all share (the unit's, with the new names and the
/// irsymtab's strings appended).
pub fn apply(bitcode: &[u8], changes: &FxHashMap<(usize, usize), Change>, strip_debug: bool) -> PResult<Vec<u8>> {
    let c = container::parse(bitcode)?;
    let mut out = Vec::with_capacity(bitcode.len() + 64);
    for (k, unit) in c.units.iter().enumerate() {
        out.extend_from_slice(&MAGIC);
        let mut touched = unit.modules.iter().any(|&mi| changes.keys().any(|&(m, _)| m == mi));
        for &mi in &unit.modules {
            touched |= strip_debug && debug_info::has_debug_info(&c.modules[mi])?;
        }
        if !touched {
            out.extend_from_slice(c.unit_body(k));
            continue;
        }
        out.extend(rewrite_unit(&c, &unit.modules, changes, strip_debug)?);
    }
    read_back(&out).map_err(|e| bad!("the rewritten bitcode does not read back ({e}); the input is damaged"))?;
    Ok(out)
}

/// Reads a rewritten buffer as every tl tool will: its modules, symbols, summary and function
/// blocks. What fails here is never written.
fn read_back(out: &[u8]) -> PResult<()> {
    let c = container::parse(out)?;
    for m in &c.modules {
        symtab::read(m)?;
        module::read_module(m, ReadOptions { summary: true, function_blocks: true, constants: true, instruction_counts: false })?;
    }
    Ok(())
}

fn rewrite_unit(c: &Container<'_>, modules: &[usize], changes: &FxHashMap<(usize, usize), Change>, strip_debug: bool) -> PResult<Vec<u8>> {
    let mut out = Vec::new();
    // A unit ends at its STRTAB, so all its modules share that one.
    let mut strtab = c.modules[modules[0]].strtab.unwrap_or_default().to_vec();
    let mut plans = Vec::with_capacity(modules.len());
    for &mi in modules {
        let mine: FxHashMap<usize, Change> = changes.iter().filter(|((m, _), _)| *m == mi).map(|(&(_, id), ch)| (id, ch.clone())).collect();
        plans.push(plan(&c.modules[mi], &mine, strip_debug, &mut strtab)?);
    }
    for (p, &mi) in plans.iter().zip(modules) {
        let mp = ModulePlan { info: &p.info, states: &p.states, strtab: &strtab, comdats: p.comdats.clone(), debug: p.debug.as_ref() };
        out.extend(rewrite_module(&c.modules[mi], &mp)?);
    }
    let mut w = BitWriter::new();
    if let Some(mut table) = unit_symtab(c, modules)? {
        let index_of: Vec<(usize, usize)> =
            modules.iter().enumerate().filter_map(|(k, &mi)| c.modules[mi].symtab.as_ref().map(|s| (s.index, k))).collect();
        let layouts: Vec<String> = plans.iter().map(|p| p.info.datalayout.clone()).collect();
        rewrite_symtab(&mut table, &index_of, &plans, &layouts);
        let blob = irsymtab::encode(&table, &mut strtab);
        w.blob_block(block::SYMTAB, 1, &blob);
    }
    w.blob_block(block::STRTAB, 1, &strtab);
    out.extend(w.into_bytes());
    Ok(out)
}

/// The decoded irsymtab covering a unit's modules, if it has one of a known version (LLVM
/// rebuilds a table it does not know, so dropping one is what its reader would do anyway).
fn unit_symtab(c: &Container<'_>, modules: &[usize]) -> PResult<Option<IrSymtab>> {
    let Some(st) = c.modules[modules[0]].symtab.as_ref() else { return Ok(None) };
    let strtab = st.strtab.ok_or_else(|| bad!("SYMTAB without a string table"))?;
    Ok(match irsymtab::decode(st.blob, strtab)? {
        Decoded::Table(t) => Some(t),
        Decoded::UnknownVersion(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Re-emitting every module of a fixture with a no-op change to every value gives back the
    /// same module bytes: the copy, the re-heading and the hash are LLVM's.
    #[test]
    fn a_no_op_rewrite_reproduces_the_modules() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut checked = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let Ok(data) = std::fs::read(&p) else { continue };
            if !container::is_bitcode(&data) {
                continue;
            }
            let Ok(c) = container::parse(&data) else { continue };
            for m in &c.modules {
                let info = read_info(m).unwrap();
                let p2 = ModulePlan {
                    info: &info,
                    states: &FxHashMap::default(),
                    strtab: m.strtab.unwrap_or_default(),
                    comdats: FxHashMap::default(),
                    debug: None,
                };
                let out = rewrite_module(m, &p2).unwrap();
                assert_eq!(out, m.bytes(), "{}", p.display());
                checked += 1;
            }
        }
        assert!(checked >= 3, "fixtures with modules: {checked}");
    }
}
