//! Writing GNU archives, regular and thin, laid out as GNU ar 2.40 lays them out
//! (`_bfd_write_archive_contents`, `_bfd_construct_extended_name_table`, `_bfd_coff_write_armap`,
//! `_bfd_archive_64_bit_write_armap`).
//!
//! Layout: magic, then the symbol index `/` (or `/SYM64/`), then the long-name table `//`, then
//! the members. Invariants:
//! - a member name longer than 15 bytes goes to `//` as `name/\n` and its header says `/offset`;
//!   a shorter one is stored in the header as `name/`, even when it contains a `/` (`P`), as GNU
//!   does; each member gets its own `//` entry;
//! - thin archives (`!<thin>\n`) put every path in `//`, reuse an entry only for a path equal to
//!   the previous member's, write headers without data, and reference a member of a regular
//!   archive as `/N:M` (M: that member's header offset in the archive whose path is at N);
//! - the index is written only when asked for and when at least one member is an object (ELF or
//!   bitcode): "if no .o's, don't bother to make a map"; objects without global symbols give an
//!   empty index (a zero count). It lists, member by member in order, the offsets of the member
//!   headers and the names, padded to an even size with a NUL; the 64-bit `/SYM64/` form (8-byte
//!   count and offsets, padded to 8) is used only when a member that defines symbols starts
//!   beyond 4 GiB;
//! - a member's data is followed by `\n` when its size is odd.
//!
//! The symbol index is computed by [`super::index`].
//!
//! (ar_archive_writer, LLVM's writer ported to Rust, was used first; it differs from GNU ar in
//! five cases listed in the README, so tl writes the format itself.)

use std::borrow::Cow;
use std::io::Write;

use super::index::{MemberSymbols, index_symbols};
use super::read::{MAGIC, THIN_MAGIC};

/// Size of a member header.
const HEADER: usize = 60;
/// Longest name stored in a header (GNU's `ar_maxnamelen` for ELF targets).
const MAX_SHORT_NAME: usize = 15;
/// Largest member the 10-digit size field can describe.
const MAX_MEMBER_SIZE: u64 = 9_999_999_999;

/// A member to write.
pub struct NewMember<'a> {
    /// Name stored in the archive (a path relative to the archive for thin archives).
    pub name: String,
    /// Contents (for thin archives: only used to compute symbols and the size).
    pub data: Cow<'a, [u8]>,
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
    /// Thin archives only: the 16th byte of the header's name field is `/` (see
    /// [`super::edit`]: GNU ar leaves it from a 15-byte name).
    pub slash_in_name_field: bool,
}

/// Archive layout options.
#[derive(Clone, Copy, Debug)]
pub struct WriteOptions {
    /// Thin archive.
    pub thin: bool,
    /// Write a symbol index (when a member is an object).
    pub symbol_index: bool,
    /// Date of the index header: 0 for deterministic archives.
    pub index_date: u64,
    /// Member offset from which the index must be 64-bit (4 GiB; lowered only by tests).
    pub sym64_threshold: u64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { thin: false, symbol_index: true, index_date: 0, sym64_threshold: 1 << 32 }
    }
}

/// An archive written to memory.
pub struct Written {
    /// The archive.
    pub bytes: Vec<u8>,
    /// (member name, warning) for members whose index entries may be incomplete.
    pub(crate) warnings: Vec<(String, String)>,
}

