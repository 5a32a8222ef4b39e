//! GCC `-flto` objects (slim and `-ffat-lto-objects`, C and C++): tl-nm and tl-ar against GNU nm
//! and ar 2.40, which read them through GCC's liblto_plugin (auto-loaded from
//! /usr/lib/bfd-plugins). tl reads GCC's LTO symbol table itself: the tl side runs with
//! /usr/lib/bfd-plugins hidden (a private mount namespace), so it cannot use the plugin. Also:
//! builds with `CC=gcc CFLAGS=-flto AR=tl-ar NM=tl-nm RANLIB=tl-ranlib`, with and without a
//! `tl-ld -r` of GCC LTO objects in the middle.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

const A_C: &str = r#"
int gdata = 42; int gbss; int gbss0 = 0; const int gconst = 7; const char *gstr = "hello";
static int sdata = 3; static int sbss; __thread int tlsv = 1; __thread int tlsb;
int gcommon_tent;
__attribute__((weak)) int wdata = 5;
__attribute__((weak)) int wfunc(void) { return 1; }
__attribute__((visibility("hidden"))) int hfunc(void) { return 2; }
__attribute__((visibility("hidden"))) int hdata = 9;
__attribute__((visibility("protected"))) int pfunc(void) { return 3; }
__attribute__((visibility("internal"))) int ifunc(void) { return 4; }
extern int ext_undef; extern int ext_func(int);
extern int weak_undef_func(void) __attribute__((weak));
extern int weak_undef_var __attribute__((weak));
static int sfunc(int x) { return x * sdata + sbss; }
int bigarr[1000]; char initarr[100] = {1};
int func(int x) {
  if (weak_undef_func) x += weak_undef_func();
  return sfunc(x) + ext_func(ext_undef) + gdata + gbss + tlsv + tlsb + (&weak_undef_var != 0);
}
"#;

const B_CC: &str = r#"
template<typename T> T tmax(T a, T b) { return a > b ? a : b; }
inline int inl(int x) { return x + 1; }
struct Base { virtual ~Base(); virtual int f(); int g(); static int sm; };
Base::~Base() {}
int Base::f() { return 1; }
int Base::g() { return inl(2); }
int Base::sm = 4;
struct D : Base { int f() override { return 2; } };
namespace ns { int nsvar; int nsfunc(double) { return 0; } }
int usetemp(int a, int b) { D d; return tmax(a, b) + tmax<long>(a,b) + d.f() + inl(a); }
extern "C" int cfunc() { static int local_static = 5; return local_static++; }
"#;

const C_C: &str = "static int onlystatic;\nstatic int f(void){return onlystatic;}\nint (*keep)(void);\n";

const D_C: &str = r#"
int nocommon;
int target_fn(void) { return 1; }
int alias_fn(void) __attribute__((alias("target_fn")));
int weak_alias(void) __attribute__((weak, alias("target_fn")));
int asmname(void) __asm__("renamed_sym");
int asmname(void) { return 2; }
__attribute__((used)) static int used_static(void) { return 3; }
__attribute__((symver("versioned@VERS_1"))) int versioned(void) { return 5; }
extern int hidden_undef __attribute__((visibility("hidden")));
int use(void) { return hidden_undef; }
__thread int tls_zero;
static int impl(void) { return 0; }
static void *resolver(void) { return (void*)impl; }
int ifn(void) __attribute__((ifunc("resolver")));
asm(".globl toplevel_asm_sym\n toplevel_asm_sym: .long 0");
"#;

const MAIN_C: &str = "extern int func(int);\nint ext_undef = 1; int ext_func(int x){return x;}\nint main(void){ return func(1) ; }\n";

/// Compiles the sources into GCC LTO objects (and plain ones), plus a GNU `ld -r` of two LTO
/// objects (several symbol tables: the plugin's merging of names); returns the object names.
fn build(d: &Path) -> Vec<&'static str> {
    for (name, text) in [("a.c", A_C), ("b.cc", B_CC), ("c.c", C_C), ("d.c", D_C), ("main.c", MAIN_C)] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("gcc -O2 -flto -fcommon -c a.c -o a_slim.o && gcc -O2 -flto -ffat-lto-objects -fcommon -c a.c -o a_fat.o");
    sh("g++ -O0 -flto -c b.cc -o b_slim.o && g++ -O2 -flto -ffat-lto-objects -c b.cc -o b_fat.o");
    sh("gcc -O2 -flto -c c.c -o c_slim.o && gcc -O2 -flto -c d.c -o d_slim.o && gcc -O2 -flto -ffat-lto-objects -c d.c -o d_fat.o");
    sh("gcc -O2 -flto -c main.c -o main_slim.o && gcc -O2 -c main.c -o plain.o");
    sh("ld -r a_slim.o main_slim.o -o r.o");
    vec!["a_slim.o", "a_fat.o", "b_slim.o", "b_fat.o", "c_slim.o", "d_slim.o", "d_fat.o", "main_slim.o", "plain.o", "r.o"]
}

