//! The syntax tree of a linker script.

use super::expr::Expr;

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
    /// `OUTPUT_ARCH(name)`.
    pub(crate) output_arch: Option<String>,
    /// `FORCE_COMMON_ALLOCATION` (true) or `INHIBIT_COMMON_ALLOCATION` (false), the last given.
    pub(crate) common_allocation: Option<bool>,
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
    pub(crate) fill: Option<Fill>,
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
    Fill(Fill),
    /// An assignment (to `.` or a symbol) or an `ASSERT`.
    Statement(Statement),
}

/// An assignment or an `ASSERT`.
#[derive(Clone, Debug)]
pub(crate) enum Statement {
    Assign(Assignment),
    Assert(Expr, String),
}

/// `SYMBOL op EXPR`, possibly inside `PROVIDE`, `HIDDEN` or `PROVIDE_HIDDEN`.
#[derive(Clone, Debug)]
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

/// A fill (`=FILL`, `FILL(...)`): a hexadecimal literal is its own pattern, its digits the bytes
/// as written (`0x90`: one byte); any other expression a 4-byte big-endian pattern.
#[derive(Debug)]
pub(crate) struct Fill {
    pub(crate) expr: Expr,
    /// The pattern of a literal.
    pub(crate) literal: Option<Vec<u8>>,
}
