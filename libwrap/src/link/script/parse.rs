//! The parser: GNU ld's grammar (`ldgram.y`) for the statements a relocatable link uses, with
//! its lexer's three states (`ldlex.l`): script names (`.note.gnu.build-id`, `/DISCARD/`),
//! expressions (C's operators; `-` is an operator) and wildcards (`*(.text.[a-z]*)`).
//! Comments are `/* ... */`. A syntax error is GNU's `FILE:LINE: syntax error`, with line 0
//! when the file ends early (as GNU reports it).

use super::ast::{
    Assignment, Fill, InputDescription, OutputItem, OutputSection, Script, SectionPattern, SectionType, SectionsItem, Sort, SortKey,
    Statement,
};
use super::expr::{Expr, binary_level};

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    /// A quoted string (a name that may hold any character).
    Str(String),
    Num(u64),
    Op(&'static str),
    End,
}

/// How the lexer reads names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Script,
    Expr,
    Wild,
}

const OPS: [&str; 33] = [
    "<<=", ">>=", "+=", "-=", "*=", "/=", "&=", "|=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "&", "|",
    "^", "<", ">", "!", "~", "(", ")", "{", "}", ",",
];
const PUNCT: [&str; 5] = [";", ":", "=", "?", ","];
const ASSIGN_OPS: [&str; 9] = ["=", "+=", "-=", "*=", "/=", "<<=", ">>=", "&=", "|="];

/// The deepest `INCLUDE` nesting (GNU's lexer allows 10).
const MAX_INCLUDE_DEPTH: usize = 10;

/// The deepest expression nesting read (deeper is a syntax error, not a stack overflow).
const MAX_NESTING: usize = 200;

struct Lexer<'t> {
    text: &'t [u8],
    at: usize,
    line: usize,
    file: String,
    /// The line of the last token scanned, 0 when it was the end of the file.
    token_line: usize,
}

fn name_start(mode: Mode, c: u8) -> bool {
    match mode {
        Mode::Wild => name_char(mode, c),
        Mode::Script => c.is_ascii_alphabetic() || b"_./\\$~".contains(&c),
        // (`/` and `~` continue a name in an expression but do not start one.)
        Mode::Expr => c.is_ascii_alphabetic() || b"_.\\$".contains(&c),
    }
}

fn name_char(mode: Mode, c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || match mode {
            Mode::Script => b"_./\\$~-+[]:=".contains(&c),
            Mode::Expr => b"_./\\$~".contains(&c),
            Mode::Wild => b"_./\\$~-+:[]*?^!".contains(&c),
        }
}

