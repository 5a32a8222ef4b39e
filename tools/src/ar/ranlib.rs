//! tl-ranlib: GNU ranlib's command line over tl-ar's archive writing.

use super::{Ar, Deterministic, Exit, LONG_OPTS};

fn ranlib_usage_text(prog: &str) -> String {
    format!(
        "Usage: {prog} [options] archive
 Generate an index to speed access to archives
 The options are:
  @<file>                      Read options from <file>
  --plugin <name>              Accepted and ignored (bitcode is indexed without plugins)
  -D                           Use zero for symbol map timestamp (default)
  -U                           Use an actual symbol map timestamp
  -t                           Update the archive's symbol map timestamp
  -h --help                    Print this help message
  -v --version                 Print version information
"
    )
}

impl Ar<'_> {
    pub(super) fn ranlib_main(&mut self, args: Vec<String>) -> Result<(), Exit> {
        let mut touch = false;
        let mut archives = Vec::new();
        let mut i = 1;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a == "--" {
                archives.extend(args[i..].iter().cloned());
                break;
            }
            if let Some(long) = a.strip_prefix("--") {
                let name = long.split_once('=').map(|(n, _)| n).unwrap_or(long);
                let found: Vec<&(&str, bool)> = LONG_OPTS.iter().filter(|(n, _)| n.starts_with(name)).collect();
                match found.as_slice() {
                    [(n, takes)] => {
                        if *takes && !long.contains('=') {
                            i += 1;
                        }
                        match *n {
                            "help" => self.o.show_help = true,
                            "version" => self.o.show_version = true,
                            _ => {}
                        }
                    }
                    [] => self.msg(format!("unrecognized option '{a}'")),
                    _ => self.msg(format!("option '{a}' is ambiguous")),
                }
                continue;
            }
            if a.len() > 1 && a.starts_with('-') {
                for c in a[1..].chars() {
                    match c {
                        'D' => self.o.deterministic = Deterministic::On,
                        'U' => self.o.deterministic = Deterministic::Off,
                        'h' | 'H' => self.o.show_help = true,
                        't' => touch = true,
                        'v' | 'V' => self.o.show_version = true,
                        other => self.msg(format!("invalid option -- '{other}'")),
                    }
                }
                continue;
            }
            archives.push(a.clone());
        }
        if args.len() < 2 {
            let t = ranlib_usage_text(&self.prog);
            let _ = self.err.write_all(t.as_bytes());
            return Err(Exit(1));
        }
        if self.o.show_help {
            let t = ranlib_usage_text(&self.prog);
            let _ = self.out.write_all(t.as_bytes());
            return Err(Exit(0));
        }
        if self.o.show_version {
            let v = format!(
                "{} (tl) {}, compatible with GNU ranlib (GNU Binutils) 2.40\n{}",
                self.prog,
                env!("CARGO_PKG_VERSION"),
                crate::cli::READS
            );
            let _ = self.out.write_all(v.as_bytes());
            return Err(Exit(0));
        }
        if self.o.deterministic == Deterministic::Unset {
            self.o.deterministic = Deterministic::On;
        }
        let mut status = 0;
        for a in archives {
            status |= if touch { self.ranlib_touch(&a)? } else { self.ranlib_only(&a)? };
        }
        if status != 0 { Err(Exit(status)) } else { Ok(()) }
    }

    /// `ranlib -t`: checks the archive has a map and updates the file's modification time.
    fn ranlib_touch(&mut self, name: &str) -> Result<i32, Exit> {
        if !self.get_file_size_ok(name) {
            return Ok(1);
        }
        let (ed, _) = self.open_inarch(name, false)?;
        if !ed.had_index {
            return Err(self.fatal(format!("{name}: no archive map to update")));
        }
        // GNU rewrites the map's date in place; in the GNU format it carries none, so what
        // remains is the file's modification time.
        let touched = std::fs::OpenOptions::new().write(true).open(name).and_then(|f| f.set_modified(std::time::SystemTime::now()));
        if let Err(e) = touched {
            return Err(self.fatal(format!("{name}: {}", libwrap::error::io_message(&e))));
        }
        Ok(0)
    }
}
