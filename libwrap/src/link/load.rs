//! Loading a partial link's inputs: files and `-l` libraries are opened, objects parsed, archive
//! members pulled by what is undefined when the archive is reached (repeatedly, and across a
//! group until nothing more is pulled), COMDAT groups decided (first wins), and every loaded
//! object's globals entered into the resolution [`Table`] in load order.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::options::{InputSpec, Options};
use super::search::find_library;
use crate::archive::{self, Archive, edit::basename};
use crate::bitcode::irsymtab::flag;
use crate::bitcode::symtab::IrSym;
use crate::elf::consts::*;
use crate::elf::{ElfObject, Info, SectionData, SymbolSection};
use crate::error::{Error, Result, io_message, location};
use crate::file_kind::{self, ElfKind, FileKind};
use crate::input::Input;
use crate::resolve::{Mention, Origin, Table};
use crate::wrapped::decompose::{self, BitcodePart, decompose};

/// An opened input file.
pub(crate) struct Opened {
    /// The name messages use (as given, or as found by `-l`).
    pub(crate) name: String,
    /// Its contents.
    pub(crate) input: Input,
}

/// One command-line item after `-l` lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// File `i` of [`Files::opened`].
    File(usize),
    /// `--whole-archive` / `--no-whole-archive`.
    WholeArchive(bool),
    /// `--start-group`.
    GroupStart,
    /// `--end-group`.
    GroupEnd,
}

/// The opened inputs.
pub(crate) struct Files {
    /// Opened files.
    pub(crate) opened: Vec<Opened>,
    /// Items in command-line order.
    pub(crate) items: Vec<Item>,
}

/// `f` over `items` on as many threads as there are cores (at least 16 items per thread),
/// results in order.
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8).min(items.len().div_ceil(16).max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut mine = Vec::new();
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(k) else { break };
                    mine.push((k, f(item)));
                }
                results.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(k, _)| *k);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Opens every file and library of the command line (the files in parallel).
pub(crate) fn open_inputs(opts: &Options) -> Result<Files> {
    // Each input item: a path to open, a message, or a marker.
    enum Step {
        Open(PathBuf),
        Missing(String),
        Marker(Item),
    }
    let steps: Vec<Step> = opts
        .inputs
        .iter()
        .map(|spec| match spec {
            InputSpec::File(p) => Step::Open(p.clone()),
            InputSpec::Library { name, verbatim } => match find_library(name, *verbatim, true, &opts.search_dirs) {
                Some(p) => Step::Open(p),
                None => {
                    let shown = if *verbatim { format!(":{name}") } else { name.clone() };
                    Step::Missing(format!("cannot find -l{shown}: No such file or directory"))
                }
            },
            InputSpec::WholeArchive(on) => Step::Marker(Item::WholeArchive(*on)),
            InputSpec::GroupStart => Step::Marker(Item::GroupStart),
            InputSpec::GroupEnd => Step::Marker(Item::GroupEnd),
        })
        .collect();
    let inputs = parallel_map(&steps, |step| match step {
        Step::Open(path) => Some(Input::open(path)),
        _ => None,
    });
    let mut opened = Vec::new();
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for (step, input) in steps.into_iter().zip(inputs) {
        match (step, input) {
            (Step::Open(path), Some(Ok(input))) => {
                opened.push(Opened { name: path.display().to_string(), input });
                items.push(Item::File(opened.len() - 1));
            }
            (Step::Open(path), Some(Err(Error::Io { source, .. }))) => {
                missing.push(format!("cannot find {}: {}", path.display(), io_message(&source)));
            }
            (_, Some(Err(e))) => return Err(e),
            (Step::Missing(m), _) => missing.push(m),
            (Step::Marker(item), _) => items.push(item),
            (Step::Open(_), None) => {}
        }
    }
    if !missing.is_empty() {
        return Err(Error::Link { messages: missing });
    }
    if opened.is_empty() {
        return Err(Error::Link { messages: vec!["no input files".into()] });
    }
    Ok(Files { opened, items })
}

/// Parses the archives among the opened files (`None` for other files).
pub(crate) fn parse_archives(files: &Files) -> Result<Vec<Option<Archive<'_>>>> {
    files
        .opened
        .iter()
        .map(|f| match file_kind::sniff(f.input.data()) {
            FileKind::Archive { .. } => archive::read(f.input.data(), &f.name).map(Some),
            _ => Ok(None),
        })
        .collect()
}

/// One loaded object: a file or an archive member.
pub(crate) struct Object<'a> {
    /// Its name in messages (`a.o`, `lib.a(m.o)`).
    pub(crate) name: String,
    /// Its file name without directories (the member's name for a member): what GNU ld names
    /// the FILE symbol it adds when an input's local symbols come before any FILE symbol.
    pub(crate) file_name: String,
    /// The native part (absent for raw bitcode).
    pub(crate) elf: Option<ElfObject<'a>>,
    /// For each section of `elf`: discarded (a COMDAT group an earlier object already has).
    pub(crate) discarded: Vec<bool>,
    /// The bitcode part.
    pub(crate) bitcode: Option<BitcodePart<'a>>,
}

