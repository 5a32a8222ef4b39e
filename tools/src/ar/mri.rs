//! GNU ar's MRI scripts (`ar -M`): the lexer, the commands, and what they do to the archive
//! being built.

use std::io::BufRead;

use libwrap::archive::edit::{self as archive_edit, Editable, Entry, SaveOptions};

use super::{Ar, Exit, long_form, sym64_threshold};
use crate::cli;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Kw(&'static str),
    Name(String),
    LParen,
    RParen,
    Comma,
}

/// GNU's keywords, and llvm-ar's CREATETHIN.
const KEYWORDS: &[&str] = &[
    "ADDLIB",
    "ADDMOD",
    "CLEAR",
    "CREATE",
    "CREATETHIN",
    "DELETE",
    "DIRECTORY",
    "END",
    "EXTRACT",
    "FULLDIR",
    "HELP",
    "LIST",
    "OPEN",
    "REPLACE",
    "VERBOSE",
    "SAVE",
];

/// The MRI lexer for one logical line (continuations already joined). Characters the lexer does
/// not know are echoed to standard output, as flex does.
fn mri_tokens(line: &str, echo: &mut Vec<u8>) -> Vec<Tok> {
    let mut toks = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || b"/\\$:.-_+".contains(&c);
    while i < b.len() {
        let c = b[i];
        match c {
            b'*' | b';' => break,
            b' ' => i += 1,
            b'(' => {
                toks.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                toks.push(Tok::RParen);
                i += 1;
            }
            b',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            c if is_name(c) => {
                let start = i;
                while i < b.len() && is_name(b[i]) {
                    i += 1;
                }
                let word = &line[start..i];
                // flex takes the longest match: a keyword only when the word is exactly one.
                match KEYWORDS.iter().find(|k| **k == word || k.to_ascii_lowercase() == word) {
                    Some(k) => toks.push(Tok::Kw(k)),
                    None => toks.push(Tok::Name(word.to_string())),
                }
            }
            other => {
                echo.push(other);
                i += 1;
            }
        }
    }
    toks
}

/// A list of module names: `name [,] name …` (bison builds it reversed).
fn names(toks: &[Tok]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut expect_name = true;
    for t in toks {
        match t {
            Tok::Name(n) => {
                out.push(n.clone());
                expect_name = false;
            }
            Tok::Comma if !expect_name => expect_name = true,
            _ => return None,
        }
    }
    out.reverse();
    Some(out)
}

struct MriState {
    /// The archive being built: (real name, editable).
    archive: Option<(String, Editable)>,
    thin: bool,
}

