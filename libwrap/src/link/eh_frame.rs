//! `.eh_frame` in partial links: the section is a sequence of records (each a length, then an id:
//! 0 for a CIE, else the distance back to the FDE's CIE). A partial link rebuilds it as GNU
//! ld -r does: FDEs whose code was discarded (a COMDAT group lost to another copy) are dropped,
//! CIEs left without FDEs too, and the survivors' CIE pointers are rewritten; CIEs are not
//! merged across inputs (GNU merges them only in final links). A section that does not parse
//! is kept whole.

use crate::bad;
use crate::error::PResult;

/// A record of an input `.eh_frame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Start of the record (its length field) in the input section.
    pub start: usize,
    /// One past its end.
    pub end: usize,
    /// `None` for a CIE; for an FDE, the input offset of its CIE.
    pub cie: Option<usize>,
}

/// Splits an `.eh_frame` section into records. A zero terminator ends the list.
pub fn records(data: &[u8], big_endian: bool) -> PResult<Vec<Record>> {
    let word = |at: usize| -> PResult<u32> {
        let b: [u8; 4] = data.get(at..at + 4).and_then(|s| s.try_into().ok()).ok_or_else(|| bad!(".eh_frame truncated at {at:#x}"))?;
        Ok(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = word(at)?;
        if len == 0 {
            // A terminator: what follows is not records.
            break;
        }
        if len == 0xffff_ffff {
            return Err(bad!(".eh_frame record at {at:#x} uses a 64-bit length"));
        }
        let end =
            at.checked_add(4 + len as usize).filter(|&e| e <= data.len()).ok_or_else(|| bad!(".eh_frame record at {at:#x} overruns"))?;
        if len < 4 {
            return Err(bad!(".eh_frame record at {at:#x} is too short"));
        }
        let id = word(at + 4)?;
        let cie = if id == 0 {
            None
        } else {
            let target = (at + 4).checked_sub(id as usize).ok_or_else(|| bad!(".eh_frame FDE at {at:#x} points before the section"))?;
            if !out.iter().any(|r: &Record| r.start == target && r.cie.is_none()) {
                return Err(bad!(".eh_frame FDE at {at:#x} points to no CIE"));
            }
            Some(target)
        };
        out.push(Record { start: at, end, cie });
        at = end;
    }
    Ok(out)
}