/// Everything loaded, in load order, with the resolution table.
pub(crate) struct Loaded<'a> {
    /// Objects in load order.
    pub(crate) objects: Vec<Object<'a>>,
    /// The resolution table.
    pub(crate) table: Table,
    /// `-t`'s lines.
    pub(crate) trace: Vec<String>,
}

/// Parses an object file or member (`file_name`: see [`Object::file_name`]).
fn parse_object<'a>(name: String, file_name: &str, data: &'a [u8]) -> Result<Object<'a>> {
    let file_name = basename(file_name).to_string();
    match file_kind::sniff(data) {
        FileKind::Elf => {
            let obj = crate::elf::read(data).map_err(|e| e.at(&name, None))?;
            if obj.e_type != ET_REL {
                let what = if obj.e_type == ET_DYN { "a shared object" } else { "not a relocatable object" };
                return Err(Error::Link { messages: vec![format!("{name}: cannot be used in a partial link ({what})")] });
            }
            if file_kind::classify(&obj) == ElfKind::Wrapped {
                let (native, bitcode) = decompose(obj).map_err(|e| e.at(&name, None))?;
                let discarded = vec![false; native.sections.len()];
                return Ok(Object { name, file_name, elf: Some(native), discarded, bitcode: Some(bitcode) });
            }
            let mut obj = obj;
            decompress_sections(&mut obj).map_err(|e| e.at(&name, None))?;
            let discarded = vec![false; obj.sections.len()];
            Ok(Object { name, file_name, elf: Some(obj), discarded, bitcode: None })
        }
        FileKind::Bitcode { .. } => {
            let bitcode = decompose::from_raw(data).map_err(|e| e.at(&name, None))?;
            Ok(Object { name, file_name, elf: None, discarded: Vec::new(), bitcode: Some(bitcode) })
        }
        FileKind::Archive { .. } => Err(Error::Link { messages: vec![format!("{name}: an archive cannot be an archive member here")] }),
        FileKind::Unknown => Err(Error::NotRecognized { path: name, member: None }),
    }
}

/// Compressed input sections read as GNU ld reads them: `SHF_COMPRESSED` ones (zlib, zstd)
/// decompressed, with the alignment their header gives; `.zdebug_*` ones (GNU's `ZLIB`
/// form) decompressed and named `.debug_*`. Relocations keep their offsets (they are offsets
/// in the uncompressed contents).
fn decompress_sections(obj: &mut ElfObject<'_>) -> crate::error::PResult<()> {
    let (is_64, big_endian) = (obj.is_64, obj.big_endian);
    for s in &mut obj.sections {
        let gabi = s.sh_flags & SHF_COMPRESSED != 0;
        let Some(b) = s.bytes_data() else { continue };
        let gnu = !gabi && s.name.starts_with(b".zdebug") && b.starts_with(b"ZLIB");
        if !gabi && !gnu {
            continue;
        }
        let (plain, align) = crate::elf::compress::decompress(b, gabi, is_64, big_endian)
            .map_err(|e| crate::bad!("section {}: {e}", String::from_utf8_lossy(&s.name)))?;
        s.data = crate::elf::SectionData::Bytes(std::borrow::Cow::Owned(plain));
        s.sh_flags &= !SHF_COMPRESSED;
        if gabi {
            s.sh_addralign = align;
        } else {
            s.name = std::borrow::Cow::Owned([b".debug", &s.name[b".zdebug".len()..]].concat());
        }
    }
    Ok(())
}

/// `--wrap`: an object's undefined references to a wrapped `S` become `__wrap_S`, those to
/// `__real_S` become `S` (as BFD looks references up; definitions keep their names).
fn wrap_references(elf: &mut ElfObject<'_>, wrap: &[Vec<u8>]) {
    if wrap.is_empty() {
        return;
    }
    for s in elf.symbols.iter_mut().filter(|s| s.section == SymbolSection::Undefined && s.binding() != STB_LOCAL) {
        if wrap.iter().any(|w| w.as_slice() == s.name.as_ref()) {
            s.name = std::borrow::Cow::Owned([b"__wrap_", s.name.as_ref()].concat());
        } else if let Some(real) = s.name.strip_prefix(b"__real_")
            && wrap.iter().any(|w| w.as_slice() == real)
        {
            s.name = std::borrow::Cow::Owned(real.to_vec());
        }
    }
}

