//! Atomic output files. Every output is written to a temporary file in the target's directory
//! and renamed over the target only when complete, so an error, a full disk or a kill leaves the
//! previous file intact. The previous file's permission bits are kept; a new file gets
//! `default_mode & !umask`. A symbolic link at the target is followed and the file it names is
//! replaced (as GNU binutils' `smart_rename` does).

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An output being written; call [`AtomicOutput::commit`] to put it in place.
pub(crate) struct AtomicOutput {
    target: PathBuf,
    name: String,
    mode: u32,
    temp: tempfile::NamedTempFile,
}

/// The process umask, read without changing it (from `/proc/self/status`, falling back to 022).
pub(crate) fn umask() -> u32 {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if let Some(v) = line.strip_prefix("Umask:")
                && let Ok(m) = u32::from_str_radix(v.trim(), 8)
            {
                return m;
            }
        }
    }
    0o022
}

impl AtomicOutput {
    /// Starts writing `path`. `default_mode` is used (masked by the umask) when the file is new:
    /// 0o666 for data files, 0o777 for executables.
    pub(crate) fn create(path: impl AsRef<Path>, default_mode: u32) -> Result<AtomicOutput> {
        let given = path.as_ref();
        let name = given.display().to_string();
        let target = match fs::canonicalize(given) {
            Ok(real) if fs::symlink_metadata(given).map(|m| m.file_type().is_symlink()).unwrap_or(false) => real,
            _ => given.to_path_buf(),
        };
        let mode = match fs::metadata(&target) {
            Ok(m) => m.permissions().mode() & 0o7777,
            Err(_) => default_mode & !umask(),
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = tempfile::Builder::new().prefix(&format!(".{stem}.tl")).tempfile_in(&dir).map_err(|e| Error::io(&name, e))?;
        Ok(AtomicOutput { target, name, mode, temp })
    }

    /// The file being written.
    pub(crate) fn file(&mut self) -> &mut fs::File {
        self.temp.as_file_mut()
    }

    /// Flushes, sets the mode and renames the temporary file over the target.
    pub fn commit(mut self) -> Result<()> {
        let name = self.name.clone();
        self.temp.as_file_mut().flush().map_err(|e| Error::io(&name, e))?;
        fs::set_permissions(self.temp.path(), fs::Permissions::from_mode(self.mode)).map_err(|e| Error::io(&name, e))?;
        self.temp.persist(&self.target).map_err(|e| Error::io(&name, e.error))?;
        Ok(())
    }
}

/// Writes the output through a closure given the file (see the module documentation).
pub(crate) fn write_atomic_with(path: impl AsRef<Path>, default_mode: u32, f: impl FnOnce(&fs::File) -> std::io::Result<()>) -> Result<()> {
    let mut out = AtomicOutput::create(path, default_mode)?;
    let name = out.name.clone();
    f(out.file()).map_err(|e| Error::io(&name, e))?;
    out.commit()
}

/// How many small slices of a mapped input [`FileSink`] reads from the file rather than
/// through the map: a read costs a system call, but touching the map brings in the 64 KiB
/// around the slice (the kernel's fault-around), as resident memory; past a few hundred
/// slices (objects with many small sections) the map is the cheaper.
const SMALL_READS: u32 = 256;

/// An `object` write buffer into a file. Slices of `source`'s bytes (a mapped input) are
/// copied from its file rather than through the map, so that an output's unchanged contents
/// stay out of this process's memory: large ones by the kernel (`copy_file_range`), the first
/// [`SMALL_READS`] small ones by `pread`.
pub(crate) struct FileSink<'f> {
    out: std::io::BufWriter<&'f fs::File>,
    source: Option<(&'f fs::File, &'f [u8])>,
    small_reads: u32,
    /// The first error (the buffer's methods cannot return one).
    pub(crate) error: Option<std::io::Error>,
}

impl<'f> FileSink<'f> {
    /// A sink writing `out`, copying slices of `source` (a map of the file) from the file.
    pub(crate) fn new(out: &'f fs::File, source: Option<(&'f fs::File, &'f [u8])>) -> FileSink<'f> {
        FileSink { out: std::io::BufWriter::with_capacity(1 << 16, out), source, small_reads: 0, error: None }
    }

    /// Flushes; the first error met.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }

    fn copy(&mut self, val: &[u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek};
        use std::os::unix::fs::FileExt;
        /// Slices from this size on are copied by the kernel.
        const LARGE: usize = 1 << 14;
        let Some((file, map)) = self.source else { return self.out.write_all(val) };
        let (base, at) = (map.as_ptr() as usize, val.as_ptr() as usize);
        if at < base || at + val.len() > base + map.len() {
            return self.out.write_all(val);
        }
        let offset = (at - base) as u64;
        if val.len() >= LARGE {
            self.out.flush()?;
            let mut from = file;
            from.seek(std::io::SeekFrom::Start(offset))?;
            let copied = std::io::copy(&mut from.take(val.len() as u64), self.out.get_mut())?;
            if copied != val.len() as u64 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "input shrank while it was copied"));
            }
            return Ok(());
        }
        if self.small_reads >= SMALL_READS {
            return self.out.write_all(val);
        }
        self.small_reads += 1;
        let mut buf = [0; LARGE];
        let buf = &mut buf[..val.len()];
        file.read_exact_at(buf, offset)?;
        self.out.write_all(buf)
    }
}

impl object::write::WritableBuffer for FileSink<'_> {
    fn reserve(&mut self, _size: u64) -> std::result::Result<(), ()> {
        Ok(())
    }

    fn write_bytes(&mut self, val: &[u8]) {
        if self.error.is_none()
            && let Err(e) = self.copy(val)
        {
            self.error = Some(e);
        }
    }
}

/// Writes `data` to `path` atomically (see the module documentation).
pub fn write_atomic(path: impl AsRef<Path>, data: &[u8], default_mode: u32) -> Result<()> {
    let mut out = AtomicOutput::create(path, default_mode)?;
    let name = out.name.clone();
    // In pieces: one write of a large buffer is several times slower on Linux than the same
    // bytes in megabyte writes (the page cache takes them in smaller batches).
    for piece in data.chunks(1 << 20) {
        out.file().write_all(piece).map_err(|e| Error::io(&name, e))?;
    }
    out.commit()
}
