//! Which LTO linker a final link is handed to (tl-ld's policy): an explicit one (`--lto-linker`,
//! `TL_LTO_LINKER`), else the `ld.lld`/`ld.lld-NN` on `PATH` and the Rust toolchain's
//! `gcc-ld/ld.lld`, the oldest whose LLVM is at least as new as the newest module of the link.

use std::path::{Path, PathBuf};

/// An LTO linker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LtoLinker {
    /// The program.
    pub path: PathBuf,
    /// The major version of its LLVM.
    pub llvm_major: u32,
}

/// The LLVM major of an ld.lld, from `--version` ("… LLD 19.1.7 …").
pub fn linker_major(path: &Path) -> Option<u32> {
    let out = std::process::Command::new(path).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text.find("LLD ")?;
    text[at + 4..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// The candidate linkers: `ld.lld` and `ld.lld-NN` on `PATH`, and the Rust toolchain's.
pub fn candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| is_lld_name(p)).collect();
            found.sort();
            out.extend(found);
        }
    }
    if let Ok(o) = std::process::Command::new("rustc").args(["--print", "sysroot"]).output()
        && o.status.success()
    {
        let sysroot = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if let Ok(rustlib) = std::fs::read_dir(sysroot.join("lib/rustlib")) {
            for host in rustlib.filter_map(|e| e.ok()) {
                let p = host.path().join("bin/gcc-ld/ld.lld");
                if p.is_file() {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// `ld.lld` or `ld.lld-NN`.
fn is_lld_name(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "ld.lld" || n.strip_prefix("ld.lld-").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())))
}

/// Picks the linker for modules of LLVM `majors` (see the module documentation); the error is
/// the message to print.
pub fn find_linker(majors: &[u32], explicit: Option<&Path>) -> Result<LtoLinker, String> {
    let need = majors.iter().copied().max().unwrap_or(0);
    if let Some(p) = explicit {
        let llvm_major = linker_major(p).unwrap_or(0);
        return Ok(LtoLinker { path: p.to_path_buf(), llvm_major });
    }
    let mut found: Vec<LtoLinker> =
        candidates().into_iter().filter_map(|p| linker_major(&p).map(|m| LtoLinker { path: p, llvm_major: m })).collect();
    found.sort_by_key(|l| l.llvm_major);
    let have: Vec<String> = found.iter().map(|l| format!("{} (LLVM {})", l.path.display(), l.llvm_major)).collect();
    found.into_iter().find(|l| l.llvm_major >= need).ok_or_else(|| {
        if have.is_empty() {
            format!("no LTO linker found: the link needs an ld.lld of LLVM {need} or newer (none on PATH or in the Rust toolchain; use --lto-linker=PATH)")
        } else {
            format!("no LTO linker can read this bitcode: it needs LLVM {need} or newer, found {}", have.join(", "))
        }
    })
}
