//! tl-objcopy: GNU objcopy's command line; wraps and unwraps LLVM bitcode, splits modules,
//! dumps sections, copies ELF files and writes binary, ihex, srec and verilog files. Every other GNU objcopy option is recognised
//! and refused with "not supported yet" (exit 1), never ignored.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgAction, Command};
use libwrap::objcopy::{self, Config, Operation};

use crate::cli;
use crate::edits::{Kind, Opt, option};

/// GNU objcopy 2.40's options that tl-objcopy does not implement.
const UNSUPPORTED: &[Opt] = &[
    ("debugging", None, Kind::Flag, None),
    ("alt-machine-code", None, Kind::Signed, None),
    ("file-alignment", None, Kind::Signed, None),
    ("heap", None, Kind::Signed, None),
    ("image-base", None, Kind::Signed, None),
    ("section-alignment", None, Kind::Signed, None),
    ("stack", None, Kind::Signed, None),
    ("subsystem", None, Kind::Signed, None),
    ("info", None, Kind::Flag, None),
];

/// The options of the non-ELF outputs (`-O binary|ihex|srec|verilog`).
const RAW_OPTIONS: &[Opt] = &[
    ("interleave", None, Kind::Optional, None),
    ("interleave-width", None, Kind::Signed, None),
    ("byte", Some('b'), Kind::Signed, None),
    ("gap-fill", None, Kind::Signed, None),
    ("pad-to", None, Kind::Signed, None),
    ("reverse-bytes", None, Kind::Signed, None),
    ("srec-len", None, Kind::Signed, None),
    ("srec-forceS3", None, Kind::Flag, None),
    ("verilog-data-width", None, Kind::Signed, None),
];

const USAGE: &str = "Usage: tl-objcopy [option(s)] in-file [out-file]";

