//! GNU objcopy's non-ELF outputs of an ELF file (`-O binary`, `-O ihex`, `-O srec`,
//! `-O verilog`), as BFD's `binary.c`, `ihex.c`, `srec.c` and `verilog.c` write them.
//!
//! What is written: the contents of every allocated section that has contents (not
//! `SHT_NOBITS`, not empty), at its load address (a program's `p_paddr` moved by the
//! section's place in its segment; a relocatable object's address). objcopy hands each
//! section's contents to the format as one chunk, in section order, and then the gaps
//! `--gap-fill`/`--pad-to` fill as chunks of their own; the record formats keep the chunks
//! sorted by address (stable), and a record never spans two chunks.
//! - binary: the bytes at their address less the lowest one; the file ends at the last byte
//!   written (later sections overwrite earlier ones where they overlap; holes are zeros).
//! - ihex: `:LLAAAATT…CC` records of at most 16 bytes, CRLF; an extended segment address
//!   record (02) while addresses fit in 20 bits, then extended linear address records (04);
//!   a start record (03 or 05) when the start address is not 0; the end record.
//! - srec: an S0 record holding the output's name (at most 40 bytes), S1/S2/S3 data records
//!   (the smallest that holds the highest address, or S3 with `--srec-forceS3`) of
//!   `--srec-len` bytes (16 by default), CRLF, and the S9/S8/S7 terminator with the start.
//! - verilog: an `@ADDR` line (the address in words of `--verilog-data-width` bytes) per
//!   chunk, then lines of 16 bytes as words in the input's byte order, CRLF.

use crate::elf::consts::*;
use crate::elf::{ElfObject, SectionData};

/// A non-ELF output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `binary`: the memory image.
    Binary,
    /// `ihex`: Intel hex records.
    Ihex,
    /// `srec`: Motorola S-records.
    Srec,
    /// `verilog`: Verilog `$readmemh` memory.
    Verilog,
}

impl Format {
    /// The format GNU's `-O NAME` names.
    pub fn by_name(name: &str) -> Option<Format> {
        match name {
            "binary" => Some(Format::Binary),
            "ihex" => Some(Format::Ihex),
            "srec" => Some(Format::Srec),
            "verilog" => Some(Format::Verilog),
            _ => None,
        }
    }
}

/// A non-ELF output and its options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawOutput {
    /// The format.
    pub format: Format,
    /// `--gap-fill`: the byte between sections (and before `--pad-to`).
    pub gap_fill: Option<u8>,
    /// `--pad-to`: the address the last section is padded to.
    pub pad_to: Option<u64>,
    /// `--srec-len`: data bytes per S-record.
    pub srec_len: Option<u64>,
    /// `--srec-forceS3`.
    pub srec_force_s3: bool,
    /// `--verilog-data-width` (1 by default).
    pub verilog_width: u64,
    /// `-i`/`--interleave-width`/`-b`: keep `width` bytes from byte `byte` of every
    /// `interleave`.
    pub interleave: Option<Interleave>,
    /// `--reverse-bytes`: reverse each group of this many bytes.
    pub reverse_bytes: Option<u64>,
    /// The output's name as given (srec's header record).
    pub name: String,
}

/// `-i N --interleave-width W -b B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interleave {
    /// `-i`: bytes per group.
    pub interleave: u64,
    /// `--interleave-width`: bytes kept per group.
    pub width: u64,
    /// `-b`: the first byte kept.
    pub byte: u64,
}

/// What stopped a write: GNU's fatal error (printed alone), or its non-fatal errors (each
/// printed, the status 1, nothing written).
#[derive(Debug)]
pub(crate) enum Failure {
    Fatal(String),
    Errors(Vec<String>),
    /// About the input (printed after its name).
    File(String),
}

/// Writes `obj` (its edits done) in `out`'s format; `start` is the entry address.
pub(crate) fn write(obj: &ElfObject<'_>, out: &RawOutput, start: u64) -> Result<Vec<u8>, Failure> {
    let chunks = chunks(obj, out)?;
    match out.format {
        Format::Binary => binary(&chunks).map_err(Failure::File),
        Format::Ihex => ihex(sorted(chunks), start, &out.name).map_err(Failure::Errors),
        Format::Srec => Ok(srec(&sorted(chunks), start, out)),
        Format::Verilog => verilog(&sorted(chunks), out.verilog_width, obj.big_endian, &out.name).map_err(Failure::Errors),
    }
}

