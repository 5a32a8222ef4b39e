//! tl-objcopy's section and symbol operations and tl-strip against GNU objcopy and strip 2.40 on
//! relocatable objects (C with and without `-g`, C++ with COMDAT groups and exceptions, a GCC
//! LTO object) and archives of them: `readelf -SW -sW -rW -gW` normalised must agree, and
//! stderr and exit status too; the stripped objects link into programs that print what the
//! originals print. Also the real command lines of packagers and build systems.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

const C: &str = r#"
#include <stdio.h>
static int counter;
int global_data = 7;
const char *greeting = "hello";
__attribute__((weak)) int weak_fn(void) { return 1; }
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + counter; }
extern int helper(int);
__attribute__((noinline)) static int local_fn(int x) { counter++; return helper(x) + global_data; }
int api(int x) { return local_fn(x) + hidden_fn(x) + weak_fn(); }
"#;

const HELPER: &str = "int helper(int x) { return 2 * x; }\n";

const CXX: &str = r#"
#include <stdexcept>
template <typename T> T twice(T x) { return x + x; }
inline int shared_counter() { static int n; return ++n; }
extern "C" int cxx_api(int x) {
  try { if (x < 0) throw std::runtime_error("neg"); } catch (...) { return -1; }
  return twice(x) + (int)twice<long>(x) + shared_counter();
}
"#;

const MAIN: &str =
    "#include <stdio.h>\nint api(int); int cxx_api(int);\nint main(void) { printf(\"%d %d\\n\", api(3), cxx_api(4)); return 0; }\n";

/// Builds the inputs: objects and an archive; returns the object names.
fn build(d: &Path) -> Vec<&'static str> {
    for (n, t) in [("c.c", C), ("helper.c", HELPER), ("cxx.cpp", CXX), ("main.c", MAIN)] {
        std::fs::write(d.join(n), t).unwrap();
    }
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 -c c.c -o c.o && gcc -O1 -g -c c.c -o cg.o && gcc -O1 -c helper.c && gcc -O1 -c main.c");
    sh("g++ -O1 -c cxx.cpp -o cxx.o && g++ -O1 -g -c cxx.cpp -o cxxg.o && gcc -O2 -flto -c helper.c -o lto.o");
    sh("ar rc lib.a cg.o helper.o cxxg.o");
    // A thin archive (GNU refuses to copy one).
    sh("ar rcT thin.a cg.o helper.o");
    // An object that has a debug link already (GNU made it).
    sh("echo debug > linked.debug && objcopy --add-gnu-debuglink=linked.debug c.o linked.o");
    // Compressed debug sections, as gcc -gz writes them.
    sh("g++ -O1 -g -gz -c cxx.cpp -o gz.o");
    // Split-DWARF sections next to ordinary ones (what gcc -gsplit-dwarf hands to objcopy).
    std::fs::write(
        d.join("dwo.s"),
        ".section .debug_info.dwo,\"e\",@progbits\n.long 1\n.section .debug_abbrev.dwo,\"e\",@progbits\n.byte 0\n\
         .section .debug_info,\"\",@progbits\n.long 2\n.text\n.globl f\nf: ret\nlocal_label: ret\n",
    )
    .unwrap();
    sh("as dwo.s -o dwo.o");
    sh("gcc -O1 -fcommon -c c.c -o common.o");
    vec!["c.o", "cg.o", "cxx.o", "cxxg.o", "helper.o", "lto.o", "linked.o", "gz.o", "dwo.o", "common.o"]
}

/// Symbol lists for the `…-symbols FILE` forms.
fn write_lists(d: &Path) {
    std::fs::write(d.join("syms.txt"), "# symbols\nglobal_data\n  greeting  # trailing comment\n\nhidden_fn\n").unwrap();
    std::fs::write(d.join("redef.txt"), "api renamed_api # comment\nglobal_data gd\n").unwrap();
    std::fs::write(d.join("blob.bin"), "some bytes").unwrap();
}