fn help_text() -> String {
    format!(
        "{USAGE}
 Copies a binary file, possibly transforming it in the process
 The options are:
     --wrap-bitcode                LLVM bitcode in-file -> ELF-wrapped object (see tl-wrap(5))
  -I --input-target llvm-bc        The same as --wrap-bitcode
     --unwrap-bitcode              Wrapped (or -fembed-bitcode, fat LTO, rustc) object -> raw
                                   bitcode LLVM reads; archives are converted member by member
  -O --output-target llvm-bc       The same as --unwrap-bitcode
  -I binary -O <elf-target> [-B <arch>]
                                   A file's bytes as an object (.data and _binary_*_start,
                                   _end, _size), as GNU objcopy makes it (elf64-x86-64,
                                   elf32-i386, elf32-x86-64, elf32-iamcu, elf{{32,64}}-{{little,big}})
     --split-modules <dir>         Write each bitcode unit of in-file to <dir>/<in>.<k>.bc
                                   (at most one ThinLTO module per file, as ld.lld needs)
     --dump-section <name>=<file>  Dump the contents of section <name> into <file>
  -D --enable-deterministic-archives
                                   Produce deterministic archives (default)
  -U --disable-deterministic-archives
                                   Accepted; archives keep their members' metadata
  -v --verbose                     List all object files modified
  @<file>                          Read options from <file>
  -V --version                     Display this program's version number
  -h --help                        Display this output
 Section and symbol options (ELF objects, executables and shared objects, raw bitcode, wrapped
 objects and archives of them, as GNU objcopy; on bitcode the symbol options change the bitcode
 itself):
  -R --remove-section <name>       -j --only-section <name>      --keep-section <name>
     --remove-relocations <name>   -S --strip-all                -g --strip-debug
     --only-keep-debug             --strip-dwo                   --extract-dwo
     --extract-symbol              --keep-section-symbols        --writable-text, --readonly-text, --pure, --impure (no
                                   effect on ELF, as in GNU objcopy)
     --strip-unneeded              -x --discard-all              -X --discard-locals
     --keep-file-symbols           -N --strip-symbol <name>      -K --keep-symbol <name>
     --strip-unneeded-symbol <name>   -L --localize-symbol <name>   --globalize-symbol <name>
  -G --keep-global-symbol <name>   -W --weaken-symbol <name>     --weaken
     --localize-hidden             -w --wildcard                 --prefix-symbols <prefix>
     --redefine-sym <old>=<new>    --redefine-syms <file>        --rename-section <old>=<new>[,<flags>]
     --add-section <name>=<file>   --update-section <name>=<file>   -p --preserve-dates
     --prefix-sections <prefix>    --prefix-alloc-sections <prefix>
     --set-section-alignment <name>=<align>
     --add-symbol <name>=[<section>:]<value>[,<flags>]  Add a symbol
     --set-section-flags <name>=<flags>  (alloc, load, noload, readonly, debug, code, data, rom,
                                   exclude, share, contents, merge, strings)
     --add-gnu-debuglink=<file>    Add section .gnu_debuglink linking to <file>
     --compress-debug-sections[={{none|zlib|zlib-gnu|zlib-gabi|zstd}}]
                                   Compress DWARF debug sections
     --decompress-debug-sections   Decompress DWARF debug sections
  -I, -O, -F <elf-target>          Accepted when the object is in that target (elf64-x86-64,
                                   elf32-i386, elf32-x86-64, elf32-iamcu); no conversion
     --long-section-names {{enable|disable|keep}}, --change-leading-char, --remove-leading-char
                                   Accepted; no effect on ELF, as in GNU objcopy
     --elf-stt-common=[yes|no]     Generate ELF common symbols with STT_COMMON type
     --set-symbol-visibility <sym>=default|protected|hidden|internal (tl's own; bitcode has
                                   no internal), --set-symbol-visibilities <file> (SYM=VIS a line)
     and every --...-symbols <file> form (one name a line, # comments)
  -M  --merge-notes                Remove redundant entries in note sections
      --no-merge-notes             Do not attempt to remove redundant notes (default)
  -O --output-target binary|ihex|srec|verilog
                                   Write the allocated sections by load address in that format
     --gap-fill <val>              Fill gaps between sections with <val>
     --pad-to <addr>               Pad the last section up to address <addr>
     --srec-len <number>           Restrict the length of generated Srecords
     --srec-forceS3                Restrict the type of generated Srecords to S3
     --verilog-data-width <number> Bytes per word of -O verilog (1, 2, 4, 8 or 16)
  -i --interleave[=<number>]       Only copy N out of every <number> bytes
     --interleave-width <number>   Set N for --interleave
  -b --byte <num>                  Select byte <num> in every interleaved block
     --reverse-bytes=<num>         Reverse <num> bytes at a time, in output sections with content
 With no option, an ELF file (or an archive of them) is copied. An executable or shared object
 keeps its segments (laid out as GNU objcopy lays them out; removing, moving, realigning or
 reflagging an allocated section rewrites them as GNU does; a section made allocated stays
 outside them); --extract-symbol builds them anew from the sections, as GNU does (refused on
 machines whose BFD page size tl does not know: those but x86, aarch64, arm, riscv64, ppc64
 and s390x). Every other GNU objcopy option is recognised and
 refused as not supported yet.
"
    )
}

/// tl-objcopy's own options; the section
/// and symbol options are [`crate::edits::args`]'. A table built in one loop, not a chain of
/// builders: the code runs once per process, and the chain was 20 pages of it.
const OPTIONS: &[Opt] = &[
    ("wrap-bitcode", None, Kind::Flag, None),
    ("unwrap-bitcode", None, Kind::Flag, None),
    ("split-modules", None, Kind::One, None),
    ("dump-section", None, Kind::Many, None),
    ("add-gnu-debuglink", None, Kind::One, None),
    ("compress-debug-sections", None, Kind::OptionalZlib, None),
    ("decompress-debug-sections", None, Kind::Flag, None),
    ("set-start", None, Kind::Signed, None),
    ("change-start", None, Kind::Signed, Some("adjust-start")),
    ("change-addresses", None, Kind::Signed, Some("adjust-vma")),
    ("change-section-address", None, Kind::Signed, Some("adjust-section-vma")),
    ("change-section-vma", None, Kind::Signed, None),
    ("change-section-lma", None, Kind::Signed, None),
    ("change-warnings", None, Kind::Flag, Some("adjust-warnings")),
    ("no-change-warnings", None, Kind::Flag, Some("no-adjust-warnings")),
    ("elf-stt-common", None, Kind::Many, None),
    ("input-target", Some('I'), Kind::Many, None),
    ("output-target", Some('O'), Kind::Many, None),
    ("target", Some('F'), Kind::Many, None),
    ("long-section-names", None, Kind::Many, None),
    ("change-leading-char", None, Kind::Flag, None),
    ("remove-leading-char", None, Kind::Flag, None),
    ("binary-architecture", Some('B'), Kind::One, None),
    ("enable-deterministic-archives", Some('D'), Kind::Flag, None),
    ("disable-deterministic-archives", Some('U'), Kind::Flag, None),
    ("verbose", Some('v'), Kind::Flag, None),
    ("help", Some('h'), Kind::Flag, None),
    ("version", Some('V'), Kind::Flag, None),
];

