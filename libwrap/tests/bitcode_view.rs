//! Differential test: libwrap's bitcode symbol view against the llvm-nm output stored beside
//! every bitcode fixture (llvm-nm-14 for LLVM 14 files, llvm-nm-19 for LLVM 19 files), and
//! against hand-checked expectations for rustc's LLVM 22 bitcode.

#[path = "../../tests/harness/mod.rs"]
mod harness;

use harness::*;
use libwrap::bitcode;
use libwrap::elf;
use libwrap::embedded;
use libwrap::file_kind as sniff;

/// (letter, name) of every module symbol; `all` includes format-specific ones (llvm-nm -a).
fn tl_view(data: &[u8], all: bool) -> (Vec<(char, String)>, Vec<String>) {
    let bc: Vec<u8> = match sniff::sniff(data) {
        sniff::FileKind::Elf => {
            let obj = elf::read(data).unwrap();
            embedded::bitcode_section(&obj).expect("bitcode section").to_vec()
        }
        _ => data.to_vec(),
    };
    let c = bitcode::parse(&bc).unwrap();
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for m in &c.modules {
        let ms = bitcode::symtab::read(m).unwrap();
        warnings.extend(ms.warnings.clone());
        for s in &ms.symbols {
            if all || !s.format_specific() {
                out.push((s.nm_letter(), String::from_utf8_lossy(&s.name).into_owned()));
            }
        }
    }
    (out, warnings)
}

const FIXTURES: &[&str] = &[
    // LLVM 19
    "kinds.thin19.o",
    "kinds.full19.o",
    "kinds.fat19.o",
    "kinds.emb19.llvmbc",
    "asm.thin19.o",
    "cxx.thin19.o",
    "cxx.split19.o",
    "prog_main.thin19.o",
    "prog_lib.thin19.o",
    "prog_lib.darwin19.o",
    "cat19.bc",
    // LLVM 14
    "kinds.thin14.o",
    "kinds.full14.o",
    "cxx.thin14.o",
    "prog_lib.thin14.o",
    "prog_main.thin14.o",
    "t14.bc",
    "t14-nodl.bc",
    "cat14.bc",
];

#[test]
fn bitcode_symbols_equal_llvm_nm_of_the_producing_version() {
    for f in FIXTURES {
        let data = read_fixture(f);
        for (all, suffix) in [(false, "llvm-nm"), (true, "llvm-nm-a")] {
            let reference = String::from_utf8(read_fixture(&format!("{f}.{suffix}"))).unwrap();
            let expected = sorted(&parse_nm(&reference));
            let (got, warnings) = tl_view(&data, all);
            assert_eq!(sorted(&got), expected, "{f} vs {suffix}");
            assert!(warnings.is_empty(), "{f}: unexpected warnings {warnings:?}");
        }
    }
}

#[test]
fn fallback_without_symtab_reads_module_asm_like_llvm_nm_14() {
    // llvm-as output of a module with inline asm has no SYMTAB; llvm-nm-14 parses the asm with
    // its target's asm parser, tl reads its labels and directives (bitcode::asm_symbols).
    let data = read_fixture("asm.as14.bc");
    let reference = String::from_utf8(read_fixture("asm.as14.bc.llvm-nm")).unwrap();
    let (got, warnings) = tl_view(&data, false);
    assert_eq!(sorted(&got), sorted(&parse_nm(&reference)));
    assert!(got.iter().any(|(_, n)| n == "asm_weak"), "{got:?}");
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn rustc_llvm22_bitcode_matches_hand_checked_expectations() {
    // No llvm-nm-22 exists here; X.expected was derived from llvm-nm's rules and the source
    // (fixtures/README.md explains each line).
    for f in ["rlib.22.bc", "rlib.rcgu22.o"] {
        let data = read_fixture(f);
        let expected = String::from_utf8(read_fixture("rlib.22.expected")).unwrap();
        let (got, warnings) = tl_view(&data, false);
        assert_eq!(sorted(&got), sorted(&parse_nm(&expected)), "{f}");
        assert!(warnings.is_empty());
    }
}
