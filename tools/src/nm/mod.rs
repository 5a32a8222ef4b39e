//! tl-nm: GNU nm 2.40's command line and output, on native ELF, archives, raw LLVM bitcode and
//! objects carrying bitcode.
//!
//! The flow follows GNU nm (`display_file` → `display_archive` / `display_rel_file`): file checks
//! and messages, "no symbols", filtering, stable sorting with the C library's `strcoll`, and the
//! bsd, sysv, posix and just-symbols formats. Extensions: `--format=json`, `--summary` and
//! `--no-llvm-bc`.

use std::ffi::OsString;
use std::io::Write;

use clap::{Arg, ArgAction, Command};
use libwrap::archive;
use libwrap::file_kind::{self as sniff, FileKind};
use libwrap::view::nm::{self as nmview, BitcodeChoice, NmObject, NmSymbol};
use libwrap::view::summary::Summaries;
use libwrap::wrapped::summary_section::ModuleRecord;

use crate::cli;
use crate::cli::collate;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Bsd,
    Sysv,
    Posix,
    Just,
    Json,
}

/// `--with-symbol-versions` / `--without-symbol-versions` (the last one given wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SymbolVersions {
    /// Neither: versions of dynamic symbols are shown (GNU 2.40's default).
    Default,
    /// Shown.
    With,
    /// Cut at the `@` of ELF names.
    Without,
}

/// Options, after GNU's last-one-wins rules.
#[derive(Clone, Debug)]
struct Opts {
    debug_syms: bool,
    per_symbol: bool,
    per_file: bool,
    format: Format,
    demangle: bool,
    style: libwrap::demangle::Style,
    dynamic: bool,
    external_only: bool,
    defined_only: bool,
    undefined_only: bool,
    non_weak: bool,
    no_sort: bool,
    numeric: bool,
    by_size: bool,
    reverse: bool,
    armap: bool,
    print_size: bool,
    radix: u32,
    special: bool,
    versions: SymbolVersions,
    quiet: bool,
    ifunc_chars: Option<Vec<u8>>,
    summary: bool,
    choice: BitcodeChoice,
}

const USAGE_LINE: &str = "Usage: tl-nm [option(s)] [file(s)]";

fn help_text(prog: &str) -> String {
    format!(
        "Usage: {prog} [option(s)] [file(s)]
 List symbols in [file(s)] (a.out by default).
 Reads ELF objects, archives, LLVM bitcode (any version) and objects carrying bitcode.
 The options are:
  -a, --debug-syms       Display debugger-only symbols
  -A, --print-file-name  Print name of the input file before every symbol
  -B                     Same as --format=bsd
  -C, --demangle[=STYLE] Decode mangled/processed symbol names (C++, Rust)
      --no-demangle      Do not demangle low-level symbol names
      --recurse-limit    Accepted (demangling recursion is always limited)
      --no-recurse-limit Accepted
  -D, --dynamic          Display dynamic symbols instead of normal symbols
  -e                     (ignored)
  -f, --format=FORMAT    Use the output format FORMAT.  FORMAT can be `bsd',
                           `sysv', `posix', 'just-symbols' or `json'.
                           The default is `bsd'
  -g, --extern-only      Display only external symbols
    --ifunc-chars=CHARS  Characters to use when displaying ifunc symbols
  -j, --just-symbols     Same as --format=just-symbols
  -n, --numeric-sort     Sort symbols numerically by address
  -o                     Same as -A
  -p, --no-sort          Do not sort the symbols
  -P, --portability      Same as --format=posix
  -r, --reverse-sort     Reverse the sense of the sort
      --plugin NAME      Accepted and ignored: LLVM bitcode and GCC LTO objects are
                           read without plugins
  -S, --print-size       Print size of defined symbols
  -s, --print-armap      Include index for symbols from archive members
      --quiet            Suppress \"no symbols\" diagnostic
      --size-sort        Sort symbols by size
      --special-syms     Include special symbols in the output
  -t, --radix=RADIX      Use RADIX for printing symbol values
      --target=BFDNAME   Read no plugin's view: GCC LTO objects are listed through
                           their ELF symbols (the format is read from the file)
  -u, --undefined-only   Display only undefined symbols
  -U, --defined-only     Display only defined symbols
  -W, --no-weak          Ignore weak symbols
      --with-symbol-versions  Display version strings after symbol names
      --without-symbol-versions  Do not display version strings
      --no-llvm-bc       Show the ELF symbols of wrapped and fat LTO objects,
                           not their bitcode's
      --summary          Show the summary of bitcode modules (functions,
                           instruction counts, calls); with --format=json, as JSON
  -X 32_64               (ignored)
  @FILE                  Read options from FILE
  -h, --help             Display this information
  -V, --version          Display this program's version number
"
    )
}

