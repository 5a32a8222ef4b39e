//! tl-objcopy and tl-strip on executables and shared objects (PIE, non-PIE, static, C++ with
//! TLS and exceptions, a shared library with and without `-g`) against GNU objcopy and strip
//! 2.40: `readelf -hlSsrnW --dyn-syms` equal (program headers, section-to-segment map, every
//! section's address, offset and size but the string tables', symbols, notes, dynamic
//! relocations), the bytes of every load segment and of every section equal, stderr and exit
//! status equal; the stripped and copied programs run and print what the originals print, and
//! gdb reads a program split into a stripped file and its debug file as it reads GNU's split.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

const LIB: &str = r#"
#include <stdio.h>
int global_data = 7;
__thread int tls_counter = 2;
static int bss_table[256];
__attribute__((weak)) int weak_fn(void) { return 1; }
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + tls_counter; }
__attribute__((noinline)) static int local_fn(int x) { bss_table[x & 255] += x; return bss_table[x & 255] + global_data; }
int api(int x) { return local_fn(x) + hidden_fn(x) + weak_fn(); }
"#;

const MAIN: &str = "#include <stdio.h>\nint api(int);\nint main(void) { printf(\"api %d\\n\", api(3)); return 0; }\n";

const CXX: &str = r#"
#include <cstdio>
#include <stdexcept>
thread_local int tcount = 5;
thread_local int tzero;
int run(int x) { try { if (x < 0) throw std::runtime_error("neg"); } catch (...) { return -1; } tzero += x; return tcount + tzero; }
int main() { std::printf("cxx %d %d\n", run(3), run(-1)); }
"#;

const FIRMWARE: &str =
    "int counter = 5; const char msg[] = \"hello\"; int zero;\nvoid _start(void) { counter += msg[0] + zero; for (;;); }\n";

const FIRMWARE_SCRIPT: &str = r#"
MEMORY { FLASH (rx) : ORIGIN = 0x08000000, LENGTH = 256K  RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 64K }
SECTIONS {
  .text : { *(.text*) *(.rodata*) } > FLASH
  .data : { *(.data*) } > RAM AT> FLASH
  .bss : { *(.bss*) *(COMMON) } > RAM
  /DISCARD/ : { *(.note*) *(.eh_frame*) *(.comment) }
}
"#;

/// Builds the programs and libraries; returns (file, how to run it) pairs.
fn build(d: &Path) -> Vec<(&'static str, &'static str)> {
    for (n, t) in [("lib.c", LIB), ("main.c", MAIN), ("cxx.cpp", CXX)] {
        std::fs::write(d.join(n), t).unwrap();
    }
    std::fs::write(d.join("blob.bin"), "some bytes").unwrap();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 -g main.c lib.c -o pie && gcc -O1 -no-pie main.c lib.c -o nopie && gcc -O1 -static main.c lib.c -o static");
    sh("g++ -O1 -g cxx.cpp -o cxx && gcc -O1 -g -fPIC -shared lib.c -o libapi.so && gcc -O1 -fPIC -shared lib.c -o libplain.so");
    sh("gcc -O1 main.c -L. -lapi -Wl,-rpath,'$ORIGIN' -o dyn");
    // Firmware-shaped: .data loaded in flash, run from RAM (p_paddr apart from p_vaddr).
    std::fs::write(d.join("fw.c"), FIRMWARE).unwrap();
    std::fs::write(d.join("fw.ld"), FIRMWARE_SCRIPT).unwrap();
    sh("gcc -O1 -g -nostdlib -static -no-pie -Wl,-T,fw.ld -Wl,--build-id=none fw.c -o fw.elf");
    // A shared object is run through `dyn`, which loads the libapi.so next to it.
    vec![("pie", "./X"), ("nopie", "./X"), ("static", "./X"), ("cxx", "./X"), ("libapi.so", "lib"), ("libplain.so", "-"), ("fw.elf", "-")]
}

/// Runs GNU's tool and tl's on a copy of `input` each (in place); compares them.
fn compare(d: &Path, gnu: &str, tl_tool: &str, opts: &str, input: &str) -> Option<String> {
    let InPlace { g, t, gnu_status, tl_status, gnu_stderr: ge, tl_stderr: te } = in_place_both(d, gnu, tl_tool, opts, input);
    if gnu_status != tl_status || ge != te {
        return Some(format!("{gnu} {opts} {input}: status {:?}/{:?}, stderr GNU {ge:?} tl {te:?}", gnu_status, tl_status));
    }
    if gnu_status != Some(0) {
        return None;
    }
    let (gn, tn) = (image_readelf(&d.join(&g)), image_readelf(&d.join(&t)));
    if gn != tn {
        let only = |a: &str, b: &str| a.lines().filter(|l| !b.lines().any(|m| m == *l)).collect::<Vec<_>>().join("\n  ");
        return Some(format!("{gnu} {opts} {input}: readelf differs\n only GNU:\n  {}\n only tl:\n  {}", only(&gn, &tn), only(&tn, &gn)));
    }
    image_bytes_differ(&d.join(&g), &d.join(&t)).map(|why| format!("{gnu} {opts} {input}: {why}"))
}

