//! tl-cc in real builds (interop: clang-19, lld-19, autotools, CMake): an autotools project
//! (configure, make, make check) and a CMake project built with `-flto=thin` through tl-cc have
//! only wrapped objects in their trees and programs that link through tl-ld and run; the same
//! builds without `-flto` write objects byte-identical to plain clang's. Also the README's
//! install command and make quick start, run as written.

mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::*;

const CALC_C: &str = "#include \"calc.h\"\nint calc_add(int a, int b) { return a + b; }\n";
const MORE_C: &str = "#include \"calc.h\"\nint calc_twice(int a) { return calc_add(a, a); }\nint calc_table[4] = {1, 2, 3, 4};\n";
const CALC_H: &str = "int calc_add(int a, int b);\nint calc_twice(int a);\nextern int calc_table[4];\n";
const MAIN_C: &str =
    "#include <stdio.h>\n#include \"../lib/calc.h\"\nint main(void) { printf(\"calc %d\\n\", calc_twice(21)); return 0; }\n";
const TEST_C: &str = "#include \"../lib/calc.h\"\nint main(void) { return calc_twice(calc_table[1]) == 4 ? 0 : 1; }\n";

const CONFIGURE_AC: &str = "AC_INIT([calc], [1.0])\nAM_INIT_AUTOMAKE([foreign subdir-objects])\nAC_PROG_CC\nAM_PROG_AR\n\
AC_PROG_RANLIB\nAC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n";
const MAKEFILE_AM: &str = "noinst_LIBRARIES = libcalc.a\nlibcalc_a_SOURCES = lib/calc.c lib/more.c lib/calc.h\n\
bin_PROGRAMS = calc\ncalc_SOURCES = src/main.c\ncalc_LDADD = libcalc.a\n\
check_PROGRAMS = test_calc\ntest_calc_SOURCES = tests/test_calc.c\ntest_calc_LDADD = libcalc.a\nTESTS = test_calc\n";
const CMAKELISTS: &str = "cmake_minimum_required(VERSION 3.13)\nproject(calc C)\nadd_library(calc STATIC lib/calc.c lib/more.c)\n\
add_executable(calc_main src/main.c)\ntarget_link_libraries(calc_main calc)\nenable_testing()\n\
add_executable(test_calc tests/test_calc.c)\ntarget_link_libraries(test_calc calc)\nadd_test(NAME test_calc COMMAND test_calc)\n";