fn command() -> Command {
    let flag = |id: &'static str| Arg::new(id).action(ArgAction::SetTrue);
    let mut cmd = Command::new("tl-nm")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .infer_long_args(true)
        .arg(Arg::new("files").num_args(0..).action(ArgAction::Append))
        .arg(flag("debug-syms").short('a').long("debug-syms"))
        .arg(flag("print-file-name").short('A').short_alias('o').long("print-file-name"))
        .arg(flag("bsd").short('B'))
        .arg(
            Arg::new("demangle")
                .short('C')
                .long("demangle")
                .num_args(0..=1)
                .require_equals(true)
                .action(ArgAction::Append)
                .default_missing_value("")
                .value_parser(demangling_style),
        )
        .arg(flag("no-demangle").long("no-demangle").alias("no-cplus"))
        .arg(flag("recurse-limit").long("recurse-limit").alias("recursion-limit"))
        .arg(flag("no-recurse-limit").long("no-recurse-limit").alias("no-recursion-limit"))
        .arg(flag("dynamic").short('D').long("dynamic"))
        .arg(flag("ignored-e").short('e'))
        .arg(Arg::new("format").short('f').long("format").num_args(1).action(ArgAction::Append))
        .arg(flag("extern-only").short('g').long("extern-only"))
        .arg(flag("help").short('h').short_alias('H').long("help"))
        .arg(Arg::new("ifunc-chars").long("ifunc-chars").num_args(1).action(ArgAction::Append))
        .arg(flag("just-symbols").short('j').long("just-symbols"))
        .arg(flag("line-numbers").short('l').long("line-numbers"))
        .arg(flag("numeric-sort").short('n').short_alias('v').long("numeric-sort"))
        .arg(flag("no-sort").short('p').long("no-sort"))
        .arg(flag("portability").short('P').long("portability"))
        .arg(flag("reverse-sort").short('r').long("reverse-sort"))
        .arg(Arg::new("plugin").long("plugin").num_args(1).action(ArgAction::Append))
        .arg(flag("print-size").short('S').long("print-size"))
        .arg(flag("print-armap").short('s').long("print-armap"))
        .arg(flag("quiet").long("quiet"))
        .arg(flag("size-sort").long("size-sort"))
        .arg(flag("special-syms").long("special-syms"))
        .arg(flag("synthetic").long("synthetic"))
        .arg(Arg::new("radix").short('t').long("radix").num_args(1).action(ArgAction::Append))
        .arg(Arg::new("target").long("target").num_args(1).action(ArgAction::Append))
        .arg(flag("undefined-only").short('u').long("undefined-only"))
        .arg(flag("defined-only").short('U').long("defined-only"))
        .arg(Arg::new("unicode").long("unicode").num_args(1).action(ArgAction::Append))
        .arg(flag("version").short('V').long("version"))
        .arg(flag("no-weak").short('W').long("no-weak"))
        .arg(flag("with-symbol-versions").long("with-symbol-versions"))
        .arg(flag("without-symbol-versions").long("without-symbol-versions"))
        .arg(Arg::new("X").short('X').num_args(1).action(ArgAction::Append))
        .arg(flag("no-llvm-bc").long("no-llvm-bc"))
        .arg(flag("summary").long("summary"));
    // GNU's getopt loop: of each group, the option given last wins.
    for group in LAST_WINS {
        for id in *group {
            let others: Vec<&str> = group.iter().copied().filter(|o| o != id).collect();
            cmd = cmd.mut_arg(id, |a| a.overrides_with_all(others));
        }
    }
    cmd
}

/// `-C=STYLE`: the styles GNU nm knows (an unknown one is an error as the option is read).
fn demangling_style(s: &str) -> Result<String, String> {
    match s {
        "" | "auto" | "gnu-v3" | "rust" | "none" | "java" | "gnat" | "dlang" => Ok(s.to_string()),
        _ => Err(format!("unknown demangling style `{s}'")),
    }
}

/// Options of which the last one given wins, as GNU nm's option loop sets one variable for them.
const LAST_WINS: &[&[&str]] = &[
    &["bsd", "portability", "just-symbols", "format"],
    &["numeric-sort", "no-sort", "size-sort"],
    &["undefined-only", "defined-only"],
    &["demangle", "no-demangle"],
    &["with-symbol-versions", "without-symbol-versions"],
];

enum Parsed {
    Run(Opts, Vec<String>),
    Exit(i32),
}

