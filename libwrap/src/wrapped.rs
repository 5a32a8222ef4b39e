//! The ELF-wrapped bitcode format (documented for users in `man/tl-wrap.5`).
//!
//! A wrapped object is an ELF relocatable (`ET_REL`) whose class, byte order, `e_machine` and
//! `e_flags` come from the bitcode's target triple ([`crate::elf::target`]), holding:
//! - `.llvmbc` (`SHT_PROGBITS`, `SHF_EXCLUDE`, align 1): the bitcode, verbatim when it is one
//!   stream; one or more modules LLVM's reader accepts;
//! - a symbol table mirroring the bitcode's symbols so tools without a plugin see them with the
//!   letters llvm-nm prints: functions (and aliases of functions, ifuncs, asm symbols) in a
//!   placeholder `.text`, other data in `.data`, thread-locals in `.tdata`; commons as
//!   `SHN_COMMON` with size and alignment; weak bindings; `st_other` visibility. Weak or
//!   undefined data symbols are `STT_NOTYPE` (GNU nm would print `V`/`v` for `STT_OBJECT`,
//!   llvm-nm prints `W`/`w`). Format-specific symbols (private, `llvm.*`) are not mirrored, as
//!   llvm-nm does not list them. There are no `.rodata`/`.bss` placeholders: llvm-nm prints
//!   constant and zero-initialised data as `D`, and GNU nm would print `R`/`B` for them;
//! - `.tl.summary` (`SHT_PROGBITS`, `SHF_EXCLUDE`, align 1): one record per module
//!   ([`crate::tlsummary`]);
//! - the guard: an undefined global `__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld`,
//!   referenced by an absolute relocation from every placeholder section. A native final link
//!   that keeps any placeholder fails with "undefined reference to" the guard; `ld -r` keeps
//!   the reference and the undefined symbol, so the guard survives partial links;
//! - `.note.GNU-stack` (empty: the object asks for no executable stack).

use rustc_hash::FxHashMap;
use std::borrow::Cow;

use crate::bad;
use crate::bitcode::container::{self, Container, MAGIC};
use crate::bitcode::guid;
use crate::bitcode::irsymtab::flag;
use crate::bitcode::module::{self, GlobalKind, ModuleInfo, ReadOptions, producer_major};
use crate::bitcode::symbols::{self as irsyms, IrSym, ModuleSymbols};
use crate::elf::consts::*;
use crate::elf::target::{self, ElfTarget};
use crate::elf::{ElfObject, Info, Link, Reloc, Section, SectionData, Symbol as ElfSymbol, SymbolSection};
use crate::error::PResult;
use crate::symbols::Kind;
use crate::tlsummary::{self, CallRecord, FunctionRecord, ModuleRecord, SymbolRecord};

/// Name of the summary section.
pub const SUMMARY_SECTION: &[u8] = b".tl.summary";
/// The guard symbol.
pub const GUARD_SYMBOL: &[u8] = b"__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld";

/// Everything known about one module of a bitcode buffer.
#[derive(Clone, Debug)]
pub struct ModuleDetails {
    /// The module's symbols (llvm-nm's view).
    pub symbols: ModuleSymbols,
    /// Its records, summary and function blocks.
    pub info: ModuleInfo,
}

/// Reads symbols and details of every module.
pub fn module_details(c: &Container<'_>) -> PResult<Vec<ModuleDetails>> {
    let opts = ReadOptions { summary: true, function_blocks: true, instruction_counts: true, constants: false };
    c.modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let symbols = irsyms::read(m).map_err(|e| bad!("module {i}: {e}"))?;
            let info = module::read_module(m, opts).map_err(|e| bad!("module {i}: {e}"))?;
            Ok(ModuleDetails { symbols, info })
        })
        .collect()
}

/// Symbols only (no records, summary or function blocks): what listing symbols needs.
pub fn module_details_symbols_only(c: &Container<'_>) -> PResult<Vec<ModuleDetails>> {
    c.modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let symbols = irsyms::read(m).map_err(|e| bad!("module {i}: {e}"))?;
            Ok(ModuleDetails { symbols, info: ModuleInfo::default() })
        })
        .collect()
}