impl Lexer<'_> {
    fn skip_blanks(&mut self) {
        loop {
            match self.text.get(self.at) {
                Some(b'\n') => {
                    self.line += 1;
                    self.at += 1;
                }
                Some(c) if c.is_ascii_whitespace() => self.at += 1,
                Some(b'/') if self.text.get(self.at + 1) == Some(&b'*') => {
                    let end = self.text[self.at + 2..].windows(2).position(|w| w == b"*/");
                    let stop = end.map_or(self.text.len(), |e| self.at + 2 + e + 2);
                    self.line += self.text[self.at..stop].iter().filter(|&&c| c == b'\n').count();
                    self.at = stop;
                }
                _ => return,
            }
        }
    }

    /// The next token in `mode` (and where it ends).
    fn scan(&mut self, mode: Mode) -> Token {
        self.skip_blanks();
        let t = self.text;
        self.token_line = if self.at < t.len() { self.line } else { 0 };
        let Some(&c) = t.get(self.at) else { return Token::End };
        let start = self.at;
        let run = |from: usize, f: &dyn Fn(u8) -> bool| (from..t.len()).find(|&j| !f(t[j])).unwrap_or(t.len());
        if c == b'"' {
            let end = (start + 1..t.len()).find(|&j| t[j] == b'"').unwrap_or(t.len());
            self.at = (end + 1).min(t.len());
            return Token::Str(String::from_utf8_lossy(&t[start + 1..end]).into_owned());
        }
        if mode == Mode::Expr && c == b'$' && t.get(start + 1).is_some_and(u8::is_ascii_hexdigit) {
            self.at = run(start + 1, &|c| c.is_ascii_hexdigit());
            let digits = std::str::from_utf8(&t[start + 1..self.at]).unwrap_or("");
            return Token::Num(u64::from_str_radix(digits, 16).unwrap_or(u64::MAX));
        }
        if mode != Mode::Wild && c.is_ascii_digit() {
            self.at = run(start, &|c| c.is_ascii_alphanumeric());
            let text = String::from_utf8_lossy(&t[start..self.at]);
            return crate::link::defsym::number(&text).map_or(Token::Op("?number"), Token::Num);
        }
        if name_start(mode, c) && !(c == b'/' && t.get(start + 1) == Some(&b'*')) {
            self.at = run(start, &|c| name_char(mode, c));
            // (A `/*` inside a wildcard starts a comment.)
            if let Some(k) = t[start..self.at].windows(2).position(|w| w == b"/*") {
                self.at = start + k.max(1);
            }
            return Token::Name(String::from_utf8_lossy(&t[start..self.at]).into_owned());
        }
        let rest = &t[start..];
        for op in OPS.iter().chain(PUNCT.iter()) {
            if rest.starts_with(op.as_bytes()) && !(mode != Mode::Expr && op.len() > 1 && op.ends_with('=') && *op != "==") {
                self.at += op.len();
                return Token::Op(op);
            }
        }
        // An assignment operator outside expressions (`x += 1`).
        for op in ASSIGN_OPS {
            if rest.starts_with(op.as_bytes()) {
                self.at += op.len();
                return Token::Op(op);
            }
        }
        self.at += 1;
        Token::Op("?char")
    }
}

/// A parse failure: GNU's message.
pub(crate) type Failure = String;

/// Opens an `INCLUDE`d file by name: its name for messages and its text, or GNU's message.
pub(crate) type Reader<'r> = &'r dyn Fn(&str) -> Result<(String, Vec<u8>), String>;

struct Parser<'t, 'r> {
    lex: Lexer<'t>,
    /// Reads an `INCLUDE`d file: (its name for messages, its text).
    read: Reader<'r>,
    depth: usize,
    /// Operands being read inside one another.
    nesting: usize,
}

impl Parser<'_, '_> {
    fn peek(&mut self, mode: Mode) -> Token {
        let (at, line) = (self.lex.at, self.lex.line);
        let t = self.lex.scan(mode);
        (self.lex.at, self.lex.line) = (at, line);
        t
    }

    fn next(&mut self, mode: Mode) -> Token {
        self.lex.scan(mode)
    }

    /// GNU's message for the token last scanned.
    fn error(&mut self) -> Failure {
        format!("{}:{}: syntax error", self.lex.file, self.lex.token_line)
    }

    fn expect(&mut self, op: &str, mode: Mode) -> Result<(), Failure> {
        match self.next(mode) {
            Token::Op(o) if o == op => Ok(()),
            _ => Err(self.error()),
        }
    }

    fn accept(&mut self, op: &str, mode: Mode) -> bool {
        if matches!(self.peek(mode), Token::Op(o) if o == op) {
            self.next(mode);
            true
        } else {
            false
        }
    }

    fn name(&mut self, mode: Mode) -> Result<String, Failure> {
        match self.next(mode) {
            Token::Name(n) | Token::Str(n) => Ok(n),
            _ => Err(self.error()),
        }
    }

    fn line(&self) -> usize {
        self.lex.line
    }

