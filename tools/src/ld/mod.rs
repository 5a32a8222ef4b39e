//! tl-ld: GNU ld's command line. With `-r` it runs libwrap's partial link, which keeps bitcode
//! (see `libwrap::link`); otherwise it hands the link to a linker: an `ld.lld` whose LLVM reads
//! every bitcode module (after libwrap rewrote wrapped inputs into files ld.lld accepts), or GNU
//! ld when no input carries bitcode.
//!
//! GNU ld's grammar decides the parser: options are order-sensitive (`--whole-archive`,
//! `--start-group`, `-Bstatic` apply to what follows), long options take one dash or two, and
//! arguments come joined (`-lfoo`, `--output=x`) or separate (`-o x`). `@file` is expanded
//! first.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use libwrap::link::final_link::{self, Arg};
use libwrap::link::{InputSpec, Options};

use crate::cli;

mod gcc_plugin;
mod lto_linker;

/// Options that take a separate argument when not joined (GNU ld's and lld's), without dashes.
const WITH_ARGUMENT: &[&str] = &[
    "compress-debug-sections",
    "o",
    "output",
    "L",
    "library-path",
    "l",
    "library",
    "u",
    "undefined",
    "m",
    "z",
    "e",
    "entry",
    "T",
    "script",
    "dT",
    "default-script",
    "plugin",
    "plugin-opt",
    "dynamic-linker",
    "I",
    "soname",
    "h",
    "rpath",
    "R",
    "rpath-link",
    "version-script",
    "Map",
    "y",
    "trace-symbol",
    "defsym",
    "wrap",
    "exclude-libs",
    "Y",
    "A",
    "architecture",
    "b",
    "format",
    "F",
    "filter",
    "f",
    "auxiliary",
    "G",
    "gpsize",
    "a",
    "sysroot",
    "dynamic-list",
    "retain-symbols-file",
    "init",
    "fini",
    "section-start",
    "Ttext",
    "Tdata",
    "Tbss",
    "Ttext-segment",
    "image-base",
    "hash-style",
    "lto-linker",
    "mllvm",
    "require-defined",
    "O",
    "thinlto-index-only",
    "thinlto-prefix-replace",
    "thinlto-object-suffix-replace",
    "sort-section",
    "dependency-file",
    "package-metadata",
    "error-limit",
    "unresolved-symbols",
];

/// Options a partial link accepts and ignores, as GNU ld -r does (without dashes; `=value`
/// forms included by prefix).
const IGNORED_WITH_R: &[&str] = &[
    "E",
    "nostdlib",
    "build-id",
    "eh-frame-hdr",
    "no-eh-frame-hdr",
    "hash-style",
    "as-needed",
    "no-as-needed",
    "push-state",
    "pop-state",
    "dynamic-linker",
    "I",
    "EL",
    "EB",
    "no-relax",
    "relax",
    "O",
    "no-undefined",
    "allow-shlib-undefined",
    "no-allow-shlib-undefined",
    "g",
    "Qy",
    "no-warn-mismatch",
    "no-keep-memory",
    "reduce-memory-overheads",
    "enable-new-dtags",
    "disable-new-dtags",
    "soname",
    "h",
    "rpath",
    "R",
    "rpath-link",
    "no-warn-rwx-segments",
    "no-warn-execstack",
    "warn-execstack",
    "no-fatal-warnings",
    "mllvm",
    "color-diagnostics",
    "threads",
    "no-threads",
    "icf",
    "gdb-index",
    "undefined-version",
    "no-undefined-version",
    "noinhibit-exec",
    "export-dynamic",
    "no-export-dynamic",
    "no-pie",
    "Bsymbolic",
    "Bsymbolic-functions",
    "no-gc-sections",
    "no-print-gc-sections",
    "demangle",
    "no-demangle",
    "warn-once",
    "ld-generated-unwind-info",
    "no-ld-generated-unwind-info",
    "error-unresolved-symbols",
    "warn-unresolved-symbols",
    "unresolved-symbols",
    "print-memory-usage",
];