/// One `bfd_set_section_contents` call: bytes at a load address.
struct Chunk {
    lma: u64,
    bytes: Vec<u8>,
}

/// A loadable section as `copy_object` sees it: its load address before `-i` divides it, its
/// size as `setup_section` set it, and where it ends up.
struct Loadable {
    lma: u64,
    size: u64,
    out_lma: u64,
}

/// What the format gets: the sections' chunks in section order, then the gaps' (pieces of
/// at most 8 KiB), as objcopy's `copy_object` writes them.
fn chunks(obj: &ElfObject<'_>, out: &RawOutput) -> Result<Vec<Chunk>, Failure> {
    let mut chunks = Vec::new();
    let mut loadable = Vec::new();
    for (i, s) in obj.sections.iter().enumerate() {
        let SectionData::Bytes(b) = &s.data else { continue };
        if s.sh_flags & SHF_ALLOC == 0 || s.sh_type == SHT_NOBITS {
            continue;
        }
        let mut bytes = b.to_vec();
        let lma = obj.lma(i);
        let mut l = Loadable { lma, size: bytes.len() as u64, out_lma: lma };
        if let Some(n) = out.reverse_bytes.filter(|_| !bytes.is_empty()) {
            if !(bytes.len() as u64).is_multiple_of(n) {
                return Err(Failure::Fatal(format!(
                    "cannot reverse bytes: length of section {} must be evenly divisible by {n}",
                    String::from_utf8_lossy(&s.name)
                )));
            }
            bytes.chunks_mut(n as usize).for_each(<[u8]>::reverse);
        }
        if let Some(il) = out.interleave {
            l.size = l.size.div_ceil(il.interleave) * il.width;
            (bytes, l.out_lma) = interleaved(&bytes, lma, il);
        }
        if !bytes.is_empty() {
            chunks.push(Chunk { lma: l.out_lma, bytes });
        }
        loadable.push(l);
    }
    let gaps = gaps(&loadable, out).map_err(Failure::File)?;
    chunks.extend(gaps);
    Ok(chunks)
}

/// `--gap-fill` and `--pad-to`: the sections sorted by load address (then size, then order);
/// each gap to the next one filled, the last one padded.
fn gaps(loadable: &[Loadable], out: &RawOutput) -> Result<Vec<Chunk>, String> {
    let mut gaps = Vec::new();
    if out.gap_fill.is_none() && out.pad_to.is_none() {
        return Ok(gaps);
    }
    let mut total = 0u64;
    let fill = out.gap_fill.unwrap_or(0);
    let mut order: Vec<usize> = (0..loadable.len()).collect();
    order.sort_by_key(|&k| (loadable[k].lma, loadable[k].size, k));
    let mut put = |l: &Loadable, len: u64| {
        total = total.saturating_add(len);
        if total > MAX_OUTPUT {
            return;
        }
        let mut at = 0;
        while at < len {
            let n = (len - at).min(8192);
            gaps.push(Chunk { lma: l.out_lma.wrapping_add(l.size).wrapping_add(at), bytes: vec![fill; n as usize] });
            at += n;
        }
    };
    if out.gap_fill.is_some() {
        for w in order.windows(2) {
            let (a, b) = (&loadable[w[0]], &loadable[w[1]]);
            if a.lma.saturating_add(a.size) < b.lma {
                put(a, b.lma - (a.lma + a.size));
            }
        }
    }
    if let (Some(pad), Some(&last)) = (out.pad_to, order.last()) {
        let l = &loadable[last];
        if l.lma.saturating_add(l.size) < pad {
            put(l, pad - (l.lma + l.size));
        }
    }
    if total > MAX_OUTPUT { Err(too_large(total)) } else { Ok(gaps) }
}

