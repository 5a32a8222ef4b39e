//! Finding `-l` libraries in the `-L` directories, as GNU linkers do.

use std::path::{Path, PathBuf};

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

/// True for a path named like an archive (`.a`).
pub(crate) fn is_archive_path(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "a")
}