/// One member header: each field left-aligned and space-padded, cut to its width as GNU's
/// `_bfd_ar_spacepad` does; `None` fields stay blank.
fn header(name: &str, date: Option<u64>, uid: Option<u32>, gid: Option<u32>, mode: Option<u32>, size: u64) -> [u8; HEADER] {
    let mut h = [b' '; HEADER];
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

/// The member header names and the long-name table (see the module documentation).
fn member_names(members: &[NewMember<'_>], thin: bool) -> (Vec<String>, Vec<u8>) {
    let mut table = Vec::new();
    let mut names = Vec::with_capacity(members.len());
    let mut last: Option<(&str, usize)> = None;
    for m in members {
        if !thin {
            if m.name.len() > MAX_SHORT_NAME {
                names.push(format!("/{}", table.len()));
                table.extend_from_slice(m.name.as_bytes());
                table.extend_from_slice(b"/\n");
            } else {
                names.push(format!("{}/", m.name));
            }
            continue;
        }
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
    (names, table)
}

/// Writes an archive to bytes.
pub fn write_archive(members: &[NewMember<'_>], opts: WriteOptions) -> std::io::Result<Written> {
    let mut bytes = Vec::new();
    let warnings = write_archive_to(&mut bytes, members, opts)?;
    Ok(Written { bytes, warnings })
}

/// Writes an archive to `out` (members are streamed; only the index is built in memory).
/// Returns (member name, warning) for members whose index entries may be incomplete.
pub(crate) fn write_archive_to(
    out: &mut dyn Write,
    members: &[NewMember<'_>],
    opts: WriteOptions,
) -> std::io::Result<Vec<(String, String)>> {
    if let Some(big) = members.iter().find(|m| m.data.len() as u64 > MAX_MEMBER_SIZE) {
        return Err(std::io::Error::other(format!("{}: member too large for an archive", big.name)));
    }
    let (names, table) = member_names(members, opts.thin);
    let mut warnings = Vec::new();
    let symbols: Option<Vec<Vec<Vec<u8>>>> = if opts.symbol_index {
        let per_member: Vec<Option<MemberSymbols>> = members.iter().map(|m| index_symbols(&m.data)).collect();
        let any_object = per_member.iter().any(Option::is_some);
        let names = per_member
            .into_iter()
            .zip(members)
            .map(|(s, m)| {
                let s = s.unwrap_or(MemberSymbols { names: Vec::new(), warnings: Vec::new() });
                warnings.extend(s.warnings.into_iter().map(|w| (m.name.clone(), w)));
                s.names
            })
            .collect();
        any_object.then_some(names)
    } else {
        None
    };
    let magic = if opts.thin { THIN_MAGIC } else { MAGIC };
    let table_size = table.len() + (table.len() & 1);
    let table_member = if table.is_empty() { 0 } else { HEADER + table_size };
    let member_size = |m: &NewMember<'_>| if opts.thin { HEADER } else { HEADER + m.data.len() + (m.data.len() & 1) };

    // The index: 32-bit unless a member with symbols starts at or beyond the threshold.
    let (count, strings) = symbols
        .as_ref()
        .map_or((0, 0), |s| (s.iter().map(Vec::len).sum::<usize>(), s.iter().flatten().map(|n| n.len() + 1).sum::<usize>()));
    let index_size = |wide: bool| -> usize {
        if wide {
            let raw = 8 + 8 * count + strings;
            raw.next_multiple_of(8)
        } else {
            let raw = 4 + 4 * count + strings;
            raw + (raw & 1)
        }
    };
    let offsets = |wide: bool| -> Vec<u64> {
        let mut at = (magic.len() + table_member + if symbols.is_some() { HEADER + index_size(wide) } else { 0 }) as u64;
        members
            .iter()
            .map(|m| {
                let here = at;
                at += member_size(m) as u64;
                here
            })
            .collect()
    };
    let mut wide = false;
    let mut offs = offsets(false);
    if let Some(s) = &symbols
        && s.iter().zip(&offs).any(|(syms, &o)| !syms.is_empty() && o >= opts.sym64_threshold.min(1 << 32))
    {
        wide = true;
        offs = offsets(true);
    }

    out.write_all(magic)?;
    if let Some(s) = &symbols {
        let size = index_size(wide);
        let mut index = Vec::with_capacity(HEADER + size);
        index.extend_from_slice(&header(if wide { "/SYM64/" } else { "/" }, Some(opts.index_date), Some(0), Some(0), Some(0), size as u64));
        if wide {
            index.extend_from_slice(&(count as u64).to_be_bytes());
        } else {
            index.extend_from_slice(&(count as u32).to_be_bytes());
        }
        for (syms, &o) in s.iter().zip(&offs) {
            for _ in syms {
                if wide {
                    index.extend_from_slice(&o.to_be_bytes());
                } else {
                    index.extend_from_slice(&(o as u32).to_be_bytes());
                }
            }
        }
        for name in s.iter().flatten() {
            index.extend_from_slice(name);
            index.push(0);
        }
        index.resize(HEADER + size, 0);
        out.write_all(&index)?;
    }
    if !table.is_empty() {
        out.write_all(&header("//", None, None, None, None, table_size as u64))?;
        out.write_all(&table)?;
        if table.len() & 1 == 1 {
            out.write_all(b"\n")?;
        }
    }
    for (m, name) in members.iter().zip(&names) {
        let mut h = header(name, Some(m.mtime), Some(m.uid), Some(m.gid), Some(m.perms), m.data.len() as u64);
        if opts.thin && m.slash_in_name_field && name.len() < 16 {
            h[15] = b'/';
        }
        out.write_all(&h)?;
        if !opts.thin {
            out.write_all(&m.data)?;
            if m.data.len() & 1 == 1 {
                out.write_all(b"\n")?;
            }
        }
    }
    Ok(warnings)
}
