//! Final links through a real LTO linker. tl does not generate code: a final link is handed to
//! an `ld.lld` whose LLVM reads every bitcode module of the link. This module prepares that
//! hand-over:
//! - [`prepare`] rewrites the inputs into files such a linker accepts: a wrapped object (or a
//!   partial link's output) becomes its native part (when it has one) plus one bitcode file
//!   per unit, since ld.lld takes at most one ThinLTO module per file; multi-unit raw bitcode is
//!   split the same way; an archive holding such members is rewritten with the pieces as
//!   members (and a fresh index); everything else is passed as it is;
//! - [`find_linker`] picks the linker: an explicit one, else the `ld.lld`/`ld.lld-NN` on `PATH`
//!   and the Rust toolchain's `gcc-ld/ld.lld`, the oldest whose LLVM is at least as new as the
//!   newest module (each module's IDENTIFICATION block names the LLVM that wrote it).
//!
//! The prepared files live in a temporary directory that is removed when the [`Prepared`] is
//! dropped.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::archive;
use crate::bitcode::container::{self, MAGIC};
use crate::bitcode::module::{producer_major, read_producer};
use crate::error::{Error, Result};
use crate::input::Input;
use crate::sniff::{self, ElfKind, FileKind};

/// One argument of a final link, as the front-end classified it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An input file.
    Input(PathBuf),
    /// `-lNAME` (or `-l:FILE` when `verbatim`), with the `-Bstatic` state in force.
    Library {
        /// The name after `-l`.
        name: String,
        /// `-l:FILE`.
        verbatim: bool,
        /// `-Bstatic` (or `-static`) is in force: only archives are searched.
        static_only: bool,
    },
    /// Anything else, passed through.
    Other(OsString),
}

/// The inputs rewritten for the LTO linker.
pub struct Prepared {
    /// The arguments to pass, in order.
    pub args: Vec<OsString>,
    /// The major LLVM versions of the bitcode modules of the link.
    pub llvm_majors: Vec<u32>,
    /// Holds the rewritten files.
    pub temp: tempfile::TempDir,
}

/// Rewrites what needs rewriting (see the module documentation).
pub fn prepare(args: &[Arg], search_dirs: &[PathBuf]) -> Result<Prepared> {
    let temp = tempfile::Builder::new().prefix("tl-ld").tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let mut p = Preparer { dir: temp.path().to_path_buf(), count: 0, majors: Vec::new() };
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Arg::Other(o) => out.push(o.clone()),
            Arg::Input(path) => out.extend(p.file(path)?.into_iter().map(OsString::from)),
            Arg::Library { name, verbatim, static_only } => match find_library(name, *verbatim, *static_only, search_dirs) {
                Some(found) if is_archive_path(&found) => match p.archive_if_needed(&found)? {
                    Some(rewritten) => out.push(rewritten.into()),
                    None => out.push(library_arg(name, *verbatim)),
                },
                _ => out.push(library_arg(name, *verbatim)),
            },
        }
    }
    p.majors.sort_unstable();
    p.majors.dedup();
    Ok(Prepared { args: out, llvm_majors: p.majors, temp })
}

fn library_arg(name: &str, verbatim: bool) -> OsString {
    if verbatim { format!("-l:{name}").into() } else { format!("-l{name}").into() }
}

fn is_archive_path(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "a")
}

/// Finds `-lNAME` as a GNU linker would: `libNAME.so` then `libNAME.a` in each directory (only
/// `.a` under `-Bstatic`, and always in a partial link).
pub(crate) fn find_library(name: &str, verbatim: bool, static_only: bool, dirs: &[PathBuf]) -> Option<PathBuf> {
    for d in dirs {
        if verbatim {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
            continue;
        }
        if !static_only {
            let so = d.join(format!("lib{name}.so"));
            if so.is_file() {
                return Some(so);
            }
        }
        let a = d.join(format!("lib{name}.a"));
        if a.is_file() {
            return Some(a);
        }
    }
    None
}

