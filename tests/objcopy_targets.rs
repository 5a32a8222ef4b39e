//! tl-objcopy and tl-strip on other targets' ELF files against GNU objcopy and strip 2.40 built
//! for them (Debian's `binutils-<target>` packages, installed by `.ci/run`): aarch64, arm
//! (EABI, hard float), riscv64, ppc64le, and big-endian s390x and ppc64, and i386 and x32
//! with this machine's GNU tools.
//! - relocatable objects (C with debug info, C++ with COMDAT groups, from clang-19): the
//!   normalised `readelf -SW -sW -rW -gW` of [`readelf_normalised`] equal;
//! - shared objects and executables (ld.lld-19 links the 64-bit ones; the target's GNU ld the
//!   32-bit ones; lld's 32-bit `.relro_padding` is in [`sections_named_like_relocation_sections_match_gnu`]):
//!   `readelf -hlSsrnW --dyn-syms` and the
//!   bytes of the load segments and sections equal ([`image_readelf`], [`image_bytes_differ`]);
//! - stderr and exit status equal (ARM's BFD's "failed to find link section" errors for
//!   clang's `.llvm_addrsig` after `--strip-all` included).
//!
//! On riscv64 the C is compiled with DWARF 4: GNU 2.40 does not know the `R_RISCV_SET_ULEB128`
//! relocations clang-19 writes for DWARF 5 location lists (it refuses the file; tl copies it).
//! Interop: needs clang-19 and ld.lld-19.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

const C: &str = "int g = 3;\nstatic int s;\n__attribute__((visibility(\"hidden\"))) int hid(int x) { return x + s; }\nint f(int x) { return x + g + hid(x); }\nint h(void) { return f(2); }\n";
const CXX: &str =
    "inline int inl(int x) { return x * 3; }\nint use(int y) { return inl(y) + 1; }\nstruct S { virtual int v() { return 1; } };\nS s;\n";

/// A target: clang's triple, the prefix of its GNU tools, and how its images are linked.
struct Target {
    triple: &'static str,
    gnu: &'static str,
    /// The GNU ld command for a 32-bit target's images (ld.lld-19 for the others).
    gnu_ld: Option<&'static str>,
    debug: &'static str,
}

const TARGETS: &[Target] = &[
    Target { triple: "aarch64-linux-gnu", gnu: "aarch64-linux-gnu-", gnu_ld: None, debug: "-g" },
    Target { triple: "arm-linux-gnueabihf", gnu: "arm-linux-gnueabihf-", gnu_ld: Some("arm-linux-gnueabihf-ld"), debug: "-g" },
    Target { triple: "riscv64-linux-gnu", gnu: "riscv64-linux-gnu-", gnu_ld: None, debug: "-gdwarf-4" },
    Target { triple: "powerpc64le-linux-gnu", gnu: "powerpc64le-linux-gnu-", gnu_ld: None, debug: "-g" },
    // Big-endian.
    Target { triple: "s390x-linux-gnu", gnu: "s390x-linux-gnu-", gnu_ld: None, debug: "-g" },
    Target { triple: "powerpc64-linux-gnu", gnu: "powerpc64-linux-gnu-", gnu_ld: None, debug: "-g" },
    Target { triple: "i386-linux-gnu", gnu: "", gnu_ld: Some("ld -m elf_i386"), debug: "-g" },
    Target { triple: "x86_64-linux-gnux32", gnu: "", gnu_ld: Some("ld -m elf32_x86_64"), debug: "-g" },
];

const OBJCOPY_OPTIONS: &[&str] = &[
    "",
    "--strip-debug",
    "--strip-unneeded",
    "--strip-all",
    "-x",
    "-X",
    "-R .comment",
    "-N h",
    "-L f",
    "-G h",
    "--weaken",
    "--localize-hidden",
    "--redefine-sym f=renamed",
    "--prefix-symbols=p_",
    "--only-keep-debug",
    "--compress-debug-sections",
    "--add-section .blob=blob.bin",
    "--add-gnu-debuglink=blob.bin",
    "--rename-section .data=.data.moved",
];

/// The options that apply to images only (allocated sections removed).
const IMAGE_OPTIONS: &[&str] =
    &["-R .note.gnu.build-id", "-j .text", "-R .eh_frame", "--set-section-flags .comment=alloc,load,contents", "--extract-symbol"];

const STRIP_OPTIONS: &[&str] = &["", "-g", "--strip-unneeded", "-x", "-X", "-K f", "-N h"];

/// Builds the target's files; returns (relocatables, images).
fn build(d: &Path, t: &Target) -> (Vec<String>, Vec<String>) {
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    let clang = llvm19("clang");
    let clang = clang.display();
    let tr = t.triple;
    sh(&format!("{clang} --target={tr} -c -O1 {} -fPIC a.c -o {tr}-c.o", t.debug));
    sh(&format!("{clang} --target={tr} -c -O0 cxx.cc -o {tr}-cxx.o"));
    let ld = t.gnu_ld.map_or_else(|| llvm19("ld.lld").display().to_string(), str::to_string);
    sh(&format!("{ld} -shared {tr}-c.o -o {tr}.so && {ld} -e h {tr}-c.o -o {tr}.exe"));
    (vec![format!("{tr}-c.o"), format!("{tr}-cxx.o")], vec![format!("{tr}.so"), format!("{tr}.exe")])
}