fn command() -> Command {
    Command::new("tl-objcopy")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .infer_long_args(true)
        .arg(Arg::new("files").num_args(0..).action(ArgAction::Append).allow_hyphen_values(false))
        .args(OPTIONS.iter().map(option))
        .arg(Arg::new("interleave-i").short('i').num_args(1).allow_hyphen_values(true).action(ArgAction::Append))
        .args(crate::edits::args(false))
        .args(UNSUPPORTED.iter().chain(RAW_OPTIONS).map(option))
}

/// The address options, in GNU's semantics ([`objcopy::addresses`]).
fn addresses(m: &clap::ArgMatches) -> Result<objcopy::addresses::Addresses, String> {
    use objcopy::addresses::{Addresses, SectionAddress, parse_section_change, parse_vma};
    let mut a = Addresses::default();
    // (index on the command line, option) pairs, so that order decides as in GNU's loop.
    let mut changes: Vec<(usize, SectionAddress)> = Vec::new();
    for (id, vma, lma) in [("change-section-address", true, true), ("change-section-vma", true, false), ("change-section-lma", false, true)]
    {
        let (Some(vals), Some(idx)) = (m.get_many::<String>(id), m.indices_of(id)) else { continue };
        let option = format!("--{id}");
        for (v, i) in vals.zip(idx) {
            let (pattern, c) = parse_section_change(&option, v)?;
            changes.push((i, SectionAddress { pattern, vma: vma.then_some(c), lma: lma.then_some(c) }));
        }
    }
    changes.sort_by_key(|(i, _)| *i);
    a.sections = changes.into_iter().map(|(_, c)| c).collect();
    let last = |id: &str| -> Option<(usize, &String)> { m.get_many::<String>(id)?.zip(m.indices_of(id)?).map(|(v, i)| (i, v)).next_back() };
    if let Some((_, v)) = last("set-start") {
        a.set_start = Some(parse_vma(v, "--set-start")?);
    }
    if let Some((_, v)) = last("change-addresses") {
        a.change_addresses = parse_vma(v, "--change-addresses")?;
    }
    // --change-addresses also sets the start's change; the later of the two wins.
    match (last("change-start"), last("change-addresses")) {
        (Some((i, v)), Some((j, _))) if i > j => a.change_start = parse_vma(v, "--change-start")?,
        (Some((_, v)), None) => a.change_start = parse_vma(v, "--change-start")?,
        (_, Some(_)) => a.change_start = a.change_addresses,
        (None, None) => {}
    }
    let flag_at = |id: &str| if m.get_flag(id) { m.indices_of(id).and_then(|i| i.max()) } else { None };
    a.warnings = flag_at("no-change-warnings").is_none_or(|no| flag_at("change-warnings").is_some_and(|yes| yes > no));
    Ok(a)
}

