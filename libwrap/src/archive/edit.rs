//! Editing archives the way GNU ar does: an ordered list of entries (members read from the
//! archive keep their header metadata; files added from disk get theirs from `stat`, or zeros
//! and mode 0644 when deterministic), GNU's name rules, and a safe read-modify-write.
//!
//! Invariants:
//! - an entry's `filename` is what GNU's `bfd_get_filename` returns: the member name for a
//!   regular archive, the path of the member file (archive directory joined with the stored
//!   path) for a thin archive, the path as given for a file being added;
//! - the name stored on writing is `normalize(filename)`: its basename, or the whole path with
//!   `P`, cut to 15 bytes with `f`; thin archives store the path relative to the archive's
//!   directory (absolute paths stay absolute);
//! - an update holds an exclusive lock on the archive's directory from reading the archive to
//!   renaming the new one into place, so concurrent `ar r same.a x.o` lose nothing; the new
//!   archive is written to a temporary file and renamed, so a crash leaves the old one intact.

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::read::{self as archive, MemberData};
use super::write::{self as archive_write, NewMember, WriteOptions};
use crate::error::{Error, Result};
use crate::input::Input;

/// GNU's `ar_max_namelen` for ELF targets (names longer than this go to the `//` table, or are
/// cut with `f`).
pub const MAX_NAMELEN: usize = 15;