/// Writes the sources of the calc project (and `extra` files) into `dir`.
fn write_project(dir: &Path, extra: &[(&str, &str)]) {
    let files =
        [("lib/calc.c", CALC_C), ("lib/more.c", MORE_C), ("lib/calc.h", CALC_H), ("src/main.c", MAIN_C), ("tests/test_calc.c", TEST_C)];
    for (name, text) in files.iter().chain(extra) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `PATH` with the tl binaries (and a `tl-c++` link to tl-cc in `links`) first.
fn path_with_tl(links: &Path) -> std::ffi::OsString {
    let bin = tl("tl-cc").parent().unwrap().to_path_buf();
    std::fs::create_dir_all(links).unwrap();
    let cxx = links.join("tl-c++");
    if !cxx.exists() {
        std::os::unix::fs::symlink(tl("tl-cc"), &cxx).unwrap();
    }
    let old = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths([bin, links.to_path_buf()].into_iter().chain(std::env::split_paths(&old))).unwrap()
}

/// Every `*.o` under `dir` (path relative to `dir`), sorted.
fn objects(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|x| x == "o") {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Checks that `obj` is an ELF-wrapped bitcode object defining `symbol` (readelf and tl-nm).
fn assert_wrapped(obj: &Path, symbol: &str) {
    let sections = String::from_utf8(run_ok(Command::new("readelf").arg("-hSW").arg(obj))).unwrap();
    assert!(sections.contains("REL (Relocatable file)"), "{}: not an ELF relocatable:\n{sections}", obj.display());
    assert!(sections.contains(" .llvmbc "), "{}: no .llvmbc:\n{sections}", obj.display());
    let nm = String::from_utf8(run_ok(tl_cmd("tl-nm").arg(obj))).unwrap();
    assert!(parse_nm(&nm).iter().any(|(l, n)| *l == 'T' && n == symbol), "{}: tl-nm does not list T {symbol}:\n{nm}", obj.display());
}

/// The symbol each project object must define.
fn defined_by(obj: &Path) -> &'static str {
    let name = obj.file_name().unwrap().to_string_lossy();
    if name.contains("more") {
        "calc_twice"
    } else if name.contains("calc.") && !name.contains("test") {
        "calc_add"
    } else {
        "main"
    }
}

/// Runs `./configure CC=.. CFLAGS=..; make; make check` in a fresh copy of the autotools
/// project; returns the directory.
fn autotools_build(root: &Path, name: &str, cc: &str, cflags: &str, tl_tools: bool) -> PathBuf {
    let dir = root.join(name);
    write_project(&dir, &[("configure.ac", CONFIGURE_AC), ("Makefile.am", MAKEFILE_AM)]);
    let path = path_with_tl(&root.join("links"));
    run_ok(Command::new("autoreconf").arg("-i").current_dir(&dir).env("PATH", &path));
    let mut configure = Command::new("./configure");
    configure.current_dir(&dir).env("PATH", &path).arg(format!("CC={cc}")).arg(format!("CFLAGS={cflags}"));
    if tl_tools {
        configure.args(["AR=tl-ar", "RANLIB=tl-ranlib", "NM=tl-nm"]);
    }
    run_ok(&mut configure);
    run_ok(Command::new("make").current_dir(&dir).env("PATH", &path));
    run_ok(Command::new("make").arg("check").current_dir(&dir).env("PATH", &path));
    dir
}

#[test]
fn tl_cc_builds_an_autotools_project_with_wrapped_objects_and_passes_through_without_lto() {
    if !interop() {
        return;
    }
    for t in ["/usr/bin/clang-19", "/usr/bin/ld.lld-19", "/usr/bin/autoreconf", "/usr/bin/automake"] {
        require(Path::new(t));
    }
    let t = tempdir();
    let lto = autotools_build(t.path(), "lto", "tl-cc clang-19", "-O2 -flto=thin", true);
    let objs = objects(&lto);
    assert_eq!(objs.len(), 4, "objects: {objs:?}");
    for o in &objs {
        assert_wrapped(&lto.join(o), defined_by(o));
    }
    let out = run_ok(&mut Command::new(lto.join("calc")));
    assert_eq!(String::from_utf8_lossy(&out), "calc 42\n");
    // Pass-through: without -flto the objects are plain clang's, byte for byte.
    let via_tl = autotools_build(t.path(), "native-tl", "tl-cc clang-19", "-O2", true);
    let plain = autotools_build(t.path(), "native-plain", "clang-19", "-O2", false);
    assert_eq!(objects(&via_tl), objects(&plain));
    for o in objects(&plain) {
        let (a, b) = (std::fs::read(via_tl.join(&o)).unwrap(), std::fs::read(plain.join(&o)).unwrap());
        assert!(a == b, "{}: tl-cc's object differs from clang-19's", o.display());
    }
}

/// Configures, builds and tests the CMake project with `tl-cc` as the one-word compiler
/// (`$TL_CC=clang-19`) or plain clang-19; returns the build directory.
fn cmake_build(root: &Path, name: &str, via_tl: bool, cflags: &str) -> PathBuf {
    let src = root.join("src");
    if !src.exists() {
        write_project(&src, &[("CMakeLists.txt", CMAKELISTS)]);
    }
    let build = root.join(name);
    let path = path_with_tl(&root.join("links"));
    let mut cmake = Command::new("cmake");
    cmake.arg("-S").arg(&src).arg("-B").arg(&build).env("PATH", &path).env("TL_CC", "clang-19").arg(format!("-DCMAKE_C_FLAGS={cflags}"));
    if via_tl {
        cmake.arg(format!("-DCMAKE_C_COMPILER={}", tl("tl-cc").display()));
        for (var, tool) in [("CMAKE_AR", "tl-ar"), ("CMAKE_RANLIB", "tl-ranlib"), ("CMAKE_NM", "tl-nm")] {
            cmake.arg(format!("-D{var}={}", tl(tool).display()));
        }
    } else {
        cmake.arg("-DCMAKE_C_COMPILER=/usr/bin/clang-19");
    }
    run_ok(&mut cmake);
    run_ok(Command::new("cmake").arg("--build").arg(&build).env("PATH", &path).env("TL_CC", "clang-19"));
    run_ok(Command::new("ctest").arg("--output-on-failure").current_dir(&build).env("PATH", &path));
    build
}

#[test]
fn tl_cc_builds_a_cmake_project_with_wrapped_objects_and_passes_through_without_lto() {
    if !interop() {
        return;
    }
    for t in ["/usr/bin/clang-19", "/usr/bin/ld.lld-19", "/usr/bin/cmake"] {
        require(Path::new(t));
    }
    let t = tempdir();
    let lto = cmake_build(t.path(), "lto", true, "-O2 -flto=thin");
    let objs = objects(&lto);
    assert_eq!(objs.len(), 4, "objects: {objs:?}");
    for o in &objs {
        assert_wrapped(&lto.join(o), defined_by(o));
    }
    assert_eq!(String::from_utf8_lossy(&run_ok(&mut Command::new(lto.join("calc_main")))), "calc 42\n");
    let via_tl = cmake_build(t.path(), "native-tl", true, "-O2");
    let plain = cmake_build(t.path(), "native-plain", false, "-O2");
    assert_eq!(objects(&via_tl), objects(&plain));
    for o in objects(&plain) {
        let (a, b) = (std::fs::read(via_tl.join(&o)).unwrap(), std::fs::read(plain.join(&o)).unwrap());
        assert!(a == b, "{}: tl-cc's object differs from clang-19's", o.display());
    }
}

#[test]
fn tl_cc_links_through_tl_ld_leaves_probes_alone_and_works_under_ccache() {
    if !interop() {
        return;
    }
    require(Path::new("/usr/bin/clang-19"));
    let t = tempdir();
    std::fs::write(t.path().join("a.c"), "int a(void) { return 1; }\n").unwrap();
    std::fs::write(t.path().join("a.o"), b"").unwrap();
    // A link step names tl-ld (clang's -### prints the commands without running them).
    let link = run(tl_cmd("tl-cc").args(["clang-19", "-###", "a.o", "-o", "a"]).current_dir(t.path()));
    let shown = String::from_utf8_lossy(&link.stderr);
    assert!(shown.contains(&format!("\"{}\"", tl("tl-ld").parent().unwrap().join("tl-ld").display())), "{shown}");
    // A chosen linker is left alone.
    let chosen = run(tl_cmd("tl-cc").args(["clang-19", "-###", "-fuse-ld=bfd", "a.o", "-o", "a"]).current_dir(t.path()));
    assert!(!String::from_utf8_lossy(&chosen.stderr).contains("tl-ld"));
    // Probes and preprocessing pass through: the same output and status as clang-19's.
    for args in
        [&["--version"][..], &["-print-prog-name=ld"], &["-E", "a.c"], &["-S", "-flto=thin", "-o", "-", "a.c"], &["-c", "nonexistent.c"]]
    {
        let ours = run(tl_cmd("tl-cc").arg("clang-19").args(args).current_dir(t.path()));
        let theirs = run(Command::new("clang-19").args(args).current_dir(t.path()));
        assert_eq!((ours.status.code(), &ours.stdout), (theirs.status.code(), &theirs.stdout), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&ours.stderr), String::from_utf8_lossy(&theirs.stderr), "{args:?}");
    }
    // Several sources with -c, -MD, and a response file.
    std::fs::write(t.path().join("b.c"), "int b(void) { return 2; }\n").unwrap();
    std::fs::write(t.path().join("args.rsp"), "-O2 -flto=thin -MD\n").unwrap();
    run_ok(tl_cmd("tl-cc").args(["clang-19", "@args.rsp", "-c", "a.c", "b.c"]).env("TL_NO_PLUGIN_WARNING", "1").current_dir(t.path()));
    assert_wrapped(&t.path().join("a.o"), "a");
    assert_wrapped(&t.path().join("b.o"), "b");
    assert!(t.path().join("a.d").exists() && t.path().join("b.d").exists());
    // -save-temps, and -o before the source.
    run_ok(
        tl_cmd("tl-cc")
            .args(["clang-19", "-o", "st.o", "-flto=thin", "-save-temps", "-c", "b.c"])
            .env("TL_NO_PLUGIN_WARNING", "1")
            .current_dir(t.path()),
    );
    assert_wrapped(&t.path().join("st.o"), "b");
    assert!(t.path().join("b.i").exists(), "-save-temps kept no b.i");
    // Under ccache, a miss and then a hit (ccache hands back the raw bitcode it cached).
    require(Path::new("/usr/bin/ccache"));
    let cache = t.path().join("ccache");
    for round in 0..2 {
        let out = run_ok(
            tl_cmd("tl-cc")
                .args(["ccache", "clang-19", "-flto=thin", "-c", "a.c", "-o", "cc.o"])
                .env("CCACHE_DIR", &cache)
                .env("TL_NO_PLUGIN_WARNING", "1")
                .current_dir(t.path()),
        );
        assert!(out.is_empty());
        assert_wrapped(&t.path().join("cc.o"), "a");
        let stats = String::from_utf8(run_ok(Command::new("ccache").arg("--print-stats").env("CCACHE_DIR", &cache))).unwrap();
        let hits = stats.lines().find_map(|l| l.strip_prefix("direct_cache_hit\t")).unwrap_or("0").trim().to_string();
        assert_eq!(hits, round.to_string(), "ccache stats:\n{stats}");
    }
}

