//! tl-ld against GNU ld 2.40. Partial links (`-r`): each scenario is compiled with gcc/g++,
//! linked with `tl-ld -r` and with GNU `ld -r`, both results are linked into programs that must
//! run and print the same thing, and `readelf -SW`, `-sW`, `-rW` and `-gW` of both must agree in
//! a normalised form (section and symbol numbers replaced by names, lists sorted; `.eh_frame`'s
//! relocations with their offsets, R_*_NONE of dropped records included; the system libc.a's
//! `.text` and `.eh_frame` also byte for byte). Bitcode partial links and final links through
//! ld.lld are in the interop tests.

mod harness;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use harness::*;

/// Writes the scenario's files into `d`.
fn write_files(d: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(d.join(name), text).unwrap();
    }
}

/// One acceptance scenario: compile `sources` with `compile` (a shell command run in the
/// directory, producing the objects), partial-link with `link_args` through GNU ld and tl-ld,
/// link the result (plus `main_objects`) with `final_cc` and run it.
struct Scenario<'a> {
    name: &'a str,
    files: &'a [(&'a str, &'a str)],
    compile: &'a str,
    link_args: &'a str,
    final_cc: &'a str,
    extra: &'a str,
}

fn check(s: &Scenario<'_>) {
    let d = tempdir();
    let p = d.path();
    write_files(p, s.files);
    run_ok(Command::new("sh").arg("-c").arg(s.compile).current_dir(p));
    let args: Vec<&str> = s.link_args.split_whitespace().collect();
    run_ok(Command::new("ld").arg("-r").args(&args).args(["-o", "gnu.o"]).current_dir(p));
    let out = run(tl_cmd("tl-ld").arg("-r").args(&args).args(["-o", "tl.o"]).current_dir(p));
    assert!(out.status.success(), "{}: tl-ld failed: {}", s.name, String::from_utf8_lossy(&out.stderr));
    let gnu_err = run(Command::new("ld").arg("-r").args(&args).args(["-o", "gnu2.o"]).current_dir(p));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).replace("tl-ld:", "ld:"),
        String::from_utf8_lossy(&gnu_err.stderr),
        "{}: warnings differ",
        s.name
    );
    for (obj, prog) in [("gnu.o", "prog_gnu"), ("tl.o", "prog_tl")] {
        run_ok(Command::new("sh").arg("-c").arg(format!("{} {obj} {} -o {prog}", s.final_cc, s.extra)).current_dir(p));
    }
    let gnu_run = run_ok(&mut Command::new(p.join("prog_gnu")));
    let tl_run = run_ok(&mut Command::new(p.join("prog_tl")));
    assert_eq!(String::from_utf8_lossy(&tl_run), String::from_utf8_lossy(&gnu_run), "{}: program output", s.name);
    let (g, t) = (readelf_normalised(&p.join("gnu.o")), readelf_normalised(&p.join("tl.o")));
    if g != t {
        let gl: Vec<&str> = g.lines().collect();
        let tl: Vec<&str> = t.lines().collect();
        let only_gnu: Vec<&&str> = gl.iter().filter(|l| !tl.contains(l)).collect();
        let only_tl: Vec<&&str> = tl.iter().filter(|l| !gl.contains(l)).collect();
        panic!("{}: readelf differs\nonly GNU ld -r:\n{}\nonly tl-ld -r:\n{}", s.name, join(&only_gnu), join(&only_tl));
    }
}