/// The absolute-address relocation of a machine (for the guard), and its width in bytes.
fn abs_reloc(e_machine: u16, is_64: bool) -> PResult<(u32, u64, bool)> {
    // (r_type, width, rela)
    Ok(match e_machine {
        m if m == EM_X86_64.0 => {
            if is_64 {
                (1, 8, true)
            } else {
                (10, 4, true)
            }
        }
        m if m == EM_386.0 => (1, 4, false),
        m if m == EM_AARCH64.0 => (257, 8, true),
        m if m == EM_ARM.0 => (2, 4, false),
        m if m == EM_RISCV.0 => {
            if is_64 {
                (2, 8, true)
            } else {
                (1, 4, true)
            }
        }
        m if m == EM_PPC64.0 => (38, 8, true),
        m if m == EM_PPC.0 => (1, 4, true),
        m if m == EM_S390.0 => (22, 8, true),
        m if m == EM_SPARCV9.0 => (32, 8, true),
        m if m == target::EM_LOONGARCH => (2, 8, true),
        m => return Err(bad!("no absolute relocation known for machine {m}")),
    })
}

/// The ELF target of a container (all modules must agree).
pub fn elf_target(details: &[ModuleDetails]) -> PResult<ElfTarget> {
    let mut found: Option<(ElfTarget, String)> = None;
    for d in details {
        let triple = if d.info.triple.is_empty() { d.symbols.triple.clone() } else { d.info.triple.clone() };
        let t = target::for_triple(&triple).map_err(|e| bad!("cannot wrap: {e}"))?;
        match &found {
            Some((f, ft)) if *f != t => {
                return Err(bad!("cannot wrap modules for different targets ({ft} and {triple})"));
            }
            None => found = Some((t, triple)),
            _ => {}
        }
    }
    found.map(|f| f.0).ok_or_else(|| bad!("no module"))
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
        let kind = crate::symbols::from_ir(&IrSym { kind: gv.map(|i| info.globals[i].kind), ..s.clone() }, index).kind;
        symbols.push(SymbolRecord {
            name: s.name.clone(),
            guid,
            linkage,
            visibility: (s.flags & flag::VISIBILITY_MASK) as u8,
            kind: tlsummary::kind_code(kind),
            flags: s.flags,
        });
    }
    let summary_fn: FxHashMap<u64, &crate::bitcode::summary::FunctionSummary> = info
        .summary
        .iter()
        .flat_map(|s| s.entries.iter())
        .filter_map(|e| match e {
            crate::bitcode::summary::Entry::Function(f) => Some((f.value_id, f)),
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

/// Placeholder sections of a wrapped object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `.text`: functions.
    Text,
    /// `.data`: other definitions.
    Data,
    /// `.tdata`: thread-locals.
    Tdata,
}

/// Wraps raw bitcode (one or more modules) into a wrapped ELF object.
pub fn wrap(bitcode: &[u8]) -> PResult<Vec<u8>> {
    let c = container::parse(bitcode)?;
    let details = module_details(&c)?;
    let t = elf_target(&details)?;
    let records: Vec<ModuleRecord> = details.iter().enumerate().map(|(i, d)| module_record(&c, i, d)).collect();
    let obj = build(t, Cow::Borrowed(bitcode), &details, &records)?;
    crate::elf::write(&obj)
}

/// The mirror of a buffer's modules, resolved across them as a partial link resolves them (see
/// [`crate::link::resolve`]): every local symbol, then one symbol per global name (its winning
/// definition, its merged common, or one undefined symbol, weak only if every reference is).
pub fn resolved_mirror(details: &[ModuleDetails]) -> Vec<(ElfSymbol<'static>, Option<Placeholder>)> {
    use crate::link::resolve::{Origin, State, Table};
    let mut table = Table::default();
    for (m, d) in details.iter().enumerate() {
        table.add_bitcode(0, m, &d.symbols.symbols);
    }
    let mut out = Vec::new();
    for s in details.iter().flat_map(|d| d.symbols.symbols.iter()) {
        if !s.has(flag::GLOBAL) && !s.format_specific() {
            out.push(mirror_symbol(s));
        }
    }
    for g in &table.globals {
        let Origin::Bitcode { module, symbol, .. } = g.origin else { continue };
        let s = &details[module].symbols.symbols[symbol];
        let (mut sym, placeholder) = mirror_symbol(s);
        match g.state {
            State::Undefined => {
                let binding = if g.strong_ref { STB_GLOBAL } else { STB_WEAK };
                sym.st_info = (binding << 4) | (sym.st_info & 0xf);
                sym.section = SymbolSection::Undefined;
            }
            State::Common { size, align } => {
                sym.size = size;
                sym.value = align;
            }
            State::Defined { .. } => {}
        }
        sym.st_other = (sym.st_other & !3) | g.visibility;
        out.push((sym, placeholder));
    }
    out
}

/// The mirror of a bitcode symbol: the ELF symbol (in no section yet) and the placeholder its
/// definition goes to (`None` for undefined and common symbols, which need none).
pub fn mirror_symbol(s: &IrSym) -> (ElfSymbol<'static>, Option<Placeholder>) {
    let global = s.has(flag::GLOBAL);
    let weak = s.has(flag::WEAK);
    let binding = if !global {
        STB_LOCAL
    } else if weak {
        STB_WEAK
    } else {
        STB_GLOBAL
    };
    let placeholder = if s.has(flag::UNDEFINED) || s.has(flag::COMMON) {
        None
    } else if s.has(flag::EXECUTABLE) {
        Some(Placeholder::Text)
    } else if s.has(flag::TLS) {
        Some(Placeholder::Tdata)
    } else {
        Some(Placeholder::Data)
    };
    let typ = match placeholder {
        _ if s.has(flag::COMMON) => STT_OBJECT,
        Some(Placeholder::Text) => STT_FUNC,
        Some(Placeholder::Tdata) => STT_TLS,
        Some(Placeholder::Data) if !weak => STT_OBJECT,
        _ => STT_NOTYPE,
    };
    let (section, value, size) = if s.has(flag::COMMON) {
        (SymbolSection::Common, u64::from(s.common_align.unwrap_or(1).max(1)), s.common_size.unwrap_or(0))
    } else {
        (SymbolSection::Undefined, 0, 0)
    };
    let symbol = ElfSymbol {
        name: Cow::Owned(s.name.clone()),
        st_info: (binding << 4) | typ,
        st_other: match s.flags & flag::VISIBILITY_MASK {
            1 => STV_HIDDEN,
            2 => STV_PROTECTED,
            _ => STV_DEFAULT,
        },
        section,
        value,
        size,
    };
    (symbol, placeholder)
}

/// Adds the placeholder sections the `placed` symbols (model index, placeholder) need (a `.text`
/// always, so the guard is referenced), defines those symbols there, and adds the guard with
/// one absolute relocation from each placeholder.
pub fn place_mirror(obj: &mut ElfObject<'_>, t: ElfTarget, placed: &[(usize, Placeholder)]) -> PResult<()> {
    let (r_type, width, rela) = abs_reloc(t.e_machine, t.is_64)?;
    let mut sections: Vec<(Placeholder, usize)> = Vec::new();
    for p in [Placeholder::Text, Placeholder::Data, Placeholder::Tdata] {
        if p != Placeholder::Text && !placed.iter().any(|(_, q)| *q == p) {
            continue;
        }
        let (name, flags): (&[u8], u64) = match p {
            Placeholder::Text => (b".text", SHF_ALLOC | SHF_EXECINSTR),
            Placeholder::Data => (b".data", SHF_ALLOC | SHF_WRITE),
            Placeholder::Tdata => (b".tdata", SHF_ALLOC | SHF_WRITE | SHF_TLS),
        };
        let idx = obj.add_section(Section::bytes(name, SHT_PROGBITS, flags, width, Cow::Owned(vec![0; width as usize])));
        sections.push((p, idx));
    }
    for &(j, p) in placed {
        if let Some(&(_, idx)) = sections.iter().find(|(q, _)| *q == p) {
            let s = &mut obj.symbols[j];
            s.section = SymbolSection::Section(idx);
            s.value = 0;
            s.size = 0;
        }
    }
    let guard = obj.add_symbol(ElfSymbol {
        name: Cow::Borrowed(GUARD_SYMBOL),
        st_info: (STB_GLOBAL << 4) | STT_NOTYPE,
        st_other: STV_DEFAULT,
        section: SymbolSection::Undefined,
        value: 0,
        size: 0,
    });
    for (_, idx) in sections {
        let rname = [if rela { &b".rela"[..] } else { &b".rel"[..] }, obj.sections[idx].name.as_ref()].concat();
        obj.add_section(Section {
            name: Cow::Owned(rname),
            sh_type: if rela { SHT_RELA } else { SHT_REL },
            sh_flags: SHF_INFO_LINK,
            sh_addr: 0,
            sh_addralign: if t.is_64 { 8 } else { 4 },
            sh_entsize: 0,
            link: Link::Symtab,
            info: Info::Section(idx),
            data: SectionData::Relocations { rela, relocs: vec![Reloc { offset: 0, symbol: Some(guard), r_type, addend: 0 }] },
        });
    }
    Ok(())
}

/// Builds the ELF model of a wrapped object.
pub fn build<'a>(t: ElfTarget, llvmbc: Cow<'a, [u8]>, details: &[ModuleDetails], records: &[ModuleRecord]) -> PResult<ElfObject<'a>> {
    let mut obj = ElfObject::new_relocatable(t.is_64, t.big_endian, t.e_machine, t.e_flags);
    obj.add_section(Section::bytes(b".llvmbc", SHT_PROGBITS, SHF_EXCLUDE, 1, llvmbc));
    obj.add_section(Section::bytes(SUMMARY_SECTION, SHT_PROGBITS, SHF_EXCLUDE, 1, Cow::Owned(tlsummary::encode_all(records))));
    obj.add_section(Section::bytes(b".note.GNU-stack", SHT_PROGBITS, 0, 1, Cow::Borrowed(b"")));
    let mut placed = Vec::new();
    for (symbol, placeholder) in resolved_mirror(details) {
        let j = obj.add_symbol(symbol);
        if let Some(p) = placeholder {
            placed.push((j, p));
        }
    }
    place_mirror(&mut obj, t, &placed)?;
    obj.add_section(Section { data: SectionData::SymbolTable, ..Section::bytes(b".symtab", SHT_SYMTAB, 0, 8, Cow::Borrowed(b"")) });
    obj.add_section(Section { data: SectionData::StringTable, ..Section::bytes(b".strtab", SHT_STRTAB, 0, 1, Cow::Borrowed(b"")) });
    obj.add_section(Section { data: SectionData::SectionNames, ..Section::bytes(b".shstrtab", SHT_STRTAB, 0, 1, Cow::Borrowed(b"")) });
    Ok(obj)
}