#[test]
fn tl_cc_warns_once_about_an_older_llvm_plugin_in_the_bfd_plugin_directory() {
    if !interop() {
        return;
    }
    require(Path::new("/usr/bin/clang-19"));
    let t = tempdir();
    let plugins = t.path().join("bfd-plugins");
    std::fs::create_dir(&plugins).unwrap();
    std::fs::write(plugins.join("LLVMgold-14.so"), b"").unwrap();
    std::fs::write(t.path().join("a.c"), "int a(void) { return 1; }\n").unwrap();
    std::fs::write(t.path().join("b.c"), "int b(void) { return 2; }\n").unwrap();
    let out =
        run(tl_cmd("tl-cc").args(["clang-19", "-flto=thin", "-c", "a.c", "b.c"]).env("TL_BFD_PLUGIN_DIR", &plugins).current_dir(t.path()));
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!("warning: {} (LLVM 14) is older than this bitcode (LLVM 19)", plugins.join("LLVMgold-14.so").display());
    assert_eq!(stderr.matches(&expected).count(), 1, "{stderr}");
    // A plugin of the bitcode's own version is no reason to warn.
    std::fs::rename(plugins.join("LLVMgold-14.so"), plugins.join("LLVMgold-19.so")).unwrap();
    let out = run(tl_cmd("tl-cc").args(["clang-19", "-flto=thin", "-c", "a.c"]).env("TL_BFD_PLUGIN_DIR", &plugins).current_dir(t.path()));
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The lines of the README between `<!-- NAME -->` and `<!-- /NAME -->`, unindented.
fn readme_block(name: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find(&format!("<!-- {name} -->\n")).unwrap_or_else(|| panic!("README has no {name} block"));
    let end = readme.find(&format!("<!-- /{name} -->")).unwrap();
    readme[start..end].lines().skip(1).map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect()
}

#[test]
fn the_readme_install_command_and_make_quick_start_give_a_running_program() {
    if !interop() {
        return;
    }
    require(Path::new("/usr/bin/clang-19"));
    let t = tempdir();
    // The install command as written, into a private root (its own target directory: the one
    // of this test run is locked by cargo test).
    let install = readme_block("quick-start-install");
    assert_eq!(install, ["cargo install --locked --path tools"]);
    let prefix = t.path().join("prefix");
    let target = root().join("target").join("readme-install");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run_ok(
        Command::new(&cargo)
            .args(["install", "--locked", "--path", "tools", "--root"])
            .arg(&prefix)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_NET_OFFLINE", "true"),
    );
    for tool in ["tl-ar", "tl-nm", "tl-ranlib", "tl-objcopy", "tl-strip", "tl-ld", "tl-cc", "tl-cxx"] {
        assert!(prefix.join("bin").join(tool).is_file(), "cargo install did not install {tool}");
    }
    // The make quick start, line by line, in a copy of examples/, with the installed tools.
    let work = t.path().join("work");
    copy_dir(&root().join("examples"), &work.join("examples"));
    let old = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(std::iter::once(prefix.join("bin")).chain(std::env::split_paths(&old))).unwrap();
    let script = readme_block("quick-start-make").join("\n");
    let out = run_ok(Command::new("sh").arg("-ec").arg(&script).current_dir(&work).env("PATH", &path).env("TL_NO_PLUGIN_WARNING", "1"));
    assert_eq!(String::from_utf8_lossy(&out).lines().last(), Some("Hello, tl (9 bytes)"));
    let hello = work.join("examples/hello");
    assert_wrapped(&hello.join("greet.o"), "greet_len");
    assert_wrapped(&hello.join("hello.o"), "main");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn install_extras_installs_man_pages_the_cxx_link_and_gnu_names() {
    let t = tempdir();
    let bin = tl("tl-cc").parent().unwrap().to_path_buf();
    run_ok(
        Command::new(root().join("scripts/install-extras"))
            .arg("--man")
            .arg(t.path().join("man"))
            .arg("--gnu-names")
            .arg(t.path().join("gnu"))
            .arg("--cxx-link")
            .arg(t.path().join("bin"))
            .env("TL_BIN", &bin),
    );
    for page in ["man1/tl-cc.1", "man1/tl-nm.1", "man1/tl-strip.1", "man5/tl-wrap.5"] {
        assert!(t.path().join("man").join(page).is_file(), "{page} not installed");
    }
    for (name, banner) in
        [("ar", "GNU ar"), ("nm", "GNU nm"), ("ranlib", "GNU ranlib"), ("objcopy", "objcopy"), ("strip", "strip"), ("ld", "GNU linkers")]
    {
        let out = String::from_utf8(run_ok(Command::new(t.path().join("gnu").join(name)).arg("--version"))).unwrap();
        assert!(out.contains(banner) && out.contains("(tl)"), "{name}: {out}");
    }
    assert_eq!(std::fs::read_link(t.path().join("bin/tl-c++")).unwrap(), bin.join("tl-cc"));
}
