//! objcopy operations, as plain data ([`Config`]) applied to an input file.
//!
//! Supported: GNU objcopy's section and symbol operations and the strip family on ELF files
//! and archives of them ([`edit`], names and patterns by [`glob`]; executables and shared
//! objects laid out again by `elf::layout`, their program headers rewritten when allocated
//! sections are removed, moved, realigned or reflagged; `--extract-symbol` lays them out anew), non-ELF outputs ([`raw_output`]), `--wrap-bitcode`, `--unwrap-bitcode` (also
//! member-wise on archives), `--split-modules DIR` and `--dump-section NAME=FILE`. The symbol
//! operations change the bitcode of raw bitcode and wrapped objects too ([`bitcode_symbols`]);
//! a wrapped object is then wrapped again from its new bitcode, so its ELF symbols, summary
//! section and guard stay in step with it; a partial link's output with native code is taken
//! apart and linked again; fat objects' bitcode follows their native symbols.

pub mod addresses;
pub mod binary;
pub(crate) mod bitcode_symbols;
mod build_notes;
pub mod edit;
pub mod glob;
pub mod raw_output;
pub mod section_flags;

pub use edit::{DebugLink, Discard, Edits, Strip};

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use crate::archive::{
    self,
    write::{self as archive_write, NewMember, WriteOptions},
};
use crate::bitcode::container;
use crate::elf::{self, SectionData, consts::*};
use crate::embedded;
use crate::error::{Error, Result, location};
use crate::file_kind::{self, ElfKind, FileKind};
use crate::input::Input;
use crate::output;
use crate::wrapped;

/// What to produce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Operation {
    /// Copy the input (ELF files, raw bitcode, archives of them), with the section and symbol
    /// edits.
    #[default]
    Copy,
    /// Raw bitcode → wrapped object.
    WrapBitcode,
    /// Wrapped / embedded / fat object (or raw bitcode) → raw bitcode.
    UnwrapBitcode,
    /// Write each bitcode unit to its own file in this directory (no output file).
    SplitModules(PathBuf),
    /// `-I binary`: the input's bytes as a relocatable object of this target (`-O`), or,
    /// without one, copied as they are.
    FromBinary(Option<binary::BinaryTarget>),
}

/// `--add-gnu-debuglink=FILE`: reads FILE for its CRC; GNU's message (naming the output)
/// when it cannot.
fn debug_link(file: &Path, output: &Path) -> Result<DebugLink> {
    let bytes = std::fs::read(file).map_err(|e| {
        Error::Message(format!(
            "{}: cannot fill debug link section `{}': {}",
            output.display(),
            file.display(),
            crate::error::io_message(&e)
        ))
    })?;
    let name = file.file_name().map(|n| n.as_encoded_bytes().to_vec()).unwrap_or_default();
    Ok(DebugLink { name, crc: crc32fast::hash(&bytes) })
}

/// An objcopy run.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The operation.
    pub operation: Operation,
    /// `--dump-section NAME=FILE` requests.
    pub dump_sections: Vec<(String, PathBuf)>,
    /// Section and symbol operations (with [`Operation::Copy`]).
    pub edits: Edits,
    /// `-p`: keep the input's access and modification times on the output.
    pub preserve_dates: bool,
}

/// What a run produced, for the tool to report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Files written by `--split-modules`.
    pub split_files: Vec<PathBuf>,
    /// Non-fatal notes (e.g. archive members left unchanged).
    pub warnings: Vec<String>,
    /// GNU's non-fatal errors: printed alone, the exit status 1, and (as GNU removes its
    /// temporary file when the status is not 0) no output written.
    pub errors: Vec<String>,
    /// An error is among the warnings, where GNU prints it (the status is 1, nothing written).
    pub failed: bool,
}

impl Report {
    /// True when the run's status is 1.
    pub fn is_failure(&self) -> bool {
        self.failed || !self.errors.is_empty()
    }
}

fn member_err(e: crate::error::Bad, path: &str, member: Option<&str>) -> Error {
    e.at(path, member)
}

