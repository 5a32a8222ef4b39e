//! The symbols module-level inline asm defines and uses, for modules without an irsymtab
//! (`llvm-cat -b` output, old `llvm-as` output), as LLVM's `ModuleSymbolTable` collects them
//! through `RecordStreamer`.
//!
//! LLVM parses the asm with the target's parser and records one state per symbol: a label,
//! `.set`/`.equ`/`=` or `.comm` defines it; `.globl` makes it global, `.weak` weak; an
//! instruction or data operand uses it; `.symver NAME, ALIAS` adds ALIAS with NAME's state.
//! The states become flags: defined global `T`, defined `t`, weak defined `W`, weak undefined
//! `w`, global or used but undefined `U` (every defined asm symbol is executable to llvm-nm,
//! whatever its section). `.L` labels are listed too, each `N:` directional label is a
//! `.LtmpK` symbol, and a `.` in an expression is one unnamed defined symbol. A symbol the IR
//! also defines is listed twice, as LLVM does. The order is first-seen, not LLVM's (a hash
//! map's), so only sorted listings equal llvm-nm's.
//!
//! This reader knows x86 AT&T syntax and the plain directives; for anything else (another
//! architecture, `.intel_syntax`, macros, conditionals, includes) it reads nothing and says so.

use std::collections::HashMap;

use crate::bitcode::irsymtab::flag;

/// A symbol's state in LLVM's RecordStreamer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Used,
    Global,
    Defined,
    DefinedGlobal,
    DefinedWeak,
    UndefinedWeak,
}

impl State {
    fn flags(self) -> u32 {
        match self {
            State::DefinedGlobal => flag::GLOBAL | flag::EXECUTABLE,
            State::Defined => flag::EXECUTABLE,
            State::Global | State::Used => flag::UNDEFINED | flag::GLOBAL,
            State::DefinedWeak => flag::WEAK | flag::GLOBAL | flag::EXECUTABLE,
            State::UndefinedWeak => flag::WEAK | flag::UNDEFINED,
        }
    }
}

/// A directional label number's symbols: (the current `.LtmpK`, a pending forward one).
type Directional = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The symbols recorded from a module's asm, in first-seen order.
#[derive(Default)]
struct Recorder {
    order: Vec<Vec<u8>>,
    states: HashMap<Vec<u8>, State>,
    symvers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Directional labels by number.
    directional: HashMap<u32, Directional>,
    temps: u32,
}

impl Recorder {
    fn entry(&mut self, name: &[u8]) -> Option<State> {
        self.states.get(name).copied()
    }

    fn set(&mut self, name: &[u8], s: State) {
        if self.states.insert(name.to_vec(), s).is_none() {
            self.order.push(name.to_vec());
        }
    }

    fn defined(&mut self, name: &[u8]) {
        let s = match self.entry(name) {
            None | Some(State::Used) => State::Defined,
            Some(State::Global) => State::DefinedGlobal,
            Some(State::UndefinedWeak) => State::DefinedWeak,
            Some(s) => s,
        };
        self.set(name, s);
    }

    fn global(&mut self, name: &[u8], weak: bool) {
        let s = match (self.entry(name), weak) {
            (Some(State::Defined | State::DefinedGlobal), true) => State::DefinedWeak,
            (Some(State::Defined | State::DefinedGlobal), false) => State::DefinedGlobal,
            (None | Some(State::Global | State::Used), true) => State::UndefinedWeak,
            (None | Some(State::Global | State::Used), false) => State::Global,
            (Some(s @ (State::UndefinedWeak | State::DefinedWeak)), _) => s,
        };
        self.set(name, s);
    }

    fn used(&mut self, name: &[u8]) {
        if self.entry(name).is_none() {
            self.set(name, State::Used);
        }
    }

    fn temp(&mut self) -> Vec<u8> {
        let name = format!(".Ltmp{}", self.temps).into_bytes();
        self.temps += 1;
        name
    }

    /// `N:`: defines the pending forward symbol of N, or a new one.
    fn directional_label(&mut self, n: u32) {
        let pending = self.directional.get_mut(&n).and_then(|e| e.1.take());
        let sym = pending.unwrap_or_else(|| self.temp());
        self.defined(&sym);
        self.directional.entry(n).or_default().0 = Some(sym);
    }

    /// `Nb` / `Nf` as an operand.
    fn directional_use(&mut self, n: u32, forward: bool) {
        let sym = if forward {
            match self.directional.get(&n).and_then(|e| e.1.clone()) {
                Some(s) => s,
                None => {
                    let s = self.temp();
                    self.directional.entry(n).or_default().1 = Some(s.clone());
                    s
                }
            }
        } else {
            match self.directional.get(&n).and_then(|e| e.0.clone()) {
                Some(s) => s,
                None => return,
            }
        };
        self.used(&sym);
    }
}

