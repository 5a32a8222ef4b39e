//! Reading archives: GNU/SysV (`/` index, `//` long names), `/SYM64/`, BSD (`#1/`,
//! `__.SYMDEF`) and thin archives (`!<thin>`), through `object`'s archive reader.
//!
//! Thin archives store paths relative to the archive's directory; members are opened from there.
//! A thin archive whose member is itself an archive is flattened: its members take its place,
//! as GNU ar does. A member's identity is its position (duplicate names are common).
//!
//! GNU thin archives also reference single members of regular archives: the header name
//! `/N:M` means "the member whose header is at offset M in the archive whose path is at offset N
//! of the long-name table" (written when a regular archive is added to a thin one). `object`
//! does not know that form; the reader blanks the `:M` part before handing the archive to it
//! and resolves those members itself.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use object::read::archive::{ArchiveFile, ArchiveKind};
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::input::Input;

/// Magic of a regular archive.
pub const MAGIC: &[u8] = b"!<arch>\n";
/// Magic of a thin archive.
pub const THIN_MAGIC: &[u8] = b"!<thin>\n";

/// True if `data` is an archive.
pub fn is_archive(data: &[u8]) -> bool {
    data.starts_with(MAGIC) || data.starts_with(THIN_MAGIC)
}

/// The symbol-index flavour of an archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// GNU/SysV with a 32-bit `/` index (or no index).
    Gnu,
    /// GNU with a 64-bit `/SYM64/` index.
    Gnu64,
    /// BSD `__.SYMDEF`.
    Bsd,
    /// BSD/Darwin `__.SYMDEF_64`.
    Bsd64,
    /// Something `object` reads but tl does not write (COFF, AIX).
    Other,
}

/// The bytes of a member.
#[derive(Clone)]
pub enum MemberData<'a> {
    /// Inside the archive.
    Borrowed(&'a [u8]),
    /// A thin member read from its own file.
    File(Rc<Input>),
    /// A thin member that could not be opened.
    Missing(Rc<Error>),
}

/// A member of an archive.
#[derive(Clone)]
pub struct Member<'a> {
    /// The name as stored (a path for thin archives).
    pub(crate) name: Vec<u8>,
    /// Position in the archive (after flattening), the member's identity.
    pub position: usize,
    /// File offset of the member header (in the archive that holds it).
    pub(crate) header_offset: u64,
    /// File offset of the member's data (0 for thin members).
    pub(crate) data_offset: u64,
    /// Modification time.
    pub(crate) date: u64,
    /// Owner.
    pub(crate) uid: u64,
    /// Group.
    pub(crate) gid: u64,
    /// Mode bits.
    pub(crate) mode: u64,
    /// Size in the header.
    pub(crate) size: u64,
    /// The bytes.
    pub data: MemberData<'a>,
    /// For thin members: the path opened.
    pub path: Option<PathBuf>,
    /// For thin members that reference a member of a regular archive (`/N:M`): that archive's
    /// path as stored in the thin archive, and the member's header offset in it.
    pub nested: Option<(String, u64)>,
    /// The 16th byte of the header's name field as read (GNU ar keeps it when it rewrites a
    /// thin archive's header: a `/` there is left over from a 15-byte name, see
    /// [`super::write`]).
    pub name_field_end: u8,
}

impl Member<'_> {
    /// The member's bytes, or the error met opening it.
    pub fn bytes(&self) -> std::result::Result<&[u8], &Error> {
        match &self.data {
            MemberData::Borrowed(b) => Ok(b),
            MemberData::File(i) => Ok(i.data()),
            MemberData::Missing(e) => Err(e),
        }
    }

    /// The name as UTF-8 (lossy), for messages.
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// An entry of the archive's symbol index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// Symbol name.
    pub name: Vec<u8>,
    /// Header offset of the member it names.
    pub(crate) header_offset: u64,
    /// Position of that member, if one starts at that offset.
    pub member: Option<usize>,
}

/// An archive read into memory.
pub struct Archive<'a> {
    /// Index flavour.
    pub format: Format,
    /// Thin archive.
    pub thin: bool,
    /// Members, thin nesting flattened.
    pub members: Vec<Member<'a>>,
    /// The symbol index, if the archive has one.
    pub index: Option<Vec<IndexEntry>>,
}

fn header_offset(data: &[u8], member: &object::read::archive::ArchiveMember<'_>) -> u64 {
    match member.header() {
        Some(h) => (h as *const _ as usize).wrapping_sub(data.as_ptr() as usize) as u64,
        None => 0,
    }
}