/// Raw bitcode carried by a buffer: the buffer itself if it is bitcode, the `.llvmbc` /
/// `.llvm.lto` section (normalised) if it is an ELF object carrying bitcode.
pub(crate) fn bitcode_of<'d>(data: &'d [u8], path: &str, member: Option<&str>) -> Result<Cow<'d, [u8]>> {
    match file_kind::sniff(data) {
        FileKind::Bitcode { .. } => container::normalize(data).map_err(|e| member_err(e, path, member)),
        FileKind::Elf => {
            let obj = elf::read(data).map_err(|e| member_err(e, path, member))?;
            let kind = file_kind::classify(&obj);
            if !kind.has_bitcode() {
                return Err(Error::Unsupported {
                    path: path.to_string(),
                    member: member.map(str::to_string),
                    what: format!("no bitcode to unwrap ({})", kind.describe()),
                });
            }
            let bc = embedded::bitcode_section(&obj).ok_or_else(|| Error::malformed(path, "empty bitcode section"))?;
            let normal = container::normalize(&bc).map_err(|e| member_err(e, path, member))?;
            Ok(Cow::Owned(normal.into_owned()))
        }
        _ => Err(Error::NotRecognized { path: path.to_string(), member: member.map(str::to_string) }),
    }
}

/// Wraps the bitcode in `data` (raw bitcode only).
pub(crate) fn wrap_bytes(data: &[u8], path: &str, member: Option<&str>) -> Result<Vec<u8>> {
    match file_kind::sniff(data) {
        FileKind::Bitcode { .. } => wrapped::wrap(data).map_err(|e| member_err(e, path, member)),
        FileKind::Elf => {
            let obj = elf::read(data).map_err(|e| member_err(e, path, member))?;
            let what = match file_kind::classify(&obj) {
                ElfKind::Wrapped => "already a wrapped object".to_string(),
                k => format!("not raw bitcode ({}); unwrap it first", k.describe()),
            };
            Err(Error::Unsupported { path: path.to_string(), member: member.map(str::to_string), what })
        }
        _ => Err(Error::NotRecognized { path: path.to_string(), member: member.map(str::to_string) }),
    }
}

/// Copies an ELF file through the model, applying the edits; returns the bytes and GNU's
/// non-fatal errors (the run's status is then 1 and nothing is written); GNU's warnings go to
/// `notes`.
pub fn copy_elf(data: &[u8], path: &str, member: Option<&str>, edits: &Edits, notes: &mut Vec<String>) -> Result<(Vec<u8>, Vec<String>)> {
    let (copied, errors) = copy_elf_model(data, path, member, edits, notes)?;
    let bytes = match copied {
        Copied::Bytes(b) => b,
        Copied::Model(obj) => elf::write(&obj).map_err(|e| member_err(e, path, member))?,
    };
    Ok((bytes, errors))
}

/// What copying an ELF file made: the model to write, or the bytes (an object relinked or
/// wrapped again, a non-ELF format).
enum Copied<'d> {
    Model(elf::ElfObject<'d>),
    Bytes(Vec<u8>),
}

