//! BFD's section flags as `--set-section-flags` and `--rename-section old=new,flags` name them,
//! and how BFD's ELF writer turns them into `sh_flags` and `sh_type` (`elf_fake_sections`),
//! checked against GNU objcopy 2.40:
//! - `sh_flags`: `alloc` → `A`, no `readonly` → `W`, `code` → `X`, `exclude` → `E`,
//!   `merge` → `M`, `strings` → `S`; `load`, `noload`, `contents`, `debug`, `data`, `rom`,
//!   `share` set none; group, link, compressed and OS/processor bits (`E` among them) of the
//!   section stay;
//! - `sh_type`, for PROGBITS and NOBITS sections: `NOBITS` when `alloc` without `load` and
//!   without contents, else `PROGBITS` (zeros if it had none). `--set-section-flags` keeps
//!   the section's own "has contents"; `--rename-section` flags replace it.

use std::borrow::Cow;

use crate::elf::consts::*;
use crate::elf::{Section, SectionData};

/// A set of BFD section flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecFlags(pub u32);

/// The flags in GNU's `parse_flags` order (a name matches any prefix of itself, the first
/// match wins, as `strncasecmp(name, word, len(word))` does).
const NAMES: [&str; 13] =
    ["alloc", "load", "noload", "readonly", "debug", "code", "data", "rom", "exclude", "share", "contents", "merge", "strings"];

impl SecFlags {
    fn has(self, name: &str) -> bool {
        NAMES.iter().position(|n| *n == name).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// Parses `alloc,load,…`; GNU's two messages for an unknown word.
    pub fn parse(s: &str) -> Result<SecFlags, Vec<String>> {
        let mut flags = 0u32;
        for word in s.split(',') {
            let lower = word.to_ascii_lowercase();
            match NAMES.iter().position(|n| n.starts_with(lower.as_str())) {
                Some(i) => flags |= 1 << i,
                None => {
                    return Err(vec![format!("unrecognized section flag `{word}'"), format!("supported flags: {}", NAMES.join(", "))]);
                }
            }
        }
        Ok(SecFlags(flags))
    }

    /// Gives `s` these flags; `keep_contents`: whether the section's own contents count
    /// (`--set-section-flags`) or only the `contents` flag does (`--rename-section`).
    pub(crate) fn apply(self, s: &mut Section<'_>, keep_contents: bool) {
        let kept = SHF_GROUP | SHF_INFO_LINK | SHF_LINK_ORDER | SHF_COMPRESSED | SHF_MASKOS | SHF_MASKPROC;
        let mut f = s.sh_flags & kept;
        for (name, bit) in
            [("alloc", SHF_ALLOC), ("code", SHF_EXECINSTR), ("exclude", SHF_EXCLUDE), ("merge", SHF_MERGE), ("strings", SHF_STRINGS)]
        {
            if self.has(name) {
                f |= bit;
            }
        }
        if !self.has("readonly") {
            f |= SHF_WRITE;
        }
        s.sh_flags = f;
        if s.sh_type != SHT_PROGBITS && s.sh_type != SHT_NOBITS {
            return;
        }
        let contents = self.has("contents") || (keep_contents && s.sh_type != SHT_NOBITS);
        let nobits = self.has("alloc") && !self.has("load") && !contents;
        let size = s.size(true);
        match (nobits, &s.data) {
            (true, SectionData::Bytes(_)) => s.data = SectionData::NoBits(size),
            (false, SectionData::NoBits(n)) => s.data = SectionData::Bytes(Cow::Owned(vec![0; *n as usize])),
            _ => {}
        }
        s.sh_type = if nobits { SHT_NOBITS } else { SHT_PROGBITS };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixes_like_gnu() {
        assert_eq!(SecFlags::parse("a,CODE").unwrap(), SecFlags(1 | 1 << 5));
        assert!(SecFlags::parse("alloc,bogus").unwrap_err()[0].contains("`bogus'"));
    }
}
