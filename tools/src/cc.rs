//! tl-cc / tl-c++: a compiler-driver wrapper in the style of ccache. It runs the real compiler
//! with the user's arguments; when a compile (`-c`) writes LLVM bitcode (`-flto`,
//! `-flto=thin`), it wraps each output object in place (atomically); on a link with clang it
//! passes `--ld-path=tl-ld` unless the user chose a linker. Everything else passes through, and
//! the exit status and diagnostics are the compiler's.
//!
//! The real compiler is the first argument when it names a program (`tl-cc clang-19 ...`,
//! `tl-cc ccache clang ...`), else `$TL_CC` / `$TL_CXX` (default `clang` / `clang++`).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use libwrap::objcopy::{self, Config, Operation};

use crate::cli;

/// Extensions of what a compiler takes as input (so `tl-cc foo.c` is not a compiler named
/// foo.c).
const INPUT_EXTENSIONS: &[&str] =
    &["c", "cc", "cpp", "cxx", "c++", "C", "m", "mm", "i", "ii", "s", "S", "o", "a", "so", "bc", "ll", "h", "hh", "hpp"];

/// True when `word` names a program on `PATH` (or is a path to one) and not an input.
fn is_program(word: &str) -> bool {
    if word.starts_with('-') || word.starts_with('@') {
        return false;
    }
    if Path::new(word).extension().is_some_and(|e| INPUT_EXTENSIONS.contains(&e.to_string_lossy().as_ref())) {
        return false;
    }
    if word.contains('/') {
        return Path::new(word).is_file();
    }
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(word).is_file()))
}

/// What the command line asks the compiler to do.
#[derive(Default, Debug)]
struct Invocation {
    compile_only: bool,
    stops_early: bool,
    lto: bool,
    linker_chosen: bool,
    output: Option<String>,
    sources: Vec<String>,
    inputs: usize,
}

/// Reads the (response-file expanded) arguments.
fn analyse(args: &[String]) -> Invocation {
    let mut inv = Invocation::default();
    let mut i = 0;
    // Options whose value is the next argument (the ones that matter here and common others).
    let with_value = [
        "-o", "-MF", "-MT", "-MQ", "-x", "-I", "-D", "-U", "-include", "-isystem", "-iquote", "-L", "-l", "-target", "-Xlinker", "-Xclang",
        "-arch",
    ];
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        match a {
            "-c" => inv.compile_only = true,
            "-S" | "-E" | "-M" | "-MM" | "-fsyntax-only" => inv.stops_early = true,
            "-o" => inv.output = args.get(i).cloned(),
            "-fno-lto" => inv.lto = false,
            _ if a == "-flto" || a.starts_with("-flto=") => inv.lto = true,
            _ if a.starts_with("-fuse-ld=") || a.starts_with("--ld-path=") => inv.linker_chosen = true,
            _ if a.starts_with("-o") && a.len() > 2 => inv.output = Some(a[2..].to_string()),
            _ if !a.starts_with('-') => {
                inv.inputs += 1;
                if Path::new(a).extension().is_some_and(|e| !matches!(e.to_string_lossy().as_ref(), "o" | "a" | "so" | "bc")) {
                    inv.sources.push(a.to_string());
                }
            }
            _ => {}
        }
        if with_value.contains(&a) {
            i += 1;
        }
    }
    inv
}

/// The objects a compile writes: `-o` for one source, else each source's basename with `.o`.
fn outputs(inv: &Invocation) -> Vec<PathBuf> {
    match &inv.output {
        Some(o) if o != "-" => vec![PathBuf::from(o)],
        Some(_) => Vec::new(),
        None => inv
            .sources
            .iter()
            .map(|s| Path::new(s).file_stem().map(|n| PathBuf::from(format!("{}.o", n.to_string_lossy()))).unwrap_or_default())
            .collect(),
    }
}

