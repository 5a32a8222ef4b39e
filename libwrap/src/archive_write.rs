//! Writing archives through `ar_archive_writer` (rustc's port of LLVM's archive writer, which
//! writes GNU archives byte-identical to GNU ar and llvm-ar).
//!
//! The symbol index is computed by libwrap for every member kind it reads:
//! - ELF: defined symbols that are global, weak or unique, and commons (GNU ar's rule,
//!   `_bfd_compute_and_write_armap`), in symbol-table order; wrapped objects are indexed through
//!   their mirrored symbols;
//! - raw bitcode: every module's symbols that are global, defined and not format-specific
//!   (llvm-ar's rule), in irsymtab order;
//! - anything else contributes no symbols.

use std::io::Cursor;

use ar_archive_writer::{ArchiveKind, NewArchiveMember, ObjectReader};

use crate::bitcode;
use crate::bitcode::irsymtab::flag;
use crate::elf::consts::*;
use crate::elf::SymbolSection;

/// A member to write.
pub struct NewMember<'a> {
    /// Name stored in the archive.
    pub name: String,
    /// Contents (for thin archives: only used to compute symbols).
    pub data: std::borrow::Cow<'a, [u8]>,
    /// Modification time (0 when deterministic).
    pub mtime: u64,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Mode.
    pub perms: u32,
}

/// Archive layout options.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Thin archive.
    pub thin: bool,
    /// Write a symbol index.
    pub symbol_index: bool,
    /// Force the 64-bit `/SYM64/` index.
    pub force_sym64: bool,
}

/// The symbols a member contributes to the index, by libwrap's rules (see the module docs).
pub fn index_symbols(buf: &[u8]) -> Option<Vec<Vec<u8>>> {
    if crate::elf::read::is_elf(buf) {
        let obj = crate::elf::read(buf).ok()?;
        let names = obj
            .symbols
            .iter()
            .filter(|s| {
                let bind = s.binding();
                match s.section {
                    SymbolSection::Undefined => false,
                    SymbolSection::Common => bind != STB_LOCAL,
                    _ => matches!(bind, STB_GLOBAL | STB_WEAK | STB_GNU_UNIQUE) && s.kind() != STT_SECTION,
                }
            })
            .map(|s| s.name.to_vec())
            .collect();
        return Some(names);
    }
    if bitcode::is_bitcode(buf) {
        let c = bitcode::parse(buf).ok()?;
        let mut names = Vec::new();
        for m in &c.modules {
            let ms = bitcode::symbols::read(m).ok()?;
            for s in &ms.symbols {
                if s.has(flag::GLOBAL) && !s.has(flag::UNDEFINED) && !s.has(flag::FORMAT_SPECIFIC) {
                    names.push(s.name.clone());
                }
            }
        }
        return Some(names);
    }
    None
}

fn tl_get_symbols(buf: &[u8], f: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<bool> {
    match index_symbols(buf) {
        Some(names) => {
            for n in names {
                f(&n)?;
            }
            Ok(true)
        }
        None => Ok(false),
    }
}

fn no_symbols(_buf: &[u8], _f: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<bool> {
    Ok(false)
}

static TL_READER: ObjectReader = ObjectReader { get_symbols: tl_get_symbols, ..ar_archive_writer::DEFAULT_OBJECT_READER };
static NO_INDEX_READER: ObjectReader = ObjectReader { get_symbols: no_symbols, ..ar_archive_writer::DEFAULT_OBJECT_READER };

/// Writes an archive to bytes.
pub fn write_archive(members: &[NewMember<'_>], opts: WriteOptions) -> std::io::Result<Vec<u8>> {
    let reader: &'static ObjectReader = if opts.symbol_index { &TL_READER } else { &NO_INDEX_READER };
    let new: Vec<NewArchiveMember<'_>> = members
        .iter()
        .map(|m| {
            let mut n = NewArchiveMember::new(m.data.as_ref(), reader, m.name.clone());
            n.mtime = m.mtime;
            n.uid = m.uid;
            n.gid = m.gid;
            n.perms = m.perms;
            n
        })
        .collect();
    let kind = if opts.force_sym64 { ArchiveKind::Gnu64 } else { ArchiveKind::Gnu };
    let mut out = Cursor::new(Vec::new());
    ar_archive_writer::write_archive_to_stream(&mut out, &new, kind, opts.thin, None)?;
    Ok(out.into_inner())
}
