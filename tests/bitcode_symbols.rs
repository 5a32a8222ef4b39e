//! tl-objcopy's symbol operations inside bitcode, against GNU objcopy 2.40 on the natively
//! compiled object. Interop (TL_INTEROP=1): clang-19, llvm-19, lld-19.
//!
//! The same sources (tests/data/symops.c, .cpp) are compiled natively and to ThinLTO bitcode
//! with clang-19; each option set is applied by GNU objcopy to the native object and by
//! tl-objcopy to the raw bitcode and to its wrapped object. llvm-nm-19 and tl-nm of the bitcode
//! and GNU nm (no plugin) of the wrapped object must list the names and kinds GNU nm lists for
//! the native result, and exit status and message must be GNU's. LLVM 14 fixtures are checked
//! by the change each option makes (the 14 fixtures came from clang-14, the native objects
//! from clang-19).

mod harness;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::*;

/// Option sets (split on spaces; no shell). Names a source lacks make the set a no-op there.
const OPTIONS: &[&str] = &[
    "-N api",
    "-N ext_fn",
    "-N counter",
    "-N helper",
    "--strip-symbols=syms.txt",
    "-L shared_fn",
    "-L counter",
    "-L weak_fn",
    "-L _ZN5Shape4areaEv",
    "--localize-symbols=syms.txt",
    "--globalize-symbol=helper",
    "-G api",
    "-G _Z7use_allRK5Shape",
    "--keep-global-symbols=syms.txt",
    "-W counter",
    "-W ext_fn",
    "-W common_var",
    "--weaken",
    "--weaken-symbols=syms.txt",
    "--localize-hidden",
    "--redefine-sym api=api_renamed_to_a_longer_name",
    "--redefine-sym _ZN5Shape4areaEv=_ZN5Shape5area2Ev",
    "--redefine-sym _Z3addIiET_S0_S0_=_Z3addIiET_S0_S0_x",
    "--redefine-syms=redef.txt",
    "--prefix-symbols=p_",
    "--redefine-sym api=x --prefix-symbols=q_",
    "-w -L shared*",
    "-w -L * -G api",
    "-w -N ap?",
    "--strip-unneeded",
    "--strip-unneeded-symbol=helper",
    "--strip-unneeded-symbol=helper -L api",
    "-x",
    "-X",
    "-K api --strip-unneeded",
    "-K helper -x",
];

/// (name, kind): the letter reduced to what both kinds of object can say — `U`, `w`
/// (weak undefined), `W` (weak defined; GNU's `V`), `C`, `G` (other global definitions),
/// `l` (local definitions). Section letters differ by nature (bitcode has no sections).
fn kinds(nm: &str) -> BTreeSet<(String, char)> {
    parse_nm(nm)
        .into_iter()
        .map(|(l, n)| {
            let k = match l {
                'U' => 'U',
                'w' | 'v' => 'w',
                'W' | 'V' => 'W',
                'C' => 'C',
                'i' => 'G', // GNU nm's letter for an ifunc, global or not
                c if c.is_ascii_uppercase() => 'G',
                _ => 'l',
            };
            (n, k)
        })
        .filter(|(n, _)| n != "__tl_wrapped_llvm_bitcode_must_be_linked_with_tl_ld")
        .collect()
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap()
}

fn clang(dir: &Path, src: &str, flags: &[&str], out: &str) -> PathBuf {
    let o = dir.join(out);
    let cc = if src.ends_with(".cpp") { "clang++" } else { "clang" };
    run_ok(Command::new(llvm19(cc)).args(["-O2", "-fcommon", "-c"]).args(flags).arg(root().join("tests/data").join(src)).arg("-o").arg(&o));
    o
}

fn write_lists(d: &Path) {
    std::fs::write(d.join("redef.txt"), "api api_renamed\nshared_fn shared_fn_v2 # comment\n").unwrap();
    std::fs::write(d.join("syms.txt"), "counter\n# a comment\nhid\n  _ZN2ns3getEv  \n").unwrap();
}

/// Runs an objcopy (GNU's or tl's) with `opts` on `input`; (status, first stderr line with the
/// tool name removed, output if written).
fn objcopy(tool: &mut Command, opts: &str, input: &Path, out: &Path, d: &Path) -> (Option<i32>, String, Option<PathBuf>) {
    let _ = std::fs::remove_file(out);
    let r = run(tool.args(opts.split(' ')).arg(input).arg(out).current_dir(d));
    let err = String::from_utf8_lossy(&r.stderr);
    let first = err.lines().next().unwrap_or("").split_once(": ").map(|(_, m)| m.to_string()).unwrap_or_default();
    (r.status.code(), first, out.exists().then(|| out.to_path_buf()))
}