    /// The whole script.
    fn script(&mut self, out: &mut Script) -> Result<(), Failure> {
        loop {
            let t = self.peek(Mode::Script);
            let keyword = match &t {
                Token::End => return Ok(()),
                Token::Op(";") => {
                    self.next(Mode::Script);
                    continue;
                }
                Token::Name(n) => n.clone(),
                _ => return Err(self.error()),
            };
            match keyword.as_str() {
                "SECTIONS" => {
                    self.next(Mode::Script);
                    self.expect("{", Mode::Script)?;
                    self.sections(out)?;
                }
                "ENTRY" | "OUTPUT_ARCH" | "STARTUP" | "SEARCH_DIR" => {
                    self.next(Mode::Script);
                    self.expect("(", Mode::Script)?;
                    let v = self.name(Mode::Script)?;
                    self.expect(")", Mode::Script)?;
                    match keyword.as_str() {
                        "ENTRY" => out.entry = Some(v),
                        "SEARCH_DIR" => out.search_dirs.push(v),
                        "STARTUP" => out.inputs.push((vec![v], false)),
                        _ => out.output_arch = Some(v),
                    }
                }
                "OUTPUT_FORMAT" => {
                    self.next(Mode::Script);
                    self.expect("(", Mode::Script)?;
                    let first = self.name(Mode::Script)?;
                    if self.accept(",", Mode::Script) {
                        self.name(Mode::Script)?;
                        self.expect(",", Mode::Script)?;
                        self.name(Mode::Script)?;
                    }
                    self.expect(")", Mode::Script)?;
                    out.output_format = Some(first);
                }
                "INPUT" | "GROUP" => {
                    self.next(Mode::Script);
                    let files = self.file_list()?;
                    out.inputs.push((files, keyword == "GROUP"));
                }
                "FORCE_COMMON_ALLOCATION" | "INHIBIT_COMMON_ALLOCATION" => {
                    self.next(Mode::Script);
                    out.common_allocation = Some(keyword == "FORCE_COMMON_ALLOCATION");
                }
                "INCLUDE" => {
                    self.next(Mode::Script);
                    self.include(out, false)?;
                }
                "MEMORY" | "PHDRS" | "VERSION" | "INSERT" | "OVERLAY" | "NOCROSSREFS" | "NOCROSSREFS_TO" | "REGION_ALIAS" | "TARGET"
                | "OUTPUT" | "ENTRY_CONSTRUCTORS" => {
                    return Err(format!("{}:{}: {keyword} in a linker script: not supported yet", self.lex.file, self.line()));
                }
                _ => {
                    let s = self.statement(Mode::Script)?.ok_or_else(|| self.error())?;
                    out.top.push(s);
                }
            }
        }
    }

    /// `INCLUDE file`: the file's statements in place of this one (inside `SECTIONS` when
    /// `in_sections`).
    fn include(&mut self, out: &mut Script, in_sections: bool) -> Result<(), Failure> {
        let file = self.name(Mode::Wild)?;
        if self.depth >= MAX_INCLUDE_DEPTH {
            return Err(format!("{}:{}: includes nested too deeply", self.lex.file, self.line()));
        }
        let (name, text) = (self.read)(&file)?;
        let mut inner = Parser {
            lex: Lexer { text: &text, at: 0, line: 1, file: name, token_line: 1 },
            read: self.read,
            depth: self.depth + 1,
            nesting: 0,
        };
        if in_sections { inner.sections_until_end(out) } else { inner.script(out) }
    }

    /// `(file file ...)` of `INPUT`/`GROUP`, with `AS_NEEDED(...)` flattened.
    fn file_list(&mut self) -> Result<Vec<String>, Failure> {
        self.expect("(", Mode::Wild)?;
        let mut files = Vec::new();
        loop {
            match self.next(Mode::Wild) {
                Token::Op(")") => return Ok(files),
                Token::Op(",") => {}
                Token::Name(n) if n == "AS_NEEDED" => files.extend(self.file_list()?),
                Token::Name(n) | Token::Str(n) => files.push(n),
                _ => return Err(self.error()),
            }
        }
    }

