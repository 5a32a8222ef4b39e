//! tl-ld -r with linker scripts (`-T`), against GNU ld -r 2.40 on the same scripts and objects:
//! the kernel's module script (`/DISCARD/`, `SORT`, `KEEP`, `ALIGN`, addresses 0), output
//! sections that gather input sections by wildcard, orphans, `EXCLUDE_FILE`, data statements,
//! symbol assignments and `PROVIDE`, `ONLY_IF_RO`, `INCLUDE`, and GNU's errors. Sections in
//! output order with their addresses, every section's bytes, the normalised `readelf` view
//! (symbols, relocations by name, groups), stdout, stderr and exit status must equal GNU's.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

fn build(d: &Path) {
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    write(
        "a.c",
        "int x = 1; int y; static const char *s = \"hello\";\nconst int ro[4] = {1,2,3,4};\nint f(void) { return x + y + s[0]; }\n",
    );
    write("b.c", "extern int f(void); __thread int t; __thread int ti = 3;\nint g(void) { return f() + t + ti; }\n");
    write(
        "c.c",
        "int c1 __attribute__((section(\"___ksymtab+foo\"))) = 1;\nint c2 __attribute__((section(\"___ksymtab+bar\"))) = 2;\n\
         int d1 __attribute__((section(\".discard.x\"))) = 3;\nint h(void) { return c1 + c2; }\n\
         static void __attribute__((constructor(200))) ctor2(void) {}\nstatic void __attribute__((constructor(101))) ctor1(void) {}\n\
         int bugs[2] __attribute__((section(\"__bug_table\"), used)) = {1, 2};\n",
    );
    write(
        "e.cpp",
        "#include <stdexcept>\ntemplate <class T> T twice(T x) { return x + x; }\ninline int shared() { static int n; return ++n; }\n\
         int e(int x) { if (x < 0) throw std::runtime_error(\"neg\"); return twice(x) + shared(); }\n",
    );
    write(
        "s.s",
        ".text\n.globl sf\nsf: ret\n.p2align 4\n.globl sg\nsg: ret\n.section .rodata.cst8,\"aM\",@progbits,8\n.quad 7\n.section .note.GNU-stack\n",
    );
    // A reference into a discarded section (GNU's error), and one only debug info makes.
    write("disc.c", "int dd __attribute__((section(\".discard.y\"))) = 5;\nint use_dd(void) { return dd; }\n");
    write("discg.c", "int dg __attribute__((section(\".discard.g\"))) = 5;\nint other(void) { return 1; }\n");
    // Objects shaped like arm64's nVHE hypervisor (per-CPU data, read-only-after-init data).
    write(
        "hyp.c",
        "int pc_first __attribute__((section(\".data..percpu..first\"))) = 1;\n\
         int pc_page[4] __attribute__((section(\".data..percpu..page_aligned\"), aligned(4096))) = {2};\n\
         int pc_rm __attribute__((section(\".data..percpu..read_mostly\"))) = 3;\nint pc __attribute__((section(\".data..percpu\"))) = 4;\n\
         int roai __attribute__((section(\".data..ro_after_init\"))) = 5;\n\
         __attribute__((section(\".idmap.text\"))) int idmap_fn(void) { return pc + pc_rm; }\nint hyp_fn(void) { return roai + pc_first; }\n",
    );
    write(
        "hyp.lds",
        "SECTIONS {\n .hyp.idmap.text : { *(.idmap.text .idmap.text.*) }\n .hyp.text : { *(.text .text.*) }\n\
         .hyp.data..ro_after_init : { *(.data..ro_after_init .data..ro_after_init.*) }\n .hyp.rodata : { *(.rodata .rodata.*) }\n\
         . = ALIGN(4096);\n .hyp.data..percpu : {\n  __per_cpu_start = .;\n  *(.data..percpu..first)\n  . = ALIGN(4096);\n\
         *(.data..percpu..page_aligned)\n  . = ALIGN(64);\n  *(.data..percpu..read_mostly)\n  . = ALIGN(64);\n\
         *(.data..percpu) *(.data..percpu..shared_aligned)\n  __per_cpu_end = .;\n }\n .hyp.bss : { *(.bss .bss.*) }\n}\n",
    );
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    write("cm.c", "int common_var;\nint common_big[8];\n");
    sh("gcc -fcommon -c cm.c && mkdir -p sub && ar rc sub/libcm.a cm.o");
    sh("gcc -O1 -c hyp.c && gcc -O1 -c disc.c && gcc -O1 -g -c discg.c");
    sh("gcc -O1 -c a.c b.c && gcc -O1 -ffunction-sections -fdata-sections -c c.c && g++ -O1 -ffunction-sections -c e.cpp && as s.s -o s.o");
    sh("gcc -O1 -fcf-protection -c a.c -o cet.o && gcc -O1 -g -c b.c -o bg.o && ar rc libc1.a c.o");
    // The kernel's scripts/module.lds (6.x, x86-64), as Kbuild links modules with it.
    write(
        "module.lds",
        "SECTIONS {\n\t/DISCARD/ : {\n\t\t*(.discard)\n\t\t*(.discard.*)\n\t\t*(.export_symbol)\n\t}\n\n\
         \t__ksymtab\t\t0 : ALIGN(8) { *(SORT(___ksymtab+*)) }\n\t__ksymtab_gpl\t\t0 : ALIGN(8) { *(SORT(___ksymtab_gpl+*)) }\n\
         \t__kcrctab\t\t0 : ALIGN(4) { *(SORT(___kcrctab+*)) }\n\n\
         \t.ctors\t\t\t0 : ALIGN(8) { *(SORT(.ctors.*)) *(.ctors) }\n\t.init_array\t\t0 : ALIGN(8) { *(SORT(.init_array.*)) *(.init_array) }\n\n\
         \t.altinstructions\t0 : ALIGN(8) { KEEP(*(.altinstructions)) }\n\t__bug_table\t\t0 : ALIGN(8) { KEEP(*(__bug_table)) }\n\
         \t__jump_table\t\t0 : ALIGN(8) { KEEP(*(__jump_table)) }\n\t__ex_table\t\t0 : ALIGN(4) { KEEP(*(__ex_table)) }\n\n\
         \t__patchable_function_entries : { *(__patchable_function_entries) }\n\n\
         \t.bss : {\n\t\t*(.bss .bss.[0-9a-zA-Z_]*)\n\t\t*(.bss..L*)\n\t}\n\n\t.data : {\n\t\t*(.data .data.[0-9a-zA-Z_]*)\n\t\t*(.data..L*)\n\t}\n\n\
         \t.rodata : {\n\t\t*(.rodata .rodata.[0-9a-zA-Z_]*)\n\t\t*(.rodata..L*)\n\t}\n}\n",
    );
    write(
        "gather.lds",
        "SECTIONS {\n .text : { *(.text .text.*) }\n .data : { start_data = .; *(.data .data.*) end_data = .; }\n .rodata : { *(.rodata*) }\n}\n",
    );
    write(
        "stmts.lds",
        "/* data, fill and symbols */\nSECTIONS {\n .text 0x1000 : { *(.text) . = ALIGN(32); text_end = .; }\n\
         .tab : { LONG(0x11223344) SHORT(7) BYTE(1) . = ALIGN(8); QUAD(0x55) tab_end = .; }\n\
         .data : SUBALIGN(16) { *(.data) }\n PROVIDE(unused_provided = 42);\n PROVIDE(f = 1);\n abs_sym = 0x100;\n}\n",
    );
    write("exclude.lds", "SECTIONS {\n .text : { EXCLUDE_FILE(*b.o) *(.text) }\n .btext : { *(.text) }\n}\n");
    write("member.lds", "SECTIONS {\n .fromlib : { *libc1.a:c.o(.text.*) }\n .text : { *(.text) }\n}\n");
    write(
        "ro.lds",
        "SECTIONS {\n .eh_frame 0 : ONLY_IF_RO { KEEP(*(.eh_frame)) }\n .eh_frame 0 : ONLY_IF_RW { KEEP(*(.eh_frame)) }\n .text 0 : { *(.text) }\n}\n",
    );
    write("inc.lds", "INCLUDE gather.lds\n");
    write("noload.lds", "SECTIONS {\n .bss (NOLOAD) : { *(.bss) *(COMMON) }\n .text : { *(.text) }\n}\n");
    write(
        "sorts.lds",
        "SECTIONS {\n .init_array : { *(SORT_BY_INIT_PRIORITY(.init_array.*)) *(.init_array) }\n .k : { *(SORT_BY_ALIGNMENT(.rodata*)) }\n}\n",
    );
    write("discard_all.lds", "SECTIONS {\n /DISCARD/ : { *(.comment) *(.note.GNU-stack) }\n}\n");
    write("bad_eof.lds", "SECTIONS {\n .text : { *(.text) }\n");
    write("bad_mid.lds", "SECTIONS {\n .text : { *(.text) }\n = 3;\n}\n");
    write("bad_colon.lds", "SECTIONS {\n .text: { *(.text) }\n}\n");
    write("assert.lds", "SECTIONS {\n .text : { *(.text) }\n}\nASSERT(0, \"boom\")\n");
    write("bad_include.lds", "INCLUDE nothere.lds\n");
    write(
        "edges.lds",
        "SECTIONS {\n .text : { *(.text) x_in = 0x10; }\n top_dot = .;\n .e2 : { s_e2 = .; }\n .e3 : { . = ALIGN(8); }\n\
         .e4 0x40 : { *(.none) }\n .data : { a.o(.data) }\n .data : { *(.data) }\n .cmt : { *(.comment) BYTE(1) }\n\
         .info (INFO) : { *(.rodata) }\n .bss (COPY) : { *(.bss) }\n}\nend_sym = .;\n",
    );
    write(
        "fills.lds",
        "SECTIONS {\n .text : { *(.text) . = ALIGN(64); FILL(0xabcd) . += 5; } =0x90\n .data : { *(.data) . = ALIGN(32); } =0xdeadbeef\n}\n",
    );
    write(
        "heads.lds",
        "OUTPUT_FORMAT(\"elf64-x86-64\", \"elf64-x86-64\", \"elf64-x86-64\")\nOUTPUT_ARCH(i386:x86-64)\nSEARCH_DIR(\"sub\")\n\
         FORCE_COMMON_ALLOCATION\nSECTIONS {\n .text : { *(.text) }\n .rodata2 0 (READONLY) : { *(.data) }\n .bss : { *(.bss) *(COMMON) }\n}\n",
    );
    write("entry.lds", "ENTRY(g)\nSECTIONS {\n .text 0x400 : { *(.text) }\n}\n");
    write("entry_undef.lds", "ENTRY(nothere)\nSECTIONS {\n .text : { *(.text) }\n}\n");
}

