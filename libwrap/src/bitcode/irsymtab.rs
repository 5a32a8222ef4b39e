//! LLVM's irsymtab (`llvm::irsymtab::storage`), the symbol table a SYMTAB block carries.
//!
//! Layout (all little-endian u32 `Word`s, structs packed):
//! - `Str` = `{offset, size}` into the STRTAB that follows the SYMTAB;
//!   `Range<T>` = `{offset, size}`: a byte offset into the blob and an element count;
//! - header (76 bytes): Version, Producer(Str), Modules, Comdats, Symbols, Uncommons (Ranges),
//!   TargetTriple, SourceFileName, COFFLinkerOpts (Strs), DependentLibraries (Range<Str>);
//! - Module (12): Begin, End (symbol index range), UncBegin;
//! - Comdat (12): Name(Str), SelectionKind (0 any, 1 exactmatch, 2 largest, 3 nodeduplicate,
//!   4 samesize);
//! - Symbol (24): Name(Str, the mangled name), IRName(Str, empty for asm symbols), ComdatIndex
//!   (−1 for none), Flags;
//! - Uncommon: v3 (LLVM ≤ 22) 24 bytes: CommonSize, CommonAlign, COFFWeakExternFallbackName(Str),
//!   SectionName(Str); v4 (after 22) 28 bytes: CommonSize is a packed u64.
//!
//! Only versions 3 and 4 are accepted; anything else is reported as an unknown version so that
//! callers fall back to reading the module records, as LLVM rebuilds the table in that case.

use crate::bad;
use crate::error::PResult;

/// Flag bits of an irsymtab symbol (every bit of the format, used or not).
#[allow(dead_code)]
pub mod flag {
    /// Bits 0–1: visibility (0 default, 1 hidden, 2 protected).
    pub(crate) const VISIBILITY_MASK: u32 = 3;
    /// An Uncommon entry follows for this symbol.
    pub(crate) const HAS_UNCOMMON: u32 = 1 << 2;
    /// Undefined (a declaration, available_externally, or an undefined asm symbol).
    pub(crate) const UNDEFINED: u32 = 1 << 3;
    /// linkonce, weak, extern_weak, or asm `.weak`.
    pub(crate) const WEAK: u32 = 1 << 4;
    /// Common linkage.
    pub(crate) const COMMON: u32 = 1 << 5;
    /// An alias.
    pub(crate) const INDIRECT: u32 = 1 << 6;
    /// In llvm.used / llvm.compiler.used, or an undefined asm symbol.
    pub(crate) const USED: u32 = 1 << 7;
    /// thread_local.
    pub const TLS: u32 = 1 << 8;
    /// Can be omitted from the symbol table (linkonce_odr + unnamed_addr).
    pub(crate) const MAY_OMIT: u32 = 1 << 9;
    /// Not local linkage.
    pub(crate) const GLOBAL: u32 = 1 << 10;
    /// Private, `llvm.*`, or in section `llvm.metadata`.
    pub(crate) const FORMAT_SPECIFIC: u32 = 1 << 11;
    /// Global unnamed_addr.
    pub(crate) const UNNAMED_ADDR: u32 = 1 << 12;
    /// The (aliasee) object is a function or ifunc; every asm symbol.
    pub(crate) const EXECUTABLE: u32 = 1 << 13;
}

/// Versions this decoder reads.
pub(crate) const SUPPORTED_VERSIONS: [u32; 2] = [3, 4];

/// A comdat of the irsymtab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IrComdat {
    /// Its name.
    pub(crate) name: Vec<u8>,
    /// In-memory selection kind, 0–4.
    pub(crate) selection: u32,
}

/// Data kept for common symbols and symbols with a section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Uncommon {
    /// Size of a common symbol.
    pub common_size: u64,
    /// Alignment of a common symbol.
    pub(crate) common_align: u32,
    /// COFF weak external fallback name.
    pub(crate) coff_weak_external_fallback_name: Vec<u8>,
    /// Explicit section name.
    pub(crate) section_name: Vec<u8>,
}