fn parse(args: &[OsString], prog: &str, out: &mut dyn Write, err: &mut dyn Write) -> Parsed {
    let m = match command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            cli::error(err, prog, cli::getopt_message(&e));
            // A bad value is fatal by itself; a bad option is followed by the usage.
            if e.kind() != clap::error::ErrorKind::ValueValidation {
                let _ = err.write_all(help_text(prog).as_bytes());
            }
            return Parsed::Exit(1);
        }
    };
    if m.get_flag("help") {
        let _ = out.write_all(help_text(prog).as_bytes());
        return Parsed::Exit(0);
    }
    if let Some(message) = refused(&m) {
        cli::error(err, prog, message);
        return Parsed::Exit(1);
    }
    let (format, radix) = match (format_of(&m), radix_of(&m)) {
        (Ok(f), Ok(r)) => (f, r),
        (Err(message), _) | (_, Err(message)) => {
            cli::error(err, prog, message);
            return Parsed::Exit(1);
        }
    };
    let files: Vec<String> = m.get_many::<String>("files").into_iter().flatten().cloned().collect();
    let opts = opts_of(&m, format, radix, files.len() > 1);
    if m.get_flag("version") {
        let _ = out.write_all(
            format!("{prog} (tl) {}, compatible with GNU nm (GNU Binutils) 2.40\n{}", env!("CARGO_PKG_VERSION"), cli::READS).as_bytes(),
        );
        return Parsed::Exit(0);
    }
    Parsed::Run(opts, files)
}

/// The options tl-nm recognises and refuses, with the message.
fn refused(m: &clap::ArgMatches) -> Option<String> {
    for unsupported in ["line-numbers", "synthetic"] {
        if m.get_flag(unsupported) {
            return Some(format!("option '--{unsupported}' is not supported yet"));
        }
    }
    if let Some(u) = m.get_many::<String>("unicode").and_then(|mut v| v.next_back().cloned())
        && !matches!(u.as_str(), "default" | "d")
    {
        return Some(format!("option '--unicode={u}' is not supported yet"));
    }
    if let Some(x) = m.get_many::<String>("X").and_then(|mut v| v.next_back().cloned())
        && x != "32_64"
    {
        return Some("Only -X 32_64 is supported".to_string());
    }
    None
}

/// -B, -P, -j and -f (the last one wins). -f takes the first letter (GNU), except "json".
fn format_of(m: &clap::ArgMatches) -> Result<Format, String> {
    if m.get_flag("bsd") {
        return Ok(Format::Bsd);
    }
    if m.get_flag("portability") {
        return Ok(Format::Posix);
    }
    if m.get_flag("just-symbols") {
        return Ok(Format::Just);
    }
    let Some(f) = m.get_many::<String>("format").and_then(|mut v| v.next_back()) else { return Ok(Format::Bsd) };
    match f.chars().next() {
        _ if f == "json" => Ok(Format::Json),
        Some('b' | 'B') => Ok(Format::Bsd),
        Some('p' | 'P') => Ok(Format::Posix),
        Some('s' | 'S') => Ok(Format::Sysv),
        Some('j' | 'J') => Ok(Format::Just),
        _ => Err(format!("{f}: invalid output format")),
    }
}

/// -t RADIX.
fn radix_of(m: &clap::ArgMatches) -> Result<u32, String> {
    let Some(r) = m.get_many::<String>("radix").and_then(|mut v| v.next_back().cloned()) else { return Ok(16) };
    match r.chars().next() {
        Some('x') => Ok(16),
        Some('d') => Ok(10),
        Some('o') => Ok(8),
        _ => Err(format!("{r}: invalid radix")),
    }
}

/// The options of a run that lists symbols.
fn opts_of(m: &clap::ArgMatches, format: Format, radix: u32, per_file: bool) -> Opts {
    let last_demangle = m.get_many::<String>("demangle").and_then(|mut v| v.next_back().cloned());
    let style = match last_demangle.as_deref() {
        Some("gnu-v3") => libwrap::demangle::Style::GnuV3,
        Some("rust") => libwrap::demangle::Style::Rust,
        _ => libwrap::demangle::Style::Auto,
    };
    let versions = if m.get_flag("with-symbol-versions") {
        SymbolVersions::With
    } else if m.get_flag("without-symbol-versions") {
        SymbolVersions::Without
    } else {
        SymbolVersions::Default
    };
    Opts {
        debug_syms: m.get_flag("debug-syms"),
        per_symbol: m.get_flag("print-file-name"),
        per_file,
        format,
        demangle: m.get_many::<String>("demangle").is_some_and(|mut v| v.next_back().is_none_or(|s| s != "none")),
        style,
        dynamic: m.get_flag("dynamic"),
        external_only: m.get_flag("extern-only"),
        defined_only: m.get_flag("defined-only"),
        undefined_only: m.get_flag("undefined-only"),
        non_weak: m.get_flag("no-weak"),
        no_sort: m.get_flag("no-sort"),
        numeric: m.get_flag("numeric-sort"),
        by_size: m.get_flag("size-sort"),
        reverse: m.get_flag("reverse-sort"),
        armap: m.get_flag("print-armap"),
        print_size: m.get_flag("print-size"),
        radix,
        special: m.get_flag("special-syms"),
        versions,
        quiet: m.get_flag("quiet"),
        ifunc_chars: m.get_many::<String>("ifunc-chars").and_then(|mut v| v.next_back()).map(|s| s.as_bytes().to_vec()),
        summary: m.get_flag("summary"),
        choice: if m.get_flag("no-llvm-bc") {
            BitcodeChoice::Elf
        } else if m.get_many::<String>("target").is_some() {
            BitcodeChoice::NoPlugin
        } else {
            BitcodeChoice::Default
        },
    }
}