fn verify(bc: &Path) {
    run_ok(Command::new(llvm19("llvm-dis")).arg(bc).arg("-o").arg("/dev/null"));
    run_ok(Command::new(llvm19("opt")).args(["-passes=verify", "-disable-output"]).arg(bc));
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19)")]
fn symbol_operations_on_bitcode_match_gnu_objcopy_on_native_objects() {
    require(&llvm19("clang"));
    let dir = tempdir();
    let d = dir.path();
    write_lists(d);
    let mut failures = Vec::new();
    let mut compared = 0;
    for src in ["symops.c", "symops.cpp"] {
        let native = clang(d, src, &[], &format!("{src}.native.o"));
        let thin = clang(d, src, &["-flto=thin"], &format!("{src}.thin.o"));
        let wrapped = d.join(format!("{src}.wrapped.o"));
        run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(&thin).arg(&wrapped));
        let base = kinds(&text(run_ok(Command::new("nm").arg(&native))));
        assert_eq!(kinds(&text(run_ok(Command::new(llvm19("llvm-nm")).arg(&thin)))), base, "{src}: the sources must list alike");
        for opts in OPTIONS {
            let (gs, gerr, gout) = objcopy(&mut Command::new("objcopy"), opts, &native, &d.join("n.o"), d);
            for (kind, input) in [("raw", &thin), ("wrapped", &wrapped)] {
                let out = d.join(format!("t.{kind}.o"));
                let (ts, terr, tout) = objcopy(&mut tl_cmd("tl-objcopy"), opts, input, &out, d);
                if (ts, &terr) != (gs, &gerr) || tout.is_some() != gout.is_some() {
                    failures.push(format!("{src} {kind} [{opts}]: GNU {gs:?} {gerr:?}, tl {ts:?} {terr:?}"));
                    continue;
                }
                let (Some(gout), Some(tout)) = (&gout, &tout) else { continue };
                let want = kinds(&text(run_ok(Command::new("nm").arg(gout))));
                let mut views = vec![("tl-nm", kinds(&text(run_ok(tl_cmd("tl-nm").arg(tout)))))];
                if kind == "raw" {
                    views.push(("llvm-nm-19", kinds(&text(run_ok(Command::new(llvm19("llvm-nm")).arg(tout))))));
                    verify(tout);
                } else {
                    views.push(("GNU nm", kinds(&text(run_ok(Command::new("nm").arg("--target=elf64-x86-64").arg(tout))))));
                }
                for (tool, got) in views {
                    if got != want {
                        let only_gnu: Vec<_> = want.difference(&got).collect();
                        let only_tl: Vec<_> = got.difference(&want).collect();
                        failures.push(format!("{src} {kind} [{opts}] {tool}: only native {only_gnu:?}, only bitcode {only_tl:?}"));
                    }
                }
                compared += 1;
            }
        }
    }
    assert!(failures.is_empty(), "{} of {compared}:\n{}", failures.len(), failures.join("\n"));
    assert!(compared >= OPTIONS.len() * 3, "compared {compared}");
}

/// Symbols as (name, kind).
type Kinds = Vec<(String, char)>;