fn join(lines: &[&&str]) -> String {
    lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn c_program_with_data_bss_rodata_and_static_functions() {
    check(&Scenario {
        name: "c",
        files: &[
            (
                "a.c",
                "#include <stdio.h>\nstatic int hidden_counter;\nconst char *greeting = \"hello\";\nint table[4] = {1, 2, 3, 4};\nstatic int add(int x) { return x + table[x & 3]; }\nint a_fn(int x) { hidden_counter++; return add(x); }\n",
            ),
            (
                "b.c",
                "#include <stdio.h>\nextern const char *greeting;\nint a_fn(int);\nstatic int hidden_counter = 5;\nint main(void) { printf(\"%s %d %d\\n\", greeting, a_fn(2), hidden_counter); return 0; }\n",
            ),
        ],
        compile: "gcc -O1 -c a.c b.c",
        link_args: "a.o b.o",
        final_cc: "gcc",
        extra: "",
    });
}

#[test]
fn gcc_lto_objects_partial_link_like_gnu_ld_and_link_with_gcc_flto() {
    // GNU ld -r loads no plugin: GCC's LTO sections are carried (`.gnu.lto_.opts` of both inputs
    // joined), `__gnu_lto_slim` stays common, and `gcc -flto` links the result (lto1 reads it).
    check(&Scenario {
        name: "gcc-lto",
        files: &[
            ("a.c", "int counter = 3;\nstatic int twice(int x) { return 2 * x; }\nint a_fn(int x) { return twice(x) + counter; }\n"),
            ("b.c", "#include <stdio.h>\nint a_fn(int);\nint main(void) { printf(\"%d\\n\", a_fn(20)); return 0; }\n"),
            ("c.cc", "template <typename T> T twice(T x) { return x + x; }\nint c_fn(int x) { return twice(x) + twice<long>(x); }\n"),
        ],
        compile: "gcc -O2 -flto -c a.c b.c && gcc -O2 -flto -ffat-lto-objects -c c.cc",
        link_args: "a.o b.o c.o",
        final_cc: "gcc -O2 -flto",
        extra: "",
    });
}

#[test]
fn cxx_exceptions_and_inline_functions_in_comdat_across_objects() {
    let header = "#include <cstdio>\n#include <stdexcept>\ninline int inl(int x) { static int n; return x + ++n; }\ntemplate <class T> T tw(T x) { if (x < 0) throw std::runtime_error(\"neg\"); return x * 2; }\nstruct Base { virtual ~Base() {} virtual int f() { return 1; } };\n";
    let c1 = format!(
        "{header}int f1(int x) {{ try {{ return tw(x); }} catch (const std::exception &e) {{ return -1; }} }}\nint u1() {{ Base b; return inl(1) + b.f(); }}\n"
    );
    let c2 = format!(
        "{header}int f2(int x) {{ return tw(x) + inl(x); }}\nint f1(int); int u1();\nint main() {{ std::printf(\"%d %d %d %d\\n\", f1(-1), f1(3), f2(4), u1()); return 0; }}\n"
    );
    let c3 = format!("{header}int f3() {{ return tw(5) + inl(0); }}\n");
    check(&Scenario {
        name: "c++",
        files: &[("c1.cpp", &c1), ("c2.cpp", &c2), ("c3.cpp", &c3)],
        compile: "g++ -O0 -c c1.cpp c2.cpp c3.cpp",
        link_args: "c1.o c2.o c3.o",
        final_cc: "g++",
        extra: "",
    });
}

#[test]
fn archives_with_undefined_and_whole_archive_and_groups() {
    let files: &[(&str, &str)] = &[
        ("m.c", "#include <stdio.h>\nint lib_a(void); int forced(void);\nint main(void) { printf(\"%d\\n\", lib_a()); return 0; }\n"),
        ("la.c", "int lib_b(void); int lib_a(void) { return lib_b() + 1; }\n"),
        ("lb.c", "int lib_c(void); int lib_b(void) { return lib_c() + 10; }\n"),
        ("lc.c", "int lib_a(void); int lib_c(void) { return 100; } int lib_c_unused(void) { return lib_a(); }\n"),
        ("forced.c", "int forced(void) { return 7; }\n"),
        ("unused.c", "int unused_member(void) { return 9; }\n"),
    ];
    // lib_a needs lib_b (lib2) which needs lib_c (lib1, earlier): only a group finds it.
    let compile =
        "gcc -O1 -c *.c && ar rcs lib1.a lc.o && ar rcs lib2.a lb.o forced.o unused.o && ar rcs lib3.a la.o && ar rcs whole.a unused.o";
    for (name, args) in [
        ("archives", "m.o lib3.a lib2.a lib1.a"),
        ("-u", "-u forced m.o lib3.a lib2.a lib1.a"),
        ("--whole-archive", "m.o --whole-archive whole.a --no-whole-archive lib3.a lib2.a lib1.a"),
        ("group", "m.o --start-group lib1.a lib3.a lib2.a --end-group"),
    ] {
        check(&Scenario { name, files, compile, link_args: args, final_cc: "gcc", extra: "" });
    }
}

#[test]
fn many_sections_tls_init_array_and_mergeable_strings() {
    check(&Scenario {
        name: "sections",
        files: &[
            (
                "s1.c",
                "#include <stdio.h>\n__thread int tls_counter = 3;\n__thread int tls_zero;\nstatic void __attribute__((constructor)) init1(void) { tls_counter += 10; }\nconst char *s1(void) { return \"shared string\"; }\nint f1(void) { return tls_counter + tls_zero; }\n",
            ),
            (
                "s2.c",
                "#include <stdio.h>\nextern __thread int tls_counter;\nstatic void __attribute__((constructor)) init2(void) { tls_counter *= 2; }\nconst char *s1(void); int f1(void);\nconst char *s2(void) { return \"shared string\"; }\nint main(void) { printf(\"%d %s %s %d\\n\", f1(), s1(), s2(), s1() == s2()); return 0; }\n",
            ),
        ],
        compile: "gcc -O1 -ffunction-sections -fdata-sections -c s1.c s2.c",
        link_args: "s1.o s2.o",
        final_cc: "gcc",
        extra: "",
    });
}

#[test]
fn common_and_weak_symbols_resolve_as_gnu_ld_does() {
    let files: &[(&str, &str)] = &[
        (
            "w1.c",
            "int common_var __attribute__((common));\nint big_common[4] __attribute__((common));\n__attribute__((weak)) int choose(void) { return 1; }\n__attribute__((weak)) int only_weak(void) { return 3; }\nextern int weak_undef(void) __attribute__((weak));\nint w1(void) { return choose() + only_weak() + (weak_undef ? 100 : 0) + common_var; }\n",
        ),
        (
            "w2.c",
            "#include <stdio.h>\nint common_var __attribute__((common));\nint big_common[8] __attribute__((common));\nint choose(void) { return 2; }\nint w1(void);\nint main(void) { big_common[7] = 1; printf(\"%d %d\\n\", w1(), choose()); return 0; }\n",
        ),
    ];
    for (name, args) in [("commons", "w1.o w2.o"), ("-d", "-d w1.o w2.o")] {
        check(&Scenario { name, files, compile: "gcc -O1 -fcommon -c w1.c w2.c", link_args: args, final_cc: "gcc", extra: "" });
    }
}

#[test]
fn warn_common_warnings_like_gnu_ld() {
    // Every case of GNU's multiple_common: same size, larger, smaller, definition after common,
    // common after definition (strong and weak), and a common replaced from an archive.
    let files: &[(&str, &str)] = &[
        (
            "x.c",
            "int c1 __attribute__((common));\nint c2 __attribute__((common));\nint c3 __attribute__((common));\nint c4[2] __attribute__((common));\n__attribute__((weak)) int c5 = 1;\nint c6 = 6;\nint c7 __attribute__((common));\n",
        ),
        (
            "y.c",
            "#include <stdio.h>\nint c1 __attribute__((common));\nint c2 = 5;\nchar c3[8] __attribute__((common));\nint c4[4] __attribute__((common));\nint c5 __attribute__((common));\nint c6 __attribute__((common));\nint c7 __attribute__((common));\nint main(void) { printf(\"%d %d %d %d\\n\", c1, c2, c5, c6 + c7); return 0; }\n",
        ),
        ("l.c", "int c7 = 7;\nint lib_fn(void) { return 1; }\n"),
    ];
    let compile = "gcc -O0 -fcommon -c x.c y.c l.c && ar rcs libl.a l.o";
    for (name, args) in
        [("x y", "--warn-common x.o y.o libl.a"), ("y x", "--warn-common y.o x.o libl.a"), ("-d", "-d --warn-common y.o x.o")]
    {
        check(&Scenario { name, files, compile, link_args: args, final_cc: "gcc", extra: "" });
    }
}

#[test]
fn duplicate_definitions_are_errors_like_gnu_ld() {
    let d = tempdir();
    let p = d.path();
    write_files(p, &[("a.c", "int foo(void) { return 1; }\nint v1 = 1;\n"), ("b.c", "int foo(void) { return 2; }\nint v1 = 2;\n")]);
    run_ok(Command::new("gcc").args(["-c", "a.c", "b.c"]).current_dir(p));
    let gnu = run(Command::new("ld").args(["-r", "a.o", "b.o", "-o", "g.o"]).current_dir(p));
    let tl = run(tl_cmd("tl-ld").args(["-r", "a.o", "b.o", "-o", "t.o"]).current_dir(p));
    assert_eq!(tl.status.code(), gnu.status.code());
    assert_eq!(String::from_utf8_lossy(&tl.stderr).replace("tl-ld:", "ld:"), String::from_utf8_lossy(&gnu.stderr));
    assert!(!p.join("t.o").exists(), "no output on error");
}

#[test]
fn allow_multiple_definition_keeps_the_first_like_gnu_ld() {
    let files: &[(&str, &str)] = &[
        (
            "a.c",
            "#include <stdio.h>\nint foo(void) { return 1; }\nint v1 = 10;\nint main(void) { printf(\"%d %d\\n\", foo(), v1); return 0; }\n",
        ),
        ("b.c", "int foo(void) { return 2; }\nint v1 = 20;\nint bar(void) { return foo() + v1; }\n"),
    ];
    for (name, args) in [("--allow-multiple-definition", "--allow-multiple-definition a.o b.o"), ("-z muldefs", "-z muldefs b.o a.o")] {
        check(&Scenario { name, files, compile: "gcc -O0 -c a.c b.c", link_args: args, final_cc: "gcc", extra: "" });
    }
}

#[test]
fn command_line_errors_and_empty_inputs_like_gnu_ld() {
    let d = tempdir();
    let p = d.path();
    std::fs::write(p.join("empty.a"), "!<arch>\n").unwrap();
    write_files(p, &[("a.c", "int a(void) { return 1; }\n")]);
    run_ok(Command::new("gcc").args(["-c", "a.c"]).current_dir(p));
    for args in [
        &["-r", "-o", "e.o"][..],
        &["-r", "nothere.o", "-o", "x.o"],
        &["-r", "--bogus", "a.o", "-o", "x.o"],
        &["-r", "-pie", "a.o", "-o", "x.o"],
        &["-r", "-shared", "a.o", "-o", "x.o"],
        &["-r", "-lnothere", "a.o", "-o", "x.o"],
        &["-r", "-e", "nothere", "a.o", "-o", "x.o"],
        &["-r", "-z", "no-such-keyword", "a.o", "-o", "x.o"],
        &["-r", "--build-id", "a.o", "-o", "x.o"],
        &["-r", "--hash-style", "gnu", "-O", "1", "a.o", "-o", "x.o"],
        &["-r", "--fatal-warnings", "-z", "no-such-keyword=1", "a.o", "-o", "x.o"],
    ] {
        let gnu = run(Command::new("ld").args(args).current_dir(p));
        let tl = run(tl_cmd("tl-ld").args(args).current_dir(p));
        assert_eq!(tl.status.code(), gnu.status.code(), "{args:?}");
        // GNU ld 2.40 says "cannot find -lx: no error" (errno is not set there); tl says why.
        let gnu_err = String::from_utf8_lossy(&gnu.stderr).replace(": no error", ": No such file or directory");
        assert_eq!(String::from_utf8_lossy(&tl.stderr).replace("tl-ld:", "ld:"), gnu_err, "{args:?}");
    }
    // An unknown emulation: GNU's status and first line (the list of emulations differs).
    let args = ["-r", "-m", "bogus_emulation", "a.o", "-o", "x.o"];
    let gnu = run(Command::new("ld").args(args).current_dir(p));
    let tl = run(tl_cmd("tl-ld").args(args).current_dir(p));
    assert_eq!(tl.status.code(), gnu.status.code());
    let first = |b: &[u8]| String::from_utf8_lossy(b).lines().next().unwrap_or_default().replace("tl-ld:", "ld:");
    assert_eq!(first(&tl.stderr), first(&gnu.stderr));
    // An empty archive alone gives an empty relocatable object.
    run_ok(tl_cmd("tl-ld").args(["-r", "-o", "e.o", "empty.a"]).current_dir(p));
    let e = std::fs::read(p.join("e.o")).unwrap();
    let obj = libwrap::elf::read(&e).unwrap();
    assert_eq!((obj.e_type, obj.e_machine), (1, 62));
}

/// A directory holding `ld` → tl-ld, for `gcc -B DIR` (how gcc is pointed at another linker).
fn gcc_ld_dir(p: &Path) -> std::path::PathBuf {
    let dir = p.join("tl-ld-as-ld");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(tl("tl-ld"), dir.join("ld")).unwrap();
    dir
}

/// Sorted lines.
fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(bytes).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// `letter name` of each line of an nm listing, sorted.
fn letters_and_names(listing: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(listing)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {}", f[f.len() - 2], f[f.len() - 1])
        })
        .collect();
    v.sort();
    v
}