/// The bytes `-i`/`--interleave-width`/`-b` keep of a section at `lma`, and its new load
/// address (objcopy's `copy_section`: the start byte counts from the address modulo the
/// interleave; the size is rounded as GNU rounds it, bytes past those kept being the
/// input's).
fn interleaved(bytes: &[u8], lma: u64, il: Interleave) -> (Vec<u8>, u64) {
    let (i, w, b) = (il.interleave, il.width as usize, il.byte);
    let extra = lma % i;
    let mut from = b as i64 - extra as i64;
    if b < extra {
        from += i as i64;
    }
    let mut kept = Vec::new();
    while (from as usize) < bytes.len() {
        kept.extend(bytes[from as usize..].iter().take(w));
        from += i as i64;
    }
    let size = ((bytes.len() as u64 + i - 1).saturating_sub(b) / i) as usize * w;
    if kept.len() < size {
        let stale = bytes.get(kept.len()..size.min(bytes.len())).unwrap_or(&[]).to_vec();
        kept.extend(stale);
    }
    kept.truncate(size);
    (kept, lma / i + u64::from(b < extra))
}

/// The chunks in the order the record formats keep them: one at or above the last is
/// appended, any other goes before the first one not below it.
fn sorted(chunks: Vec<Chunk>) -> Vec<Chunk> {
    let mut list: Vec<Chunk> = Vec::with_capacity(chunks.len());
    for c in chunks {
        match list.last() {
            Some(tail) if c.lma < tail.lma => {
                let at = list.iter().position(|x| x.lma >= c.lma).unwrap_or(list.len());
                list.insert(at, c);
            }
            _ => list.push(c),
        }
    }
    list
}

/// The largest file a non-ELF output is allowed to become (its holes are written out).
const MAX_OUTPUT: u64 = 1 << 32;

fn too_large(what: u64) -> String {
    format!("the output would be {what} bytes (sections too far apart): not written")
}