/// [`copy_elf`] up to the writing: the edited model (or bytes) and GNU's non-fatal errors.
fn copy_elf_model<'d>(
    data: &'d [u8],
    path: &str,
    member: Option<&str>,
    edits: &Edits,
    notes: &mut Vec<String>,
) -> Result<(Copied<'d>, Vec<String>)> {
    let mut obj = elf::read(data).map_err(|e| member_err(e, path, member))?;
    let unsupported = |what: String| Error::Unsupported { path: path.to_string(), member: member.map(str::to_string), what };
    if obj.image.is_some() && edits.output.is_none() {
        image_refusal(edits, obj.e_machine).map_err(unsupported)?;
    }
    if let Some((name, t)) = &edits.target
        && (t.is_64 != obj.is_64 || t.big_endian != obj.big_endian || t.e_machine != obj.e_machine)
    {
        return Err(unsupported(format!("converting to {name} is not supported yet (the object is in another ELF target)")));
    }
    let mut warnings = Vec::new();
    let mut edits = Cow::Borrowed(edits);
    if edits.output.is_some() {
        // A non-ELF output places sections by load address alone: work on those.
        for i in 0..obj.sections.len() {
            obj.sections[i].sh_addr = obj.lma(i);
        }
        obj.image = None;
        edits.to_mut().addresses = edits.addresses.on_load_addresses();
    }
    if file_kind::classify(&obj) == ElfKind::Wrapped {
        check_wrapped(&edits).map_err(unsupported)?;
        if bitcode_symbols::changes_symbols(&edits) {
            // The ELF symbols mirror the bitcode: change the bitcode and wrap it again (a
            // partial link's output that also holds native code is relinked instead).
            let (native, _) = wrapped::decompose::decompose(obj.clone()).map_err(|e| member_err(e, path, member))?;
            if wrapped::decompose::has_native_code(&native) {
                let (bytes, errors) = copy_mixed(data, native, path, member, &edits)?;
                return Ok((Copied::Bytes(bytes), errors));
            }
            let bc = bitcode_of(data, path, member)?;
            let (new_bc, w) = bitcode_symbols::copy_bitcode(&bc, &edits).map_err(unsupported)?;
            warnings = w;
            if !warnings.is_empty() {
                return Ok((Copied::Bytes(Vec::new()), warnings));
            }
            let sections_only = edits.sections_only();
            if let Some(new_bc) = new_bc {
                let wrapped = wrapped::wrap(&new_bc).map_err(|e| member_err(e, path, member))?;
                let (bytes, errors) = copy_elf(&wrapped, path, member, &sections_only, notes)?;
                return Ok((Copied::Bytes(bytes), errors));
            }
            edits = Cow::Owned(sections_only);
        }
    }
    let kind = file_kind::classify(&obj);
    // (Notes with relocations against them are not merged: the input's relocations decide.)
    let relocated = build_notes::relocated(&obj);
    // (Here, once: a wrapped object copied again from new bitcode comes back through.)
    notes.extend(edit::share_flag_notes(&obj, &edits, &location(path, member)));
    warnings.extend(edit::apply(&mut obj, &edits).map_err(|r| match r {
        edit::Refusal::File(what) => Error::malformed(location(path, member), what),
        edit::Refusal::Command(message) => Error::Message(message),
    })?);
    notes.extend(edit::lost_links(&obj).into_iter().map(|m| format!("{}: {m}", location(path, member))));
    if let Some(explicit) = edits.merge_notes {
        let (errors, messages) = build_notes::merge_sections(&mut obj, &relocated, explicit, &location(path, member));
        notes.extend(messages);
        warnings.extend(errors);
    }
    if matches!(kind, ElfKind::FatLto | ElfKind::EmbeddedBitcode | ElfKind::RustcBitcode) {
        follow_in_embedded_bitcode(&mut obj, &edits).map_err(unsupported)?;
    }
    match &edits.output {
        Some(out) => match raw_output::write(&obj, out, obj.e_entry) {
            Ok(bytes) => Ok((Copied::Bytes(bytes), warnings)),
            Err(raw_output::Failure::Fatal(message)) => Err(Error::Message(message)),
            Err(raw_output::Failure::Errors(errors)) => Ok((Copied::Bytes(Vec::new()), errors)),
            Err(raw_output::Failure::File(what)) => Err(Error::malformed(location(path, member), what)),
        },
        None => Ok((Copied::Model(obj), warnings)),
    }
}

/// The edits an executable or shared object (an image: its sections placed by its segments)
/// cannot take yet.
fn image_refusal(e: &Edits, e_machine: u16) -> std::result::Result<(), String> {
    if e.extract_symbol && elf::layout::from_scratch_page_size(e_machine).is_none() {
        let why = "GNU lays the program out anew with its target's page size";
        return Err(format!("--extract-symbol ({why}) on an executable or shared object of machine {e_machine} is not supported yet"));
    }
    Ok(())
}

