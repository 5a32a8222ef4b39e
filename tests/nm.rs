//! tl-nm against GNU nm 2.40: stdout, stderr (program name aside) and exit status must be equal
//! for every generated input and option combination, and on the system's libc.a, libm.a and
//! libstdc++.a. Bitcode inputs are compared with the stored llvm-nm output of their producer,
//! and (interop) with llvm-nm-19 for the asm symbols of modules without a symbol table.

mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::*;

/// Builds the native inputs in `d`; returns their file names.
fn build_inputs(d: &Path) -> Vec<String> {
    let w = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    w(
        "c.c",
        r#"
int global_data = 1; static int local_data = 2; const int ro_data = 3; int bss_data;
int common_data __attribute__((common)); static int local_bss;
__thread int tls_data = 4; __attribute__((weak)) int weak_data = 5;
__attribute__((visibility("hidden"))) int hidden_data; __attribute__((visibility("protected"))) int prot_data = 6;
extern int undef_data; extern void undef_fn(void); extern void weak_undef(void) __attribute__((weak));
extern int weak_undef_obj __attribute__((weak));
static int local_fn(void) { return local_data + local_bss; }
int global_fn(void) { undef_fn(); if (weak_undef) weak_undef(); return local_fn() + undef_data + weak_undef_obj; }
__attribute__((weak)) int weak_fn(void) { return 1; }
int alias_fn(void) __attribute__((alias("global_fn")));
static int impl(void) { return 7; }
static int (*resolve(void))(void) { return impl; }
int ifn(void) __attribute__((ifunc("resolve")));
static int local_ifn(void) __attribute__((ifunc("resolve")));
int use_local_ifn(void) { return local_ifn(); }
__attribute__((section(".mysec"))) int in_mysec = 8;
__asm__(".globl abs_sym\n.set abs_sym, 0x1234\n.set local_abs, 0x10\n");
__asm__(".section .pdata,\"aw\"\n.globl pdata_sym\npdata_sym: .long 0\n.text\n");
__asm__(".section .comment.x,\"\"\n.globl nonalloc_sym\nnonalloc_sym: .long 0\n.text\n");
"#,
    );
    w(
        "cxx.cpp",
        r#"
#include <stdexcept>
#include <string>
template <typename T> struct Box { T v; explicit Box(T x) : v(x) {} T get() const { return v; } virtual ~Box() {} };
inline int counter() { static int n; return ++n; }
namespace ns { std::string greet(const std::string &s) { return "hi " + s; } }
int use(int x) {
  Box<int> b{x}; Box<long> c{x};
  try { if (x < 0) throw std::runtime_error("neg"); } catch (...) { return -1; }
  return b.get() + (int)c.get() + counter() + (int)ns::greet("x").size();
}
"#,
    );
    w(
        "v.c",
        "int v1(void) { return 1; } int v2(void) { return 2; } int v2_old(void) { return 3; }\n__asm__(\".symver v2_old,v2@VER_1\");\nextern int printf(const char*, ...); int call(void) { return printf(\"x\"); }\n",
    );
    w("v.map", "VER_1 { global: v1; v2; local: *; };\nVER_2 { global: v2; call; } VER_1;\n");
    w("main.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
    w("m32.s", ".text\n.globl f32\nf32: ret\n.data\n.globl d32\nd32: .long 1\n.comm c32,8,4\n");
    w("note.txt", "not an object\n");
    w("empty", "");
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 -fcommon -c c.c -o c.o");
    sh("g++ -O1 -c cxx.cpp -o cxx.o");
    sh("gcc -O1 -fPIC -shared -Wl,--version-script=v.map v.c -o libv.so");
    sh("gcc -O1 main.c -o prog");
    sh("as --32 m32.s -o m32.o");
    sh("as /dev/null -o emptyobj.o");
    sh("gcc -O1 -flto -c c.c -o slim.o");
    sh("cp c.o a_member_with_a_long_file_name.o && ar rcs lib.a c.o cxx.o a_member_with_a_long_file_name.o note.txt");
    sh("mkdir -p sub && cp cxx.o sub/cxx.o && ar rcsT thin.a c.o sub/cxx.o");
    sh("ar rcS noindex.a c.o");
    ["c.o", "cxx.o", "libv.so", "prog", "m32.o", "emptyobj.o", "slim.o", "lib.a", "thin.a", "noindex.a", "note.txt", "empty", "missing.o"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Runs a tool; returns (stdout, stderr with the program name normalised, exit code).
fn outcome(cmd: &mut Command, prog: &str) -> (Vec<u8>, String, Option<i32>) {
    let out = run(cmd);
    let err = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| l.strip_prefix(&format!("{prog}: ")).map(|r| format!("NM: {r}")).unwrap_or_else(|| l.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    (out.stdout, err, out.status.code())
}

fn compare(d: &Path, args: &[&str]) -> Option<String> {
    let tl = outcome(tl_cmd("tl-nm").args(args).current_dir(d), "tl-nm");
    let gnu = outcome(Command::new("nm").args(args).current_dir(d), "nm");
    if tl == gnu {
        return None;
    }
    let (a, b) = (String::from_utf8_lossy(&tl.0), String::from_utf8_lossy(&gnu.0));
    let first = a.lines().zip(b.lines()).find(|(x, y)| x != y);
    Some(format!(
        "nm {}: rc {:?}/{:?}; stderr tl={:?} gnu={:?}; first stdout difference {:?}; lines {}/{}",
        args.join(" "),
        tl.2,
        gnu.2,
        tl.1,
        gnu.1,
        first,
        a.lines().count(),
        b.lines().count()
    ))
}

/// Option sets: every option of the issue, each alone and in the combinations build systems use.
const OPTION_SETS: &[&[&str]] = &[
    &[],
    &["-a"],
    &["--debug-syms"],
    &["-A"],
    &["-o"],
    &["--print-file-name"],
    &["-B"],
    &["-C"],
    &["--demangle"],
    &["--demangle=gnu-v3"],
    &["-C", "--no-demangle"],
    &["-D"],
    &["--dynamic"],
    &["-f", "bsd"],
    &["-f", "sysv"],
    &["-fsysv"],
    &["--format=posix"],
    &["--format", "just-symbols"],
    &["-f", "Posix"],
    &["-g"],
    &["--extern-only"],
    &["-j"],
    &["-n"],
    &["-v"],
    &["--numeric-sort"],
    &["-p"],
    &["--no-sort"],
    &["-P"],
    &["--portability"],
    &["-r"],
    &["--reverse-sort"],
    &["-S"],
    &["--print-size"],
    &["-s"],
    &["--print-armap"],
    &["--size-sort"],
    &["-S", "--size-sort"],
    &["--size-sort", "-r"],
    &["--special-syms"],
    &["-t", "d"],
    &["-to"],
    &["--radix=x"],
    &["-u"],
    &["--undefined-only"],
    &["--defined-only"],
    &["-W"],
    &["--no-weak"],
    &["--ifunc-chars=GL"],
    &["--with-symbol-versions"],
    &["--without-symbol-versions"],
    &["--quiet"],
    &["--target=elf64-x86-64"],
    &["-X", "32_64"],
    &["-e"],
    &["-g", "-n"],
    &["-P", "-A"],
    &["-A", "-P"],
    &["-u", "-A"],
    &["-g", "-C", "-S"],
    &["-n", "-r", "-S"],
    &["-p", "-r"],
    &["-a", "-n", "-f", "sysv"],
    &["-D", "-C", "--with-symbol-versions"],
    &["-D", "-g", "-P"],
    &["-s", "-A"],
    &["-u", "--defined-only"],
    &["--defined-only", "-u"],
    &["-n", "-p"],
    &["-P", "-B"],
    &["-j", "-S"],
    &["-t", "d", "-P", "-S"],
    &["-f", "sysv", "-u"],
    &["-C", "-f", "sysv", "-S"],
];

#[test]
fn differential_against_gnu_nm_on_generated_inputs() {
    let dir = tempdir();
    let d = dir.path();
    let files = build_inputs(d);
    let mut failures = Vec::new();
    let mut runs = 0;
    for opts in OPTION_SETS {
        for f in &files {
            let mut args: Vec<&str> = opts.to_vec();
            if f == "slim.o" {
                // GNU nm would auto-load GCC's LTO plugin from /usr/lib/bfd-plugins; tl reads GCC
                // LTO objects as GNU nm does without it (`--target` bypasses the plugin).
                args.insert(0, "--target=elf64-x86-64");
            }
            args.push(f);
            runs += 1;
            if let Some(e) = compare(d, &args) {
                failures.push(e);
            }
        }
        // Several files at once (headings, exit status = number of failures).
        let mut args: Vec<&str> = opts.to_vec();
        args.extend(["c.o", "lib.a", "missing.o", "note.txt", "cxx.o"]);
        runs += 1;
        if let Some(e) = compare(d, &args) {
            failures.push(e);
        }
    }
    // Diagnostics libtool probes and usage errors (first line only: the usage text is tl's own).
    for args in [
        &["-B", "/dev/null"][..],
        &["/tmp"][..],
        &["--size-sort", "-u", "c.o"][..],
        &["-f", "xyz", "c.o"][..],
        &["-t", "y", "c.o"][..],
        &["-X", "64", "c.o"][..],
    ] {
        runs += 1;
        if let Some(e) = compare(d, args) {
            failures.push(e);
        }
    }
    // No file: a.out.
    std::fs::copy(d.join("prog"), d.join("a.out")).unwrap();
    runs += 1;
    if let Some(e) = compare(d, &[]) {
        failures.push(e);
    }
    assert!(failures.is_empty(), "{} of {runs} comparisons differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn usage_errors_start_like_gnu() {
    let dir = tempdir();
    for args in [&["--bogus-option"][..], &["-k"][..]] {
        let tl = outcome(tl_cmd("tl-nm").args(args).current_dir(dir.path()), "tl-nm");
        let gnu = outcome(Command::new("nm").args(args).current_dir(dir.path()), "nm");
        assert_eq!(tl.2, gnu.2, "{args:?}");
        assert_eq!(tl.1.lines().next(), gnu.1.lines().next(), "{args:?}");
    }
}

#[test]
fn version_text_satisfies_libtool() {
    let out = run_ok(tl_cmd("tl-nm").arg("-V"));
    let text = String::from_utf8(out).unwrap();
    // libtool: `$NM -V 2>&1 | grep 'GNU\|with BFD'` selects the symbol codes including W.
    assert!(text.contains("GNU"), "{text}");
}

#[test]
fn plugin_option_is_accepted_and_ignored() {
    let a = run_ok(tl_cmd("tl-nm").args(["--plugin", "/nonexistent/LLVMgold.so"]).arg(fixture("kinds.gcc.o")));
    let b = run_ok(tl_cmd("tl-nm").arg(fixture("kinds.gcc.o")));
    assert_eq!(a, b);
}

fn system_archives() -> Vec<PathBuf> {
    ["/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib/x86_64-linux-gnu/libm.a", "/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a"]
        .iter()
        .map(PathBuf::from)
        .collect()
}

#[test]
fn system_archives_are_listed_exactly_like_gnu() {
    let mut failures = Vec::new();
    for lib in system_archives() {
        assert!(lib.exists(), "{} is part of the test machine", lib.display());
        for opts in [&[][..], &["-A"], &["-P"], &["-S", "--size-sort"], &["-g", "-n"], &["-C"], &["-s"]] {
            let mut args: Vec<&str> = opts.to_vec();
            args.push(lib.to_str().unwrap());
            if let Some(e) = compare(Path::new("/"), &args) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (letter, name) from tl-nm's output on a bitcode file.
fn tl_symbols(path: &Path, extra: &[&str]) -> Vec<(char, String)> {
    let out = run_ok(tl_cmd("tl-nm").args(extra).arg(path));
    parse_nm(&String::from_utf8(out).unwrap())
}

#[test]
fn bitcode_inputs_show_what_llvm_nm_of_their_producer_shows() {
    let dir = tempdir();
    for f in [
        "kinds.thin19.o",
        "kinds.full19.o",
        "kinds.fat19.o",
        "cxx.split19.o",
        "cat19.bc",
        "kinds.thin14.o",
        "t14.bc",
        "t14-nodl.bc",
        "cat14.bc",
        "prog_lib.darwin19.o",
    ] {
        for (extra, suffix) in [(&[][..], "llvm-nm"), (&["-a"][..], "llvm-nm-a")] {
            let expected = sorted(&parse_nm(&String::from_utf8(read_fixture(&format!("{f}.{suffix}"))).unwrap()));
            assert_eq!(sorted(&tl_symbols(&fixture(f), extra)), expected, "{f} {extra:?}");
            // The same bitcode, wrapped: the same symbols, no warning. Bitcode of several units
            // (llvm-cat) is listed through its mirror, resolved across the modules: a name one
            // module defines is not also listed as undefined.
            if f.ends_with(".bc") || f.contains("thin") || f.contains("full") {
                let w = dir.path().join(format!("{f}.w.o"));
                run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture(f)).arg(&w));
                let out = run(tl_cmd("tl-nm").args(extra).arg(&w));
                assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
                let got = sorted(&parse_nm(&String::from_utf8(out.stdout).unwrap()));
                if f.starts_with("cat") {
                    if extra.is_empty() {
                        let defined: Vec<&String> = expected.iter().filter(|(l, _)| !matches!(l, 'U' | 'w')).map(|(_, n)| n).collect();
                        let mut resolved: Vec<(char, String)> =
                            expected.iter().filter(|(l, n)| !(matches!(l, 'U' | 'w') && defined.contains(&n))).cloned().collect();
                        resolved.dedup();
                        assert_eq!(got, resolved, "wrapped {f}");
                    }
                } else {
                    assert_eq!(got, expected, "wrapped {f}");
                }
            }
        }
    }
    // rustc's LLVM 22 bitcode.
    let expected = sorted(&parse_nm(&String::from_utf8(read_fixture("rlib.22.expected")).unwrap()));
    assert_eq!(sorted(&tl_symbols(&fixture("rlib.22.bc"), &[])), expected);
}

#[test]
fn bitcode_is_laid_out_like_a_native_object() {
    let out = String::from_utf8(run_ok(tl_cmd("tl-nm").arg(fixture("prog_lib.thin19.o")))).unwrap();
    assert_eq!(out, "0000000000000000 T lib_add\n0000000000000000 D lib_counter\n");
    let posix = String::from_utf8(run_ok(tl_cmd("tl-nm").arg("-P").arg(fixture("prog_lib.i686-linux-gnu.o")))).unwrap();
    // i686 ELF: the irsymtab lists _GLOBAL_OFFSET_TABLE_ (as llvm-nm-19 does); 32-bit layout.
    assert_eq!(posix, "_GLOBAL_OFFSET_TABLE_ U         \nlib_add T 0 \nlib_counter D 0 \n");
    let bsd = String::from_utf8(run_ok(tl_cmd("tl-nm").arg(fixture("prog_lib.i686-linux-gnu.o")))).unwrap();
    assert_eq!(bsd, "         U _GLOBAL_OFFSET_TABLE_\n00000000 T lib_add\n00000000 D lib_counter\n");
    // Archives of bitcode: members listed like native members.
    let ar = String::from_utf8(run_ok(tl_cmd("tl-nm").arg(fixture("mixed.a")))).unwrap();
    assert!(ar.contains("\nprog_lib.thin19.o:\n0000000000000000 T lib_add\n0000000000000000 D lib_counter\n"), "{ar}");
    assert!(ar.contains("\nprog_main.thin14.o:\n                 U lib_add\n"), "{ar}");
}

#[test]
fn wrapped_object_mirror_disagreement_is_a_warning() {
    let dir = tempdir();
    let d = dir.path();
    let w = d.join("w.o");
    run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture("prog_lib.thin19.o")).arg(&w));
    // Rename a mirrored symbol with GNU objcopy: the ELF view now disagrees with the bitcode.
    run_ok(Command::new("objcopy").args(["--target=elf64-x86-64", "--redefine-sym", "lib_add=lib_sub"]).arg(&w));
    let out = run(tl_cmd("tl-nm").arg(&w));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: the ELF symbol table disagrees with the bitcode"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("T lib_add"), "the bitcode's view is shown");
    // --no-llvm-bc shows the ELF symbols.
    let elf = String::from_utf8(run_ok(tl_cmd("tl-nm").arg("--no-llvm-bc").arg(&w))).unwrap();
    assert!(elf.contains("T lib_sub") && elf.contains("__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld"), "{elf}");
}

#[test]
fn json_output_has_one_object_per_symbol() {
    let out = String::from_utf8(run_ok(tl_cmd("tl-nm").args(["--format=json"]).arg(fixture("mixed.a")))).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().all(|l| l.starts_with('{') && l.ends_with('}')));
    let lib_add = lines.iter().find(|l| l.contains("\"name\":\"lib_add\"") && l.contains("\"defined\":true")).unwrap();
    for field in [
        "\"file\":",
        "\"member\":\"prog_lib.thin19.o\"",
        "\"module\":0",
        "\"letter\":\"T\"",
        "\"binding\":\"global\"",
        "\"visibility\":\"default\"",
        "\"kind\":\"function\"",
        "\"source\":\"bitcode\"",
        "\"section\":\".text\"",
    ] {
        assert!(lib_add.contains(field), "{field} in {lib_add}");
    }
    let native = lines.iter().find(|l| l.contains("\"name\":\"global_fn\"")).unwrap();
    assert!(native.contains("\"source\":\"elf\"") && native.contains("\"module\":null"), "{native}");
    let count = run_ok(Command::new("nm").arg(fixture("kinds.gcc.o")));
    let native_lines = String::from_utf8(count).unwrap().lines().count();
    let json_native = String::from_utf8(run_ok(tl_cmd("tl-nm").arg("--format=json").arg(fixture("kinds.gcc.o")))).unwrap().lines().count();
    assert_eq!(json_native, native_lines);
}

#[test]
fn summary_shows_modules_functions_and_calls() {
    let dir = tempdir();
    let w = dir.path().join("k.o");
    run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture("kinds.thin19.o")).arg(&w));
    let text = String::from_utf8(run_ok(tl_cmd("tl-nm").arg("--summary").arg(&w))).unwrap();
    assert!(text.contains("module 0: src/kinds.c (x86_64-pc-linux-gnu), LLVM19.1.7, summary thinlto v10"), "{text}");
    assert!(text.contains("from .tl.summary"));
    assert!(text.lines().any(|l| l.trim_start().starts_with("caller insts=") && l.contains("calls=") && l.contains("callee")), "{text}");
    let json = String::from_utf8(run_ok(tl_cmd("tl-nm").args(["--summary", "--format=json"]).arg(&w))).unwrap();
    assert!(json.starts_with('{') && json.contains("\"functions\":[") && json.contains("\"name\":\"caller\""), "{json}");
    // Raw bitcode: computed from the bitcode itself.
    let raw = String::from_utf8(run_ok(tl_cmd("tl-nm").arg("--summary").arg(fixture("kinds.thin14.o")))).unwrap();
    assert!(raw.contains("summary thinlto v9") && !raw.contains("from .tl.summary"), "{raw}");
}

#[test]
fn demangling_matches_gnu_on_libcxx_style_and_modern_cxx() {
    let dir = tempdir();
    let d = dir.path();
    let src = root().join("tests/data/demangle_corpus.cpp");
    for (std, extra) in [("-std=c++17", &[][..]), ("-std=c++20", &["-O1", "-fno-inline"][..])] {
        let o = d.join(format!("corpus{std}.o"));
        run_ok(Command::new("g++").args(["-c", std]).args(extra).arg(&src).arg("-o").arg(&o));
        for opts in [&["-C"][..], &["-C", "-a"], &["-C", "-f", "sysv"], &["--demangle=gnu-v3", "-P"]] {
            let mut args: Vec<&str> = opts.to_vec();
            args.push(o.to_str().unwrap());
            assert_eq!(compare(d, &args), None);
        }
        // The test is not vacuous: the corpus has many mangled names.
        let names = String::from_utf8(run_ok(Command::new("nm").arg(&o))).unwrap();
        assert!(names.matches(" _Z").count() >= 20, "{names}");
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, llvm-19)")]
fn demangling_matches_gnu_on_every_libllvm19_symbol() {
    let lib = Path::new("/usr/lib/llvm-19/lib/libLLVM.so.19.1");
    require(lib);
    assert_eq!(compare(Path::new("/"), &["-D", "-C", lib.to_str().unwrap()]), None);
}

/// Module-level asm in modules without an irsymtab (`llvm-cat -b`): tl-nm reads the asm's
/// symbols as LLVM's RecordStreamer records them, so its sorted listings equal llvm-nm-19's
/// (values aside: llvm-nm prints `-` for every bitcode symbol). Listings in file order (`-p`)
/// are not compared: LLVM lists asm symbols in its hash map's order.
#[test]
fn asm_symbols_of_modules_without_a_symbol_table_match_llvm_nm() {
    if !interop() {
        return;
    }
    let (clang, cat, llvm_nm) = (PathBuf::from("/usr/bin/clang-19"), llvm19("llvm-cat"), llvm19("llvm-nm"));
    for t in [&clang, &cat, &llvm_nm] {
        require(t);
    }
    let d = tempdir();
    for src in ["asm_symbols_a.c", "asm_symbols_b.c", "asm_symbols_c.c"] {
        let bc = d.path().join(src).with_extension("bc");
        let no_symtab = d.path().join(src).with_extension("cat.bc");
        run_ok(Command::new(&clang).args(["-c", "-emit-llvm", "-o"]).arg(&bc).arg(root().join("tests/data").join(src)));
        run_ok(Command::new(&cat).arg("-b").arg(&bc).arg("-o").arg(&no_symtab));
        for opts in [&[][..], &["-g"], &["-u"], &["--defined-only"], &["-r"]] {
            let theirs = String::from_utf8(run_ok(Command::new(&llvm_nm).args(opts).arg(&no_symtab))).unwrap();
            let out = run(tl_cmd("tl-nm").args(opts).arg(&no_symtab));
            assert!(out.status.success() && out.stderr.is_empty(), "{src} {opts:?}: {}", String::from_utf8_lossy(&out.stderr));
            let ours = String::from_utf8(out.stdout).unwrap().replace("0000000000000000 ", "---------------- ");
            assert!(!opts.is_empty() || theirs.lines().count() > 10, "{src}: llvm-nm lists too little:\n{theirs}");
            assert_eq!(ours, theirs, "{src} {opts:?}");
        }
    }
}
