//! Linker script expressions: GNU ld's operators and precedence (C's, with `?:`), numbers as
//! GNU writes them, and the functions a relocatable link can evaluate.

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Num(u64),
    /// `.`, the location counter.
    Dot,
    Symbol(String),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `NAME(args)`: `ALIGN`, `ABSOLUTE`, `SIZEOF`, `ADDR`, `ALIGNOF`, `DEFINED`, `MIN`, `MAX`,
    /// `LOADADDR`, `LOG2CEIL`, `CONSTANT`, ... (names of sections or symbols as `Symbol`).
    Call(String, Vec<Expr>),
}

/// What evaluation needs from the link.
pub(crate) trait Context {
    /// The location counter (an offset in the current output section, or absolute).
    fn dot(&self) -> u64;
    /// A defined symbol's value, `None` when undefined.
    fn symbol(&self, name: &str) -> Option<u64>;
    /// `SIZEOF`, `ADDR`, `ALIGNOF`, `LOADADDR` of an output section.
    fn section(&self, function: &str, name: &str) -> Option<u64>;
}

/// The binary operators' precedence (higher binds tighter), `None` for other tokens.
pub(crate) fn binary_level(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    })
}

/// Why an expression has no value.
#[derive(Debug, PartialEq)]
pub(crate) enum EvalError {
    /// A symbol no input or earlier statement defines.
    Undefined(String),
    /// A section no statement or input names.
    NoSection(String, String),
    /// `/` or `%` by zero.
    ByZero(&'static str),
    /// A function tl does not evaluate.
    Unsupported(String),
}

impl Expr {
    /// The value of the expression.
    pub(crate) fn eval(&self, cx: &dyn Context) -> Result<u64, EvalError> {
        Ok(match self {
            Expr::Num(v) => *v,
            Expr::Dot => cx.dot(),
            Expr::Symbol(s) => cx.symbol(s).ok_or_else(|| EvalError::Undefined(s.clone()))?,
            Expr::Unary(op, e) => {
                let v = e.eval(cx)?;
                match *op {
                    "-" => v.wrapping_neg(),
                    "~" => !v,
                    "!" => u64::from(v == 0),
                    _ => v,
                }
            }
            Expr::Binary(op, a, b) => binary(op, a.eval(cx)?, b.eval(cx)?)?,
            Expr::Cond(c, a, b) => {
                if c.eval(cx)? != 0 {
                    a.eval(cx)?
                } else {
                    b.eval(cx)?
                }
            }
            Expr::Call(f, args) => call(f, args, cx)?,
        })
    }

    /// Whether the expression reads the location counter.
    pub(crate) fn uses_dot(&self) -> bool {
        match self {
            Expr::Dot => true,
            Expr::Unary(_, e) => e.uses_dot(),
            Expr::Binary(_, a, b) => a.uses_dot() || b.uses_dot(),
            Expr::Cond(c, a, b) => c.uses_dot() || a.uses_dot() || b.uses_dot(),
            Expr::Call(f, args) => (f == "ALIGN" && args.len() == 1) || args.iter().any(Expr::uses_dot),
            Expr::Num(_) | Expr::Symbol(_) => false,
        }
    }
}

/// `a op b` as GNU's `ldexp.c` folds it (`/` and `%` signed).
pub(crate) fn binary(op: &str, a: u64, b: u64) -> Result<u64, EvalError> {
    Ok(match op {
        "||" => u64::from(a != 0 || b != 0),
        "&&" => u64::from(a != 0 && b != 0),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => u64::from(a == b),
        "!=" => u64::from(a != b),
        "<" => u64::from(a < b),
        ">" => u64::from(a > b),
        "<=" => u64::from(a <= b),
        ">=" => u64::from(a >= b),
        "<<" => a.wrapping_shl(b as u32),
        ">>" => a.wrapping_shr(b as u32),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        // (Signed, as GNU's ldexp.c divides.)
        "/" if b == 0 => return Err(EvalError::ByZero("/")),
        "/" => (a as i64).wrapping_div(b as i64) as u64,
        "%" if b == 0 => return Err(EvalError::ByZero("%")),
        "%" => (a as i64).wrapping_rem(b as i64) as u64,
        _ => return Err(EvalError::Unsupported(op.to_string())),
    })
}

/// `value` rounded up to `align` (a power of two or not, as GNU's `align_n`).
pub(crate) fn align_up(value: u64, align: u64) -> u64 {
    if align <= 1 { value } else { value.wrapping_add(align - 1) / align * align }
}

fn call(f: &str, args: &[Expr], cx: &dyn Context) -> Result<u64, EvalError> {
    let arg = |k: usize| args.get(k).ok_or_else(|| EvalError::Unsupported(f.to_string()))?.eval(cx);
    let name = |k: usize| match args.get(k) {
        Some(Expr::Symbol(s)) => Ok(s.as_str()),
        _ => Err(EvalError::Unsupported(f.to_string())),
    };
    Ok(match (f, args.len()) {
        ("ALIGN", 1) => align_up(cx.dot(), arg(0)?),
        ("ALIGN", 2) => align_up(arg(0)?, arg(1)?),
        ("ABSOLUTE", 1) => arg(0)?,
        ("DEFINED", 1) => u64::from(cx.symbol(name(0)?).is_some()),
        ("MIN", 2) => arg(0)?.min(arg(1)?),
        ("MAX", 2) => arg(0)?.max(arg(1)?),
        ("LOG2CEIL", 1) => {
            let v = arg(0)?;
            if v <= 1 { 0 } else { 64 - u64::from((v - 1).leading_zeros()) }
        }
        ("SIZEOF" | "ADDR" | "ALIGNOF" | "LOADADDR", 1) => {
            let s = name(0)?;
            cx.section(f, s).ok_or_else(|| EvalError::NoSection(f.to_string(), s.to_string()))?
        }
        ("CONSTANT", 1) => match name(0)? {
            "MAXPAGESIZE" => 0x1000,
            "COMMONPAGESIZE" => 0x1000,
            other => return Err(EvalError::Unsupported(format!("CONSTANT({other})"))),
        },
        ("SIZEOF_HEADERS", 0) => 0,
        _ => return Err(EvalError::Unsupported(f.to_string())),
    })
}