/// GNU ld options a partial link by tl cannot honour: errors with -r, passed on otherwise.
const UNSUPPORTED_WITH_R: &[&str] = &[
    "stats",
    "gc-sections",
    "print-map",
    "M",
    "verbose",
    "y",
    "trace-symbol",
    "Map",
    "version-script",
    "dynamic-list",
    "retain-symbols-file",
    "emit-relocs",
    "q",
    "N",
    "n",
    "omagic",
    "nmagic",
    "cref",
    "print-gc-sections",
    "section-start",
    "Ttext",
    "Tdata",
    "Tbss",
    "Ttext-segment",
    "require-defined",
    "thinlto-index-only",
    "exclude-libs",
];

/// GNU ld 2.40's `-z` keywords (x86_64 build; without `=value`): any other keyword is ignored
/// with a warning, as GNU ld ignores it.
const GNU_Z: &[&str] = &[
    "bndplt",
    "call-nop",
    "cet-report",
    "combreloc",
    "common",
    "common-page-size",
    "defs",
    "dynamic-undefined-weak",
    "execstack",
    "global",
    "globalaudit",
    "ibt",
    "ibtplt",
    "indirect-extern-access",
    "initfirst",
    "interpose",
    "lam-report",
    "lam-u48",
    "lam-u48-report",
    "lam-u57",
    "lam-u57-report",
    "lazy",
    "loadfltr",
    "max-page-size",
    "muldefs",
    "nocombreloc",
    "nocommon",
    "nocopyreloc",
    "nodefaultlib",
    "nodelete",
    "nodlopen",
    "nodump",
    "nodynamic-undefined-weak",
    "noexecstack",
    "noextern-protected-data",
    "noindirect-extern-access",
    "nopack-relative-relocs",
    "noreloc-overflow",
    "norelro",
    "noseparate-code",
    "nostart-stop-gc",
    "notext",
    "nounique",
    "nounique-symbol",
    "now",
    "origin",
    "pack-relative-relocs",
    "relro",
    "report-relative-reloc",
    "separate-code",
    "shstk",
    "stack-size",
    "start-stop-gc",
    "start-stop-visibility",
    "text",
    "textoff",
    "undefs",
    "unique",
    "unique-symbol",
    "x86-64-baseline",
    "x86-64-v2",
    "x86-64-v3",
    "x86-64-v4",
    "nodefs",
    "isa-level-report",
];

/// `-z` keywords of final links a partial link ignores.
const IGNORED_Z: &[&str] = &[
    "relro",
    "norelro",
    "now",
    "lazy",
    "defs",
    "nodefs",
    "origin",
    "noexecstack",
    "execstack",
    "separate-code",
    "noseparate-code",
    "text",
    "notext",
    "combreloc",
    "nocombreloc",
    "nodelete",
    "nodlopen",
    "global",
    "initfirst",
    "interpose",
    "nocopyreloc",
    "max-page-size",
    "common-page-size",
    "stack-size",
    "pack-relative-relocs",
    "nopack-relative-relocs",
    "nounique-symbol",
    "noextern-protected-data",
    "start-stop-visibility",
];

fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [options] file...
 tl-ld links ELF objects, archives and LLVM bitcode of any version.
 With -r it is a partial linker that keeps bitcode: the output carries every
 module in .llvmbc (see tl-wrap(5)). Without -r it hands the link to an ld.lld
 whose LLVM reads all the bitcode (or to GNU ld when there is none).
 Options:
  -r, -i, --relocatable       Generate a relocatable output (partial link)
  -o FILE, --output=FILE      Set the output file name (default a.out)
  -L DIR, --library-path=DIR  Add DIR to the library search path
  -l NAME, --library=NAME     Search for library NAME (lib NAME.a with -r)
  -u SYM, --undefined=SYM     Start with SYM undefined
  --whole-archive             Include every member of the following archives
  --no-whole-archive          Turn --whole-archive off
  --start-group, -(           Start a group of archives searched repeatedly
  --end-group, -)             End a group
  -d, -dc, -dp                Allocate common symbols (with -r)
  --warn-common               Warn when a common symbol meets another or a definition
  --allow-multiple-definition, -z muldefs
                              The first of several definitions wins (no error)
  -z execstack|noexecstack    Mark the output as needing an executable stack or not
  -z ibt, -z shstk            Add IBT / SHSTK to the merged .note.gnu.property (with -r)
  -z x86-64-{{baseline,v2,v3,v4}}
                              Add the ISA level needed to .note.gnu.property (with -r)
  -z force-bti                Add BTI to the merged note (aarch64, -r), warning for inputs without it
  -z lam-u48, -z lam-u57      Add LAM_U48 (and LAM_U57) / LAM_U57 to the merged note (-r)
  -z lam-u48-report=[none|warning|error], -z lam-u57-report=..., -z lam-report=...
                              Report inputs without LAM_U48 / LAM_U57 / both
  -z cet-report=[none|warning|error]
                              Report inputs without IBT or SHSTK properties (with -r)
  -s, -S, -x, -X              Strip all / debug; discard all / temporary locals (with -r)
  --discard-none              Keep every local symbol (cancels -x/-X)
  -z common|nocommon          Common symbols as STT_COMMON or STT_OBJECT (with -r)
  -t, --trace                 Print each input file (twice: and archive member) read
  -T FILE, --script=FILE      Linker script (with -r: laid out as GNU ld -r does)
  --defsym SYMBOL=EXPRESSION  Define a symbol (with -r: evaluated as GNU ld -r does)
  --wrap=SYMBOL               References to SYMBOL go to __wrap_SYMBOL, to __real_SYMBOL
                              to SYMBOL (with -r)
  --force-group-allocation    Place group members like other sections, keep no group
  --compress-debug-sections=[none|zlib|zlib-gnu|zlib-gabi|zstd]
                              Compress the output's DWARF debug sections (with -r)
  -m EMULATION                Output machine when no input names one
  -e SYM, --entry=SYM         Entry symbol (a warning with -r when undefined)
  --fatal-warnings            Treat warnings as errors
  --lto-linker=PATH           The linker final links with bitcode are handed to
                              (also $TL_LTO_LINKER); default: the oldest ld.lld on
                              PATH or in the Rust toolchain that reads every module
  @FILE                       Read options from FILE
  -v, -V, --version           Print version information
  -h, --help                  Print this help
 With -r, options that only matter to final links (--build-id, --eh-frame-hdr,
 --hash-style, -dynamic-linker, -z relro, -plugin, -plugin-opt, -nostdlib,
 --as-needed, -EL, -O, ...) are accepted and ignored, as GNU ld -r does; other
 options that would change a partial link are errors.
"
    )
}

/// `-z lam-*` (x86-64 only: with `-m elf_i386`, `elf_iamcu` or `elf32_x86_64` GNU ignores
/// them with a warning, which [`Parsed::finish_lam`] gives once the emulation is known).
fn lam_keyword(p: &mut Parsed, v: &str) {
    p.lam_keywords.push(v.to_string());
    let report = match v.split_once('=').map(|(_, r)| r) {
        None => None,
        Some("none") => Some(None),
        Some("warning") => Some(Some(libwrap::link::Report::Warning)),
        Some("error") => Some(Some(libwrap::link::Report::Error)),
        Some(other) => {
            let option = v.split_once('=').map_or(v, |(o, _)| o);
            p.early_warnings.push((format!("invalid option for -z {option}=: {other}"), true));
            return;
        }
    };
    let props = &mut p.opts.properties;
    match (v.split('=').next().unwrap_or(v), report) {
        ("lam-u48", _) => props.lam_u48 = true,
        ("lam-u57", _) => props.lam_u57 = true,
        ("lam-u48-report", Some(r)) => props.lam_u48_report = r,
        ("lam-u57-report", Some(r)) => props.lam_u57_report = r,
        ("lam-report", Some(r)) => (props.lam_u48_report, props.lam_u57_report) = (r, r),
        _ => {}
    }
}

