//! `-M`/`--merge-notes` (GNU strip's default) on annobin-style `.gnu.build.attributes` notes
//! against GNU objcopy and strip 2.40: three objects with version-3 notes (open notes
//! duplicated between them, a differing boolean, function notes inside and beside the open
//! ranges), linked into a program and a relocatable object, a program merged once already,
//! one without a version note, one with a note of the wrong type, one whose function note has
//! the open note's range. `readelf -nW` and the normalised headers equal, stderr (GNU's
//! temporary file read as the file) and exit status equal.

mod harness;

use std::path::Path;
use std::process::Command;

use harness::*;

/// One note in GNU as's syntax: `kind` 0x100 (open) or 0x101 (function), the name's bytes
/// (the NUL included) and the description's two addresses, if any.
fn note(kind: u32, name: &str, desc: Option<(&str, &str)>) -> String {
    let descsz = if desc.is_some() { 16 } else { 0 };
    let mut s = format!("  .balign 4\n  .long 8f - 7f, {descsz}, {kind:#x}\n7:\n{name}\n8: .balign 4\n");
    if let Some((a, b)) = desc {
        s += &format!("  .quad {a}, {b}\n");
    }
    s
}

const VERSION: &str = "  .ascii \"GA$\"\n  .byte 1\n  .asciz \"3p12\"";
const TOOL: &str = "  .ascii \"GA$\"\n  .byte 5\n  .asciz \"gcc 12.2.1\"";
const STACK_PROT: &str = "  .ascii \"GA*\"\n  .byte 2, 2, 0";
const PIC: &str = "  .ascii \"GA*\"\n  .byte 7, 2, 0";
const FORTIFY_2: &str = "  .asciz \"GA*FORTIFY\"\n  .byte 2, 0";
const FORTIFY_0: &str = "  .asciz \"GA*FORTIFY\"\n  .byte 0, 0";

/// A file's code (`labels`: name and bytes after it) and its notes.
fn source(globl: bool, labels: &[(&str, usize)], notes: &[String]) -> String {
    let mut s = String::from("  .text\n  .p2align 4\n");
    if globl {
        s += "  .globl _start\n_start:\n";
    }
    for (label, bytes) in labels {
        s += &format!("{label}:\n");
        if *bytes > 0 {
            s += &format!("  .skip {bytes:#x}, 0x90\n");
        }
    }
    s + "  .section .gnu.build.attributes, \"\", %note\n" + &notes.concat()
}

fn open_set(range: (&str, &str), stack_clash: &str) -> Vec<String> {
    vec![
        note(0x100, VERSION, Some(range)),
        note(0x100, TOOL, None),
        note(0x100, STACK_PROT, None),
        note(0x100, &format!("  .asciz \"GA{stack_clash}stack_clash\""), None),
        note(0x100, FORTIFY_2, None),
        note(0x100, PIC, None),
    ]
}

fn build(d: &Path) {
    let a = source(true, &[("a_start", 0x20), ("a_end", 0)], &open_set(("a_start", "a_end"), "!"));
    let mut b_notes = open_set(("b_start", "b_end"), "+");
    b_notes.push(note(0x101, FORTIFY_0, Some(("bar", "bar_end"))));
    b_notes.push(note(0x101, STACK_PROT, None));
    let b = source(false, &[("b_start", 0x10), ("bar", 3), ("bar_end", 0), ("b_end", 0)], &b_notes);
    let mut c_notes = open_set(("c_start", "c_end"), "!");
    c_notes.push(note(0x101, FORTIFY_0, Some(("baz", "baz_end"))));
    let c = source(false, &[("c_start", 8), ("baz", 8), ("baz_end", 0), ("c_end", 0)], &c_notes);
    let nov = source(true, &[("n_end", 0)], &[note(0x100, FORTIFY_2, Some(("_start", "n_end"))), note(0x100, FORTIFY_2, None)]);
    let bad = source(true, &[], &[note(1, FORTIFY_2, None)]);
    let same = source(
        true,
        &[("s_body", 0x10), ("s_end", 0)],
        &[note(0x100, VERSION, Some(("_start", "s_end"))), note(0x100, FORTIFY_2, None), note(0x101, PIC, Some(("_start", "s_end")))],
    );
    // (The programs' code: `_start` needs bytes of its own in nov and bad.)
    let nov = nov.replace("n_end:\n", "  .skip 0x10, 0x90\nn_end:\n");
    let bad = bad.replace("_start:\n", "_start:\n  .skip 0x10, 0x90\n");
    for (name, text) in [("a", a), ("b", b), ("c", c), ("nov", nov), ("bad", bad), ("same", same)] {
        std::fs::write(d.join(format!("{name}.s")), text).unwrap();
        run_ok(Command::new("as").args(["--64", "-o", &format!("{name}.o"), &format!("{name}.s")]).current_dir(d));
    }
    let sh = |cmd: &str| run_ok(Command::new("sh").arg("-c").arg(cmd).current_dir(d));
    sh("ld -r -o r.o a.o b.o c.o && ld -e _start -o exe a.o b.o c.o && objcopy --merge-notes exe exe.merged");
    sh("ld -e _start -o nov nov.o && ld -e _start -o bad bad.o && ld -e _start -o same same.o");
}

/// What must agree: the notes, and the headers (normalised for relocatable objects).
fn view(f: &Path, image: bool) -> String {
    let notes = run(Command::new("readelf").arg("-nW").arg(f));
    let headers = if image { image_readelf(f) } else { readelf_normalised(f) };
    String::from_utf8_lossy(&notes.stdout).into_owned() + &headers
}

#[test]
fn build_attribute_notes_merge_as_gnu_merges_them() {
    let dir = tempdir();
    let d = dir.path();
    build(d);
    let inputs = [("a.o", false), ("r.o", false), ("exe", true), ("exe.merged", true), ("nov", true), ("bad", true), ("same", true)];
    let sets: &[(&str, &str, &[&str])] = &[
        (
            "objcopy",
            "tl-objcopy",
            &["--merge-notes", "-M --strip-all", "-M -R .gnu.build.attributes", "-M -j .text", "--no-merge-notes", ""],
        ),
        ("strip", "tl-strip", &["", "-g", "--strip-unneeded", "-g -M", "--no-merge-notes", "-M --no-merge-notes"]),
    ];
    let mut failures = Vec::new();
    let mut runs = 0;
    for &(gnu, tl_tool, options) in sets {
        for opts in options {
            for &(input, image) in &inputs {
                runs += 1;
                let InPlace { g, t, gnu_status, tl_status, gnu_stderr: ge, tl_stderr: te } = in_place_both(d, gnu, tl_tool, opts, input);
                let what = format!("{gnu} {opts} {input}");
                if gnu_status != tl_status || ge != te {
                    failures.push(format!("{what}: status {:?}/{:?}, stderr GNU {ge:?} tl {te:?}", gnu_status, tl_status));
                } else if view(&d.join(&g), image) != view(&d.join(&t), image) {
                    failures.push(format!("{what}: differs\nGNU:\n{}\ntl:\n{}", view(&d.join(&g), image), view(&d.join(&t), image)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {runs} differ:\n{}", failures.len(), failures.join("\n"));
}