    /// The items of `SECTIONS { ... }` after the brace.
    fn sections(&mut self, out: &mut Script) -> Result<(), Failure> {
        loop {
            match self.peek(Mode::Script) {
                Token::Op("}") => {
                    self.next(Mode::Script);
                    return Ok(());
                }
                Token::Name(n) if n == "INCLUDE" => {
                    self.next(Mode::Script);
                    self.include(out, true)?;
                }
                Token::Name(n) if n == "OVERLAY" => {
                    return Err(format!("{}:{}: OVERLAY in a linker script: not supported yet", self.lex.file, self.line()));
                }
                Token::Name(_) | Token::Str(_) => {
                    if let Some(s) = self.statement(Mode::Script)? {
                        out.sections.push(SectionsItem::Statement(s));
                    } else {
                        let os = self.output_section()?;
                        out.sections.push(SectionsItem::Output(os));
                    }
                }
                _ => return Err(self.error()),
            }
        }
    }

    /// An included file's `SECTIONS` items (up to its end).
    fn sections_until_end(&mut self, out: &mut Script) -> Result<(), Failure> {
        let mut inner = Script::default();
        // (Parsed as if inside braces: the file's end closes them.)
        let text_end = self.lex.text.len();
        loop {
            self.lex.skip_blanks();
            if self.lex.at >= text_end {
                break;
            }
            if let Some(s) = self.statement(Mode::Script)? {
                inner.sections.push(SectionsItem::Statement(s));
            } else {
                let os = self.output_section()?;
                inner.sections.push(SectionsItem::Output(os));
            }
        }
        out.sections.extend(inner.sections);
        Ok(())
    }

    /// An assignment, `PROVIDE`/`HIDDEN`/`PROVIDE_HIDDEN`, or `ASSERT` (with its `;`), if one
    /// starts here; `None` (nothing read) otherwise.
    fn statement(&mut self, mode: Mode) -> Result<Option<Statement>, Failure> {
        let (at, line) = (self.lex.at, self.lex.line);
        let first = self.next(mode);
        let place = format!("{}:{}", self.lex.file, self.lex.token_line);
        let name = match first {
            Token::Name(n) | Token::Str(n) => n,
            _ => {
                (self.lex.at, self.lex.line) = (at, line);
                return Ok(None);
            }
        };
        let wrapped = match name.as_str() {
            "PROVIDE" => Some((true, false)),
            "HIDDEN" => Some((false, true)),
            "PROVIDE_HIDDEN" => Some((true, true)),
            _ => None,
        };
        if let Some((provide, hidden)) = wrapped {
            self.expect("(", Mode::Expr)?;
            let target = self.name(Mode::Expr)?;
            let op = self.assign_op()?;
            let expr = self.expr(1)?;
            self.expect(")", Mode::Expr)?;
            if !self.accept(";", Mode::Expr) {
                self.accept(",", Mode::Expr);
            }
            return Ok(Some(Statement::Assign(Assignment { target, op, expr, provide, hidden, at: place })));
        }
        if name == "ASSERT" {
            self.expect("(", Mode::Expr)?;
            let e = self.expr(1)?;
            self.expect(",", Mode::Expr)?;
            let message = self.name(Mode::Expr)?;
            self.expect(")", Mode::Expr)?;
            // (No `;` of its own: one after it is a statement of its own, an error in SECTIONS.)
            return Ok(Some(Statement::Assert(e, message)));
        }
        match self.peek(Mode::Expr) {
            Token::Op(op) if ASSIGN_OPS.contains(&op) => {
                let op = self.assign_op()?;
                let expr = self.expr(1)?;
                self.expect(";", Mode::Expr)?;
                Ok(Some(Statement::Assign(Assignment { target: name, op, expr, provide: false, hidden: false, at: place })))
            }
            _ => {
                (self.lex.at, self.lex.line) = (at, line);
                Ok(None)
            }
        }
    }