/// A `-z` keyword (see [`GNU_Z`] and [`IGNORED_Z`]).
fn z_keyword(p: &mut Parsed, v: &str) {
    match v {
        "muldefs" => p.opts.allow_multiple_definition = true,
        "execstack" => p.opts.exec_stack = Some(true),
        "common" => p.opts.stt_common = true,
        "nocommon" => p.opts.stt_common = false,
        "ibt" => p.opts.properties.ibt = true,
        "shstk" => p.opts.properties.shstk = true,
        "cet-report=none" => p.opts.properties.cet_report = None,
        "cet-report=warning" => p.opts.properties.cet_report = Some(libwrap::link::Report::Warning),
        "cet-report=error" => p.opts.properties.cet_report = Some(libwrap::link::Report::Error),
        other if other.starts_with("cet-report") => {
            // GNU's fatal error (it stops at once).
            let value = other.split_once('=').map_or("", |(_, v)| v);
            p.early_warnings.push((format!("invalid option for -z cet-report=: {value}"), true));
        }
        "force-bti" => p.opts.properties.force_bti = true,
        "lam-u48" | "lam-u57" => lam_keyword(p, v),
        // (Without a value GNU does not know them.)
        "lam-u48-report" | "lam-u57-report" | "lam-report" => p.early_warnings.push((format!("warning: -z {v} ignored"), p.fatal_warnings)),
        other if other.starts_with("lam-u48-report=") || other.starts_with("lam-u57-report=") || other.starts_with("lam-report=") => {
            lam_keyword(p, other)
        }
        "x86-64-baseline" => p.opts.properties.isa_level = 1,
        "x86-64-v2" => p.opts.properties.isa_level = 2,
        "x86-64-v3" => p.opts.properties.isa_level = 4,
        "x86-64-v4" => p.opts.properties.isa_level = 8,
        "noexecstack" => p.opts.exec_stack = Some(false),
        other if IGNORED_Z.iter().any(|z| other == *z || other.starts_with(&format!("{z}="))) => {}
        other if !GNU_Z.contains(&other.split('=').next().unwrap_or(other)) => {
            // GNU ld warns and goes on (the warning is fatal only after --fatal-warnings).
            p.early_warnings.push((format!("warning: -z {other} ignored"), p.fatal_warnings));
        }
        other => p.unsupported_with_r.push(format!("-z {other}")),
    }
}

/// The option's name without dashes, and a joined `=value`.
fn split_long(a: &str) -> Option<(&str, Option<&str>)> {
    let body = a.strip_prefix("--").or_else(|| a.strip_prefix('-'))?;
    Some(match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    })
}

/// A partial link's settings, and the things it must report.
#[derive(Default)]
struct Parsed {
    relocatable: bool,
    output: Option<PathBuf>,
    opts: Options,
    final_args: Vec<Arg>,
    version: bool,
    version_only: bool,
    help: bool,
    fatal_warnings: bool,
    sort_common: bool,
    /// Warnings of the command line, and whether `--fatal-warnings` came before each.
    early_warnings: Vec<(String, bool)>,
    lto_linker: Option<PathBuf>,
    /// The command line (after `@file` expansion), for a link that needs no rewriting.
    raw: Vec<String>,
    /// Options a partial link cannot honour (reported when -r is given).
    unsupported_with_r: Vec<String>,
    /// Options that may not be combined with -r (GNU's message).
    conflicts_with_r: Vec<&'static str>,
    unknown: Vec<String>,
    /// `-Bstatic` (or `-static`) is in force.
    static_only: bool,
    /// `--no-define-common` (GNU refuses it without -shared).
    no_define_common: bool,
    /// The last `-plugin` was GCC's (its `-plugin-opt`s are not passed on).
    gcc_plugin: bool,
    /// The `-z lam-*` keywords given, in order.
    lam_keywords: Vec<String>,
}

impl Parsed {
    /// `-z lam-*` with an emulation other than x86-64's: GNU's warnings, nothing done.
    fn finish_lam(&mut self) {
        if matches!(self.opts.emulation.as_deref(), Some("elf_i386" | "elf_iamcu" | "elf32_x86_64")) {
            for kw in std::mem::take(&mut self.lam_keywords) {
                self.early_warnings.push((format!("warning: -z {kw} ignored"), self.fatal_warnings));
            }
            let props = &mut self.opts.properties;
            (props.lam_u48, props.lam_u57, props.lam_u48_report, props.lam_u57_report) = (false, false, None, None);
        }
    }
}

/// An option's value: joined (`-lfoo`, `--x=y`) or the next argument.
struct Value<'a, 'i> {
    inline: Option<&'a str>,
    args: &'a [String],
    next: &'i mut usize,
}

impl Value<'_, '_> {
    fn take(&mut self) -> Option<String> {
        if let Some(v) = self.inline {
            return Some(v.to_string());
        }
        let v = self.args.get(*self.next).cloned();
        *self.next += 1;
        v
    }

