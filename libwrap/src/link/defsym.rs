//! `--defsym SYMBOL=EXPRESSION` in a partial link, as GNU ld 2.40 evaluates it (measured
//! against `ld -r`):
//! - the expression is GNU ld's (numbers in C notation, `$`hex, `K`/`M` suffixes; names; C's
//!   binary and unary operators and precedence, `/` and `%` signed, no `?:`; `ABSOLUTE`,
//!   `DEFINED`, `MIN`, `MAX`), over the output's
//!   defined global symbols (their values: offsets in their output sections);
//! - a symbol named alone keeps its section; any other expression is absolute;
//! - when exactly one symbol is named, its type is copied, else a new symbol has none (an
//!   existing one keeps its type and size);
//! - the symbol is defined where it is (an undefined reference becomes the definition) or added
//!   as a global; a `--defsym` sees the symbols the others define, before or after it (those
//!   that name each other are not evaluated as GNU's several passes evaluate them: the first
//!   is reported as naming an undefined symbol);
//! - errors are GNU's, located as `--defsym:N:` (N: the option's place among the `--defsym`s;
//!   0 when an expression ends early):
//!   "syntax error", "undefined symbol `X' referenced in expression", and "--defsym:1 / by
//!   zero".

use std::borrow::Cow;

use super::script::expr::{EvalError, binary, binary_level};
use crate::elf::consts::{STB_GLOBAL, STB_LOCAL, STT_NOTYPE};
use crate::elf::{ElfObject, Symbol, SymbolSection};

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(u64),
    Name(String),
    Op(&'static str),
}

/// GNU's lexer in its `--defsym` state; `None` for a character it does not know.
fn lex(s: &str) -> Option<Vec<Token>> {
    const OPS: [&str; 23] =
        ["<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "!", "~", "(", ")", ","];
    // (`/` and `~` continue a name, as in GNU's lexer, but do not start one.)
    let name_start = |c: char| c.is_ascii_alphabetic() || "_.\\$".contains(c);
    let name_char = |c: char| c.is_ascii_alphanumeric() || "_./\\$~".contains(c);
    let b: Vec<char> = s.chars().collect();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == '$' && b.get(i + 1).is_some_and(char::is_ascii_hexdigit) {
            let j = (i + 1..b.len()).find(|&j| !b[j].is_ascii_hexdigit()).unwrap_or(b.len());
            let digits: String = b[i + 1..j].iter().collect();
            out.push(Token::Num(u64::from_str_radix(&digits, 16).unwrap_or(u64::MAX)));
            i = j;
        } else if c.is_ascii_digit() {
            let j = (i..b.len()).find(|&j| !b[j].is_ascii_alphanumeric()).unwrap_or(b.len());
            out.push(Token::Num(number(&b[i..j].iter().collect::<String>())?));
            i = j;
        } else if name_start(c) {
            let j = (i..b.len()).find(|&j| !name_char(b[j])).unwrap_or(b.len());
            out.push(Token::Name(b[i..j].iter().collect()));
            i = j;
        } else if c == '=' && b.get(i + 1) != Some(&'=') {
            out.push(Token::Op("="));
            i += 1;
        } else {
            let rest: String = b[i..].iter().take(2).collect();
            let op = OPS.iter().find(|op| rest.starts_with(*op))?;
            out.push(Token::Op(op));
            i += op.len();
        }
    }
    Some(out)
}

/// A number as GNU ld writes them: `0x` hex, `0` octal, decimal, a `K` or `M` suffix, or a
/// radix suffix (`h`, `o`).
pub(crate) fn number(t: &str) -> Option<u64> {
    let lower = t.to_ascii_lowercase();
    let (body, scale) = match lower.strip_suffix('k') {
        Some(b) => (b, 1024),
        None => match lower.strip_suffix('m') {
            Some(b) => (b, 1024 * 1024),
            None => (lower.as_str(), 1),
        },
    };
    let (digits, radix) = if let Some(h) = body.strip_prefix("0x") {
        (h, 16)
    } else if let Some(h) = body.strip_suffix('h') {
        (h, 16)
    } else if let Some(o) = body.strip_suffix('o') {
        (o, 8)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body, 10)
    };
    u64::from_str_radix(digits, radix).ok().map(|v| v.wrapping_mul(scale))
}

