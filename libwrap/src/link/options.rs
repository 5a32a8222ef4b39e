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
}

/// A partial link's result.
#[derive(Debug)]
pub struct Linked {
    /// The output object.
    pub bytes: Vec<u8>,
    /// Warnings, each as GNU ld words it (without the program name).
    pub warnings: Vec<String>,
}
