//! tl-objcopy beyond wrapping: copies through the ELF model (checked with readelf and by linking
//! and running), `--dump-section` against GNU objcopy, archives, and GNU-compatible errors.

mod harness;

use std::process::Command;

use harness::*;

/// readelf output with file offsets removed (layouts legitimately differ).
fn normalized_readelf(flag: &str, path: &std::path::Path) -> String {
    let out = String::from_utf8(run_ok(Command::new("readelf").arg(flag).arg("-W").arg(path))).unwrap();
    out.lines()
        .filter(|l| !l.contains("start of section headers") && !l.starts_with("There are") && !l.contains("at offset"))
        .map(|l| {
            if flag == "-S" && l.trim_start().starts_with('[') && !l.contains("Nr]") {
                // [Nr] Name Type Address Off Size ES Flg Lk Inf Al: drop Off.
                let f: Vec<&str> = l.split_whitespace().collect();
                let (head, rest) = if f[0] == "[" { (format!("[{}", f[1]), &f[2..]) } else { (f[0].to_string(), &f[1..]) };
                let mut v: Vec<&str> = rest.to_vec();
                if v.len() > 3 {
                    v.remove(3);
                }
                format!("{head} {}", v.join(" "))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compile(dir: &std::path::Path, cc: &str, src: &str, extra: &[&str]) -> std::path::PathBuf {
    let o = dir.join(format!("{}.o", std::path::Path::new(src).file_stem().unwrap().to_string_lossy()));
    run_ok(Command::new(cc).args(["-c", "-O1"]).args(extra).arg(root().join("fixtures/src").join(src)).arg("-o").arg(&o));
    o
}

#[test]
fn copy_preserves_sections_symbols_relocations_and_groups() {
    let dir = tempdir();
    let d = dir.path();
    let objs = [
        compile(d, "gcc", "kinds.c", &["-fcommon"]),
        compile(d, "g++", "cxx.cpp", &["-ffunction-sections", "-g"]),
        compile(d, "gcc", "prog_lib.c", &["-fdata-sections"]),
    ];
    for o in &objs {
        let c = d.join("copy.o");
        run_ok(tl_cmd("tl-objcopy").arg(o).arg(&c));
        for flag in ["-S", "-s", "-r", "-g", "-n"] {
            assert_eq!(normalized_readelf(flag, &c), normalized_readelf(flag, o), "{} readelf {flag}", o.display());
        }
    }
}

#[test]
fn copies_link_and_run() {
    let dir = tempdir();
    let d = dir.path();
    let m = compile(d, "gcc", "prog_main.c", &[]);
    let l = compile(d, "gcc", "prog_lib.c", &[]);
    let (mc, lc) = (d.join("m.copy.o"), d.join("l.copy.o"));
    run_ok(tl_cmd("tl-objcopy").arg(&m).arg(&mc));
    run_ok(tl_cmd("tl-objcopy").arg(&l).arg(&lc));
    run_ok(Command::new("gcc").arg(&mc).arg(&lc).arg("-o").arg(d.join("prog")));
    assert_eq!(run_ok(&mut Command::new(d.join("prog"))), b"answer=42\n");
    // In place (no out-file), as GNU objcopy does.
    run_ok(tl_cmd("tl-objcopy").arg(&mc));
    run_ok(Command::new("gcc").arg(&mc).arg(&lc).arg("-o").arg(d.join("prog2")));
    assert_eq!(run_ok(&mut Command::new(d.join("prog2"))), b"answer=42\n");
}

#[test]
fn dump_section_equals_gnu_objcopy() {
    let dir = tempdir();
    let d = dir.path();
    for (f, sec) in [("kinds.emb19.o", ".llvmbc"), ("kinds.emb19.o", ".llvmcmd"), ("kinds.gcc.o", ".text"), ("kinds.fat19.o", ".llvm.lto")]
    {
        let input = d.join("in.o");
        std::fs::write(&input, read_fixture(f)).unwrap();
        let (a, b) = (d.join("tl.bin"), d.join("gnu.bin"));
        run_ok(tl_cmd("tl-objcopy").arg(format!("--dump-section={sec}={}", a.display())).arg(&input));
        run_ok(
            Command::new("objcopy")
                .arg("--target=elf64-x86-64")
                .arg("--dump-section")
                .arg(format!("{sec}={}", b.display()))
                .arg(&input)
                .arg(d.join("discard.o")),
        );
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{f} {sec}");
        assert_eq!(std::fs::read(&input).unwrap(), read_fixture(f), "input untouched");
    }
}

#[test]
fn dump_section_problems_are_reported_like_gnu() {
    let dir = tempdir();
    let d = dir.path();
    let input = d.join("k.o");
    std::fs::write(&input, read_fixture("kinds.gcc.o")).unwrap();
    for (sec, gnu_tail) in [
        (".nope", "can't dump section '.nope' - it does not exist: file format not recognized"),
        (".bss", "[.bss]: can't dump section - it has no contents: file format not recognized"),
    ] {
        let tl = run(tl_cmd("tl-objcopy").arg("--dump-section").arg(format!("{sec}=x")).arg(&input).arg(d.join("o1.o")).current_dir(d));
        let gnu = run(Command::new("objcopy").arg("--dump-section").arg(format!("{sec}=x")).arg(&input).arg(d.join("o2.o")).current_dir(d));
        assert_eq!(tl.status.code(), gnu.status.code());
        let tl_err = String::from_utf8_lossy(&tl.stderr).replacen("tl-objcopy", "objcopy", 1);
        assert_eq!(tl_err, String::from_utf8_lossy(&gnu.stderr));
        assert!(tl_err.contains(gnu_tail));
    }
}

#[test]
fn errors_match_gnu_objcopy() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("t.txt"), b"hello\n").unwrap();
    for args in [vec!["nonexist.o", "out.o"], vec!["t.txt", "out.o"], vec![d.to_str().unwrap(), "out.o"], vec![]] {
        let tl = run(tl_cmd("tl-objcopy").args(&args).current_dir(d));
        let gnu = run(Command::new("objcopy").args(&args).current_dir(d));
        assert_eq!(tl.status.code(), gnu.status.code(), "{args:?}");
        let tl_err = String::from_utf8_lossy(&tl.stderr).replace("tl-objcopy", "objcopy");
        let gnu_err = String::from_utf8_lossy(&gnu.stderr);
        // The first line (the message, or the usage line) is GNU's.
        assert_eq!(tl_err.lines().next(), gnu_err.lines().next(), "{args:?}");
        assert!(!d.join("out.o").exists());
    }
    // Options GNU has and tl does not implement (here: the non-ELF outputs' options with an
    // ELF output, other targets) are refused, never ignored.
    for opt in [
        "--gap-fill=0",
        "--srec-forceS3",
        "-Opei-x86-64",
        "-Oelf32-i386",
        "-Felf64-little",
        "--reverse-bytes=2",
        "--srec-len=16",
        "--verilog-data-width=2",
        "--pad-to=64",
    ] {
        let r = run(tl_cmd("tl-objcopy").arg(opt).arg(fixture("kinds.gcc.o")).arg(d.join("x.o")));
        assert_eq!(r.status.code(), Some(1), "{opt}");
        assert!(String::from_utf8_lossy(&r.stderr).contains("is not supported yet"), "{opt}");
        assert!(!d.join("x.o").exists());
    }
}

#[test]
fn response_files_expand_like_libiberty() {
    let dir = tempdir();
    let d = dir.path();
    let w = d.join("w o.o");
    std::fs::write(d.join("args"), format!("--wrap-bitcode '{}'\n\"{}\"\n", fixture("prog_lib.thin19.o").display(), w.display())).unwrap();
    run_ok(tl_cmd("tl-objcopy").arg(format!("@{}", d.join("args").display())));
    assert!(w.exists());
}

#[test]
fn archives_are_unwrapped_member_by_member() {
    let dir = tempdir();
    let d = dir.path();
    let mut members = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o"] {
        let w = d.join(f);
        run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture(f)).arg(&w));
        members.push(w);
    }
    let native = d.join("kinds.gcc.o");
    std::fs::write(&native, read_fixture("kinds.gcc.o")).unwrap();
    members.push(native.clone());
    let lib = d.join("lib.a");
    run_ok(Command::new("ar").arg("--target=elf64-x86-64").arg("rcs").arg(&lib).args(&members));
    let out = d.join("raw.a");
    let r = run(tl_cmd("tl-objcopy").arg("--unwrap-bitcode").arg(&lib).arg(&out));
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Extract with GNU ar and compare: bitcode members are the original raw bitcode, the native
    // member is unchanged.
    let x = d.join("x");
    std::fs::create_dir(&x).unwrap();
    run_ok(Command::new("ar").arg("x").arg(&out).current_dir(&x));
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o"] {
        assert_eq!(std::fs::read(x.join(f)).unwrap(), read_fixture(f), "{f}");
    }
    assert_eq!(std::fs::read(x.join("kinds.gcc.o")).unwrap(), read_fixture("kinds.gcc.o"));
    // The index covers the bitcode members' defined globals.
    let data = std::fs::read(&out).unwrap();
    let a = libwrap::archive::read(&data, "raw.a").unwrap();
    let names: Vec<String> = a.index.unwrap().iter().map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect();
    for s in ["main", "lib_add", "lib_counter", "global_fn"] {
        assert!(names.contains(&s.to_string()), "{s} missing from {names:?}");
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, llvm-19)")]
fn unwrapped_archive_equals_llvm_ar_19() {
    let dir = tempdir();
    let d = dir.path();
    let mut wrapped = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o", "kinds.thin19.o"] {
        let w = d.join(f);
        run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(fixture(f)).arg(&w));
        wrapped.push(w);
    }
    run_ok(Command::new("ar").arg("--target=elf64-x86-64").arg("rcs").arg(d.join("w.a")).args(&wrapped));
    run_ok(tl_cmd("tl-objcopy").arg("--unwrap-bitcode").arg(d.join("w.a")).arg(d.join("tl.a")));
    let raw = d.join("raw");
    std::fs::create_dir(&raw).unwrap();
    let mut raws = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o", "kinds.thin19.o"] {
        std::fs::write(raw.join(f), read_fixture(f)).unwrap();
        raws.push(raw.join(f));
    }
    run_ok(Command::new(llvm19("llvm-ar")).arg("rcs").arg(d.join("llvm.a")).args(&raws));
    assert_eq!(std::fs::read(d.join("tl.a")).unwrap(), std::fs::read(d.join("llvm.a")).unwrap());
}

