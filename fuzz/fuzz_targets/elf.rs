#![no_main]
//! ELF reader, symbol model, classification, summary lookup and writer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(obj) = libwrap::elf::read(data) {
        let _ = libwrap::symbols::from_elf(&obj);
        let _ = libwrap::sniff::classify(&obj);
        let _ = libwrap::wrapped::read_records(&obj);
        let _ = libwrap::elf::write(&obj);
    }
});
