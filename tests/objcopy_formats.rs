//! tl-objcopy's non-ELF outputs (`-O binary|ihex|srec|verilog`, with `--gap-fill`, `--pad-to`,
//! `--srec-len`, `--srec-forceS3`, `--verilog-data-width`, `-i`/`--interleave-width`/`-b`,
//! `--reverse-bytes`, `-j`/`-R`, start addresses) against GNU objcopy 2.40, byte for byte: on
//! programs (PIE, non-PIE, static), a relocatable object, and a firmware-like image whose
//! sections sit across a 64 KiB boundary and at a load address apart from their address.
//! stderr, exit status and the output's mode must agree too.

mod harness;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use harness::*;

const C: &str = r#"
#include <stdio.h>
int global_data = 7;
static int table[64];
int api(int x) { table[x & 63] += x; return table[x & 63] + global_data; }
int main(void) { printf("%d\n", api(3)); return 0; }
"#;

const FIRMWARE: &str = "
.text
.globl _start
_start: .byte 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18
.section .rodata,\"a\"
.byte 0x20,0x21,0x22,0x23,0x24,0x25,0x26,0x27,0x28,0x29,0x2a,0x2b,0x2c,0x2d,0x2e,0x2f,0x30
.data
.byte 0xa0,0xa1,0xa2,0xa3,0xa4
.bss
.zero 16
";

/// `.rodata` crosses 64 KiB; `.data` loads at 0x123456 (its address is 0x30000).
const FIRMWARE_LDS: &str = "ENTRY(_start)
SECTIONS {
  .text 0x1000 : { *(.text) }
  .rodata 0x1fff8 : { *(.rodata) }
  .data 0x30000 : AT(0x123456) { *(.data) }
  .bss : { *(.bss) }
}
";

fn build(d: &Path) -> Vec<&'static str> {
    std::fs::write(d.join("c.c"), C).unwrap();
    std::fs::write(d.join("fw.s"), FIRMWARE).unwrap();
    std::fs::write(d.join("fw.ld"), FIRMWARE_LDS).unwrap();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 c.c -o pie && gcc -O1 -no-pie c.c -o nopie && gcc -O1 -static c.c -o static && gcc -O1 -c c.c -o c.o");
    sh("as fw.s -o fw.o && ld -T fw.ld fw.o -o fw && ar rc lib.a c.o");
    vec!["fw", "pie", "nopie", "static", "c.o"]
}

const OPTIONS: &[&str] = &[
    "-O binary",
    "-O ihex",
    "-O srec",
    "-O verilog",
    "-O binary -j .text",
    "-O binary -R .data",
    "-O ihex -j .text -j .data",
    "-O srec --srec-len 7",
    "-O srec --srec-len 3 --gap-fill 9 -R .data",
    "-O srec --srec-forceS3",
    "-O srec --srec-len 300",
    "-O srec --srec-len 0",
    "-O srec --srec-len zz",
    "-O verilog --verilog-data-width 2",
    "-O verilog --verilog-data-width 4",
    "-O verilog --verilog-data-width 8",
    "-O verilog --verilog-data-width 16",
    "-O verilog --verilog-data-width 3",
    "-O verilog --verilog-data-width abc",
    "-O binary -R .data --gap-fill 0xee",
    "-O binary --gap-fill 0xff",
    "-O ihex --gap-fill 1 -R .data",
    "-O ihex --gap-fill 0xff --pad-to 0x9000",
    "-O ihex --pad-to 0x123500",
    "-O srec --change-section-lma .data=0x12345678",
    "-O ihex --change-section-lma .data=0x12345678",
    "-O srec --pad-to 0x12345",
    "-O binary --gap-fill 0x1ff -R .data",
    "-O binary --pad-to 0x5000",
    "-O verilog --gap-fill 0 --pad-to 0x8000",
    "-O ihex -i 4 -b 1",
    "-O ihex -i 4 -b 1 --interleave-width 2",
    "-O srec --interleave=2 -b 0",
    "-O srec -i 2 -b 1",
    "-O ihex --interleave -b 3",
    "-O ihex -i 4",
    "-O ihex -b 0",
    "-O ihex --interleave-width 2",
    "-O ihex -i 0",
    "-O ihex -b -1",
    "-O ihex -i 4 -b 2 --interleave-width 3",
    "-O binary --reverse-bytes=2",
    "-O binary --reverse-bytes=4 -j .text",
    "-O binary --reverse-bytes=3",
    "-O binary --reverse-bytes=2 --reverse-bytes=4 -j .interp",
    "-O ihex --set-start 0x123456",
    "-O ihex --set-start 0",
    "-O srec --change-start 0x10",
    "-O binary --set-start 0x10",
    "-O ihex --change-section-lma .data=0x100000000",
];