/// A symbol of the irsymtab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrSymbol {
    /// The mangled (linker) name.
    pub(crate) name: Vec<u8>,
    /// The IR name (empty for module-asm symbols).
    pub(crate) ir_name: Vec<u8>,
    /// Index into [`IrSymtab::comdats`].
    pub(crate) comdat: Option<u32>,
    /// Flag bits (see [`flag`]).
    pub(crate) flags: u32,
    /// Common size/alignment and section, when present.
    pub uncommon: Option<Uncommon>,
}

impl IrSymbol {
    /// True if `bit` is set in the flags.
    pub(crate) fn has(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }
}

/// A module's slice of the symbol table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IrModule {
    /// First symbol index.
    pub(crate) begin: u32,
    /// One past the last symbol index.
    pub(crate) end: u32,
    /// Index of its first Uncommon.
    pub(crate) uncommon_begin: u32,
}

/// A decoded irsymtab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IrSymtab {
    /// Format version (3 or 4).
    pub version: u32,
    /// Producer, e.g. `19.1.7`.
    pub(crate) producer: Vec<u8>,
    /// Per-module symbol ranges.
    pub(crate) modules: Vec<IrModule>,
    /// Comdats.
    pub(crate) comdats: Vec<IrComdat>,
    /// Symbols of all modules, with their Uncommons attached.
    pub symbols: Vec<IrSymbol>,
    /// Target triple of the first module.
    pub(crate) target_triple: Vec<u8>,
    /// Source file name of the first module.
    pub(crate) source_filename: Vec<u8>,
    /// COFF linker options.
    pub coff_linker_opts: Vec<u8>,
    /// `#pragma comment(lib, …)` libraries.
    pub dependent_libraries: Vec<Vec<u8>>,
}

/// Result of decoding: a table, or a version this decoder does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The table.
    Table(IrSymtab),
    /// A well-formed header with an unknown version.
    UnknownVersion(u32),
}

struct Blob<'a> {
    blob: &'a [u8],
    strtab: &'a [u8],
}

impl<'a> Blob<'a> {
    fn word(&self, at: usize) -> PResult<u32> {
        let b = at.checked_add(4).and_then(|e| self.blob.get(at..e)).ok_or_else(|| bad!("irsymtab truncated at byte {at}"))?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn str(&self, at: usize) -> PResult<Vec<u8>> {
        let off = self.word(at)? as usize;
        let size = self.word(at + 4)? as usize;
        off.checked_add(size)
            .and_then(|e| self.strtab.get(off..e))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| bad!("irsymtab string ({off}, {size}) outside its STRTAB"))
    }

    /// A Range<T>: (byte offset, count); checks it lies in the blob.
    fn range(&self, at: usize, elem: usize) -> PResult<(usize, usize)> {
        let off = self.word(at)? as usize;
        let count = self.word(at + 4)? as usize;
        let end = count.checked_mul(elem).and_then(|n| n.checked_add(off)).ok_or_else(|| bad!("irsymtab range overflows"))?;
        if end > self.blob.len() {
            return Err(bad!("irsymtab range ({off}, {count}) outside the blob"));
        }
        Ok((off, count))
    }
}

/// Size of the header.
pub(crate) const HEADER_SIZE: usize = 76;

