//! Command-line helpers shared by the tools: `@file` response files, GNU-style messages,
//! version text.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub mod collate;

/// Splits a response file's text the way libiberty's `buildargv` does: arguments separated by
/// whitespace; `'…'` and `"…"` quote (quotes removed); a backslash escapes the next character.
pub fn split_response(text: &[u8]) -> Vec<OsString> {
    let mut args = Vec::new();
    let mut cur = Vec::new();
    let mut in_arg = false;
    let (mut squote, mut dquote, mut escape) = (false, false, false);
    for &c in text {
        if escape {
            cur.push(c);
            escape = false;
            in_arg = true;
            continue;
        }
        if c == b'\\' {
            escape = true;
            in_arg = true;
            continue;
        }
        if squote {
            if c == b'\'' {
                squote = false
            } else {
                cur.push(c)
            }
            continue;
        }
        if dquote {
            if c == b'"' {
                dquote = false
            } else {
                cur.push(c)
            }
            continue;
        }
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' => {
                if in_arg {
                    args.push(OsString::from_vec(std::mem::take(&mut cur)));
                    in_arg = false;
                }
            }
            b'\'' => {
                squote = true;
                in_arg = true;
            }
            b'"' => {
                dquote = true;
                in_arg = true;
            }
            _ => {
                cur.push(c);
                in_arg = true;
            }
        }
    }
    if in_arg {
        args.push(OsString::from_vec(cur));
    }
    args
}

/// Expands `@file` arguments recursively (libiberty's `expandargv`): an `@file` that cannot be
/// read is kept as a literal argument. `args[0]` (the program name) is never expanded.
pub fn expand_args(args: Vec<OsString>) -> Vec<OsString> {
    fn expand(args: Vec<OsString>, depth: u32, out: &mut Vec<OsString>) {
        for a in args {
            let bytes = a.as_bytes();
            if depth < 32 && bytes.len() > 1 && bytes[0] == b'@' {
                let path = OsStr::from_bytes(&bytes[1..]);
                if let Ok(text) = std::fs::read(path)
                    && !std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
                {
                    expand(split_response(&text), depth + 1, out);
                    continue;
                }
            }
            out.push(a);
        }
    }
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter();
    if let Some(first) = it.next() {
        out.push(first);
    }
    expand(it.collect(), 0, &mut out);
    out
}

/// The tool name for messages: the basename of argv[0], or `default`.
pub fn program_name(args: &[OsString], default: &str) -> String {
    args.first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Writes `prog: message` to `err`.
pub fn error(err: &mut dyn Write, prog: &str, msg: impl std::fmt::Display) {
    let _ = writeln!(err, "{prog}: {msg}");
}

/// The message GNU binutils print for a libwrap error (`'x': No such file`,
/// `Warning: 'd' is a directory`, otherwise `file: what`).
pub fn gnu_message(e: &libwrap::Error) -> String {
    if let libwrap::Error::Io { path, source } = e {
        if source.kind() == std::io::ErrorKind::NotFound {
            return format!("'{path}': No such file");
        }
        if source.kind() == std::io::ErrorKind::IsADirectory {
            return format!("Warning: '{path}' is a directory");
        }
    }
    e.to_string()
}

/// binutils' `get_file_size`: the size of input `name`, or GNU's message for why it cannot be
/// read (missing, a directory, not an ordinary file).
pub fn get_file_size(name: &str) -> Result<u64, String> {
    match std::fs::metadata(name) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!("'{name}': No such file")),
        Err(e) => Err(format!("Warning: could not locate '{name}'.  reason: {}", libwrap::error::io_message(&e))),
        Ok(m) if m.is_dir() => Err(format!("Warning: '{name}' is a directory")),
        Ok(m) if !m.is_file() => Err(format!("Warning: '{name}' is not an ordinary file")),
        Ok(m) => Ok(m.len()),
    }
}

/// A command-line error of clap, in the words GNU's getopt uses: `unrecognized option
/// '--x'`, `invalid option -- 'x'`, `option '--x' requires an argument`, `option requires an
/// argument -- 'x'`; anything else by clap's first line.
pub fn getopt_message(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ErrorKind};
    let arg = e.get(ContextKind::InvalidArg).map(|v| v.to_string()).unwrap_or_default();
    let long = arg.starts_with("--");
    match e.kind() {
        ErrorKind::UnknownArgument if long => format!("unrecognized option '{arg}'"),
        ErrorKind::UnknownArgument => format!("invalid option -- '{}'", arg.trim_start_matches('-')),
        ErrorKind::InvalidValue | ErrorKind::NoEquals if long => {
            format!("option '{}' requires an argument", arg.split_whitespace().next().unwrap_or(&arg))
        }
        ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            format!("option requires an argument -- '{}'", arg.trim_start_matches('-').chars().next().unwrap_or('?'))
        }
        // A value parser's own message (e.g. nm's "unknown demangling style").
        ErrorKind::ValueValidation if std::error::Error::source(e).is_some() => {
            std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default()
        }
        _ => e.to_string().lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string(),
    }
}

/// What every tool's `--version` says it reads.
pub const READS: &str = "Reads ELF objects, archives, GCC LTO objects and LLVM bitcode from LLVM 14 to 22 \
     (tested; irsymtab versions 3 and 4), raw or ELF-wrapped, without plugins.\n";

/// The version banner: tl's version and the GNU tool it stands in for.
pub fn version_text(prog: &str, gnu: &str) -> String {
    format!(
        "{prog} (tl) {}\ntl: GNU-compatible {gnu} for ELF objects, archives and LLVM bitcode\n{READS}\
         This program is free software; you may redistribute it under the terms of\n\
         the MIT or Apache-2.0 license. This program has absolutely no warranty.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs a tool's `run(args, stdout, stderr)` on the process's arguments, with stdout buffered
/// (flushed before returning) as C stdio buffers it for GNU's tools; returns the exit status.
pub fn with_stdio(run: fn(Vec<OsString>, &mut dyn Write, &mut dyn Write) -> i32) -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let code = run(std::env::args_os().collect(), &mut out, &mut stderr.lock());
    let _ = out.flush();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_quoting_follows_libiberty() {
        let got = split_response(b"a 'b c' \"d e\" f\\ g h\\\"i\n");
        let want: Vec<OsString> = ["a", "b c", "d e", "f g", "h\"i"].iter().map(OsString::from).collect();
        assert_eq!(got, want);
    }
}
