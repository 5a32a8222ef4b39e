//! Final links through a real LTO linker. tl does not generate code: a final link is handed to
//! an `ld.lld` whose LLVM reads every bitcode module of the link (which one is the tool's
//! choice). This module prepares that hand-over:
//! - [`prepare`] rewrites the inputs into files such a linker accepts: a wrapped object (or a
//!   partial link's output) becomes its native part (when it has one) plus one bitcode file
//!   per unit, since ld.lld takes at most one ThinLTO module per file; multi-unit raw bitcode is
//!   split the same way; an archive holding such members is rewritten with the pieces as
//!   members (and a fresh index); everything else is passed as it is;
//! - [`Prepared::llvm_majors`] says which LLVM versions wrote the modules (each module's
//!   IDENTIFICATION block names it), so that the tool can choose a linker that reads them all.
//!
//! The prepared files live in a temporary directory that is removed when the [`Prepared`] is
//! dropped.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::search::{find_library, is_archive_path};
use crate::archive::{self, edit::basename, write as archive_write};
use crate::bitcode::container::{self, MAGIC};
use crate::bitcode::module::llvm_majors;
use crate::error::{Error, Result, location};
use crate::file_kind::{self, ElfKind, FileKind};
use crate::input::Input;
use crate::wrapped::decompose::{decompose, has_native_code};

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
    /// An input (or archive member) is a GCC LTO object: the link needs GCC's plugin.
    pub gcc_lto: bool,
    /// Holds the rewritten files.
    pub temp: tempfile::TempDir,
}

/// Rewrites what needs rewriting (see the module documentation).
pub fn prepare(args: &[Arg], search_dirs: &[PathBuf]) -> Result<Prepared> {
    let temp = tempfile::Builder::new().prefix("tl-ld").tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let mut p = Preparer { dir: temp.path().to_path_buf(), count: 0, majors: Vec::new(), gcc_lto: false };
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
    Ok(Prepared { args: out, llvm_majors: p.majors, gcc_lto: p.gcc_lto, temp })
}

fn library_arg(name: &str, verbatim: bool) -> OsString {
    if verbatim { format!("-l:{name}").into() } else { format!("-l{name}").into() }
}

/// A rewritten input: (file name stem, bytes) pieces.
type Pieces = Vec<(String, Vec<u8>)>;

struct Preparer {
    dir: PathBuf,
    count: usize,
    majors: Vec<u32>,
    gcc_lto: bool,
}

impl Preparer {
    /// Pieces for an object or bitcode buffer, or `None` when it can be passed as it is.
    fn pieces(&mut self, data: &[u8], name: &str) -> Result<Option<Pieces>> {
        match file_kind::sniff(data) {
            FileKind::Bitcode { .. } => {
                self.majors.extend(llvm_majors(data));
                let u = container::split(data).map_err(|e| e.at(name, None))?;
                if u.len() <= 1 && !data.starts_with(&container::WRAPPER_MAGIC) {
                    return Ok(None);
                }
                Ok(Some(u.into_iter().enumerate().map(|(k, b)| (format!("bc{k}.bc"), b)).collect()))
            }
            FileKind::Elf => {
                let obj = crate::elf::read(data).map_err(|e| e.at(name, None))?;
                match file_kind::classify(&obj) {
                    ElfKind::Wrapped => {}
                    ElfKind::GccLtoSlim | ElfKind::GccLtoFat => {
                        self.gcc_lto = true;
                        return Ok(None);
                    }
                    _ => return Ok(None),
                }
                let (native, bitcode) = decompose(obj).map_err(|e| e.at(name, None))?;
                let mut out = Vec::new();
                if has_native_code(&native) {
                    out.push(("native.o".to_string(), crate::elf::write(&native).map_err(|e| e.at(name, None))?));
                }
                for (k, u) in bitcode.units.iter().enumerate() {
                    let mut b = MAGIC.to_vec();
                    b.extend_from_slice(u);
                    self.majors.extend(llvm_majors(&b));
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
            let base = basename(&mname).to_string();
            let bytes = m.bytes().map_err(|e| Error::malformed(location(&name, Some(&mname)), e.to_string()))?;
            match self.pieces(bytes, &location(&name, Some(&mname)))? {
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
        let new: Vec<archive_write::NewMember<'_>> = members
            .iter()
            .map(|(n, b)| archive_write::NewMember {
                name: n.clone(),
                data: std::borrow::Cow::Borrowed(b),
                mtime: 0,
                uid: 0,
                gid: 0,
                perms: 0o644,
                origin: None,
                slash_in_name_field: false,
            })
            .collect();
        let written = archive_write::write_archive(&new, archive_write::WriteOptions::default()).map_err(|e| Error::io(&name, e))?;
        let stem = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "lib.a".into());
        Ok(Some(self.write(&stem, &written.bytes)?))
    }
}
