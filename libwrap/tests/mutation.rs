//! Robustness: thousands of truncated and bit-flipped inputs through every parser (ELF, archive,
//! bitstream, irsymtab, summary). Each must return a result or an error: no panic, no hang.

#[path = "../../tests/harness/mod.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use harness::mutate::*;
use harness::*;
use libwrap::{archive, bitcode, elf, embedded, file_kind as sniff, view, wrapped, wrapped::summary_section as tlsummary};

fn bitcode_seeds() -> Vec<Vec<u8>> {
    ["kinds.thin19.o", "kinds.full14.o", "cxx.split19.o", "t14-nodl.bc", "cat19.bc", "rlib.22.bc", "prog_lib.darwin19.o", "asm.as14.bc"]
        .iter()
        .map(|f| read_fixture(f))
        .collect()
}

fn wrapped_seed(f: &str) -> Vec<u8> {
    wrapped::wrap(&read_fixture(f)).unwrap()
}

#[test]
fn elf_reader_writer_and_symbols_survive_mutations() {
    let seeds =
        vec![read_fixture("kinds.gcc.o"), read_fixture("kinds.emb19.o"), read_fixture("rlib.rcgu22.o"), wrapped_seed("prog_lib.thin19.o")];
    hammer("elf", &seeds, &|d| {
        if let Ok(obj) = elf::read(d) {
            let _ = view::nm::elf_view(&obj, false);
            let _ = sniff::classify(&obj);
            let _ = embedded::bitcode_section(&obj);
            let _ = wrapped::read_records(&obj);
            let _ = elf::write(&obj);
        }
    });
}

#[test]
fn archive_reader_survives_mutations() {
    hammer("archive", &[read_fixture("mixed.a")], &|d| {
        if let Ok(a) = archive::read(d, "/nonexistent/mixed.a") {
            for m in &a.members {
                let _ = m.bytes();
            }
        }
    });
}

#[test]
fn bitstream_and_module_reader_survive_mutations() {
    hammer("bitstream", &bitcode_seeds(), &|d| {
        if let Ok(c) = bitcode::parse(d) {
            for m in &c.modules {
                let _ = bitcode::symtab::read(m);
                let opts = bitcode::module::ReadOptions { summary: true, function_blocks: true, instruction_counts: true, constants: true };
                let _ = bitcode::module::read_module(m, opts);
            }
            let _ = bitcode::container::split(d);
            let _ = bitcode::container::normalize(d);
        }
    });
}

#[test]
fn irsymtab_decoder_survives_mutations() {
    // Seeds: (SYMTAB blob, STRTAB) pairs; mutations hit the blob, the strtab stays valid, and
    // every 4th input mutates the strtab instead.
    let mut pairs = Vec::new();
    for f in bitcode_seeds() {
        let c = bitcode::parse(&f).unwrap();
        for m in &c.modules {
            if let Some(st) = &m.symtab {
                pairs.push((st.blob.to_vec(), st.strtab.unwrap().to_vec()));
            }
        }
    }
    let joined: Vec<Vec<u8>> = pairs
        .iter()
        .map(|(b, s)| {
            let mut v = (b.len() as u32).to_le_bytes().to_vec();
            v.extend_from_slice(b);
            v.extend_from_slice(s);
            v
        })
        .collect();
    hammer("irsymtab", &joined, &|d| {
        if d.len() < 4 {
            return;
        }
        let n = (u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize).min(d.len() - 4);
        let (blob, strtab) = d[4..].split_at(n);
        let _ = bitcode::irsymtab::decode(blob, strtab);
    });
}

