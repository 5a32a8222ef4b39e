//! Compressed ELF sections, as BFD writes and reads them (`bfd/compress.c`):
//! - gABI (`SHF_COMPRESSED`): an `Elf64_Chdr` (`ch_type` u32, `ch_reserved` u32, `ch_size` u64,
//!   `ch_addralign` u64; 24 bytes) or `Elf32_Chdr` (`ch_type`, `ch_size`, `ch_addralign`, u32
//!   each; 12 bytes) in the object's byte order, then the compressed bytes; `ch_type` 1 is zlib,
//!   2 zstd. The section's own alignment becomes the header's (8 or 4), `ch_addralign` keeps the
//!   original;
//! - GNU's older form (`.zdebug_*` names): `ZLIB`, the uncompressed size as a big-endian u64,
//!   then a zlib stream;
//! - BFD compresses with zlib's default level (6) or zstd's (3), and leaves a section
//!   uncompressed when that would not make it smaller.

use std::borrow::Cow;
use std::io::{Read, Write};

use super::consts::SHF_COMPRESSED;
use super::{ElfObject, Info, Section, SectionData};

use crate::bad;
use crate::error::PResult;

/// `ELFCOMPRESS_ZLIB`.
pub(crate) const ELFCOMPRESS_ZLIB: u32 = 1;
/// `ELFCOMPRESS_ZSTD`.
pub(crate) const ELFCOMPRESS_ZSTD: u32 = 2;

/// How to compress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// gABI header, zlib.
    Zlib,
    /// `.zdebug_*`, `ZLIB` header.
    ZlibGnu,
    /// gABI header, zstd.
    Zstd,
}

fn header_size(is_64: bool) -> usize {
    if is_64 { 24 } else { 12 }
}

/// A section's contents compressed (`None` when that would not make it smaller), with the
/// new section alignment.
pub(crate) fn compress(data: &[u8], method: Method, align: u64, is_64: bool, big_endian: bool) -> PResult<Option<(Vec<u8>, u64)>> {
    let mut out = Vec::with_capacity(data.len() / 2 + 32);
    match method {
        Method::ZlibGnu => {
            out.extend_from_slice(b"ZLIB");
            out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        }
        Method::Zlib | Method::Zstd => {
            let ch_type = if method == Method::Zlib { ELFCOMPRESS_ZLIB } else { ELFCOMPRESS_ZSTD };
            let w32 = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            let w64 = |v: u64| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
            if is_64 {
                out.extend(w32(ch_type));
                out.extend(w32(0));
                out.extend(w64(data.len() as u64));
                out.extend(w64(align));
            } else {
                out.extend(w32(ch_type));
                out.extend(w32(data.len() as u32));
                out.extend(w32(align as u32));
            }
        }
    }
    match method {
        Method::Zlib | Method::ZlibGnu => {
            let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::new(6));
            z.write_all(data).map_err(|e| bad!("zlib: {e}"))?;
            out = z.finish().map_err(|e| bad!("zlib: {e}"))?;
        }
        Method::Zstd => {
            let compressed = zstd::bulk::compress(data, 3).map_err(|e| bad!("zstd: {e}"))?;
            out.extend(compressed);
        }
    }
    if out.len() >= data.len() {
        return Ok(None);
    }
    let new_align = match method {
        Method::ZlibGnu => 1,
        _ if is_64 => 8,
        _ => 4,
    };
    Ok(Some((out, new_align)))
}