/// Decodes a SYMTAB blob whose strings are in `strtab`.
pub fn decode(blob: &[u8], strtab: &[u8]) -> PResult<Decoded> {
    let b = Blob { blob, strtab };
    if blob.len() < HEADER_SIZE {
        return Err(bad!("irsymtab smaller than its header ({} bytes)", blob.len()));
    }
    let version = b.word(0)?;
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Ok(Decoded::UnknownVersion(version));
    }
    let uncommon_size = if version >= 4 { 28 } else { 24 };
    let producer = b.str(4)?;
    let (mod_off, mod_n) = b.range(12, 12)?;
    let (cd_off, cd_n) = b.range(20, 12)?;
    let (sym_off, sym_n) = b.range(28, 24)?;
    let (unc_off, unc_n) = b.range(36, uncommon_size)?;
    let target_triple = b.str(44)?;
    let source_filename = b.str(52)?;
    let coff_linker_opts = b.str(60)?;
    let (lib_off, lib_n) = b.range(68, 8)?;

    let mut modules = Vec::with_capacity(mod_n);
    for i in 0..mod_n {
        let at = mod_off + i * 12;
        let m = IrModule { begin: b.word(at)?, end: b.word(at + 4)?, uncommon_begin: b.word(at + 8)? };
        if m.begin > m.end || m.end as usize > sym_n || m.uncommon_begin as usize > unc_n {
            return Err(bad!("irsymtab module {i} has an invalid symbol range"));
        }
        modules.push(m);
    }
    let mut comdats = Vec::with_capacity(cd_n);
    for i in 0..cd_n {
        let at = cd_off + i * 12;
        comdats.push(IrComdat { name: b.str(at)?, selection: b.word(at + 8)? });
    }
    let read_uncommon = |k: usize| -> PResult<Uncommon> {
        if k >= unc_n {
            return Err(bad!("irsymtab symbol refers to missing uncommon entry {k}"));
        }
        let at = unc_off + k * uncommon_size;
        if version >= 4 {
            let lo = u64::from(b.word(at)?);
            let hi = u64::from(b.word(at + 4)?);
            Ok(Uncommon {
                common_size: lo | (hi << 32),
                common_align: b.word(at + 8)?,
                coff_weak_external_fallback_name: b.str(at + 12)?,
                section_name: b.str(at + 20)?,
            })
        } else {
            Ok(Uncommon {
                common_size: u64::from(b.word(at)?),
                common_align: b.word(at + 4)?,
                coff_weak_external_fallback_name: b.str(at + 8)?,
                section_name: b.str(at + 16)?,
            })
        }
    };
    let mut symbols = Vec::with_capacity(sym_n);
    // Uncommons are consumed in order per module, starting at the module's UncBegin.
    let mut module_of = vec![None; sym_n];
    for (mi, m) in modules.iter().enumerate() {
        for s in m.begin..m.end {
            module_of[s as usize] = Some(mi);
        }
    }
    let mut next_uncommon: Vec<usize> = modules.iter().map(|m| m.uncommon_begin as usize).collect();
    let mut fallback_uncommon = 0usize;
    #[allow(clippy::needless_range_loop)] // i indexes the blob and module_of alike
    for i in 0..sym_n {
        let at = sym_off + i * 24;
        let flags = b.word(at + 20)?;
        let comdat = b.word(at + 16)?;
        let comdat = if comdat == u32::MAX { None } else { Some(comdat) };
        if let Some(c) = comdat
            && c as usize >= cd_n
        {
            return Err(bad!("irsymtab symbol {i} names comdat {c} of {cd_n}"));
        }
        let uncommon = if flags & flag::HAS_UNCOMMON != 0 {
            let slot = match module_of[i] {
                Some(mi) => &mut next_uncommon[mi],
                None => &mut fallback_uncommon,
            };
            let u = read_uncommon(*slot)?;
            *slot += 1;
            Some(u)
        } else {
            None
        };
        symbols.push(IrSymbol { name: b.str(at)?, ir_name: b.str(at + 8)?, comdat, flags, uncommon });
    }
    let mut dependent_libraries = Vec::with_capacity(lib_n);
    for i in 0..lib_n {
        dependent_libraries.push(b.str(lib_off + i * 8)?);
    }
    Ok(Decoded::Table(IrSymtab {
        version,
        producer,
        modules,
        comdats,
        symbols,
        target_triple,
        source_filename,
        coff_linker_opts,
        dependent_libraries,
    }))
}