const LINKS: &[&str] = &[
    "-T module.lds a.o b.o c.o",
    "-T module.lds c.o e.o a.o",
    "-T module.lds cet.o c.o",
    "-T gather.lds a.o b.o c.o",
    "-T gather.lds e.o s.o",
    "--script=gather.lds bg.o a.o",
    "-Tgather.lds a.o",
    "-T stmts.lds a.o s.o",
    "-T exclude.lds a.o b.o",
    "-T member.lds a.o libc1.a -u h",
    "-T ro.lds a.o e.o",
    "-T inc.lds a.o b.o",
    "-T noload.lds a.o b.o",
    "-T sorts.lds c.o s.o a.o",
    "-T discard_all.lds a.o b.o",
    "-T bad_eof.lds a.o",
    "-T bad_mid.lds a.o",
    "-T bad_colon.lds a.o",
    "-T assert.lds a.o",
    "-T bad_include.lds a.o",
    "-T nosuch.lds a.o",
    "-T module.lds disc.o a.o",
    "-T module.lds discg.o",
    "-T gather.lds -T gather.lds a.o",
    "-T gather.lds -T sorts.lds a.o c.o",
    "-T entry.lds a.o b.o",
    "-T entry.lds -e f a.o b.o",
    "-T entry_undef.lds a.o",
    "-T hyp.lds hyp.o a.o",
    "-T edges.lds a.o b.o",
    "-T heads.lds a.o cm.o",
    "-T heads.lds a.o -lcm -u common_var",
    "-T fills.lds a.o s.o",
    "-T gather.lds -e g a.o b.o",
    "-T gather.lds -e nothere a.o",
];