/// The names and kinds an option set removes and adds.
fn delta(before: &BTreeSet<(String, char)>, after: &BTreeSet<(String, char)>) -> (Kinds, Kinds) {
    (before.difference(after).cloned().collect(), after.difference(before).cloned().collect())
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19)")]
fn symbol_operations_on_llvm14_bitcode_change_what_gnu_changes() {
    require(&llvm19("clang"));
    let dir = tempdir();
    let d = dir.path();
    write_lists(d);
    let nm14 = |f: &Path| kinds(&text(run_ok(Command::new("llvm-nm-14").arg(f))));
    let options = [
        "--weaken",
        "--prefix-symbols=p_",
        "-L global_fn",
        "-W global_data",
        "--redefine-sym global_fn=global_function_renamed",
        "--redefine-sym _ZN2ns5in_nsEi=_ZN2ns6in_ns2Ei",
        "--localize-hidden",
        "-w -L * -G main",
        "-N main",
        "--strip-unneeded",
    ];
    let mut failures = Vec::new();
    for (fixture_name, src) in [("kinds.thin14.o", "kinds.c"), ("kinds.full14.o", "kinds.c"), ("cxx.thin14.o", "cxx.cpp")] {
        let native = d.join(format!("{src}.o"));
        let cc = if src.ends_with(".cpp") { "clang++" } else { "clang" };
        run_ok(
            Command::new(llvm19(cc))
                .args(["-O1", "-g0", "-fno-asynchronous-unwind-tables", "-c"])
                .arg(root().join("fixtures/src").join(src))
                .arg("-o")
                .arg(&native),
        );
        let bc = fixture(fixture_name);
        let (native_base, bc_base) = (kinds(&text(run_ok(Command::new("nm").arg(&native)))), nm14(&bc));
        for opts in options {
            let (gs, gerr, gout) = objcopy(&mut Command::new("objcopy"), opts, &native, &d.join("n.o"), d);
            let (ts, terr, tout) = objcopy(&mut tl_cmd("tl-objcopy"), opts, &bc, &d.join("t.o"), d);
            if (ts, &terr) != (gs, &gerr) {
                failures.push(format!("{fixture_name} [{opts}]: GNU {gs:?} {gerr:?}, tl {ts:?} {terr:?}"));
                continue;
            }
            let (Some(gout), Some(tout)) = (gout, tout) else { continue };
            run_ok(Command::new("opt-14").args(["-passes=verify", "-disable-output"]).arg(&tout));
            let after = nm14(&tout);
            let tl_view = kinds(&text(run_ok(tl_cmd("tl-nm").arg(&tout))));
            if tl_view != after {
                failures.push(format!("{fixture_name} [{opts}]: tl-nm and llvm-nm-14 differ"));
            }
            let (want, got) = (delta(&native_base, &kinds(&text(run_ok(Command::new("nm").arg(&gout))))), delta(&bc_base, &after));
            // Compare the change on the symbols both objects had (clang-14 and clang-19 keep
            // slightly different sets: .L strings, inlined statics, the vtables' linkage).
            let rename: Vec<(&str, &str)> = opts.split(' ').filter_map(|o| o.split_once('=')).map(|(a, b)| (b, a)).collect();
            let orig = |n: &str| -> String {
                let n = n.strip_prefix("p_").filter(|_| opts.contains("--prefix-symbols")).unwrap_or(n);
                rename.iter().find(|(new, _)| *new == n).map_or(n, |(_, old)| old).to_string()
            };
            let names = |b: &BTreeSet<(String, char)>| b.iter().map(|(n, _)| n.clone()).collect::<BTreeSet<String>>();
            // GNU nm prints `i` for an ifunc whatever its binding; llvm-nm shows the binding.
            let ifuncs: BTreeSet<String> =
                parse_nm(&text(run_ok(Command::new("nm").arg(&native)))).into_iter().filter(|(l, _)| *l == 'i').map(|(_, n)| n).collect();
            let both: BTreeSet<String> =
                names(&native_base).intersection(&names(&bc_base)).filter(|n| !ifuncs.contains(*n)).cloned().collect();
            let keep = |v: (Kinds, Kinds)| {
                let f = |v: Kinds| v.into_iter().filter(|(n, _)| both.contains(&orig(n))).collect::<Vec<_>>();
                (f(v.0), f(v.1))
            };
            let (want, got) = (keep(want), keep(got));
            if want != got {
                failures.push(format!("{fixture_name} [{opts}]: native changed {want:?}, bitcode {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19)")]
fn renames_follow_every_module_and_summary_and_what_cannot_be_done_is_refused() {
    let dir = tempdir();
    let d = dir.path();
    // Two modules (llvm-cat -b): prog_main references lib_add, prog_lib defines it.
    let out = d.join("cat.bc");
    run_ok(tl_cmd("tl-objcopy").args(["--redefine-sym", "lib_add=lib_sum_renamed"]).arg(fixture("cat19.bc")).arg(&out));
    let nm = text(run_ok(tl_cmd("tl-nm").arg(&out)));
    assert!(nm.contains("U lib_sum_renamed") && nm.contains("T lib_sum_renamed") && !nm.contains("lib_add"), "{nm}");
    // The summary names the new symbol; llvm-dis recomputes its GUID from it.
    let split = d.join("split");
    run_ok(tl_cmd("tl-objcopy").arg("--split-modules").arg(&split).arg(&out));
    let mut found = false;
    for e in std::fs::read_dir(&split).unwrap() {
        let p = e.unwrap().path();
        let dis = text(run_ok(Command::new(llvm19("llvm-dis")).arg(&p).arg("-o").arg("-")));
        verify(&p);
        assert!(!dis.contains("lib_add"), "{dis}");
        found |= dis.contains("^") && dis.contains("name: \"lib_sum_renamed\"");
    }
    assert!(found, "no summary entry for the new name");
    // Localizing a definition another module of the file uses is refused, output untouched.
    let o = d.join("refused.bc");
    std::fs::write(&o, b"previous").unwrap();
    let r = run(tl_cmd("tl-objcopy").args(["-L", "lib_add"]).arg(fixture("cat19.bc")).arg(&o));
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("lib_add"), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&o).unwrap(), b"previous");
    // Module-level asm that names a renamed symbol: refused, naming it.
    let r = run(tl_cmd("tl-objcopy").arg("--prefix-symbols=p_").arg(fixture("asm.thin19.o")).arg(&o));
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("inline asm"), "{}", String::from_utf8_lossy(&r.stderr));
    // LLVM has no internal visibility.
    let r = run(tl_cmd("tl-objcopy").arg("--set-symbol-visibility=lib_add=internal").arg(fixture("prog_lib.thin19.o")).arg(&o));
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(std::fs::read(&o).unwrap(), b"previous");
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19)")]
fn set_symbol_visibility_acts_alike_on_native_and_bitcode() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("vis.txt"), "counter=protected\n# comment\nweak_fn=hidden\n").unwrap();
    let native = clang(d, "symops.c", &[], "n.o");
    let thin = clang(d, "symops.c", &["-flto=thin"], "b.o");
    let visibility_of = |readelf: &str, name: &str| -> Option<String> {
        readelf.lines().find(|l| l.split_whitespace().last() == Some(name)).map(|l| l.split_whitespace().nth(5).unwrap().to_string())
    };
    for opts in ["--set-symbol-visibility api=hidden", "-w --set-symbol-visibility *_fn=protected", "--set-symbol-visibilities=vis.txt"] {
        let (ns, _, nout) = objcopy(&mut tl_cmd("tl-objcopy"), opts, &native, &d.join("n2.o"), d);
        let (bs, _, bout) = objcopy(&mut tl_cmd("tl-objcopy"), opts, &thin, &d.join("b2.o"), d);
        assert_eq!((ns, bs), (Some(0), Some(0)), "{opts}");
        let (nout, bout) = (nout.unwrap(), bout.unwrap());
        verify(&bout);
        let wrapped = d.join("w2.o");
        run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(&bout).arg(&wrapped));
        let n = text(run_ok(Command::new("readelf").arg("-sW").arg(&nout)));
        let w = text(run_ok(Command::new("readelf").arg("-sW").arg(&wrapped)));
        let dis = text(run_ok(Command::new(llvm19("llvm-dis")).arg(&bout).arg("-o").arg("-")));
        for name in ["api", "shared_fn", "weak_fn", "counter", "hid", "ext_fn"] {
            let native_vis = visibility_of(&n, name);
            assert_eq!(visibility_of(&w, name), native_vis, "{opts} {name}");
            let ir_vis = dis
                .lines()
                .find(|l| l.contains(&format!("@{name}(")) && l.starts_with("define") || l.starts_with(&format!("@{name} =")))
                .map(|l| {
                    if l.contains(" hidden ") {
                        "HIDDEN"
                    } else if l.contains(" protected ") {
                        "PROTECTED"
                    } else {
                        "DEFAULT"
                    }
                });
            if let (Some(ir), Some(nv)) = (ir_vis, &native_vis) {
                assert_eq!(ir, nv, "{opts} {name}: {dis}");
            }
        }
    }
}