    fn or_empty(&mut self) -> String {
        self.take().unwrap_or_default()
    }
}

fn parse(args: &[String]) -> Parsed {
    let mut p = Parsed { raw: args.to_vec(), ..Parsed::default() };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if !a.starts_with('-') || a == "-" {
            p.opts.inputs.push(InputSpec::File(PathBuf::from(a)));
            p.final_args.push(Arg::Input(PathBuf::from(a)));
            continue;
        }
        let (name, inline) = split_long(a).unwrap_or((a.as_str(), None));
        let mut value = Value { inline, args, next: &mut i };
        if !p.input_option(name, a, &mut value) && !p.link_option(name, a, &mut value) {
            p.other_option(name, a, inline, args, &mut i);
        }
    }
    p.finish_lam();
    p
}

impl Parsed {
    fn pass(&mut self, a: &str) {
        self.final_args.push(Arg::Other(a.into()));
    }

    /// Options about inputs: libraries, archives, groups, `-B` modes. False when not one.
    fn input_option(&mut self, name: &str, a: &str, value: &mut Value<'_, '_>) -> bool {
        match name {
            "L" | "library-path" => {
                let v = value.or_empty();
                self.opts.search_dirs.push(PathBuf::from(&v));
                self.final_args.push(Arg::Other(format!("-L{v}").into()));
            }
            "l" | "library" => {
                let v = value.or_empty();
                push_library(self, &v, self.static_only);
            }
            "u" | "undefined" => {
                let v = value.or_empty();
                self.opts.undefined.push(v.clone().into_bytes());
                self.final_args.push(Arg::Other(format!("--undefined={v}").into()));
            }
            "whole-archive" | "no-whole-archive" => {
                self.opts.inputs.push(InputSpec::WholeArchive(name == "whole-archive"));
                self.pass(a);
            }
            "start-group" | "(" => {
                self.opts.inputs.push(InputSpec::GroupStart);
                self.pass("--start-group");
            }
            "end-group" | ")" => {
                self.opts.inputs.push(InputSpec::GroupEnd);
                self.pass("--end-group");
            }
            "Bstatic" | "static" | "dn" | "non_shared" => {
                self.static_only = true;
                self.pass(a);
            }
            "Bdynamic" | "dy" | "call_shared" => {
                self.static_only = false;
                self.pass(a);
            }
            "plugin" => {
                // ld.lld does LTO itself: the plugin is not passed on.
                self.gcc_plugin = value.or_empty().contains("liblto_plugin");
            }
            "plugin-opt" => {
                let v = value.or_empty();
                if !self.gcc_plugin {
                    self.final_args.push(Arg::Other(format!("--plugin-opt={v}").into()));
                }
            }
            _ => return false,
        }
        true
    }