/// Symbol operations on a partial link's output holding native code and bitcode: the native
/// part (what [`wrapped::decompose`] leaves) gets GNU's edits, the bitcode the same edits
/// inside it, and the two are linked again with tl-ld -r, which mirrors the new bitcode and
/// resolves the native references to it.
fn copy_mixed(data: &[u8], mut native: elf::ElfObject<'_>, path: &str, member: Option<&str>, e: &Edits) -> Result<(Vec<u8>, Vec<String>)> {
    let unsupported = |what: String| Error::Unsupported { path: path.to_string(), member: member.map(str::to_string), what };
    // What the native code refers to: undefined symbols its relocations name (decomposing
    // left every mirrored global undefined, used or not).
    let mut native_refs = rustc_hash::FxHashSet::default();
    for s in &native.sections {
        if let SectionData::Relocations { relocs, .. } = &s.data {
            for j in relocs.iter().filter_map(|r| r.symbol) {
                if let Some(sym) = native.symbols.get(j).filter(|sym| sym.section == elf::SymbolSection::Undefined) {
                    native_refs.insert(sym.name.to_vec());
                }
            }
        }
    }
    // Decomposing left the names the bitcode defines undefined in the native part; those no
    // relocation uses would stay undefined if the bitcode now hides them.
    let keep_sections = vec![true; native.sections.len()];
    let keep_symbols: Vec<bool> =
        native.symbols.iter().map(|s| s.section != elf::SymbolSection::Undefined || native_refs.contains(s.name.as_ref())).collect();
    native.retain(&keep_sections, &keep_symbols);
    let bc = bitcode_of(data, path, member)?;
    let (new_bc, mut warnings) = bitcode_symbols::copy_bitcode_beside(&bc, e, &native_refs).map_err(unsupported)?;
    warnings.extend(edit::apply(&mut native, e).map_err(|r| match r {
        edit::Refusal::File(what) => Error::malformed(location(path, member), what),
        edit::Refusal::Command(message) => Error::Message(message),
    })?);
    if !warnings.is_empty() {
        return Ok((Vec::new(), warnings));
    }
    let dir = tempfile::Builder::new().prefix("tl-objcopy").tempdir().map_err(|x| Error::io(path, x))?;
    let (native_path, bc_path) = (dir.path().join("native.o"), dir.path().join("bitcode.bc"));
    let io = |p: &Path, x| Error::io(p.display().to_string(), x);
    std::fs::write(&native_path, elf::write(&native).map_err(|x| member_err(x, path, member))?).map_err(|x| io(&native_path, x))?;
    std::fs::write(&bc_path, new_bc.as_deref().unwrap_or(&bc)).map_err(|x| io(&bc_path, x))?;
    let opts = crate::link::Options {
        inputs: vec![crate::link::InputSpec::File(native_path), crate::link::InputSpec::File(bc_path)],
        ..Default::default()
    };
    let relinking = |x| unsupported(format!("relinking its native code and bitcode: {x}"));
    let bytes = crate::link::relocatable(&opts, |linked| linked.to_bytes()).and_then(|b| b).map_err(relinking)?;
    Ok((bytes, Vec::new()))
}

/// Makes the bitcode a fat (or `-fembed-bitcode`, or rustc) object carries follow the
/// renames, bindings and visibilities just given to its native symbols, so that an LTO link of
/// it sees what a native link sees. Stripping (`-g`, `-S`, `-x`, `--strip-unneeded`) is left
/// to the native part: the bitcode keeps its symbols and debug info, as the LTO link needs them.
fn follow_in_embedded_bitcode(obj: &mut elf::ElfObject<'_>, e: &Edits) -> std::result::Result<(), String> {
    let symbol_ops = Edits { strip: Strip::None, discard: Discard::None, ..e.clone() };
    if !bitcode_symbols::changes_symbols(&symbol_ops) {
        return Ok(());
    }
    let Some(k) = obj.sections.iter().position(|s| s.name.as_ref() == embedded::LLVMBC || embedded::is_llvm_lto(s.sh_type, &s.name)) else {
        return Ok(()); // removed by -R
    };
    let SectionData::Bytes(bc) = &obj.sections[k].data else { return Ok(()) };
    if bc.is_empty() {
        return Ok(());
    }
    let normal = container::normalize(bc).map_err(|x| x.to_string())?.into_owned();
    let (new, _) = bitcode_symbols::copy_bitcode(&normal, &symbol_ops)?;
    if let Some(new) = new {
        obj.sections[k].data = SectionData::Bytes(Cow::Owned(new));
    }
    Ok(())
}

