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

/// What one partial link gave: exit status, stderr (the program's name as `LD: `) followed by
/// stdout, and a view of the output when one was written.
pub type LinkOutcome<V> = (Option<i32>, String, Option<V>);

/// Runs `ld -r ARGS -o g.o` and `tl-ld -r ARGS -o t.o` in `d` (each a shell line); returns GNU's
/// outcome and tl's, `view` taking the output's name.
pub fn ld_r_both<V>(d: &Path, args: &str, view: impl Fn(&str) -> V) -> [LinkOutcome<V>; 2] {
    ld_r_both_with(d, "ld", args, view)
}

/// [`ld_r_both`] against another GNU ld (a cross linker's, e.g. `aarch64-linux-gnu-ld`).
pub fn ld_r_both_with<V>(d: &Path, gnu: &str, args: &str, view: impl Fn(&str) -> V) -> [LinkOutcome<V>; 2] {
    [(gnu.to_string(), "g.o"), (tl("tl-ld").display().to_string(), "t.o")].map(|(tool, out)| {
        let _ = std::fs::remove_file(d.join(out));
        let o = run(Command::new("sh").arg("-c").arg(format!("{tool} -r {args} -o {out}")).current_dir(d));
        // (Messages located in the command line or a script follow the name at once:
        // "ld:--defsym:1: ...", "ld:x.lds:3: ...".)
        let stderr = String::from_utf8_lossy(&o.stderr)
            .replace(&format!("{tool}: "), "LD: ")
            .replace("tl-ld: ", "LD: ")
            .lines()
            .map(|l| match l.strip_prefix(&format!("{tool}:")).or_else(|| l.strip_prefix("tl-ld:")) {
                Some(rest) => format!("LD:{rest}\n"),
                None => format!("{l}\n"),
            })
            .collect::<String>();
        let v = d.join(out).exists().then(|| view(out));
        (o.status.code(), format!("{stderr}{}", String::from_utf8_lossy(&o.stdout)), v)
    })
}

