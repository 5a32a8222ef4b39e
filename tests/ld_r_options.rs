//! tl-ld -r's options that change the output, against GNU ld -r 2.40: compressed debug
//! sections (inputs with gABI (`SHF_COMPRESSED`, `gcc -gz`) and GNU (`.zdebug_*`,
//! `-gz=zlib-gnu`) compression are read decompressed, `--compress-debug-sections=none|zlib|
//! zlib-gnu|zlib-gabi` writes the output as GNU does), `-s`/`-S`/`-x`/`-X`, `-z [no]common`,
//! `--no-define-common`, `-E`, `-Ur`, `-t`, `--wrap`, `--force-group-allocation`, `--defsym`. Sections
//! (normalised `readelf -S`, `-s`), every debug section's bytes as written, the relocations (by
//! symbol name), stdout, stderr and exit status must equal GNU's.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

fn build(d: &Path) {
    std::fs::write(d.join("a.c"), "#include <stdio.h>\nstatic int n;\nint a(int x) { n += x; printf(\"%d\\n\", n); return n; }\n").unwrap();
    std::fs::write(d.join("b.c"), "struct s { int x; double y; };\nint b(struct s *p) { return p->x + (int)p->y; }\n").unwrap();
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O1 -g -gz -c a.c -o az.o && gcc -O1 -g -gz=zlib-gnu -c b.c -o bz.o && gcc -O1 -g -c b.c -o b.o && gcc -O1 -g -c a.c -o a.o");
    // Local labels: one a relocation uses, one not, and a plain local.
    std::fs::write(
        d.join("lab.s"),
        ".text\n.globl ff\nff: call .Lused\n.Lused: ret\n.Lunused: ret\nlocal_l: ret\n.section .note.GNU-stack\n",
    )
    .unwrap();
    sh("as -L lab.s -o lab.o");
    // Locals in a merged string section (GNU discards those only in final links by default).
    std::fs::write(d.join("ms.s"), ".section .rodata.str1.1,\"aMS\",@progbits,1\nmlab: .asciz \"hi\"\n.Lmtemp: .asciz \"yo\"\n.text\n.globl fn\nfn: ret\n.section .note.GNU-stack\n").unwrap();
    sh("as -L ms.s -o ms.o");
    std::fs::write(d.join("cm.c"), "int common_var;\n").unwrap();
    sh("gcc -fcommon -c cm.c -o cm.o && ar rc libl.a lab.o cm.o");
    // --wrap: a caller of foo, bar and __real_foo; foo and __wrap_foo defined elsewhere.
    std::fs::write(
        d.join("w1.c"),
        "int foo(int); int bar(int); int __real_foo(int);\nint use(int x) { return foo(x) + bar(x) + __real_foo(x); }\n",
    )
    .unwrap();
    std::fs::write(d.join("w2.c"), "int foo(int x) { return x; }\nint __wrap_foo(int x) { return foo(x) + 1; }\n").unwrap();
    sh("gcc -O1 -c w1.c -o w1.o && gcc -O1 -c w2.c -o w2.o && ar rc libw.a w2.o");
    // COMDAT groups (templates and inline functions used in two objects).
    let cxx = |name: &str| {
        format!(
            "template <class T> T twice(T x) {{ return x + x; }}\ninline int shared() {{ static int n; return ++n; }}\nint {name}(int x) {{ return twice(x) + shared(); }}\n"
        )
    };
    std::fs::write(d.join("g1.cpp"), cxx("g1")).unwrap();
    std::fs::write(d.join("g2.cpp"), cxx("g2")).unwrap();
    sh("g++ -O1 -c g1.cpp -o g1.o && g++ -O1 -c g2.cpp -o g2.o");
}

