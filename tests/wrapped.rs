//! The wrapped-object format: round trips, the ELF mirror as GNU nm and readelf see it (no
//! plugin), the summary section, the guard, foreign `ld -r` concatenation, other targets.
//! Tests marked `tl_interop` need clang-19, lld-19 and llvm-19 (TL_INTEROP=1).

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;
use libwrap::{bitcode, elf, embedded, file_kind as sniff, wrapped, wrapped::summary_section as tlsummary};

/// Raw bitcode fixtures of ELF targets (x86_64): the LLVM 19 and 14 fixtures that are raw
/// bitcode, rustc's LLVM 22 module, and the bitcode of an embedded object.
fn raw_fixtures() -> Vec<&'static str> {
    let raw = |f: &&str| !f.ends_with(".emb19.o") && !f.ends_with(".fat19.o");
    LLVM19_FIXTURES.iter().chain(LLVM14_FIXTURES).copied().filter(raw).chain(["rlib.22.bc", "kinds.emb19.llvmbc"]).collect()
}

/// tl's bitcode view (letter, name), without format-specific symbols.
fn view(data: &[u8]) -> Vec<(char, String)> {
    let c = bitcode::parse(data).unwrap();
    let mut v = Vec::new();
    for m in &c.modules {
        for s in bitcode::symtab::read(m).unwrap().symbols {
            if !s.format_specific() {
                v.push((s.nm_letter(), String::from_utf8_lossy(&s.name).into_owned()));
            }
        }
    }
    v
}

fn guard() -> (char, String) {
    ('U', String::from_utf8_lossy(wrapped::GUARD_SYMBOL).into_owned())
}

fn tl_objcopy(args: &[&str]) -> Vec<u8> {
    run_ok(tl_cmd("tl-objcopy").args(args))
}