/// The contents of a compressed section and its original alignment: gABI when
/// `shf_compressed`, else GNU's `ZLIB` form.
pub(crate) fn decompress(data: &[u8], shf_compressed: bool, is_64: bool, big_endian: bool) -> PResult<(Vec<u8>, u64)> {
    let r32 = |at: usize| -> PResult<u32> {
        let b: [u8; 4] = data.get(at..at + 4).and_then(|b| b.try_into().ok()).ok_or_else(|| bad!("compressed section header truncated"))?;
        Ok(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let r64 = |at: usize| -> PResult<u64> {
        let b: [u8; 8] = data.get(at..at + 8).and_then(|b| b.try_into().ok()).ok_or_else(|| bad!("compressed section header truncated"))?;
        Ok(if big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    };
    let (ch_type, size, align, body) = if shf_compressed {
        if is_64 {
            (r32(0)?, r64(8)?, r64(16)?, &data[header_size(true).min(data.len())..])
        } else {
            (r32(0)?, u64::from(r32(4)?), u64::from(r32(8)?), &data[header_size(false).min(data.len())..])
        }
    } else {
        if !data.starts_with(b"ZLIB") || data.len() < 12 {
            return Err(bad!("not a compressed section (no ZLIB header)"));
        }
        let size = u64::from_be_bytes(data[4..12].try_into().unwrap_or([0; 8]));
        (ELFCOMPRESS_ZLIB, size, 1, &data[12..])
    };
    // Every byte of output needs input: refuse sizes no stream of this length can give.
    if size > (body.len() as u64).saturating_mul(1032).saturating_add(64) {
        return Err(bad!("compressed section claims {size} bytes from {} compressed", body.len()));
    }
    let mut out = Vec::with_capacity(size as usize);
    match ch_type {
        ELFCOMPRESS_ZLIB => {
            flate2::read::ZlibDecoder::new(body).take(size + 1).read_to_end(&mut out).map_err(|e| bad!("zlib: {e}"))?;
        }
        ELFCOMPRESS_ZSTD => {
            zstd::stream::read::Decoder::new(body)
                .map_err(|e| bad!("zstd: {e}"))?
                .take(size + 1)
                .read_to_end(&mut out)
                .map_err(|e| bad!("zstd: {e}"))?;
        }
        t => return Err(bad!("unknown compression type {t}")),
    }
    if out.len() as u64 != size {
        return Err(bad!("compressed section holds {} bytes, its header says {size}", out.len()));
    }
    Ok((out, align))
}

/// The relocation section's target, when it is one against the symbol table.
fn relocation_target(s: &Section<'_>) -> Option<usize> {
    match (&s.data, &s.info) {
        (SectionData::Relocations { .. }, Info::Section(t)) => Some(*t),
        _ => None,
    }
}

/// `--compress-debug-sections` (`Some(method)`) and `--decompress-debug-sections` (`None`) on
/// the `.debug_*` sections ([`crate::elf::compress`] has the formats and BFD's rules).
pub(crate) fn compress_debug_sections(obj: &mut ElfObject<'_>, method: Option<Method>) -> Result<(), String> {
    let (is_64, be) = (obj.is_64, obj.big_endian);
    for k in 0..obj.sections.len() {
        let s = &obj.sections[k];
        let gabi = s.sh_flags & SHF_COMPRESSED != 0;
        let gnu = s.name.starts_with(b".zdebug_");
        if !(s.name.starts_with(b".debug_") || gnu) || relocation_target(s).is_some() {
            continue;
        }
        let SectionData::Bytes(bytes) = &s.data else { continue };
        // Start from the plain contents.
        let (plain, align) = if gabi || gnu {
            let (d, a) = decompress(bytes, gabi, is_64, be).map_err(|x| format!("{}: {x}", String::from_utf8_lossy(&s.name)))?;
            (Cow::Owned(d), a)
        } else {
            (bytes.clone(), s.sh_addralign)
        };
        let plain_name = if gnu { [b".debug_".as_slice(), &s.name[8..]].concat() } else { s.name.to_vec() };
        let compressed = match method {
            Some(m) if !plain.is_empty() => compress(&plain, m, align, is_64, be).map_err(|x| x.to_string())?.map(|c| (c, m)),
            _ => None,
        };
        let s = &mut obj.sections[k];
        let name = match compressed {
            Some(((bytes, new_align), m)) => {
                s.data = SectionData::Bytes(Cow::Owned(bytes));
                s.sh_addralign = new_align;
                if m == Method::ZlibGnu {
                    s.sh_flags &= !SHF_COMPRESSED;
                    [b".zdebug_".as_slice(), &plain_name[7..]].concat()
                } else {
                    s.sh_flags |= SHF_COMPRESSED;
                    plain_name
                }
            }
            None => {
                s.data = SectionData::Bytes(plain);
                s.sh_addralign = align;
                s.sh_flags &= !SHF_COMPRESSED;
                plain_name
            }
        };
        rename_with_relocations(obj, k, name);
    }
    Ok(())
}

/// Renames section `k` and the relocation sections that apply to it (`.rela` + the new name).
fn rename_with_relocations(obj: &mut ElfObject<'_>, k: usize, name: Vec<u8>) {
    if obj.sections[k].name.as_ref() == name.as_slice() {
        return;
    }
    for r in 0..obj.sections.len() {
        if relocation_target(&obj.sections[r]) == Some(k) {
            let kind: &[u8] = if obj.sections[r].name.starts_with(b".rela") { b".rela" } else { b".rel" };
            obj.sections[r].name = Cow::Owned([kind, &name].concat());
        }
    }
    obj.sections[k].name = Cow::Owned(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let data: Vec<u8> = (0..4000u32).map(|i| (i % 7) as u8).collect();
        for m in [Method::Zlib, Method::ZlibGnu, Method::Zstd] {
            for (is_64, be) in [(true, false), (false, true)] {
                let (c, _) = compress(&data, m, 1, is_64, be).unwrap().unwrap();
                let (d, align) = decompress(&c, m != Method::ZlibGnu, is_64, be).unwrap();
                assert_eq!((d, align), (data.clone(), 1), "{m:?}");
            }
        }
        assert!(compress(b"ab", Method::Zlib, 1, true, false).unwrap().is_none());
    }
}
