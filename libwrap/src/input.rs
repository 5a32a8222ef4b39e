//! Opening inputs: regular files are memory-mapped, everything else (pipes, stdin, devices,
//! empty files) is read into memory. The display name is kept for messages.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use crate::error::{Error, Result};

/// The bytes of an opened input.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// An opened input file and the name used for it in messages.
pub struct Input {
    /// The name as given on the command line.
    pub name: String,
    bytes: Bytes,
}

impl Input {
    /// Opens `path`, mapping it when it is a non-empty regular file.
    pub fn open(path: impl AsRef<Path>) -> Result<Input> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(&name, e))?;
        let meta = file.metadata().map_err(|e| Error::io(&name, e))?;
        if meta.is_dir() {
            return Err(Error::io(&name, std::io::Error::from_raw_os_error(libc::EISDIR)));
        }
        if meta.is_file() && meta.len() > 0 {
            // SAFETY: the map is read-only and private to this process. A concurrent truncation of
            // the input by another process could fault; tl never maps a file it is about to
            // replace (outputs are written to a temporary file and renamed).
            #[allow(unsafe_code)]
            let map = unsafe { memmap2::Mmap::map(&file) };
            if let Ok(map) = map {
                return Ok(Input { name, bytes: Bytes::Mapped(map) });
            }
        }
        let mut data = Vec::new();
        let mut file = file;
        file.read_to_end(&mut data).map_err(|e| Error::io(&name, e))?;
        Ok(Input { name, bytes: Bytes::Owned(data) })
    }

    /// Reads all of standard input.
    pub fn stdin() -> Result<Input> {
        let mut data = Vec::new();
        std::io::stdin().read_to_end(&mut data).map_err(|e| Error::io("<stdin>", e))?;
        Ok(Input { name: "<stdin>".to_string(), bytes: Bytes::Owned(data) })
    }

    /// Wraps bytes already in memory (tests, archive members of thin archives).
    pub fn from_vec(name: impl Into<String>, data: Vec<u8>) -> Input {
        Input { name: name.into(), bytes: Bytes::Owned(data) }
    }

    /// The contents.
    pub fn data(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m) => m,
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
