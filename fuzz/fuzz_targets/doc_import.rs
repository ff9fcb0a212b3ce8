#![no_main]
//! See ../checks.rs for what this target asserts.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::doc_import(data));