/// Runs tl-nm with `args` (argv[0] first); returns the exit status.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let prog = cli::program_name(&args, "tl-nm");
    let args = cli::expand_args(args);
    let (opts, files) = match parse(&args, &prog, out, err) {
        Parsed::Run(o, f) => (o, f),
        Parsed::Exit(code) => return code,
    };
    collate::init_from_environment();
    let mut nm = Nm { opts, prog, out, err, report_plugin_err: true, line: Vec::with_capacity(256) };
    if nm.opts.by_size && nm.opts.undefined_only {
        nm.note("Using the --size-sort and --undefined-only options together");
        nm.note("will produce no output, since undefined symbols have no size.");
        return 0;
    }
    if nm.opts.format == Format::Json && !nm.opts.summary {
        // JSON output is a stream of objects, one per line.
    }
    let files = if files.is_empty() { vec!["a.out".to_string()] } else { files };
    let mut failures = 0;
    for f in &files {
        if !nm.display_file(f) {
            failures += 1;
        }
    }
    let _ = nm.out.flush();
    failures.min(255)
}

/// Entry point of the binary.
pub fn main() -> i32 {
    cli::with_stdio(run)
}

struct Nm<'w> {
    opts: Opts,
    prog: String,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    report_plugin_err: bool,
    /// The line being printed (one buffer for every symbol).
    line: Vec<u8>,
}

/// Where a symbol comes from, for `-A` prefixes and JSON.
struct Place<'a> {
    file: &'a str,
    member: Option<&'a str>,
}