/// Reads the archive in `data`; `path` is used to open thin members and in messages.
///
/// The cost is linear in the members and the index: index entries find their member through a
/// map of header offsets, and a regular archive that `/N:M` members refer to is read once.
pub fn read<'a>(data: &'a [u8], path: &str) -> Result<Archive<'a>> {
    read_nested(data, path, 0, &mut Referenced::default())
}

/// The regular archives `/N:M` members refer to, each read once: by path, its members by
/// header offset.
#[derive(Default)]
struct Referenced {
    archives: FxHashMap<PathBuf, FxHashMap<u64, Member<'static>>>,
}

fn read_nested<'a>(data: &'a [u8], path: &str, depth: u32, referenced: &mut Referenced) -> Result<Archive<'a>> {
    if depth > 8 {
        return Err(Error::malformed(path, "thin archives nested too deeply"));
    }
    let (patched, origins) = if data.starts_with(THIN_MAGIC) { blank_nested_origins(data) } else { (None, FxHashMap::default()) };
    let parse_data: &[u8] = patched.as_deref().unwrap_or(data);
    let file = ArchiveFile::parse(parse_data).map_err(|e| Error::malformed(path, e.to_string()))?;
    let thin = file.is_thin();
    let format = match file.kind() {
        ArchiveKind::Gnu | ArchiveKind::Unknown => Format::Gnu,
        ArchiveKind::Gnu64 => Format::Gnu64,
        ArchiveKind::Bsd => Format::Bsd,
        ArchiveKind::Bsd64 => Format::Bsd64,
        _ => Format::Other,
    };
    let dir = Path::new(path).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut members = Vec::new();
    for m in file.members() {
        let m = m.map_err(|e| Error::malformed(path, e.to_string()))?;
        let name = m.name().to_vec();
        let hoff = header_offset(parse_data, &m);
        let name_field_end = data.get(hoff as usize + 15).copied().unwrap_or(b' ');
        let common = |bytes: MemberData<'a>, member_path: Option<PathBuf>| Member {
            name: name.clone(),
            position: 0,
            header_offset: hoff,
            data_offset: m.file_range().0,
            date: m.date().unwrap_or(0),
            uid: m.uid().unwrap_or(0),
            gid: m.gid().unwrap_or(0),
            mode: m.mode().unwrap_or(0),
            size: m.size(),
            data: bytes,
            path: member_path,
            nested: None,
            name_field_end,
        };
        if let Some(&origin) = origins.get(&hoff) {
            let rel = String::from_utf8_lossy(&name).into_owned();
            members.push(nested_member(&dir, &rel, origin, hoff, path, depth, referenced)?);
            continue;
        }
        if m.is_thin() {
            let rel = String::from_utf8_lossy(&name).into_owned();
            let full = if Path::new(&rel).is_absolute() { PathBuf::from(&rel) } else { dir.join(&rel) };
            let shown = full.display().to_string();
            match Input::open(&full) {
                Ok(input) => {
                    let input = Rc::new(input);
                    if is_archive(input.data()) {
                        // Flatten: the nested archive's members take its place.
                        let inner_data: &[u8] = input.data();
                        // The nested members borrow from `input`, which must outlive them: copy
                        // each member into its own Input.
                        let nested = read_nested(inner_data, &shown, depth + 1, referenced)?;
                        // Names of a nested thin archive are relative to its directory; make
                        // them relative to this archive's, as GNU ar does when flattening.
                        let prefix = Path::new(&rel).parent().map(Path::to_path_buf).unwrap_or_default();
                        for mut n in nested.members {
                            if nested.thin && !prefix.as_os_str().is_empty() {
                                let joined = prefix.join(String::from_utf8_lossy(&n.name).as_ref());
                                n.name = joined.display().to_string().into_bytes();
                            }
                            let bytes = match n.bytes() {
                                Ok(b) => MemberData::File(Rc::new(Input::from_vec(
                                    n.path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| n.display_name()),
                                    b.to_vec(),
                                ))),
                                Err(_) => n.data.clone_static(),
                            };
                            let mut nm = Member { data: bytes, position: 0, ..n.clone_meta() };
                            if !nested.thin {
                                nm.nested = Some((rel.clone(), n.header_offset));
                            }
                            nm.header_offset = hoff;
                            members.push(nm);
                        }
                    } else {
                        members.push(common(MemberData::File(input), Some(full)));
                    }
                }
                Err(e) => members.push(common(MemberData::Missing(Rc::new(e)), Some(full))),
            }
        } else {
            let (start, len) = m.file_range();
            let bytes = usize::try_from(start)
                .ok()
                .zip(usize::try_from(len).ok())
                .and_then(|(s, l)| data.get(s..s.checked_add(l)?))
                .ok_or_else(|| Error::malformed(path, "member extends past the end of the archive"))?;
            members.push(common(MemberData::Borrowed(bytes), None));
        }
    }
    let mut at_offset: FxHashMap<u64, usize> = FxHashMap::default();
    for (i, m) in members.iter_mut().enumerate() {
        m.position = i;
        at_offset.entry(m.header_offset).or_insert(i);
    }
    let index = match file.symbols().map_err(|e| Error::malformed(path, e.to_string()))? {
        None => None,
        Some(iter) => {
            let mut entries = Vec::new();
            for s in iter {
                let s = s.map_err(|e| Error::malformed(path, e.to_string()))?;
                let off = s.offset().0;
                entries.push(IndexEntry { name: s.name().to_vec(), header_offset: off, member: at_offset.get(&off).copied() });
            }
            Some(entries)
        }
    };
    Ok(Archive { format, thin, members, index })
}

