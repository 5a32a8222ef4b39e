#![no_main]
//! ELF reader, symbol model, classification, summary lookup and writer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(obj) = libwrap::elf::read(data) {
        let _ = libwrap::view::nm::elf_view(&obj, false);
        let _ = libwrap::file_kind::classify(&obj);
        let _ = libwrap::wrapped::read_records(&obj);
        let _ = libwrap::elf::write(&obj);
    }
});
