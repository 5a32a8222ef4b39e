//! tl-ar and tl-ranlib: GNU ar 2.40's grammar, operations, messages and exit statuses, writing
//! GNU-format archives whose index covers native ELF and LLVM bitcode (raw, wrapped, any LLVM
//! version).
//!
//! Grammar (binutils `decode_options`): when argv[1] does not start with `-`, each of its letters
//! becomes an option (`ar rcs` = `ar -r -c -s`); options are then read getopt-style
//! (`hdmpqrtxl:coOVsSuvabiMNfPTDU` plus `--help --plugin --target --version --output
//! --record-libdeps --thin`, abbreviations allowed, options anywhere); if no operation was found,
//! the first remaining word is exploded again (binutils PR 13256: `ar --plugin X rcs …`,
//! `ar -D cq …`). Then come the position argument (with `a`/`b`/`i`), the count (with `N`), the
//! archive and the member files.
//!
//! Beyond GNU: every update takes a lock on the archive's directory and replaces the archive
//! atomically, so concurrent updates lose nothing and a crash leaves the old archive; `x` never
//! writes outside the current (or `--output`) directory and never through a symbolic link.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use libwrap::archive::edit::{self as archive_edit, Editable, Entry, SaveOptions};

use crate::cli;

mod mri;
mod ranlib;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Delete,
    Move,
    Print,
    Quick,
    Replace,
    Table,
    Extract,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pos {
    Before,
    After,
    End,
}

/// The symbol-index request of `s` / `S`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Armap {
    /// Neither: GNU's default (an index when writing).
    #[default]
    Default,
    /// `s`: write an index (and `ar s` alone acts as ranlib).
    Write,
    /// `S`: write none.
    Omit,
}

/// `D` / `U`: deterministic archives (zero dates, uids and modes), GNU's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Deterministic {
    /// Neither given (deterministic, unless `u` needs the dates).
    #[default]
    Unset,
    /// `U`.
    Off,
    /// `D`.
    On,
}

#[derive(Default)]
struct Opts {
    op: Option<Op>,
    silent_create: bool,
    preserve_dates: bool,
    display_offsets: bool,
    show_version: bool,
    show_help: bool,
    /// `s` or `S`.
    write_armap: Armap,
    newer_only: bool,
    verbose: bool,
    postype: Option<Pos>,
    mri: bool,
    counted: bool,
    truncate: bool,
    full_path: bool,
    thin: bool,
    /// `D` or `U`.
    deterministic: Deterministic,
    libdeps: Option<String>,
    output_dir: Option<String>,
}

/// A way out of `main`: an exit status, after the messages were printed.
struct Exit(i32);

struct Ar<'w> {
    prog: String,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    o: Opts,
    interactive: bool,
    /// The `N` count (instance of a name to act on).
    count: i64,
    /// Exit status for errors that do not stop the run.
    status: i32,
}

const LONG_OPTS: &[(&str, bool)] =
    &[("help", false), ("plugin", true), ("target", true), ("version", false), ("output", true), ("record-libdeps", true), ("thin", false)];

fn usage_text(prog: &str) -> String {
    format!(
        "Usage: {prog} [emulation options] [-]{{dmpqrstx}}[abcDfilMNoOPsSTuvV] [--plugin <name>] [member-name] [count] archive-file file...
       {prog} -M [<mri-script]
 commands:
  d            - delete file(s) from the archive
  m[ab]        - move file(s) in the archive
  p            - print file(s) found in the archive
  q[f]         - quick append file(s) to the archive
  r[ab][f][u]  - replace existing or insert new file(s) into the archive
  s            - act as ranlib
  t[O][v]      - display contents of the archive
  x[o]         - extract file(s) from the archive
 command specific modifiers:
  [a]          - put file(s) after [member-name]
  [b]          - put file(s) before [member-name] (same as [i])
  [D]          - use zero for timestamps and uids/gids (default)
  [U]          - use actual timestamps and uids/gids
  [N]          - use instance [count] of name
  [f]          - truncate inserted file names
  [P]          - use full path names when matching
  [o]          - preserve original dates
  [O]          - display offsets of files in the archive
  [u]          - only replace files that are newer than current archive contents
 generic modifiers:
  [c]          - do not warn if the library had to be created
  [s]          - create an archive index (cf. ranlib)
  [l <text> ]  - specify the dependencies of this library
  [S]          - do not build a symbol table
  [T]          - deprecated, use --thin instead
  [v]          - be verbose
  [V]          - display the version number
  @<file>      - read options from <file>
  --target=BFDNAME - accepted and ignored (formats are read from the files)
  --output=DIRNAME - specify the output directory for extraction operations
  --record-libdeps=<text> - specify the dependencies of this library
  --thin       - make a thin archive
 optional:
  --plugin <p> - accepted and ignored (tl-ar indexes LLVM bitcode without plugins)
 The archive index covers native ELF objects and LLVM bitcode of any version.
"
    )
}

