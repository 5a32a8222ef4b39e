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

/// The largest NOBITS section given contents by a flag change (1 GiB).
const MAX_ZERO_FILL: u64 = 1 << 30;

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

    /// Whether the flags say `share` (COFF's; GNU notes that it drops it on ELF).
    pub(crate) fn shares(self) -> bool {
        self.has("share")
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
            // Zeros for the new contents, but not more than any real object could hold: a
            // hostile size stays NOBITS rather than exhausting memory.
            (false, SectionData::NoBits(n)) if *n <= MAX_ZERO_FILL => s.data = SectionData::Bytes(Cow::Owned(vec![0; *n as usize])),
            (false, SectionData::NoBits(_)) => return,
            _ => {}
        }
        s.sh_type = if nobits { SHT_NOBITS } else { SHT_PROGBITS };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_add_symbol_like_gnu() {
        let a = AddSymbol::parse("s=.text:0x10,weak,FUNCTION,before=é").unwrap();
        assert_eq!((a.section.as_deref(), a.value, a.flags.as_slice()), (Some(&b".text"[..]), 16, &["weak", "function"][..]));
        assert_eq!(a.before.as_deref(), Some("é".as_bytes()));
        assert_eq!(AddSymbol::parse("s=7").unwrap().flags, ["global"]);
        assert!(AddSymbol::parse("s").is_err() && AddSymbol::parse("s=1,é").is_err());
    }

    #[test]
    fn parses_prefixes_like_gnu() {
        assert_eq!(SecFlags::parse("a,CODE").unwrap(), SecFlags(1 | 1 << 5));
        assert!(SecFlags::parse("alloc,bogus").unwrap_err()[0].contains("`bogus'"));
    }
}

/// One `--add-symbol NAME=[SECTION:]VALUE[,FLAGS]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddSymbol {
    /// The symbol's name.
    pub name: Vec<u8>,
    /// The section its value is relative to (absolute without one).
    pub section: Option<Vec<u8>>,
    /// Its value (`strtoull` base 0, as GNU reads it).
    pub value: u64,
    /// BFD's symbol flags, by name (see [`SYMBOL_FLAGS`]); GNU's default is `global`.
    pub flags: Vec<&'static str>,
    /// `before=OTHER`: placed before that symbol.
    pub before: Option<Vec<u8>>,
    /// `before=` was found in an earlier file of the run: GNU then adds the symbol to none of
    /// the later ones (an archive's later members do not get it).
    pub placed: std::cell::Cell<bool>,
}

/// The symbol flags GNU objcopy's `parse_symflags` knows (exact words).
pub const SYMBOL_FLAGS: [&str; 15] = [
    "local",
    "global",
    "export",
    "debug",
    "function",
    "weak",
    "section",
    "constructor",
    "warning",
    "indirect",
    "file",
    "object",
    "synthetic",
    "indirect-function",
    "unique-object",
];

/// C's `strtoull(s, _, 0)`: a prefix in hex (`0x`), octal (`0`) or decimal; 0 without digits.
fn strtoull(s: &str) -> u64 {
    let (digits, radix) = super::addresses::c_radix(s);
    let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    u64::from_str_radix(&digits[..end], radix).unwrap_or(u64::MAX) // C saturates on overflow
}

impl AddSymbol {
    /// Parses the option's argument as GNU does; its messages (one or two lines) on error.
    pub fn parse(arg: &str) -> Result<AddSymbol, Vec<String>> {
        let (name, mut rest) = arg.split_once('=').ok_or_else(|| vec!["bad format for --add-symbol".to_string()])?;
        let mut section = None;
        if let Some((sec, after)) = rest.split_once(':') {
            section = Some(sec.as_bytes().to_vec());
            rest = after;
        }
        let value = strtoull(rest);
        let (mut flags, mut before) = (Vec::new(), None);
        match rest.split_once(',') {
            None => flags.push("global"),
            Some((_, list)) => {
                for word in list.split(',') {
                    if word.len() >= 7 && word.as_bytes()[..7].eq_ignore_ascii_case(b"before=") {
                        before = Some(word.as_bytes()[7..].to_vec());
                    } else if let Some(f) = SYMBOL_FLAGS.iter().find(|f| f.eq_ignore_ascii_case(word)) {
                        flags.push(*f);
                    } else {
                        return Err(vec![
                            format!("unrecognized symbol flag `{word}'"),
                            format!("supported flags: {}, before=<othersym>", SYMBOL_FLAGS.join(", ")),
                        ]);
                    }
                }
            }
        }
        Ok(AddSymbol { name: name.as_bytes().to_vec(), section, value, flags, before, placed: std::cell::Cell::new(false) })
    }

    /// ELF `st_info` for the flags (BFD's `elf_swap_symbol_out` order: local, unique, weak,
    /// global, else local; the type from function/object/indirect-function/file/section).
    pub(crate) fn st_info(&self) -> u8 {
        let has = |f: &str| self.flags.contains(&f);
        let bind = if has("local") {
            STB_LOCAL
        } else if has("unique-object") {
            STB_GNU_UNIQUE
        } else if has("weak") {
            STB_WEAK
        } else if has("global") || has("export") {
            STB_GLOBAL
        } else {
            STB_LOCAL
        };
        let kind = if has("indirect-function") {
            STT_GNU_IFUNC
        } else if has("function") {
            STT_FUNC
        } else if has("object") || has("unique-object") {
            STT_OBJECT
        } else if has("file") {
            STT_FILE
        } else if has("section") {
            STT_SECTION
        } else {
            STT_NOTYPE
        };
        (bind << 4) | kind
    }
}
