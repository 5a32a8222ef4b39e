//! Robustness of the tools on mutated inputs: a tool's error names the file, the exit status is
//! 1, and the output is left untouched.

mod harness;

use std::process::Command;

use harness::mutate::*;
use harness::*;

fn wrapped_seed(f: &str) -> Vec<u8> {
    libwrap::wrapped::wrap(&read_fixture(f)).unwrap()
}

#[test]
fn tool_errors_name_the_file_and_leave_outputs_alone() {
    let dir = tempdir();
    let d = dir.path();
    let mut rng = Rng(7);
    let seed = wrapped_seed("kinds.thin19.o");
    let out = d.join("out.bc");
    std::fs::write(&out, b"previous").unwrap();
    let mut failures = 0;
    for i in 0..200 {
        let bad = mutate(&seed, &mut rng);
        let input = d.join(format!("bad{i}.o"));
        std::fs::write(&input, &bad).unwrap();
        let r = run(tl_cmd("tl-objcopy").arg("--unwrap-bitcode").arg(&input).arg(&out));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("panicked"), "{err}");
        match r.status.code() {
            Some(0) => std::fs::write(&out, b"previous").unwrap(),
            Some(1) => {
                failures += 1;
                assert!(err.starts_with(&format!("tl-objcopy: {}", input.display())), "{err}");
                assert_eq!(std::fs::read(&out).unwrap(), b"previous", "output touched on error");
            }
            other => panic!("exit {other:?}: {err}"),
        }
    }
    assert!(failures > 20, "mutations should mostly fail ({failures})");
}

#[test]
fn tl_ld_errors_name_the_file_and_leave_the_output_alone() {
    let dir = tempdir();
    let d = dir.path();
    let mut rng = Rng(13);
    let out = d.join("out.o");
    let mut failures = 0;
    for (i, seed) in [read_fixture("kinds.gcc.o"), wrapped_seed("kinds.thin19.o")].iter().cycle().take(120).enumerate() {
        std::fs::write(&out, b"previous").unwrap();
        let bad = mutate(seed, &mut rng);
        let input = d.join(format!("bad{i}.o"));
        std::fs::write(&input, &bad).unwrap();
        let r = run(tl_cmd("tl-ld").arg("-r").arg(&input).arg("-o").arg(&out));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("panicked"), "{err}");
        match r.status.code() {
            Some(0) => {}
            Some(1) => {
                failures += 1;
                assert!(err.starts_with(&format!("tl-ld: {}", input.display())), "{err}");
                assert_eq!(std::fs::read(&out).unwrap(), b"previous", "output touched on error");
            }
            other => panic!("exit {other:?}: {err}"),
        }
    }
    assert!(failures > 20, "mutations should mostly fail ({failures})");
}

#[test]
fn tl_objcopy_and_tl_strip_survive_mutated_programs() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("p.c"), "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n").unwrap();
    run_ok(Command::new("gcc").args(["-O1", "-g", "p.c", "-o", "prog"]).current_dir(d));
    let seed = std::fs::read(d.join("prog")).unwrap();
    let mut rng = Rng(29);
    let out = d.join("out");
    // (The last three rewrite the program headers.)
    let ops: [&[&str]; 7] = [
        &["--strip-all"],
        &["--only-keep-debug"],
        &["-O", "binary"],
        &["-O", "ihex", "--gap-fill", "1"],
        &["-R", ".interp"],
        &["-j", ".text"],
        &["--change-section-lma", ".data+0x1000"],
    ];
    for i in 0..224 {
        let bad = mutate(&seed, &mut rng);
        let input = d.join(format!("bad{i}"));
        std::fs::write(&input, &bad).unwrap();
        std::fs::write(&out, b"previous").unwrap();
        let r = run(tl_cmd("tl-objcopy").args(ops[i % ops.len()]).arg(&input).arg(&out));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!err.contains("panicked"), "{err}");
        match r.status.code() {
            Some(0) => {}
            Some(1) => assert_eq!(std::fs::read(&out).unwrap(), b"previous", "output touched on error: {err}"),
            other => panic!("exit {other:?}: {err}"),
        }
    }
}