#[test]
fn summary_decoder_survives_mutations() {
    // Mutations are checked twice: as they are (the CRC rejects them) and with every record's
    // CRC recomputed so the body decoder itself sees the damage.
    let mut seeds = Vec::new();
    for f in ["kinds.thin19.o", "cxx.split19.o", "rlib.22.bc"] {
        let w = wrapped_seed(f);
        let obj = elf::read(&w).unwrap();
        seeds.push(embedded::sections_named(&obj, wrapped::SUMMARY_SECTION)[0].to_vec());
    }
    hammer("summary", &seeds, &|d| {
        let _ = tlsummary::decode_all(d);
        let mut fixed = d.to_vec();
        let mut pos = 0;
        while pos + 16 <= fixed.len() && &fixed[pos..pos + 4] == tlsummary::MAGIC {
            let len = u32::from_le_bytes([fixed[pos + 8], fixed[pos + 9], fixed[pos + 10], fixed[pos + 11]]) as usize;
            let end = pos + 12 + len;
            if end + 4 > fixed.len() {
                break;
            }
            let crc = crc32fast::hash(&fixed[pos..end]);
            fixed[end..end + 4].copy_from_slice(&crc.to_le_bytes());
            pos = end + 4;
        }
        let _ = tlsummary::decode_all(&fixed);
    });
}

#[test]
fn partial_link_survives_mutations() {
    // The whole `ld -r` pipeline (load, resolve, merge, .eh_frame, carry, write) on mutated
    // native, wrapped and raw bitcode objects.
    let dir = tempdir();
    let input = dir.path().join("input.o");
    let seeds = [
        read_fixture("kinds.gcc.o"),
        read_fixture("rlib.rcgu22.o"),
        read_fixture("kinds.emb19.o"),
        wrapped_seed("kinds.thin19.o"),
        read_fixture("kinds.thin14.o"),
        read_fixture("cat19.bc"),
    ];
    let opts = libwrap::link::Options { inputs: vec![libwrap::link::InputSpec::File(input.clone())], ..Default::default() };
    let mut rng = Rng(11);
    for i in 0..PER_PARSER / 5 {
        let bad = mutate(&seeds[i % seeds.len()], &mut rng);
        std::fs::write(&input, &bad).unwrap();
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(Ok(bytes)) = libwrap::link::relocatable(&opts, |linked| linked.to_bytes()) {
                // What a partial link writes must read back.
                elf::read(&bytes).expect("the output of a partial link is valid ELF");
            }
        }));
        let saved = dir.path().join(format!("tl-mutation-ld-{i}.o"));
        if r.is_err() {
            std::fs::copy(&input, std::env::temp_dir().join(saved.file_name().unwrap())).unwrap();
            panic!("ld -r: input {i} panicked; saved in {}", std::env::temp_dir().display());
        }
        assert!(start.elapsed() < Duration::from_secs(2), "ld -r: input {i} is slow");
    }
}

/// The edits the rewriter is hammered with: every symbol renamed, weakened where it can be,
/// one localized.
fn rewriting_edits() -> libwrap::objcopy::Edits {
    libwrap::objcopy::Edits {
        prefix_symbols: Some(b"p_".to_vec()),
        weaken: true,
        localize_symbols: libwrap::objcopy::glob::NameList { entries: vec!["p_lib*".into(), "p_k*".into()], wildcard: true },
        ..Default::default()
    }
}

#[test]
fn bitcode_rewriter_survives_mutations_and_writes_only_what_it_reads() {
    let mut edits = rewriting_edits();
    edits.strip = libwrap::objcopy::Strip::Debug; // debug.thin19.o has debug info to remove
    let rewritten = std::cell::Cell::new(0usize);
    let mut seeds = bitcode_seeds();
    seeds.push(read_fixture("debug.thin19.o"));
    seeds.push(read_fixture("debug14.bc"));
    hammer("rewrite", &seeds, &|d| {
        if let Ok((out, _)) = libwrap::objcopy::copy_raw_bitcode(d, "m.bc", None, &edits) {
            let c = bitcode::parse(&out).expect("the rewriter wrote bitcode its reader rejects");
            for m in &c.modules {
                bitcode::symtab::read(m).expect("rewritten symbols unreadable");
                let opts = bitcode::module::ReadOptions { summary: true, function_blocks: true, ..Default::default() };
                bitcode::module::read_module(m, opts).expect("rewritten module unreadable");
            }
            rewritten.set(rewritten.get() + 1);
        }
    });
    // Most single mutations leave a module the rewriter can still handle; the check above must
    // have run on many of them.
    assert!(rewritten.get() > PER_PARSER / 20, "only {} of {PER_PARSER} inputs were rewritten", rewritten.get());
}