impl Ar<'_> {
    pub(super) fn mri(&mut self) -> Result<(), Exit> {
        self.interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
        let stdin = std::io::stdin();
        let mut st = MriState { archive: None, thin: false };
        let mut linenumber = 0usize;
        let mut pending = String::new();
        let mut lines = stdin.lock().split(b'\n');
        loop {
            if self.interactive && pending.is_empty() {
                let _ = write!(self.out, "AR >");
                let _ = self.out.flush();
            }
            let Some(line) = lines.next() else { break };
            let line = String::from_utf8_lossy(&line.map_err(|_| Exit(1))?).into_owned();
            // "+\n" continues the line.
            if let Some(stripped) = line.strip_suffix('+') {
                linenumber += 1;
                pending.push_str(stripped);
                pending.push(' ');
                continue;
            }
            pending.push_str(&line);
            let text = std::mem::take(&mut pending);
            let mut echo = Vec::new();
            let toks = mri_tokens(&text, &mut echo);
            let _ = self.out.write_all(&echo);
            let done = self.mri_command(&toks, linenumber, &mut st)?;
            linenumber += 1;
            if done {
                return Ok(());
            }
        }
        Ok(())
    }

    fn syntax_error(&mut self, linenumber: usize) {
        let _ = writeln!(self.out, "Syntax error in archive script, line {}", linenumber + 1);
    }

    /// Runs one command; true after END.
    fn mri_command(&mut self, toks: &[Tok], linenumber: usize, st: &mut MriState) -> Result<bool, Exit> {
        let Some(first) = toks.first() else { return Ok(false) };
        let args = &toks[1..];
        let kw = match first {
            Tok::Kw(k) => *k,
            _ => {
                self.syntax_error(linenumber);
                if !args.is_empty() {
                    self.syntax_error(linenumber);
                }
                return Ok(false);
            }
        };
        match kw {
            "END" if args.is_empty() => return Ok(true),
            "CLEAR" | "LIST" | "SAVE" | "VERBOSE" if args.is_empty() => match kw {
                "CLEAR" => {
                    if let Some((_, ed)) = &mut st.archive {
                        ed.entries.clear();
                    }
                }
                "VERBOSE" => self.o.verbose = !self.o.verbose,
                "LIST" => self.mri_list(st)?,
                _ => self.mri_save(st)?,
            },
            "OPEN" | "CREATE" | "CREATETHIN" => match args {
                [Tok::Name(n)] => self.mri_open(n, kw != "OPEN", kw == "CREATETHIN", st)?,
                _ => self.syntax_error(linenumber),
            },
            "ADDMOD" | "DELETE" | "EXTRACT" | "REPLACE" => match names(args) {
                Some(list) => match kw {
                    "ADDMOD" => self.mri_addmod(&list, st)?,
                    "DELETE" => self.mri_delete(&list, st)?,
                    "EXTRACT" => self.mri_extract(&list, st)?,
                    _ => self.mri_replace(&list, st)?,
                },
                None => self.syntax_error(linenumber),
            },
            "ADDLIB" | "DIRECTORY" => {
                let Some(Tok::Name(lib)) = args.first() else {
                    self.syntax_error(linenumber);
                    return Ok(false);
                };
                let mut rest = &args[1..];
                let mut list = None;
                if rest.first() == Some(&Tok::LParen) {
                    let Some(close) = rest.iter().position(|t| *t == Tok::RParen) else {
                        self.syntax_error(linenumber);
                        return Ok(false);
                    };
                    match names(&rest[1..close]) {
                        Some(l) => list = Some(l),
                        None => {
                            self.syntax_error(linenumber);
                            return Ok(false);
                        }
                    }
                    rest = &rest[close + 1..];
                }
                let out_file = match (kw, rest) {
                    (_, []) => None,
                    ("DIRECTORY", [Tok::Name(f)]) => Some(f.clone()),
                    _ => {
                        self.syntax_error(linenumber);
                        return Ok(false);
                    }
                };
                if kw == "ADDLIB" {
                    self.mri_addlib(lib, list.as_deref(), st)?;
                } else {
                    self.mri_directory(lib, list.as_deref(), out_file.as_deref())?;
                }
            }
            _ => self.syntax_error(linenumber),
        }
        Ok(false)
    }

    /// An MRI error: GNU's message, then `maybequit` (the script stops unless interactive).
    fn mri_error(&mut self, message: impl std::fmt::Display) -> Result<(), Exit> {
        let _ = writeln!(self.err, "{}: {message}", self.prog);
        match self.maybequit() {
            Exit(0) => Ok(()),
            e => Err(e),
        }
    }

    /// Reads the archive `lib` (ADDLIB, DIRECTORY); `None` after an error an interactive session
    /// goes on from.
    fn mri_read_lib(&mut self, lib: &str) -> Result<Option<Editable>, Exit> {
        let saved = self.o.op;
        self.o.op = None;
        let opened = self.open_inarch(lib, false);
        self.o.op = saved;
        match opened {
            Ok((ed, _)) => Ok(Some(ed)),
            Err(Exit(0)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// True when an archive is open; otherwise reports `what` as an MRI error.
    fn mri_need(&mut self, st: &MriState, what: &str) -> Result<bool, Exit> {
        if st.archive.is_none() {
            self.mri_error(what)?;
            return Ok(false);
        }
        Ok(true)
    }

    fn mri_open(&mut self, name: &str, create: bool, thin: bool, st: &mut MriState) -> Result<(), Exit> {
        if create {
            st.archive = Some((name.to_string(), archive_edit::empty(name, thin)));
            st.thin = thin;
            return Ok(());
        }
        match archive_edit::load(name) {
            Ok(mut ed) => {
                ed.thin = false;
                st.archive = Some((name.to_string(), ed));
                Ok(())
            }
            Err(libwrap::Error::Io { .. }) => self.mri_error(format!("Can't open input archive {name}")),
            Err(_) => self.mri_error(format!("file {name} is not an archive")),
        }
    }

    fn mri_addmod(&mut self, list: &[String], st: &mut MriState) -> Result<(), Exit> {
        if !self.mri_need(st, "no open output archive")? {
            return Ok(());
        }
        for m in list {
            match archive_edit::entry_from_file(m, self.deterministic()) {
                Ok(e) => st.archive.as_mut().unwrap().1.entries.insert(0, e),
                Err(_) => self.mri_error(format!("can't open file {m}"))?,
            }
        }
        Ok(())
    }

    fn mri_addlib(&mut self, lib: &str, list: Option<&[String]>, st: &mut MriState) -> Result<(), Exit> {
        if st.archive.is_none() {
            return self.mri_error("no output archive specified yet");
        }
        let Some(src) = self.mri_read_lib(lib)? else { return Ok(()) };
        let out = &mut st.archive.as_mut().unwrap().1;
        match list {
            None => {
                for e in src.entries {
                    out.entries.insert(0, e);
                }
            }
            Some(list) => {
                for name in list {
                    let found: Vec<Entry> = src.entries.iter().filter(|e| e.filename == *name).cloned().collect();
                    if found.is_empty() {
                        let _ = writeln!(self.err, "No entry {name} in archive.");
                    }
                    for e in found {
                        out.entries.insert(0, e);
                    }
                }
            }
        }
        Ok(())
    }

    fn mri_delete(&mut self, list: &[String], st: &mut MriState) -> Result<(), Exit> {
        if !self.mri_need(st, "no open output archive")? {
            return Ok(());
        }
        for m in list {
            let ed = &mut st.archive.as_mut().unwrap().1;
            let before = ed.entries.len();
            ed.entries.retain(|e| e.filename != *m);
            if ed.entries.len() == before {
                self.mri_error(format!("can't find module file {m}"))?;
            }
        }
        Ok(())
    }

    fn mri_replace(&mut self, list: &[String], st: &mut MriState) -> Result<(), Exit> {
        if !self.mri_need(st, "no open output archive")? {
            return Ok(());
        }
        for m in list {
            let det = self.deterministic();
            let ed = &mut st.archive.as_mut().unwrap().1;
            let pos = ed.entries.iter().position(|e| e.filename == *m);
            if pos.is_none() {
                let _ = writeln!(self.err, "{}: can't find module file {m}", self.prog);
            }
            match archive_edit::entry_from_file(m, det) {
                Ok(e) => {
                    let ed = &mut st.archive.as_mut().unwrap().1;
                    match pos {
                        Some(k) => ed.entries[k] = e,
                        None => ed.entries.push(e),
                    }
                }
                Err(_) => self.mri_error(format!("can't open file {m}"))?,
            }
        }
        Ok(())
    }

    fn mri_extract(&mut self, list: &[String], st: &mut MriState) -> Result<(), Exit> {
        if st.archive.is_none() {
            return self.mri_error("no open archive");
        }
        for m in list {
            let found = st.archive.as_ref().unwrap().1.entries.iter().find(|e| e.filename == *m).cloned();
            match found {
                // GNU cannot stat a member added from a file as an archive element.
                Some(e) if !e.from_archive => return Err(self.fatal(format!("internal stat error on {m}"))),
                Some(e) => self.extract(&e)?,
                None => {
                    let _ = writeln!(self.err, "{}: can't find module file {m}", self.prog);
                }
            }
        }
        Ok(())
    }

    fn mri_list(&mut self, st: &MriState) -> Result<(), Exit> {
        if !self.mri_need(st, "no open output archive")? {
            return Ok(());
        }
        self.o.verbose = true;
        let (name, ed) = st.archive.as_ref().unwrap();
        let _ = writeln!(self.out, "Current open archive is {name}");
        let entries = ed.entries.clone();
        for e in &entries {
            if e.from_archive {
                self.print_descr(e)?;
            } else {
                let _ = writeln!(self.out, "{}", e.filename);
            }
        }
        Ok(())
    }

    fn mri_directory(&mut self, lib: &str, list: Option<&[String]>, out_file: Option<&str>) -> Result<(), Exit> {
        let Some(src) = self.mri_read_lib(lib)? else { return Ok(()) };
        let mut text: Vec<u8> = Vec::new();
        {
            let selected: Vec<&Entry> = match list {
                None => src.entries.iter().collect(),
                Some(l) => {
                    let mut v = Vec::new();
                    for name in l {
                        let found: Vec<&Entry> = src.entries.iter().filter(|e| e.filename == *name).collect();
                        if found.is_empty() {
                            let _ = writeln!(self.err, "No entry {name} in archive.");
                        }
                        v.extend(found);
                    }
                    v
                }
            };
            let verbose = self.o.verbose;
            for e in selected {
                if verbose {
                    text.extend(long_form(e).bytes());
                }
                text.extend(e.filename.bytes());
                text.push(b'\n');
            }
        }
        match out_file {
            Some(f) => {
                if std::fs::write(f, &text).is_err() {
                    let _ = writeln!(self.err, "Can't open file {f}");
                    let _ = self.out.write_all(&text);
                }
            }
            None => {
                let _ = self.out.write_all(&text);
            }
        }
        Ok(())
    }

    fn mri_save(&mut self, st: &mut MriState) -> Result<(), Exit> {
        if !self.mri_need(st, "no open output archive")? {
            return Ok(());
        }
        let (name, mut ed) = st.archive.take().unwrap();
        let _lock = self.lock(&name)?;
        ed.path = name;
        let opts = SaveOptions {
            thin: st.thin,
            full_path: false,
            truncate: false,
            index: true,
            deterministic: self.deterministic(),
            sym64_threshold: sym64_threshold(),
        };
        let warnings = archive_edit::save(&ed, &opts).map_err(|e| self.fatal(cli::gnu_message(&e)))?;
        for w in warnings {
            self.msg(w);
        }
        Ok(())
    }
}
