//! A wrapped object's `.tl.summary` records: building a module's record from its bitcode,
//! reading the records of an object, and matching them to the modules of its `.llvmbc`.

use rustc_hash::FxHashMap;

use super::summary_section::{self, CallRecord, FunctionRecord, ModuleRecord, SymbolKind, SymbolRecord};
use crate::bad;
use crate::bitcode::container::{self, Container};
use crate::bitcode::details::ModuleDetails;
use crate::bitcode::guid;
use crate::bitcode::irsymtab::flag;
use crate::bitcode::module::{self, GlobalKind, producer_major};
use crate::bitcode::summary;
use crate::bitcode::symtab::IrSym;
use crate::elf::ElfObject;
use crate::embedded::{self, SUMMARY_SECTION};
use crate::error::PResult;

/// The kind byte of a bitcode symbol whose record kind (when its records were read) is `kind`.
fn kind_of(s: &IrSym, kind: Option<GlobalKind>) -> SymbolKind {
    if s.has(flag::COMMON) {
        SymbolKind::Common
    } else if kind == Some(GlobalKind::Ifunc) {
        SymbolKind::Ifunc
    } else if s.has(flag::INDIRECT) {
        SymbolKind::Alias
    } else if s.has(flag::TLS) {
        SymbolKind::Tls
    } else if s.has(flag::EXECUTABLE) {
        SymbolKind::Function
    } else {
        SymbolKind::Data
    }
}

/// Builds the summary record of module `index`.
pub fn module_record(c: &Container<'_>, index: usize, d: &ModuleDetails) -> ModuleRecord {
    let m = &c.modules[index];
    let unit = &c.units[m.unit];
    let info = &d.info;
    let delim = guid::delimiter(info.producer.as_deref().and_then(producer_major));
    let value_guid = |id: u64| -> Option<u64> {
        if let Some(g) = info.globals.get(id as usize) {
            Some(guid::guid(&g.name, g.linkage.is_local(), &info.source_filename, delim))
        } else {
            info.summary.as_ref().and_then(|s| s.value_guids.get(&id).copied())
        }
    };
    // IR name -> value id (first wins; names are unique in a module).
    let mut by_name: FxHashMap<&[u8], usize> = FxHashMap::default();
    for (i, g) in info.globals.iter().enumerate() {
        by_name.entry(g.name.as_slice()).or_insert(i);
    }
    let mut symbols = Vec::with_capacity(d.symbols.symbols.len());
    let mut symbol_of_value: FxHashMap<usize, u32> = FxHashMap::default();
    for s in &d.symbols.symbols {
        let gv = by_name.get(s.ir_name.as_slice()).copied().filter(|_| !s.ir_name.is_empty());
        let (linkage, guid) = match gv {
            Some(i) => {
                let g = &info.globals[i];
                symbol_of_value.entry(i).or_insert(symbols.len() as u32);
                (g.linkage.as_memory(), guid::guid(&g.name, g.linkage.is_local(), &info.source_filename, delim))
            }
            None => (255, guid::guid(&s.name, !s.has(flag::GLOBAL), &info.source_filename, delim)),
        };
        symbols.push(SymbolRecord {
            name: s.name.clone(),
            guid,
            linkage,
            visibility: (s.flags & flag::VISIBILITY_MASK) as u8,
            kind: kind_of(s, gv.map(|i| info.globals[i].kind)).code(),
            flags: s.flags,
        });
    }
    let summary_fn: FxHashMap<u64, &summary::FunctionSummary> = info
        .summary
        .iter()
        .flat_map(|s| s.entries.iter())
        .filter_map(|e| match e {
            summary::Entry::Function(f) => Some((f.value_id, f)),
            _ => None,
        })
        .collect();
    let blocks: FxHashMap<u64, &module::FunctionBlock> = info.function_blocks.iter().map(|f| (f.value_id, f)).collect();
    let mut functions = Vec::new();
    for (i, g) in info.globals.iter().enumerate() {
        if g.kind != GlobalKind::Function || g.is_declaration {
            continue;
        }
        let Some(&symbol) = symbol_of_value.get(&i) else { continue };
        let block = blocks.get(&(i as u64));
        let sf = summary_fn.get(&(i as u64));
        let (inst_count, counted) = match (sf, block.and_then(|b| b.instructions)) {
            (Some(f), _) => (f.inst_count, false),
            (None, Some(n)) => (n, true),
            (None, None) => (0, true),
        };
        functions.push(FunctionRecord {
            symbol,
            inst_count,
            counted,
            block_offset: block.map(|b| b.offset).unwrap_or(u64::MAX),
            block_size: block.map(|b| b.size).unwrap_or(0),
            fflags: sf.map(|f| f.fflags).unwrap_or(0),
            calls: sf
                .map(|f| {
                    f.calls
                        .iter()
                        .filter_map(|c| value_guid(c.callee).map(|g| CallRecord { guid: g, hotness: c.hotness, tail: c.tail }))
                        .collect()
                })
                .unwrap_or_default(),
            refs: sf.map(|f| f.refs.iter().filter_map(|&r| value_guid(r)).collect()).unwrap_or_default(),
        });
    }
    ModuleRecord {
        module_index: index as u32,
        unit_offset: unit.start as u64,
        unit_size: (unit.end - unit.start) as u64,
        module_size: m.bytes().len() as u64,
        module_crc: crc32fast::hash(m.bytes()),
        source_filename: info.source_filename.clone(),
        triple: info.triple.clone(),
        producer: info.producer.clone().unwrap_or_default(),
        hash: info.hash,
        summary_kind: match &info.summary {
            None => 0,
            Some(s) if s.thin => 1,
            Some(_) => 2,
        },
        summary_version: info.summary.as_ref().map(|s| s.version as u32).unwrap_or(0),
        summary_flags: info.summary.as_ref().map(|s| s.flags).unwrap_or(0),
        symbols,
        functions,
    }
}