/// Where an entry's bytes come from.
#[derive(Clone)]
pub enum Content {
    /// A member of the archive being edited (or of another archive).
    Member(MemberData<'static>),
    /// A file read from disk.
    File(Rc<Input>),
    /// Bytes made up by tl (`__.LIBDEP`).
    Owned(Rc<Vec<u8>>),
}

impl Content {
    /// The bytes, or the error met reading them.
    pub fn bytes(&self) -> std::result::Result<&[u8], String> {
        match self {
            Content::Member(MemberData::Borrowed(b)) => Ok(b),
            Content::Member(MemberData::File(i)) => Ok(i.data()),
            Content::Member(MemberData::Missing(e)) => Err(e.to_string()),
            Content::File(i) => Ok(i.data()),
            Content::Owned(v) => Ok(v),
        }
    }
}

/// One member of an archive being edited.
#[derive(Clone)]
pub struct Entry {
    /// What GNU's `bfd_get_filename` returns for it (see the module documentation).
    pub filename: String,
    /// Contents.
    pub content: Content,
    /// Header date.
    pub date: u64,
    /// Header uid.
    pub uid: u64,
    /// Header gid.
    pub gid: u64,
    /// Header mode (with file-type bits when recorded from `stat`).
    pub mode: u64,
    /// Size.
    pub size: u64,
    /// Read from an archive (true) or added from a file (false).
    pub from_archive: bool,
    /// Offset of the member's data in the archive it was read from (GNU's `origin`).
    pub data_offset: u64,
    /// For thin archives: a member flattened from a regular archive is stored under that
    /// archive's path (GNU's `my_archive` rule), relative to the current directory.
    pub stored_path_override: Option<String>,
    /// With `stored_path_override`: the member's header offset in that regular archive.
    pub origin: Option<u64>,
    /// The 16th byte of the name field of the header it was read with (`None` for a file
    /// added from disk).
    pub name_field_end: Option<u8>,
}

/// An archive loaded for editing.
pub struct Editable {
    /// Path as given.
    pub path: String,
    /// Thin archive.
    pub thin: bool,
    /// Had a symbol index.
    pub had_index: bool,
    /// Members in order.
    pub entries: Vec<Entry>,
}

/// Loads an archive for editing. Members' bytes are copied (thin members stay references to
/// their files), so the archive file can be replaced while they are in use.
pub fn load(path: &str) -> Result<Editable> {
    let input = Input::open(path)?;
    let data = input.data();
    if !archive::is_archive(data) {
        return Err(Error::NotRecognized { path: path.to_string(), member: None });
    }
    let ar = archive::read(data, path)?;
    let thin = ar.thin;
    let had_index = ar.index.is_some();
    let entries = ar
        .members
        .into_iter()
        .map(|m| {
            let filename = match &m.path {
                Some(p) => p.display().to_string(),
                None => String::from_utf8_lossy(&m.name).into_owned(),
            };
            let (stored_path_override, origin) = match &m.nested {
                Some((rel, origin)) => (Some(join_archive_dir(path, rel)), Some(*origin)),
                None => (None, None),
            };
            let data_offset = if thin && m.nested.is_none() { m.header_offset + 60 } else { m.data_offset };
            let content = match m.data {
                MemberData::Borrowed(b) => Content::Owned(Rc::new(b.to_vec())),
                MemberData::File(i) if m.nested.is_some() => Content::Owned(Rc::new(i.data().to_vec())),
                MemberData::File(i) => Content::Member(MemberData::File(i)),
                MemberData::Missing(e) => Content::Member(MemberData::Missing(e)),
            };
            Entry {
                name_field_end: Some(m.name_field_end),
                filename,
                date: m.date,
                uid: m.uid,
                gid: m.gid,
                mode: m.mode,
                size: m.size,
                content,
                from_archive: true,
                data_offset,
                stored_path_override,
                origin,
            }
        })
        .collect();
    Ok(Editable { path: path.to_string(), thin, had_index, entries })
}

/// `rel` (a path stored in the thin archive `archive`) as a path from the current directory.
fn join_archive_dir(archive: &str, rel: &str) -> String {
    match Path::new(archive).parent() {
        Some(dir) if !rel.starts_with('/') && !dir.as_os_str().is_empty() => dir.join(rel).display().to_string(),
        _ => rel.to_string(),
    }
}

/// Writes an empty archive at `path` (GNU ar creates a new archive before anything else, and it
/// stays when nothing is added).
pub fn create_empty(path: &str) -> Result<()> {
    crate::output::write_atomic(path, archive::MAGIC, 0o666)
}

/// The members of an archive being added to a thin archive, as its elements: a member of a
/// regular archive is stored under that archive's path with its header offset (GNU's `/N:M`
/// reference); a thin archive's members stay references to their own files.
pub fn thin_elements(nested: Editable, file: &str) -> Vec<Entry> {
    let regular = !nested.thin;
    nested
        .entries
        .into_iter()
        .map(|mut e| {
            if regular {
                e.stored_path_override = Some(file.to_string());
                e.origin = Some(e.data_offset.saturating_sub(archive::HEADER_SIZE as u64));
            }
            e
        })
        .collect()
}

/// An empty archive to fill (`ar` creating a new archive, MRI `CREATE`).
pub fn empty(path: &str, thin: bool) -> Editable {
    Editable { path: path.to_string(), thin, had_index: false, entries: Vec::new() }
}

/// Reads a file to add. `deterministic`: zero date/uid/gid and mode 0644, as GNU ar's default.
pub fn entry_from_file(path: &str, deterministic: bool) -> Result<Entry> {
    let input = Input::open(path)?;
    let meta = match input.metadata() {
        Some(m) => m.clone(),
        None => std::fs::metadata(path).map_err(|e| Error::io(path, e))?,
    };
    let size = input.data().len() as u64;
    let (date, uid, gid, mode) = if deterministic {
        (0, 0, 0, 0o644)
    } else {
        (meta.mtime().max(0) as u64, u64::from(meta.uid()), u64::from(meta.gid()), u64::from(meta.mode()))
    };
    Ok(Entry {
        filename: path.to_string(),
        content: Content::File(Rc::new(input)),
        date,
        uid,
        gid,
        mode,
        size,
        from_archive: false,
        data_offset: 0,
        stored_path_override: None,
        origin: None,
        name_field_end: None,
    })
}

/// An entry with made-up contents (`__.LIBDEP`).
pub fn entry_from_bytes(name: &str, bytes: Vec<u8>, deterministic: bool) -> Entry {
    let size = bytes.len() as u64;
    let now = if deterministic { 0 } else { now_secs() };
    Entry {
        filename: name.to_string(),
        content: Content::Owned(Rc::new(bytes)),
        date: now,
        uid: 0,
        gid: 0,
        mode: 0o644,
        size,
        from_archive: false,
        data_offset: 0,
        stored_path_override: None,
        origin: None,
        name_field_end: None,
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The last path component (libiberty's `lbasename`).
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// GNU ar's `normalize`: the basename unless `full_path`, cut to [`MAX_NAMELEN`] with `truncate`.
pub fn normalize(file: &str, full_path: bool, truncate: bool) -> String {
    let name = if full_path { file } else { basename(file) };
    if truncate && name.len() > MAX_NAMELEN {
        let mut end = MAX_NAMELEN;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name[..end].to_string()
    } else {
        name.to_string()
    }
}

fn lexical_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// GNU's `adjust_relative_path`: `path` (relative to the current directory) made relative to the
/// directory of `archive`. Absolute paths are kept. (GNU ar skips the adjustment when the archive
/// is named by an absolute path, which stores paths its readers cannot find; tl adjusts always.)
pub fn relative_to_archive(path: &str, archive: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let real = |p: &Path| -> PathBuf {
        // Resolve symlinks where the path exists (as lrealpath does), else normalise lexically.
        std::fs::canonicalize(p).unwrap_or_else(|_| lexical_normalize(&cwd.join(p)))
    };
    let target = real(Path::new(path));
    // The archive's directory as GNU sees it: the real path of the temporary file it writes
    // beside the archive, i.e. of the archive's directory (not of a symbolic link's target).
    let dir = match Path::new(archive).parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let base = real(dir);
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c.as_os_str());
    }
    rel.display().to_string()
}

/// How to write the archive.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaveOptions {
    /// Thin archive.
    pub thin: bool,
    /// `P`: store paths, not basenames.
    pub full_path: bool,
    /// `f`: cut names to 15 bytes.
    pub truncate: bool,
    /// Write a symbol index (GNU's default; `S` turns it off).
    pub index: bool,
    /// Deterministic (index date 0); otherwise the index header carries the current time.
    pub deterministic: bool,
    /// Member offset from which the index is 64-bit (`/SYM64/`); `None` for the format's
    /// 4 GiB. Tools lower it only for tests, as llvm-ar's `SYM64_THRESHOLD` does.
    pub sym64_threshold: Option<u64>,
}

/// The name an entry is stored under.
pub fn stored_name(e: &Entry, archive_path: &str, opts: &SaveOptions) -> String {
    if opts.thin {
        let file = e.stored_path_override.as_deref().unwrap_or(&e.filename);
        relative_to_archive(file, archive_path)
    } else {
        normalize(&e.filename, opts.full_path, opts.truncate)
    }
}

/// GNU ar's thin headers keep a `/` in the 16th byte of the name field when the header was
/// first made for a 15-byte name (`bfd_dont_truncate_arname` put `name/` there, and the
/// `/offset` written over it covers 15 bytes): for a file added now, when its stored name
/// (basename, or path with `P`) has 15 bytes and names are not cut (`f`); for a member read
/// from an archive, when its header had it.
fn slash_in_name_field(e: &Entry, opts: &SaveOptions) -> bool {
    match e.name_field_end {
        Some(b) => b == b'/',
        None => !opts.truncate && normalize(&e.filename, opts.full_path, false).len() == MAX_NAMELEN,
    }
}

/// The members to write and the writer's options.
fn prepare<'e>(ed: &'e Editable, opts: &SaveOptions) -> Result<(Vec<NewMember<'e>>, WriteOptions)> {
    let mut members = Vec::with_capacity(ed.entries.len());
    for e in &ed.entries {
        let bytes = e.content.bytes().map_err(|m| Error::malformed(&e.filename, m))?;
        members.push(NewMember {
            name: stored_name(e, &ed.path, opts),
            data: Cow::Borrowed(bytes),
            mtime: e.date,
            uid: e.uid as u32,
            gid: e.gid as u32,
            perms: e.mode as u32,
            origin: if opts.thin { e.origin } else { None },
            slash_in_name_field: opts.thin && slash_in_name_field(e, opts),
        });
    }
    let wopts = WriteOptions {
        thin: opts.thin,
        symbol_index: opts.index,
        index_date: if opts.deterministic { 0 } else { now_secs() },
        sym64_threshold: opts.sym64_threshold.unwrap_or(1 << 32),
    };
    Ok((members, wopts))
}

