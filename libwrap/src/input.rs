//! Opening inputs: large regular files are memory-mapped, everything else (small files, pipes,
//! stdin, devices) is read into memory. The display name and the file's metadata are kept.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use crate::error::{Error, Result};

/// The bytes of an opened input.
enum Bytes {
    /// The map and the file it maps (outputs copy from the file what they take unchanged).
    Mapped(memmap2::Mmap, File),
    Owned(Vec<u8>),
}

/// An opened input file and the name used for it in messages.
pub struct Input {
    /// The name as given on the command line.
    pub name: String,
    bytes: Bytes,
    meta: Option<std::fs::Metadata>,
}

/// Files at least this large are mapped rather than read.
const MAP_THRESHOLD: u64 = 256 * 1024;

impl Input {
    /// Opens `path`, mapping it when it is a large regular file.
    pub fn open(path: impl AsRef<Path>) -> Result<Input> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let meta = file.metadata().map_err(|e| Error::io(&name, e))?;
        if meta.is_dir() {
            return Err(Error::io(&name, std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        // Small files are read: for them a map costs more system time than a copy (tl-ar opens
        // thousands of small objects).
        if meta.is_file() && meta.len() >= MAP_THRESHOLD {
            // SAFETY: the map is read-only and private to this process. A concurrent truncation of
            // the input by another process could fault; tl never maps a file it is about to
            // replace (outputs are written to a temporary file and renamed).
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) };
            if let Ok(map) = map {
                return Ok(Input { name, bytes: Bytes::Mapped(map, file), meta: Some(meta) });
            }
        }
        let mut file = file;
        let data = if meta.is_file() {
            // The size is known: one read, without std's extra fstat and lseek per file.
            let mut data = vec![0; usize::try_from(meta.len()).unwrap_or(0)];
            file.read_exact(&mut data).map_err(|e| Error::io(&name, e))?;
            data
        } else {
            let mut data = Vec::new();
            file.read_to_end(&mut data).map_err(|e| Error::io(&name, e))?;
            data
        };
        Ok(Input { name, bytes: Bytes::Owned(data), meta: Some(meta) })
    }

    /// The file's metadata, taken when it was opened (none for stdin and in-memory inputs).
    pub(crate) fn metadata(&self) -> Option<&std::fs::Metadata> {
        self.meta.as_ref()
    }

    /// Wraps bytes already in memory (tests, archive members of thin archives).
    pub fn from_vec(name: impl Into<String>, data: Vec<u8>) -> Input {
        Input { name: name.into(), bytes: Bytes::Owned(data), meta: None }
    }

    /// The file a mapped input's [`Input::data`] maps.
    pub(crate) fn mapped_file(&self) -> Option<&File> {
        match &self.bytes {
            Bytes::Mapped(_, f) => Some(f),
            Bytes::Owned(_) => None,
        }
    }

    /// The contents.
    pub fn data(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m, _) => m,
            Bytes::Owned(v) => v,
        }
    }
}

impl Deref for Input {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.data()
    }
}