/// Applies the symbol operations to raw bitcode (section operations are refused: raw bitcode
/// has no sections); returns the bytes and GNU's non-fatal errors.
pub fn copy_raw_bitcode(data: &[u8], path: &str, member: Option<&str>, edits: &Edits) -> Result<(Vec<u8>, Vec<String>)> {
    let unsupported = |what: String| Error::Unsupported { path: path.to_string(), member: member.map(str::to_string), what };
    // Raw bitcode has no sections: removing or renaming one is a no-op there, as for an ELF
    // object without it; adding or selecting one cannot be done.
    if !edits.add_sections.is_empty() || !edits.update_sections.is_empty() || !edits.only_sections.is_empty() {
        return Err(unsupported("raw bitcode has no sections to add, update or select; wrap it first (--wrap-bitcode)".into()));
    }
    if !bitcode_symbols::changes_symbols(edits) {
        return Ok((data.to_vec(), Vec::new()));
    }
    let bc = bitcode_of(data, path, member)?;
    let (new, warnings) = bitcode_symbols::copy_bitcode(&bc, edits).map_err(unsupported)?;
    Ok((new.unwrap_or_else(|| data.to_vec()), warnings))
}

/// The operations a wrapped object refuses: removing its bitcode or summary.
fn check_wrapped(e: &Edits) -> std::result::Result<(), String> {
    if !e.only_sections.is_empty() {
        return Err("--only-section on a wrapped bitcode object would lose its bitcode; not done".into());
    }
    for name in [embedded::LLVMBC, embedded::SUMMARY_SECTION] {
        if e.remove_sections.matches(name) || e.rename_sections.iter().any(|(old, _)| old == name) || e.prefix_sections.is_some() {
            return Err(format!(
                "removing or renaming {} of a wrapped bitcode object would lose its bitcode; unwrap it first (--unwrap-bitcode)",
                String::from_utf8_lossy(name)
            ));
        }
    }
    Ok(())
}

/// A per-member conversion: `Some(new bytes)`, or `None` to copy the member unchanged.
type MemberFn<'f> = dyn Fn(&[u8], &str) -> Result<Option<Vec<u8>>> + 'f;

/// Applies `f` to every member of an archive and writes the archive back (same names, same
/// order, GNU format with an index; members `f` leaves alone are copied unchanged).
fn map_archive(data: &[u8], path: &str, report: &mut Report, f: &MemberFn<'_>) -> Result<Vec<u8>> {
    let ar = archive::read(data, path)?;
    if ar.thin {
        return Err(Error::unsupported(path, "rewriting thin archives is not supported"));
    }
    let mut members = Vec::with_capacity(ar.members.len());
    for m in &ar.members {
        let name = m.display_name();
        let bytes = m.bytes().map_err(|e| Error::malformed(path, e.to_string()))?;
        let new = match f(bytes, &name)? {
            Some(b) => Cow::Owned(b),
            None => {
                report.warnings.push(format!("{}: left unchanged", location(path, Some(&name))));
                Cow::Borrowed(bytes)
            }
        };
        members.push(NewMember {
            name,
            data: new,
            mtime: m.date,
            uid: m.uid as u32,
            gid: m.gid as u32,
            perms: m.mode as u32,
            origin: None,
            slash_in_name_field: false,
        });
    }
    let written = archive_write::write_archive(&members, WriteOptions::default()).map_err(|e| Error::io(path, e))?;
    for (member, w) in written.warnings {
        report.warnings.push(format!("{}: {w}", location(path, Some(&member))));
    }
    Ok(written.bytes)
}

