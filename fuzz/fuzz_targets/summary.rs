#![no_main]
//! `.tl.summary` decoder. CRCs are recomputed first so the body decoder sees the input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = libwrap::wrapped::summary_section::decode_all(data);
    let mut fixed = data.to_vec();
    let mut pos = 0;
    while pos + 16 <= fixed.len() && &fixed[pos..pos + 4] == libwrap::wrapped::summary_section::MAGIC {
        let len = u32::from_le_bytes([fixed[pos + 8], fixed[pos + 9], fixed[pos + 10], fixed[pos + 11]]) as usize;
        let Some(end) = (pos + 12).checked_add(len).filter(|e| e + 4 <= fixed.len()) else { break };
        let crc = crc32(&fixed[pos..end]);
        fixed[end..end + 4].copy_from_slice(&crc.to_le_bytes());
        pos = end + 4;
    }
    let _ = libwrap::wrapped::summary_section::decode_all(&fixed);
});

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