#[test]
fn binary_input_becomes_an_object_as_gnu_objcopy_makes_it() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::create_dir(d.join("res")).unwrap();
    std::fs::write(d.join("res/blob-1.bin"), b"embedded bytes\n").unwrap();
    let cases: &[&[&str]] = &[
        &["-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64"],
        &["-I", "binary", "-O", "elf32-i386", "-B", "i386"],
        &["-I", "binary", "-O", "elf32-x86-64"],
        &["-I", "binary", "-O", "elf64-little"],
        &["-I", "binary", "-O", "elf64-x86-64", "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents"],
        &["-I", "binary", "-O", "elf64-x86-64", "--redefine-sym", "_binary_res_blob_1_bin_start=blob_start"],
        &["-I", "binary", "-O", "elf64-x86-64", "-B", "sparc"],
        &["-I", "binary", "-O", "pe-x86-64"],
    ];
    for args in cases {
        let (g, t) = (d.join("g.o"), d.join("t.o"));
        let _ = (std::fs::remove_file(&g), std::fs::remove_file(&t));
        let gnu = run(Command::new("objcopy").args(*args).arg("res/blob-1.bin").arg(&g).current_dir(d));
        let tl = run(tl_cmd("tl-objcopy").args(*args).arg("res/blob-1.bin").arg(&t).current_dir(d));
        if args.contains(&"pe-x86-64") {
            // A PE output: refused, never written.
            assert_eq!(tl.status.code(), Some(1));
            assert!(!t.exists());
            continue;
        }
        assert_eq!(tl.status.code(), gnu.status.code(), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&tl.stderr).replace("tl-objcopy", "objcopy"), String::from_utf8_lossy(&gnu.stderr), "{args:?}");
        if gnu.status.success() {
            assert_eq!(readelf_normalised(&t), readelf_normalised(&g), "{args:?}");
            assert_eq!(
                run_ok(Command::new("readelf").args(["-h"]).arg(&t))
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.windows(5).any(|w| w == b"Start"))
                    .collect::<Vec<_>>(),
                run_ok(Command::new("readelf").args(["-h"]).arg(&g))
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.windows(5).any(|w| w == b"Start"))
                    .collect::<Vec<_>>(),
                "{args:?}"
            );
        }
    }
    // The embedded bytes are where a program looks for them.
    run_ok(
        tl_cmd("tl-objcopy").args(["-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64", "res/blob-1.bin", "blob.o"]).current_dir(d),
    );
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nextern const char _binary_res_blob_1_bin_start[], _binary_res_blob_1_bin_end[];\n\
         int main(void) { fwrite(_binary_res_blob_1_bin_start, 1, _binary_res_blob_1_bin_end - _binary_res_blob_1_bin_start, stdout); return 0; }\n",
    )
    .unwrap();
    run_ok(Command::new("gcc").args(["main.c", "blob.o", "-o", "prog"]).current_dir(d));
    assert_eq!(run_ok(&mut Command::new(d.join("prog"))), b"embedded bytes\n");
}