fn binary(chunks: &[Chunk]) -> Result<Vec<u8>, String> {
    let Some(low) = chunks.iter().map(|c| c.lma).min() else { return Ok(Vec::new()) };
    let end = chunks.iter().map(|c| (c.lma - low).saturating_add(c.bytes.len() as u64)).max().unwrap_or(0);
    if end > MAX_OUTPUT {
        return Err(too_large(end));
    }
    let mut out = vec![0u8; end as usize];
    for c in chunks {
        let at = (c.lma - low) as usize;
        out[at..at + c.bytes.len()].copy_from_slice(&c.bytes);
    }
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn push_hex(out: &mut Vec<u8>, b: u8) {
    out.push(HEX[(b >> 4) as usize]);
    out.push(HEX[(b & 15) as usize]);
}

/// One Intel hex record.
fn ihex_record(out: &mut Vec<u8>, kind: u8, addr: u16, data: &[u8]) {
    out.push(b':');
    let head = [data.len() as u8, (addr >> 8) as u8, addr as u8, kind];
    let mut sum = 0u8;
    for &b in head.iter().chain(data) {
        push_hex(out, b);
        sum = sum.wrapping_add(b);
    }
    push_hex(out, sum.wrapping_neg());
    out.extend_from_slice(b"\r\n");
}

fn ihex(mut chunks: Vec<Chunk>, start: u64, name: &str) -> Result<Vec<u8>, Vec<String>> {
    let mut out = Vec::new();
    // Addresses past 32 bits are taken when they are sign-extended ones.
    for c in &mut chunks {
        if c.lma > 0xffff_ffff {
            if c.lma < 0xffff_ffff_8000_0000 {
                return Err(vec![
                    format!("{name} 64-bit address {:#x} out of range for Intel Hex file", c.lma),
                    format!("{name}: bad value"),
                ]);
            }
            c.lma &= 0xffff_ffff;
        }
    }
    let (mut segbase, mut extbase) = (0u64, 0u64);
    for c in chunks {
        let (mut at, mut rest) = (c.lma, c.bytes.as_slice());
        while !rest.is_empty() {
            let mut now = rest.len().min(16);
            if at < extbase || at - extbase < segbase || at - extbase - segbase > 0xffff {
                if extbase == 0 && at <= 0xfffff {
                    segbase = at & 0xf0000;
                    ihex_record(&mut out, 2, 0, &[(segbase >> 12) as u8, (segbase >> 4) as u8]);
                } else {
                    if segbase != 0 {
                        ihex_record(&mut out, 2, 0, &[0, 0]);
                        segbase = 0;
                    }
                    extbase = at & 0xffff_0000;
                    ihex_record(&mut out, 4, 0, &[(extbase >> 24) as u8, (extbase >> 16) as u8]);
                }
            }
            let rec = at - (extbase + segbase);
            if rec + now as u64 > 0xffff {
                now = (0x10000 - rec) as usize;
            }
            ihex_record(&mut out, 0, rec as u16, &rest[..now]);
            at += now as u64;
            rest = &rest[now..];
        }
    }
    if start != 0 {
        if start <= 0xfffff {
            ihex_record(&mut out, 3, 0, &[((start & 0xf0000) >> 12) as u8, 0, (start >> 8) as u8, start as u8]);
        } else {
            ihex_record(&mut out, 5, 0, &(start as u32).to_be_bytes());
        }
    }
    ihex_record(&mut out, 1, 0, &[]);
    Ok(out)
}

/// One S-record of `kind` (0–9).
fn srec_record(out: &mut Vec<u8>, kind: u8, addr: u64, data: &[u8]) {
    let addr_len = match kind {
        3 | 7 => 4,
        2 | 8 => 3,
        _ => 2,
    };
    out.push(b'S');
    out.push(b'0' + kind);
    let mut body = vec![(addr_len + data.len() + 1) as u8];
    body.extend_from_slice(&addr.to_be_bytes()[8 - addr_len..]);
    body.extend_from_slice(data);
    let mut sum = 0u8;
    for &b in &body {
        push_hex(out, b);
        sum = sum.wrapping_add(b);
    }
    push_hex(out, !sum);
    out.extend_from_slice(b"\r\n");
}

fn srec(chunks: &[Chunk], start: u64, o: &RawOutput) -> Vec<u8> {
    let mut kind = 1u8;
    for c in chunks {
        let last = (c.lma + c.bytes.len() as u64).saturating_sub(1);
        kind = if o.srec_force_s3 {
            3
        } else if last <= 0xffff {
            kind
        } else if last <= 0xff_ffff && kind <= 2 {
            2
        } else {
            3
        };
    }
    let mut out = Vec::new();
    let name = o.name.as_bytes();
    srec_record(&mut out, 0, 0, &name[..name.len().min(40)]);
    let len = match o.srec_len.unwrap_or(16) {
        0 => 1,
        n => n.min(0xff - kind as u64 - 2),
    } as usize;
    for c in chunks {
        for (k, data) in c.bytes.chunks(len).enumerate() {
            srec_record(&mut out, kind, c.lma + (k * len) as u64, data);
        }
    }
    srec_record(&mut out, 10 - kind, start, &[]);
    out
}

fn verilog(chunks: &[Chunk], width: u64, big_endian: bool, name: &str) -> Result<Vec<u8>, Vec<String>> {
    let mut out = Vec::new();
    let w = width.max(1) as usize;
    for c in chunks {
        if !c.lma.is_multiple_of(width.max(1)) {
            return Err(vec![format!("{name}: invalid operation")]);
        }
        let addr = c.lma / width.max(1);
        out.push(b'@');
        if addr >= 1 << 32 {
            addr.to_be_bytes()[..4].iter().for_each(|&b| push_hex(&mut out, b));
        }
        (addr as u32).to_be_bytes().iter().for_each(|&b| push_hex(&mut out, b));
        out.extend_from_slice(b"\r\n");
        for line in c.bytes.chunks(16) {
            verilog_line(&mut out, line, w, big_endian);
        }
    }
    Ok(out)
}

/// A line of bytes as words of `w` bytes (little-endian words reversed; a short last word
/// too).
fn verilog_line(out: &mut Vec<u8>, line: &[u8], w: usize, big_endian: bool) {
    if w == 1 {
        for (k, &b) in line.iter().enumerate() {
            if k > 0 {
                out.push(b' ');
            }
            push_hex(out, b);
        }
    } else if !big_endian {
        // Whole words while more than one word is left, then the rest reversed (no space).
        let mut at = 0;
        while at + w < line.len() {
            line[at..at + w].iter().rev().for_each(|&b| push_hex(out, b));
            out.push(b' ');
            at += w;
        }
        line[at..].iter().rev().for_each(|&b| push_hex(out, b));
    } else {
        for (k, &b) in line.iter().enumerate() {
            push_hex(out, b);
            if (k + 1) % w == 0 {
                out.push(b' ');
            }
        }
    }
    out.extend_from_slice(b"\r\n");
}