/// The signature of a group section: its symbol's name, or the section's name for a section
/// symbol.
pub(crate) fn group_signature<'o>(obj: &'o ElfObject<'_>, group: usize) -> Option<&'o [u8]> {
    let Info::Symbol(j) = obj.sections[group].info else { return None };
    let s = obj.symbols.get(j)?;
    if s.kind() == STT_SECTION
        && let SymbolSection::Section(k) = s.section
    {
        return Some(obj.sections[k].name.as_ref());
    }
    Some(s.name.as_ref())
}

/// The loader's state.
struct Loader<'a> {
    objects: Vec<Object<'a>>,
    table: Table,
    comdats: HashMap<Vec<u8>, usize>,
    /// `-t`'s lines: each input file as it is opened, each archive member loaded too with
    /// `-t -t` (`trace_members`).
    trace: Vec<String>,
    trace_members: bool,
    /// `--wrap`'s symbols.
    wrap: Vec<Vec<u8>>,
}

impl<'a> Loader<'a> {
    /// Adds an object: decides its COMDAT groups, then enters its symbols.
    fn add(&mut self, mut o: Object<'a>) {
        if let Some(elf) = o.elf.as_mut() {
            wrap_references(elf, &self.wrap);
        }
        let index = self.objects.len();
        if let Some(elf) = &o.elf {
            for (k, s) in elf.sections.iter().enumerate() {
                let SectionData::Group { flags, members } = &s.data else { continue };
                if flags & GRP_COMDAT == 0 {
                    continue;
                }
                let Some(sig) = group_signature(elf, k) else { continue };
                if self.comdats.contains_key(sig) {
                    o.discarded[k] = true;
                    for &m in members {
                        if let Some(d) = o.discarded.get_mut(m) {
                            *d = true;
                        }
                    }
                } else {
                    self.comdats.insert(sig.to_vec(), index);
                }
            }
            self.table.add_native(index, elf, &o.discarded);
        }
        if let Some(bc) = &o.bitcode {
            for (m, module) in bc.modules.iter().enumerate() {
                self.table.add_bitcode(index, m, &module.symbols);
            }
        }
        self.objects.push(o);
    }
}

/// The names an archive member defines (for pulling), with whether the definition is real
/// (not common).
fn member_definitions(data: &[u8]) -> Vec<(Vec<u8>, bool)> {
    if crate::elf::read::is_elf(data) {
        let Ok(obj) = crate::elf::read(data) else { return Vec::new() };
        if file_kind::classify(&obj) == ElfKind::Wrapped
            && let Ok((_, bc)) = decompose(obj.clone())
        {
            return bitcode_definitions(&bc);
        }
        return obj
            .symbols
            .iter()
            .filter(|s| s.binding() != STB_LOCAL && s.section != SymbolSection::Undefined)
            .map(|s| (s.name.to_vec(), s.section != SymbolSection::Common))
            .collect();
    }
    match decompose::module_symbols(data) {
        Ok(modules) => definitions(modules.iter().flatten()),
        Err(_) => Vec::new(),
    }
}

fn bitcode_definitions(bc: &BitcodePart<'_>) -> Vec<(Vec<u8>, bool)> {
    definitions(bc.modules.iter().flat_map(|m| m.symbols.iter()))
}

/// The global definitions among bitcode symbols, with whether each is real (not common).
fn definitions<'s>(symbols: impl Iterator<Item = &'s IrSym>) -> Vec<(Vec<u8>, bool)> {
    symbols
        .filter(|s| s.has(flag::GLOBAL) && !s.has(flag::UNDEFINED) && !s.format_specific())
        .map(|s| (s.name.clone(), !s.has(flag::COMMON)))
        .collect()
}

/// The global names a member defines, each with whether the definition is real (not common).
type Definitions = Vec<(Vec<u8>, bool)>;

/// An archive's members, lazily scanned for the names they define.
struct ArchiveScan<'a, 'f> {
    archive: &'f Archive<'a>,
    definitions: Vec<Option<Definitions>>,
}

impl<'a, 'f> ArchiveScan<'a, 'f> {
    fn definitions(&mut self, member: usize) -> &[(Vec<u8>, bool)] {
        if self.definitions[member].is_none() {
            let defs = match self.archive.members[member].bytes() {
                Ok(b) => member_definitions(b),
                Err(_) => Vec::new(),
            };
            self.definitions[member] = Some(defs);
        }
        self.definitions[member].as_deref().unwrap_or(&[])
    }
}