/// What a partial link of inputs with these nm listings lists: every defined symbol, and the
/// undefined names no input defines (`letter name`, sorted, without duplicates).
fn resolved(listings: &[String]) -> Vec<String> {
    let all: Vec<String> = listings.iter().flat_map(|l| letters_and_names(l.as_bytes())).collect();
    let defined = |name: &str| all.iter().any(|e| !e.starts_with("U ") && e.split_once(' ').is_some_and(|(_, n)| n == name));
    let mut want: Vec<String> = all.iter().filter(|e| !e.starts_with("U ") || !defined(&e[2..])).cloned().collect();
    want.sort();
    want.dedup();
    want
}

#[test]
fn llvm14_bitcode_partial_link_then_gnu_ld_r_then_final_link_runs() {
    // The committed LLVM 14 fixtures (no clang needed); the final link is delegated to an ld.lld
    // whose LLVM reads LLVM 14 bitcode (any of ld.lld-14, ld.lld-19 or the Rust toolchain's).
    let d = tempdir();
    let p = d.path();
    for f in ["prog_main.thin14.o", "prog_lib.thin14.o"] {
        std::fs::copy(fixture(f), p.join(f)).unwrap();
    }
    run_ok(tl_cmd("tl-ld").args(["-r", "prog_main.thin14.o", "prog_lib.thin14.o", "-o", "r.o"]).current_dir(p));
    // The resolved view: what llvm-nm-14 shows for the modules (stored references), resolved.
    let listings: Vec<String> = ["prog_main.thin14.o", "prog_lib.thin14.o"]
        .iter()
        .map(|f| std::fs::read_to_string(fixture(&format!("{f}.llvm-nm"))).unwrap())
        .collect();
    let nm = run_ok(tl_cmd("tl-nm").arg("r.o").current_dir(p));
    assert_eq!(letters_and_names(&nm), resolved(&listings), "{}", String::from_utf8_lossy(&nm));
    // GNU ld -r of the output (no plugin: /usr/bin/ld sees the mirror), then tl-ld's final link.
    run_ok(Command::new("ld").args(["-r", "r.o", "-o", "gnu_r.o"]).current_dir(p));
    let ld_dir = gcc_ld_dir(p);
    for (input, prog) in [("r.o", "p1"), ("gnu_r.o", "p2")] {
        run_ok(Command::new("gcc").arg("-B").arg(&ld_dir).args([input, "-o", prog]).current_dir(p));
        assert_eq!(run_ok(&mut Command::new(p.join(prog))), b"answer=42\n");
    }
}