/// Mode of `path`'s permission bits (for new outputs), or 0o666.
fn input_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o666)
}

/// `--add-gnu-debuglink=FILE` for this input: FILE read into the edits' link, or GNU's warning
/// (an archive; an input that has a link already).
fn take_debug_link(
    config: &mut Cow<'_, Config>,
    kind: FileKind,
    data: &[u8],
    path: &str,
    out_path: &Path,
    report: &mut Report,
) -> Result<()> {
    let Some(file) = config.edits.add_gnu_debuglink.clone() else { return Ok(()) };
    let edits = &mut config.to_mut().edits;
    edits.add_gnu_debuglink = None;
    if matches!(kind, FileKind::Archive { .. }) {
        report.warnings.push(format!("--add-gnu-debuglink ignored for archive {path}"));
    } else if kind == FileKind::Elf && elf::read(data).is_ok_and(|o| o.section_by_name(edit::GNU_DEBUGLINK).is_some()) {
        // GNU warns and keeps the input's link (without reading FILE).
        report.warnings.push(format!("{path}: debuglink section already exists"));
    } else {
        edits.gnu_debuglink = Some(debug_link(&file, out_path)?);
    }
    Ok(())
}

/// `--dump-section NAME=FILE`: each section's contents to its file (GNU reports a missing or
/// empty section and carries on).
fn dump_sections(config: &Config, data: &[u8], path: &str, report: &mut Report) -> Result<()> {
    for (name, file) in &config.dump_sections {
        if file_kind::sniff(data) != FileKind::Elf {
            return Err(Error::NotRecognized { path: path.to_string(), member: None });
        }
        let obj = elf::read(data).map_err(|e| e.at(path, None))?;
        // GNU objcopy reports these two cases and carries on (exit status 0).
        let Some(i) = obj.section_by_name(name.as_bytes()) else {
            report.warnings.push(format!("{path}: can't dump section '{name}' - it does not exist: file format not recognized"));
            continue;
        };
        match &obj.sections[i].data {
            SectionData::Bytes(b) => output::write_atomic(file, b, 0o666)?,
            _ => report.warnings.push(format!("{path}[{name}]: can't dump section - it has no contents: file format not recognized")),
        }
    }
    Ok(())
}

/// An ELF file copied: GNU's notes about it and BFD's messages about its layout in `report`
/// (an error among them fails the run: nothing is written).
fn copy_elf_file<'d>(data: &'d [u8], path: &str, edits: &Edits, report: &mut Report) -> Result<Copied<'d>> {
    let (copied, errors) = copy_elf_model(data, path, None, edits, &mut report.warnings)?;
    report.errors.extend(errors);
    if let Copied::Model(obj) = &copied {
        let (warnings, errors) = elf::layout::messages(obj, path);
        report.warnings.extend(warnings);
        if !errors.is_empty() {
            // GNU's words where GNU prints them.
            report.warnings.extend(errors);
            report.failed = true;
        }
    }
    Ok(copied)
}

