//! Finding the calls to `llvm.dbg.*` intrinsics in a function block (the form LLVM 14–18 keep
//! variable locations in), so that removing debug info can drop them.
//!
//! An instruction names its callee by a *relative* value ID (the number of values defined
//! before the instruction, minus the callee's ID), so finding the callee means numbering the
//! function's values as LLVM's reader does: the module's globals and constants, then the
//! function's arguments (from its type), its constants, then one value per instruction that
//! yields one. A call yields one unless its function type returns `void`. The dbg intrinsics
//! return `void`, so dropping their calls renumbers no value; metadata attachments name
//! instructions by their index among all of the function's, so those indices are remapped.
//!
//! A use-list order (`USELIST_CODE_ENTRY [permutation…, value]`, what `llvm-as` writes) of an
//! intrinsic lists the removed calls, so it goes ([`ModuleValues::keeps_use_list`]).
//!
//! What this does not know (an instruction code it has no rule for, a call without an
//! explicit function type, `callbr`) is an error, never a guess.

use rustc_hash::FxHashSet;

use crate::bad;
use crate::bitcode::bitstream::{self, BlockInfo, BlockReader, Entry, Record};
use crate::bitcode::container::{ModuleUnit, block};
use crate::bitcode::module::code;
use crate::error::PResult;

/// TYPE_BLOCK_ID_NEW.
const TYPE_BLOCK: u32 = 17;
/// USELIST_BLOCK.
pub(crate) const USELIST_BLOCK: u32 = 18;

/// A type the numbering needs to know about.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Type {
    Void,
    /// A function type: (return type, number of parameters).
    Function(u64, u64),
    Other,
}

/// What numbering a function's values needs from the module.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleValues {
    types: Vec<Type>,
    /// Globals and module-level constants.
    module_values: u64,
    /// The function type of each function that has a body, in body order.
    bodies: Vec<u64>,
    /// Value IDs of the `llvm.dbg.*` functions.
    pub(crate) intrinsics: FxHashSet<u64>,
}

/// Reads the module's types, its values and its function bodies' types.
pub(crate) fn module_values(m: &ModuleUnit<'_>, names: &[Vec<u8>]) -> PResult<ModuleValues> {
    let mut v = ModuleValues::default();
    let mut info = BlockInfo::default();
    let mut reader = BlockReader::open(m.data, &m.module_block, &info);
    let mut globals = 0u64;
    loop {
        match reader.next(&mut info)? {
            Entry::End => break,
            Entry::Block(h) if h.id == block::BLOCKINFO => {
                bitstream::for_each_record(m.data, &h, &mut info, |_| Ok(()))?;
            }
            Entry::Block(h) if h.id == TYPE_BLOCK => {
                bitstream::for_each_record(m.data, &h, &mut info, |r| {
                    match r.code {
                        1 | 19 => {} // NUMENTRY, STRUCT_NAME: no type
                        2 => v.types.push(Type::Void),
                        21 => v.types.push(Type::Function(r.op(1), r.ops.len().saturating_sub(2) as u64)),
                        9 => v.types.push(Type::Function(r.op(2), r.ops.len().saturating_sub(3) as u64)),
                        _ => v.types.push(Type::Other),
                    }
                    Ok(())
                })?;
            }
            Entry::Block(h) if h.id == block::CONSTANTS => {
                bitstream::for_each_record(m.data, &h, &mut info, |r| {
                    v.module_values += u64::from(r.code != 1); // SETTYPE defines none
                    Ok(())
                })?;
            }
            Entry::Block(_) => {}
            Entry::Record(r) => match r.code {
                code::GLOBALVAR | code::ALIAS | code::IFUNC => globals += 1,
                code::FUNCTION => {
                    if names.get(globals as usize).is_some_and(|n| n.starts_with(b"llvm.dbg.")) {
                        v.intrinsics.insert(globals);
                    }
                    if r.op(4) == 0 {
                        v.bodies.push(r.op(2));
                    }
                    globals += 1;
                }
                _ => {}
            },
        }
    }
    v.module_values += globals;
    Ok(v)
}

impl ModuleValues {
    /// Whether a USELIST record stays: not when it orders the uses of an intrinsic.
    pub(crate) fn keeps_use_list(&self, r: &Record<'_>) -> bool {
        r.ops.last().is_none_or(|id| !self.intrinsics.contains(id))
    }
}