    /// Options about the link and its output. False when not one.
    fn link_option(&mut self, name: &str, a: &str, value: &mut Value<'_, '_>) -> bool {
        match name {
            "r" | "i" | "relocatable" | "Ur" => {
                self.relocatable = true;
                self.pass(a);
            }
            "o" | "output" => {
                let v = value.or_empty();
                self.pass("-o");
                self.pass(&v);
                self.output = Some(PathBuf::from(v));
            }
            "d" | "dc" | "dp" => {
                self.opts.define_common = true;
                self.pass(a);
            }
            "z" => {
                let v = value.or_empty();
                z_keyword(self, &v);
                self.pass("-z");
                self.pass(&v);
            }
            "m" => {
                let v = value.or_empty();
                self.opts.emulation = Some(v.clone());
                self.pass("-m");
                self.pass(&v);
            }
            "e" | "entry" => {
                let v = value.or_empty();
                self.opts.entry = Some(v.clone().into_bytes());
                self.final_args.push(Arg::Other(format!("--entry={v}").into()));
            }
            "v" | "V" => self.version = true,
            "version" => {
                self.version = true;
                self.version_only = true;
            }
            "help" => self.help = true,
            "sort-common" => {
                // It orders commons only when they get space (-d); tl-ld allocates them in GNU's
                // default order only, so the pair is refused.
                self.sort_common = true;
                self.pass(a);
            }
            "warn-common" => {
                self.opts.warn_common = true;
                self.pass(a);
            }
            "allow-multiple-definition" => {
                self.opts.allow_multiple_definition = true;
                self.pass(a);
            }
            "fatal-warnings" => {
                self.fatal_warnings = true;
                self.pass(a);
            }
            "t" | "trace" => {
                self.opts.trace = self.opts.trace.saturating_add(1);
                self.pass(a);
            }
            "no-define-common" => {
                self.no_define_common = true;
                self.pass(a);
            }
            "s" | "strip-all" | "S" | "strip-debug" => {
                use libwrap::link::Strip;
                self.opts.strip = if matches!(name, "s" | "strip-all") { Strip::All } else { Strip::Debug };
                self.pass(a);
            }
            "x" | "discard-all" | "X" | "discard-locals" | "discard-none" => {
                // (GNU's default discards locals of merged sections only in final links, so
                // --discard-none changes nothing else in a partial link.)
                use libwrap::link::Discard;
                self.opts.discard = match name {
                    "x" | "discard-all" => Discard::All,
                    "X" | "discard-locals" => Discard::Locals,
                    _ => Discard::Nothing,
                };
                self.pass(a);
            }
            "lto-linker" => self.lto_linker = value.take().map(PathBuf::from),
            "force-group-allocation" => {
                self.opts.force_group_allocation = true;
                self.pass(a);
            }
            "compress-debug-sections" => {
                use libwrap::elf::compress::Method;
                let v = value.or_empty();
                self.pass(&format!("--compress-debug-sections={v}"));
                self.opts.compress_debug = match v.as_str() {
                    "none" => None,
                    "zlib" | "zlib-gabi" => Some(Method::Zlib),
                    "zlib-gnu" => Some(Method::ZlibGnu),
                    "zstd" => Some(Method::Zstd),
                    _ => {
                        // GNU's fatal error (it stops at once).
                        self.early_warnings.push((format!("invalid --compress-debug-sections option: `{v}'"), true));
                        None
                    }
                };
            }
            "wrap" => {
                let v = value.or_empty();
                self.pass(&format!("--wrap={v}"));
                self.opts.wrap.push(v.into_bytes());
            }
            "shared" | "Bshareable" => {
                self.conflicts_with_r.push("-shared");
                self.pass(a);
            }
            "pie" | "pic-executable" => {
                self.conflicts_with_r.push("-pie");
                self.pass(a);
            }
            "T" | "script" | "dT" | "default-script" => {
                let v = value.or_empty();
                self.pass(a);
                self.pass(&v);
                self.opts.scripts.push(PathBuf::from(v));
            }
            _ => return false,
        }
        true
    }

    /// Everything else: options passed on (ignored, unsupported or unknown with -r), and the
    /// short options with a joined value (`-lNAME`, `-LDIR`, `-uSYM`, `-oFILE`, `-mEMU`, `-zKW`).
    fn other_option(&mut self, name: &str, a: &str, inline: Option<&str>, args: &[String], i: &mut usize) {
        let joined = |prefix: &str| -> Option<String> { a.strip_prefix(prefix).filter(|v| !v.is_empty()).map(str::to_string) };
        let takes = WITH_ARGUMENT.contains(&name) && inline.is_none();
        self.pass(a);
        let mut shown = a.to_string();
        let taken = if takes { args.get(*i).cloned() } else { None };
        if takes && let Some(v) = args.get(*i) {
            self.pass(v);
            shown = format!("{a} {v}");
            *i += 1;
        }
        if IGNORED_WITH_R.contains(&name) {
            return;
        }
        if name == "defsym" {
            match inline.map(str::to_string).or(taken) {
                Some(v) => self.opts.defsym.push(v),
                // (GNU's getopt message; the link stops.)
                None => self.early_warnings.push((format!("option '{a}' requires an argument"), true)),
            }
            return;
        }
        if UNSUPPORTED_WITH_R.contains(&name) {
            self.unsupported_with_r.push(shown);
            return;
        }
        if let Some(v) = joined("-l") {
            self.final_args.pop();
            push_library(self, &v, self.static_only);
        } else if let Some(v) = joined("-L") {
            self.opts.search_dirs.push(PathBuf::from(v));
        } else if let Some(v) = joined("-u") {
            self.opts.undefined.push(v.into_bytes());
        } else if let Some(v) = joined("-o") {
            self.output = Some(PathBuf::from(v));
        } else if let Some(v) = joined("-m") {
            self.opts.emulation = Some(v);
        } else if let Some(v) = joined("-z") {
            z_keyword(self, &v);
        } else if let Some(v) = joined("-e") {
            self.opts.entry = Some(v.into_bytes());
        } else if let Some(v) = joined("-T").filter(|v| !["text", "data", "bss", "ldata"].iter().any(|t| v.starts_with(t))) {
            // `-TFILE` (not `-Ttext=`, `-Tdata`, ...: section addresses).
            self.opts.scripts.push(PathBuf::from(v));
        } else if a.starts_with("-O") || a.starts_with("--build-id") || a.starts_with("--hash-style") {
            // Joined forms of ignored options.
        } else if WITH_ARGUMENT.contains(&name) || name.starts_with("thinlto") || name.starts_with("lto") {
            self.unsupported_with_r.push(shown);
        } else {
            self.unknown.push(a.to_string());
        }
    }
}

