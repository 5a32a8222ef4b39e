//! `.note.gnu.property`: the program properties of the inputs merged into one note, as GNU ld
//! 2.40 merges them (bfd's `elf-properties.c` and the x86 backend's `elfxx-x86.c`), for a
//! partial link.
//!
//! The first input with properties holds the list; every other ELF input is merged into it in
//! input order (one without a note counts as having none):
//! - `GNU_PROPERTY_STACK_SIZE`: the largest; `GNU_PROPERTY_NO_COPY_ON_PROTECTED`: kept if any
//!   input has it;
//! - AND ranges (generic `0xb0000000…`, x86 `FEATURE_1_AND` `0xc0000002…`, aarch64
//!   `FEATURE_1_AND`): the bits all inputs have; an input without the property removes it;
//! - OR ranges (generic `0xb0008000…`, x86 `…_NEEDED` `0xc0008000…`): the bits any input has;
//! - x86 OR-AND ranges (`…_USED` `0xc0010000…`, and the old `COMPAT_ISA_1_USED`): the bits any
//!   input has, but removed when an input lacks the property;
//! - an AND or OR property whose value ends up 0 is removed; no property left, no note.
//!
//! x86's `-z ibt`/`-z shstk` add IBT/SHSTK to `FEATURE_1_AND` whatever the inputs say, `-z
//! x86-64-{baseline,v2,v3,v4}` the level to `ISA_1_NEEDED`, and `-z cet-report=warning|error`
//! reports each input that lacks IBT or SHSTK (unless forced) as GNU words it; `-z lam-u48`
//! adds LAM_U48 and LAM_U57, `-z lam-u57` LAM_U57, and `-z lam-u48-report`/`lam-u57-report`/
//! `lam-report` report inputs without them likewise (after the CET report of each input);
//! aarch64's `-z force-bti` adds BTI, with GNU's warning for each input without it.

use std::collections::BTreeMap;

use super::super::options::{PropertyOptions, Report};
use crate::elf::consts::{EM_386, EM_AARCH64, EM_X86_64};

/// The section's name.
pub(super) const NAME: &[u8] = b".note.gnu.property";
/// `NT_GNU_PROPERTY_TYPE_0`.
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;
const STACK_SIZE: u32 = 1;
const NO_COPY_ON_PROTECTED: u32 = 2;
const X86_FEATURE_1_AND: u32 = 0xc000_0002;
const X86_ISA_1_NEEDED: u32 = 0xc000_8002;
const X86_IBT: u32 = 1;
const X86_SHSTK: u32 = 2;
const X86_LAM_U48: u32 = 4;
const X86_LAM_U57: u32 = 8;

/// Properties: type → (data size, value).
pub(super) type Props = BTreeMap<u32, (u32, u64)>;

/// How a property type merges.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    Max,
    Any,
    And,
    Or,
    OrAnd,
}

fn rule(pr_type: u32, e_machine: u16) -> Option<Rule> {
    let x86 = e_machine == EM_X86_64.0 || e_machine == EM_386.0;
    Some(match pr_type {
        STACK_SIZE => Rule::Max,
        NO_COPY_ON_PROTECTED => Rule::Any,
        0xb000_0000..=0xb000_7fff => Rule::And,
        0xb000_8000..=0xb000_ffff => Rule::Or,
        0xc000_0000 if x86 => Rule::OrAnd,
        0xc000_0001 if x86 => Rule::Or,
        0xc000_0002..=0xc000_7fff if x86 => Rule::And,
        0xc000_8000..=0xc000_ffff if x86 => Rule::Or,
        0xc001_0000..=0xc001_7fff if x86 => Rule::OrAnd,
        0xc000_0000 if e_machine == EM_AARCH64.0 => Rule::And,
        _ => return None,
    })
}