/// The sections in output order with their addresses and bytes, then the normalised view.
fn view(d: &Path, out: &str) -> String {
    let text =
        |args: &[&str]| String::from_utf8_lossy(&run(Command::new("readelf").args(args).arg(out).current_dir(d)).stdout).into_owned();
    let mut v = String::new();
    for line in text(&["-SW"]).lines() {
        let Some(rest) = line.trim_start().strip_prefix('[') else { continue };
        let Some((num, rest)) = rest.split_once(']') else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if num.trim() == "Nr" || num.trim() == "0" || f.is_empty() || matches!(f[0], ".symtab" | ".strtab" | ".shstrtab") {
            continue;
        }
        v.push_str(&format!("order {} {} addr={}\n", f[0], f[1], f[2]));
        if f[1] != "NOBITS" && !f[0].starts_with(".rel") && f[0] != ".eh_frame" {
            v.push_str(&text(&["-x", num.trim()]).replace(out, "OUT"));
        }
    }
    v.push_str(&readelf_normalised(&d.join(out)));
    v
}

#[test]
fn partial_links_with_linker_scripts_match_gnu() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    assert_ld_r_links_match(d, LINKS, |out| view(d, out));
}

/// Partial links laid out by scripts (the module script, the gathering one, the hypervisor's)
/// link into programs that run and print what the program from GNU's partial link prints.
#[test]
fn programs_from_script_laid_out_partial_links_run() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nint f(void); int g(void); int hyp_fn(void); int idmap_fn(void);\n\
         int main(void) { printf(\"%d %d %d %d\\n\", f(), g(), hyp_fn(), idmap_fn()); return 0; }\n",
    )
    .unwrap();
    for script in ["module.lds", "gather.lds", "hyp.lds"] {
        let mut printed = Vec::new();
        for ld in ["ld".to_string(), tl("tl-ld").display().to_string()] {
            let cmd = format!("{ld} -r -T {script} a.o b.o hyp.o -o part.o && gcc main.c part.o -o prog && ./prog");
            printed.push(run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d)));
        }
        assert_eq!(String::from_utf8_lossy(&printed[0]), "105 108 6 7\n", "{script}: GNU's program");
        assert_eq!(printed[0], printed[1], "{script}: the program from tl-ld -r prints what GNU's prints");
    }
}
