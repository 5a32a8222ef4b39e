//! Every input kind libwrap reads, told apart by content: ELF kinds, archive flavours
//! (GNU, thin and nested thin, BSD, SYM64, duplicate names), raw bitcode layouts (trailing
//! padding, wrapper), pipes, and irsymtab version 4.

mod harness;

use std::process::{Command, Stdio};

use harness::*;
use libwrap::bitcode::{self, irsymtab};
use libwrap::file_kind::{self as sniff, ElfKind, FileKind};
use libwrap::{archive, elf, input::Input};

fn classify(data: &[u8]) -> ElfKind {
    sniff::classify(&elf::read(data).unwrap())
}

#[test]
fn elf_objects_are_reported_as_what_they_are() {
    assert_eq!(classify(&read_fixture("kinds.gcc.o")), ElfKind::Native);
    assert_eq!(classify(&read_fixture("kinds.emb19.o")), ElfKind::EmbeddedBitcode);
    assert_eq!(classify(&read_fixture("kinds.fat19.o")), ElfKind::FatLto);
    assert_eq!(classify(&read_fixture("rlib.rcgu22.o")), ElfKind::RustcBitcode);
    let w = libwrap::wrapped::wrap(&read_fixture("prog_lib.thin19.o")).unwrap();
    assert_eq!(classify(&w), ElfKind::Wrapped);
    // GCC slim LTO (GIMPLE only).
    let dir = tempdir();
    let (c, o) = (dir.path().join("g.c"), dir.path().join("g.o"));
    std::fs::write(&c, "int f(void) { return 1; }\n").unwrap();
    run_ok(Command::new("gcc").args(["-flto", "-c"]).arg(&c).arg("-o").arg(&o));
    assert_eq!(classify(&std::fs::read(&o).unwrap()), ElfKind::GccLtoSlim);
    for (f, k) in [
        ("kinds.gcc.o", FileKind::Elf),
        ("mixed.a", FileKind::Archive { thin: false }),
        ("cat19.bc", FileKind::Bitcode { wrapper: false }),
        ("prog_lib.darwin19.o", FileKind::Bitcode { wrapper: true }),
        ("README.md", FileKind::Unknown),
    ] {
        assert_eq!(sniff::sniff(&read_fixture(f)), k, "{f}");
    }
}

#[test]
fn executables_shared_objects_and_other_classes_are_read() {
    for p in ["/bin/true", "/lib/x86_64-linux-gnu/libc.so.6"] {
        let data = std::fs::read(p).unwrap();
        let obj = elf::read(&data).unwrap();
        assert!(obj.e_type == 2 || obj.e_type == 3, "{p}");
        assert!(obj.program_headers() > 0);
        assert!(!obj.sections.is_empty());
    }
    // 32-bit little-endian, 32/64-bit big-endian: wrapped objects of those targets read back.
    for f in ["prog_lib.i686-linux-gnu.o", "prog_lib.armv7-linux-gnueabihf.o", "prog_lib.s390x-linux-gnu.o"] {
        let w = libwrap::wrapped::wrap(&read_fixture(f)).unwrap();
        let obj = elf::read(&w).unwrap();
        let view = libwrap::view::nm::elf_view(&obj, false).unwrap();
        let names: Vec<_> = view.symbols.unwrap().into_iter().map(|s| (s.letter, String::from_utf8(s.name).unwrap())).collect();
        assert!(names.contains(&('T', "lib_add".to_string())), "{f}: {names:?}");
        assert!(names.contains(&('D', "lib_counter".to_string())), "{f}: {names:?}");
        assert_eq!(libwrap::elf::write(&obj).unwrap(), w, "{f}: model round trip is exact");
    }
}

fn member_names(a: &archive::Archive<'_>) -> Vec<String> {
    a.members.iter().map(|m| m.display_name()).collect()
}

