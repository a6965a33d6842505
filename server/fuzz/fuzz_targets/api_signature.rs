//! `server::channels::api::signature_matches` on arbitrary secrets, bodies and headers:
//! never panics, and a body's own signature (also with surrounding spaces) always matches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::channels::api::{signature, signature_matches};

fuzz_target!(|input: (&[u8], &[u8], &str)| {
    let (secret, body, given) = input;
    let matched = signature_matches(secret, body, given);
    let own = signature(secret, body);
    if given.trim() == own {
        assert!(matched, "the body's own signature did not match");
    }
    assert!(signature_matches(secret, body, &own));
    assert!(signature_matches(secret, body, &format!(" {own}\t")));
});