/// What a piece of bitcode becomes: one standalone file per unit.
fn units(data: &[u8]) -> Result<Vec<Vec<u8>>> {
    let c = container::parse(data).map_err(|e| Error::malformed("<bitcode>", e.0))?;
    Ok(c.units
        .iter()
        .map(|u| {
            let mut out = MAGIC.to_vec();
            out.extend_from_slice(&c.modules[u.modules[0]].data[u.first_begin..u.end]);
            out
        })
        .collect())
}

/// The LLVM majors of the modules of a bitcode buffer.
fn majors_of(data: &[u8]) -> Vec<u32> {
    let Ok(c) = container::parse(data) else { return Vec::new() };
    c.modules.iter().filter_map(|m| read_producer(m).ok().flatten()).filter_map(|p| producer_major(&p)).collect()
}

/// A rewritten input: (file name stem, bytes) pieces.
type Pieces = Vec<(String, Vec<u8>)>;

struct Preparer {
    dir: PathBuf,
    count: usize,
    majors: Vec<u32>,
}

impl Preparer {
    /// Pieces for an object or bitcode buffer, or `None` when it can be passed as it is.
    fn pieces(&mut self, data: &[u8], name: &str) -> Result<Option<Pieces>> {
        match sniff::sniff(data) {
            FileKind::Bitcode { .. } => {
                self.majors.extend(majors_of(data));
                let u = units(data).map_err(|e| rename(e, name))?;
                if u.len() <= 1 && !data.starts_with(&container::WRAPPER_MAGIC) {
                    return Ok(None);
                }
                Ok(Some(u.into_iter().enumerate().map(|(k, b)| (format!("bc{k}.bc"), b)).collect()))
            }
            FileKind::Elf => {
                let obj = crate::elf::read(data).map_err(|e| e.at(name, None))?;
                if sniff::classify(&obj) != ElfKind::Wrapped {
                    return Ok(None);
                }
                let (native, bitcode) = super::carry::decompose(obj).map_err(|e| e.at(name, None))?;
                let mut out = Vec::new();
                let has_native = native.sections.iter().any(|s| {
                    s.sh_flags & crate::elf::consts::SHF_ALLOC != 0 || matches!(s.data, crate::elf::SectionData::Relocations { .. })
                });
                if has_native {
                    out.push(("native.o".to_string(), crate::elf::write(&native).map_err(|e| e.at(name, None))?));
                }
                for (k, u) in bitcode.units.iter().enumerate() {
                    let mut b = MAGIC.to_vec();
                    b.extend_from_slice(u);
                    self.majors.extend(majors_of(&b));
                    out.push((format!("bc{k}.bc"), b));
                }
                Ok(Some(out))
            }
            _ => Ok(None),
        }
    }

    /// A new file in the temporary directory.
    fn write(&mut self, stem: &str, bytes: &[u8]) -> Result<PathBuf> {
        self.count += 1;
        let path = self.dir.join(format!("{}-{stem}", self.count));
        std::fs::write(&path, bytes).map_err(|e| Error::io(path.display().to_string(), e))?;
        Ok(path)
    }

    /// The paths to pass for an input file.
    fn file(&mut self, path: &Path) -> Result<Vec<PathBuf>> {
        let name = path.display().to_string();
        let Ok(input) = Input::open(path) else {
            // Missing files are the linker's to report.
            return Ok(vec![path.to_path_buf()]);
        };
        let data = input.data();
        if archive::is_archive(data) {
            return Ok(vec![self.archive_if_needed(path)?.unwrap_or_else(|| path.to_path_buf())]);
        }
        match self.pieces(data, &name)? {
            None => Ok(vec![path.to_path_buf()]),
            Some(pieces) => pieces.iter().map(|(stem, b)| self.write(stem, b)).collect(),
        }
    }