#[test]
fn llvm22_rustc_bitcode_partial_link_and_final_link_through_rusts_lld() {
    let d = tempdir();
    let p = d.path();
    std::fs::copy(fixture("rlib.22.bc"), p.join("rlib.22.bc")).unwrap();
    write_files(
        p,
        &[("main.c", "#include <stdio.h>\nint rs_add(int, int);\nint main(void) { printf(\"answer=%d\\n\", rs_add(40, 2)); return 0; }\n")],
    );
    run_ok(Command::new("gcc").args(["-O1", "-c", "main.c"]).current_dir(p));
    run_ok(tl_cmd("tl-ld").args(["-r", "main.o", "rlib.22.bc", "-o", "r.o"]).current_dir(p));
    // The resolved view: GNU nm of main.o and the LLVM 22 reference listing (fixtures/README.md
    // says how it was checked; there is no llvm-nm-22 here), resolved.
    let listings = [
        String::from_utf8(run_ok(Command::new("nm").arg("main.o").current_dir(p))).unwrap(),
        std::fs::read_to_string(fixture("rlib.22.expected")).unwrap(),
    ];
    let nm = run_ok(tl_cmd("tl-nm").arg("r.o").current_dir(p));
    assert_eq!(letters_and_names(&nm), resolved(&listings), "{}", String::from_utf8_lossy(&nm));
    // The archive route too: tl-ar of the partial link's output.
    run_ok(tl_cmd("tl-ar").args(["rcs", "libr.a", "r.o"]).current_dir(p));
    let ld_dir = gcc_ld_dir(p);
    for (args, prog) in [(&["r.o"][..], "p1"), (&["-Wl,-u,main", "-L.", "-lr"], "p2")] {
        run_ok(Command::new("gcc").arg("-B").arg(&ld_dir).args(args).args(["-o", prog]).current_dir(p));
        // rs_add(a, b) = a.rotate_left(3) + b.
        assert_eq!(run_ok(&mut Command::new(p.join(prog))), b"answer=322\n");
    }
    // No suitable linker: a clear error naming the versions.
    let out = run(tl_cmd("tl-ld").args(["r.o", "-o", "p3"]).env("PATH", "/nonexistent").current_dir(p));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LLVM 22"), "{err}");
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs clang-19, lld-19, llvm-19 (TL_INTEROP=1)")]
fn llvm19_bitcode_partial_link_carries_every_module_and_links_with_lld() {
    let clang = Path::new("/usr/bin/clang-19");
    require(clang);
    require(&llvm19("llvm-nm"));
    let d = tempdir();
    let p = d.path();
    write_files(
        p,
        &[
            ("m1.c", "int helper2(int);\nint shared_counter;\nint m1_fn(int x) { shared_counter++; return helper2(x) + 1; }\n"),
            ("m2.c", "extern int shared_counter;\nint native_fn(int);\nint helper2(int x) { return native_fn(x) * 2 + shared_counter; }\n"),
            ("m3.c", "#include <stdio.h>\nint m1_fn(int);\nint main(void) { printf(\"answer=%d\\n\", m1_fn(20)); return 0; }\n"),
            ("nat.c", "int native_fn(int x) { return x; }\n"),
        ],
    );
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(p));
    sh("clang-19 -O2 -flto=thin -c m1.c m2.c m3.c && gcc -O2 -c nat.c && gcc -O2 m1.c m2.c m3.c nat.c -o native");
    let expected = sh("./native");
    for m in ["m1", "m2"] {
        run_ok(tl_cmd("tl-objcopy").args(["--wrap-bitcode", &format!("{m}.o"), &format!("{m}.w.o")]).current_dir(p));
    }
    run_ok(tl_cmd("tl-ld").args(["-r", "m1.w.o", "m2.w.o", "m3.o", "nat.o", "-o", "r.o"]).current_dir(p));
    // The .llvmbc is a multi-module file LLVM 19 reads whole, module by module.
    run_ok(tl_cmd("tl-objcopy").args(["--dump-section", ".llvmbc=all.bc", "r.o"]).current_dir(p));
    let llvm_nm = |f: &str| run_ok(Command::new(llvm19("llvm-nm")).arg(f).current_dir(p));
    let mut union: Vec<String> = ["m1.o", "m2.o", "m3.o"].iter().flat_map(|f| sorted_lines(&llvm_nm(f))).collect();
    union.sort();
    assert_eq!(sorted_lines(&llvm_nm("all.bc")), union);
    for (k, m) in ["m1.o", "m2.o", "m3.o"].iter().enumerate() {
        run_ok(Command::new(llvm19("llvm-modextract")).args(["-n", &k.to_string(), "all.bc", "-o", &format!("x{k}.bc")]).current_dir(p));
        assert_eq!(sorted_lines(&llvm_nm(&format!("x{k}.bc"))), sorted_lines(&llvm_nm(m)), "module {k}");
    }
    // tl-nm shows the resolved symbols: the global names, defined or undefined, that GNU nm
    // shows for the same sources compiled natively and put through GNU ld -r (letters and
    // values differ by design: the mirror's data are in .data at 0, see tl-wrap(5)).
    sh("mkdir -p nat && cd nat && gcc -O2 -c ../m1.c ../m2.c ../m3.c ../nat.c && ld -r m1.o m2.o m3.o nat.o -o r.o");
    let defined_or_not = |listing: &[u8]| -> Vec<String> {
        let mut v: Vec<String> = letters_and_names(listing)
            .iter()
            .filter_map(|e| e.split_once(' '))
            .map(|(letter, name)| format!("{} {name}", if letter == "U" { "undefined" } else { "defined" }))
            .collect();
        v.sort();
        v
    };
    let tl_nm = defined_or_not(&run_ok(tl_cmd("tl-nm").args(["-g", "r.o"]).current_dir(p)));
    let gnu_nm = defined_or_not(&run_ok(Command::new("nm").args(["-g", "nat/r.o"]).current_dir(p)));
    assert_eq!(tl_nm, gnu_nm);
    assert!(tl_nm.contains(&"undefined printf".to_string()) && tl_nm.contains(&"defined helper2".to_string()), "{tl_nm:?}");
    // Final links: tl-ld hands the job to ld.lld-19; the program prints what the native one does.
    let tl_ld = tl("tl-ld");
    sh(&format!("clang-19 --ld-path={} r.o -o prog", tl_ld.display()));
    assert_eq!(sh("./prog"), expected);
    // The output is an input again: tl-ld -r of it, GNU ld -r of that, then the final link.
    run_ok(tl_cmd("tl-ld").args(["-r", "r.o", "-o", "rr.o"]).current_dir(p));
    sh(&format!("ld -r rr.o -o gnu_rr.o && clang-19 --ld-path={} gnu_rr.o -o prog2", tl_ld.display()));
    assert_eq!(sh("./prog2"), expected);
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs clang-19, lld-19 (TL_INTEROP=1)")]
fn clang_links_wrapped_objects_archives_and_partial_links_through_tl_ld() {
    require(Path::new("/usr/bin/clang-19"));
    require(Path::new("/usr/bin/ld.lld-19"));
    let d = tempdir();
    let p = d.path();
    write_files(
        p,
        &[
            ("w1.c", "int w1(int x) { return x + 1; }\n"),
            ("w2.c", "int w2(int x) { return x * 2; }\n"),
            ("w3.c", "int w1(int); int w2(int);\nint w3(int x) { return w1(w2(x)); }\n"),
            ("wm.c", "#include <stdio.h>\nint w3(int);\nint main(void) { printf(\"w=%d\\n\", w3(20)); return 0; }\n"),
        ],
    );
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(p));
    sh("clang-19 -O2 -flto=thin -c w1.c w2.c w3.c wm.c && gcc -O2 w1.c w2.c w3.c wm.c -o native");
    for f in ["w1", "w2", "w3", "wm"] {
        run_ok(tl_cmd("tl-objcopy").args(["--wrap-bitcode", &format!("{f}.o"), &format!("{f}.w.o")]).current_dir(p));
    }
    run_ok(tl_cmd("tl-ar").args(["rcs", "libw.a", "w1.w.o", "w2.w.o"]).current_dir(p));
    run_ok(tl_cmd("tl-ld").args(["-r", "w3.w.o", "-o", "w3r.o"]).current_dir(p));
    sh(&format!("clang-19 -flto=thin --ld-path={} wm.w.o w3r.o libw.a -o prog", tl("tl-ld").display()));
    assert_eq!(sh("./prog"), sh("./native"));
}