/// Runs the program (or, for a library, `dyn` beside it) from a directory of its own.
fn output_of(d: &Path, file: &str, how: &str, as_name: &str) -> Option<Vec<u8>> {
    let box_dir = d.join(format!("run-{file}"));
    std::fs::create_dir_all(&box_dir).unwrap();
    let cmd = match how {
        "./X" => {
            std::fs::copy(d.join(file), box_dir.join("prog")).unwrap();
            "./prog"
        }
        "lib" => {
            std::fs::copy(d.join(file), box_dir.join(as_name)).unwrap();
            std::fs::copy(d.join("dyn"), box_dir.join("dyn")).unwrap();
            "./dyn"
        }
        _ => return None,
    };
    // (A program an option broke may not even start.)
    Some(match Command::new(cmd).current_dir(&box_dir).env("LC_ALL", "C").output() {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => format!("failed: {}", out.status).into_bytes(),
        Err(e) => format!("cannot run: {e}").into_bytes(),
    })
}

const OBJCOPY_OPTIONS: &[&str] = &[
    "",
    "-R .comment",
    "--strip-debug",
    "--strip-all",
    "--strip-unneeded",
    "-x",
    "-X",
    "--only-keep-debug",
    "--only-keep-debug --compress-debug-sections",
    "--compress-debug-sections",
    "--compress-debug-sections=zlib-gnu",
    "--add-gnu-debuglink=blob.bin",
    "-K main -N api",
    "-N api",
    "-L api",
    "-W api",
    "-G api",
    "--weaken",
    "--globalize-symbol=local_fn",
    "--redefine-sym api=renamed_api",
    "--prefix-symbols=p_",
    "--localize-hidden",
    "--strip-debug --keep-file-symbols",
    "--set-start=0x1234",
    "--remove-section=.comment --remove-section=.note",
    "--add-section .blob=blob.bin",
    "--rename-section .comment=.cmt",
    "--strip-debug --keep-file-symbols --add-gnu-debuglink=blob.bin",
    "--keep-section-symbols --strip-debug",
    // Removing allocated sections: GNU rewrites the program headers.
    "-R .note.gnu.property",
    "-R .note.gnu.build-id -R .comment",
    "-R .note.ABI-tag",
    "-R '.note*'",
    "-R .interp",
    "-R .eh_frame_hdr",
    "-R .eh_frame",
    "-R .rodata",
    "-R .tbss -R .tdata",
    "-R .bss",
    "-R .init_array -R .fini_array",
    "-R .got",
    "-j .text",
    "-j .data -j .rodata",
    // Moving sections: GNU rewrites the program headers (its warnings and refusals too).
    "--change-section-lma .data+0x1000",
    "--change-section-lma .data=0x20000000",
    "--change-section-lma .data=0x08001000",
    "--change-section-lma '*+0x100000'",
    "--change-section-lma .tdata+0x800",
    "--change-section-lma .text+0x1000 --change-section-lma .fini+0x1000",
    "--change-section-vma .text+0x100",
    "--change-section-vma .data=0x20001000",
    "--change-section-vma .comment+0x10",
    "--change-section-address .bss+0x40",
    "--change-addresses 0x10000",
    "--adjust-vma=-0x1000",
    // New flags or alignments also rewrite them; new contents do not.
    "--set-section-alignment .text=256",
    "--set-section-alignment .data=64",
    "--set-section-alignment .comment=64",
    "--set-section-flags .data=alloc,load,contents,readonly",
    "--set-section-flags .text=alloc,load,contents,readonly,code,share",
    // A section made allocated: outside every segment, at its address's page congruence.
    "--set-section-flags .comment=alloc,load,contents",
    "--set-section-flags .comment=alloc,contents,readonly",
    "--update-section .comment=blob.bin",
    "--update-section .rodata=blob.bin",
    // Every section emptied: GNU builds the program headers anew from the sections.
    "--extract-symbol",
    "--extract-symbol --strip-debug -R .comment",
    "--extract-symbol --set-start=0x1234 --change-section-lma .data+0x1000",
];

