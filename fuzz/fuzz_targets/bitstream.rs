#![no_main]
//! Bitstream container, module records, summary, function blocks, symbol view, split/normalize.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(c) = libwrap::bitcode::parse(data) {
        for m in &c.modules {
            let _ = libwrap::bitcode::symtab::read(m);
            let opts = libwrap::bitcode::module::ReadOptions { summary: true, function_blocks: true, instruction_counts: true, constants: true };
            let _ = libwrap::bitcode::module::read_module(m, opts);
        }
        let _ = libwrap::bitcode::container::split(data);
        let _ = libwrap::bitcode::container::normalize(data);
    }
});