#[test]
fn system_libc_members_partial_link_like_gnu_ld() {
    // 2 070 real objects: assembly without FILE symbols, ifuncs, TLS, groups, .gnu.warning
    // sections, hand-written .eh_frame.
    let libc = Path::new("/usr/lib/x86_64-linux-gnu/libc.a");
    assert!(libc.exists(), "the system libc.a is part of this machine");
    let d = tempdir();
    let p = d.path();
    run_ok(Command::new("ar").arg("x").arg(libc).current_dir(p));
    let members: Vec<String> =
        String::from_utf8(run_ok(Command::new("ar").arg("t").arg(libc))).unwrap().lines().map(str::to_string).collect();
    std::fs::write(p.join("list"), members.join("\n")).unwrap();
    let gnu = run(Command::new("ld").args(["-r", "-o", "gnu.o", "@list"]).current_dir(p));
    let tl = run(tl_cmd("tl-ld").args(["-r", "-o", "tl.o", "@list"]).current_dir(p));
    assert!(tl.status.success() && gnu.status.success());
    assert_eq!(String::from_utf8_lossy(&tl.stderr).replace("tl-ld:", "ld:"), String::from_utf8_lossy(&gnu.stderr));
    let (g, t) = (readelf_normalised(&p.join("gnu.o")), readelf_normalised(&p.join("tl.o")));
    if g != t {
        let mut count: BTreeMap<&str, i64> = BTreeMap::new();
        for l in g.lines() {
            *count.entry(l).or_default() += 1;
        }
        for l in t.lines() {
            *count.entry(l).or_default() -= 1;
        }
        let diff: Vec<String> = count.iter().filter(|(_, c)| **c != 0).take(60).map(|(l, c)| format!("  {c:+} {l}")).collect();
        panic!("libc -r differs (+ GNU ld -r has more, - tl-ld -r has more):\n{}", diff.join("\n"));
    }
    // The bytes of the code and of .eh_frame (trimmed, FDEs dropped, as GNU writes it).
    for section in [".text", ".eh_frame"] {
        let bytes = |f: &str| {
            run_ok(Command::new("objcopy").args(["-O", "binary", "-j", section, f, &format!("{f}{section}.bin")]).current_dir(p));
            std::fs::read(p.join(format!("{f}{section}.bin"))).unwrap()
        };
        assert!(bytes("tl.o") == bytes("gnu.o"), "libc -r: {section} bytes differ from GNU ld -r's");
    }
}