fn push_library(p: &mut Parsed, v: &str, static_only: bool) {
    let (name, verbatim) = match v.strip_prefix(':') {
        Some(n) => (n.to_string(), true),
        None => (v.to_string(), false),
    };
    p.opts.inputs.push(InputSpec::Library { name: name.clone(), verbatim });
    p.final_args.push(Arg::Library { name, verbatim, static_only });
}

/// Runs tl-ld; returns the exit status.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let prog = cli::program_name(&args, "tl-ld");
    let args = cli::expand_args(args);
    let args: Vec<String> = args.iter().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let p = parse(&args);
    if p.help {
        let _ = out.write_all(usage(&prog).as_bytes());
        return 0;
    }
    if p.version {
        let _ = write!(out, "{prog} (tl) {} (compatible with GNU linkers)\n{}", env!("CARGO_PKG_VERSION"), cli::READS);
        if p.version_only || (p.opts.inputs.is_empty() && !p.relocatable) {
            return 0;
        }
    }
    if let Some(u) = p.unknown.first().filter(|_| p.relocatable) {
        cli::error(err, &prog, format!("unrecognized option '{u}'"));
        cli::error(err, &prog, "use the --help option for usage information");
        return 1;
    }
    if p.relocatable { relocatable(&prog, &p, out, err) } else { final_link(&prog, &p, err) }
}

fn relocatable(prog: &str, p: &Parsed, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if p.no_define_common {
        cli::error(err, prog, "--no-define-common may not be used without -shared");
        return 1;
    }
    for (w, _) in &p.early_warnings {
        let _ = writeln!(err, "{prog}: {w}");
    }
    if p.early_warnings.iter().any(|(_, fatal)| *fatal) {
        return 1;
    }
    if let Some(c) = p.conflicts_with_r.first() {
        cli::error(err, prog, format!("-r and {c} may not be used together"));
        return 1;
    }
    if let Some(u) = p.unsupported_with_r.first() {
        cli::error(err, prog, format!("{u}: not supported with -r"));
        return 1;
    }
    if p.sort_common && p.opts.define_common {
        cli::error(err, prog, "--sort-common with -d: not supported with -r");
        return 1;
    }
    let output = p.output.clone().unwrap_or_else(|| PathBuf::from("a.out"));
    let report = |e: libwrap::Error, err: &mut dyn Write| {
        for line in link_messages(&e) {
            if let Some(bare) = line.strip_prefix(libwrap::link::diagnostics::UNPREFIXED) {
                let _ = writeln!(err, "{bare}");
                continue;
            }
            // (A message located in the command line or a script reads "ld:--defsym:1: ...",
            // "ld:x.lds:3: ...", as GNU's.)
            let sep = if located(&line) { "" } else { " " };
            let _ = writeln!(err, "{prog}:{sep}{line}");
        }
        1
    };
    let emit = |linked: &libwrap::link::Linked<'_>| {
        for line in &linked.trace {
            let _ = writeln!(out, "{line}");
        }
        for w in &linked.warnings {
            let _ = writeln!(err, "{prog}: {w}");
        }
        if p.fatal_warnings && !linked.warnings.is_empty() {
            return Ok(false);
        }
        linked.write(&output, 0o666).map(|()| true)
    };
    // (tl-ld exits after the link: its inputs are not freed.)
    let opts = libwrap::link::Options { exiting: true, ..p.opts.clone() };
    match libwrap::link::relocatable(&opts, emit) {
        Ok(Ok(true)) => 0,
        Ok(Ok(false)) => 1,
        Ok(Err(e)) => {
            cli::error(err, prog, cli::gnu_message(&e));
            1
        }
        Err(e) => report(e, err),
    }
}