/// zstd's output depends on the library's version (GNU's and tl's differ): compares which
/// sections are compressed (only for objects: GNU's zstd output for an archive member differs
/// from its output for the same object alone, so whether compressing pays off differs too),
/// and the objects once GNU objcopy decompressed both.
fn zstd_differs(d: &Path, g: &str, t: &str, member: bool) -> Option<String> {
    let flagged = |f: &str| {
        let text = String::from_utf8(run_ok(Command::new("readelf").args(["-SW", f]).current_dir(d))).unwrap();
        text.lines()
            .filter(|l| l.contains(".debug_"))
            .map(|l| (l.split_whitespace().nth(1).map(str::to_string), l.contains(" C ")))
            .collect::<Vec<_>>()
    };
    if !member && flagged(g) != flagged(t) {
        return Some("compressed sections differ".into());
    }
    let plain = |f: &str| {
        let out = format!("plain-{f}");
        run_ok(Command::new("objcopy").args(["--decompress-debug-sections", f, &out]).current_dir(d));
        readelf_normalised(&d.join(out))
    };
    (plain(g) != plain(t)).then(|| "differs once decompressed".into())
}

/// Runs GNU's tool and tl's on a copy of `input` each; compares outcome and readelf.
fn compare(d: &Path, gnu: &str, tl_tool: &str, opts: &str, input: &str) -> Option<String> {
    let InPlace { g, t, gnu_status, tl_status, gnu_stderr: ge, tl_stderr: te } = in_place_both(d, gnu, tl_tool, opts, input);
    if gnu_status != tl_status || ge != te {
        return Some(format!("{gnu} {opts} {input}: status {:?}/{:?}, stderr GNU {ge:?} tl {te:?}", gnu_status, tl_status));
    }
    if gnu_status != Some(0) {
        return None;
    }
    if input.ends_with(".a") {
        let members = |a: &str| String::from_utf8(run_ok(Command::new("ar").arg("t").arg(a).current_dir(d))).unwrap();
        if members(&g) != members(&t) {
            return Some(format!("{gnu} {opts} {input}: members differ"));
        }
        for m in members(&g).lines() {
            let (gm, tm) = (d.join(format!("gx-{m}")), d.join(format!("tx-{m}")));
            run_ok(
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("ar p {g} {m} > {} && ar p {t} {m} > {}", gm.display(), tm.display()))
                    .current_dir(d),
            );
            if opts.contains("zstd") {
                let (gm, tm) = (format!("gx-{m}"), format!("tx-{m}"));
                if let Some(why) = zstd_differs(d, &gm, &tm, true) {
                    return Some(format!("{gnu} {opts} {input}({m}): {why}"));
                }
            } else if readelf_normalised(&gm) != readelf_normalised(&tm) {
                return Some(format!(
                    "{gnu} {opts} {input}({m}): readelf differs\nGNU:\n{}\ntl:\n{}",
                    readelf_normalised(&gm),
                    readelf_normalised(&tm)
                ));
            }
        }
        return None;
    }
    if opts.contains("zstd") {
        return zstd_differs(d, &g, &t, false).map(|why| format!("{gnu} {opts} {input}: {why}"));
    }
    if opts.contains("compress") {
        let sections = String::from_utf8(run_ok(Command::new("readelf").args(["-SW", &g]).current_dir(d))).unwrap();
        for name in sections.split_whitespace().filter(|w| w.starts_with(".debug_") || w.starts_with(".zdebug_")) {
            let hex = |f: &str| run(Command::new("readelf").args(["-x", name, f]).current_dir(d)).stdout;
            if hex(&g) != hex(&t) {
                return Some(format!("{gnu} {opts} {input}: {name} contents differ"));
            }
        }
    }
    if opts.contains("start") || opts.contains("addresses") || opts.contains("adjust") {
        let entry = |f: &str| {
            let h = String::from_utf8(run_ok(Command::new("readelf").args(["-h", f]).current_dir(d))).unwrap();
            h.lines().find(|l| l.contains("Entry point")).map(str::to_string)
        };
        if entry(&g) != entry(&t) {
            return Some(format!("{gnu} {opts} {input}: entry point differs: {:?} / {:?}", entry(&g), entry(&t)));
        }
    }
    if opts.contains("debuglink") {
        let hex = |f: &str| run(Command::new("readelf").args(["-x", ".gnu_debuglink", f]).current_dir(d)).stdout;
        if hex(&g) != hex(&t) {
            return Some(format!("{gnu} {opts} {input}: .gnu_debuglink differs"));
        }
    }
    let (gn, tn) = (readelf_normalised(&d.join(&g)), readelf_normalised(&d.join(&t)));
    if gn != tn {
        let only = |a: &str, b: &str| a.lines().filter(|l| !b.lines().any(|m| m == *l)).collect::<Vec<_>>().join("\n  ");
        return Some(format!("{gnu} {opts} {input}: readelf differs\n only GNU:\n  {}\n only tl:\n  {}", only(&gn, &tn), only(&tn, &gn)));
    }
    None
}