/// Raw bitcode from a bitcode section or file: verbatim when it is one stream; otherwise (a
/// foreign `ld -r` concatenated several) one magic followed by every unit's blocks, wrapper
/// headers and padding removed: LLVM's multi-module layout.
pub fn normalize(bitcode: &[u8]) -> PResult<Cow<'_, [u8]>> {
    let c = container::parse(bitcode)?;
    let wrapped_inside = bitcode.starts_with(&container::WRAPPER_MAGIC);
    if c.streams == 1 && !wrapped_inside {
        return Ok(Cow::Borrowed(bitcode));
    }
    if c.streams == 1 && c.units.len() == 1 {
        // A single wrapped stream: keep the wrapper, LLVM reads it.
        return Ok(Cow::Borrowed(bitcode));
    }
    Ok(Cow::Owned(join_units(&c)))
}

/// One magic followed by every unit's blocks.
pub fn join_units(c: &Container<'_>) -> Vec<u8> {
    let data = c.modules.first().map(|m| m.data).unwrap_or(&[]);
    let mut out = MAGIC.to_vec();
    for u in &c.units {
        out.extend_from_slice(&data[u.first_begin..u.end]);
    }
    out
}

/// One standalone bitcode file per unit (the modules one producer wrote together; a split LTO
/// unit's two halves stay together, so each file holds at most one ThinLTO module).
pub fn split(bitcode: &[u8]) -> PResult<Vec<Vec<u8>>> {
    let c = container::parse(bitcode)?;
    Ok(c.units
        .iter()
        .map(|u| {
            let data = c.modules[u.modules[0]].data;
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&data[u.first_begin..u.end]);
            out
        })
        .collect())
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

/// The kind of a symbol in a wrapped object's summary, as a [`Kind`].
pub fn record_kind(s: &SymbolRecord) -> Kind {
    tlsummary::kind_from_code(s.kind)
}

/// The summary records of a wrapped object (every `.tl.summary` section, in order).
pub fn read_records(obj: &ElfObject<'_>) -> PResult<Vec<ModuleRecord>> {
    let parts = crate::sniff::sections_named(obj, SUMMARY_SECTION);
    let mut records = Vec::new();
    for p in parts {
        records.extend(tlsummary::decode_all(p)?);
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
    let bc = crate::sniff::bitcode_section(obj).ok_or_else(|| bad!("wrapped object without bitcode"))?;
    let c = container::parse(&bc)?;
    let records = read_records(obj)?;
    let matches = match_records(&c, &records);
    if let Some(k) = matches.iter().position(Option::is_none) {
        return Err(bad!("module {k} of .llvmbc has no .tl.summary record"));
    }
    Ok(Inspection { records, matches })
}
