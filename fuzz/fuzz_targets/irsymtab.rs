#![no_main]
//! irsymtab decoder: the first 4 bytes give the blob length, the rest is blob then STRTAB.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let n = (u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize).min(data.len() - 4);
    let (blob, strtab) = data[4..].split_at(n);
    let _ = libwrap::bitcode::irsymtab::decode(blob, strtab);
});