/// The contents of an object's sections (`objdump -s -dr`: bytes, which hold REL addends, and
/// the disassembly with its relocations), one block per section, sorted; `.group` (section
/// indices) and `.eh_frame` (compared on its own where the scenario allows) are left out.
fn section_contents(obj: &Path) -> Vec<String> {
    contents_with(Path::new("objdump"), obj, &|_| false)
}

/// [`section_contents`] through `objdump`, without the sections `skip` names either.
fn contents_with(objdump: &Path, obj: &Path, skip: &dyn Fn(&str) -> bool) -> Vec<String> {
    let text = String::from_utf8(run_ok(Command::new(objdump).args(["-s", "-dr"]).arg(obj))).unwrap();
    let mut blocks: Vec<String> = Vec::new();
    for line in text.lines().skip(2) {
        if line.starts_with("Contents of section ") || line.starts_with("Disassembly of section ") {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut()
            && !line.trim().is_empty()
        {
            b.push_str(line.trim_end());
            b.push('\n');
        }
    }
    let section = |b: &str| b.lines().next().and_then(|l| l.split(" of section ").nth(1)).unwrap_or("").trim_end_matches(':').to_string();
    blocks.retain(|b| {
        let name = section(b);
        name != ".group" && name != ".eh_frame" && !skip(&name)
    });
    blocks.sort();
    assert!(blocks.len() >= 3, "{}: too few sections to compare", obj.display());
    blocks
}

#[test]
fn i386_rel_objects_partial_link_like_gnu_ld() {
    // i386 uses REL relocations: addends live in the section bytes, and those against section
    // symbols must be moved by the input section's offset. No 32-bit libc here, so the outputs
    // are compared (readelf, and every section's bytes and disassembly), not run.
    let d = tempdir();
    let p = d.path();
    write_files(
        p,
        &[
            (
                "a.c",
                "static int sa[4] = {1, 2, 3, 4};\nstatic const char *names[] = {\"zero\", \"one\"};\nint ga = 7;\n__thread int tls_a = 3;\nstatic int (*fp)(int);\nstatic int twice(int x) { return 2 * x; }\nint a_fn(int x) { fp = twice; return sa[x & 3] + names[x & 1][0] + fp(x) + tls_a; }\n",
            ),
            (
                "b.c",
                "static int sb[8] = {9, 8, 7};\nstatic const char *msg = \"in b\";\nextern int ga;\nint a_fn(int);\nint b_fn(int x) { return sb[x & 7] + msg[x & 3] + ga + a_fn(x); }\n",
            ),
            (
                "c.cpp",
                "inline int shared(int x) { static int n; return x + ++n; }\nstruct E { int v; };\nint b_fn(int);\nint c_fn(int x) { try { if (x < 0) throw E{x}; return shared(x) + b_fn(x); } catch (E &e) { return e.v; } }\n",
            ),
            ("d.cpp", "inline int shared(int x) { static int n; return x + ++n; }\nint d_fn(int x) { return shared(x) * 3; }\n"),
        ],
    );
    for (name, flags) in [("non-PIC", "-O0"), ("PIC, -ffunction-sections", "-O1 -fPIC -ffunction-sections -fdata-sections")] {
        run_ok(Command::new("sh").arg("-c").arg(format!("gcc -m32 {flags} -c a.c b.c && g++ -m32 {flags} -c c.cpp d.cpp")).current_dir(p));
        let args = ["-r", "a.o", "b.o", "c.o", "d.o"];
        run_ok(Command::new("ld").args(["-m", "elf_i386"]).args(args).args(["-o", "gnu.o"]).current_dir(p));
        let tl = run(tl_cmd("tl-ld").args(args).args(["-o", "tl.o"]).current_dir(p));
        assert!(tl.status.success(), "{name}: {}", String::from_utf8_lossy(&tl.stderr));
        let (g, t) = (p.join("gnu.o"), p.join("tl.o"));
        assert_eq!(readelf_normalised(&t), readelf_normalised(&g), "{name}: readelf");
        assert_eq!(section_contents(&t), section_contents(&g), "{name}: section contents");
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs clang-19, lld-19, llvm-19 (TL_INTEROP=1)")]
fn aarch64_rela_objects_partial_link_like_lld() {
    // No GNU ld for aarch64 here: the reference is ld.lld-19 -r. Compared: the disassembly with
    // its relocations and the bytes of every section, except what lld -r does differently by
    // design (it merges SHF_MERGE strings, .comment included; GNU ld -r and tl concatenate them),
    // the relocation and symbol tables (indices; their content shows in the disassembly), and
    // .group/.eh_frame.
    let clang = Path::new("/usr/bin/clang-19");
    require(clang);
    let lld = Path::new("/usr/bin/ld.lld-19");
    require(lld);
    let objdump = llvm19("llvm-objdump");
    require(&objdump);
    let d = tempdir();
    let p = d.path();
    write_files(
        p,
        &[
            (
                "a.c",
                "static int sa[4] = {1, 2, 3, 4};\nint ga = 7;\n__thread int tls_a = 3;\nstatic int (*fp)(int);\nstatic int twice(int x) { return 2 * x; }\nint a_fn(int x) { fp = twice; return sa[x & 3] + fp(x) + tls_a; }\n",
            ),
            (
                "b.c",
                "static int sb[8] = {9, 8, 7};\nstatic long self = (long)&sb[2];\nextern int ga;\nint a_fn(int);\nint b_fn(int x) { return sb[x & 7] + (int)self + ga + a_fn(x); }\n",
            ),
            (
                "c.cpp",
                "inline int shared(int x) { static int n; return x + ++n; }\nstruct E { int v; };\nint b_fn(int);\nint c_fn(int x) { try { if (x < 0) throw E{x}; return shared(x) + b_fn(x); } catch (E &e) { return e.v; } }\n",
            ),
            ("d.cpp", "inline int shared(int x) { static int n; return x + ++n; }\nint d_fn(int x) { return shared(x) * 3; }\n"),
        ],
    );
    for flags in ["-O0", "-O1 -ffunction-sections -fdata-sections -fPIC"] {
        let target = "--target=aarch64-linux-gnu";
        run_ok(Command::new("sh").arg("-c").arg(format!("clang-19 {target} {flags} -c a.c b.c c.cpp d.cpp")).current_dir(p));
        let args = ["-r", "a.o", "b.o", "c.o", "d.o"];
        run_ok(Command::new(lld).args(args).args(["-o", "lld.o"]).current_dir(p));
        let tl = run(tl_cmd("tl-ld").args(args).args(["-o", "tl.o"]).current_dir(p));
        assert!(tl.status.success(), "{flags}: {}", String::from_utf8_lossy(&tl.stderr));
        let bytes = std::fs::read(p.join("tl.o")).unwrap();
        let obj = libwrap::elf::read(&bytes).unwrap();
        assert_eq!(obj.e_machine, 183, "{flags}: an aarch64 object");
        let merged_strings: Vec<String> =
            obj.sections.iter().filter(|s| s.sh_flags & 0x30 == 0x30).map(|s| String::from_utf8_lossy(&s.name).into_owned()).collect();
        let skip = |name: &str| {
            merged_strings.iter().any(|m| m == name) || name.starts_with(".rela") || [".symtab", ".strtab", ".shstrtab"].contains(&name)
        };
        let (l, t) = (contents_with(&objdump, &p.join("lld.o"), &skip), contents_with(&objdump, &p.join("tl.o"), &skip));
        assert_eq!(t, l, "{flags}: section contents");
    }
}

#[test]
fn code_alignment_gaps_are_filled_with_nops_like_gnu_ld() {
    // Gaps between input sections of code sections get x86-64's long NOPs; data gaps stay zero.
    let d = tempdir();
    let p = d.path();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(p));
    let mut objects = Vec::new();
    for (k, (bytes, align)) in [(1, 5), (3, 4), (13, 5), (21, 6), (2, 3), (31, 5)].iter().enumerate() {
        let body: String = (0..*bytes).map(|_| ".byte 0xc3\n").collect();
        std::fs::write(p.join(format!("c{k}.s")), format!(".text\n.p2align {align}\n{body}.data\n.p2align {align}\n.byte 1\n")).unwrap();
        sh(&format!("as c{k}.s -o c{k}.o"));
        objects.push(format!("c{k}.o"));
    }
    let list = objects.join(" ");
    sh(&format!("ld -r {list} -o gnu.o"));
    run_ok(tl_cmd("tl-ld").args(["-r", "-o", "tl.o"]).args(&objects).current_dir(p));
    for section in [".text", ".data"] {
        sh(&format!("objcopy -O binary -j {section} gnu.o gnu.bin && objcopy -O binary -j {section} tl.o tl.bin"));
        assert_eq!(std::fs::read(p.join("tl.bin")).unwrap(), std::fs::read(p.join("gnu.bin")).unwrap(), "{section} bytes");
    }
    assert_eq!(readelf_normalised(&p.join("tl.o")), readelf_normalised(&p.join("gnu.o")));
}

#[test]
fn eh_frame_drops_zero_range_and_discarded_fdes_with_none_relocations_like_gnu_ld() {
    // GNU ld -r discards an FDE whose address range is 0 ("discarding zero address range FDE")
    // and the FDEs of COMDAT code lost to another copy; the relocations of what it drops stay as
    // R_X86_64_NONE at the offset of the previous relocation. Bytes and relocations, offsets
    // included, must equal GNU's.
    let d = tempdir();
    let p = d.path();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(p));
    std::fs::write(p.join("z.c"), "void z(void) { __builtin_unreachable(); }\nint nz(int x) { return x + 1; }\n").unwrap();
    let inline = "inline int shared(int x) { if (x > 100) throw x; return x + 1; }\n";
    std::fs::write(p.join("a.cc"), format!("{inline}int fa(int x) {{ return shared(x) * 2; }}\n")).unwrap();
    std::fs::write(p.join("b.cc"), format!("{inline}int fb(int x) {{ return shared(x) * 3; }}\n")).unwrap();
    sh("gcc -O2 -c z.c && g++ -O0 -c a.cc b.cc");
    for inputs in [&["z.o"][..], &["a.o", "b.o", "z.o"]] {
        sh(&format!("ld -r {} -o gnu.o", inputs.join(" ")));
        run_ok(tl_cmd("tl-ld").args(["-r", "-o", "tl.o"]).args(inputs).current_dir(p));
        sh("objcopy -O binary -j .eh_frame gnu.o gnu.bin && objcopy -O binary -j .eh_frame tl.o tl.bin");
        assert_eq!(std::fs::read(p.join("tl.bin")).unwrap(), std::fs::read(p.join("gnu.bin")).unwrap(), "{inputs:?}: .eh_frame bytes");
        let relocs = |f: &str| -> Vec<String> {
            let text = String::from_utf8(sh(&format!("readelf -rW {f}"))).unwrap();
            let section = text.split("Relocation section '").find(|s| s.starts_with(".rela.eh_frame'")).unwrap_or("").to_string();
            section
                .lines()
                .skip(2)
                .map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    format!("{} {} {}", f[0], f[2], f.get(4..).map(|t| t.join(" ")).unwrap_or_default())
                })
                .collect()
        };
        let ours = relocs("tl.o");
        assert!(ours.iter().any(|r| r.contains("R_X86_64_NONE")), "{inputs:?}: {ours:?}");
        assert_eq!(ours, relocs("gnu.o"), "{inputs:?}");
        assert_eq!(readelf_normalised(&p.join("tl.o")), readelf_normalised(&p.join("gnu.o")), "{inputs:?}");
    }
}
