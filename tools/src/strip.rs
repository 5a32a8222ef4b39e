//! tl-strip: GNU strip's command line over tl-objcopy's operations. With no strip option, every
//! symbol goes (`--strip-all`); each file is rewritten in place (atomically) or written to `-o`;
//! when one file fails the others are still done and the failed one is left as it was.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Arg, ArgAction, Command};
use libwrap::objcopy::{self, Config, Operation, Strip};

use crate::cli;

const USAGE: &str = "Usage: tl-strip <option(s)> in-file(s)";

fn help_text() -> String {
    format!(
        "{USAGE}
 Removes symbols and sections from files
 The options are:
  -I --input-target=<bfdname>      Accepted (the format is read from the file)
  -O --output-target=<bfdname>     Accepted when it names an ELF target
  -p --preserve-dates              Copy modified/access timestamps to the output
  -D --enable-deterministic-archives
                                   Produce deterministic output when stripping archives (default)
  -U --disable-deterministic-archives
                                   Accepted; archives keep their members' metadata
  -R --remove-section=<name>       Also remove section <name> from the output
     --keep-section=<name>         Do not strip section <name>
     --remove-relocations <name>   Remove relocations from section <name>
  -s --strip-all                   Remove all symbol and relocation information
  -g -S -d --strip-debug           Remove all debugging symbols & sections
     --strip-unneeded              Remove all symbols not needed by relocations
     --only-keep-debug             Strip everything but the debug information
     --strip-dwo                   Remove all DWO sections
     --keep-section-symbols        Do not strip section symbols
  -N --strip-symbol=<name>         Do not copy symbol <name>
  -K --keep-symbol=<name>          Do not strip symbol <name>
     --keep-file-symbols           Do not strip file symbol(s)
  -w --wildcard                    Permit wildcard in symbol comparison
  -x --discard-all                 Remove all non-global symbols
  -X --discard-locals              Remove any compiler-generated symbols
  -v --verbose                     List all object files modified
  -V --version                     Display this program's version number
  -h --help                        Display this output
  -M  --merge-notes                Remove redundant entries in note sections (default)
      --no-merge-notes             Do not attempt to remove redundant notes
  -o <file>                        Place stripped output into <file>
  @<file>                          Read options from <file>
 ELF objects, executables, shared objects, raw and wrapped bitcode and archives of them are
 stripped (inside the bitcode: its symbols and, for LLVM 19+, its debug info). Executables and
 shared objects keep their segments, laid out as GNU strip lays them out (removing one of their
 allocated sections with -R rewrites them as GNU strip does).
"
    )
}

fn command() -> Command {
    Command::new("tl-strip")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .infer_long_args(true)
        .arg(Arg::new("files").num_args(0..).action(ArgAction::Append))
        .arg(Arg::new("output").short('o').num_args(1).action(ArgAction::Set))
        .arg(Arg::new("input-target").short('I').long("input-target").num_args(1).action(ArgAction::Append))
        .arg(Arg::new("output-target").short('O').long("output-target").num_args(1).action(ArgAction::Append))
        .arg(Arg::new("deterministic").short('D').long("enable-deterministic-archives").action(ArgAction::SetTrue))
        .arg(Arg::new("nondeterministic").short('U').long("disable-deterministic-archives").action(ArgAction::SetTrue))
        .arg(Arg::new("verbose").short('v').long("verbose").action(ArgAction::SetTrue))
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::SetTrue))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::SetTrue))
        .args(crate::edits::args(true))
}

/// Runs tl-strip with `args` (argv[0] first); returns the exit status.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let prog = cli::program_name(&args, "tl-strip");
    let args = cli::expand_args(args);
    let m = match command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) => {
            cli::error(err, &prog, cli::getopt_message(&e));
            let _ = writeln!(err, "{USAGE}\nTry '{prog} --help' for more information.");
            return 1;
        }
    };
    if m.get_flag("help") {
        let _ = out.write_all(help_text().as_bytes());
        return 0;
    }
    if m.get_flag("version") {
        let _ = out.write_all(cli::version_text(&prog, "strip").as_bytes());
        return 0;
    }
    let edits = match crate::edits::edits(&m, Strip::All) {
        Ok(e) => e,
        Err(message) => {
            cli::error(err, &prog, message);
            return 1;
        }
    };
    let files: Vec<&String> = m.get_many::<String>("files").into_iter().flatten().collect();
    let output = m.get_one::<String>("output").map(PathBuf::from);
    if files.is_empty() {
        let _ = err.write_all(help_text().as_bytes());
        return 1;
    }
    if output.is_some() && files.len() > 1 {
        cli::error(err, &prog, "multiple input files cannot be used with -o");
        return 1;
    }
    let config = Config { operation: Operation::Copy, dump_sections: Vec::new(), preserve_dates: m.get_flag("preserve-dates"), edits };
    let mut status = 0;
    for f in files {
        match objcopy::run(&config, &PathBuf::from(f), output.as_deref()) {
            Ok(report) => {
                for w in report.warnings.iter().chain(&report.errors) {
                    cli::error(err, &prog, w);
                }
                if report.is_failure() {
                    status = 1;
                }
            }
            Err(e) => {
                cli::error(err, &prog, cli::gnu_message(&e));
                status = 1;
            }
        }
    }
    status
}

/// Entry point of the binary.
pub fn main() -> i32 {
    cli::with_stdio(run)
}