/// Runs GNU's tool and tl's on a copy of `input` each (in place); compares them.
fn compare(d: &Path, gnu: &str, tl_tool: &str, opts: &str, input: &str, image: bool) -> Option<String> {
    let InPlace { g, t, gnu_status, tl_status, gnu_stderr: ge, tl_stderr: te } = in_place_both(d, gnu, tl_tool, opts, input);
    let what = format!("{gnu} {opts} {input}");
    if gnu_status != tl_status || ge != te {
        return Some(format!("{what}: status {:?}/{:?}, stderr GNU {ge:?} tl {te:?}", gnu_status, tl_status));
    }
    if gnu_status != Some(0) {
        return None;
    }
    let view = |f: &str| if image { image_readelf(&d.join(f)) } else { readelf_normalised(&d.join(f)) };
    let (gn, tn) = (view(&g), view(&t));
    if gn != tn {
        let only = |a: &str, b: &str| a.lines().filter(|l| !b.lines().any(|m| m == *l)).collect::<Vec<_>>().join("\n  ");
        return Some(format!("{what}: readelf differs\n only GNU:\n  {}\n only tl:\n  {}", only(&gn, &tn), only(&tn, &gn)));
    }
    image.then(|| image_bytes_differ(&d.join(&g), &d.join(&t))).flatten().map(|why| format!("{what}: {why}"))
}

#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, binutils for other targets)")]
fn objcopy_and_strip_on_other_targets_match_their_gnu_tools() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("a.c"), C).unwrap();
    std::fs::write(d.join("cxx.cc"), CXX).unwrap();
    std::fs::write(d.join("blob.bin"), "some bytes").unwrap();
    require(&llvm19("clang"));
    let (mut failures, mut runs) = (Vec::new(), 0);
    for t in TARGETS {
        let gnu_objcopy = format!("{}objcopy", t.gnu);
        require(Path::new(&format!("/usr/bin/{gnu_objcopy}")));
        let (objects, images) = build(d, t);
        let inputs = objects.iter().map(|f| (f, false)).chain(images.iter().map(|f| (f, true)));
        for (input, image) in inputs {
            let extra = if image { IMAGE_OPTIONS } else { &[] };
            let sets = [(gnu_objcopy.clone(), "tl-objcopy", OBJCOPY_OPTIONS), (gnu_objcopy.clone(), "tl-objcopy", extra)];
            let strip = [(format!("{}strip", t.gnu), "tl-strip", STRIP_OPTIONS)];
            for (gnu, tl_tool, options) in sets.iter().chain(strip.iter()) {
                for opts in *options {
                    runs += 1;
                    failures.extend(compare(d, gnu, tl_tool, opts, input, image));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}

/// A section named like a relocation section (renamed so, or lld's `.relro_padding` on i386
/// and ARM) gets from BFD the type, entry size, link and info its name says; sections of
/// x86-64, i386 and ARM objects and shared objects (GNU ld's and ld.lld's) renamed to every
/// kind of such name, against their GNU objcopy.
#[test]
#[cfg_attr(not(tl_interop), ignore = "needs TL_INTEROP=1 (clang-19, lld-19, binutils for ARM)")]
fn sections_named_like_relocation_sections_match_gnu() {
    let dir = tempdir();
    let d = dir.path();
    require(&llvm19("clang"));
    std::fs::write(d.join("a.c"), "int g = 3;\nint z;\nconst int r = 5;\nint f(int x) { return x + g + z + r; }\n").unwrap();
    let clang = llvm19("clang").display().to_string();
    let lld = llvm19("ld.lld").display().to_string();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 -c -fPIC a.c -o x64.o && gcc -shared x64.o -o x64.so");
    sh(&format!("{lld} -shared x64.o -o x64lld.so"));
    sh(&format!("{clang} --target=i386-linux-gnu -O1 -fPIC -c a.c -o i386.o && {lld} -shared i386.o -o i386.so"));
    sh(&format!("{clang} --target=arm-linux-gnueabihf -O1 -fPIC -c a.c -o arm.o && arm-linux-gnueabihf-ld -shared arm.o -o arm.so"));
    let names = [".relfoo", ".rel.foo", ".rela.foo", ".relafoo", ".rel", ".rela", ".relr.dyn", ".reloc", ".rel.text", ".rela.data"];
    let (mut failures, mut runs) = (Vec::new(), 0);
    for file in ["x64.o", "x64.so", "x64lld.so", "i386.o", "i386.so", "arm.o", "arm.so"] {
        let gnu = if file.starts_with("arm") { "arm-linux-gnueabihf-objcopy" } else { "objcopy" };
        let image = file.ends_with(".so");
        // (lld's i386 `.relro_padding` as it is, then each section renamed.)
        let mut option_sets = vec![String::new()];
        option_sets.extend(names.iter().flat_map(|n| [".data", ".bss", ".rodata"].map(|s| format!("--rename-section {s}={n}"))));
        for opts in &option_sets {
            runs += 1;
            failures.extend(compare(d, gnu, "tl-objcopy", opts, file, image));
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}