/// Runs both tools in directories of their own (srec names its output: the same name here).
fn compare(d: &Path, opts: &str, input: &str) -> Option<String> {
    let mut outcome = Vec::new();
    for (tool, sub) in [("objcopy".to_string(), "g"), (tl("tl-objcopy").display().to_string(), "t")] {
        let w = d.join(sub);
        std::fs::create_dir_all(&w).unwrap();
        std::fs::copy(d.join(input), w.join(input)).unwrap();
        let _ = std::fs::remove_file(w.join("out"));
        let o = run(Command::new("sh").arg("-c").arg(format!("{tool} {opts} {input} out")).current_dir(&w));
        let stderr = String::from_utf8_lossy(&o.stderr).replace(&format!("{tool}: "), "TOOL: ").replace("tl-objcopy: ", "TOOL: ");
        let file = std::fs::read(w.join("out")).ok();
        let mode = std::fs::metadata(w.join("out")).ok().map(|m| m.permissions().mode() & 0o777);
        outcome.push((o.status.code(), stderr, file, mode));
    }
    let (g, t) = (&outcome[0], &outcome[1]);
    if (g.0, &g.1) != (t.0, &t.1) {
        return Some(format!("{opts} {input}: status {:?}/{:?}, stderr GNU {:?} tl {:?}", g.0, t.0, g.1, t.1));
    }
    // (On a fatal error GNU leaves what it had written; tl writes nothing.)
    if g.0 == Some(0) && (g.2 != t.2 || g.3 != t.3) {
        return Some(format!(
            "{opts} {input}: output differs (modes {:?} / {:?})",
            g.3.map(|m| format!("{m:o}")),
            t.3.map(|m| format!("{m:o}"))
        ));
    }
    None
}

#[test]
fn non_elf_outputs_match_gnu_objcopy_byte_for_byte() {
    let dir = tempdir();
    let d = dir.path();
    let inputs = build(d);
    let mut failures = Vec::new();
    let mut runs = 0;
    for (k, opts) in OPTIONS.iter().enumerate() {
        // (The static program, large, only in each format once; padding to .data's load
        // address is padding a program to a megabyte: the firmware alone.)
        let fits = |i: &str| (k < 4 || i != "static") && (!opts.contains("0x123500") || i == "fw");
        for input in inputs.iter().filter(|i| fits(i)) {
            runs += 1;
            failures.extend(compare(d, opts, input));
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn an_archive_cannot_become_a_non_elf_file_and_binary_in_place_works() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    for fmt in ["binary", "ihex", "srec", "verilog"] {
        let out = run(tl_cmd("tl-objcopy").args(["-O", fmt, "lib.a", "x.out"]).current_dir(d));
        assert_eq!(out.status.code(), Some(1), "{fmt}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "tl-objcopy: x.out: invalid operation\n", "{fmt}");
        assert!(!d.join("x.out").exists(), "{fmt}");
    }
    // In place (binary names nothing, so GNU's temporary name does not show).
    run_ok(Command::new("sh").arg("-c").arg("cp fw g.fw && cp fw t.fw && objcopy -O binary g.fw").current_dir(d));
    run_ok(tl_cmd("tl-objcopy").args(["-O", "binary", "t.fw"]).current_dir(d));
    assert_eq!(std::fs::read(d.join("t.fw")).unwrap(), std::fs::read(d.join("g.fw")).unwrap());
}