impl Nm<'_> {
    fn note(&mut self, msg: impl std::fmt::Display) {
        let _ = self.out.flush();
        cli::error(self.err, &self.prog, msg);
    }

    /// GNU's `display_file`: false when the file could not be listed.
    fn display_file(&mut self, name: &str) -> bool {
        match cli::get_file_size(name) {
            Err(message) => {
                self.note(message);
                return false;
            }
            Ok(0) => return false,
            Ok(_) => {}
        }
        let input = match libwrap::input::Input::open(name) {
            Ok(i) => i,
            Err(e) => {
                self.note(format!("{name}: {}", e.what()));
                return false;
            }
        };
        let data = input.data();
        match sniff::sniff(data) {
            FileKind::Archive { .. } => {
                self.display_archive(name, data);
                true
            }
            FileKind::Elf | FileKind::Bitcode { .. } => match nmview::view(data, self.opts.dynamic, self.opts.choice) {
                Ok(v) => {
                    if self.opts.summary {
                        self.print_summary(Place { file: name, member: None }, data);
                        return true;
                    }
                    self.print_object_filename(name, v.width);
                    self.display_rel_file(&v, Place { file: name, member: None });
                    true
                }
                Err(e) => {
                    self.note(format!("{name}: {e}"));
                    false
                }
            },
            FileKind::Unknown => {
                self.note(format!("{name}: file format not recognized"));
                false
            }
        }
    }

    fn display_archive(&mut self, name: &str, data: &[u8]) {
        let ar = match archive::read(data, name) {
            Ok(a) => a,
            Err(e) => {
                self.note(format!("{name}: {}", e.what()));
                return;
            }
        };
        if self.opts.format == Format::Bsd && self.opts.per_file {
            let _ = write!(self.out, "\n{name}:\n");
        }
        let member_name = |m: &archive::Member<'_>| -> String {
            match &m.path {
                Some(p) => p.display().to_string(),
                None => m.display_name(),
            }
        };
        if self.opts.armap
            && !self.opts.summary
            && let Some(index) = &ar.index
        {
            let mut first = true;
            for e in index {
                let Some(mi) = e.member else { continue };
                if first {
                    let _ = self.out.write_all(b"\nArchive index:\n");
                    first = false;
                }
                let sym = self.symname(&e.name, None, false);
                let _ = self.out.write_all(&sym);
                let _ = writeln!(self.out, " in {}", member_name(&ar.members[mi]));
            }
        }
        for m in &ar.members {
            let mname = member_name(m);
            let bytes = match m.bytes() {
                Ok(b) => b,
                Err(e) => {
                    self.note(format!("{}", e));
                    continue;
                }
            };
            match sniff::sniff(bytes) {
                FileKind::Elf | FileKind::Bitcode { .. } => match nmview::view(bytes, self.opts.dynamic, self.opts.choice) {
                    Ok(v) => {
                        if self.opts.summary {
                            self.print_summary(Place { file: name, member: Some(&mname) }, bytes);
                            continue;
                        }
                        self.print_archive_member(name, &mname, v.width);
                        self.display_rel_file(&v, Place { file: name, member: Some(&mname) });
                    }
                    Err(e) => self.note(format!("{mname}: {e}")),
                },
                _ => self.note(format!("{mname}: file format not recognized")),
            }
        }
    }

    fn print_object_filename(&mut self, name: &str, width: u32) {
        match self.opts.format {
            Format::Bsd if self.opts.per_file && !self.opts.per_symbol => {
                let _ = write!(self.out, "\n{name}:\n");
            }
            Format::Posix if self.opts.per_file && !self.opts.per_symbol => {
                let _ = writeln!(self.out, "{name}:");
            }
            Format::Sysv => {
                let what = if self.opts.undefined_only { "Undefined symbols" } else { "Symbols" };
                let _ = write!(self.out, "\n\n{what} from {name}:\n\n");
                self.sysv_header(width);
            }
            _ => {}
        }
    }

    fn print_archive_member(&mut self, archive: &str, member: &str, width: u32) {
        match self.opts.format {
            Format::Bsd if !self.opts.per_symbol => {
                let _ = write!(self.out, "\n{member}:\n");
            }
            Format::Posix if !self.opts.per_symbol => {
                let _ = writeln!(self.out, "{archive}[{member}]:");
            }
            Format::Sysv => {
                let what = if self.opts.undefined_only { "Undefined symbols" } else { "Symbols" };
                let _ = write!(self.out, "\n\n{what} from {archive}[{member}]:\n\n");
                self.sysv_header(width);
            }
            _ => {}
        }
    }

    fn sysv_header(&mut self, width: u32) {
        let h: &[u8] = if width == 32 {
            b"Name                  Value   Class        Type         Size     Line  Section\n\n"
        } else {
            b"Name                  Value           Class        Type         Size             Line  Section\n\n"
        };
        let _ = self.out.write_all(h);
    }

    /// The displayed name of a member or file for messages about it.
    fn label<'p>(place: &'p Place<'_>) -> &'p str {
        place.member.unwrap_or(place.file)
    }

    /// GNU's `display_rel_file`.
    fn display_rel_file(&mut self, v: &NmObject, place: Place<'_>) {
        for w in &v.warnings {
            self.note(format!("{}: warning: {w}", Self::label(&place)));
        }
        if !self.opts.dynamic && !v.has_syms {
            if !self.opts.quiet {
                self.note(format!("{}: no symbols", Self::label(&place)));
            }
            return;
        }
        let syms = match &v.symbols {
            Some(s) if !s.is_empty() => s,
            _ => {
                if !self.opts.quiet {
                    self.note(format!("{}: no symbols", Self::label(&place)));
                }
                return;
            }
        };
        if v.lto_slim {
            self.report_plugin_err = false;
            self.note(format!("{}: plugin needed to handle lto object", Self::label(&place)));
        }
        let mut kept: Vec<&NmSymbol> = Vec::with_capacity(syms.len());
        for s in syms {
            if s.name == b"__gnu_lto_slim" && self.report_plugin_err {
                self.report_plugin_err = false;
                self.note(format!("{}: plugin needed to handle lto object", Self::label(&place)));
            }
            let o = &self.opts;
            let mut keep = if o.undefined_only {
                s.undefined
            } else if o.external_only {
                s.ir_global.unwrap_or(s.global || s.weak || s.unique || s.undefined || s.common)
            } else if o.non_weak {
                !s.weak
            } else {
                true
            };
            if keep && !o.debug_syms && s.debugging {
                keep = false;
            }
            if keep && o.by_size && (s.absolute || s.undefined) {
                keep = false;
            }
            if keep && o.defined_only && s.undefined {
                keep = false;
            }
            if keep && s.special && !o.special {
                keep = false;
            }
            if keep {
                kept.push(s);
            }
        }
        if self.opts.by_size && !self.opts.no_sort {
            let sized = self.sort_by_size(kept);
            for (s, size) in sized {
                self.print_symbol(v, s, size, &place);
            }
            return;
        }
        if !self.opts.no_sort {
            let reverse = self.opts.reverse;
            if self.opts.numeric {
                kept.sort_by(|a, b| {
                    let o = numeric_forward(a, b);
                    if reverse { o.reverse() } else { o }
                });
            } else {
                kept.sort_by(|a, b| {
                    let o = name_forward(a, b);
                    if reverse { o.reverse() } else { o }
                });
            }
        }
        for s in kept {
            self.print_symbol(v, s, 0, &place);
        }
    }

    /// GNU's `sort_symbols_by_size`: (symbol, size) pairs with non-zero size, sorted by size.
    fn sort_by_size<'s>(&self, mut kept: Vec<&'s NmSymbol>) -> Vec<(&'s NmSymbol, u64)> {
        kept.sort_by(|a, b| size_forward1(a, b));
        let mut out = Vec::with_capacity(kept.len());
        for (i, s) in kept.iter().enumerate() {
            let sz = if !s.section_sym {
                // ELF: st_size (commons too: BFD's value is the size).
                s.size
            } else {
                let next = kept.get(i + 1);
                match next {
                    Some(n) if n.section_id == s.section_id => n.value.wrapping_sub(s.value),
                    _ => (s.section_vma.wrapping_add(s.section_size)).wrapping_sub(s.value),
                }
            };
            if sz != 0 {
                out.push((*s, sz));
            }
        }
        let reverse = self.opts.reverse;
        out.sort_by(|(a, x), (b, y)| {
            if x != y {
                if reverse { y.cmp(x) } else { x.cmp(y) }
            } else {
                let o = name_forward(a, b);
                if reverse { o.reverse() } else { o }
            }
        });
        out
    }

    /// Appends a value in the radix and width of the output format (hex digits are written
    /// directly: this runs for every symbol).
    fn push_value(&self, line: &mut Vec<u8>, width: u32, v: u64) {
        let pad = match self.opts.format {
            Format::Posix | Format::Just => 0,
            _ if width == 32 => 8,
            _ => 16,
        };
        match self.opts.radix {
            8 => line.extend_from_slice(format!("{v:0pad$o}").as_bytes()),
            10 => line.extend_from_slice(format!("{:0pad$}", v as i64).as_bytes()),
            _ => {
                let digits = ((64 - v.leading_zeros() as usize).div_ceil(4)).max(1);
                line.resize(line.len() + pad.saturating_sub(digits), b'0');
                for k in (0..digits).rev() {
                    line.push(b"0123456789abcdef"[((v >> (4 * k)) & 0xf) as usize]);
                }
            }
        }
    }

    /// The printed name: version cut or appended, demangled.
    fn symname<'n>(&self, name: &'n [u8], version: Option<&(Vec<u8>, bool)>, is_elf: bool) -> std::borrow::Cow<'n, [u8]> {
        use std::borrow::Cow;
        let mut base: &[u8] = name;
        if self.opts.versions == SymbolVersions::Without
            && is_elf
            && let Some(at) = name.iter().position(|&c| c == b'@')
        {
            base = &name[..at];
        }
        let mut out = if self.opts.demangle && !base.is_empty() {
            libwrap::demangle::bfd_demangle_style(base, None, self.opts.style).map_or(Cow::Borrowed(base), Cow::Owned)
        } else {
            Cow::Borrowed(base)
        };
        if self.opts.versions != SymbolVersions::Without
            && let Some((v, single)) = version
        {
            let out = out.to_mut();
            out.extend_from_slice(if *single { b"@" } else { b"@@" });
            out.extend_from_slice(v);
        }
        out
    }

    fn print_symbol(&mut self, v: &NmObject, s: &NmSymbol, ssize: u64, place: &Place<'_>) {
        let mut letter = s.letter;
        if letter == 'i'
            && s.ifunc
            && let Some(chars) = &self.opts.ifunc_chars
            && !chars.is_empty()
        {
            if s.global {
                letter = chars[0] as char;
            } else if chars.len() > 1 {
                letter = chars[1] as char;
            }
        }
        let name = self.symname(&s.name, s.version.as_ref(), v.is_elf);
        let undefined_class = matches!(letter, 'U' | 'w' | 'v');
        // SYM_SIZE: st_size for ELF symbols, the computed size otherwise.
        let size = if s.elf_type.is_some() { s.size } else { ssize };
        let w = v.width;
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        if self.opts.per_symbol {
            match (self.opts.format, place.member) {
                (Format::Posix, Some(m)) => line.extend_from_slice(format!("{}[{}]: ", place.file, m).as_bytes()),
                (Format::Posix, None) => line.extend_from_slice(format!("{}: ", place.file).as_bytes()),
                (Format::Bsd | Format::Sysv, Some(m)) => line.extend_from_slice(format!("{}:{}:", place.file, m).as_bytes()),
                (Format::Bsd | Format::Sysv, None) => line.extend_from_slice(format!("{}:", place.file).as_bytes()),
                _ => {}
            }
        }
        match self.opts.format {
            Format::Bsd => {
                if undefined_class {
                    line.extend_from_slice(if w == 64 { b"                " } else { b"        " });
                } else {
                    let shown = if self.opts.by_size && !self.opts.print_size { size } else { s.value };
                    self.push_value(&mut line, w, shown);
                    if self.opts.print_size && size != 0 {
                        line.push(b' ');
                        self.push_value(&mut line, w, size);
                    }
                }
                line.push(b' ');
                line.push(letter as u8);
                line.push(b' ');
                line.extend_from_slice(&name);
            }
            Format::Sysv => {
                line.extend_from_slice(&name);
                line.resize(line.len() + 20usize.saturating_sub(name.len()), b' ');
                line.push(b'|');
                if undefined_class {
                    line.extend_from_slice(if w == 32 { b"        " } else { b"                " });
                } else {
                    self.push_value(&mut line, w, s.value);
                }
                line.extend_from_slice(format!("|   {letter}  |").as_bytes());
                match s.elf_type {
                    Some(t) => line.extend_from_slice(format!("{:>18}|", elf_type_name(t)).as_bytes()),
                    None => line.extend_from_slice(b"                  |"),
                }
                if size != 0 {
                    self.push_value(&mut line, w, size);
                } else {
                    line.extend_from_slice(if w == 32 { b"        " } else { b"                " });
                }
                line.extend_from_slice(b"|     |");
                if s.elf_type.is_some() {
                    line.extend_from_slice(&s.section);
                }
            }
            Format::Posix => {
                line.extend_from_slice(&name);
                line.push(b' ');
                line.push(letter as u8);
                line.push(b' ');
                if undefined_class {
                    line.extend_from_slice(b"        ");
                } else {
                    self.push_value(&mut line, w, s.value);
                    line.push(b' ');
                    if size != 0 {
                        self.push_value(&mut line, w, size);
                    }
                }
            }
            Format::Just => line.extend_from_slice(&name),
            Format::Json => {
                line.extend_from_slice(self.json_symbol(v, s, letter, &name, size, place).as_bytes());
            }
        }
        line.push(b'\n');
        let _ = self.out.write_all(&line);
        self.line = line;
    }

    fn json_symbol(&self, v: &NmObject, s: &NmSymbol, letter: char, shown: &[u8], size: u64, place: &Place<'_>) -> String {
        let raw = self.symname(&s.name, s.version.as_ref(), v.is_elf);
        let demangled = libwrap::demangle::bfd_demangle(&s.name, None);
        let (binding, visibility, kind) = (s.binding_name(), s.visibility_name(), s.kind_name());
        let _ = shown;
        let mut j = String::with_capacity(256);
        j.push('{');
        j.push_str(&format!("\"file\":{}", json_str(place.file.as_bytes())));
        j.push_str(&format!(",\"member\":{}", place.member.map(|m| json_str(m.as_bytes())).unwrap_or_else(|| "null".into())));
        j.push_str(&format!(",\"module\":{}", s.module.map(|m| m.to_string()).unwrap_or_else(|| "null".into())));
        j.push_str(&format!(",\"name\":{}", json_str(&raw)));
        j.push_str(&format!(",\"demangled\":{}", demangled.map(|d| json_str(&d)).unwrap_or_else(|| "null".into())));
        j.push_str(&format!(",\"letter\":\"{}\"", json_escape_char(letter)));
        j.push_str(&format!(",\"binding\":\"{binding}\",\"visibility\":\"{visibility}\",\"kind\":\"{kind}\""));
        j.push_str(&format!(",\"defined\":{}", !s.undefined));
        j.push_str(&format!(",\"value\":{}", if s.undefined { "null".to_string() } else { s.value.to_string() }));
        j.push_str(&format!(",\"size\":{size}"));
        j.push_str(&format!(",\"section\":{}", json_str(&s.section)));
        j.push_str(&format!(",\"source\":\"{}\"", s.source_name()));
        j.push('}');
        j
    }

    /// `--summary`: the bitcode modules of an object (from `.tl.summary` when it is wrapped,
    /// else computed from the bitcode).
    fn print_summary(&mut self, place: Place<'_>, data: &[u8]) {
        let label = match place.member {
            Some(m) => format!("{}({m})", place.file),
            None => place.file.to_string(),
        };
        match libwrap::view::summary::summaries(data) {
            Ok(Some(Summaries { records, from_section })) => {
                let json = self.opts.format == Format::Json;
                for r in &records {
                    let _ = self.out.write_all(format_record(r, &label, place.file, place.member, from_section, json).as_bytes());
                }
            }
            Ok(None) => {
                if !self.opts.quiet {
                    self.note(format!("{label}: no bitcode"));
                }
            }
            Err(e) => self.note(format!("{label}: {e}")),
        }
    }
}

