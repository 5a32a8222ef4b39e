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
//!
//! An index is written only when asked for and when at least one member is an object file (ELF
//! or bitcode), as GNU ar does (`_bfd_write_archive_contents`: "if no .o's, don't bother to make
//! a map"); an archive of objects without global symbols gets GNU's empty index (a zero count,
//! 4 bytes). ar_archive_writer writes an empty index of its own shape for any non-empty archive,
//! so the writer removes or reshapes it.
//!
//! Regular archives are laid out by ar_archive_writer. Thin archives are laid out here, because
//! GNU thin archives can reference one member of a regular archive (`/N:M`, see
//! [`crate::archive`]) and reuse a long-name table entry only for consecutive equal paths, neither
//! of which ar_archive_writer does: index (`/`), long-name table (`//`, every path there, as
//! `path/\n`), then one header per member with no data.

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
    /// Thin archives only: the member is the one whose header is at this offset in the regular
    /// archive `name` (GNU's `/N:M` reference).
    pub origin: Option<u64>,
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
    if opts.thin {
        return Ok(write_thin(members, opts));
    }
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
    let mut out = out.into_inner();
    let has_object = opts.symbol_index && members.iter().any(|m| is_object(&m.data));
    if !has_object {
        remove_index(&mut out);
    } else {
        shrink_empty_index(&mut out);
    }
    Ok(out)
}

/// One member header: each field left-aligned and space-padded, cut to its width as GNU's
/// `_bfd_ar_spacepad` does; `None` fields stay blank.
fn header(name: &str, date: Option<u64>, uid: Option<u32>, gid: Option<u32>, mode: Option<u32>, size: u64) -> [u8; 60] {
    let mut h = [b' '; 60];
    let mut put = |at: usize, width: usize, text: &str| {
        let n = text.len().min(width);
        h[at..at + n].copy_from_slice(&text.as_bytes()[..n]);
    };
    put(0, 16, name);
    if let Some(d) = date {
        put(16, 12, &d.to_string());
    }
    if let Some(u) = uid {
        put(28, 6, &u.to_string());
    }
    if let Some(g) = gid {
        put(34, 6, &g.to_string());
    }
    if let Some(m) = mode {
        put(40, 8, &format!("{m:o}"));
    }
    put(48, 10, &size.to_string());
    h[58..60].copy_from_slice(b"`\n");
    h
}

/// Lays out a GNU thin archive (see the module documentation).
fn write_thin(members: &[NewMember<'_>], opts: WriteOptions) -> Vec<u8> {
    // Long-name table: a path is reused only when it repeats the previous member's.
    let mut table = Vec::new();
    let mut names = Vec::with_capacity(members.len());
    let mut last: Option<(&str, usize)> = None;
    for m in members {
        let off = match last {
            Some((prev, off)) if prev == m.name => off,
            _ => {
                let off = table.len();
                table.extend_from_slice(m.name.as_bytes());
                table.extend_from_slice(b"/\n");
                last = Some((&m.name, off));
                off
            }
        };
        names.push(match m.origin {
            Some(h) => format!("/{off}:{h}"),
            None => format!("/{off}"),
        });
    }
    let symbols: Option<Vec<Vec<Vec<u8>>>> = (opts.symbol_index && members.iter().any(|m| is_object(&m.data)))
        .then(|| members.iter().map(|m| index_symbols(&m.data).unwrap_or_default()).collect());
    let (count, strings) = symbols.as_ref().map_or((0, 0), |s| {
        (s.iter().map(Vec::len).sum::<usize>(), s.iter().flatten().map(|n| n.len() + 1).sum::<usize>())
    });
    let index_size = 4 + 4 * count + strings;
    let mut first = crate::archive::THIN_MAGIC.len();
    if symbols.is_some() {
        first += 60 + index_size + (index_size & 1);
    }
    if !table.is_empty() {
        first += 60 + table.len() + (table.len() & 1);
    }
    let mut out = Vec::with_capacity(first + 60 * members.len());
    out.extend_from_slice(crate::archive::THIN_MAGIC);
    if let Some(symbols) = &symbols {
        out.extend_from_slice(&header("/", Some(0), Some(0), Some(0), Some(0), (index_size + (index_size & 1)) as u64));
        out.extend_from_slice(&(count as u32).to_be_bytes());
        for (k, syms) in symbols.iter().enumerate() {
            let offset = (first + 60 * k) as u32;
            for _ in syms {
                out.extend_from_slice(&offset.to_be_bytes());
            }
        }
        for name in symbols.iter().flatten() {
            out.extend_from_slice(name);
            out.push(0);
        }
        if index_size & 1 == 1 {
            out.push(0);
        }
    }
    if !table.is_empty() {
        out.extend_from_slice(&header("//", None, None, None, None, (table.len() + (table.len() & 1)) as u64));
        out.extend_from_slice(&table);
        if table.len() & 1 == 1 {
            out.push(b'\n');
        }
    }
    for (m, name) in members.iter().zip(&names) {
        out.extend_from_slice(&header(name, Some(m.mtime), Some(m.uid), Some(m.gid), Some(m.perms), m.data.len() as u64));
    }
    out
}

/// Replaces ar_archive_writer's empty index (a zero count and padding, 8 bytes) by GNU's
/// (a zero count, 4 bytes). Offsets need no fixing: an empty index holds none.
fn shrink_empty_index(archive: &mut Vec<u8>) {
    let start = crate::archive::MAGIC.len();
    if archive.len() < start + 64 || !archive[start..].starts_with(b"/ ") || archive[start + 60..start + 64] != [0; 4] {
        return;
    }
    let size: usize = std::str::from_utf8(&archive[start + 48..start + 58]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if size <= 4 || start + 60 + size > archive.len() {
        return;
    }
    archive[start + 48..start + 58].copy_from_slice(b"4         ");
    archive.drain(start + 64..start + 60 + size);
}

/// True for the members GNU ar counts as objects when deciding whether to write an index: the
/// ones libwrap can read symbols from.
fn is_object(buf: &[u8]) -> bool {
    index_symbols(buf).is_some()
}

/// Removes the symbol index member (`/` or `/SYM64/`) that starts a GNU archive, if any. Nothing
/// else in a GNU archive holds absolute offsets (the long-name table's are relative to itself),
/// so the rest stays valid as it is.
fn remove_index(archive: &mut Vec<u8>) {
    const HEADER: usize = 60;
    let start = crate::archive::MAGIC.len();
    if archive.len() < start + HEADER {
        return;
    }
    let name = &archive[start..start + 16];
    if !(name.starts_with(b"/ ") || name.starts_with(b"/SYM64/ ")) {
        return;
    }
    let size: usize = std::str::from_utf8(&archive[start + 48..start + 58]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let end = (start + HEADER + size + (size & 1)).min(archive.len());
    archive.drain(start..end);
}