const STRIP_OPTIONS: &[&str] = &[
    "",
    "-g",
    "--strip-unneeded",
    "-x",
    "-X",
    "--only-keep-debug",
    "-K api",
    "-N api",
    // dh_strip on shared libraries and executables; Buck2; openSUSE.
    "--remove-section=.comment --remove-section=.note --strip-unneeded",
    "--remove-section=.comment --remove-section=.note",
    "--strip-debug --strip-unneeded",
    "-p --discard-locals -R .comment -R .note",
    "-R .note.gnu.property --strip-unneeded",
];

#[test]
fn objcopy_and_strip_of_programs_and_shared_objects_match_gnu_and_still_run() {
    let dir = tempdir();
    let d = dir.path();
    let inputs = build(d);
    let mut failures = Vec::new();
    let mut runs = 0;
    // A debug file does not run; nor does a program whose entry point moved (and where GNU's
    // result does not run as the original does, the option broke the program).
    let runs_after = |opts: &str| !opts.contains("only-keep-debug") && !opts.contains("set-start");
    for (gnu, tl_tool, options) in [("objcopy", "tl-objcopy", OBJCOPY_OPTIONS), ("strip", "tl-strip", STRIP_OPTIONS)] {
        for opts in options {
            for &(input, how) in &inputs {
                runs += 1;
                if let Some(f) = compare(d, gnu, tl_tool, opts, input) {
                    failures.push(f);
                    continue;
                }
                let changed = format!("t-{input}");
                if runs_after(opts) && d.join(&changed).exists() && !opts.contains("redefine") && !opts.contains("prefix") {
                    let want = output_of(d, input, how, input);
                    let got = output_of(d, &changed, how, input);
                    // (Where GNU's result does not run as the original does either, the
                    // option broke the program: e.g. segments split by moved load addresses.)
                    let gnu_runs = output_of(d, &format!("g-{input}"), how, input) == want;
                    if gnu_runs && want != got {
                        failures.push(format!("{tl_tool} {opts} {input}: runs differently: {got:?} / {want:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn gdb_reads_a_program_split_by_tl_as_one_split_by_gnu() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let tl_objcopy = tl("tl-objcopy").display().to_string();
    let mut seen = Vec::new();
    for (tool, sub) in [("objcopy", "g"), (tl_objcopy.as_str(), "t")] {
        let w = d.join(sub);
        std::fs::create_dir_all(&w).unwrap();
        std::fs::copy(d.join("cxx"), w.join("cxx")).unwrap();
        std::fs::copy(d.join("cxx.cpp"), w.join("cxx.cpp")).unwrap();
        let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(&w));
        // dh_strip's flow: the debug file (compressed), then the stripped program linking it.
        sh(&format!("{tool} --only-keep-debug --compress-debug-sections cxx cxx.debug"));
        sh(&format!("{tool} --strip-debug --remove-section=.comment --add-gnu-debuglink=cxx.debug cxx cxx.stripped"));
        assert_eq!(sh("./cxx.stripped"), run_ok(&mut Command::new(d.join("cxx"))));
        let gdb = run_ok(
            Command::new("gdb")
                .args(["-nx", "-batch", "-ex", "info line run", "-ex", "info address tcount", "-ex", "list run,+1", "-ex", "ptype run"])
                .arg("cxx.stripped")
                .current_dir(&w),
        );
        let text = String::from_utf8_lossy(&gdb).replace(&w.display().to_string(), "DIR");
        assert!(text.contains("Line 6 of \"cxx.cpp\""), "{sub}: {text}");
        seen.push(text);
        let info = run_ok(Command::new("readelf").args(["--debug-dump=info", "cxx.debug"]).current_dir(&w));
        seen.push(String::from_utf8_lossy(&info).into_owned());
    }
    assert_eq!(seen[2], seen[0], "gdb on the stripped programs");
    assert_eq!(seen[3], seen[1], "readelf --debug-dump=info on the debug files");
}

/// `--extract-symbol` lays an image out with its target's page size: on a machine whose
/// page size tl does not know (here a program marked SPARC V9), a refusal and no output.
#[test]
fn extract_symbol_on_an_unknown_machine_is_refused_and_writes_nothing() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let mut elf = std::fs::read(d.join("pie")).unwrap();
    elf[18..20].copy_from_slice(&43u16.to_le_bytes());
    std::fs::write(d.join("sparc"), elf).unwrap();
    std::fs::write(d.join("out"), b"previous").unwrap();
    let out = run(tl_cmd("tl-objcopy").args(["--extract-symbol", "sparc", "out"]).current_dir(d));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let want = "tl-objcopy: sparc: --extract-symbol (GNU lays the program out anew with its target's page size) on an executable or shared object of machine 43 is not supported yet\n";
    assert_eq!(err, want);
    assert_eq!(std::fs::read(d.join("out")).unwrap(), b"previous");
}
