//! GNU ld's linker script language, as far as relocatable links use it: the syntax tree
//! ([`parse`] builds it, GNU's `file:line: syntax error` on failure) and the expressions
//! ([`expr`]). What the statements do to a partial link is [`crate::link::merge`]'s
//! `script_layout` pass.

pub(crate) mod expr;
mod parse;

pub(crate) use expr::Expr;
pub(crate) use parse::parse;

/// A parsed script (`INCLUDE`d files spliced in).
#[derive(Debug, Default)]
pub(crate) struct Script {
    /// The top-level statements of every `SECTIONS`, in order.
    pub(crate) sections: Vec<SectionsItem>,
    /// Top-level assignments and `ASSERT`s outside `SECTIONS`, evaluated after them.
    pub(crate) top: Vec<Statement>,
    /// `INPUT(...)` / `GROUP(...)` files, in order (`GROUP`: with `group` set).
    pub(crate) inputs: Vec<(Vec<String>, bool)>,
    /// `ENTRY(symbol)`.
    pub(crate) entry: Option<String>,
    /// `OUTPUT_FORMAT(default, big, little)`'s names (their first for an ELF check).
    pub(crate) output_format: Option<String>,
    /// `SEARCH_DIR(path)`s.
    pub(crate) search_dirs: Vec<String>,
}

/// An item of `SECTIONS`.
#[derive(Debug)]
pub(crate) enum SectionsItem {
    /// An output section statement.
    Output(OutputSection),
    /// An assignment or `ASSERT` between output sections.
    Statement(Statement),
}

/// `NAME [ADDRESS] [(TYPE)] : [AT(LMA)] [ALIGN(A)] [SUBALIGN(S)] [ONLY_IF_RO|RW] { ... } [=FILL]`.
#[derive(Debug)]
pub(crate) struct OutputSection {
    pub(crate) name: String,
    pub(crate) address: Option<Expr>,
    pub(crate) kind: SectionType,
    pub(crate) align: Option<Expr>,
    pub(crate) subalign: Option<Expr>,
    /// `ONLY_IF_RO` (`Some(true)`) or `ONLY_IF_RW` (`Some(false)`).
    pub(crate) only_if_ro: Option<bool>,
    pub(crate) items: Vec<OutputItem>,
    pub(crate) fill: Option<Expr>,
}

/// The `(TYPE)` of an output section statement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SectionType {
    #[default]
    Normal,
    /// `NOLOAD`: no contents in the file.
    NoLoad,
    /// `COPY`, `INFO`, `OVERLAY`, `DSECT`: not allocated.
    NotAlloc,
    /// `READONLY`.
    ReadOnly,
}

/// An item inside an output section statement.
#[derive(Debug)]
pub(crate) enum OutputItem {
    /// An input section description (`KEEP(...)` sets its `keep`).
    Input(InputDescription),
    /// `BYTE`, `SHORT`, `LONG`, `QUAD`, `SQUAD`: bytes of the given size.
    Data(u8, Expr),
    /// `FILL(expr)`: the fill of later gaps.
    Fill(Expr),
    /// An assignment (to `.` or a symbol) or an `ASSERT`.
    Statement(Statement),
}

/// An assignment or an `ASSERT`.
#[derive(Debug)]
pub(crate) enum Statement {
    Assign(Assignment),
    Assert(Expr, String),
}

/// `SYMBOL op EXPR`, possibly inside `PROVIDE`, `HIDDEN` or `PROVIDE_HIDDEN`.
#[derive(Debug)]
pub(crate) struct Assignment {
    /// The symbol, or `.`.
    pub(crate) target: String,
    /// `=`, or the operator of `+=`, `-=`, `*=`, `/=`, `<<=`, `>>=`, `&=`, `|=`.
    pub(crate) op: &'static str,
    pub(crate) expr: Expr,
    /// Only defined when referenced and not defined by an input.
    pub(crate) provide: bool,
    /// `st_other` hidden.
    pub(crate) hidden: bool,
    /// `FILE:LINE` of the statement (GNU locates its messages so).
    pub(crate) at: String,
}

/// `FILE(SECTION ...)`, the patterns GNU's wildcards match.
#[derive(Debug)]
pub(crate) struct InputDescription {
    /// `KEEP(...)`.
    pub(crate) keep: bool,
    /// The file pattern (`*` for any).
    pub(crate) file: String,
    /// `EXCLUDE_FILE(...)` before the file pattern.
    pub(crate) file_excludes: Vec<String>,
    /// `SORT...(file)`.
    pub(crate) file_sort: Sort,
    /// The section patterns; empty when the description names a file alone (all its sections).
    pub(crate) sections: Vec<SectionPattern>,
}

/// One section pattern with its `EXCLUDE_FILE` and sort.
#[derive(Debug)]
pub(crate) struct SectionPattern {
    pub(crate) pattern: String,
    pub(crate) excludes: Vec<String>,
    pub(crate) sort: Sort,
}

/// A `SORT_*` wrapper: the outer key and the inner one (`SORT_BY_NAME(SORT_BY_ALIGNMENT(...))`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sort {
    pub(crate) outer: SortKey,
    pub(crate) inner: SortKey,
}

/// What sections are sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SortKey {
    /// Input order.
    #[default]
    None,
    /// `SORT`, `SORT_BY_NAME`.
    Name,
    /// `SORT_BY_ALIGNMENT` (largest first).
    Alignment,
    /// `SORT_BY_INIT_PRIORITY`.
    InitPriority,
    /// `SORT_NONE`: input order, even under `--sort-section`.
    Explicitly,
}

/// Reads and parses the `-T` scripts (one script, in order). A script or `INCLUDE`d file is
/// looked for as named, then in the `-L` directories, as GNU's `ldfile_find_command_file`
/// does; GNU's message when none is found.
pub(crate) fn load(paths: &[std::path::PathBuf], search_dirs: &[std::path::PathBuf]) -> Result<Option<Script>, String> {
    if paths.is_empty() {
        return Ok(None);
    }
    let read = |name: &str| -> Result<(String, Vec<u8>), String> {
        let candidates = std::iter::once(std::path::PathBuf::from(name))
            .chain(search_dirs.iter().filter(|_| !name.starts_with('/')).map(|d| d.join(name)));
        for c in candidates {
            if let Ok(text) = std::fs::read(&c) {
                return Ok((c.to_string_lossy().into_owned(), text));
            }
        }
        Err(format!("cannot open linker script file {name}: No such file or directory"))
    };
    let mut script = Script::default();
    for (i, p) in paths.iter().enumerate() {
        if paths[..i].contains(p) {
            return Err(format!("error: linker script file '{}' appears multiple times", p.display()));
        }
        let (name, text) = read(&p.to_string_lossy())?;
        let one = parse(&name, &text, &read)?;
        if let Some((files, _)) = one.inputs.first() {
            return Err(format!("{name}: INPUT/GROUP in a linker script ({}): not supported with -r yet", files.join(" ")));
        }
        script.sections.extend(one.sections);
        script.top.extend(one.top);
        script.entry = one.entry.or(script.entry);
        script.output_format = one.output_format.or(script.output_format);
        script.search_dirs.extend(one.search_dirs);
    }
    Ok(Some(script))
}