/// tl-ld beside this program (else on `PATH`).
fn tl_ld() -> PathBuf {
    std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("tl-ld"))).filter(|p| p.is_file()).unwrap_or_else(|| "tl-ld".into())
}

/// Wraps, in place, the raw bitcode objects a compile wrote (as `tl-objcopy --wrap-bitcode
/// FILE` would); returns the messages of those that failed.
fn wrap_outputs(paths: &[PathBuf], err: &mut dyn Write, prog: &str) -> Vec<String> {
    let config = Config { operation: Operation::WrapBitcode, ..Config::default() };
    let mut failed = Vec::new();
    for p in paths {
        let Ok(data) = std::fs::read(p) else { continue };
        if !libwrap::bitcode::container::is_bitcode(&data) || data.starts_with(b"\x7fELF") {
            continue;
        }
        crate::stale_plugins::warn_once(&data, err, prog);
        match objcopy::run(&config, p, None) {
            Ok(report) => failed.extend(report.errors),
            Err(e) => failed.push(cli::gnu_message(&e)),
        }
    }
    failed
}

/// Runs tl-cc (`cxx`: tl-c++) with `args` (argv[0] first); returns the exit status.
pub fn run(args: Vec<OsString>, err: &mut dyn Write, cxx: bool) -> i32 {
    let prog = cli::program_name(&args, if cxx { "tl-c++" } else { "tl-cc" });
    let mut words: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    // The compiler: named first (through ccache-like wrappers), or from the environment.
    let mut command: Vec<String> = Vec::new();
    while let Some(first) = words.first()
        && is_program(first)
    {
        let is_wrapper = matches!(Path::new(first).file_name().and_then(|n| n.to_str()), Some("ccache" | "sccache" | "distcc"));
        command.push(words.remove(0));
        if !is_wrapper {
            break;
        }
    }
    if command.is_empty() {
        let (var, default) = if cxx { ("TL_CXX", "clang++") } else { ("TL_CC", "clang") };
        command.push(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    }
    let expanded: Vec<String> = cli::expand_args(std::iter::once(OsString::from("cc")).chain(words.iter().map(OsString::from)).collect())
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let inv = analyse(&expanded);
    let compiler_name =
        command.last().map(|c| Path::new(c).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).unwrap_or_default();
    let mut extra: Vec<String> = Vec::new();
    let links = !inv.compile_only && !inv.stops_early && inv.inputs > 0;
    if links && !inv.linker_chosen && compiler_name.contains("clang") {
        extra.push(format!("--ld-path={}", tl_ld().display()));
    }
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]).args(&extra).args(&words);
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) => {
            cli::error(err, &prog, format!("cannot run {}: {}", command[0], libwrap::error::io_message(&e)));
            return 127;
        }
    };
    let code = status.code().unwrap_or(1);
    if code != 0 || !inv.compile_only || inv.stops_early || !inv.lto {
        return code;
    }
    let failed = wrap_outputs(&outputs(&inv), err, &prog);
    for f in &failed {
        cli::error(err, &prog, f);
    }
    if failed.is_empty() { 0 } else { 1 }
}

/// True when the program was called by a C++ name (`tl-c++`, `tl-cxx`, `c++`).
fn called_as_cxx(args: &[OsString]) -> bool {
    args.first().and_then(|a| Path::new(a).file_name()).is_some_and(|n| {
        let n = n.to_string_lossy();
        n.ends_with("++") || n.ends_with("cxx")
    })
}

/// Entry point of tl-cc (C++ when called as `tl-c++`: Cargo cannot name a binary with `+`, so
/// `tl-c++` is a link to tl-cc or tl-cxx).
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cxx = called_as_cxx(&args);
    run(args, &mut std::io::stderr().lock(), cxx)
}

/// Entry point of tl-cxx.
pub fn main_cxx() -> i32 {
    run(std::env::args_os().collect(), &mut std::io::stderr().lock(), true)
}