fn format_record(r: &ModuleRecord, label: &str, file: &str, member: Option<&str>, from_section: bool, json: bool) -> String {
    let kind = ["none", "thinlto", "regular-lto"][r.summary_kind.min(2) as usize];
    let hash = r.hash.map(|h| h.iter().map(|w| format!("{w:08x}")).collect::<String>());
    let name_of = |guid: u64| r.symbols.iter().find(|s| s.guid == guid).map(|s| s.name.clone());
    if json {
        let mut j = String::new();
        j.push('{');
        j.push_str(&format!(
            "\"file\":{},\"member\":{}",
            json_str(file.as_bytes()),
            member.map(|m| json_str(m.as_bytes())).unwrap_or_else(|| "null".into())
        ));
        j.push_str(&format!(
            ",\"module\":{},\"source_filename\":{},\"triple\":{},\"producer\":{}",
            r.module_index,
            json_str(r.source_filename.as_bytes()),
            json_str(r.triple.as_bytes()),
            json_str(r.producer.as_bytes())
        ));
        j.push_str(&format!(
            ",\"hash\":{},\"summary\":\"{kind}\",\"summary_version\":{},\"from_tl_summary\":{from_section}",
            hash.map(|h| format!("\"{h}\"")).unwrap_or_else(|| "null".into()),
            r.summary_version
        ));
        j.push_str(&format!(",\"symbols\":{}", r.symbols.len()));
        j.push_str(",\"functions\":[");
        for (k, f) in r.functions.iter().enumerate() {
            if k > 0 {
                j.push(',');
            }
            let s = &r.symbols[f.symbol as usize];
            j.push_str(&format!(
                "{{\"name\":{},\"guid\":{},\"instructions\":{},\"counted\":{}",
                json_str(&s.name),
                s.guid,
                f.inst_count,
                f.counted
            ));
            j.push_str(&format!(
                ",\"block_offset\":{},\"block_size\":{}",
                if f.block_offset == u64::MAX { "null".to_string() } else { f.block_offset.to_string() },
                f.block_size
            ));
            j.push_str(",\"calls\":[");
            for (n, c) in f.calls.iter().enumerate() {
                if n > 0 {
                    j.push(',');
                }
                j.push_str(&format!(
                    "{{\"guid\":{},\"name\":{},\"hotness\":{},\"tail\":{}}}",
                    c.guid,
                    name_of(c.guid).map(|n| json_str(&n)).unwrap_or_else(|| "null".into()),
                    c.hotness,
                    c.tail
                ));
            }
            j.push_str("],\"refs\":[");
            j.push_str(&f.refs.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(","));
            j.push_str("]}");
        }
        j.push_str("]}\n");
        return j;
    }
    let mut t = String::new();
    t.push_str(&format!(
        "{label}: module {}: {} ({}), {}, summary {kind} v{}{}{}\n",
        r.module_index,
        r.source_filename,
        r.triple,
        r.producer,
        r.summary_version,
        hash.map(|h| format!(", hash {h}")).unwrap_or_default(),
        if from_section { ", from .tl.summary" } else { "" }
    ));
    for f in &r.functions {
        let s = &r.symbols[f.symbol as usize];
        let calls: Vec<String> = f
            .calls
            .iter()
            .map(|c| name_of(c.guid).map(|n| String::from_utf8_lossy(&n).into_owned()).unwrap_or_else(|| format!("guid:{}", c.guid)))
            .collect();
        t.push_str(&format!(
            "  {} insts={}{}{}\n",
            String::from_utf8_lossy(&s.name),
            f.inst_count,
            if f.counted { " (counted)" } else { "" },
            if calls.is_empty() { String::new() } else { format!(" calls={}", calls.join(",")) }
        ));
    }
    t
}

