//! tl-ld -r merges `.note.gnu.property` as GNU ld -r 2.40 does: CET (`-fcf-protection`, IBT
//! and SHSTK ANDed), the x86 "used" notes the assembler writes (`-mx86-used-note=yes`, kept only
//! when every input has them), objects without a note, `-z ibt`, `-z shstk`, `-z x86-64-v*`,
//! `-z cet-report=warning|error`, `-z lam-u48`/`lam-u57` and their reports; on x86-64, i386
//! and x32. The note's bytes (`readelf -x`),
//! `readelf -n`, stderr and exit status must equal GNU's.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

/// A 32-bit (i386 or x32) object with an IBT+SHSTK property note, written by hand.
const CET32: &str = ".text\n.globl cet32\ncet32: ret\n.section .note.gnu.property,\"a\"\n.align 4\n.long 4, 12, 5\n.asciz \"GNU\"\n.long 0xc0000002, 4, 3\n";

fn build(d: &Path) {
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    for (name, flags) in [
        ("cet", "-fcf-protection"),
        ("cet2", "-fcf-protection"),
        ("ibt", "-fcf-protection=branch"),
        ("shstk", "-fcf-protection=return"),
        ("none", "-fcf-protection=none"),
        ("none2", "-fcf-protection=none"),
        ("used", "-fcf-protection=none -Wa,-mx86-used-note=yes"),
        ("used2", "-fcf-protection=none -Wa,-mx86-used-note=yes"),
        ("usedcet", "-fcf-protection -Wa,-mx86-used-note=yes"),
    ] {
        std::fs::write(d.join(format!("{name}.c")), format!("int f_{name}(void) {{ return 1; }}\n")).unwrap();
        sh(&format!("gcc -O1 {flags} -c {name}.c -o {name}.o"));
    }
    std::fs::write(d.join("cet32.s"), CET32).unwrap();
    std::fs::write(d.join("plain32.s"), ".text\n.globl plain32\nplain32: ret\n").unwrap();
    std::fs::write(d.join("used32.s"), ".text\n.globl used32\nused32: ret\n").unwrap();
    sh("as --32 cet32.s -o cet32.o && as --32 plain32.s -o plain32.o && as --32 -mx86-used-note=yes used32.s -o used32.o");
    sh("as --x32 cet32.s -o cetx32.o && as --x32 plain32.s -o plainx32.o");
}

const LINKS: &[&str] = &[
    "cet.o cet2.o",
    "cet.o ibt.o",
    "cet.o shstk.o",
    "ibt.o shstk.o",
    "cet.o none.o",
    "none.o cet.o",
    "none.o none2.o",
    "used.o used2.o",
    "used.o none.o",
    "cet.o used.o",
    "usedcet.o cet.o used.o",
    "usedcet.o",
    "-z ibt none.o",
    "-z shstk cet.o none.o",
    "-z ibt -z shstk used.o",
    "-z x86-64-v2 none.o",
    "-z x86-64-v3 used.o",
    "-z x86-64-baseline -z x86-64-v4 used.o used2.o",
    "-z cet-report=warning none.o",
    "-z cet-report=warning -z ibt cet.o none.o shstk.o",
    "-z cet-report=error -z shstk none.o",
    "-z cet-report=error cet.o cet2.o",
    "-z cet-report=none none.o",
    "-z cet-report=foo cet.o",
    // LAM (x86-64 only; other emulations ignore it with a warning).
    "-z lam-u48 cet.o none.o",
    "-z lam-u57 cet.o",
    "-z lam-u48 -z lam-u57 used.o",
    "-z lam-u48-report=warning cet.o none.o",
    "-z lam-u57-report=error cet.o none.o",
    "-z lam-report=warning cet.o none.o",
    "-z lam-u48 -z lam-u48-report=warning cet.o",
    "-z lam-u57 -z lam-report=warning cet.o none.o",
    "-z lam-report=warning -z lam-u48-report=none cet.o",
    "-z lam-u48-report=warning -z lam-report=none cet.o",
    "-z cet-report=warning -z lam-report=warning cet.o none.o",
    "-z cet-report=error -z lam-u48-report=warning cet.o none.o",
    "-z lam-u48-report=foo cet.o",
    "-z lam-u48-report cet.o",
    "-z ibt -z lam-u57 none.o",
    "-z force-bti none.o",
    "-m elf_i386 -z lam-u48 -z lam-report=warning cet32.o",
    "-m elf32_x86_64 -z lam-u57 cetx32.o",
    // (Without -m, GNU ld -r takes x86-64 and refuses 32-bit inputs; tl takes the first
    // input's machine.)
    "-m elf_i386 cet32.o plain32.o",
    "-m elf_i386 cet32.o",
    "-m elf_i386 used32.o plain32.o",
    "-m elf_i386 -z ibt plain32.o",
    "-m elf32_x86_64 cetx32.o",
    "-m elf32_x86_64 cetx32.o plainx32.o",
    "-m elf32_x86_64 -z shstk plainx32.o",
];