/// Directives that stop the reader: their effect needs a real assembler.
const UNREADABLE: &[&str] = &[
    ".intel_syntax",
    ".macro",
    ".rept",
    ".irp",
    ".irpc",
    ".if",
    ".ifdef",
    ".ifndef",
    ".include",
    ".incbin",
    ".altmacro",
    ".purgem",
    ".code16",
    ".code32",
];

/// Instruction prefixes: the instruction follows.
const PREFIXES: &[&str] = &["rep", "repe", "repz", "repne", "repnz", "lock", "notrack", "data16", "addr32", "xacquire", "xrelease"];

/// Directives whose operands are expressions that use symbols.
const DATA: &[&str] = &[
    ".long", ".quad", ".word", ".short", ".int", ".byte", ".value", ".2byte", ".4byte", ".8byte", ".dc.a", ".dc.l", ".dc.w", ".dc.b",
    ".uleb128", ".sleb128", ".reloc",
];

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.' || c == b'$'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

/// The statements of x86 GAS text: comments (`#`, `/* */`) removed, split at newlines and `;`,
/// strings kept whole.
fn statements(asm: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    let mut i = 0;
    while i < asm.len() {
        let c = asm[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while i < asm.len() && asm[i] != b'"' {
                    i += if asm[i] == b'\\' { 2 } else { 1 };
                }
                let end = (i + 1).min(asm.len());
                out.last_mut().unwrap().extend_from_slice(&asm[start..end]);
            }
            b'#' => {
                while i < asm.len() && asm[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if asm.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < asm.len() && !(asm[i] == b'*' && asm[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'\n' | b';' => out.push(Vec::new()),
            _ => out.last_mut().unwrap().push(c),
        }
        i += 1;
    }
    out
}

/// Marks the symbols an operand expression uses (registers `%r`, numbers, strings and
/// `@` relocation specifiers are not symbols; `Nb`/`Nf` are directional labels).
fn use_operands(r: &mut Recorder, text: &[u8]) {
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        if c == b'"' {
            i += 1;
            while i < text.len() && text[i] != b'"' {
                i += if text[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == b'%' || c == b'@' {
            // A register or a relocation specifier (@PLT, @GOTPCREL).
            i += 1;
            while i < text.len() && is_ident(text[i]) {
                i += 1;
            }
        } else if c.is_ascii_digit() {
            let start = i;
            while i < text.len() && text[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let tok = &text[start..i];
            if let [digits @ .., dir @ (b'b' | b'f')] = tok
                && let Some(n) = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok())
            {
                r.directional_use(n, *dir == b'f');
            }
        } else if is_ident_start(c) && !(c == b'$' && text.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = if c == b'$' { i + 1 } else { i };
            i += 1;
            while i < text.len() && is_ident(text[i]) {
                i += 1;
            }
            match &text[start..i] {
                b"" => {}
                b"." => r.defined(b""), // the location counter: an unnamed temporary label
                name => r.used(name),
            }
        } else {
            i += 1;
        }
    }
}

fn names(args: &[u8]) -> impl Iterator<Item = &[u8]> {
    args.split(|&c| c == b',').map(<[u8]>::trim_ascii).filter(|n| !n.is_empty())
}

/// Reads one statement; false when it needs a real assembler.
fn statement(r: &mut Recorder, mut s: &[u8]) -> bool {
    loop {
        s = s.trim_ascii();
        if s.is_empty() {
            return true;
        }
        // Labels: `name:` or `N:` (several may precede a statement).
        let end = s.iter().position(|&c| !(is_ident(c) || c.is_ascii_digit())).unwrap_or(s.len());
        if end > 0 && s.get(end) == Some(&b':') {
            let label = &s[..end];
            match std::str::from_utf8(label).ok().and_then(|l| l.parse::<u32>().ok()) {
                Some(n) => r.directional_label(n),
                None => r.defined(label),
            }
            s = &s[end + 1..];
            continue;
        }
        break;
    }
    let word_end = s.iter().position(|c| c.is_ascii_whitespace() || *c == b',').unwrap_or(s.len());
    let (word, args) = (&s[..word_end], s[word_end..].trim_ascii());
    let word_str = String::from_utf8_lossy(word).to_ascii_lowercase();
    if PREFIXES.contains(&word_str.as_str()) {
        return statement(r, args);
    }
    // `name = expr`
    if let Some(expr) = args.strip_prefix(b"=")
        && !word.starts_with(b".")
    {
        r.defined(word);
        use_operands(r, expr);
        return true;
    }
    match word_str.as_str() {
        w if UNREADABLE.contains(&w) => return false,
        ".globl" | ".global" => names(args).for_each(|n| r.global(n, false)),
        ".weak" => names(args).for_each(|n| r.global(n, true)),
        ".set" | ".equ" | ".equiv" => {
            let (name, expr) = match args.iter().position(|&c| c == b',') {
                Some(p) => (args[..p].trim_ascii(), &args[p + 1..]),
                None => return false,
            };
            r.defined(name);
            use_operands(r, expr);
        }
        ".comm" => {
            if let Some(n) = names(args).next() {
                r.defined(n);
            }
        }
        ".symver" => {
            let mut it = names(args);
            let (Some(name), Some(alias)) = (it.next(), it.next()) else { return false };
            r.symvers.push((name.to_vec(), alias.to_vec()));
        }
        w if DATA.contains(&w) => use_operands(r, args),
        ".size" => {
            // Not a use of the symbol; a `.` in the size is the unnamed temporary label.
            let size = args.iter().position(|&c| c == b',').map_or(&[][..], |p| &args[p + 1..]);
            if size.split(|c| !is_ident(*c)).any(|t| t == b".") {
                r.defined(b"");
            }
        }
        w if w.starts_with('.') => {} // sections, alignment, types, sizes, visibility, strings
        _ => use_operands(r, args),   // an instruction
    }
    true
}

/// `.symver NAME, ALIAS`, as RecordStreamer::flushSymverDirectives binds ALIAS: NAME's binding
/// and definedness in the asm, else from the IR (`ir_flags`); NAME itself is used.
fn symver(r: &mut Recorder, name: &[u8], alias: &[u8], ir_flags: Option<u32>) {
    let state = r.entry(name);
    let mut weak = match state {
        Some(State::Global | State::DefinedGlobal) => Some(false),
        Some(State::UndefinedWeak | State::DefinedWeak) => Some(true),
        _ => None,
    };
    let mut defined = matches!(state, Some(State::Defined | State::DefinedGlobal | State::DefinedWeak));
    if let Some(f) = ir_flags
        && (weak.is_none() || !defined)
    {
        if weak.is_none() {
            weak = match (f & flag::GLOBAL != 0, f & flag::WEAK != 0) {
                (true, false) => Some(false),
                (_, true) => Some(true),
                (false, false) => None, // local: no binding directive
            };
        }
        defined |= f & flag::UNDEFINED == 0;
    }
    if defined {
        r.defined(alias);
    }
    r.used(name);
    if let Some(w) = weak {
        r.global(alias, w);
    }
}

/// The symbols of module-level asm as (name, irsymtab flags), or `None` when the asm needs a
/// real assembler (or the target is not x86). `ir` gives the flags of the module's own
/// symbols, for `.symver` of an IR symbol.
pub(crate) fn read(asm: &str, triple: &str, ir: &dyn Fn(&[u8]) -> Option<u32>) -> Option<Vec<(Vec<u8>, u32)>> {
    let arch = triple.split('-').next().unwrap_or("");
    if !matches!(arch, "x86_64" | "i386" | "i486" | "i586" | "i686") {
        return None;
    }
    let mut r = Recorder::default();
    for s in statements(asm.as_bytes()) {
        if !statement(&mut r, &s) {
            return None;
        }
    }
    let symvers = std::mem::take(&mut r.symvers);
    for (name, alias) in symvers {
        symver(&mut r, &name, &alias, ir(&name));
    }
    Some(r.order.iter().map(|n| (n.clone(), r.states[n].flags())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_record_streamer() {
        let asm = ".globl g\ng: call u@PLT\n.weak w\nw: ret\nl: jmp 1f\n1: jmp 1b\n.weak wu\n.globl gu\n.set s, l\n";
        let syms = read(asm, "x86_64-pc-linux-gnu", &|_| None).unwrap();
        let letter = |n: &str| syms.iter().find(|(s, _)| s == n.as_bytes()).map(|(_, f)| crate::bitcode::symtab::letter(*f));
        assert_eq!(letter("g"), Some('T'));
        assert_eq!(letter("u"), Some('U'));
        assert_eq!(letter("w"), Some('W'));
        assert_eq!(letter("l"), Some('t'));
        assert_eq!(letter(".Ltmp0"), Some('t'));
        assert_eq!(letter("wu"), Some('w'));
        assert_eq!(letter("gu"), Some('U'));
        assert_eq!(letter("s"), Some('t'));
        assert_eq!(read(".macro m\n.endm\n", "x86_64-pc-linux-gnu", &|_| None), None);
        assert_eq!(read("nop\n", "aarch64-linux-gnu", &|_| None), None);
    }
}