    /// A rewritten copy of an archive whose members need rewriting, else `None`.
    fn archive_if_needed(&mut self, path: &Path) -> Result<Option<PathBuf>> {
        let name = path.display().to_string();
        let input = Input::open(path)?;
        let ar = archive::read(input.data(), &name)?;
        let mut members: Vec<(String, Vec<u8>)> = Vec::with_capacity(ar.members.len());
        let mut changed = false;
        for m in &ar.members {
            let mname = m.display_name();
            let base = crate::archive_edit::basename(&mname).to_string();
            let bytes = m.bytes().map_err(|e| Error::malformed(crate::error::location(&name, Some(&mname)), e.to_string()))?;
            match self.pieces(bytes, &crate::error::location(&name, Some(&mname)))? {
                None => members.push((base, bytes.to_vec())),
                Some(pieces) => {
                    changed = true;
                    let stem = base.strip_suffix(".o").unwrap_or(&base).to_string();
                    for (k, (_, b)) in pieces.into_iter().enumerate() {
                        members.push((format!("{stem}.{k}.o"), b));
                    }
                }
            }
        }
        if !changed && !ar.thin {
            return Ok(None);
        }
        let new: Vec<crate::archive_write::NewMember<'_>> = members
            .iter()
            .map(|(n, b)| crate::archive_write::NewMember {
                name: n.clone(),
                data: std::borrow::Cow::Borrowed(b),
                mtime: 0,
                uid: 0,
                gid: 0,
                perms: 0o644,
                origin: None,
            })
            .collect();
        let written =
            crate::archive_write::write_archive(&new, crate::archive_write::WriteOptions::default()).map_err(|e| Error::io(&name, e))?;
        let stem = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "lib.a".into());
        Ok(Some(self.write(&stem, &written.bytes)?))
    }
}

fn rename(e: Error, name: &str) -> Error {
    match e {
        Error::Malformed { what, member, .. } => Error::Malformed { path: name.to_string(), member, what },
        other => other,
    }
}

/// An LTO linker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtoLinker {
    /// The program.
    pub path: PathBuf,
    /// The major version of its LLVM.
    pub llvm_major: u32,
}

/// The LLVM major of an ld.lld, from `--version` ("… LLD 19.1.7 …").
pub fn linker_major(path: &Path) -> Option<u32> {
    let out = std::process::Command::new(path).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("LLD ")?;
    text[at + 4..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// The candidate linkers: `ld.lld` and `ld.lld-NN` on `PATH`, and the Rust toolchain's.
pub fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n == "ld.lld" || n.strip_prefix("ld.lld-").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
                    })
                })
                .collect();
            found.sort();
            out.extend(found);
        }
    }
    if let Ok(o) = std::process::Command::new("rustc").args(["--print", "sysroot"]).output()
        && o.status.success()
    {
        let sysroot = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if let Ok(rustlib) = std::fs::read_dir(sysroot.join("lib/rustlib")) {
            for host in rustlib.filter_map(|e| e.ok()) {
                let p = host.path().join("bin/gcc-ld/ld.lld");
                if p.is_file() {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Picks the linker for modules of LLVM `majors` (see the module documentation).
pub fn find_linker(majors: &[u32], explicit: Option<&Path>) -> Result<LtoLinker> {
    let need = majors.iter().copied().max().unwrap_or(0);
    if let Some(p) = explicit {
        let llvm_major = linker_major(p).unwrap_or(0);
        return Ok(LtoLinker { path: p.to_path_buf(), llvm_major });
    }
    let mut found: Vec<LtoLinker> =
        candidates().into_iter().filter_map(|p| linker_major(&p).map(|m| LtoLinker { path: p, llvm_major: m })).collect();
    found.sort_by_key(|l| l.llvm_major);
    let have: Vec<String> = found.iter().map(|l| format!("{} (LLVM {})", l.path.display(), l.llvm_major)).collect();
    found.into_iter().find(|l| l.llvm_major >= need).ok_or_else(|| Error::Link {
        messages: vec![if have.is_empty() {
            format!("no LTO linker found: the link needs an ld.lld of LLVM {need} or newer (none on PATH or in the Rust toolchain; use --lto-linker=PATH)")
        } else {
            format!("no LTO linker can read this bitcode: it needs LLVM {need} or newer, found {}", have.join(", "))
        }],
    })
}
