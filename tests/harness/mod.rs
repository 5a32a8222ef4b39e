//! Shared test harness: fixture paths, running tools, temp dirs, reference tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod mutate;

/// The repository root (the tests of `libwrap/` and of `tools/` both sit one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The LLVM 19 fixtures of ELF targets (one or several modules; raw, fat and embedded).
pub const LLVM19_FIXTURES: &[&str] = &[
    "kinds.thin19.o",
    "kinds.full19.o",
    "asm.thin19.o",
    "cxx.thin19.o",
    "cxx.split19.o",
    "prog_main.thin19.o",
    "prog_lib.thin19.o",
    "kinds.emb19.o",
    "kinds.fat19.o",
    "cat19.bc",
];

/// The LLVM 14 fixtures.
pub const LLVM14_FIXTURES: &[&str] =
    &["kinds.thin14.o", "kinds.full14.o", "cxx.thin14.o", "prog_main.thin14.o", "prog_lib.thin14.o", "t14.bc", "cat14.bc", "t14-nodl.bc"];

/// A fixture file.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// Reads a fixture.
pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// True when interop tests (clang-19, lld-19, llvm-19) must run.
pub fn interop() -> bool {
    std::env::var("TL_INTEROP").map(|v| v == "1").unwrap_or(false)
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("tl-test").tempdir().unwrap()
}

/// Runs a command, panicking if it cannot be started.
pub fn run(cmd: &mut Command) -> Output {
    cmd.env("LC_ALL", "C").env("TZ", "UTC");
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns stdout.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Path of a tl binary built for this test run.
pub fn tl(name: &str) -> PathBuf {
    let var = format!("CARGO_BIN_EXE_{name}");
    std::env::var_os(&var).map(PathBuf::from).unwrap_or_else(|| panic!("{var} not set"))
}

/// A command for a tl binary.
pub fn tl_cmd(name: &str) -> Command {
    Command::new(tl(name))
}

/// Parses `nm`-style lines into (letter, name) pairs: `VALUE L NAME` or `         L NAME`.
pub fn parse_nm(text: &str) -> Vec<(char, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let first = it.next().unwrap();
            let (letter, name) =
                if first.len() == 1 { (first, it.next().unwrap_or("")) } else { (it.next().unwrap(), it.next().unwrap_or("")) };
            (letter.chars().next().unwrap(), name.to_string())
        })
        .collect()
}

/// Sorted copy.
pub fn sorted<T: Ord + Clone>(v: &[T]) -> Vec<T> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Path of a tool from LLVM 19 (clang-19 / llvm-19 packages).
pub fn llvm19(tool: &str) -> PathBuf {
    Path::new("/usr/lib/llvm-19/bin").join(tool)
}

/// Checks that an interop tool exists: when TL_INTEROP=1 its absence is a failure.
pub fn require(tool: &Path) {
    assert!(tool.exists(), "{} is required for interop tests (TL_INTEROP=1)", tool.display());
}