/// The operations the bitcode flags and `-I`/`-O`/`-B` ask for (before `--split-modules`).
fn target_operations(m: &clap::ArgMatches) -> Result<Vec<Operation>, String> {
    let mut ops = Vec::new();
    if m.get_flag("wrap-bitcode") {
        ops.push(Operation::WrapBitcode);
    }
    if m.get_flag("unwrap-bitcode") {
        ops.push(Operation::UnwrapBitcode);
    }
    if let Some(arch) = m.get_one::<String>("binary-architecture")
        && !["i386", "iamcu", "i8086"].iter().any(|a| arch == a || arch.starts_with(&format!("{a}:")))
    {
        return Err(format!("architecture {arch} unknown"));
    }
    let last = |id: &str| m.get_many::<String>(id).and_then(|mut v| v.next_back()).map(String::as_str);
    let from_binary = last("input-target") == Some("binary");
    if from_binary {
        match last("output-target") {
            None | Some("binary") => ops.push(Operation::FromBinary(None)),
            Some(t) => match objcopy::binary::BinaryTarget::by_name(t) {
                Some(target) => ops.push(Operation::FromBinary(Some(target))),
                None => return Err(format!("target '{t}' is not supported yet (ELF targets only with -I binary)")),
            },
        }
    }
    for (name, op) in [("input-target", Operation::WrapBitcode), ("output-target", Operation::UnwrapBitcode), ("target", Operation::Copy)] {
        for v in m.get_many::<String>(name).into_iter().flatten() {
            if from_binary {
                continue;
            }
            // An ELF target of a specific machine names the format the object is in: checked
            // against it when copying (converting between targets is not done).
            if matches!(objcopy::binary::BinaryTarget::by_name(v), Some(t) if t.e_machine != 0) {
                continue;
            }
            if name == "output-target" && objcopy::raw_output::Format::by_name(v).is_some() {
                continue;
            }
            if v != "llvm-bc" || op == Operation::Copy {
                return Err(format!("target '{v}' is not supported yet (only llvm-bc, -I binary, and a machine's own ELF target)"));
            }
            ops.push(op.clone());
        }
    }
    Ok(ops)
}

/// The ELF target `-I`, `-O` or `-F` name for a copy (the object must already be in it).
fn named_target(m: &clap::ArgMatches) -> Option<(String, objcopy::binary::BinaryTarget)> {
    ["input-target", "output-target", "target"]
        .iter()
        .filter_map(|id| m.get_many::<String>(id))
        .flatten()
        .find_map(|v| objcopy::binary::BinaryTarget::by_name(v).filter(|t| t.e_machine != 0).map(|t| (v.clone(), t)))
}

/// `-i`, `-b`, `--interleave-width`, `--reverse-bytes` as GNU holds them (0, -1, 1, 0 when
/// not given).
struct ByteOptions {
    interleave: i64,
    byte: i64,
    width: i64,
    reverse: i64,
}

/// C's `atoi`: optional sign and leading digits, 0 for none.
fn atoi(v: &str) -> i64 {
    let t = v.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg { -n } else { n }
}

/// The byte options (`-b`, `-i`, `--interleave-width`, `--reverse-bytes`) in command-line
/// order, checked as GNU's option loop checks them; then GNU's checks of the combination.
/// GNU's warnings go to `warnings`.
fn byte_options(m: &clap::ArgMatches, warnings: &mut Vec<String>) -> Result<ByteOptions, String> {
    let mut seen: Vec<(usize, &str, String)> = Vec::new();
    for id in ["byte", "interleave", "interleave-i", "interleave-width", "reverse-bytes"] {
        if let (Some(vals), Some(idx)) = (m.get_many::<String>(id), m.indices_of(id)) {
            seen.extend(vals.zip(idx).map(|(v, i)| (i, id, v.clone())));
        }
    }
    seen.sort_by_key(|(i, _, _)| *i);
    let (mut interleave, mut byte, mut width, mut reverse) = (0i64, -1i64, 1i64, 0i64);
    for (_, id, v) in seen {
        match id {
            "byte" => {
                byte = atoi(&v);
                if byte < 0 {
                    return Err("byte number must be non-negative".into());
                }
            }
            "interleave" | "interleave-i" => {
                interleave = if v.is_empty() { 4 } else { atoi(&v) };
                if interleave < 1 {
                    return Err("interleave must be positive".into());
                }
            }
            "interleave-width" => {
                width = atoi(&v);
                if width < 1 {
                    return Err("interleave width must be positive".into());
                }
            }
            _ => {
                let previous = reverse;
                reverse = atoi(&v);
                if reverse <= 0 || reverse % 2 != 0 {
                    return Err("number of bytes to reverse must be positive and even".into());
                }
                if previous != 0 && previous != reverse {
                    warnings.push(format!("Warning: ignoring previous --reverse-bytes value of {previous}"));
                }
            }
        }
    }
    if interleave != 0 && byte == -1 {
        return Err("interleave start byte must be set with --byte".into());
    }
    if byte >= interleave {
        return Err("byte number must be less than interleave".into());
    }
    if width > interleave - byte {
        return Err("interleave width must be less than or equal to interleave - byte`".into());
    }
    Ok(ByteOptions { interleave, byte, width, reverse })
}

