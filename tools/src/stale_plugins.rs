//! The warning about stale LLVM plugins in BFD's plugin directory.
//!
//! GNU ar and nm load every plugin in `/usr/lib/bfd-plugins` on their own. An LLVMgold older
//! than the bitcode it meets (LLVM 14's on a stock Debian/Ubuntu machine, with LLVM 19
//! bitcode) takes a wrapped object's `.llvmbc` for the object's bitcode, fails to read it, and
//! GNU ar writes an empty index and GNU nm says "no symbols", exit status 0. tl-objcopy
//! --wrap-bitcode and tl-cc say so once, when they wrap such bitcode.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// BFD's automatic plugin directory (binutils' `bfd/plugin.c`, `$libdir/bfd-plugins`).
const BFD_PLUGIN_DIR: &str = "/usr/lib/bfd-plugins";

static WARNED: AtomicBool = AtomicBool::new(false);

/// The LLVM major of an LLVMgold plugin, from its name (`LLVMgold-14.so`) or the directory
/// its link points into (`/usr/lib/llvm-14/lib/LLVMgold.so`).
fn plugin_major(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    if !name.starts_with("LLVMgold") {
        return None;
    }
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok();
    if let Some(v) = name.strip_prefix("LLVMgold-").and_then(digits) {
        return Some(v);
    }
    let target = std::fs::canonicalize(path).ok()?;
    target.components().rev().find_map(|c| c.as_os_str().to_str()?.strip_prefix("llvm-").and_then(digits))
}

/// The LLVMgold plugins in `dir` older than LLVM `major`, with their versions.
fn stale_plugins(dir: &Path, major: u32) -> Vec<(PathBuf, u32)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut stale: Vec<(PathBuf, u32)> =
        entries.flatten().map(|e| e.path()).filter_map(|p| plugin_major(&p).map(|v| (p, v))).filter(|&(_, v)| v < major).collect();
    stale.sort();
    stale
}

/// Warns (once a process) when a plugin GNU's tools load is older than the newest LLVM that
/// wrote `bitcode`. `TL_NO_PLUGIN_WARNING=1` silences it.
pub fn warn_once(bitcode: &[u8], err: &mut dyn Write, prog: &str) {
    if WARNED.load(Ordering::Relaxed) || std::env::var_os("TL_NO_PLUGIN_WARNING").is_some_and(|v| v != "0") {
        return;
    }
    let Some(major) = libwrap::bitcode::module::llvm_majors(bitcode).into_iter().max() else { return };
    let dir = std::env::var_os("TL_BFD_PLUGIN_DIR").map_or_else(|| PathBuf::from(BFD_PLUGIN_DIR), PathBuf::from);
    let stale = stale_plugins(&dir, major);
    let Some((path, version)) = stale.first() else { return };
    WARNED.store(true, Ordering::Relaxed);
    let _ = writeln!(
        err,
        "{prog}: warning: {} (LLVM {version}) is older than this bitcode (LLVM {major}): GNU ar and nm load it and will \
         not see the symbols of wrapped objects; use tl-ar and tl-nm as AR and NM, or give GNU's tools \
         --plugin /usr/lib/llvm-{major}/lib/LLVMgold.so or --target=elf64-x86-64 (see tl-wrap(5))",
        path.display()
    );
}