/// The summary records of a wrapped object matched to the modules of its `.llvmbc`:
/// for each module, the index of its record.
pub fn match_records(c: &Container<'_>, records: &[ModuleRecord]) -> Vec<Option<usize>> {
    let mut used = vec![false; records.len()];
    c.modules
        .iter()
        .map(|m| {
            let bytes = m.bytes();
            let crc = crc32fast::hash(bytes);
            let found =
                records.iter().enumerate().position(|(k, r)| !used[k] && r.module_size == bytes.len() as u64 && r.module_crc == crc);
            if let Some(k) = found {
                used[k] = true;
            }
            found
        })
        .collect()
}

/// The summary records of a wrapped object (every `.tl.summary` section, in order).
pub fn read_records(obj: &ElfObject<'_>) -> PResult<Vec<ModuleRecord>> {
    let parts = embedded::sections_named(obj, SUMMARY_SECTION);
    let mut records = Vec::new();
    for p in parts {
        records.extend(summary_section::decode_all(p)?);
    }
    Ok(records)
}

/// A wrapped object's bitcode with its summary records matched to modules.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The records found in `.tl.summary`.
    pub records: Vec<ModuleRecord>,
    /// For each module of the bitcode, the index of its record.
    pub matches: Vec<Option<usize>>,
}

/// Reads and checks a wrapped object's summary against its bitcode: every record must decode
/// (CRC included) and every module must have its record.
pub fn inspect(obj: &ElfObject<'_>) -> PResult<Inspection> {
    let bc = embedded::bitcode_section(obj).ok_or_else(|| bad!("wrapped object without bitcode"))?;
    let c = container::parse(&bc)?;
    let records = read_records(obj)?;
    let matches = match_records(&c, &records);
    if let Some(k) = matches.iter().position(Option::is_none) {
        return Err(bad!("module {k} of .llvmbc has no .tl.summary record"));
    }
    Ok(Inspection { records, matches })
}