/// The properties of a `.note.gnu.property` section's notes.
pub(super) fn parse(bytes: &[u8], is_64: bool, big_endian: bool, e_machine: u16) -> Result<Props, String> {
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let align = if is_64 { 8 } else { 4 };
    let bad = || "corrupt .note.gnu.property section".to_string();
    let mut props = Props::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let (namesz, descsz, kind) =
            (word(at).ok_or_else(bad)? as usize, word(at + 4).ok_or_else(bad)? as usize, word(at + 8).ok_or_else(bad)?);
        let desc = (at + 12).checked_add(namesz.next_multiple_of(4)).ok_or_else(bad)?;
        let end = desc.checked_add(descsz).filter(|&e| e <= bytes.len()).ok_or_else(bad)?;
        if kind == NT_GNU_PROPERTY_TYPE_0 && bytes.get(at + 12..at + 12 + namesz) == Some(b"GNU\0") {
            let mut p = desc;
            while p + 8 <= end {
                let (pr_type, size) = (word(p).ok_or_else(bad)?, word(p + 4).ok_or_else(bad)?);
                let data = bytes.get(p + 8..p + 8 + size as usize).filter(|_| p + 8 + size as usize <= end).ok_or_else(bad)?;
                if rule(pr_type, e_machine).is_none() || !(size == 4 || size == 8) {
                    return Err(format!(
                        "unsupported GNU_PROPERTY_TYPE ({pr_type:#x}) of {size} bytes in .note.gnu.property (not supported yet)"
                    ));
                }
                let value = data.iter().enumerate().fold(0u64, |v, (k, &b)| {
                    let shift = if big_endian { 8 * (size as usize - 1 - k) } else { 8 * k };
                    v | (u64::from(b) << shift)
                });
                props.insert(pr_type, (size, value));
                p += (8 + size as usize).next_multiple_of(align);
            }
        }
        at = end.next_multiple_of(align).max(end);
    }
    Ok(props)
}

/// Merges `b` (an input's properties; empty for none) into `a` (the list).
fn merge_into(a: &mut Props, b: &Props, e_machine: u16) {
    let types: Vec<u32> = a.keys().chain(b.keys()).copied().collect();
    for t in types {
        let Some(rule) = rule(t, e_machine) else { continue };
        match (a.get(&t).copied(), b.get(&t).copied()) {
            (Some((size, x)), Some((_, y))) => {
                let v = match rule {
                    Rule::Max => x.max(y),
                    Rule::Any => x,
                    Rule::And => x & y,
                    Rule::Or | Rule::OrAnd => x | y,
                };
                a.insert(t, (size, v));
            }
            (Some(_), None) => {
                if matches!(rule, Rule::And | Rule::OrAnd) {
                    a.remove(&t);
                }
            }
            (None, Some(p)) => {
                if matches!(rule, Rule::Max | Rule::Any | Rule::Or) {
                    a.insert(t, p);
                }
            }
            (None, None) => {}
        }
        // (The x86 OR-AND properties stay at 0: "ISA used" with no bit is kept.)
        if a.get(&t).is_some_and(|&(_, v)| v == 0 && matches!(rule, Rule::And | Rule::Or)) {
            a.remove(&t);
        }
    }
}