/// Runs every `ld -r ARGS` line of `links` through GNU ld and tl-ld ([`ld_r_both`]) and
/// asserts that status, stderr and stdout, and `view` of the outputs are equal, listing each
/// differing link with the lines only one side has.
pub fn assert_ld_r_links_match(d: &Path, links: &[&str], view: impl Fn(&str) -> String) {
    let mut failures = Vec::new();
    for args in links {
        let seen = ld_r_both(d, args, &view);
        if seen[0] != seen[1] {
            let only = |a: &Option<String>, b: &Option<String>| {
                let (a, b) = (a.clone().unwrap_or_default(), b.clone().unwrap_or_default());
                a.lines().filter(|l| !b.lines().any(|m| m == *l)).take(14).collect::<Vec<_>>().join("\n  ")
            };
            failures.push(format!(
                "ld -r {args}: status {:?}/{:?} stderr {:?}/{:?}\n only GNU:\n  {}\n only tl:\n  {}",
                seen[0].0,
                seen[1].0,
                seen[0].1,
                seen[1].1,
                only(&seen[0].2, &seen[1].2),
                only(&seen[1].2, &seen[0].2)
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), links.len(), failures.join("\n"));
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

/// `readelf -SW -sW -rW -gW` of an object with section numbers replaced by names, offsets,
/// indices and the sizes of tables a writer lays out differently left out, lines sorted: what
/// two writers of the same object must agree on.
pub fn readelf_normalised(obj: &Path) -> String {
    let readelf = |flag: &str| String::from_utf8(run_ok(Command::new("readelf").arg(flag).arg(obj))).unwrap();
    // Sections: number -> name, and the lines without numbers, offsets and indices.
    let sections = readelf("-SW");
    let mut names: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut rows = Vec::new();
    for line in sections.lines() {
        let Some(rest) = line.trim_start().strip_prefix('[') else { continue };
        let Some((num, rest)) = rest.split_once(']') else { continue };
        let num = num.trim();
        if num == "Nr" || num == "0" {
            continue;
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Name Type Address Off Size ES [Flg] Lk Inf Al
        let name = fields[0].to_string();
        names.insert(num.to_string(), name.clone());
        rows.push((num.to_string(), fields.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
    }
    let name_of = |n: &str| names.get(n).cloned().unwrap_or_else(|| n.to_string());
    let mut out = Vec::new();
    for (_, f) in &rows {
        let (name, typ, size, es) = (&f[0], &f[1], &f[4], &f[5]);
        let has_flags = f.len() == 10;
        let flags = if has_flags { f[6].as_str() } else { "" };
        let (lk, inf, al) = if has_flags { (&f[7], &f[8], &f[9]) } else { (&f[6], &f[7], &f[8]) };
        let variable = matches!(name.as_str(), ".eh_frame" | ".rela.eh_frame" | ".symtab" | ".strtab" | ".shstrtab");
        let size = if variable { "-" } else { size };
        let inf = if typ == "RELA" || typ == "REL" {
            name_of(inf)
        } else if typ == "SYMTAB" || typ == "GROUP" {
            "-".into()
        } else {
            inf.clone()
        };
        let lk = if lk == "0" { "-".to_string() } else { name_of(lk) };
        out.push(format!("section {name} {typ} size={size} es={es} flags={flags} link={lk} info={inf} align={al}"));
    }
    // Symbols.
    for line in readelf("-sW").lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 || !f[0].ends_with(':') || f[0] == "0:" {
            continue;
        }
        let ndx = match f[6] {
            "UND" | "ABS" | "COM" => f[6].to_string(),
            n => name_of(n),
        };
        let name = if f[3] == "SECTION" { format!("[{ndx}]") } else { f.get(7).map(|s| s.to_string()).unwrap_or_default() };
        out.push(format!("symbol {name} value={} size={} {} {} {} in {ndx}", f[1], f[2], f[3], f[4], f[5]));
    }
    // Relocations: per section, sorted by offset.
    let mut current = String::new();
    for line in readelf("-rW").lines() {
        if let Some(rest) = line.strip_prefix("Relocation section '") {
            current = rest.split('\'').next().unwrap_or("").to_string();
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 || !f[0].chars().all(|c| c.is_ascii_hexdigit()) || f[0].len() < 8 {
            continue;
        }
        let target = f.get(4..).map(|t| t.join(" ")).unwrap_or_default();
        // tl-ld keeps REL `.eh_frame` sections whole (GNU edits them), so their relocations are
        // compared without offsets; RELA ones with.
        let offset = if current == ".rel.eh_frame" { "-" } else { f[0] };
        out.push(format!("reloc {current} {offset} {} {target}", f[2]));
    }
    // Groups.
    let groups = readelf("-gW");
    let mut group = String::new();
    for line in groups.lines() {
        if let Some(rest) = line.strip_prefix("COMDAT group section") {
            group = rest.split('[').nth(2).map(|s| s.trim_end_matches(|c| c != ']').trim_end_matches(']').to_string()).unwrap_or_default();
            continue;
        }
        let t = line.trim();
        if let Some(rest) = t.strip_prefix('[')
            && let Some((_, name)) = rest.split_once(']')
            && !name.trim().is_empty()
            && !name.contains("Name")
        {
            out.push(format!("group {group} member {}", name.trim()));
        }
    }
    out.sort();
    out.join("\n")
}

/// `readelf -hlSsrnW --dyn-syms` with what may differ removed: the section header table's
/// place and count (the string tables' sizes differ: GNU does not merge string tails), the
/// string tables' rows.
pub fn image_readelf(f: &Path) -> String {
    // (readelf fails on a program left without the interpreter or dynamic section its
    // headers name: what it says is compared too.)
    let out = run(Command::new("readelf").args(["-hlSsrnW", "--dyn-syms"]).arg(f));
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr);
    let dropped = ["Start of section headers", "section headers, starting at offset", "Section header string table index"];
    text.lines()
        .filter(|l| !dropped.iter().any(|x| l.contains(x)))
        .map(|l| {
            if l.contains("] .strtab ") || l.contains("] .shstrtab ") {
                l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// (name, type, offset, size) of each section, from `readelf -SW`.
fn image_sections(f: &Path) -> Vec<(String, String, u64, u64)> {
    let text = String::from_utf8(run_ok(Command::new("readelf").arg("-SW").arg(f))).unwrap();
    let hex = |s: &str| u64::from_str_radix(s, 16).unwrap_or(0);
    text.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?.split_once(']')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            (f.len() >= 5 && f[0] != "Name").then(|| (f[0].to_string(), f[1].to_string(), hex(f[3]), hex(f[4])))
        })
        .collect()
}

/// Where the load segments' bytes end, from `readelf -lW`.
fn image_loads_end(f: &Path) -> usize {
    let text = String::from_utf8(run_ok(Command::new("readelf").arg("-lW").arg(f))).unwrap();
    let hex = |s: &str| usize::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0);
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.first() == Some(&"LOAD"))
        .map(|f| hex(f[1]) + hex(f[4]))
        .max()
        .unwrap_or(64)
}

/// The bytes GNU's output and tl's must share: the load segments (program headers included)
/// and every section's contents but the string tables' and the symbol table's (whose names
/// point into them).
pub fn image_bytes_differ(g: &Path, t: &Path) -> Option<String> {
    let (gb, tb) = (std::fs::read(g).unwrap(), std::fs::read(t).unwrap());
    // (A debug file's empty load segments may start past its symbol table.)
    let tables =
        image_sections(g).into_iter().filter(|s| matches!(s.0.as_str(), ".symtab" | ".strtab" | ".shstrtab")).map(|s| s.2 as usize);
    let end = tables.fold(image_loads_end(g), usize::min).max(64);
    if gb.len() < end || tb.len() < end || gb[64..end] != tb[64..end] {
        return Some(format!("load segments differ (first at {:?})", (64..end).find(|&i| gb.get(i) != tb.get(i))));
    }
    let (gs, ts) = (image_sections(g), image_sections(t));
    let names = |v: &[(String, String, u64, u64)]| v.iter().map(|s| s.0.clone()).collect::<Vec<_>>();
    if names(&gs) != names(&ts) {
        return Some(format!("sections differ: {:?} / {:?}", names(&gs), names(&ts)));
    }
    for ((name, typ, go, size), (_, _, to, _)) in gs.into_iter().zip(ts) {
        if typ == "NOBITS" || matches!(name.as_str(), ".strtab" | ".shstrtab" | ".symtab") {
            continue;
        }
        let range = |b: &[u8], at: u64| b.get(at as usize..(at + size) as usize).map(<[u8]>::to_vec);
        if range(&gb, go) != range(&tb, to) {
            return Some(format!("{name} differs"));
        }
    }
    None
}

/// GNU objcopy names its temporary output (`stXXXXXX`, in the output's directory) in the
/// messages BFD gives while writing; such a name reads `FILE`, as the file's own name does.
pub fn gnu_temporary_named_file(stderr: &str) -> String {
    let mut out = String::with_capacity(stderr.len());
    let mut rest = stderr;
    while let Some(at) = rest.find("TOOL: st") {
        let (head, tail) = rest.split_at(at + "TOOL: ".len());
        out.push_str(head);
        let name = &tail[2..];
        let temp =
            name.len() > 6 && name.as_bytes()[..6].iter().all(u8::is_ascii_alphanumeric) && matches!(name.as_bytes()[6], b':' | b'[');
        if temp {
            out.push_str("FILE");
            rest = &name[6..];
        } else {
            out.push_str("st");
            rest = name;
        }
    }
    out.push_str(rest);
    out
}

/// GNU's tool and tl's run on a copy each of a file (`g-NAME`, `t-NAME`), changed in place.
pub struct InPlace {
    /// The copies' names.
    pub g: String,
    pub t: String,
    /// Exit statuses.
    pub gnu_status: Option<i32>,
    pub tl_status: Option<i32>,
    /// Standard error, the program names read `TOOL` and the files (GNU's temporary files
    /// too) `FILE`.
    pub gnu_stderr: String,
    pub tl_stderr: String,
}

/// Runs `gnu` and `tl_tool` with `opts` on a copy each of `input` in `d` (see [`InPlace`]).
pub fn in_place_both(d: &Path, gnu: &str, tl_tool: &str, opts: &str, input: &str) -> InPlace {
    let (g, t) = (format!("g-{input}"), format!("t-{input}"));
    std::fs::copy(d.join(input), d.join(&g)).unwrap();
    std::fs::copy(d.join(input), d.join(&t)).unwrap();
    let go = run(Command::new("sh").arg("-c").arg(format!("{gnu} {opts} {g}")).current_dir(d));
    let to = run(Command::new("sh").arg("-c").arg(format!("{} {opts} {t}", tl(tl_tool).display())).current_dir(d));
    let msg = |o: &Output, prog: &str, file: &str| {
        gnu_temporary_named_file(&String::from_utf8_lossy(&o.stderr).replace(&format!("{prog}: "), "TOOL: ").replace(file, "FILE"))
    };
    let (gnu_stderr, tl_stderr) = (msg(&go, gnu, &g), msg(&to, tl_tool, &t));
    InPlace { gnu_status: go.status.code(), tl_status: to.status.code(), gnu_stderr, tl_stderr, g, t }
}