const LINKS: &[&str] = &[
    "az.o",
    "az.o bz.o",
    "bz.o a.o",
    "--compress-debug-sections=none az.o bz.o",
    "--compress-debug-sections=zlib a.o b.o",
    "--compress-debug-sections=zlib-gabi az.o bz.o",
    "--compress-debug-sections=zlib-gnu a.o bz.o",
    "--compress-debug-sections zlib az.o",
    "--compress-debug-sections=foo a.o",
    "--compress-debug-sections a.o",
    "-s a.o b.o lab.o",
    "-S a.o b.o lab.o",
    "-x a.o b.o lab.o",
    "-X a.o b.o lab.o",
    "-s -x az.o lab.o",
    "-S -s a.o lab.o",
    "-s -S a.o lab.o",
    "-x -X lab.o b.o",
    "--strip-all --discard-locals a.o lab.o",
    "--strip-debug --discard-all az.o bz.o lab.o",
    "-S --compress-debug-sections=zlib a.o",
    "--discard-none a.o lab.o ms.o",
    "-x --discard-none lab.o ms.o",
    "--discard-none -X lab.o ms.o",
    "-s --discard-none lab.o ms.o",
    "-z common cm.o a.o",
    "-z nocommon cm.o",
    "-z common -z nocommon cm.o",
    "--no-define-common cm.o",
    "-E a.o",
    "-Ur a.o b.o",
    "-t a.o libl.a -u ff",
    "-t -t a.o libl.a -u ff",
    "--trace b.o --start-group libl.a --end-group -u ff",
    "--wrap=foo w1.o",
    "--wrap foo w1.o w2.o",
    "--wrap=foo --wrap=bar w1.o",
    "--wrap=foo w2.o w1.o",
    "--wrap=foo w1.o libw.a",
    "g1.o g2.o",
    "--force-group-allocation g1.o g2.o",
    "--force-group-allocation g1.o",
    // --defsym: a symbol alone keeps its section, an expression is absolute, one symbol named
    // gives its type; undefined references become the definition; GNU's errors.
    "--defsym x=a a.o",
    "--defsym x=a+4 a.o",
    "--defsym=x=0x1000 a.o",
    "--defsym x=(a+1)*2 a.o",
    "--defsym x=a-b a.o b.o",
    "--defsym x=5K --defsym y=x+1 a.o",
    "--defsym x=~0 --defsym z=8/2 --defsym w=7%4 a.o",
    "--defsym bar=a w1.o",
    "--defsym a=0x10 a.o",
    "--defsym x=DEFINED(a)+MAX(3,7) a.o",
    "--defsym x=nosuch a.o",
    "--defsym x=1+ a.o",
    "--defsym x a.o",
    "--defsym =5 a.o",
    "--defsym x=8/x2 --defsym x2=0 a.o",
    "--defsym x2=0 --defsym x=8/x2 a.o",
    "--defsym x=-8/2 --defsym y=-7%2 a.o",
];

/// What must agree: the sections and symbols (names for indices), each debug section's bytes
/// as written, and the relocations by symbol name.
fn view(d: &Path, out: &str) -> String {
    let mut v = readelf_normalised(&d.join(out));
    let text =
        |args: &[&str]| String::from_utf8_lossy(&run(Command::new("readelf").args(args).arg(out).current_dir(d)).stdout).into_owned();
    // (By name: the output's section order may differ from GNU's.)
    let mut dumps: Vec<(String, String)> = Vec::new();
    for line in text(&["-SW"]).lines() {
        if let Some(name) = line.split_whitespace().find(|w| w.starts_with(".debug_") || w.starts_with(".zdebug_")) {
            dumps.push((name.to_string(), text(&["-x", name]).replace(out, "OUT")));
        }
    }
    dumps.sort();
    dumps.into_iter().for_each(|(_, d)| v.push_str(&d));
    // Relocation sections by name (their order and offsets may differ); each entry's offset,
    // type, symbol and addend (not the Info column's symbol index).
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for line in text(&["-rW"]).lines() {
        if let Some(rest) = line.strip_prefix("Relocation section '") {
            blocks.push((rest.split('\'').next().unwrap_or("").to_string(), Vec::new()));
        } else if let Some((_, entries)) = blocks.last_mut() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 2 && f[0] != "Offset" {
                entries.push(format!("{} {}", f[0], f[2..].join(" ")));
            }
        }
    }
    blocks.sort();
    for (name, entries) in blocks {
        v.push_str(&format!("relocations {name}\n{}\n", entries.join("\n")));
    }
    v
}

#[test]
fn compression_and_strip_options_of_a_partial_link_match_gnu() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    assert_ld_r_links_match(d, LINKS, |out| view(d, out));
}