/// What an expression names and yields.
struct Value {
    v: u64,
}

struct Parser<'o, 'a> {
    tokens: Vec<Token>,
    at: usize,
    obj: &'o ElfObject<'a>,
    /// The symbols named (their indices), in order.
    named: Vec<usize>,
    /// Only the syntax is checked: names are 0, division by zero is no error.
    check_only: bool,
}

/// A parse failure: at the end of the expression, or before it.
enum Fail {
    Syntax {
        at_end: bool,
    },
    Undefined(String),
    /// `/` or `%` by zero.
    ByZero(&'static str),
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, Fail> {
        let t = self.tokens.get(self.at).cloned().ok_or(Fail::Syntax { at_end: true })?;
        self.at += 1;
        Ok(t)
    }

    fn expect(&mut self, op: &str) -> Result<(), Fail> {
        match self.next()? {
            Token::Op(o) if o == op => Ok(()),
            _ => Err(Fail::Syntax { at_end: false }),
        }
    }

    fn expr(&mut self, min: u8) -> Result<Value, Fail> {
        let mut left = self.unary()?;
        while let Some(Token::Op(op)) = self.peek().cloned() {
            let Some(level) = binary_level(op).filter(|&l| l >= min) else { break };
            self.at += 1;
            let right = self.expr(level + 1)?;
            left = Value {
                v: match binary(op, left.v, right.v) {
                    Ok(v) => v,
                    Err(EvalError::ByZero(_)) if self.check_only => 0,
                    Err(EvalError::ByZero(op)) => return Err(Fail::ByZero(op)),
                    Err(_) => return Err(Fail::Syntax { at_end: false }),
                },
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Value, Fail> {
        match self.next()? {
            Token::Num(v) => Ok(Value { v }),
            Token::Op("-") => Ok(Value { v: self.unary()?.v.wrapping_neg() }),
            Token::Op("+") => self.unary(),
            Token::Op("~") => Ok(Value { v: !self.unary()?.v }),
            Token::Op("!") => Ok(Value { v: u64::from(self.unary()?.v == 0) }),
            Token::Op("(") => {
                let v = self.expr(1)?;
                self.expect(")")?;
                Ok(v)
            }
            Token::Name(n) if self.peek() == Some(&Token::Op("(")) => self.function(&n),
            Token::Name(n) => self.symbol(&n),
            Token::Op(_) => Err(Fail::Syntax { at_end: false }),
        }
    }

    fn function(&mut self, name: &str) -> Result<Value, Fail> {
        self.expect("(")?;
        let v = match name {
            "ABSOLUTE" => self.expr(1)?,
            "DEFINED" => {
                let Token::Name(sym) = self.next()? else { return Err(Fail::Syntax { at_end: false }) };
                Value { v: u64::from(defined(self.obj, &sym).is_some()) }
            }
            "MIN" | "MAX" => {
                let a = self.expr(1)?;
                self.expect(",")?;
                let b = self.expr(1)?;
                Value { v: if name == "MIN" { a.v.min(b.v) } else { a.v.max(b.v) } }
            }
            _ => return Err(Fail::Syntax { at_end: false }),
        };
        self.expect(")")?;
        Ok(v)
    }

    fn symbol(&mut self, name: &str) -> Result<Value, Fail> {
        if self.check_only {
            return Ok(Value { v: 0 });
        }
        let j = defined(self.obj, name).ok_or_else(|| Fail::Undefined(name.to_string()))?;
        self.named.push(j);
        Ok(Value { v: self.obj.symbols[j].value })
    }
}

/// The defined global (or weak) symbol named `name`.
fn defined(obj: &ElfObject<'_>, name: &str) -> Option<usize> {
    obj.symbols.iter().position(|s| {
        s.name.as_ref() == name.as_bytes()
            && s.binding() != STB_LOCAL
            && !matches!(s.section, SymbolSection::Undefined | SymbolSection::Common)
    })
}

/// One `SYMBOL=EXPRESSION`, lexed.
struct Assignment {
    /// Its place among the `--defsym`s (from 1; GNU's line).
    line: usize,
    name: String,
    expr: Vec<Token>,
}

/// Applies the `SYMBOL=EXPRESSION`s (see the module documentation): all are parsed first (the
/// first syntax error stops the link), then evaluated in order, those naming a symbol another
/// one defines again once it is defined.
pub(crate) fn apply(obj: &mut ElfObject<'_>, defsyms: &[String]) -> Result<(), String> {
    let mut pending = Vec::new();
    for (k, d) in defsyms.iter().enumerate() {
        let located = |at_end: bool| format!("--defsym:{}: syntax error", if at_end { 0 } else { k + 1 });
        let Some(tokens) = lex(d) else { return Err(located(false)) };
        let (name, expr) = match tokens.as_slice() {
            [Token::Name(n), Token::Op("="), rest @ ..] => (n.clone(), rest.to_vec()),
            [Token::Name(_)] | [] => return Err(located(true)),
            _ => return Err(located(false)),
        };
        let mut p = Parser { tokens: expr.clone(), at: 0, obj, named: Vec::new(), check_only: true };
        match p.expr(1) {
            Ok(_) if p.at == p.tokens.len() => {}
            Err(Fail::Syntax { at_end: true }) => return Err(located(true)),
            _ => return Err(located(false)),
        }
        pending.push(Assignment { line: k + 1, name, expr });
    }
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        let mut first_error = None;
        for a in pending {
            match assign(obj, &a) {
                Ok(()) => {}
                Err((Some(n), _)) if before > 1 && waiting_on(&a, &n, defsyms) => waiting.push(a),
                Err((_, message)) => {
                    first_error.get_or_insert(message);
                }
            }
        }
        if let Some(message) = first_error {
            return Err(message);
        }
        if waiting.len() == before {
            // Nothing more can be defined: the first still waiting names an undefined symbol.
            return assign(obj, &waiting[0]).map_err(|(_, m)| m);
        }
        pending = waiting;
    }
    Ok(())
}

/// Whether `a` waits for `name`, which a `--defsym` defines.
fn waiting_on(a: &Assignment, name: &str, defsyms: &[String]) -> bool {
    name != a.name && defsyms.iter().any(|d| d.split('=').next().is_some_and(|n| n.trim() == name))
}

/// Evaluates one assignment and defines its symbol; on failure, the undefined symbol named
/// (if that was the failure) and GNU's message.
fn assign(obj: &mut ElfObject<'_>, a: &Assignment) -> Result<(), (Option<String>, String)> {
    let single = matches!(a.expr.as_slice(), [Token::Name(_)]);
    let mut p = Parser { tokens: a.expr.clone(), at: 0, obj, named: Vec::new(), check_only: false };
    let value = match p.expr(1) {
        Ok(v) => v,
        Err(Fail::Undefined(n)) => {
            let message = format!("--defsym:{}: undefined symbol `{n}' referenced in expression", a.line);
            return Err((Some(n), message));
        }
        // (GNU's words, without the colon.)
        Err(Fail::ByZero(op)) => return Err((None, format!("--defsym:{} {op} by zero", a.line))),
        Err(Fail::Syntax { .. }) => return Err((None, format!("--defsym:{}: syntax error", a.line))),
    };
    let source = (p.named.len() == 1).then(|| p.named[0]);
    let (section, kind) = match source {
        Some(j) if single => (obj.symbols[j].section, Some(obj.symbols[j].kind())),
        Some(j) => (SymbolSection::Absolute, Some(obj.symbols[j].kind())),
        None => (SymbolSection::Absolute, None),
    };
    match obj.symbols.iter().position(|s| s.name.as_ref() == a.name.as_bytes() && s.binding() != STB_LOCAL) {
        Some(j) => {
            let s = &mut obj.symbols[j];
            if s.section == SymbolSection::Undefined {
                s.st_info = (STB_GLOBAL << 4) | (s.st_info & 0xf);
            }
            if let Some(kind) = kind {
                s.st_info = (s.st_info & 0xf0) | kind;
            }
            (s.section, s.value) = (section, value.v);
        }
        None => {
            let kind = kind.unwrap_or(STT_NOTYPE);
            let name = Cow::Owned(a.name.clone().into_bytes());
            obj.symbols.push(Symbol { name, st_info: (STB_GLOBAL << 4) | kind, st_other: 0, section, value: value.v, size: 0 });
        }
    }
    Ok(())
}