/// GNU objcopy's `-M` warning for each ELF file (an archive's members by their names) that
/// has no build-attribute notes.
fn nothing_to_merge(data: &[u8], path: &str, kind: FileKind, e: &Edits) -> Vec<String> {
    // (A section removed, or empty, is not merged.)
    let merged = |s: &elf::Section<'_>| edit::is_mergeable_note(s) && s.size(false) != 0 && !edit::removes_section(s, e);
    let without = |bytes: &[u8]| elf::read(bytes).is_ok_and(|o| !o.sections.iter().any(merged));
    let message = |name: &str| format!("{name}: Could not find any mergeable note sections");
    match kind {
        FileKind::Elf if without(data) => vec![message(path)],
        FileKind::Archive { .. } => archive::read(data, path)
            .map(|ar| ar.members.iter().filter(|m| m.bytes().is_ok_and(without)).map(|m| message(&m.display_name())).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The mode a new output gets: the input's, or for a non-ELF output what BFD gives it
/// (executable when the format keeps the input's EXEC_P, an ET_EXEC input's; ihex does not
/// keep it). An archive cannot become a non-ELF file.
fn output_mode(config: &Config, kind: FileKind, data: &[u8], input: &Path, out_path: &Path) -> Result<u32> {
    match &config.edits.output {
        Some(_) if matches!(kind, FileKind::Archive { .. }) => Err(Error::Message(format!("{}: invalid operation", out_path.display()))),
        Some(out) => {
            let program = elf::read::e_type(data) == Some(ET_EXEC);
            Ok(if program && out.format != raw_output::Format::Ihex { 0o777 } else { 0o666 })
        }
        None => Ok(input_mode(input)),
    }
}

/// Runs objcopy: reads `input`, writes `output` (or `input` in place when `output` is `None`
/// and the operation produces a file).
pub fn run(config: &Config, input: &Path, output: Option<&Path>) -> Result<Report> {
    let inp = Input::open(input)?;
    let path = inp.name.clone();
    let data = inp.data();
    let mut report = Report::default();

    dump_sections(config, data, &path, &mut report)?;

    let out_path = output.unwrap_or(input);
    let kind = file_kind::sniff(data);
    let mode = output_mode(config, kind, data, input, out_path)?;
    let mut config = Cow::Borrowed(config);
    if let Some(out) = &config.edits.output
        && out.name.is_empty()
    {
        config.to_mut().edits.output.as_mut().expect("checked").name = out_path.display().to_string();
    }
    take_debug_link(&mut config, kind, data, &path, out_path, &mut report)?;
    match &config.operation {
        Operation::SplitModules(dir) => {
            let bc = match kind {
                FileKind::Archive { .. } => {
                    return Err(Error::unsupported(&path, "--split-modules takes an object or bitcode file, not an archive"));
                }
                _ => bitcode_of(data, &path, None)?,
            };
            let files = container::split(&bc).map_err(|e| e.at(&path, None))?;
            let stem = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "module".into());
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
            for (k, f) in files.iter().enumerate() {
                let p = dir.join(format!("{stem}.{k}.bc"));
                output::write_atomic(&p, f, 0o666)?;
                report.split_files.push(p);
            }
            if output.is_some() {
                return Err(Error::unsupported(&path, "--split-modules writes no output file; drop OUT"));
            }
            return Ok(report);
        }
        Operation::Copy if !config.dump_sections.is_empty() && output.is_none() && config.edits.is_empty() => {
            // `objcopy --dump-section N=F in.o`: GNU rewrites in.o; the contents are unchanged,
            // so leave the input untouched.
            return Ok(report);
        }
        _ => {}
    }
    if config.operation == Operation::Copy && matches!(kind, FileKind::Archive { thin: true }) {
        // GNU's refusal, word for word, where GNU prints it (then the unused-option warnings).
        report.warnings.push(format!("{path}: sorry: copying thin archives is not currently supported: invalid operation"));
        // (No member was looked at: every --change-section-* option went unused.)
        report.warnings.extend(config.edits.addresses.unused_warnings(std::iter::empty::<&[u8]>()));
        report.failed = true;
        return Ok(report);
    }
    // A copied ELF file is written from its model straight into the output.
    let mut streamed = None;
    let bytes = match (&config.operation, kind) {
        (Operation::FromBinary(None), _) => data.to_vec(),
        (Operation::FromBinary(Some(t)), _) => {
            let mut obj = binary::object(data, &input.to_string_lossy(), *t);
            report.errors.extend(edit::apply(&mut obj, &config.edits).map_err(|r| match r {
                edit::Refusal::File(what) => Error::malformed(&path, what),
                edit::Refusal::Command(message) => Error::Message(message),
            })?);
            elf::write(&obj).map_err(|e| e.at(&path, None))?
        }
        (Operation::WrapBitcode, FileKind::Archive { .. }) => map_archive(data, &path, &mut report, &|b, n| match file_kind::sniff(b) {
            FileKind::Bitcode { .. } => wrap_bytes(b, &path, Some(n)).map(Some),
            _ => Ok(None),
        })?,
        (Operation::WrapBitcode, _) => wrap_bytes(data, &path, None)?,
        (Operation::UnwrapBitcode, FileKind::Archive { .. }) => map_archive(data, &path, &mut report, &|b, n| match file_kind::sniff(b) {
            FileKind::Bitcode { .. } => Ok(Some(bitcode_of(b, &path, Some(n))?.into_owned())),
            FileKind::Elf => {
                let obj = elf::read(b).map_err(|e| e.at(&path, Some(n)))?;
                if file_kind::classify(&obj).has_bitcode() { Ok(Some(bitcode_of(b, &path, Some(n))?.into_owned())) } else { Ok(None) }
            }
            _ => Ok(None),
        })?,
        (Operation::UnwrapBitcode, _) => bitcode_of(data, &path, None)?.into_owned(),
        (Operation::Copy, FileKind::Elf) => match copy_elf_file(data, &path, &config.edits, &mut report)? {
            Copied::Bytes(b) => b,
            Copied::Model(obj) => {
                streamed = Some(obj);
                Vec::new()
            }
        },
        (Operation::Copy, FileKind::Bitcode { .. }) => {
            let (bytes, errors) = copy_raw_bitcode(data, &path, None, &config.edits)?;
            report.errors.extend(errors);
            bytes
        }
        (Operation::Copy, FileKind::Archive { .. }) => {
            let messages = std::cell::RefCell::new(Vec::new());
            let notes = std::cell::RefCell::new(Vec::new());
            let bytes = map_archive(data, &path, &mut report, &|b, n| match file_kind::sniff(b) {
                FileKind::Elf => {
                    let (bytes, errors) = copy_elf(b, &path, Some(n), &config.edits, &mut notes.borrow_mut())?;
                    messages.borrow_mut().extend(errors);
                    Ok(Some(bytes))
                }
                FileKind::Bitcode { .. } if bitcode_symbols::changes_symbols(&config.edits) => {
                    let (bytes, errors) = copy_raw_bitcode(b, &path, Some(n), &config.edits)?;
                    messages.borrow_mut().extend(errors);
                    Ok(Some(bytes))
                }
                _ => Ok(None),
            })?;
            report.errors.extend(messages.into_inner());
            report.warnings.extend(notes.into_inner());
            bytes
        }
        (Operation::Copy, _) => return Err(Error::NotRecognized { path, member: None }),
        (Operation::SplitModules(_), _) => unreachable!("handled above"),
    };
    if config.edits.merge_notes == Some(true) {
        report.warnings.extend(nothing_to_merge(data, &path, kind, &config.edits));
    }
    if !config.edits.addresses.sections.is_empty() {
        report.warnings.extend(config.edits.addresses.unused_warnings_for(data, &path));
    }
    if report.is_failure() {
        return Ok(report);
    }
    let times = config.preserve_dates.then(|| inp.metadata().map(|m| (m.accessed().ok(), m.modified().ok()))).flatten();
    match streamed {
        // (Its unchanged contents are copied from the input's file, not through memory.)
        Some(obj) => elf::write::write_file(&obj, out_path, mode, inp.mapped_file().map(|f| (f, inp.data())), &inp.name)?,
        None => output::write_atomic(out_path, &bytes, mode)?,
    }
    drop(inp);
    if let Some((accessed, modified)) = times {
        let f = std::fs::File::options().write(true).open(out_path).map_err(|e| Error::io(out_path.display().to_string(), e))?;
        let mut t = std::fs::FileTimes::new();
        if let Some(a) = accessed {
            t = t.set_accessed(a);
        }
        if let Some(m) = modified {
            t = t.set_modified(m);
        }
        f.set_times(t).map_err(|e| Error::io(out_path.display().to_string(), e))?;
    }
    Ok(report)
}