/// An exclusive lock held while an archive is read, modified and replaced.
pub struct UpdateLock {
    _dir: File,
}

/// Locks the directory of `archive` for an update (blocks until other tl-ar updates there end).
pub fn lock_for_update(archive: &str) -> Result<UpdateLock> {
    // The directory the new archive is renamed into: a symbolic link's target's (see `output`).
    let given = Path::new(archive);
    let real = match std::fs::symlink_metadata(given) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(given).unwrap_or_else(|_| given.to_path_buf()),
        _ => given.to_path_buf(),
    };
    let dir = match real.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let f = File::open(&dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    f.lock().map_err(|e| Error::io(dir.display().to_string(), e))?;
    Ok(UpdateLock { _dir: f })
}

/// Writes the archive atomically over `path` (mode kept, or 0666 & ~umask when new), streaming
/// the members into the temporary file. Returns the index warnings as
/// `archive(member): warning`.
pub fn save(ed: &Editable, opts: &SaveOptions) -> Result<Vec<String>> {
    let (members, wopts) = prepare(ed, opts)?;
    let mut out = crate::output::AtomicOutput::create(&ed.path, 0o666)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out.file());
    let warnings = archive_write::write_archive_to(&mut w, &members, wopts).map_err(|e| Error::io(&ed.path, e))?;
    w.into_inner().map_err(|e| Error::io(&ed.path, e.into_error()))?;
    out.commit()?;
    Ok(warnings.into_iter().map(|(m, w)| format!("{}: warning: {w}", crate::error::location(&ed.path, Some(&m)))).collect())
}

/// True if a member path stays inside the extraction directory (binutils' `is_valid_archive_path`,
/// the CVE-2014-8737 fix): not absolute and no `..` component.
pub fn is_valid_archive_path(p: &str) -> bool {
    if p.starts_with('/') {
        return false;
    }
    !p.split('/').any(|c| c == "..")
}