/// Loads every input: objects in order, archive members as needed.
pub(crate) fn load<'a>(opts: &Options, files: &'a Files, archives: &'a [Option<Archive<'a>>]) -> Result<Loaded<'a>> {
    let mut l = Loader {
        objects: Vec::new(),
        table: Table::default(),
        comdats: HashMap::new(),
        trace: Vec::new(),
        trace_members: opts.trace >= 2,
        wrap: opts.wrap.clone(),
    };
    for u in &opts.undefined {
        l.table.mention(u, Mention::Undefined { weak: false }, STV_DEFAULT, Origin::CommandLine);
    }
    // The objects named on the command line are all loaded: parse them up front, in parallel.
    let mut parsed = parse_all(files, archives);
    let mut pulled: HashSet<(usize, usize)> = HashSet::new();
    let mut whole = false;
    let mut group: Option<Vec<usize>> = None;
    for item in &files.items {
        match *item {
            Item::WholeArchive(on) => whole = on,
            Item::GroupStart => {
                if group.is_some() {
                    return Err(Error::Link { messages: vec!["nested groups are not allowed".into()] });
                }
                group = Some(Vec::new());
            }
            Item::GroupEnd => {
                let Some(members) = group.take() else {
                    return Err(Error::Link { messages: vec!["group ended before it began".into()] });
                };
                // Repeat the group's archives until a whole pass pulls nothing.
                loop {
                    let before = l.objects.len();
                    for &a in &members {
                        pull(&mut l, files, archives, a, false, &mut pulled)?;
                    }
                    if l.objects.len() == before {
                        break;
                    }
                }
            }
            Item::File(i) => {
                let f = &files.opened[i];
                l.trace.push(f.name.clone());
                if archives[i].is_some() {
                    pull(&mut l, files, archives, i, whole, &mut pulled)?;
                    if let Some(g) = group.as_mut() {
                        g.push(i);
                    }
                } else {
                    let o = match parsed[i].take() {
                        Some(r) => r?,
                        None => parse_object(f.name.clone(), &f.name, f.input.data())?,
                    };
                    l.add(o);
                }
            }
        }
    }
    if group.is_some() {
        return Err(Error::Link { messages: vec!["--start-group without --end-group".into()] });
    }
    Ok(Loaded { objects: l.objects, table: l.table, trace: l.trace })
}

/// Parses every opened file that is not an archive, in parallel.
fn parse_all<'a>(files: &'a Files, archives: &[Option<Archive<'a>>]) -> Vec<Option<Result<Object<'a>>>> {
    let todo: Vec<usize> = (0..files.opened.len()).filter(|&i| archives[i].is_none()).collect();
    let parsed = parallel_map(&todo, |&i| {
        let f = &files.opened[i];
        parse_object(f.name.clone(), &f.name, f.input.data())
    });
    let mut out: Vec<Option<Result<Object<'a>>>> = (0..files.opened.len()).map(|_| None).collect();
    for (i, r) in todo.into_iter().zip(parsed) {
        out[i] = Some(r);
    }
    out
}

/// Pulls from archive `a` (every member when `whole`) until nothing more is needed.
fn pull<'a>(
    l: &mut Loader<'a>,
    files: &'a Files,
    archives: &'a [Option<Archive<'a>>],
    a: usize,
    whole: bool,
    pulled: &mut HashSet<(usize, usize)>,
) -> Result<()> {
    let Some(ar) = &archives[a] else { return Ok(()) };
    let name = files.opened[a].name.as_str();
    let load_member = |l: &mut Loader<'a>, m: usize| -> Result<()> {
        let member = &ar.members[m];
        let mname = location(name, Some(&member.display_name()));
        let bytes = member.bytes().map_err(|e| Error::malformed(&mname, e.to_string()))?;
        let o = parse_object(mname, &member.display_name(), bytes)?;
        if l.trace_members {
            l.trace.push(format!("({name}){}", member.display_name()));
        }
        l.add(o);
        Ok(())
    };
    if whole {
        for m in 0..ar.members.len() {
            if pulled.insert((a, m)) {
                load_member(l, m)?;
            }
        }
        return Ok(());
    }
    let mut scan = ArchiveScan { archive: ar, definitions: vec![None; ar.members.len()] };
    // The symbols in index order: the archive's own index when it has one, else each member's
    // definitions in member order (what an index would say).
    let entries: Vec<(Vec<u8>, usize)> = match &ar.index {
        Some(index) if !index.is_empty() => index.iter().filter_map(|e| e.member.map(|m| (e.name.clone(), m))).collect(),
        _ => {
            let mut v = Vec::new();
            for m in 0..ar.members.len() {
                for (n, _) in scan.definitions(m) {
                    v.push((n.clone(), m));
                }
            }
            v
        }
    };
    loop {
        let mut any = false;
        for (sym, m) in &entries {
            if pulled.contains(&(a, *m)) {
                continue;
            }
            let wanted = if l.table.wants(sym) {
                true
            } else if l.table.is_common(sym) {
                scan.definitions(*m).iter().any(|(n, real)| n == sym && *real)
            } else {
                false
            };
            if wanted {
                pulled.insert((a, *m));
                load_member(l, *m)?;
                any = true;
            }
        }
        if !any {
            return Ok(());
        }
    }
}