/// Runs `sh -c cmd` in `d` with /usr/lib/bfd-plugins hidden (no plugin can be loaded).
fn without_plugins(d: &Path, cmd: &str) -> std::process::Output {
    let hidden = format!("mount -t tmpfs none /usr/lib/bfd-plugins && {cmd}");
    run(Command::new("unshare").args(["-m", "sh", "-c", &hidden]).current_dir(d))
}

/// (stdout, stderr with the program name normalised, status).
fn normalised(out: &std::process::Output, prog: &str) -> (String, String, Option<i32>) {
    let err = String::from_utf8_lossy(&out.stderr).replace(&format!("{prog}: "), "NM: ");
    (String::from_utf8_lossy(&out.stdout).into_owned(), err, out.status.code())
}

const NM_OPTIONS: &[&str] = &[
    "",
    "-S",
    "-g",
    "-u",
    "-D",
    "-p",
    "-P",
    "--format=sysv",
    "-n",
    "-r",
    "-A",
    "-W",
    "--defined-only",
    "-C",
    "--size-sort",
    "-j",
    "-a",
    "-t d",
    "-S -P",
    "--target=elf64-x86-64",
    "--target=elf64-x86-64 -S",
];

#[test]
fn tl_nm_lists_gcc_lto_objects_as_gnu_nm_with_the_plugin() {
    assert!(Path::new("/usr/lib/bfd-plugins/liblto_plugin.so").exists(), "GNU nm needs GCC's plugin for the reference");
    let dir = tempdir();
    let d = dir.path();
    let objects = build(d);
    let nm = tl("tl-nm");
    let mut failures = Vec::new();
    let mut runs = 0;
    let mut inputs: Vec<String> = objects.iter().map(|s| s.to_string()).collect();
    inputs.push("a_slim.o main_slim.o plain.o".into());
    run_ok(Command::new("ar").args(["rcs", "lib.a", "a_slim.o", "b_slim.o", "c_slim.o", "d_fat.o", "plain.o"]).current_dir(d));
    inputs.push("lib.a".into());
    inputs.push("-s lib.a".into());
    for opts in NM_OPTIONS {
        for input in &inputs {
            let args = format!("{opts} {input}");
            let gnu = normalised(&run(Command::new("sh").arg("-c").arg(format!("nm {args}")).current_dir(d)), "nm");
            let tl = normalised(&without_plugins(d, &format!("{} {args}", nm.display())), "tl-nm");
            runs += 1;
            if gnu != tl {
                failures.push(format!("nm {args}:\n--- GNU\n{}{}\n--- tl\n{}{}", gnu.0, gnu.1, tl.0, tl.1));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn tl_nm_json_names_the_gcc_lto_source() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let out = String::from_utf8(run_ok(tl_cmd("tl-nm").args(["--format=json", "a_slim.o"]).current_dir(d))).unwrap();
    assert!(out.lines().count() > 10, "{out}");
    for line in out.lines() {
        assert!(line.contains("\"source\":\"gcc-lto\""), "{line}");
    }
    assert!(out.contains("\"name\":\"gbss0\"") && out.contains("\"kind\":\"data\""), "{out}");
}

#[test]
fn tl_ar_indexes_gcc_lto_objects_as_gnu_ar_with_the_plugin() {
    let dir = tempdir();
    let d = dir.path();
    let objects = build(d);
    let ar = tl("tl-ar");
    let ranlib = tl("tl-ranlib");
    let sets: Vec<Vec<&str>> = vec![
        objects.clone(),
        vec!["a_slim.o", "b_slim.o", "c_slim.o", "d_fat.o", "plain.o"],
        vec!["c_slim.o"],
        vec!["r.o", "main_slim.o"],
        vec!["b_fat.o", "a_fat.o"],
    ];
    for (k, set) in sets.iter().enumerate() {
        let list = set.join(" ");
        for key in ["rcs", "rcsD", "qcs", "rcsT"] {
            let (g, t) = (format!("g{k}{key}.a"), format!("t{k}{key}.a"));
            let gnu = run(Command::new("sh").arg("-c").arg(format!("ar {key} {g} {list}")).current_dir(d));
            let ours = without_plugins(d, &format!("{} {key} {t} {list}", ar.display()));
            assert_eq!(gnu.status.code(), ours.status.code(), "{key} {list}");
            assert_eq!(String::from_utf8_lossy(&ours.stderr), "", "{key} {list}: no warning");
            assert!(std::fs::read(d.join(&g)).unwrap() == std::fs::read(d.join(&t)).unwrap(), "{key} {list}: tl-ar differs from GNU ar");
        }
        // ranlib of an archive written without an index.
        let (g, t) = (format!("rg{k}.a"), format!("rt{k}.a"));
        run_ok(Command::new("sh").arg("-c").arg(format!("ar qcS {g} {list} && cp {g} {t} && ranlib {g}")).current_dir(d));
        let ours = without_plugins(d, &format!("{} {t}", ranlib.display()));
        assert!(ours.status.success());
        assert!(
            std::fs::read(d.join(&g)).unwrap() == std::fs::read(d.join(&t)).unwrap(),
            "ranlib {list}: tl-ranlib differs from GNU ranlib"
        );
    }
}

/// A small make project: a library of three GCC LTO objects archived and indexed by tl, a
/// program linked against it by `gcc -flto`, and its test.
const MAKEFILE: &str = r#"
CC = gcc
CFLAGS = -O2 -flto
OBJS = add.o mul.o table.o
all: check
libcalc.a: $(OBJS)
	$(AR) rc $@ $(OBJS)
	$(RANLIB) $@
	$(NM) $@ > libcalc.nm
prog: main.o libcalc.a
	$(CC) $(CFLAGS) -o $@ main.o -L. -lcalc
libpart.a: $(OBJS)
	$(LD) -r -o part.o $(OBJS)
	$(AR) rcs $@ part.o
prog2: main.o libpart.a
	$(CC) $(CFLAGS) -o $@ main.o -L. -lpart
check: prog prog2
	./prog > out.txt && grep -qx 'calc=126 table=3' out.txt
	./prog2 > out2.txt && cmp out.txt out2.txt
"#;

#[test]
fn a_gcc_lto_make_build_works_with_tl_as_ar_nm_ranlib_and_ld() {
    let dir = tempdir();
    let d = dir.path();
    let w = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    w("Makefile", MAKEFILE);
    w("add.c", "int calc_add(int a, int b) { return a + b; }\n");
    w("mul.c", "extern int calc_add(int, int);\nint calc_mul(int a, int b) { return calc_add(a, 0) * b; }\n");
    w("table.c", "int calc_table[3] = {1, 2, 3};\nint calc_table_len(void) { return 3; }\n");
    w(
        "main.c",
        "#include <stdio.h>\nextern int calc_mul(int, int); extern int calc_add(int, int); extern int calc_table_len(void);\nint main(void) { printf(\"calc=%d table=%d\\n\", calc_add(calc_mul(6, 20), 6), calc_table_len()); return 0; }\n",
    );
    let vars = format!(
        "AR={} NM={} RANLIB={} LD={}",
        tl("tl-ar").display(),
        tl("tl-nm").display(),
        tl("tl-ranlib").display(),
        tl("tl-ld").display()
    );
    let out = without_plugins(d, &format!("make {vars}"));
    assert!(out.status.success(), "make failed:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let listing = std::fs::read_to_string(d.join("libcalc.nm")).unwrap();
    assert!(listing.contains("T calc_add") && listing.contains("D calc_table"), "{listing}");
    // The partial link kept GCC's sections: the archive index names the LTO symbols.
    let index = String::from_utf8(run_ok(Command::new("nm").args(["-s", "libpart.a"]).current_dir(d))).unwrap();
    assert!(index.contains("calc_mul in part.o"), "{index}");
}

#[test]
fn a_final_tl_ld_link_of_gcc_lto_objects_uses_gccs_plugin() {
    // What a makefile's `$(LD) -o prog crt*.o main.o lib.o -lc` does: no plugin on the command
    // line; tl-ld adds GCC's, as the gcc driver would, and the program runs.
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("lib.c"), "int lib_value(int x) { return 6 * x; }\n").unwrap();
    std::fs::write(
        d.join("main.c"),
        "#include <stdio.h>\nint lib_value(int);\nint main(void) { printf(\"v=%d\\n\", lib_value(7)); return 0; }\n",
    )
    .unwrap();
    run_ok(Command::new("sh").arg("-c").arg("gcc -O2 -flto -c lib.c main.c").current_dir(d));
    let file =
        |name: &str| String::from_utf8(run_ok(Command::new("gcc").arg(format!("-print-file-name={name}")))).unwrap().trim().to_string();
    let gcc_dir = Path::new(&file("crtbegin.o")).parent().unwrap().to_path_buf();
    let args = [
        "-m".to_string(),
        "elf_x86_64".into(),
        "-dynamic-linker".into(),
        "/lib64/ld-linux-x86-64.so.2".into(),
        "-o".into(),
        "prog".into(),
        file("crt1.o"),
        file("crti.o"),
        file("crtbegin.o"),
        "main.o".into(),
        "lib.o".into(),
        format!("-L{}", gcc_dir.display()),
        "-L/usr/lib/x86_64-linux-gnu".into(),
        "-lc".into(),
        file("crtend.o"),
        file("crtn.o"),
    ];
    let out = run(tl_cmd("tl-ld").args(&args).current_dir(d).env_remove("COLLECT_GCC").env_remove("COLLECT_GCC_OPTIONS"));
    assert!(out.status.success(), "tl-ld failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(run_ok(&mut Command::new(d.join("prog")))).unwrap(), "v=42\n");
}