#[test]
fn unwrap_of_wrap_is_byte_identical() {
    let dir = tempdir();
    for f in raw_fixtures() {
        let w = dir.path().join(format!("{f}.w.o"));
        let u = dir.path().join(format!("{f}.u.bc"));
        tl_objcopy(&["--wrap-bitcode", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        tl_objcopy(&["--unwrap-bitcode", w.to_str().unwrap(), u.to_str().unwrap()]);
        assert_eq!(std::fs::read(&u).unwrap(), read_fixture(f), "{f}");
        let data = std::fs::read(&w).unwrap();
        assert_eq!(sniff::classify(&elf::read(&data).unwrap()), sniff::ElfKind::Wrapped, "{f}");
    }
}

#[test]
fn gnu_nm_without_plugin_sees_the_bitcode_symbols() {
    // `--target` makes BFD read the ELF directly, bypassing /usr/lib/bfd-plugins (whose
    // LLVMgold-14 would claim .llvmbc); the interop test below does the same with the plugin
    // directory hidden.
    let dir = tempdir();
    for f in raw_fixtures() {
        let w = dir.path().join(format!("{f}.w.o"));
        tl_objcopy(&["-I", "llvm-bc", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        let out = run_ok(Command::new("nm").arg("--target=elf64-x86-64").arg(&w));
        // The mirror is resolved across the modules: a name one module defines is not also
        // undefined (split LTO units and llvm-cat files have several modules).
        let all = view(&read_fixture(f));
        let defined: Vec<String> = all.iter().filter(|(l, _)| !matches!(l, 'U' | 'w')).map(|(_, n)| n.clone()).collect();
        let mut expected: Vec<(char, String)> = all.into_iter().filter(|(l, n)| !(matches!(l, 'U' | 'w') && defined.contains(n))).collect();
        expected.sort();
        expected.dedup();
        expected.push(guard());
        assert_eq!(sorted(&parse_nm(&String::from_utf8(out).unwrap())), sorted(&expected), "{f}");
    }
}

/// `readelf -sW` rows: (bind, type, vis, ndx, name, size, value).
fn readelf_symbols(path: &Path) -> Vec<Vec<String>> {
    let out = String::from_utf8(run_ok(Command::new("readelf").arg("-sW").arg(path))).unwrap();
    out.lines()
        .filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit()) && l.contains(':'))
        .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .filter(|r| r.len() == 8)
        .collect()
}

#[test]
fn readelf_agrees_with_the_bitcode_view() {
    let dir = tempdir();
    for f in ["kinds.thin19.o", "t14.bc", "cxx.thin19.o", "kinds.thin14.o"] {
        let w = dir.path().join(format!("{f}.w.o"));
        tl_objcopy(&["--wrap-bitcode", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        let rows = readelf_symbols(&w);
        let bytes = read_fixture(f);
        let c = bitcode::parse(&bytes).unwrap();
        let syms = bitcode::symtab::read(&c.modules[0]).unwrap().symbols;
        for s in syms.iter().filter(|s| !s.format_specific()) {
            let name = String::from_utf8_lossy(&s.name).into_owned();
            let row = rows.iter().find(|r| r[7] == name).unwrap_or_else(|| panic!("{f}: {name} not in readelf"));
            let (size, value, typ, bind, vis, ndx) = (&row[2], &row[1], &row[3], &row[4], &row[5], &row[6]);
            let undefined = s.nm_letter() == 'U' || s.nm_letter() == 'w';
            assert_eq!(ndx == "UND", undefined, "{f}: {name} {row:?}");
            let want_bind = if s.nm_letter().is_ascii_lowercase() && !matches!(s.nm_letter(), 'w') {
                "LOCAL"
            } else if matches!(s.nm_letter(), 'W' | 'w') {
                "WEAK"
            } else {
                "GLOBAL"
            };
            assert_eq!(bind, want_bind, "{f}: {name}");
            let want_vis = match s.flags & 3 {
                1 => "HIDDEN",
                2 => "PROTECTED",
                _ => "DEFAULT",
            };
            assert_eq!(vis, want_vis, "{f}: {name}");
            if s.nm_letter() == 'C' {
                assert_eq!(ndx, "COM");
                assert_eq!(size.parse::<u64>().unwrap(), s.common_size.unwrap(), "{f}: {name} size");
                assert_eq!(u64::from_str_radix(value, 16).unwrap(), u64::from(s.common_align.unwrap()), "{f}: {name} align");
                assert_eq!(typ, "OBJECT");
            }
            if s.has(bitcode::irsymtab::flag::TLS) && !undefined {
                assert_eq!(typ, "TLS", "{f}: {name}");
            }
        }
    }
}

#[test]
fn summary_records_match_modules_and_detect_corruption() {
    let dir = tempdir();
    let w = dir.path().join("k.w.o");
    tl_objcopy(&["--wrap-bitcode", fixture("cxx.split19.o").to_str().unwrap(), w.to_str().unwrap()]);
    let data = std::fs::read(&w).unwrap();
    let obj = elf::read(&data).unwrap();
    let insp = wrapped::inspect(&obj).unwrap();
    assert_eq!(insp.records.len(), 2);
    assert_eq!(insp.matches, vec![Some(0), Some(1)]);
    assert_eq!(insp.records[0].summary_kind, 1, "ThinLTO half");
    assert_eq!(insp.records[1].summary_kind, 2, "regular LTO half");
    // One flipped byte anywhere in a record is a CRC error.
    let section = embedded::sections_named(&obj, wrapped::SUMMARY_SECTION)[0].to_vec();
    for at in [13, section.len() / 2, section.len() - 1] {
        let mut bad = section.clone();
        bad[at] ^= 0x20;
        let e = tlsummary::decode_all(&bad).unwrap_err();
        assert!(e.0.contains("corrupt") || e.0.contains("no summary record") || e.0.contains("claims"), "{e}");
    }
}

#[test]
fn foreign_ld_r_concatenation_keeps_every_module_and_record() {
    let dir = tempdir();
    let d = dir.path();
    let mut wrapped_files = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o", "cxx.split19.o"] {
        let w = d.join(format!("{f}.w.o"));
        tl_objcopy(&["--wrap-bitcode", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        wrapped_files.push(w);
    }
    let r = d.join("r.o");
    run_ok(Command::new("ld").arg("-r").args(&wrapped_files).arg("-o").arg(&r));
    let data = std::fs::read(&r).unwrap();
    let obj = elf::read(&data).unwrap();
    assert_eq!(sniff::classify(&obj), sniff::ElfKind::Wrapped);
    let insp = wrapped::inspect(&obj).unwrap();
    assert_eq!(insp.records.len(), 4);
    assert!(insp.matches.iter().all(Option::is_some));
    // The guard survives the partial link.
    assert!(obj.symbols.iter().any(|s| s.name.as_ref() == wrapped::GUARD_SYMBOL && s.section == elf::SymbolSection::Undefined));
    // Unwrapping yields LLVM's multi-module layout: one magic, every module.
    let u = d.join("r.bc");
    tl_objcopy(&["--unwrap-bitcode", r.to_str().unwrap(), u.to_str().unwrap()]);
    let bc = std::fs::read(&u).unwrap();
    let c = bitcode::parse(&bc).unwrap();
    assert_eq!(c.streams, 1);
    assert_eq!(c.modules.len(), 4);
    // Splitting gives one file per unit: the split LTO unit's two halves stay together.
    let split = d.join("split");
    tl_objcopy(&["--split-modules", split.to_str().unwrap(), r.to_str().unwrap()]);
    let mut files: Vec<_> = std::fs::read_dir(&split).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3);
    assert_eq!(std::fs::read(&files[0]).unwrap(), read_fixture("prog_main.thin19.o"));
    assert_eq!(std::fs::read(&files[1]).unwrap(), read_fixture("prog_lib.thin19.o"));
    assert_eq!(std::fs::read(&files[2]).unwrap(), read_fixture("cxx.split19.o"));
}

#[test]
fn native_link_of_a_wrapped_object_fails_with_the_guard() {
    let dir = tempdir();
    let d = dir.path();
    let (m, l) = (d.join("m.o"), d.join("l.o"));
    tl_objcopy(&["--wrap-bitcode", fixture("prog_main.thin19.o").to_str().unwrap(), m.to_str().unwrap()]);
    tl_objcopy(&["--wrap-bitcode", fixture("prog_lib.thin19.o").to_str().unwrap(), l.to_str().unwrap()]);
    for extra in [&[][..], &["-Wl,--gc-sections"][..], &["-r", "-nostdlib"][..]] {
        let out = run(Command::new("gcc").args(extra).arg(&m).arg(&l).arg("-o").arg(d.join("a.out")));
        if extra.contains(&"-r") {
            assert!(out.status.success(), "partial link keeps the guard");
            continue;
        }
        assert!(!out.status.success(), "native link must fail ({extra:?})");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("undefined reference to `__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld'"), "{err}");
    }
}

#[test]
fn elf_identity_follows_the_triple() {
    // (fixture, class, data, machine as readelf -h prints it, e_flags)
    let cases = [
        ("prog_lib.aarch64-linux-gnu.o", "ELF64", "little", "AArch64", "0x0"),
        ("prog_lib.i686-linux-gnu.o", "ELF32", "little", "Intel 80386", "0x0"),
        ("prog_lib.armv7-linux-gnueabihf.o", "ELF32", "little", "ARM", "0x5000400"),
        ("prog_lib.riscv64-linux-gnu.o", "ELF64", "little", "RISC-V", "0x5"),
        ("prog_lib.powerpc64le-linux-gnu.o", "ELF64", "little", "PowerPC64", "0x2"),
        ("prog_lib.s390x-linux-gnu.o", "ELF64", "big", "IBM S/390", "0x0"),
        ("prog_lib.thin19.o", "ELF64", "little", "Advanced Micro Devices X86-64", "0x0"),
    ];
    let dir = tempdir();
    for (f, class, data, machine, flags) in cases {
        let w = dir.path().join(format!("{f}.w.o"));
        tl_objcopy(&["--wrap-bitcode", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        let h = String::from_utf8(run_ok(Command::new("readelf").arg("-hW").arg(&w))).unwrap();
        let field = |k: &str| h.lines().find(|l| l.trim_start().starts_with(k)).unwrap().split(':').nth(1).unwrap().trim().to_string();
        assert_eq!(field("Class"), class, "{f}");
        assert!(field("Data").contains(data), "{f}");
        assert_eq!(field("Machine"), machine, "{f}");
        assert_eq!(field("Flags").split(',').next().unwrap(), flags, "{f}");
        assert_eq!(field("Type"), "REL (Relocatable file)", "{f}");
        // The mirror is readable by GNU nm through the generic ELF targets.
        let tgt = format!("elf{}-{}", &class[3..], data);
        let nm = run_ok(Command::new("nm").arg(format!("--target={tgt}")).arg(&w));
        let mut expected = view(&read_fixture(f));
        expected.push(guard());
        assert_eq!(sorted(&parse_nm(&String::from_utf8(nm).unwrap())), sorted(&expected), "{f}");
    }
}

#[test]
fn non_elf_targets_are_refused_clearly() {
    let dir = tempdir();
    let w = dir.path().join("d.o");
    let out = run(tl_cmd("tl-objcopy").args(["--wrap-bitcode", fixture("prog_lib.darwin19.o").to_str().unwrap(), w.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("tl-objcopy: ") && err.contains("prog_lib.darwin19.o") && err.contains("Mach-O"), "{err}");
    assert!(!w.exists(), "no output on error");
}

// ---- interop (TL_INTEROP=1): clang-19, lld-19, llvm-19 ----

fn clang19() -> std::path::PathBuf {
    let p = llvm19("clang");
    require(&p);
    p
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, llvm-19)")]
fn must_show_3_no_plugin_archive_nm_ld_r_split_and_lld_link() {
    let dir = tempdir();
    let d = dir.path();
    let src = root().join("fixtures/src");
    for (c, o) in [("prog_main.c", "main.o"), ("prog_lib.c", "lib.o")] {
        run_ok(Command::new(clang19()).args(["-O1", "-flto=thin", "-c"]).arg(src.join(c)).arg("-o").arg(d.join(o)));
        tl_objcopy(&["--wrap-bitcode", d.join(o).to_str().unwrap(), d.join(format!("w{o}")).to_str().unwrap()]);
    }
    // GNU tools with no plugin at all: /usr/lib/bfd-plugins hidden in a private mount namespace.
    let script = "mount -t tmpfs none /usr/lib/bfd-plugins && ls /usr/lib/bfd-plugins | wc -l && \
                  ar rcs libw.a wmain.o wlib.o && nm -s libw.a && echo '==' && nm wmain.o wlib.o && \
                  ld -r wmain.o wlib.o -o r.o";
    let out = String::from_utf8(run_ok(Command::new("unshare").args(["-m", "sh", "-c", script]).current_dir(d))).unwrap();
    let (head, rest) = out.split_once("\nArchive index:\n").expect("archive index");
    assert_eq!(head.trim(), "0", "plugin directory must be empty");
    let (index, listing) = rest.split_once("==\n").unwrap();
    let index: Vec<&str> = index.lines().filter(|l| l.contains(" in ")).collect();
    assert_eq!(index, vec!["main in wmain.o", "lib_add in wlib.o", "lib_counter in wlib.o"]);
    // GNU nm's letters for each wrapped object equal tl's view of the bitcode, plus the guard.
    for (o, w) in [("main.o", "wmain.o"), ("lib.o", "wlib.o")] {
        let section = listing.split(&format!("\n{w}:\n")).nth(1).or_else(|| listing.strip_prefix(&format!("\n{w}:\n"))).unwrap();
        let section = section.split("\n\n").next().unwrap();
        let mut expected = view(&std::fs::read(d.join(o)).unwrap());
        expected.push(guard());
        assert_eq!(sorted(&parse_nm(section)), sorted(&expected), "{w}");
    }
    // GNU ld -r of the two wrapped objects, split, link with ld.lld-19, run.
    tl_objcopy(&["--split-modules", d.join("split").to_str().unwrap(), d.join("r.o").to_str().unwrap()]);
    let mut parts: Vec<_> = std::fs::read_dir(d.join("split")).unwrap().map(|e| e.unwrap().path()).collect();
    parts.sort();
    assert_eq!(parts.len(), 2);
    run_ok(Command::new(clang19()).args(["-fuse-ld=lld", "-flto=thin"]).args(&parts).arg("-o").arg(d.join("prog")));
    assert_eq!(run_ok(&mut Command::new(d.join("prog"))), b"answer=42\n");
    // gcc linking a wrapped object natively fails with the guard's message.
    let out = run(Command::new("gcc").arg(d.join("wmain.o")).arg(d.join("wlib.o")).arg("-o").arg(d.join("native")));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("undefined reference to `__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld'"));
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, llvm-19)")]
fn llvm19_reads_unwrapped_and_concatenated_bitcode() {
    let dir = tempdir();
    let d = dir.path();
    let mut ws = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o", "cxx.split19.o"] {
        let w = d.join(format!("{f}.w.o"));
        tl_objcopy(&["--wrap-bitcode", fixture(f).to_str().unwrap(), w.to_str().unwrap()]);
        ws.push(w);
    }
    run_ok(Command::new("ld").arg("-r").args(&ws).arg("-o").arg(d.join("r.o")));
    tl_objcopy(&["--unwrap-bitcode", d.join("r.o").to_str().unwrap(), d.join("r.bc").to_str().unwrap()]);
    // llvm-nm-19 lists the union of the modules; llvm-modextract-19 recovers each.
    let nm = String::from_utf8(run_ok(Command::new(llvm19("llvm-nm")).arg(d.join("r.bc")))).unwrap();
    let mut expected = Vec::new();
    for f in ["prog_main.thin19.o", "prog_lib.thin19.o", "cxx.split19.o"] {
        expected.extend(parse_nm(&String::from_utf8(read_fixture(&format!("{f}.llvm-nm"))).unwrap()));
    }
    assert_eq!(sorted(&parse_nm(&nm)), sorted(&expected));
    for k in 0..4 {
        let out = d.join(format!("m{k}.bc"));
        run_ok(Command::new(llvm19("llvm-modextract")).args(["-b", "-n", &k.to_string()]).arg(d.join("r.bc")).arg("-o").arg(&out));
        run_ok(Command::new(llvm19("llvm-dis")).arg(&out).arg("-o").arg("/dev/null"));
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, llvm-19)")]
fn fresh_clang19_objects_match_live_llvm_nm() {
    // The committed fixtures are not the only inputs: compile the sources again with every
    // bitcode-producing mode and compare with llvm-nm-19 run now.
    let dir = tempdir();
    let d = dir.path();
    let src = root().join("fixtures/src");
    let mut n = 0;
    for s in ["kinds.c", "asm.c", "cxx.cpp", "prog_main.c", "prog_lib.c"] {
        for mode in [
            &["-flto=thin"][..],
            &["-flto"][..],
            &["-flto=thin", "-fsplit-lto-unit"][..],
            &["-O2", "-flto=thin", "-ffunction-sections"][..],
        ] {
            let o = d.join(format!("{s}.{n}.o"));
            n += 1;
            run_ok(Command::new(clang19()).arg("-c").args(mode).arg(src.join(s)).arg("-o").arg(&o));
            for all in [false, true] {
                let mut cmd = Command::new(llvm19("llvm-nm"));
                if all {
                    cmd.arg("--debug-syms");
                }
                let reference = String::from_utf8(run_ok(cmd.arg(&o))).unwrap();
                let data = std::fs::read(&o).unwrap();
                let c = bitcode::parse(&data).unwrap();
                let mut got = Vec::new();
                for m in &c.modules {
                    for sy in bitcode::symtab::read(m).unwrap().symbols {
                        if all || !sy.format_specific() {
                            got.push((sy.nm_letter(), String::from_utf8_lossy(&sy.name).into_owned()));
                        }
                    }
                }
                assert_eq!(sorted(&got), sorted(&parse_nm(&reference)), "{s} {mode:?} all={all}");
            }
        }
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs clang-19 (TL_INTEROP=1)")]
fn more_elf_targets_wrap_with_their_native_identity_and_unwrap() {
    // Each target's wrapped object has the class, byte order, machine and flags of clang-19's
    // native object for the triple, GNU nm reads its mirror through the generic ELF targets, and
    // unwrapping gives the bitcode back.
    let clang = clang19();
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("t.c"), "int f(int x) { return x + 1; }\nint d = 3;\nextern int u;\nint g(void) { return u; }\n").unwrap();
    let header = |o: &Path| {
        let h = String::from_utf8(run_ok(Command::new("readelf").arg("-hW").arg(o))).unwrap();
        let field = |k: &str| h.lines().find(|l| l.trim_start().starts_with(k)).unwrap().split(':').nth(1).unwrap().trim().to_string();
        (field("Class"), field("Data"), field("Machine"), field("Flags"))
    };
    for triple in [
        "mips-linux-gnu",
        "mipsel-linux-gnu",
        "mips64-linux-gnuabi64",
        "mips64el-linux-gnuabi64",
        "sparc-linux-gnu",
        "m68k-linux-gnu",
        "hexagon-unknown-linux-musl",
        "bpfel",
        "bpfeb",
    ] {
        let (bc, native, w, back) = (
            d.join(format!("{triple}.bc.o")),
            d.join(format!("{triple}.o")),
            d.join(format!("{triple}.w.o")),
            d.join(format!("{triple}.u.o")),
        );
        run_ok(Command::new(&clang).args(["-O1", "-flto=thin", "-c", "t.c", &format!("--target={triple}"), "-o"]).arg(&bc).current_dir(d));
        run_ok(Command::new(&clang).args(["-O1", "-c", "t.c", &format!("--target={triple}"), "-o"]).arg(&native).current_dir(d));
        tl_objcopy(&["--wrap-bitcode", bc.to_str().unwrap(), w.to_str().unwrap()]);
        assert_eq!(header(&w), header(&native), "{triple}: ELF identity");
        let (class, data, _, _) = header(&w);
        let tgt = format!("elf{}-{}", &class[3..], if data.contains("little") { "little" } else { "big" });
        let nm = run_ok(Command::new("nm").arg(format!("--target={tgt}")).arg(&w));
        let mut expected = view(&std::fs::read(&bc).unwrap());
        expected.push(guard());
        assert_eq!(sorted(&parse_nm(&String::from_utf8(nm).unwrap())), sorted(&expected), "{triple}: GNU nm of the mirror");
        tl_objcopy(&["--unwrap-bitcode", w.to_str().unwrap(), back.to_str().unwrap()]);
        assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&bc).unwrap(), "{triple}: unwrap");
    }
}