#[test]
fn archive_flavours() {
    let dir = tempdir();
    let d = dir.path();
    for f in ["kinds.gcc.o", "prog_lib.thin19.o"] {
        std::fs::write(d.join(f), read_fixture(f)).unwrap();
    }
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/kinds.gcc.o"), read_fixture("kinds.gcc.o")).unwrap();
    // GNU with long names and duplicate names (identity = position).
    let long = "a_member_with_a_long_name.o";
    std::fs::write(d.join(long), read_fixture("kinds.gcc.o")).unwrap();
    run_ok(Command::new("ar").args(["qc", "gnu.a", "kinds.gcc.o", long, "sub/kinds.gcc.o"]).current_dir(d));
    let data = std::fs::read(d.join("gnu.a")).unwrap();
    let a = archive::read(&data, "gnu.a").unwrap();
    assert_eq!(member_names(&a), vec!["kinds.gcc.o", long, "kinds.gcc.o"]);
    assert_eq!(a.members.iter().map(|m| m.position).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(!a.thin);
    // BSD and SYM64 (llvm-ar-14 writes both on request).
    run_ok(Command::new("llvm-ar-14").args(["--format=bsd", "rcs", "bsd.a", "kinds.gcc.o", long]).current_dir(d));
    run_ok(Command::new("llvm-ar-14").args(["rcs", "sym64.a", "kinds.gcc.o", long]).env("SYM64_THRESHOLD", "0").current_dir(d));
    for (f, format) in [("bsd.a", archive::Format::Bsd), ("sym64.a", archive::Format::Gnu64)] {
        let data = std::fs::read(d.join(f)).unwrap();
        let a = archive::read(&data, f).unwrap();
        assert_eq!(a.format, format, "{f}");
        assert_eq!(member_names(&a), vec!["kinds.gcc.o", long], "{f}");
        let index = a.index.unwrap();
        assert!(index.iter().any(|e| e.name == b"global_fn" && e.member == Some(0)), "{f}");
        assert!(index.iter().any(|e| e.name == b"global_fn" && e.member == Some(1)), "{f}");
    }
    // Thin, and a thin archive listing another thin archive: flattened.
    run_ok(Command::new("ar").args(["rcsT", "sub/inner.a", "sub/kinds.gcc.o"]).current_dir(d));
    run_ok(Command::new("ar").args(["rcT", "thin.a", "prog_lib.thin19.o", "sub/inner.a"]).current_dir(d));
    let data = std::fs::read(d.join("thin.a")).unwrap();
    let path = d.join("thin.a").display().to_string();
    let a = archive::read(&data, &path).unwrap();
    assert!(a.thin);
    assert_eq!(member_names(&a), vec!["prog_lib.thin19.o", "sub/kinds.gcc.o"]);
    assert_eq!(a.members[0].bytes().unwrap(), read_fixture("prog_lib.thin19.o").as_slice());
    assert_eq!(a.members[1].bytes().unwrap(), read_fixture("kinds.gcc.o").as_slice());
    // A thin archive whose member is a thin archive (as other writers leave them): the reader
    // flattens it, names relative to the outer archive.
    let nested = libwrap::archive::write::write_archive(
        &[libwrap::archive::write::NewMember {
            name: "sub/inner.a".into(),
            data: std::fs::read(d.join("sub/inner.a")).unwrap().into(),
            mtime: 0,
            uid: 0,
            gid: 0,
            perms: 0o644,
            origin: None,
            slash_in_name_field: false,
        }],
        libwrap::archive::write::WriteOptions { thin: true, symbol_index: false, ..Default::default() },
    )
    .unwrap()
    .bytes;
    std::fs::write(d.join("nested.a"), &nested).unwrap();
    let npath = d.join("nested.a").display().to_string();
    let na = archive::read(&nested, &npath).unwrap();
    assert_eq!(member_names(&na), vec!["sub/kinds.gcc.o"]);
    assert_eq!(na.members[0].bytes().unwrap(), read_fixture("kinds.gcc.o").as_slice());
    // A thin member that is missing is an error for that member only.
    std::fs::remove_file(d.join("prog_lib.thin19.o")).unwrap();
    let a = archive::read(&data, &path).unwrap();
    assert!(a.members[0].bytes().is_err());
    assert!(a.members[1].bytes().is_ok());
}

#[test]
fn raw_bitcode_tolerates_up_to_eight_trailing_bytes_as_llvm_does() {
    let base = read_fixture("prog_lib.thin19.o");
    for n in [4usize, 8] {
        let mut d = base.clone();
        d.extend(std::iter::repeat_n(0xAB, n));
        assert_eq!(bitcode::parse(&d).unwrap().modules.len(), 1, "{n} trailing bytes");
    }
    let mut d = base.clone();
    d.extend(std::iter::repeat_n(0xAB, 12));
    assert!(bitcode::parse(&d).is_err(), "12 trailing bytes of garbage");
    // A wrapper header (Darwin) around the stream.
    let darwin = read_fixture("prog_lib.darwin19.o");
    let c = bitcode::parse(&darwin).unwrap();
    assert_eq!(c.modules.len(), 1);
}

#[test]
fn concatenated_streams_recover_every_module() {
    // What a foreign ld -r makes of .llvmbc: whole files back to back (magic each time).
    let parts = ["prog_main.thin19.o", "prog_lib.darwin19.o", "cxx.split19.o", "cat14.bc"];
    let mut cat = Vec::new();
    for p in parts {
        cat.extend(read_fixture(p));
    }
    let c = bitcode::parse(&cat).unwrap();
    assert_eq!(c.streams, 4);
    assert_eq!(c.modules.len(), 1 + 1 + 2 + 2);
    let joined = c.joined();
    let again = bitcode::parse(&joined).unwrap();
    assert_eq!(again.streams, 1);
    assert_eq!(again.modules.len(), 6);
    for (a, b) in c.modules.iter().zip(&again.modules) {
        assert_eq!(a.bytes(), b.bytes());
    }
}

#[test]
fn pipes_are_read_into_memory() {
    let dir = tempdir();
    let out = dir.path().join("o.bc");
    let w = libwrap::wrapped::wrap(&read_fixture("prog_lib.thin19.o")).unwrap();
    let mut child = tl_cmd("tl-objcopy").args(["--unwrap-bitcode", "/dev/stdin"]).arg(&out).stdin(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&w).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(std::fs::read(&out).unwrap(), read_fixture("prog_lib.thin19.o"));
    let i = Input::open("/dev/null").unwrap();
    assert!(i.data().is_empty());
}

/// Rewrites a v3 irsymtab blob as v4 (Uncommon grows from 24 to 28 bytes: CommonSize u64).
fn to_v4(blob: &[u8]) -> Vec<u8> {
    let w = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let (unc_off, unc_n) = (w(blob, 36) as usize, w(blob, 40) as usize);
    let mut out = blob[..unc_off].to_vec();
    for k in 0..unc_n {
        let u = &blob[unc_off + 24 * k..unc_off + 24 * (k + 1)];
        out.extend_from_slice(&u[0..4]);
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&u[4..24]);
    }
    let tail_start = unc_off + 24 * unc_n;
    let shift = 4 * unc_n as u32;
    // DependentLibraries come after the Uncommons: move their range.
    let lib_off = w(blob, 68);
    if lib_off as usize >= tail_start {
        out[68..72].copy_from_slice(&(lib_off + shift).to_le_bytes());
    }
    out.extend_from_slice(&blob[tail_start..]);
    out[0..4].copy_from_slice(&4u32.to_le_bytes());
    out
}

#[test]
fn irsymtab_version_4_is_decoded_like_version_3() {
    let data = read_fixture("kinds.thin19.o");
    let c = bitcode::parse(&data).unwrap();
    let st = c.modules[0].symtab.as_ref().unwrap();
    let v3 = match irsymtab::decode(st.blob, st.strtab.unwrap()).unwrap() {
        irsymtab::Decoded::Table(t) => t,
        other => panic!("{other:?}"),
    };
    assert!(v3.symbols.iter().any(|s| s.uncommon.as_ref().is_some_and(|u| u.common_size == 4)));
    let v4 = match irsymtab::decode(&to_v4(st.blob), st.strtab.unwrap()).unwrap() {
        irsymtab::Decoded::Table(t) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(v4.version, 4);
    assert_eq!(v4.symbols, v3.symbols);
    assert_eq!(v4.dependent_libraries, v3.dependent_libraries);
    // An unknown version is reported as such, so callers fall back to the module records.
    let mut v9 = st.blob.to_vec();
    v9[0] = 9;
    assert_eq!(irsymtab::decode(&v9, st.strtab.unwrap()).unwrap(), irsymtab::Decoded::UnknownVersion(9));
}