/// `-O binary|ihex|srec|verilog` and their options, with GNU's messages (and warnings); the
/// options of those formats are refused with an ELF output.
fn raw_output(m: &clap::ArgMatches, warnings: &mut Vec<String>) -> Result<Option<objcopy::raw_output::RawOutput>, String> {
    use objcopy::addresses::parse_vma;
    use objcopy::raw_output::{Format, Interleave, RawOutput};
    let last = |id: &str| m.get_many::<String>(id).and_then(|mut v| v.next_back()).map(String::as_str);
    let given = |id: &str| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let ByteOptions { interleave, byte, width, reverse } = byte_options(m, warnings)?;
    let number = |id: &str, v: &str| parse_vma(v, &format!("--{id}"));
    let gap_fill = last("gap-fill").map(|v| number("gap-fill", v)).transpose()?;
    if let Some(g) = gap_fill.filter(|g| *g > 0xff) {
        warnings.push(format!("Warning: truncating gap-fill from {g:#x} to {:#x}", g & 0xff));
    }
    let verilog_width = last("verilog-data-width").map(|v| number("verilog-data-width", v)).transpose()?.unwrap_or(1);
    if ![1, 2, 4, 8, 16].contains(&verilog_width) {
        return Err("error: verilog data width must be 1, 2, 4, 8 or 16".into());
    }
    let (pad_to, srec_len) =
        (last("pad-to").map(|v| number("pad-to", v)).transpose()?, last("srec-len").map(|v| number("srec-len", v)).transpose()?);
    let Some(format) = last("output-target").and_then(Format::by_name) else {
        if let Some(&(long, ..)) = RAW_OPTIONS.iter().find(|(long, ..)| given(long)) {
            return Err(format!("option '--{long}' is not supported yet with an ELF output"));
        }
        if given("interleave-i") {
            return Err("option '-i' is not supported yet with an ELF output".into());
        }
        return Ok(None);
    };
    Ok(Some(RawOutput {
        format,
        gap_fill: gap_fill.map(|g| g as u8),
        pad_to,
        srec_len,
        srec_force_s3: m.get_flag("srec-forceS3"),
        verilog_width,
        interleave: (interleave != 0).then_some(Interleave { interleave: interleave as u64, width: width as u64, byte: byte as u64 }),
        reverse_bytes: (reverse != 0).then_some(reverse as u64),
        name: String::new(),
    }))
}

/// The edits only objcopy has options for (debug links, compression, targets, addresses,
/// common symbols), with GNU's messages.
fn objcopy_only_edits(m: &clap::ArgMatches, edits: &mut libwrap::objcopy::Edits, warnings: &mut Vec<String>) -> Result<(), String> {
    edits.add_gnu_debuglink = m.get_one::<String>("add-gnu-debuglink").map(std::path::PathBuf::from);
    if let Some(kind) = m.get_many::<String>("compress-debug-sections").and_then(|mut v| v.next_back()) {
        use libwrap::elf::compress::Method;
        edits.compress_debug = Some(match kind.as_str() {
            "zlib" | "zlib-gabi" => Some(Method::Zlib),
            "zlib-gnu" => Some(Method::ZlibGnu),
            "zstd" => Some(Method::Zstd),
            "none" => None,
            other => return Err(format!("unrecognized --compress-debug-sections type `{other}'")),
        });
    }
    if m.get_flag("decompress-debug-sections") {
        edits.compress_debug = Some(None);
    }
    if let Some(v) = m.get_many::<String>("long-section-names").and_then(|mut v| v.next_back())
        && !["enable", "disable", "keep"].contains(&v.as_str())
    {
        return Err(format!("unknown long section names option '{v}'"));
    }
    edits.target = named_target(m);
    edits.output = raw_output(m, warnings)?;
    edits.addresses = addresses(m)?;
    if let Some(v) = m.get_many::<String>("elf-stt-common").and_then(|mut v| v.next_back()) {
        edits.elf_stt_common = match v.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            other => return Err(format!("unrecognized --elf-stt-common= option `{other}'")),
        };
    }
    Ok(())
}