/// Result of getopt-style parsing: options applied to `o`, non-option words in order.
enum Parsed {
    Words(Vec<String>),
    BadShort(char),
    BadLong(String, &'static str),
}

impl<'w> Ar<'w> {
    fn msg(&mut self, m: impl std::fmt::Display) {
        let _ = self.out.flush();
        let _ = writeln!(self.err, "{}: {m}", self.prog);
    }

    fn fatal(&mut self, m: impl std::fmt::Display) -> Exit {
        self.msg(m);
        Exit(1)
    }

    fn usage(&mut self, help: bool) -> Exit {
        let text = usage_text(&self.prog);
        if help {
            let _ = self.out.write_all(text.as_bytes());
            Exit(0)
        } else {
            let _ = self.err.write_all(text.as_bytes());
            Exit(1)
        }
    }

    /// GNU getopt over `args` with ar's option string.
    fn getopt(&mut self, args: &[String], shorts: &str) -> Parsed {
        let mut words = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            if a == "--" {
                words.extend(args[i..].iter().cloned());
                break;
            }
            if let Some(long) = a.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                let exact = LONG_OPTS.iter().find(|(n, _)| *n == name);
                let candidates: Vec<&(&str, bool)> = LONG_OPTS.iter().filter(|(n, _)| n.starts_with(name)).collect();
                let opt = match (exact, candidates.len()) {
                    (Some(o), _) => *o,
                    (None, 1) => *candidates[0],
                    (None, 0) => return Parsed::BadLong(format!("unrecognized option '{a}'"), ""),
                    _ => {
                        let list: Vec<String> = candidates.iter().map(|(n, _)| format!("'--{n}'")).collect();
                        return Parsed::BadLong(format!("option '--{name}' is ambiguous; possibilities: {}", list.join(" ")), "");
                    }
                };
                let value = if opt.1 {
                    match value {
                        Some(v) => Some(v),
                        None if i < args.len() => {
                            i += 1;
                            Some(args[i - 1].clone())
                        }
                        None => return Parsed::BadLong(format!("option '--{}' requires an argument", opt.0), ""),
                    }
                } else if value.is_some() {
                    return Parsed::BadLong(format!("option '--{}' doesn't allow an argument", opt.0), "");
                } else {
                    None
                };
                match opt.0 {
                    "help" => self.o.show_help = true,
                    "version" => self.o.show_version = true,
                    "output" => self.o.output_dir = value,
                    "record-libdeps" => {
                        if self.o.libdeps.is_some() {
                            return Parsed::BadLong("libdeps specified more than once".into(), "fatal");
                        }
                        self.o.libdeps = value;
                    }
                    "thin" => self.o.thin = true,
                    _ => {} // --plugin, --target: accepted, ignored
                }
                continue;
            }
            if a.len() > 1 && a.starts_with('-') {
                let chars: Vec<char> = a[1..].chars().collect();
                let mut k = 0;
                while k < chars.len() {
                    let c = chars[k];
                    k += 1;
                    let pos = shorts.find(c);
                    let Some(pos) = pos else { return Parsed::BadShort(c) };
                    let takes_arg = shorts[pos + c.len_utf8()..].starts_with(':');
                    if takes_arg {
                        let rest: String = chars[k..].iter().collect();
                        let value = if !rest.is_empty() {
                            k = chars.len();
                            rest
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            return Parsed::BadLong(format!("option requires an argument -- '{c}'"), "");
                        };
                        if c == 'l' {
                            if self.o.libdeps.is_some() {
                                return Parsed::BadLong("libdeps specified more than once".into(), "fatal");
                            }
                            self.o.libdeps = Some(value);
                        }
                        continue;
                    }
                    if let Some(e) = self.short(c) {
                        return Parsed::BadLong(e, "fatal");
                    }
                }
                continue;
            }
            words.push(a.clone());
        }
        Parsed::Words(words)
    }

    /// Applies one short option; returns a fatal message for a second operation.
    fn short(&mut self, c: char) -> Option<String> {
        let op = match c {
            'd' => Some(Op::Delete),
            'm' => Some(Op::Move),
            'p' => Some(Op::Print),
            'q' => Some(Op::Quick),
            'r' => Some(Op::Replace),
            't' => Some(Op::Table),
            'x' => Some(Op::Extract),
            _ => None,
        };
        if let Some(op) = op {
            if self.o.op.is_some() {
                return Some("two different operation options specified".into());
            }
            self.o.op = Some(op);
            return None;
        }
        match c {
            'h' => self.o.show_help = true,
            'c' => self.o.silent_create = true,
            'o' => self.o.preserve_dates = true,
            'O' => self.o.display_offsets = true,
            'V' => self.o.show_version = true,
            's' => self.o.write_armap = Armap::Write,
            'S' => self.o.write_armap = Armap::Omit,
            'u' => self.o.newer_only = true,
            'v' => self.o.verbose = true,
            'a' => self.o.postype = Some(Pos::After),
            'b' | 'i' => self.o.postype = Some(Pos::Before),
            'M' => self.o.mri = true,
            'N' => self.o.counted = true,
            'f' => self.o.truncate = true,
            'P' => self.o.full_path = true,
            'T' => self.o.thin = true,
            'D' => self.o.deterministic = Deterministic::On,
            'U' => self.o.deterministic = Deterministic::Off,
            _ => {}
        }
        None
    }

    fn deterministic(&self) -> bool {
        self.o.deterministic != Deterministic::Off
    }

    fn normalize(&self, file: &str) -> String {
        archive_edit::normalize(file, self.o.full_path, self.o.truncate)
    }

    fn save_options(&self, ed: &Editable) -> SaveOptions {
        SaveOptions {
            thin: self.o.thin || ed.thin,
            full_path: self.o.full_path,
            truncate: self.o.truncate,
            index: self.o.write_armap != Armap::Omit,
            deterministic: self.deterministic(),
            sym64_threshold: sym64_threshold(),
        }
    }

    fn write_archive(&mut self, ed: &Editable) -> Result<(), Exit> {
        let opts = self.save_options(ed);
        let warnings = archive_edit::save(ed, &opts).map_err(|e| self.fatal(cli::gnu_message(&e)))?;
        for w in warnings {
            self.msg(w);
        }
        Ok(())
    }

    /// Locks `archive`'s directory for an update. A missing directory fails as GNU's attempt to
    /// create the archive there does.
    fn lock(&mut self, archive: &str) -> Result<archive_edit::UpdateLock, Exit> {
        archive_edit::lock_for_update(archive).map_err(|e| match &e {
            libwrap::Error::Io { source, .. } => self.fatal(format!("{archive}: {}", libwrap::error::io_message(source))),
            _ => self.fatal(cli::gnu_message(&e)),
        })
    }

    /// GNU's `open_inarch`: (archive, newly created).
    fn open_inarch(&mut self, name: &str, alters: bool) -> Result<(Editable, bool), Exit> {
        match std::fs::metadata(name) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !alters {
                    let _ = writeln!(self.err, "{}: {name}: No such file or directory", self.prog);
                    return Err(self.maybequit());
                }
                if !self.o.silent_create {
                    self.msg(format!("creating {name}"));
                }
                return Ok((archive_edit::empty(name, false), true));
            }
            Err(e) => return Err(self.fatal(format!("{name}: {}", libwrap::error::io_message(&e)))),
            Ok(_) => {}
        }
        let ed = match archive_edit::load(name) {
            Ok(ed) => ed,
            Err(libwrap::Error::NotRecognized { .. }) => return Err(self.fatal(format!("{name}: file format not recognized"))),
            Err(libwrap::Error::Malformed { .. }) => return Err(self.fatal(format!("{name}: file format not recognized"))),
            Err(e) => return Err(self.fatal(bfd_message(&e))),
        };
        if matches!(self.o.op, Some(Op::Replace | Op::Quick)) && !ed.entries.is_empty() {
            if self.o.thin && !ed.thin {
                return Err(self.fatal(format!("Cannot convert existing library {name} to thin format")));
            }
            if !self.o.thin && ed.thin {
                return Err(self.fatal(format!("Cannot convert existing thin library {name} to normal format")));
            }
        }
        Ok((ed, false))
    }

    fn maybequit(&mut self) -> Exit {
        if self.interactive { Exit(0) } else { Exit(9) }
    }

    /// getopt with ar's options; on a bad option, GNU's message and usage.
    fn parse_options(&mut self, args: &[String]) -> Result<Vec<String>, Exit> {
        match self.getopt(args, "hdmpqrtxl:coOVsSuvabiMNfPTDU") {
            Parsed::Words(w) => Ok(w),
            Parsed::BadShort(c) => {
                self.msg(format!("invalid option -- '{c}'"));
                Err(self.usage(false))
            }
            Parsed::BadLong(m, kind) => {
                if kind == "fatal" {
                    return Err(self.fatal(m));
                }
                self.msg(m);
                Err(self.usage(false))
            }
        }
    }

    /// Runs `ar` after the common preamble.
    fn main(&mut self, args: Vec<String>) -> Result<(), Exit> {
        if args.len() < 2 {
            return Err(self.usage(false));
        }
        // Key letters: argv[1] without a dash is exploded into options.
        let mut words = self.parse_options(&explode_first(&args[1..]))?;
        // PR 13256: options first, key letters after (`ar --plugin p rcs …`).
        if self.o.op.is_none() && self.o.write_armap != Armap::Write && !self.o.mri && words.first().is_some_and(|w| !w.starts_with('-')) {
            words = self.parse_options(&explode_first(&words))?;
        }
        if self.o.show_help {
            return Err(self.usage(true));
        }
        if self.o.show_version {
            let v = format!("{} (tl) {}, compatible with GNU ar (GNU Binutils) 2.40\n{}", self.prog, env!("CARGO_PKG_VERSION"), cli::READS);
            let _ = self.out.write_all(v.as_bytes());
            return Err(Exit(0));
        }
        if self.o.mri {
            if self.o.deterministic == Deterministic::Unset {
                self.o.deterministic = Deterministic::On;
            }
            return self.mri();
        }
        let mut words = words.into_iter();
        let Some(first) = words.next() else { return Err(self.usage(false)) };
        let mut words: Vec<String> = std::iter::once(first).chain(words).collect();
        if self.o.op == Some(Op::Quick) && self.o.write_armap != Armap::Default {
            self.o.op = Some(Op::Replace);
        }
        if matches!(self.o.op, None | Some(Op::Table)) && self.o.write_armap == Armap::Write {
            if self.o.deterministic == Deterministic::Unset {
                self.o.deterministic = Deterministic::On;
            }
            let code = self.ranlib_only(&words[0])?;
            return Err(Exit(code));
        }
        let Some(op) = self.o.op else { return Err(self.fatal("no operation specified")) };
        if self.o.newer_only && op != Op::Replace {
            return Err(self.fatal("`u' is only meaningful with the `r' option."));
        }
        if self.o.newer_only && self.o.deterministic == Deterministic::On {
            return Err(self.fatal("`u' is not meaningful with the `D' option."));
        }
        if self.o.newer_only && self.o.deterministic == Deterministic::Unset {
            self.msg("`u' modifier ignored since `D' is the default (see `U')");
        }
        if self.o.deterministic == Deterministic::Unset {
            self.o.deterministic = Deterministic::On;
        }
        let mut idx = 0;
        let mut posname = None;
        if self.o.postype.is_some() {
            match words.get(idx) {
                Some(p) => posname = Some(p.clone()),
                None => return Err(self.fatal("missing position arg.")),
            }
            idx += 1;
        }
        let mut count = 0i64;
        if self.o.counted {
            if op != Op::Extract && op != Op::Delete {
                return Err(self.fatal("`N' is only meaningful with the `x' and `d' options."));
            }
            let Some(c) = words.get(idx) else { return Err(self.fatal("`N' missing value.")) };
            count = atoi(c);
            if count <= 0 {
                return Err(self.fatal("Value for `N' must be positive."));
            }
            idx += 1;
        }
        let Some(archive) = words.get(idx).cloned() else { return Err(self.usage(false)) };
        idx += 1;
        let mut files: Vec<String> = words.drain(idx..).collect();
        let alters = matches!(op, Op::Delete | Op::Move | Op::Quick | Op::Replace);
        let _lock = if alters { Some(self.lock(&archive)?) } else { None };
        let (mut ed, created) = self.open_inarch(&archive, alters)?;
        if op == Op::Extract && ed.thin {
            return Err(self.fatal("`x' cannot be used on thin archives."));
        }
        let mut libdeps_entry = None;
        if let Some(l) = &self.o.libdeps {
            let mut bytes = l.clone().into_bytes();
            bytes.push(0);
            libdeps_entry = Some(archive_edit::entry_from_bytes("__.LIBDEP", bytes, self.deterministic()));
            let at = if files.is_empty() { 0 } else { 1 };
            files.insert(at, "__.LIBDEP".to_string());
        }
        self.count = count;
        let ctx = Ctx { posname, count, libdeps: libdeps_entry };
        let wrote = match op {
            Op::Table => {
                self.map_over_members(&ed, &files, |s, e| s.print_descr(e))?;
                false
            }
            Op::Print => {
                self.map_over_members(&ed, &files, |s, e| s.print_contents(e))?;
                false
            }
            Op::Extract => {
                self.map_over_members(&ed, &files, |s, e| s.extract(e))?;
                false
            }
            Op::Delete => !files.is_empty() && self.delete_members(&mut ed, &files, &ctx)?,
            Op::Move if !self.o.silent_create => !files.is_empty() && self.move_members(&mut ed, &files, &ctx)?,
            Op::Move | Op::Replace | Op::Quick => {
                if !files.is_empty() || self.o.write_armap == Armap::Write {
                    self.replace_members(&mut ed, &files, op == Op::Quick, &ctx)?
                } else {
                    false
                }
            }
        };
        if created && !wrote {
            // GNU creates the empty archive before anything else; it stays when nothing is added.
            archive_edit::create_empty(&archive).map_err(|e| self.fatal(cli::gnu_message(&e)))?;
        }
        Ok(())
    }

    /// `ranlib`'s work on one archive: rewrite it with an index. Returns 1 when the file is
    /// missing or not an ordinary file (after GNU's message), 0 otherwise.
    fn ranlib_only(&mut self, name: &str) -> Result<i32, Exit> {
        if !self.get_file_size_ok(name) {
            return Ok(1);
        }
        self.o.write_armap = Armap::Write;
        let _lock = self.lock(name)?;
        let (ed, _) = self.open_inarch(name, false)?;
        self.write_archive(&ed)?;
        Ok(0)
    }

    /// binutils' `get_file_size` check with its messages (and one for an empty file).
    fn get_file_size_ok(&mut self, name: &str) -> bool {
        match cli::get_file_size(name) {
            Err(message) => {
                self.msg(message);
                false
            }
            // GNU fails silently on an empty file; tl says why.
            Ok(0) => {
                self.msg(format!("{name}: file format not recognized"));
                false
            }
            Ok(_) => true,
        }
    }

    /// GNU's `map_over_members` (t, p, x).
    fn map_over_members(
        &mut self,
        ed: &Editable,
        files: &[String],
        mut f: impl FnMut(&mut Self, &Entry) -> Result<(), Exit>,
    ) -> Result<(), Exit> {
        if files.is_empty() {
            for e in &ed.entries {
                f(self, e)?;
            }
            return Ok(());
        }
        let mut used = vec![false; ed.entries.len()];
        for file in files {
            let want = self.normalize(file);
            let mut found = false;
            let mut matches = 0;
            for (k, e) in ed.entries.iter().enumerate() {
                if used[k] {
                    continue;
                }
                let name = if ed.thin { self.normalize(&e.filename) } else { e.filename.clone() };
                if name == want {
                    matches += 1;
                    if self.o.counted && matches != self.count {
                        continue;
                    }
                    found = true;
                    f(self, e)?;
                    used[k] = true;
                    break;
                }
            }
            if !found {
                let _ = self.out.flush();
                let _ = writeln!(self.err, "no entry {file} in archive");
            }
        }
        Ok(())
    }

    fn print_descr(&mut self, e: &Entry) -> Result<(), Exit> {
        let mut line = if self.o.verbose { long_form(e) } else { String::new() };
        line.push_str(&e.filename);
        // GNU shows the data offset of members stored in an archive (not of thin archives' files).
        let in_file = matches!(
            e.content,
            archive_edit::Content::Member(libwrap::archive::MemberData::File(_) | libwrap::archive::MemberData::Missing(_))
        );
        if self.o.display_offsets && e.from_archive && e.data_offset != 0 && !in_file {
            line.push_str(&format!(" 0x{:x}", e.data_offset));
        }
        line.push('\n');
        let _ = self.out.write_all(line.as_bytes());
        Ok(())
    }

    fn print_contents(&mut self, e: &Entry) -> Result<(), Exit> {
        if self.o.verbose {
            let _ = write!(self.out, "\n<{}>\n\n", e.filename);
        }
        match e.content.bytes() {
            Ok(b) => {
                let _ = self.out.write_all(b);
                Ok(())
            }
            Err(m) => Err(self.fatal(format!("{}: {m}", e.filename))),
        }
    }

    /// GNU's `extract_file`, writing safely: the path is checked (no absolute path, no `..`, no
    /// symbolic link on the way), and the file is written beside its target and renamed over it.
    fn extract(&mut self, e: &Entry) -> Result<(), Exit> {
        let mut member = e.filename.clone();
        if !archive_edit::is_valid_archive_path(&member) {
            let base = archive_edit::basename(&member).to_string();
            self.msg(format!("illegal output pathname for archive member: {member}, using '{base}' instead"));
            member = base;
        }
        let name = match self.o.output_dir.as_deref() {
            Some(dir) if !dir.is_empty() => {
                if dir.ends_with('/') {
                    format!("{dir}{member}")
                } else {
                    format!("{dir}/{member}")
                }
            }
            _ => member.clone(),
        };
        if self.o.verbose {
            let _ = writeln!(self.out, "x - {name}");
        }
        let bytes = match e.content.bytes() {
            Ok(b) => b,
            Err(m) => return Err(self.fatal(format!("{}: {m}", e.filename))),
        };
        // A member path with directories (archives made with `P`) must not lead out of the
        // extraction directory through a symbolic link found there.
        let base = Path::new(&name).ancestors().nth(Path::new(&member).components().count()).unwrap_or(Path::new(""));
        if let Some(link) = symbolic_link_between(base, Path::new(&name)) {
            self.msg(format!("{name}: not extracted: {} is a symbolic link", link.display()));
            self.status = 1;
            return Ok(());
        }
        if let Err(msg) = write_member_file(Path::new(&name), bytes, e.mode, self.o.preserve_dates.then_some(e.date)) {
            let _ = self.out.flush();
            let _ = writeln!(self.err, "{name}: {msg}");
            return Err(Exit(1));
        }
        Ok(())
    }

    /// GNU's `get_pos_bfd`: the index new entries go to.
    fn pos_index(&self, ed: &Editable, default: Pos, default_name: Option<&str>, ctx: &Ctx) -> usize {
        let (pos, name) = match self.o.postype {
            None => (default, default_name.map(str::to_string)),
            Some(p) => (p, ctx.posname.clone()),
        };
        if pos == Pos::End {
            return ed.entries.len();
        }
        for (k, e) in ed.entries.iter().enumerate() {
            if Some(e.filename.as_str()) == name.as_deref() {
                return if pos == Pos::After { k + 1 } else { k };
            }
        }
        ed.entries.len()
    }

    fn delete_members(&mut self, ed: &mut Editable, files: &[String], ctx: &Ctx) -> Result<bool, Exit> {
        let mut changed = false;
        for file in files {
            if file == "__.SYMDEF" {
                ed.had_index = false;
                self.o.write_armap = Armap::Omit;
                continue;
            }
            let want = self.normalize(file);
            let mut matches = 0;
            let mut found = false;
            let mut k = 0;
            while k < ed.entries.len() {
                if ed.entries[k].filename == want {
                    matches += 1;
                    if !(self.o.counted && matches != ctx.count) {
                        found = true;
                        changed = true;
                        if self.o.verbose {
                            let _ = writeln!(self.out, "d - {file}");
                        }
                        ed.entries.remove(k);
                        break;
                    }
                }
                k += 1;
            }
            if self.o.verbose && !found {
                let _ = writeln!(self.out, "No member named `{file}'");
            }
        }
        if changed {
            self.write_archive(ed)?;
        }
        Ok(changed)
    }

    fn move_members(&mut self, ed: &mut Editable, files: &[String], ctx: &Ctx) -> Result<bool, Exit> {
        for file in files {
            let want = self.normalize(file);
            let Some(k) = ed.entries.iter().position(|e| e.filename == want) else {
                return Err(self.fatal(format!("no entry {file} in archive {}!", ed.path)));
            };
            let entry = ed.entries.remove(k);
            let at = self.pos_index(ed, Pos::End, None, ctx);
            ed.entries.insert(at, entry);
            if self.o.verbose {
                let _ = writeln!(self.out, "m - {file}");
            }
        }
        self.write_archive(ed)?;
        Ok(true)
    }

    /// Opens a file to add. When appending (`flatten`) to a thin archive, an archive file is
    /// flattened into its members (an empty one adds nothing); a file replacing a member is
    /// added as it is (GNU's `ar_emul_append` and `ar_emul_replace`).
    fn new_entries(&mut self, file: &str, ctx: &Ctx, flatten: bool) -> Result<Vec<Entry>, Exit> {
        if file == "__.LIBDEP"
            && let Some(e) = &ctx.libdeps
        {
            return Ok(vec![e.clone()]);
        }
        let entry = archive_edit::entry_from_file(file, self.deterministic()).map_err(|e| self.fatal(bfd_message(&e)))?;
        let is_archive = entry.content.bytes().map(libwrap::archive::is_archive).unwrap_or(false);
        if !(flatten && self.o.thin && is_archive) {
            return Ok(vec![entry]);
        }
        let nested = archive_edit::load(file).map_err(|e| self.fatal(cli::gnu_message(&e)))?;
        // Still archive elements: a later file of the same command replaces them.
        Ok(archive_edit::thin_elements(nested, file))
    }

    fn replace_members(&mut self, ed: &mut Editable, files: &[String], quick: bool, ctx: &Ctx) -> Result<bool, Exit> {
        let mut changed = false;
        'files: for file in files {
            if !quick {
                let want = self.normalize(file);
                let existing = ed.entries.iter().position(|e| e.from_archive && self.normalize(&e.filename) == want);
                if let Some(k) = existing {
                    if self.o.newer_only {
                        match std::fs::metadata(file) {
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue 'files,
                            Err(e) => return Err(self.fatal(format!("{file}: {}", libwrap::error::io_message(&e)))),
                            Ok(m) => {
                                use std::os::unix::fs::MetadataExt;
                                if m.mtime() <= ed.entries[k].date as i64 {
                                    continue 'files;
                                }
                            }
                        }
                    }
                    let current_name = ed.entries[k].filename.clone();
                    let mut new = self.new_entries(file, ctx, false)?;
                    let at = self.pos_index(ed, Pos::After, Some(&current_name), ctx);
                    if self.o.verbose {
                        for e in &new {
                            let _ = writeln!(self.out, "r - {}", e.filename);
                        }
                    }
                    // Insert, then snip the old entry out (it is before `at` unless moved).
                    let n = new.len();
                    for (j, e) in new.drain(..).enumerate() {
                        ed.entries.insert(at + j, e);
                    }
                    let old = if k < at { k } else { k + n };
                    ed.entries.remove(old);
                    changed = true;
                    continue 'files;
                }
            }
            let at = self.pos_index(ed, Pos::End, None, ctx);
            let new = self.new_entries(file, ctx, true)?;
            for (j, e) in new.into_iter().enumerate() {
                if self.o.verbose {
                    let _ = writeln!(self.out, "a - {}", e.filename);
                }
                ed.entries.insert(at + j, e);
                changed = true;
            }
        }
        if changed {
            self.write_archive(ed)?;
        }
        Ok(changed)
    }
}