/// The merged properties of the inputs (`None`: an ELF input without a note), the `-z`
/// options applied; GNU's `-z cet-report` messages (each naming its input) and whether they
/// are errors.
pub(super) fn merge(inputs: &[(String, Option<Props>)], e_machine: u16, is_64: bool, opts: &PropertyOptions) -> (Props, Vec<String>, bool) {
    let none = Props::new();
    let first = inputs.iter().position(|(_, p)| p.as_ref().is_some_and(|p| !p.is_empty()));
    let mut list = first.and_then(|f| inputs[f].1.clone()).unwrap_or_default();
    for (k, (_, p)) in inputs.iter().enumerate() {
        if Some(k) != first {
            merge_into(&mut list, p.as_ref().unwrap_or(&none), e_machine);
        }
    }
    let mut reports = Vec::new();
    if opts.force_bti && e_machine != EM_AARCH64.0 {
        // (Other emulations do not know the option.)
        reports.push("warning: -z force-bti ignored".into());
    }
    if e_machine == EM_X86_64.0 || e_machine == EM_386.0 {
        // (LAM is x86-64's: i386 and x32 outputs get none.)
        let x86_64 = e_machine == EM_X86_64.0 && is_64;
        let lam = match (opts.lam_u48, opts.lam_u57) {
            _ if !x86_64 => 0,
            (true, _) => X86_LAM_U48 | X86_LAM_U57,
            (false, true) => X86_LAM_U57,
            _ => 0,
        };
        let forced = if opts.ibt { X86_IBT } else { 0 } | if opts.shstk { X86_SHSTK } else { 0 } | lam;
        if forced != 0 {
            let v = list.get(&X86_FEATURE_1_AND).map_or(0, |&(_, v)| v) | u64::from(forced);
            list.insert(X86_FEATURE_1_AND, (4, v));
        }
        if opts.isa_level != 0 {
            let v = list.get(&X86_ISA_1_NEEDED).map_or(0, |&(_, v)| v) | u64::from(opts.isa_level);
            list.insert(X86_ISA_1_NEEDED, (4, v));
        }
        let word = |r: Report| if r == Report::Error { "error" } else { "warning" };
        let mut fatal = false;
        for (name, p) in inputs {
            let has = p.as_ref().and_then(|p| p.get(&X86_FEATURE_1_AND)).map_or(0, |&(_, v)| v as u32);
            let lacks = |bit: u32| forced & bit == 0 && has & bit == 0;
            if let Some(report) = opts.cet_report {
                let missing = match (lacks(X86_IBT), lacks(X86_SHSTK)) {
                    (true, true) => Some("IBT and SHSTK properties"),
                    (true, false) => Some("IBT property"),
                    (false, true) => Some("SHSTK property"),
                    (false, false) => None,
                };
                if let Some(missing) = missing {
                    reports.push(format!("{name}: {}: missing {missing}", word(report)));
                    fatal |= report == Report::Error;
                }
            }
            for (report, bit, what) in [(opts.lam_u48_report, X86_LAM_U48, "LAM_U48"), (opts.lam_u57_report, X86_LAM_U57, "LAM_U57")] {
                if let Some(report) = report.filter(|_| x86_64 && lacks(bit)) {
                    reports.push(format!("{name}: {}: missing {what} property", word(report)));
                    fatal |= report == Report::Error;
                }
            }
        }
        return (list, reports, fatal);
    }
    if e_machine == EM_AARCH64.0 && opts.force_bti {
        const AARCH64_FEATURE_1_AND: u32 = 0xc000_0000;
        let v = list.get(&AARCH64_FEATURE_1_AND).map_or(0, |&(_, v)| v) | 1;
        list.insert(AARCH64_FEATURE_1_AND, (4, v));
        // GNU merges every other input into the first, then looks at the first.
        let holder = 0;
        let lacks = |p: &Option<Props>| p.as_ref().and_then(|p| p.get(&AARCH64_FEATURE_1_AND)).is_none_or(|&(_, v)| v & 1 == 0);
        let message =
            |name: &str| format!("{name}: warning: BTI turned on by -z force-bti when all inputs do not have BTI in NOTE section.");
        for (k, (name, p)) in inputs.iter().enumerate() {
            if k != holder && lacks(p) {
                reports.push(message(name));
            }
        }
        if let Some((name, _)) = inputs.get(holder).filter(|(_, p)| lacks(p)) {
            reports.push(message(name));
        }
    }
    (list, reports, false)
}

/// The section's contents: one `NT_GNU_PROPERTY_TYPE_0` note with the properties in order.
pub(super) fn encode(props: &Props, is_64: bool, big_endian: bool) -> Vec<u8> {
    let align = if is_64 { 8 } else { 4 };
    let put = |out: &mut Vec<u8>, v: u64, size: usize| {
        let b = v.to_le_bytes();
        if big_endian {
            out.extend(b[..size].iter().rev());
        } else {
            out.extend_from_slice(&b[..size]);
        }
    };
    let mut desc = Vec::new();
    for (&t, &(size, v)) in props {
        put(&mut desc, u64::from(t), 4);
        put(&mut desc, u64::from(size), 4);
        put(&mut desc, v, size as usize);
        desc.resize(desc.len().next_multiple_of(align), 0);
    }
    let mut out = Vec::with_capacity(16 + desc.len());
    put(&mut out, 4, 4);
    put(&mut out, desc.len() as u64, 4);
    put(&mut out, u64::from(NT_GNU_PROPERTY_TYPE_0), 4);
    out.extend_from_slice(b"GNU\0");
    out.extend_from_slice(&desc);
    out
}