/// Whether a message starts with a location, `FILE:LINE` (a script's line, or `--defsym:N`),
/// followed by `:` or a space.
fn located(line: &str) -> bool {
    let Some((file, rest)) = line.split_once(':') else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    !file.is_empty() && !file.contains(' ') && digits > 0 && matches!(rest.as_bytes().get(digits), Some(b':' | b' '))
}

/// The messages of a link error, one entry per message (GNU ld prefixes the first line of
/// each with the program name).
fn link_messages(e: &libwrap::Error) -> Vec<String> {
    match e {
        libwrap::Error::Link { messages } => messages.clone(),
        other => vec![cli::gnu_message(other)],
    }
}

fn final_link(prog: &str, p: &Parsed, err: &mut dyn Write) -> i32 {
    let prepared = match final_link::prepare(&p.final_args, &p.opts.search_dirs) {
        Ok(x) => x,
        Err(e) => {
            for line in link_messages(&e) {
                let _ = writeln!(err, "{prog}: {line}");
            }
            return 1;
        }
    };
    let explicit = p.lto_linker.clone().or_else(|| std::env::var_os("TL_LTO_LINKER").map(PathBuf::from));
    if prepared.gcc_lto && !prepared.llvm_majors.is_empty() {
        cli::error(err, prog, "cannot link LLVM bitcode and GCC LTO objects together");
        return 1;
    }
    let mut gcc_env: Vec<(&str, OsString)> = Vec::new();
    let (program, args): (PathBuf, Vec<OsString>) = if prepared.llvm_majors.is_empty() && explicit.is_none() {
        // No LLVM bitcode: the system's GNU linker, with the command line as given; GCC LTO
        // inputs get GCC's plugin, as the gcc driver passes it, unless the command has one.
        let mut args: Vec<OsString> = p.raw.iter().map(OsString::from).collect();
        if prepared.gcc_lto && !p.raw.iter().any(|a| a == "-plugin" || a.starts_with("-plugin=") || a.starts_with("--plugin")) {
            match gcc_plugin::arguments(prepared.temp.path()) {
                Ok((plugin_args, env)) => {
                    args.splice(0..0, plugin_args);
                    gcc_env = env;
                }
                Err(message) => {
                    cli::error(err, prog, message);
                    return 1;
                }
            }
        }
        (gnu_ld(), args)
    } else {
        match lto_linker::find_linker(&prepared.llvm_majors, explicit.as_deref()) {
            Ok(l) => (l.path, prepared.args.clone()),
            Err(message) => {
                let _ = writeln!(err, "{prog}: {message}");
                return 1;
            }
        }
    };
    let mut command = std::process::Command::new(&program);
    command.args(&args);
    for (k, v) in &gcc_env {
        command.env(k, v);
    }
    if prepared.llvm_majors.is_empty() && explicit.is_none() {
        // GNU ld names itself after argv[0] in its messages: "tl-ld: no input files". (ld.lld
        // picks its flavour from argv[0], so it keeps its own name.)
        std::os::unix::process::CommandExt::arg0(&mut command, prog);
    }
    let status = command.status();
    drop(prepared);
    match status {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            cli::error(err, prog, format!("cannot run {}: {}", program.display(), libwrap::error::io_message(&e)));
            1
        }
    }
}

/// GNU ld: `ld.bfd` on PATH, else `/usr/bin/ld.bfd`.
fn gnu_ld() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("ld.bfd")).find(|p| p.is_file()))
        .unwrap_or_else(|| Path::new("/usr/bin/ld.bfd").to_path_buf())
}

/// Entry point of tl-ld.
pub fn main() -> i32 {
    cli::with_stdio(run)
}