struct Ctx {
    posname: Option<String>,
    count: i64,
    libdeps: Option<Entry>,
}

/// The message of `bfd_fatal(file)`: `file: strerror` for system errors.
/// llvm-ar's test hook `SYM64_THRESHOLD`: the member offset from which the index is 64-bit, so
/// that tests need no 4 GiB archives.
fn sym64_threshold() -> Option<u64> {
    std::env::var("SYM64_THRESHOLD").ok().and_then(|v| v.parse().ok())
}

fn bfd_message(e: &libwrap::Error) -> String {
    match e {
        // bfd opens a directory fine and then recognises no format in it.
        libwrap::Error::Io { path, source } if source.kind() == std::io::ErrorKind::IsADirectory => {
            format!("{path}: file format not recognized")
        }
        libwrap::Error::Io { path, source } => format!("{path}: {}", libwrap::error::io_message(source)),
        other => other.to_string(),
    }
}

/// ar's key letters: a first word without a dash becomes one option per letter.
fn explode_first(args: &[String]) -> Vec<String> {
    match args.first() {
        Some(first) if !first.starts_with('-') => first.chars().map(|c| format!("-{c}")).chain(args[1..].iter().cloned()).collect(),
        _ => args.to_vec(),
    }
}

/// C's `atoi`: leading whitespace, sign, digits; anything else stops.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n: i64 = digits.chars().take_while(char::is_ascii_digit).take(18).collect::<String>().parse().unwrap_or(0);
    if neg { -n } else { n }
}

