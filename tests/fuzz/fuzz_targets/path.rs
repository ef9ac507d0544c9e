#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| httplab_fuzz::path(data));
