//! `tl-nm --summary`: the summary records of an input's bitcode modules, from its
//! `.tl.summary` when it is a wrapped object, else computed from the bitcode.

use crate::bad;
use crate::bitcode::{self, container, details};
use crate::elf;
use crate::embedded;
use crate::error::PResult;
use crate::file_kind::{self, ElfKind, FileKind};
use crate::wrapped::records::{inspect, module_record};
use crate::wrapped::summary_section::ModuleRecord;

/// The records of an input's modules, in module order.
#[derive(Clone, Debug)]
pub struct Summaries {
    /// One record per module.
    pub records: Vec<ModuleRecord>,
    /// They came from a `.tl.summary` section (else they were computed from the bitcode).
    pub from_section: bool,
}

fn computed(bc: &[u8]) -> PResult<Vec<ModuleRecord>> {
    let c = bitcode::parse(bc)?;
    let details = details::module_details(&c)?;
    Ok(details.iter().enumerate().map(|(i, d)| module_record(&c, i, d)).collect())
}

/// The summaries of raw bitcode or of an ELF object carrying bitcode; `None` when the object
/// carries none.
pub fn summaries(data: &[u8]) -> PResult<Option<Summaries>> {
    match file_kind::sniff(data) {
        FileKind::Bitcode { .. } => Ok(Some(Summaries { records: computed(data)?, from_section: false })),
        FileKind::Elf => {
            let obj = elf::read(data)?;
            match file_kind::classify(&obj) {
                ElfKind::Wrapped => {
                    let insp = inspect(&obj)?;
                    let records = insp.matches.iter().flatten().map(|&k| insp.records[k].clone()).collect();
                    Ok(Some(Summaries { records, from_section: true }))
                }
                k if k.has_bitcode() => {
                    let bc = embedded::bitcode_section(&obj).ok_or_else(|| bad!("empty bitcode section"))?;
                    let bc = container::normalize(&bc)?;
                    Ok(Some(Summaries { records: computed(&bc)?, from_section: false }))
                }
                _ => Ok(None),
            }
        }
        _ => Err(bad!("file format not recognized")),
    }
}