/// Runs tl-objcopy with `args` (argv[0] first); returns the exit status.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let prog = cli::program_name(&args, "tl-objcopy");
    let args = cli::expand_args(args);
    let m = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            let msg = cli::getopt_message(&e);
            cli::error(err, &prog, msg);
            let _ = writeln!(err, "{USAGE}\nTry '{prog} --help' for more information.");
            return 1;
        }
    };
    if m.get_flag("help") {
        let _ = out.write_all(help_text().as_bytes());
        return 0;
    }
    if m.get_flag("version") {
        let _ = out.write_all(cli::version_text(&prog, "objcopy").as_bytes());
        return 0;
    }
    for &(long, ..) in UNSUPPORTED {
        if m.value_source(long) == Some(clap::parser::ValueSource::CommandLine) {
            cli::error(err, &prog, format!("option '--{long}' is not supported yet"));
            return 1;
        }
    }
    let mut ops = match target_operations(&m) {
        Ok(ops) => ops,
        Err(message) => {
            cli::error(err, &prog, message);
            return 1;
        }
    };
    if let Some(dir) = m.get_one::<String>("split-modules") {
        ops.push(Operation::SplitModules(PathBuf::from(dir)));
    }
    ops.dedup();
    if ops.len() > 1 {
        // --unwrap-bitcode with --split-modules is the same request as --split-modules alone.
        let only_unwrap_and_split = ops.iter().all(|o| matches!(o, Operation::UnwrapBitcode | Operation::SplitModules(_)));
        if only_unwrap_and_split {
            ops.retain(|o| matches!(o, Operation::SplitModules(_)));
        } else {
            cli::error(err, &prog, "choose one of --wrap-bitcode, --unwrap-bitcode and --split-modules");
            return 1;
        }
    }
    let mut dumps = Vec::new();
    for d in m.get_many::<String>("dump-section").into_iter().flatten() {
        match d.split_once('=') {
            Some((n, f)) if !n.is_empty() && !f.is_empty() => dumps.push((n.to_string(), PathBuf::from(f))),
            _ => {
                cli::error(err, &prog, format!("bad format for --dump-section: {d}"));
                return 1;
            }
        }
    }
    let files: Vec<&String> = m.get_many::<String>("files").into_iter().flatten().collect();
    let operation = ops.pop().unwrap_or(Operation::Copy);
    let (input, output) = match files.as_slice() {
        [i] => (PathBuf::from(i), None),
        [i, o] => (PathBuf::from(i), Some(PathBuf::from(o))),
        [] => {
            let _ = err.write_all(help_text().as_bytes());
            return 1;
        }
        _ => {
            cli::error(err, &prog, "too many file names");
            let _ = writeln!(err, "{USAGE}");
            return 1;
        }
    };
    if matches!(operation, Operation::SplitModules(_)) && output.is_some() {
        cli::error(err, &prog, "--split-modules writes into its directory; give no out-file");
        return 1;
    }
    let mut edits = match crate::edits::edits(&m, libwrap::objcopy::Strip::None) {
        Ok(e) => e,
        Err(message) => {
            for line in message.lines() {
                cli::error(err, &prog, line);
            }
            return 1;
        }
    };
    let mut warnings = Vec::new();
    let only = objcopy_only_edits(&m, &mut edits, &mut warnings);
    for w in warnings {
        cli::error(err, &prog, w);
    }
    if let Err(message) = only {
        cli::error(err, &prog, message);
        return 1;
    }
    if !matches!(operation, Operation::Copy | Operation::FromBinary(Some(_))) && !edits.is_empty() {
        cli::error(err, &prog, "section and symbol options go with a copy, not with --wrap-bitcode, --unwrap-bitcode or --split-modules");
        return 1;
    }
    if operation == Operation::WrapBitcode
        && let Ok(inp) = libwrap::input::Input::open(&input)
    {
        crate::stale_plugins::warn_once(inp.data(), err, &prog);
    }
    let config = Config { operation, dump_sections: dumps, preserve_dates: m.get_flag("preserve-dates"), edits };
    match objcopy::run(&config, &input, output.as_deref()) {
        Ok(report) => {
            for w in report.warnings.iter().chain(&report.errors) {
                cli::error(err, &prog, w);
            }
            if m.get_flag("verbose") {
                for f in &report.split_files {
                    let _ = writeln!(out, "{}", f.display());
                }
            }
            i32::from(report.is_failure())
        }
        Err(e) => {
            cli::error(err, &prog, cli::gnu_message(&e));
            1
        }
    }
}

/// Entry point of the binary.
pub fn main() -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run(std::env::args_os().collect(), &mut stdout.lock(), &mut stderr.lock())
}