/// The `tv` columns before the name: `rw-r--r-- 0/0   1234 Jan  1 00:00 1970 `.
fn long_form(e: &Entry) -> String {
    format!("{} {}/{} {:>6} {} ", &mode_string(e.mode)[1..], e.uid as i64, e.gid as i64, e.size, ctime_posix(e.date as i64))
}

/// filemode.c's `mode_string` (10 characters; the caller skips the type letter).
fn mode_string(mode: u64) -> String {
    let m = mode as u32;
    let ftype = match m & 0o170000 {
        0o040000 => 'd',
        0o020000 => 'c',
        0o060000 => 'b',
        0o100000 => '-',
        0o120000 => 'l',
        0o140000 => 's',
        0o010000 => 'p',
        _ => '?',
    };
    let bit = |b: u32, c: char| if m & b != 0 { c } else { '-' };
    let special = |x: u32, s: u32, on: char, off: char| match (m & x != 0, m & s != 0) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    [
        ftype,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(0o100, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(0o010, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(0o001, 0o1000, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// `%.12s %.4s` of `ctime(t)` in the local time zone ("Jan  1 00:00 1970").
fn ctime_posix(t: i64) -> String {
    // SAFETY: localtime_r writes only into `tm`, which lives on this stack frame.
    #[allow(unsafe_code)]
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let tt: libc::time_t = t as libc::time_t;
        if libc::localtime_r(&tt, &mut tm).is_null() {
            return "<time data corrupt>".to_string();
        }
        tm
    };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {:>2} {:02}:{:02} {}",
        MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("???"),
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_year + 1900
    )
}

/// The first directory of `path` below `base` that is a symbolic link, if any.
fn symbolic_link_between(base: &Path, path: &Path) -> Option<PathBuf> {
    let rest = path.strip_prefix(base).ok()?.parent()?;
    let mut at = base.to_path_buf();
    for c in rest.components() {
        at.push(c);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(at);
        }
    }
    None
}

/// Writes an extracted member through a temporary file renamed over the target (so a symbolic
/// link at the target is replaced, not followed); sets the member's mode (and date with `o`).
fn write_member_file(path: &Path, bytes: &[u8], mode: u64, date: Option<u64>) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    if std::fs::symlink_metadata(path).map(|m| m.is_dir()).unwrap_or(false) {
        return Err("Is a directory".to_string());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".tl-ar-x").tempfile_in(&dir).map_err(|e| libwrap::error::io_message(&e))?;
    tmp.write_all(bytes).map_err(|e| libwrap::error::io_message(&e))?;
    let perms = std::fs::Permissions::from_mode((mode as u32) & 0o7777);
    std::fs::set_permissions(tmp.path(), perms).map_err(|e| libwrap::error::io_message(&e))?;
    if let Some(d) = date {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(d);
        let _ = tmp.as_file().set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t));
    }
    tmp.persist(path).map_err(|e| libwrap::error::io_message(&e.error))?;
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// MRI scripts

/// Runs tl-ar; returns the exit status.
pub fn run(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    run_tool(args, out, err, false)
}

/// Runs tl-ranlib; returns the exit status.
pub fn run_ranlib(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    run_tool(args, out, err, true)
}

fn run_tool(args: Vec<OsString>, out: &mut dyn Write, err: &mut dyn Write, ranlib: bool) -> i32 {
    let prog = cli::program_name(&args, if ranlib { "tl-ranlib" } else { "tl-ar" });
    let args = cli::expand_args(args);
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut ar = Ar { prog, out, err, o: Opts::default(), interactive: false, count: 0, status: 0 };
    let result = if ranlib { ar.ranlib_main(args) } else { ar.main(args) };
    let result = match result {
        Ok(()) if ar.status != 0 => Err(Exit(ar.status)),
        other => other,
    };
    let _ = ar.out.flush();
    match result {
        Ok(()) => 0,
        Err(Exit(code)) => code,
    }
}

/// Entry point of tl-ar.
pub fn main() -> i32 {
    cli::with_stdio(run)
}

/// Entry point of tl-ranlib.
pub fn ranlib_main() -> i32 {
    cli::with_stdio(run_ranlib)
}