/// `D/F.c` compiled by clang-19 to ThinLTO bitcode `D/F.o`.
fn thin_compile(d: &Path, f: &str) {
    run_ok(
        Command::new(llvm19("clang"))
            .args(["-O2", "-flto=thin", "-c"])
            .arg(d.join(format!("{f}.c")))
            .arg("-o")
            .arg(d.join(format!("{f}.o"))),
    );
}

/// Links `inputs` with clang-19 through tl-ld (which hands the bitcode to ld.lld-19), runs the
/// program and returns what it printed.
fn run_through_tl_ld(d: &Path, inputs: &[&Path]) -> String {
    let exe = d.join("prog");
    run_ok(
        Command::new(llvm19("clang"))
            .args(["-O2", "-flto=thin"])
            .arg(format!("--ld-path={}", tl("tl-ld").display()))
            .args(inputs)
            .arg("-o")
            .arg(&exe),
    );
    text(run_ok(&mut Command::new(&exe)))
}

/// Builds the program of the cache test: `main` prints `get()`, `call_hook()`, `strong()`.
fn link_program(d: &Path, objs: &[&Path], cache: &Path, out: &str) -> String {
    let exe = d.join(out);
    run_ok(
        Command::new(llvm19("clang"))
            .args(["-fuse-ld=lld", "-flto=thin", "-O2"])
            .arg(format!("-Wl,--thinlto-cache-dir={}", cache.display()))
            .args(objs)
            .arg("-o")
            .arg(&exe),
    );
    text(run_ok(&mut Command::new(&exe)))
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19)")]
fn transformed_bitcode_links_and_runs_with_a_warm_thinlto_cache() {
    require(&llvm19("clang"));
    require(&llvm19("ld.lld"));
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("lib.c"),
        "int get(void) { return 1; }\nint other(void) { return 2; }\n__attribute__((weak)) int hook(void) { return 10; }\n\
         __attribute__((noinline)) int call_hook(void) { return hook(); }\nint strong(void) { return 100; }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nint get(void); int call_hook(void); int strong(void);\nint hook(void) { return 20; }\n\
         int main(void) { printf(\"%d %d %d\\n\", get(), call_hook(), strong()); return 0; }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("main2.c"),
        "#include <stdio.h>\nint strong(void) { return 200; }\nint call_hook(void);\n\
         int main(void) { printf(\"%d %d\\n\", strong(), call_hook()); return 0; }\n",
    )
    .unwrap();
    for f in ["lib", "main", "main2"] {
        thin_compile(d, f);
    }
    let cache = d.join("cache");
    let (lib, main, main2) = (d.join("lib.o"), d.join("main.o"), d.join("main2.o"));
    assert_eq!(link_program(d, &[&main, &lib], &cache, "p0"), "1 20 100\n");
    // The cache now holds the untransformed build. Swapping two names keeps every GUID, export
    // and linkage the cache key covers: only the module hash tells the modules apart, so a
    // stale hash would make ld.lld reuse the old code and print 1.
    let swapped = d.join("swapped.o");
    run_ok(tl_cmd("tl-objcopy").args(["--redefine-sym", "get=other", "--redefine-sym", "other=get"]).arg(&lib).arg(&swapped));
    assert_eq!(link_program(d, &[&main, &swapped], &cache, "ps"), "2 20 100\n");
    // get is now the old `other` (2), hook no longer interposes (10), strong is weak.
    let lib2 = d.join("lib2.o");
    run_ok(
        tl_cmd("tl-objcopy")
            .args(["--redefine-sym", "get=get_old", "--redefine-sym", "other=get", "-L", "hook", "-W", "strong"])
            .arg(&lib)
            .arg(&lib2),
    );
    verify(&lib2);
    assert_eq!(link_program(d, &[&main, &lib2], &cache, "p1"), "2 10 100\n");
    // A weakened symbol is overridden by a strong definition.
    assert_eq!(link_program(d, &[&main2, &lib2], &cache, "p2"), "200 10\n");
    // The same through a wrapped object and tl-ld (which hands the bitcode to ld.lld).
    let w = d.join("lib.w.o");
    run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(&lib).arg(&w));
    let w2 = d.join("lib2.w.o");
    run_ok(
        tl_cmd("tl-objcopy")
            .args(["--redefine-sym", "get=get_old", "--redefine-sym", "other=get", "-L", "hook", "-W", "strong"])
            .arg(&w)
            .arg(&w2),
    );
    let raw = d.join("lib2.w.bc");
    run_ok(tl_cmd("tl-objcopy").arg("--unwrap-bitcode").arg(&w2).arg(&raw));
    assert_eq!(link_program(d, &[&main, &raw], &cache, "p3"), "2 10 100\n");
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19)")]
fn an_archive_of_thinlto_members_renamed_and_prefixed_links() {
    require(&llvm19("clang"));
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("one.c"), "int f1(int x) { return x + 1; }\n").unwrap();
    std::fs::write(d.join("two.c"), "int f1(int);\nint f2(int x) { return f1(x) * 2; }\n").unwrap();
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nint px_renamed2(int);\nint main(void) { printf(\"%d\\n\", px_renamed2(20)); return 0; }\n",
    )
    .unwrap();
    for f in ["one", "two", "main"] {
        thin_compile(d, f);
    }
    // One member raw, one wrapped.
    run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(d.join("two.o")).arg(d.join("two.w.o")));
    run_ok(tl_cmd("tl-ar").arg("rcs").arg(d.join("lib.a")).arg(d.join("one.o")).arg(d.join("two.w.o")));
    std::fs::write(d.join("redef.txt"), "f2 renamed2\n").unwrap();
    run_ok(tl_cmd("tl-objcopy").args(["--redefine-syms=redef.txt", "--prefix-symbols=px_"]).arg("lib.a").arg("libp.a").current_dir(d));
    // The index follows the new names.
    let index = text(run_ok(tl_cmd("tl-nm").args(["-s", "libp.a"]).current_dir(d)));
    assert!(index.contains("px_renamed2 in two.w.o") && index.contains("px_f1 in one.o"), "{index}");
    // clang-19 links through tl-ld (the wrapped member needs it), which runs ld.lld-19.
    assert_eq!(run_through_tl_ld(d, &[&d.join("main.o"), &d.join("libp.a")]), "42\n");
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (llvm-19)")]
fn rewritten_mutants_that_llvm_reads_before_it_reads_after() {
    // The robustness half is libwrap/tests/mutation.rs (10 000 inputs, tl's own reader); here
    // a sample goes through llvm-dis-19: whatever input LLVM reads, LLVM reads rewritten.
    use harness::mutate::{Rng, mutate};
    let dir = tempdir();
    let d = dir.path();
    let seed = read_fixture("kinds.thin19.o");
    let mut rng = Rng(0x5eed);
    let (mut checked, mut tries) = (0, 0);
    while checked < 60 && tries < 3000 {
        tries += 1;
        let m = mutate(&seed, &mut rng);
        let (inp, out) = (d.join("in.bc"), d.join("out.bc"));
        std::fs::write(&inp, &m).unwrap();
        let _ = std::fs::remove_file(&out);
        if !run(tl_cmd("tl-objcopy").args(["--prefix-symbols=p_", "--weaken"]).arg(&inp).arg(&out)).status.success() {
            assert!(!out.exists());
            continue;
        }
        if !run(Command::new(llvm19("llvm-dis")).arg(&inp).arg("-o").arg("/dev/null")).status.success() {
            continue;
        }
        let r = run(Command::new(llvm19("llvm-dis")).arg(&out).arg("-o").arg("/dev/null"));
        assert!(r.status.success(), "mutant {tries}: LLVM reads the input, not the output: {}", String::from_utf8_lossy(&r.stderr));
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} mutants checked");
}

