//! Everything known about the modules of a bitcode buffer: each module's symbols (llvm-nm's view,
//! [`super::symtab`]) and, when asked for, its records, summary and function blocks
//! ([`super::module`]).

use super::container::Container;
use super::module::{self, ModuleInfo, ReadOptions};
use super::symtab::{self, ModuleSymbols};
use crate::bad;
use crate::error::PResult;

/// One module's symbols and records.
#[derive(Clone, Debug)]
pub struct ModuleDetails {
    /// The module's symbols (llvm-nm's view).
    pub symbols: ModuleSymbols,
    /// Its records, summary and function blocks (empty when only symbols were read).
    pub info: ModuleInfo,
}

impl ModuleDetails {
    /// The module's target triple (from its records, else from its symbol table).
    pub fn triple(&self) -> &str {
        if self.info.triple.is_empty() { &self.symbols.triple } else { &self.info.triple }
    }
}

/// Reads symbols, records, summary and function blocks of every module.
pub fn module_details(c: &Container<'_>) -> PResult<Vec<ModuleDetails>> {
    let opts = ReadOptions { summary: true, function_blocks: true, instruction_counts: true, constants: false };
    read_all(c, Some(opts))
}

/// Symbols only (no records, summary or function blocks): what listing symbols needs.
pub(crate) fn module_details_symbols_only(c: &Container<'_>) -> PResult<Vec<ModuleDetails>> {
    read_all(c, None)
}

fn read_all(c: &Container<'_>, records: Option<ReadOptions>) -> PResult<Vec<ModuleDetails>> {
    c.modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let symbols = symtab::read(m).map_err(|e| bad!("module {i}: {e}"))?;
            let info = match records {
                Some(opts) => module::read_module(m, opts).map_err(|e| bad!("module {i}: {e}"))?,
                None => ModuleInfo::default(),
            };
            Ok(ModuleDetails { symbols, info })
        })
        .collect()
}