/// Encodes a table (the inverse of [`decode`]): the SYMTAB blob, its strings appended to
/// `strtab` (the STRTAB that will follow it, which the modules may share). Uncommons are laid
/// out module by module in symbol order, as LLVM's builder does, so each module's `UncBegin`
/// is recomputed.
pub(crate) fn encode(t: &IrSymtab, strtab: &mut Vec<u8>) -> Vec<u8> {
    let mut s = |bytes: &[u8]| -> [u32; 2] {
        let at = strtab.len() as u32;
        strtab.extend_from_slice(bytes);
        [at, bytes.len() as u32]
    };
    let uncommon_size = if t.version >= 4 { 28 } else { 24 };
    let n_unc = t.symbols.iter().filter(|x| x.uncommon.is_some()).count();
    let mod_off = HEADER_SIZE;
    let cd_off = mod_off + 12 * t.modules.len();
    let sym_off = cd_off + 12 * t.comdats.len();
    let unc_off = sym_off + 24 * t.symbols.len();
    let lib_off = unc_off + uncommon_size * n_unc;
    let mut words: Vec<u32> = Vec::with_capacity(lib_off / 4 + 2 * t.dependent_libraries.len());
    words.push(t.version);
    words.extend(s(&t.producer));
    words.extend([mod_off as u32, t.modules.len() as u32, cd_off as u32, t.comdats.len() as u32]);
    words.extend([sym_off as u32, t.symbols.len() as u32, unc_off as u32, n_unc as u32]);
    words.extend(s(&t.target_triple));
    words.extend(s(&t.source_filename));
    words.extend(s(&t.coff_linker_opts));
    words.extend([lib_off as u32, t.dependent_libraries.len() as u32]);
    let mut unc_before = 0u32;
    for m in &t.modules {
        words.extend([m.begin, m.end, unc_before]);
        let range = m.begin as usize..(m.end as usize).min(t.symbols.len());
        unc_before += t.symbols.get(range).map_or(0, |syms| syms.iter().filter(|x| x.uncommon.is_some()).count() as u32);
    }
    for c in &t.comdats {
        words.extend(s(&c.name));
        words.push(c.selection);
    }
    for sym in &t.symbols {
        words.extend(s(&sym.name));
        words.extend(s(&sym.ir_name));
        words.push(sym.comdat.unwrap_or(u32::MAX));
        words.push(sym.flags);
    }
    for u in t.symbols.iter().filter_map(|x| x.uncommon.as_ref()) {
        if t.version >= 4 {
            words.extend([u.common_size as u32, (u.common_size >> 32) as u32]);
        } else {
            words.push(u.common_size as u32);
        }
        words.push(u.common_align);
        words.extend(s(&u.coff_weak_external_fallback_name));
        words.extend(s(&u.section_name));
    }
    for lib in &t.dependent_libraries {
        words.extend(s(lib));
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

#[cfg(test)]
mod encode_tests {
    use super::*;

    #[test]
    fn encode_then_decode_is_identity() {
        let t = IrSymtab {
            version: 3,
            producer: b"19.1.7".to_vec(),
            modules: vec![IrModule { begin: 0, end: 2, uncommon_begin: 0 }, IrModule { begin: 2, end: 3, uncommon_begin: 1 }],
            comdats: vec![IrComdat { name: b"c".to_vec(), selection: 0 }],
            symbols: vec![
                IrSymbol { name: b"a".to_vec(), ir_name: b"a".to_vec(), comdat: Some(0), flags: flag::GLOBAL, uncommon: None },
                IrSymbol {
                    name: b"b".to_vec(),
                    ir_name: b"b".to_vec(),
                    comdat: None,
                    flags: flag::GLOBAL | flag::COMMON | flag::HAS_UNCOMMON,
                    uncommon: Some(Uncommon { common_size: 8, common_align: 4, ..Uncommon::default() }),
                },
                IrSymbol {
                    name: b"s".to_vec(),
                    ir_name: b"s".to_vec(),
                    comdat: None,
                    flags: flag::GLOBAL | flag::HAS_UNCOMMON,
                    uncommon: Some(Uncommon { section_name: b".sec".to_vec(), ..Uncommon::default() }),
                },
            ],
            target_triple: b"x86_64-pc-linux-gnu".to_vec(),
            source_filename: b"t.c".to_vec(),
            coff_linker_opts: Vec::new(),
            dependent_libraries: vec![b"m".to_vec()],
        };
        let mut strtab = b"module strings".to_vec();
        let blob = encode(&t, &mut strtab);
        assert_eq!(decode(&blob, &strtab).unwrap(), Decoded::Table(t));
    }
}