    fn assign_op(&mut self) -> Result<&'static str, Failure> {
        match self.next(Mode::Expr) {
            Token::Op(op) if ASSIGN_OPS.contains(&op) => Ok(op),
            _ => Err(self.error()),
        }
    }

    /// An output section statement.
    fn output_section(&mut self) -> Result<OutputSection, Failure> {
        let name = self.name(Mode::Script)?;
        let mut os = OutputSection {
            name,
            address: None,
            kind: SectionType::Normal,
            align: None,
            subalign: None,
            only_if_ro: None,
            items: Vec::new(),
            fill: None,
        };
        if self.peek(Mode::Expr) != Token::Op(":") && !self.section_type(&mut os)? {
            os.address = Some(self.expr(1)?);
            self.section_type(&mut os)?;
        }
        self.expect(":", Mode::Expr)?;
        loop {
            match self.peek(Mode::Script) {
                Token::Name(n) if matches!(n.as_str(), "AT" | "ALIGN" | "SUBALIGN") => {
                    self.next(Mode::Script);
                    self.expect("(", Mode::Expr)?;
                    let e = self.expr(1)?;
                    self.expect(")", Mode::Expr)?;
                    match n.as_str() {
                        "ALIGN" => os.align = Some(e),
                        "SUBALIGN" => os.subalign = Some(e),
                        _ => {}
                    }
                }
                Token::Name(n) if matches!(n.as_str(), "ONLY_IF_RO" | "ONLY_IF_RW" | "SPECIAL" | "ALIGN_WITH_INPUT") => {
                    self.next(Mode::Script);
                    match n.as_str() {
                        "ONLY_IF_RO" => os.only_if_ro = Some(true),
                        "ONLY_IF_RW" => os.only_if_ro = Some(false),
                        _ => {}
                    }
                }
                _ => break,
            }
        }
        self.expect("{", Mode::Script)?;
        while !self.accept("}", Mode::Script) {
            if let Some(item) = self.output_item()? {
                os.items.push(item);
            }
        }
        self.section_tail(&mut os)?;
        Ok(os)
    }

    /// `(NOLOAD)` and the other types; false (nothing read) when no type is here.
    fn section_type(&mut self, os: &mut OutputSection) -> Result<bool, Failure> {
        let (at, line) = (self.lex.at, self.lex.line);
        if !self.accept("(", Mode::Script) {
            return Ok(false);
        }
        let kind = match self.next(Mode::Script) {
            Token::Name(n) => match n.as_str() {
                "NOLOAD" => SectionType::NoLoad,
                "COPY" | "INFO" | "OVERLAY" | "DSECT" => SectionType::NotAlloc,
                "READONLY" => SectionType::ReadOnly,
                _ => {
                    (self.lex.at, self.lex.line) = (at, line);
                    return Ok(false);
                }
            },
            Token::Op(")") => return Ok(true),
            _ => {
                (self.lex.at, self.lex.line) = (at, line);
                return Ok(false);
            }
        };
        self.expect(")", Mode::Script)?;
        os.kind = kind;
        Ok(true)
    }

    /// What may follow an output section's `}`: `>REGION`, `AT>REGION`, `:PHDR`s, `=FILL`, `,`.
    fn section_tail(&mut self, os: &mut OutputSection) -> Result<(), Failure> {
        loop {
            match self.peek(Mode::Script) {
                Token::Op(">") => {
                    return Err(format!("{}:{}: memory regions in a linker script: not supported yet", self.lex.file, self.line()));
                }
                Token::Name(n) if n == "AT" => {
                    return Err(format!("{}:{}: memory regions in a linker script: not supported yet", self.lex.file, self.line()));
                }
                Token::Op(":") => {
                    return Err(format!("{}:{}: program headers in a linker script: not supported yet", self.lex.file, self.line()));
                }
                Token::Op("=") => {
                    self.next(Mode::Script);
                    os.fill = Some(self.fill()?);
                }
                Token::Op(",") => {
                    self.next(Mode::Script);
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
    }

    /// One item inside an output section's braces (`None` for a lone `;`).
    fn output_item(&mut self) -> Result<Option<OutputItem>, Failure> {
        let t = self.peek(Mode::Script);
        if t == Token::Op(";") {
            self.next(Mode::Script);
            return Ok(None);
        }
        if let Token::Name(n) = &t {
            let size = match n.as_str() {
                "BYTE" => Some(1),
                "SHORT" => Some(2),
                "LONG" => Some(4),
                "QUAD" | "SQUAD" => Some(8),
                _ => None,
            };
            if let Some(size) = size {
                self.next(Mode::Script);
                self.expect("(", Mode::Expr)?;
                let e = self.expr(1)?;
                self.expect(")", Mode::Expr)?;
                self.accept(";", Mode::Expr);
                return Ok(Some(OutputItem::Data(size, e)));
            }
            match n.as_str() {
                "FILL" => {
                    self.next(Mode::Script);
                    self.expect("(", Mode::Expr)?;
                    let f = self.fill()?;
                    self.expect(")", Mode::Expr)?;
                    self.accept(";", Mode::Expr);
                    return Ok(Some(OutputItem::Fill(f)));
                }
                "CONSTRUCTORS" | "CREATE_OBJECT_SYMBOLS" => {
                    self.next(Mode::Script);
                    return Ok(None);
                }
                "KEEP" => {
                    self.next(Mode::Script);
                    self.expect("(", Mode::Wild)?;
                    let mut d = self.input_description()?;
                    self.expect(")", Mode::Wild)?;
                    d.keep = true;
                    return Ok(Some(OutputItem::Input(d)));
                }
                "INCLUDE" => {
                    return Err(format!("{}:{}: INCLUDE inside an output section: not supported yet", self.lex.file, self.line()));
                }
                _ => {}
            }
        }
        if let Some(s) = self.statement(Mode::Script)? {
            return Ok(Some(OutputItem::Statement(s)));
        }
        Ok(Some(OutputItem::Input(self.input_description()?)))
    }

    /// `FILE(SECTIONS...)` or `FILE` alone, with `EXCLUDE_FILE` and `SORT` forms.
    fn input_description(&mut self) -> Result<InputDescription, Failure> {
        let mut d = InputDescription {
            keep: false,
            file: String::new(),
            file_excludes: Vec::new(),
            file_sort: Sort::default(),
            sections: Vec::new(),
        };
        let mut word = self.name(Mode::Wild)?;
        if word == "EXCLUDE_FILE" {
            d.file_excludes = self.name_list()?;
            word = self.name(Mode::Wild)?;
        }
        if let Some(key) = sort_key(&word) {
            self.expect("(", Mode::Wild)?;
            d.file_sort.outer = key;
            word = self.name(Mode::Wild)?;
            self.expect(")", Mode::Wild)?;
        }
        d.file = word;
        if !self.accept("(", Mode::Wild) {
            return Ok(d);
        }
        loop {
            match self.peek(Mode::Wild) {
                Token::Op(")") => {
                    self.next(Mode::Wild);
                    return Ok(d);
                }
                Token::Op(",") => {
                    self.next(Mode::Wild);
                }
                Token::Name(_) | Token::Str(_) => self.section_patterns(&mut d.sections, Sort::default())?,
                _ => return Err(self.error()),
            }
        }
    }

    /// One section pattern (or a `SORT(...)` of some), pushed with `sort`.
    fn section_patterns(&mut self, out: &mut Vec<SectionPattern>, sort: Sort) -> Result<(), Failure> {
        let mut word = self.name(Mode::Wild)?;
        if let Some(key) = sort_key(&word) {
            let inner = if sort.outer == SortKey::None {
                Sort { outer: key, inner: SortKey::None }
            } else {
                Sort { outer: sort.outer, inner: key }
            };
            self.expect("(", Mode::Wild)?;
            while !self.accept(")", Mode::Wild) {
                self.accept(",", Mode::Wild);
                self.section_patterns(out, inner)?;
            }
            return Ok(());
        }
        let mut excludes = Vec::new();
        if word == "EXCLUDE_FILE" {
            excludes = self.name_list()?;
            word = self.name(Mode::Wild)?;
        }
        out.push(SectionPattern { pattern: word, excludes, sort });
        Ok(())
    }

    /// `(NAME NAME ...)`.
    fn name_list(&mut self) -> Result<Vec<String>, Failure> {
        self.expect("(", Mode::Wild)?;
        let mut names = Vec::new();
        loop {
            match self.next(Mode::Wild) {
                Token::Op(")") => return Ok(names),
                Token::Op(",") => {}
                Token::Name(n) | Token::Str(n) => names.push(n),
                _ => return Err(self.error()),
            }
        }
    }

    /// A fill expression, with the pattern of a hexadecimal literal.
    fn fill(&mut self) -> Result<Fill, Failure> {
        self.lex.skip_blanks();
        let start = self.lex.at;
        let expr = self.expr(1)?;
        let text = String::from_utf8_lossy(&self.lex.text[start..self.lex.at]).trim().to_string();
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_hexdigit()));
        let literal = digits.map(|d| {
            let d = if d.len() % 2 == 1 { format!("0{d}") } else { d.to_string() };
            (0..d.len()).step_by(2).map(|i| u8::from_str_radix(&d[i..i + 2], 16).unwrap_or(0)).collect()
        });
        Ok(Fill { expr, literal })
    }

    /// An expression whose binary operators bind at least as tightly as `min`.
    fn expr(&mut self, min: u8) -> Result<Expr, Failure> {
        let mut left = self.unary()?;
        loop {
            match self.peek(Mode::Expr) {
                Token::Op("?") if min <= 1 => {
                    self.next(Mode::Expr);
                    let a = self.expr(1)?;
                    self.expect(":", Mode::Expr)?;
                    let b = self.expr(1)?;
                    left = Expr::Cond(Box::new(left), Box::new(a), Box::new(b));
                }
                Token::Op(op) => {
                    let Some(level) = binary_level(op).filter(|&l| l >= min) else { return Ok(left) };
                    self.next(Mode::Expr);
                    let right = self.expr(level + 1)?;
                    left = Expr::Binary(op, Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, Failure> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error());
        }
        let e = self.operand();
        self.nesting -= 1;
        e
    }

    fn operand(&mut self) -> Result<Expr, Failure> {
        match self.next(Mode::Expr) {
            Token::Num(v) => Ok(Expr::Num(v)),
            Token::Op(op @ ("-" | "+" | "~" | "!")) => Ok(Expr::Unary(op, Box::new(self.unary()?))),
            Token::Op("(") => {
                let e = self.expr(1)?;
                self.expect(")", Mode::Expr)?;
                Ok(e)
            }
            Token::Name(n) if n == "." => Ok(Expr::Dot),
            Token::Name(n) if self.peek(Mode::Expr) == Token::Op("(") => {
                self.next(Mode::Expr);
                let mut args = Vec::new();
                while !self.accept(")", Mode::Expr) {
                    if !args.is_empty() {
                        self.expect(",", Mode::Expr)?;
                    }
                    args.push(self.expr(1)?);
                }
                Ok(Expr::Call(n, args))
            }
            Token::Name(n) if n == "SIZEOF_HEADERS" => Ok(Expr::Call(n, Vec::new())),
            Token::Name(n) | Token::Str(n) => Ok(Expr::Symbol(n)),
            _ => Err(self.error()),
        }
    }
}

fn sort_key(word: &str) -> Option<SortKey> {
    Some(match word {
        "SORT" | "SORT_BY_NAME" => SortKey::Name,
        "SORT_BY_ALIGNMENT" => SortKey::Alignment,
        "SORT_BY_INIT_PRIORITY" => SortKey::InitPriority,
        "SORT_NONE" => SortKey::Explicitly,
        _ => return None,
    })
}

/// Parses the script `text` of `file`; `read` opens `INCLUDE`d files.
pub(crate) fn parse(file: &str, text: &[u8], read: Reader<'_>) -> Result<Script, Failure> {
    let mut p = Parser { lex: Lexer { text, at: 0, line: 1, file: file.to_string(), token_line: 1 }, read, depth: 0, nesting: 0 };
    let mut script = Script::default();
    p.script(&mut script)?;
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_include(f: &str) -> Result<(String, Vec<u8>), String> {
        Err(format!("cannot open linker script file {f}: No such file or directory"))
    }

    /// GNU ld's built-in script for `ld ARGS --verbose`.
    fn gnu_script(args: &[&str]) -> String {
        let out = std::process::Command::new("ld").args(args).arg("--verbose").output().expect("GNU ld runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let parts: Vec<&str> = text.split("==================================================").collect();
        parts[1].to_string()
    }

    #[test]
    fn gnu_default_scripts_parse() {
        for args in [&["-r"][..], &[], &["-shared"], &["-r", "-m", "elf_i386"], &["-r", "-m", "elf32_x86_64"]] {
            let text = gnu_script(args);
            let s = parse("x.lds", text.as_bytes(), &no_include).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(s.sections.len() > 40, "{args:?}");
        }
        let s = parse("r.lds", gnu_script(&["-r"]).as_bytes(), &no_include).unwrap();
        let SectionsItem::Output(text) = s.sections.iter().find(|i| matches!(i, SectionsItem::Output(o) if o.name == ".text")).unwrap()
        else {
            unreachable!()
        };
        assert_eq!(text.address, Some(Expr::Num(0)));
        let pats: Vec<&str> = text
            .items
            .iter()
            .flat_map(|i| match i {
                OutputItem::Input(d) => d.sections.iter().map(|p| p.pattern.as_str()).collect(),
                _ => vec![],
            })
            .collect();
        assert_eq!(pats, [".text", ".stub", ".gnu.warning"]);
    }

    #[test]
    fn kernel_module_script_parses() {
        let text = b"SECTIONS {\n /DISCARD/ : { *(.discard) *(.discard.*) }\n __ksymtab 0 : ALIGN(8) { *(SORT(___ksymtab+*)) }\n\
            .init_array 0 : ALIGN(8) { *(SORT(.init_array.*)) *(.init_array) }\n __bug_table 0 : ALIGN(8) { KEEP(*(__bug_table)) }\n\
            .bss : { *(.bss .bss.[0-9a-zA-Z_]*) *(.bss..L*) }\n .plt 0 (NOLOAD) : { BYTE(0) }\n}\n";
        let s = parse("module.lds", text, &no_include).unwrap();
        let names: Vec<&str> = s
            .sections
            .iter()
            .filter_map(|i| match i {
                SectionsItem::Output(o) => Some(o.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names, ["/DISCARD/", "__ksymtab", ".init_array", "__bug_table", ".bss", ".plt"]);
        let SectionsItem::Output(k) = &s.sections[1] else { unreachable!() };
        assert_eq!(k.align, Some(Expr::Num(8)));
        let OutputItem::Input(d) = &k.items[0] else { unreachable!() };
        assert_eq!((d.sections[0].pattern.as_str(), d.sections[0].sort.outer), ("___ksymtab+*", SortKey::Name));
    }

    #[test]
    fn hostile_scripts_are_errors_not_panics() {
        let deep = format!("x = {}1{};", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse("deep.lds", deep.as_bytes(), &no_include).is_err());
        let seed = gnu_script(&["-r"]).into_bytes();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let mut m = seed.clone();
            for _ in 0..(next() % 8 + 1) {
                if m.is_empty() {
                    break;
                }
                let at = (next() % m.len() as u64) as usize;
                match next() % 3 {
                    0 => {
                        let alphabet = b"(){};:=*\"/.,0x";
                        m[at] = alphabet[(next() % alphabet.len() as u64) as usize];
                    }
                    1 => {
                        m.remove(at);
                    }
                    _ => m.truncate(at.max(1)),
                }
            }
            let _ = parse("m.lds", &m, &no_include);
        }
    }

    #[test]
    fn syntax_errors_are_located_as_gnu_locates_them() {
        let e = parse("bad.lds", b"SECTIONS {\n .text : { *(.text) }\n = 3;\n}\n", &no_include).unwrap_err();
        assert_eq!(e, "bad.lds:3: syntax error");
        let e = parse("bad.lds", b"SECTIONS {\n .text : { *(.text) }\n", &no_include).unwrap_err();
        assert_eq!(e, "bad.lds:0: syntax error");
        let e = parse("bad.lds", b"/* c */ SECTIONS {\n .text : { *(.text) } } ENTRY(f)\n\nfoo = ;\n", &no_include).unwrap_err();
        assert_eq!(e, "bad.lds:4: syntax error");
    }
}