#[test]
fn property_notes_merge_as_gnu_ld_r_merges_them() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let mut failures = Vec::new();
    for args in LINKS {
        let read = |out: &str, flag: &str| {
            String::from_utf8_lossy(&run(Command::new("readelf").arg(flag).arg(out).current_dir(d)).stdout).into_owned()
        };
        let seen = ld_r_both(d, args, |out| (read(out, "-nW"), read(out, "--hex-dump=.note.gnu.property").replace(out, "OUT")));
        if seen[0] != seen[1] {
            failures.push(format!("ld -r {args}:\n GNU {:?}\n tl  {:?}", seen[0], seen[1]));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), LINKS.len(), failures.join("\n"));
}

/// aarch64 (against the aarch64 GNU ld 2.40 `.ci/run` installs): BTI and PAC ANDed, `-z
/// force-bti` with its warning for each input without BTI (the first input's last).
#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, binutils-aarch64-linux-gnu)")]
fn aarch64_property_notes_merge_as_gnu_ld_r_merges_them() {
    let dir = tempdir();
    let d = dir.path();
    require(&llvm19("clang"));
    let gnu = "aarch64-linux-gnu-ld";
    require(Path::new(&format!("/usr/bin/{gnu}")));
    let clang = llvm19("clang");
    for (name, flags, body) in [
        ("bti", "-mbranch-protection=standard", "int f(int x) { return x + 1; }"),
        ("pac", "-mbranch-protection=pac-ret", "int g(int x) { return x * 2; }"),
        ("plain", "", "int h(int x) { return x - 1; }"),
        ("plain2", "", "int k(int x) { return x ^ 1; }"),
    ] {
        std::fs::write(d.join(format!("{name}.c")), body).unwrap();
        run_ok(
            Command::new(&clang)
                .args(["--target=aarch64-linux-gnu", "-O1", "-c"])
                .args(flags.split_whitespace())
                .arg(format!("{name}.c"))
                .current_dir(d),
        );
    }
    let links = [
        "bti.o pac.o",
        "bti.o plain.o",
        "-z force-bti plain.o plain2.o",
        "-z force-bti bti.o plain.o",
        "-z force-bti plain.o pac.o bti.o",
        "-z force-bti bti.o",
        "-z force-bti pac.o",
    ];
    let mut failures = Vec::new();
    for args in links {
        let notes =
            |out: &str| String::from_utf8_lossy(&run(Command::new("readelf").args(["-nW", out]).current_dir(d)).stdout).into_owned();
        let seen = ld_r_both_with(d, gnu, args, notes);
        if seen[0] != seen[1] {
            failures.push(format!("ld -r {args}:\n GNU {:?}\n tl  {:?}", seen[0], seen[1]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