/// Size of an archive member header.
pub const HEADER_SIZE: usize = 60;

/// Finds the `/N:M` member names of a thin archive; returns a copy with `:M` blanked (when there
/// are any) and the (header offset, M) pairs.
fn blank_nested_origins(data: &[u8]) -> (Option<Vec<u8>>, FxHashMap<u64, u64>) {
    let mut origins = FxHashMap::default();
    let mut patched: Option<Vec<u8>> = None;
    let mut off = THIN_MAGIC.len();
    while off + HEADER_SIZE <= data.len() {
        let hdr = &data[off..off + HEADER_SIZE];
        let name = &hdr[..16];
        let size: usize = std::str::from_utf8(&hdr[48..58]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        if let Some(colon) = name.iter().position(|&c| c == b':') {
            let digits = |b: &[u8]| !b.is_empty() && b.iter().all(u8::is_ascii_digit);
            let origin_text = name[colon + 1..].split(|&c| c == b' ').next().unwrap_or(&[]);
            if name[0] == b'/' && digits(&name[1..colon]) && digits(origin_text) {
                let origin = std::str::from_utf8(origin_text).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
                origins.insert(off as u64, origin);
                let copy = patched.get_or_insert_with(|| data.to_vec());
                copy[off + colon..off + 16].fill(b' ');
            }
        }
        // In a thin archive only the index and the long-name table have data.
        let special = name.starts_with(b"/ ") || name.starts_with(b"// ") || name.starts_with(b"/SYM64/ ");
        off += HEADER_SIZE + if special { size + (size & 1) } else { 0 };
    }
    (patched, origins)
}

/// Resolves a `/N:M` member: the member of the regular archive `rel` (relative to `dir`) whose
/// header is at `origin`.
fn nested_member(
    dir: &Path,
    rel: &str,
    origin: u64,
    hoff: u64,
    path: &str,
    depth: u32,
    referenced: &mut Referenced,
) -> Result<Member<'static>> {
    let full = if Path::new(rel).is_absolute() { PathBuf::from(rel) } else { dir.join(rel) };
    let shown = full.display().to_string();
    if !referenced.archives.contains_key(&full) {
        let input = Input::open(&full)?;
        let nested = read_nested(input.data(), &shown, depth + 1, referenced)?;
        let mut by_offset = FxHashMap::default();
        for m in &nested.members {
            let Ok(bytes) = m.bytes() else { continue };
            let mut copy = m.clone_meta();
            copy.data = MemberData::File(Rc::new(Input::from_vec(format!("{shown}({})", m.display_name()), bytes.to_vec())));
            by_offset.entry(m.header_offset).or_insert(copy);
        }
        referenced.archives.insert(full.clone(), by_offset);
    }
    let m = referenced.archives[&full].get(&origin);
    let mut out = m.cloned().ok_or_else(|| Error::malformed(path, format!("no member at offset {origin} of {shown}")))?;
    out.header_offset = hoff;
    out.path = None;
    out.nested = Some((rel.to_string(), origin));
    Ok(out)
}

impl<'a> MemberData<'a> {
    fn clone_static(&self) -> MemberData<'static> {
        match self {
            MemberData::Borrowed(b) => MemberData::File(Rc::new(Input::from_vec("<member>", b.to_vec()))),
            MemberData::File(i) => MemberData::File(i.clone()),
            MemberData::Missing(e) => MemberData::Missing(e.clone()),
        }
    }
}

impl Member<'_> {
    fn clone_meta(&self) -> Member<'static> {
        Member {
            name: self.name.clone(),
            position: self.position,
            header_offset: self.header_offset,
            data_offset: self.data_offset,
            date: self.date,
            uid: self.uid,
            gid: self.gid,
            mode: self.mode,
            size: self.size,
            data: self.data.clone_static(),
            path: self.path.clone(),
            nested: self.nested.clone(),
            name_field_end: self.name_field_end,
        }
    }
}