const OBJCOPY_OPTIONS: &[&str] = &[
    "-M",
    "--merge-notes --no-merge-notes",
    "--no-merge-notes -M",
    "",
    "-g",
    "--strip-debug",
    "--strip-unneeded",
    "-S",
    "-x",
    "-X",
    "--keep-file-symbols -g",
    "-R .comment",
    "-R .comment -R .note.GNU-stack",
    "--remove-section=.rela.eh_frame",
    "--remove-relocations=.eh_frame",
    "-R '.debug*'",
    "-R '.note*' -R '!.note.GNU-stack'",
    "-N api",
    "-N helper",
    "--strip-symbol=global_data",
    "--strip-symbols=syms.txt",
    "-K api -S",
    "--keep-symbols=syms.txt --strip-unneeded",
    "-L api",
    "--localize-symbols=syms.txt",
    "--globalize-symbol=counter",
    "-G api",
    "--keep-global-symbols=syms.txt",
    "-W api",
    "--weaken",
    "--weaken-symbols=syms.txt",
    "--localize-hidden",
    "--redefine-sym api=new_api",
    "--redefine-syms=redef.txt",
    "--prefix-symbols=__pi_",
    "--prefix-symbols=__pi_ --redefine-sym api=x",
    "-w -N 'glob*'",
    "-w -L '*_fn'",
    "-w -W '*' -L '!api'",
    "--strip-unneeded-symbol=api",
    "--strip-unneeded-symbol=api -L helper",
    "-w --strip-unneeded-symbol='*' -W api",
    "--keep-file-symbols",
    "--rename-section .data=.data.efistub",
    "--rename-section .text=.text.renamed",
    "--rename-section .data=.rodata,alloc,load,readonly,data,contents",
    "--rename-section .data=.x,alloc",
    "--rename-section .bss=.y,alloc,load,contents",
    "--rename-section .text=.t,alloc,code,readonly,contents",
    "--rename-section .data=.x,bogus",
    "--set-section-flags .data=alloc,readonly",
    "--set-section-flags .bss=alloc,load",
    "--set-section-flags .bss=contents",
    "--set-section-flags .text=alloc,code,readonly,contents,exclude",
    "--set-section-flags '.debug*=readonly,debug'",
    "--set-section-flags .comment=alloc,merge,strings,contents",
    "--set-section-flags .data=a,r,CO",
    "--set-section-flags .data",
    "--prefix-sections=.pp",
    "--prefix-alloc-sections=.init",
    "--prefix-alloc-sections=.init --prefix-sections=.pp",
    "--set-section-alignment .data=64",
    "--set-section-alignment '.debug*=16' --set-section-alignment .text=0x20",
    "--set-section-alignment .text=3",
    "--set-section-alignment .text",
    "--set-section-alignment .text=0",
    "--add-gnu-debuglink=blob.bin",
    "--add-gnu-debuglink=syms.txt -R .comment",
    "--add-gnu-debuglink=no-such.debug",
    "--only-keep-debug",
    "--only-keep-debug -R .comment",
    "--add-symbol newsym=0x10",
    "--add-symbol newsym=.text:4",
    "--add-symbol newsym=.text:4,local",
    "--add-symbol newsym=.text:4,weak,function",
    "--add-symbol newsym=.data:0,global,object --add-symbol other=7,local,debug",
    "--add-symbol newsym=.nosuch:4",
    "--add-symbol newsym=.text:4,bogus",
    "--add-symbol newsym=.text:4,before=api",
    "--add-symbol newsym=.text:4,global,before=api",
    "--add-symbol newsym",
    "--add-symbol newsym=.text:x,unique-object",
    "--add-symbol newsym=.text:010,indirect-function -N api",
    "--extract-symbol",
    "--extract-symbol -g",
    "--change-section-address .data=0x1000",
    "--change-section-vma .text+0x10 --change-section-lma .text=0x2000",
    "--change-section-vma .text-0x10",
    "--change-addresses 0x100",
    "--adjust-vma=0x10 --change-section-vma '.t*=0x30'",
    "--set-start 0x40 --change-start 8",
    "--change-start 8 --change-addresses 0x100",
    "--change-addresses 0x100 --change-start 8",
    "--change-section-vma .nosuch=4",
    "--change-section-address .nosuch+0x10 --change-section-vma .nosuch2=8",
    "--change-section-vma .nosuch-0x10 --no-change-warnings",
    "--no-change-warnings --change-warnings --change-section-lma .nosuch=1",
    "--change-section-vma .text",
    "--change-section-vma .note.GNU-stack=0x10",
    "--set-start=zz",
    "--elf-stt-common=yes",
    "--elf-stt-common=no",
    "--elf-stt-common=maybe",
    "--strip-dwo",
    "--extract-dwo",
    "--extract-dwo --strip-dwo",
    "-g --keep-section-symbols=x",
    "--strip-unneeded --keep-section-symbols=x",
    "--writable-text",
    "-O elf64-x86-64",
    "-F elf64-x86-64 -R .comment",
    "-I elf64-x86-64 -O elf64-x86-64 -g",
    "--long-section-names enable",
    "--long-section-names bogus",
    "--remove-leading-char --change-leading-char",
    "--readonly-text --pure --impure",
    "--compress-debug-sections",
    "--compress-debug-sections=zlib-gabi",
    "--compress-debug-sections=zlib-gnu",
    "--compress-debug-sections=zstd",
    "--compress-debug-sections=none",
    "--compress-debug-sections=bogus",
    "--decompress-debug-sections",
    "--compress-debug-sections --strip-unneeded",
    "--only-keep-debug -g",
    "-g --only-keep-debug",
    "--strip-unneeded -g",
    "-g --strip-unneeded",
    "--add-section .note.blob=blob.bin",
    "--update-section .comment=blob.bin",
    "--strip-debug --strip-unneeded",
    "-x --keep-file-symbols",
];

