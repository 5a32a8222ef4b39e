//! What a partial link is asked to do: its inputs in command-line order and its options.

use std::path::PathBuf;

/// One command-line input item, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// A file (object, archive, bitcode).
    File(PathBuf),
    /// `-lNAME` (`verbatim` for `-l:NAME`).
    Library {
        /// The name after `-l`.
        name: String,
        /// `-l:file`: the file name is used as is.
        verbatim: bool,
    },
    /// `--whole-archive` (true) or `--no-whole-archive` (false).
    WholeArchive(bool),
    /// `--start-group` / `-(`.
    GroupStart,
    /// `--end-group` / `-)`.
    GroupEnd,
}

/// What to link and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The inputs, in command-line order.
    pub inputs: Vec<InputSpec>,
    /// The caller exits right after the link: the inputs' memory is not freed.
    pub exiting: bool,
    /// `-L` directories, searched in order for every `-l`.
    pub search_dirs: Vec<PathBuf>,
    /// `-u SYMBOL`: symbols to start out undefined.
    pub undefined: Vec<Vec<u8>>,
    /// `-d`/`-dc`/`-dp`: allocate common symbols in `.bss`.
    pub define_common: bool,
    /// `-z execstack` (true) or `-z noexecstack` (false).
    pub exec_stack: Option<bool>,
    /// `-m EMULATION`: the machine of an output without native inputs.
    pub emulation: Option<String>,
    /// `--warn-common`: warn when a common symbol meets another common or a definition.
    pub warn_common: bool,
    /// `-e SYMBOL`: a partial link only warns, as GNU ld does, when nothing defines it.
    pub entry: Option<Vec<u8>>,
    /// `--allow-multiple-definition` / `-z muldefs`: a second strong definition is not an
    /// error; the first one wins.
    pub allow_multiple_definition: bool,
    /// The `-z` options that act on the merged `.note.gnu.property`.
    pub properties: PropertyOptions,
    /// `--compress-debug-sections=zlib|zlib-gnu|zstd` (`none`: `None`): the output's `.debug_*`
    /// sections compressed as GNU ld compresses them.
    pub compress_debug: Option<crate::elf::compress::Method>,
    /// `-z common`: common symbols are written `STT_COMMON` (`-z nocommon`, the default:
    /// `STT_OBJECT`).
    pub stt_common: bool,
    /// `-t` (`--trace`), how many times given: 1 names each input file, 2 also each archive
    /// member loaded.
    pub trace: u8,
    /// `--force-group-allocation`: the sections of (kept) groups are placed like others, and
    /// the output has no groups.
    pub force_group_allocation: bool,
    /// `--wrap SYMBOL`: undefined references to SYMBOL become `__wrap_SYMBOL`, undefined
    /// references to `__real_SYMBOL` become SYMBOL.
    pub wrap: Vec<Vec<u8>>,
    /// `-S` / `-s` (the last given).
    pub strip: Strip,
    /// `-X` / `-x` (the last given).
    pub discard: Discard,
    /// `--defsym SYMBOL=EXPRESSION`, in order.
    pub defsym: Vec<String>,
    /// `-T FILE` / `--script FILE` (and `-dT`), in order: linker scripts that replace GNU's
    /// default `-r` script (see [`crate::link::script`]).
    pub scripts: Vec<PathBuf>,
}

/// `-S` (`--strip-debug`) or `-s` (`--strip-all`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strip {
    /// Neither.
    #[default]
    None,
    /// `-S`: the debugging sections.
    Debug,
    /// `-s`: those and the local symbols no relocation uses.
    All,
}

/// `-X` (`--discard-locals`) or `-x` (`--discard-all`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Discard {
    /// None given.
    #[default]
    None,
    /// `--discard-none`: every local kept (also with `-s`).
    Nothing,
    /// `-X`: the compiler's local labels no relocation uses.
    Locals,
    /// `-x`: every local symbol no relocation uses.
    All,
}

/// `-z ibt`, `-z shstk`, `-z cet-report=…`, `-z x86-64-…`: what a partial link adds to the merged
/// `.note.gnu.property` and what it reports (x86).
#[derive(Clone, Debug, Default)]
pub struct PropertyOptions {
    /// `-z ibt`: IBT in `GNU_PROPERTY_X86_FEATURE_1_AND` whatever the inputs say.
    pub ibt: bool,
    /// `-z shstk`: SHSTK likewise.
    pub shstk: bool,
    /// `-z cet-report=warning|error` (`none`: `None`).
    pub cet_report: Option<Report>,
    /// `-z x86-64-baseline|v2|v3|v4`: the level's bit in `GNU_PROPERTY_X86_ISA_1_NEEDED`.
    pub isa_level: u32,
    /// `-z lam-u48` (LAM_U48 and LAM_U57 in `FEATURE_1_AND`), `-z lam-u57` (LAM_U57).
    pub lam_u48: bool,
    /// `-z lam-u57`.
    pub lam_u57: bool,
    /// `-z lam-u48-report=…` (or `-z lam-report=…`; `none`: `None`).
    pub lam_u48_report: Option<Report>,
    /// `-z lam-u57-report=…` (or `-z lam-report=…`).
    pub lam_u57_report: Option<Report>,
    /// `-z force-bti` (aarch64): BTI in `FEATURE_1_AND`, with a warning for each input
    /// without it.
    pub force_bti: bool,
}

/// How a `-z …-report` option reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// A warning.
    Warning,
    /// An error (the link fails).
    Error,
}

/// A partial link's result.
pub struct Linked<'a> {
    /// The output object.
    pub(crate) obj: crate::elf::ElfObject<'a>,
    /// `-t`'s lines (for standard output).
    pub trace: Vec<String>,
    /// Warnings, each as GNU ld words it (without the program name).
    pub warnings: Vec<String>,
}
