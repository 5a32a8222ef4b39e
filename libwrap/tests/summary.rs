//! The ThinLTO summary reader and GUIDs against `llvm-dis` of the producing LLVM (stored as
//! `X.summary` beside each fixture): module hash, and per function its GUID, instruction count,
//! callees and references.

#[path = "../../tests/harness/mod.rs"]
mod harness;

use std::collections::HashMap;

use harness::*;
use libwrap::bitcode;
use libwrap::wrapped;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Func {
    guid: u64,
    insts: u32,
    calls: Vec<u64>,
    refs: Vec<u64>,
}

/// Extracts `key: (…)` with balanced parentheses after `key`.
fn group<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let bytes = text.as_bytes();
    let mut depth = 0;
    for (i, &b) in bytes[start..].iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[start..start + i + 1]);
                }
            }
            _ => {}
        }
    }
    None
}

fn refs_in(text: &str) -> Vec<usize> {
    text.match_indices('^')
        .map(|(i, _)| text[i + 1..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap())
        .collect()
}

/// (module hash, functions) from llvm-dis summary lines.
fn parse_dis(text: &str) -> (Option<[u32; 5]>, Vec<Func>) {
    let mut guids: HashMap<usize, u64> = HashMap::new();
    let mut hash = None;
    for line in text.lines() {
        let id: usize = line[1..].split(' ').next().unwrap().parse().unwrap();
        if let Some(g) = line.rsplit("; guid = ").next().filter(|_| line.contains("; guid = ")) {
            guids.insert(id, g.trim().parse().unwrap());
        }
        if line.contains("= module:")
            && let Some(h) = group(line, "hash: ")
        {
            let v: Vec<u32> = h.trim_matches(|c| c == '(' || c == ')').split(", ").map(|x| x.parse().unwrap()).collect();
            hash = Some([v[0], v[1], v[2], v[3], v[4]]);
        }
    }
    let mut funcs = Vec::new();
    for line in text.lines() {
        if !line.contains("function: (") {
            continue;
        }
        let id: usize = line[1..].split(' ').next().unwrap().parse().unwrap();
        let insts: u32 = line.split("insts: ").nth(1).unwrap().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap();
        let calls: Vec<u64> = group(line, "calls: ").map(|g| refs_in(g).iter().map(|r| guids[r]).collect()).unwrap_or_default();
        let refs: Vec<u64> = group(line, "refs: ").map(|g| refs_in(g).iter().map(|r| guids[r]).collect()).unwrap_or_default();
        funcs.push(Func { guid: guids[&id], insts, calls: sorted(&calls), refs: sorted(&refs) });
    }
    (hash, sorted(&funcs))
}

#[test]
fn thinlto_summary_matches_llvm_dis() {
    for f in ["kinds.thin19.o", "asm.thin19.o", "cxx.thin19.o", "prog_lib.thin19.o", "kinds.thin14.o", "cxx.thin14.o", "prog_lib.thin14.o"]
    {
        let data = read_fixture(f);
        let (hash, expected) = parse_dis(&String::from_utf8(read_fixture(&format!("{f}.summary"))).unwrap());
        let c = bitcode::parse(&data).unwrap();
        let details = bitcode::details::module_details(&c).unwrap();
        assert_eq!(details.len(), 1, "{f}");
        let record = wrapped::module_record(&c, 0, &details[0]);
        assert_eq!(record.hash, hash, "{f}: module hash");
        assert_eq!(record.summary_kind, 1, "{f}: ThinLTO summary");
        let got: Vec<Func> = record
            .functions
            .iter()
            .filter(|f| !f.counted)
            .map(|fr| Func {
                guid: record.symbols[fr.symbol as usize].guid,
                insts: fr.inst_count,
                calls: sorted(&fr.calls.iter().map(|c| c.guid).collect::<Vec<_>>()),
                refs: sorted(&fr.refs),
            })
            .collect();
        assert_eq!(sorted(&got), expected, "{f}");
        assert!(!expected.is_empty(), "{f}: no function summaries in the reference");
    }
}

#[test]
fn summary_versions_and_function_offsets() {
    for (f, version) in [("kinds.thin14.o", 9), ("kinds.thin19.o", 10), ("rlib.22.bc", 12)] {
        let data = read_fixture(f);
        let c = bitcode::parse(&data).unwrap();
        let d = bitcode::details::module_details(&c).unwrap();
        let s = d[0].info.summary.as_ref().unwrap();
        assert_eq!(s.version, version, "{f}");
        // Every defined function has its body located through the module VST.
        let defined = d[0].info.globals.iter().filter(|g| g.kind == bitcode::module::GlobalKind::Function && !g.is_declaration).count();
        assert_eq!(d[0].info.function_blocks.len(), defined, "{f}");
        for fb in &d[0].info.function_blocks {
            let m = &c.modules[0];
            let at = m.begin + fb.offset as usize;
            assert!(at + fb.size as usize <= m.end, "{f}: function block out of its module");
            // The summary describes every function here, so none was counted again.
            assert_eq!(fb.instructions, None, "{f}");
        }
    }
}

#[test]
fn counted_instructions_equal_llvm_summary_counts() {
    // Without a summary, instruction counts come from the function blocks; on ThinLTO fixtures
    // (no debug info) the count must equal the one LLVM stored in the summary.
    for f in ["kinds.thin19.o", "cxx.thin19.o", "kinds.thin14.o", "cxx.thin14.o", "rlib.22.bc"] {
        let data = read_fixture(f);
        let c = bitcode::parse(&data).unwrap();
        let d = bitcode::details::module_details(&c).unwrap();
        let s = d[0].info.summary.as_ref().unwrap();
        // Read again without the summary: then every function block is counted.
        let counting = bitcode::module::ReadOptions { summary: false, function_blocks: true, instruction_counts: true, constants: false };
        let counted = bitcode::module::read_module(&c.modules[0], counting).unwrap();
        let mut compared = 0;
        for e in &s.entries {
            if let bitcode::summary::Entry::Function(fs) = e {
                let fb = counted.function_blocks.iter().find(|b| b.value_id == fs.value_id).unwrap();
                assert_eq!(fb.instructions, Some(fs.inst_count), "{f}: value {}", fs.value_id);
                compared += 1;
            }
        }
        assert!(compared > 0, "{f}");
    }
}

#[test]
fn regular_lto_summary_is_read() {
    let data = read_fixture("kinds.full19.o");
    let c = bitcode::parse(&data).unwrap();
    let d = bitcode::details::module_details(&c).unwrap();
    let r = wrapped::module_record(&c, 0, &d[0]);
    assert_eq!(r.summary_kind, 2);
    assert_eq!(r.summary_flags & 8, 8, "EnableSplitLTOUnit");
    assert!(r.hash.is_none());
    assert!(!r.functions.is_empty() && r.functions.iter().all(|f| f.inst_count > 0));
}