/// Numbers one function's values (and instructions) as its records go by.
pub(crate) struct Numbering<'m> {
    module: &'m ModuleValues,
    next: u64,
    /// Instructions seen (attachments name instructions by this index).
    instructions: u64,
    /// Indices of the instructions dropped, ascending.
    removed: Vec<u64>,
}

impl<'m> Numbering<'m> {
    /// The numbering at the start of body `k`.
    pub(crate) fn new(module: &'m ModuleValues, k: usize) -> PResult<Numbering<'m>> {
        let ty = *module.bodies.get(k).ok_or_else(|| bad!("function block {k} has no FUNCTION record"))?;
        let args = match module.types.get(ty as usize) {
            Some(Type::Function(_, n)) => *n,
            _ => return Err(bad!("function {k} has no function type")),
        };
        Ok(Numbering { module, next: module.module_values + args, instructions: 0, removed: Vec::new() })
    }

    /// A sub-block of the function: its constants count.
    pub(crate) fn block(&mut self, data: &[u8], h: &bitstream::BlockHeader, info: &mut BlockInfo) -> PResult<()> {
        match h.id {
            block::CONSTANTS => bitstream::for_each_record(data, h, info, |r| {
                self.next += u64::from(r.code != 1);
                Ok(())
            })
            .map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Whether `r`, an instruction record, calls a `llvm.dbg.*` intrinsic; counts the value it
    /// defines otherwise.
    pub(crate) fn is_dbg_call(&mut self, r: &Record<'_>) -> PResult<bool> {
        let (yields, callee) = match r.code {
            1 | 10 | 11 | 12 | 15 | 24 | 31 | 33 | 35 | 36 | 39 | 42 | 44 | 45 | 48 | 49 | 55 | 60 | 61..=65 => (false, None),
            2..=9 | 16 | 19 | 20 | 23 | 26..=30 | 37 | 38 | 40 | 41 | 43 | 46 | 47 | 50..=52 | 56 | 58 | 59 => (true, None),
            34 => self.call(r, 1, 1 << 15, Some(1 << 17))?,
            13 => self.call(r, 1, 1 << 13, None)?,
            c => return Err(bad!("instruction record {c} is unknown to tl")),
        };
        let instruction = !matches!(r.code, 1 | 33 | 35 | 55 | 60 | 61..=65);
        let index = self.instructions;
        self.instructions += u64::from(instruction);
        if let Some(c) = callee
            && self.module.intrinsics.contains(&c)
        {
            self.removed.push(index);
            return Ok(true);
        }
        self.next += u64::from(yields);
        Ok(false)
    }

    /// An instruction's index once the dropped ones are gone (`None`: it was dropped).
    pub(crate) fn instruction_index(&self, old: u64) -> Option<u64> {
        let before = self.removed.partition_point(|&r| r < old);
        (self.removed.get(before) != Some(&old)).then(|| old - before as u64)
    }

    /// A call or invoke: (yields a value, absolute callee). `cc_at` is the calling-convention
    /// operand, `explicit` its explicit-type bit, `fmf` its fast-math-flags bit.
    fn call(&self, r: &Record<'_>, cc_at: usize, explicit: u64, fmf: Option<u64>) -> PResult<(bool, Option<u64>)> {
        let cc = r.op(cc_at);
        if cc & explicit == 0 {
            return Err(bad!("a call without an explicit function type (bitcode before LLVM 3.8)"));
        }
        let mut at = cc_at + 1;
        if r.code == 13 {
            at += 2; // normal and unwind blocks
        }
        if fmf.is_some_and(|bit| cc & bit != 0) {
            at += 1;
        }
        let fnty = r.op(at);
        let ret = match self.module.types.get(fnty as usize) {
            Some(Type::Function(ret, _)) => *ret,
            _ => return Err(bad!("a call's function type {fnty} is not a function type")),
        };
        let rel = *r.ops.get(at + 1).ok_or_else(|| bad!("a call without a callee"))?;
        let callee = self.next.wrapping_sub(rel);
        Ok((self.module.types.get(ret as usize) != Some(&Type::Void), Some(callee)))
    }
}