fn elf_type_name(t: u8) -> String {
    match t {
        0 => "NOTYPE".into(),
        1 => "OBJECT".into(),
        2 => "FUNC".into(),
        3 => "SECTION".into(),
        4 => "FILE".into(),
        5 => "COMMON".into(),
        6 => "TLS".into(),
        13..=15 => format!("<processor specific>: {t}"),
        10..=12 => format!("<OS specific>: {t}"),
        _ => format!("<unknown>: {t}"),
    }
}

/// GNU's `non_numeric_forward`: empty names first, then `strcoll`.
fn name_forward(a: &NmSymbol, b: &NmSymbol) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a.name.is_empty(), b.name.is_empty()) {
        (true, true) => Equal,
        (true, false) => Less,
        (false, true) => Greater,
        _ => collate::compare(&a.name, &b.name),
    }
}

/// GNU's `numeric_forward`: undefined first, then by value, then by name.
fn numeric_forward(a: &NmSymbol, b: &NmSymbol) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a.undefined, b.undefined) {
        (true, false) => return Less,
        (false, true) => return Greater,
        (false, false) if a.value != b.value => return a.value.cmp(&b.value),
        _ => {}
    }
    name_forward(a, b)
}

/// GNU's `size_forward1`: value, section VMA, compiler-marker and file-name heuristics, name.
fn size_forward1(a: &NmSymbol, b: &NmSymbol) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    if a.value != b.value {
        return a.value.cmp(&b.value);
    }
    if a.section_vma != b.section_vma {
        return a.section_vma.cmp(&b.section_vma);
    }
    let marker = |n: &[u8]| contains(n, b"gnu_compiled") || contains(n, b"gcc2_compiled");
    match (marker(&a.name), marker(&b.name)) {
        (true, false) => return Less,
        (false, true) => return Greater,
        _ => {}
    }
    let filelike = |s: &NmSymbol| {
        let n = &s.name;
        s.file || (n.len() > 2 && n[n.len() - 2] == b'.' && matches!(n[n.len() - 1], b'o' | b'a'))
    };
    match (filelike(a), filelike(b)) {
        (true, false) => return Less,
        (false, true) => return Greater,
        _ => {}
    }
    let _ = Equal;
    name_forward(a, b)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn json_escape_char(c: char) -> String {
    json_str(c.to_string().as_bytes()).trim_matches('"').to_string()
}

/// A JSON string from bytes (invalid UTF-8 is replaced).
fn json_str(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[doc(hidden)]
pub const USAGE: &str = USAGE_LINE;
