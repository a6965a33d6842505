//! `server::channels::telegram::parse_update` on arbitrary bytes: never panics, and whatever it accepts
//! satisfies `server_fuzz::check_events`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = server::channels::telegram::parse_update(data) {
        server_fuzz::check_events(&events);
    }
});
