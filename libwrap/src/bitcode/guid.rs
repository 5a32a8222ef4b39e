//! GUIDs of global values, as ThinLTO computes them.
//!
//! `id = local ? source_filename + DELIM + name : name` (a leading `\x01` stripped from the
//! name, `<unknown>` for an empty file name); `GUID` = the first 8 bytes of MD5(id) as a
//! little-endian u64. `DELIM` is `:` up to LLVM 17 and `;` from LLVM 18 (llvm-project PR
//! #74008); LLVM 14 (`:`) and LLVM 19 (`;`) are verified by the fixtures' `llvm-dis` summaries,
//! 15–18 are not verified here.

use md5::{Digest, Md5};

/// The delimiter an LLVM major version uses between file name and local name.
pub(crate) fn delimiter(llvm_major: Option<u32>) -> u8 {
    match llvm_major {
        Some(v) if v < 18 => b':',
        _ => b';',
    }
}

/// The global identifier of a value.
pub(crate) fn global_identifier(name: &[u8], local: bool, source_filename: &str, delim: u8) -> Vec<u8> {
    let name = name.strip_prefix(b"\x01").unwrap_or(name);
    let mut id = Vec::with_capacity(name.len() + source_filename.len() + 1);
    if local {
        if source_filename.is_empty() {
            id.extend_from_slice(b"<unknown>");
        } else {
            id.extend_from_slice(source_filename.as_bytes());
        }
        id.push(delim);
    }
    id.extend_from_slice(name);
    id
}

/// GUID of an identifier.
pub(crate) fn guid_of(identifier: &[u8]) -> u64 {
    let digest = Md5::digest(identifier);
    let mut low = [0u8; 8];
    low.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(low)
}

/// GUID of a value with the given name and linkage locality.
pub(crate) fn guid(name: &[u8], local: bool, source_filename: &str, delim: u8) -> u64 {
    guid_of(&global_identifier(name, local, source_filename, delim))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_low_word_little_endian() {
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(guid_of(b""), u64::from_le_bytes([0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04]));
    }
}