#[test]
fn objcopy_operations_match_gnu_objcopy() {
    let dir = tempdir();
    let d = dir.path();
    let objects = build(d);
    write_lists(d);
    let mut failures = Vec::new();
    let mut runs = 0;
    for opts in OBJCOPY_OPTIONS {
        for input in objects.iter().copied().chain(["lib.a", "thin.a"]) {
            runs += 1;
            // GNU objcopy -o is positional; in place here (same as `objcopy opts in`).
            if let Some(f) = compare(d, "objcopy", "tl-objcopy", opts, input) {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}

const STRIP_OPTIONS: &[&str] = &[
    "",
    "-M",
    "--no-merge-notes",
    "-s",
    "-S",
    "-g",
    "-d",
    "--strip-debug",
    "--strip-unneeded",
    "-x",
    "-X",
    "-K api",
    "-N api",
    "-R .comment",
    "--strip-debug --strip-unneeded",
    "--strip-unneeded --strip-debug",
    "--only-keep-debug",
    "--only-keep-debug -s",
    "--strip-dwo",
    "-g --keep-section-symbols",
    // dh_strip on static libraries, shared libraries, executables; Arch's makepkg; openSUSE.
    "--strip-debug --remove-section=.comment --remove-section=.note --enable-deterministic-archives -R '.gnu.lto_*' -R '.gnu.debuglto_*' -N __gnu_lto_slim -N __gnu_lto_v1",
    "--remove-section=.comment --remove-section=.note --strip-unneeded",
    "-R '.gnu.lto_*' -R '.gnu.debuglto_*' -N __gnu_lto_v1",
    "-p --discard-locals -R .comment -R .note",
    "--strip-debug --keep-file-symbols",
];

#[test]
fn strip_matches_gnu_strip_and_stripped_objects_still_link() {
    let dir = tempdir();
    let d = dir.path();
    let objects = build(d);
    let mut failures = Vec::new();
    let mut runs = 0;
    for opts in STRIP_OPTIONS {
        for input in objects.iter().copied().chain(["lib.a", "thin.a"]) {
            runs += 1;
            if let Some(f) = compare(d, "strip", "tl-strip", opts, input) {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
    // Objects stripped of what a link does not need still link; the program prints the same.
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("g++ main.o cg.o helper.o cxxg.o -o prog");
    for opts in ["--strip-debug", "--strip-unneeded", "-x", "-X"] {
        sh(&format!("cp cg.o s1.o && cp cxxg.o s2.o && cp lib.a s.a && {} {opts} s1.o s2.o s.a", tl("tl-strip").display()));
        sh("g++ main.o s1.o helper.o s2.o -o prog2 && g++ main.o s.a -o prog3");
        let want = sh("./prog");
        assert_eq!(sh("./prog2"), want, "{opts}");
        assert_eq!(sh("./prog3"), want, "{opts}");
    }
}

#[test]
fn strip_goes_on_after_a_failed_file_and_leaves_it_untouched() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    std::fs::write(d.join("bad.o"), b"\x7fELF garbage").unwrap();
    let before = std::fs::read(d.join("bad.o")).unwrap();
    let out = run(tl_cmd("tl-strip").args(["-g", "bad.o", "cg.o", "missing.o"]).current_dir(d));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tl-strip: bad.o:") && err.contains("tl-strip: 'missing.o': No such file"), "{err}");
    assert_eq!(std::fs::read(d.join("bad.o")).unwrap(), before);
    let syms = String::from_utf8(run_ok(Command::new("readelf").args(["-SW", "cg.o"]).current_dir(d))).unwrap();
    assert!(!syms.contains(".debug_info"), "cg.o was stripped after the failure");
}

#[test]
fn wrapped_objects_keep_their_bitcode_under_section_operations_and_change_it_under_symbol_ones() {
    let dir = tempdir();
    let d = dir.path();
    let w = d.join("w.o");
    run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture("prog_lib.thin19.o")).arg(&w));
    let nm = |f: &Path| String::from_utf8(run_ok(tl_cmd("tl-nm").arg(f))).unwrap();
    // GNU nm without a plugin (an explicit BFD target) sees the ELF mirror.
    let gnu_nm = |f: &Path| String::from_utf8(run_ok(Command::new("nm").arg("--target=elf64-x86-64").arg(f))).unwrap();
    let llvmbc = |f: &Path| {
        let out = d.join("bc.bin");
        run_ok(tl_cmd("tl-objcopy").arg(format!("--dump-section=.llvmbc={}", out.display())).arg(f));
        std::fs::read(out).unwrap()
    };
    let (view, bc) = (nm(&w), llvmbc(&w));
    for opts in [&["-R", ".comment"][..], &["--strip-debug"], &["--add-section", &format!(".note.x={}", w.display())]] {
        let o = d.join("o.o");
        run_ok(tl_cmd("tl-objcopy").args(opts).arg(&w).arg(&o));
        assert_eq!(nm(&o), view, "{opts:?}");
        assert_eq!(llvmbc(&o), bc, "{opts:?}");
    }
    // Symbol operations change the bitcode, and the mirror follows it.
    let o = d.join("renamed.o");
    run_ok(tl_cmd("tl-objcopy").args(["--redefine-sym", "lib_add=lib_sum", "-R", ".comment"]).arg(&w).arg(&o));
    assert_ne!(llvmbc(&o), bc);
    let lines = |t: String| sorted(&t.lines().map(str::to_string).collect::<Vec<_>>());
    assert_eq!(lines(nm(&o)), lines(view.replace(" lib_add\n", " lib_sum\n")));
    // GNU nm also lists the guard (tl-nm hides it).
    assert_eq!(gnu_nm(&o).replace("                 U __tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld\n", ""), nm(&o));
    let raw = d.join("renamed.bc");
    std::fs::write(&raw, llvmbc(&o)).unwrap();
    assert_eq!(String::from_utf8(run_ok(tl_cmd("tl-nm").arg(&raw))).unwrap(), nm(&o));
    // Removing the bitcode, or what cannot be done inside it, is refused and writes nothing.
    for (opts, named) in [(&["-R", ".llvmbc"][..], ".llvmbc"), (&["--strip-all"], "--strip-all"), (&["-j", ".text"], "--only-section")] {
        let o = d.join("refused.o");
        std::fs::write(&o, b"previous").unwrap();
        let out = run(tl_cmd("tl-objcopy").args(opts).arg(&w).arg(&o));
        assert_eq!(out.status.code(), Some(1), "{opts:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(named), "{opts:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(std::fs::read(&o).unwrap(), b"previous", "{opts:?}: output untouched");
    }
}

#[test]
fn compressed_debug_sections_read_back() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let info = |f: &str| String::from_utf8(run_ok(Command::new("readelf").args(["-wi", f]).current_dir(d))).unwrap();
    let plain = info("cxxg.o");
    assert!(plain.contains("DW_TAG_compile_unit"));
    for method in ["zlib", "zlib-gnu", "zstd"] {
        let out = format!("z-{method}.o");
        run_ok(tl_cmd("tl-objcopy").arg(format!("--compress-debug-sections={method}")).args(["cxxg.o", &out]).current_dir(d));
        assert_eq!(info(&out).replace(".zdebug_", ".debug_"), plain, "{method}");
        // And back, byte for byte what the compiler wrote.
        let back = format!("u-{method}.o");
        run_ok(tl_cmd("tl-objcopy").args(["--decompress-debug-sections", &out, &back]).current_dir(d));
        for name in [".debug_info", ".debug_line", ".debug_str"] {
            let hex = |f: &str| run_ok(Command::new("readelf").args(["-x", name, f]).current_dir(d));
            assert_eq!(hex(&back), hex("cxxg.o"), "{method} {name}");
        }
    }
    // gcc -gz input, decompressed by tl and by GNU.
    run_ok(tl_cmd("tl-objcopy").args(["--decompress-debug-sections", "gz.o", "gz-t.o"]).current_dir(d));
    run_ok(Command::new("objcopy").args(["--decompress-debug-sections", "gz.o", "gz-g.o"]).current_dir(d));
    for name in [".debug_info", ".debug_line", ".debug_str", ".debug_abbrev"] {
        let hex = |f: &str| run_ok(Command::new("readelf").args(["-x", name, f]).current_dir(d));
        assert_eq!(hex("gz-t.o"), hex("gz-g.o"), "{name}");
    }
}

#[test]
fn debug_files_and_debug_links_read_back_like_gnus() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    let tl_objcopy = tl("tl-objcopy").display().to_string();
    // Buck2's split: keep the debug info aside, strip the object, link the two.
    for (tool, prefix) in [("objcopy", "g"), (tl_objcopy.as_str(), "t")] {
        sh(&format!("{tool} --only-keep-debug cg.o {prefix}.debug"));
        sh(&format!("{tool} --strip-debug --keep-file-symbols --add-gnu-debuglink={prefix}.debug cg.o {prefix}.o"));
    }
    for dump in ["--debug-dump=info", "--debug-dump=line", "--debug-dump=links"] {
        // readelf follows a debug link to the file it names: call both X.debug.
        let read = |f: &str| {
            let text = String::from_utf8(run_ok(Command::new("readelf").arg(dump).arg(f).current_dir(d))).unwrap();
            text.replace(f, "FILE").replace("t.debug", "X.debug").replace("g.debug", "X.debug")
        };
        assert_eq!(read("t.debug"), read("g.debug"), "{dump}");
        assert!(dump != "--debug-dump=info" || read("t.debug").contains("DW_TAG_compile_unit"));
        if dump == "--debug-dump=links" {
            // Each link names its tool's debug file with that file's CRC (the files differ
            // only in layout, so the CRCs differ).
            for (o, f) in [("t.o", "t.debug"), ("g.o", "g.debug")] {
                let crc = crc32fast::hash(&std::fs::read(d.join(f)).unwrap());
                let text = String::from_utf8(run_ok(Command::new("readelf").arg(dump).arg(o).current_dir(d))).unwrap();
                assert!(
                    text.contains(&format!("Separate debug info file: {f}")) && text.contains(&format!("CRC value: {crc:#x}")),
                    "{text}"
                );
            }
        } else {
            assert_eq!(read("t.o"), read("g.o"), "{dump}");
        }
    }
}