/// What `llvm-dis` prints that is debug info.
fn debug_lines(ll: &str) -> Vec<&str> {
    ll.lines()
        .filter(|l| ["!dbg", "#dbg_", "!DI", "DIAssignID", "llvm.dbg", "heapallocsite", "DW_"].iter().any(|k| l.contains(k)))
        .collect()
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19, lld-19)")]
fn strip_debug_removes_debug_info_from_bitcode() {
    require(&llvm19("clang"));
    let dir = tempdir();
    let d = dir.path();
    let dis = |f: &Path| {
        let r = run(Command::new(llvm19("llvm-dis")).arg(f).arg("-o").arg("-"));
        assert!(r.status.success() && r.stderr.is_empty(), "llvm-dis {}: {}", f.display(), String::from_utf8_lossy(&r.stderr));
        text(r.stdout)
    };
    let mut checked = 0;
    for src in ["../../fixtures/src/debug_info.c", "symops.c", "symops.cpp"] {
        for opt in ["-O0", "-O2"] {
            let g = clang(d, src, &["-flto=thin", "-g", opt], "g.o");
            assert!(!debug_lines(&dis(&g)).is_empty(), "{src} {opt}: no debug info to remove");
            for (tool, opts) in [("tl-strip", &["-g"][..]), ("tl-objcopy", &["--strip-debug"]), ("tl-objcopy", &["--strip-unneeded"])] {
                let out = d.join("s.o");
                match tool {
                    "tl-strip" => run_ok(tl_cmd(tool).args(opts).arg("-o").arg(&out).arg(&g)),
                    _ => run_ok(tl_cmd(tool).args(opts).arg(&g).arg(&out)),
                };
                let ll = dis(&out);
                assert!(debug_lines(&ll).is_empty(), "{src} {opt} {tool} {opts:?}: {:?}", debug_lines(&ll));
                verify(&out);
                // Nothing but debug info went: the code is what LLVM's own -strip-debug leaves.
                let reference = d.join("ref.ll");
                run_ok(Command::new(llvm19("opt")).args(["-strip-debug", "-S"]).arg(&g).arg("-o").arg(&reference));
                let code = |ll: &str| {
                    ll.lines().filter(|l| l.starts_with("  ") || l.starts_with("define")).map(str::to_string).collect::<Vec<_>>()
                };
                if opts == ["-g"] || opts == ["--strip-debug"] {
                    assert_eq!(code(&ll), code(&std::fs::read_to_string(&reference).unwrap()), "{src} {opt} {opts:?}");
                }
                checked += 1;
            }
            // A wrapped object: its bitcode loses the debug info, the mirror stays.
            let w = d.join("w.o");
            run_ok(tl_cmd("tl-objcopy").arg("--wrap-bitcode").arg(&g).arg(&w));
            let before = text(run_ok(tl_cmd("tl-nm").arg(&w)));
            run_ok(tl_cmd("tl-strip").arg("-g").arg(&w));
            assert_eq!(text(run_ok(tl_cmd("tl-nm").arg(&w))), before);
            let raw = d.join("w.bc");
            run_ok(tl_cmd("tl-objcopy").arg("--unwrap-bitcode").arg(&w).arg(&raw));
            assert!(debug_lines(&dis(&raw)).is_empty());
        }
    }
    assert_eq!(checked, 18);
    // A stripped program still links and runs.
    std::fs::write(d.join("p.c"), "#include <stdio.h>\nint loop(int);\nint main(void) { printf(\"%d\\n\", loop(4)); return 0; }\n")
        .unwrap();
    let p = d.join("p.o");
    run_ok(Command::new(llvm19("clang")).args(["-O2", "-g", "-flto=thin", "-c"]).arg(d.join("p.c")).arg("-o").arg(&p));
    let lib = clang(d, "../../fixtures/src/debug_info.c", &["-flto=thin", "-g"], "lib.o");
    run_ok(tl_cmd("tl-strip").arg("-g").arg(&lib).arg(&p)); // several files, in place
    let exe = d.join("prog");
    run_ok(Command::new(llvm19("clang")).args(["-fuse-ld=lld", "-flto=thin"]).arg(&p).arg(&lib).arg("-o").arg(&exe));
    assert_eq!(text(run_ok(&mut Command::new(&exe))), "34\n");
    let dwarf = text(run_ok(Command::new("readelf").arg("-S").arg(&exe)));
    assert!(!dwarf.contains(".debug_info"), "{dwarf}");
    // Debug info kept in llvm.dbg.* calls (LLVM 14-18, or 19 told to): the calls go too; only
    // the intrinsics' unused declarations stay.
    for src in ["../../fixtures/src/debug_info.c", "symops.cpp"] {
        let old =
            clang(d, src, &["-flto=thin", "-g", "-O2", "-mllvm", "-write-experimental-debuginfo-iterators-to-bitcode=false"], "old.o");
        let out = d.join("old2.o");
        run_ok(tl_cmd("tl-strip").arg("-g").arg("-o").arg(&out).arg(&old));
        let ll = dis(&out);
        // The declarations stay (unused), and so does the summary's entry for them.
        let left: Vec<&str> = debug_lines(&ll)
            .into_iter()
            .filter(|l| !l.starts_with("declare void @llvm.dbg.") && !l.contains("gv: (name: \"llvm.dbg."))
            .collect();
        assert!(left.is_empty(), "{src}: {left:?}");
        verify(&out);
        let reference = text(run_ok(Command::new(llvm19("opt")).args(["-strip-debug", "-S"]).arg(&old).arg("-o").arg("-")));
        let code = |ll: &str| ll.lines().filter(|l| l.starts_with("  ") || l.starts_with("define")).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(code(&ll), code(&reference), "{src}");
    }
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, llvm-19, lld-19)")]
fn partial_links_of_native_code_and_bitcode_change_like_gnu_ld_r_of_native_objects() {
    require(&llvm19("clang"));
    let dir = tempdir();
    let d = dir.path();
    write_lists(d);
    std::fs::write(d.join("nat.c"), "int api(void);\nint nat(int x) { return x * 7 + api(); }\nint nat_only(void) { return 3; }\n")
        .unwrap();
    run_ok(Command::new("gcc").args(["-O2", "-c"]).arg(d.join("nat.c")).arg("-o").arg(d.join("nat.o")));
    let native = clang(d, "symops.c", &[], "n.o");
    let thin = clang(d, "symops.c", &["-flto=thin"], "b.o");
    // GNU ld -r of the native objects, tl-ld -r of the native object and the bitcode.
    run_ok(Command::new("ld").arg("-r").arg(d.join("nat.o")).arg(&native).arg("-o").arg(d.join("gnu_r.o")));
    run_ok(tl_cmd("tl-ld").arg("-r").arg(d.join("nat.o")).arg(&thin).arg("-o").arg(d.join("tl_r.o")));
    let mut failures = Vec::new();
    for opts in [
        "--redefine-sym api=api9",
        "--redefine-syms=redef.txt",
        "--prefix-symbols=q_",
        "-W counter",
        "--weaken",
        "-L nat_only",
        "-L shared_fn",
        "--globalize-symbol=helper",
        "--strip-unneeded",
        "-x",
        "-N api_b",
    ] {
        let (gs, gerr, gout) = objcopy(&mut Command::new("objcopy"), opts, &d.join("gnu_r.o"), &d.join("g.o"), d);
        let (ts, terr, tout) = objcopy(&mut tl_cmd("tl-objcopy"), opts, &d.join("tl_r.o"), &d.join("t.o"), d);
        if (gs, &gerr) != (ts, &terr) {
            failures.push(format!("[{opts}]: GNU {gs:?} {gerr:?}, tl {ts:?} {terr:?}"));
            continue;
        }
        let (Some(gout), Some(tout)) = (gout, tout) else { continue };
        let want = kinds(&text(run_ok(Command::new("nm").arg(&gout))));
        for (tool, got) in [
            ("tl-nm", kinds(&text(run_ok(tl_cmd("tl-nm").arg(&tout))))),
            ("GNU nm", kinds(&text(run_ok(Command::new("nm").arg("--target=elf64-x86-64").arg(&tout))))),
        ] {
            if got != want {
                failures.push(format!(
                    "[{opts}] {tool}: only native {:?}, only tl {:?}",
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A definition the native code uses cannot be localized (GNU would bind the native
    // references to the local; the bitcode cannot): refused, naming it (so is -G, which
    // localizes it too).
    let r = run(tl_cmd("tl-objcopy").args(["-L", "api"]).arg(d.join("tl_r.o")).arg(d.join("x.o")));
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("`api' is referenced by the native code"));
    // The renamed partial link still links into a program that runs.
    run_ok(tl_cmd("tl-objcopy").args(["--redefine-sym", "api=api9"]).arg(d.join("tl_r.o")).arg(d.join("r9.o")));
    std::fs::write(
        d.join("m.c"),
        "#include <stdio.h>\nint nat(int); int ext_fn(int x) { return x; }\nint ext_var = 1;\n\
         int main(void) { printf(\"%d\\n\", nat(1)); return 0; }\n",
    )
    .unwrap();
    assert_eq!(run_through_tl_ld(d, &[&d.join("m.c"), &d.join("r9.o")]), "49\n");
}

/// A directory whose `ld` is tl-ld (for `gcc -B`).
fn tl_ld_as_ld(d: &Path) -> PathBuf {
    let dir = d.join("tl-ld-as-ld");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(tl("tl-ld"), dir.join("ld")).unwrap();
    dir
}

/// LLVM 14 bitcode with debug info in `llvm.dbg.value` calls (and use-list orders): the
/// stripped module verifies with opt-14 and its code is what opt-14 -strip-debug leaves.
#[test]
fn llvm14_debug_intrinsics_are_removed_as_opt_strip_debug_removes_them() {
    let dir = tempdir();
    let d = dir.path();
    let out = d.join("s.bc");
    run_ok(tl_cmd("tl-strip").arg("-g").arg("-o").arg(&out).arg(fixture("debug14.bc")));
    let ll = text(run_ok(Command::new("/usr/lib/llvm-14/bin/llvm-dis").arg(&out).arg("-o").arg("-")));
    let left: Vec<&str> = debug_lines(&ll).into_iter().filter(|l| !l.starts_with("declare void @llvm.dbg.")).collect();
    assert!(left.is_empty(), "{left:?}");
    run_ok(Command::new("opt-14").args(["-passes=verify", "-disable-output"]).arg(&out));
    let reference = text(run_ok(Command::new("opt-14").args(["-strip-debug", "-S"]).arg(fixture("debug14.bc")).arg("-o").arg("-")));
    let code = |ll: &str| ll.lines().filter(|l| l.starts_with("  ") || l.starts_with("define")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(code(&ll), code(&reference));
    assert!(code(&ll).iter().any(|l| l.contains("!tbaa")), "the attachments after the removed calls stay on their instructions");
}

/// LLVM 22 (rustc 1.95) bitcode: no llvm-nm-22 or opt-22 here, so the check is the Rust
/// toolchain's own LLVM: the transformed module is linked by rust-lld (through tl-ld) and runs.
#[test]
fn llvm22_rustc_bitcode_renamed_weakened_and_debug_stripped_links_through_rust_lld() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nint rs_sum(int, int);\nint main(void) { printf(\"answer=%d\\n\", rs_sum(40, 2)); return 0; }\n",
    )
    .unwrap();
    run_ok(Command::new("gcc").args(["-O1", "-c", "main.c"]).current_dir(d));
    // The committed fixture, and the same source compiled here with debug info.
    run_ok(
        Command::new("rustc")
            .args(["--crate-type=lib", "-g", "-C", "opt-level=2", "-C", "panic=abort", "--emit=llvm-bc", "-o", "dbg.bc"])
            .arg(root().join("fixtures/src/rlib.rs"))
            .current_dir(d),
    );
    let ld_dir = tl_ld_as_ld(d);
    for (input, extra) in [(fixture("rlib.22.bc"), &[][..]), (d.join("dbg.bc"), &["-g"][..])] {
        let out = d.join("t.bc");
        run_ok(tl_cmd("tl-objcopy").args(["--redefine-sym", "rs_add=rs_sum", "-W", "RS_COUNTER"]).args(extra).arg(&input).arg(&out));
        let nm = text(run_ok(tl_cmd("tl-nm").arg(&out)));
        assert!(nm.contains(" T rs_sum\n") && !nm.contains("rs_add") && nm.contains(" W RS_COUNTER\n"), "{nm}");
        if !extra.is_empty() {
            // llvm-bcanalyzer (any version: it reads the bitstream, not the IR) sees no
            // instruction locations and no llvm.dbg.cu left.
            let dump = |f: &Path| text(run_ok(Command::new("/usr/lib/llvm-14/bin/llvm-bcanalyzer").arg("-dump").arg(f)));
            let debug = |t: &str| t.matches("llvm.dbg.cu").count() + t.matches("DEBUG_LOC").count();
            assert!(debug(&dump(&input)) > 0 && debug(&dump(&out)) == 0);
        }
        let prog = d.join("prog");
        run_ok(Command::new("gcc").arg("-B").arg(&ld_dir).arg(d.join("main.o")).arg(&out).arg("-o").arg(&prog));
        // rs_add(a, b) = a.rotate_left(3) + b.
        assert_eq!(text(run_ok(&mut Command::new(&prog))), "answer=322\n", "{}", input.display());
    }
}
