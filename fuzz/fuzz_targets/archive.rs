#![no_main]
//! Archive reader (regular and thin; thin members are looked up in a directory that does not exist).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(a) = libwrap::archive::read(data, "/nonexistent/fuzz.a") {
        for m in &a.members {
            let _ = m.bytes();
        }
    }
});
