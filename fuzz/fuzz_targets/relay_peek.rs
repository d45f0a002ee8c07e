//! The relay's peeker on the first bytes of a connection: never a panic,
//! and the same answer however the bytes are cut into segments (the first
//! byte of the input picks the cuts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6proxy::relay::peek::{Limits, Peek, Protocol, peek};

fuzz_target!(|data: &[u8]| {
    let Some((&step, bytes)) = data.split_first() else {
        return;
    };
    for limits in [Limits::default(), Limits { max_hello: 100, max_head: 100 }] {
        let whole = peek(bytes, &limits);
        if let Peek::Found(protocol, name) = &whole {
            // A name is a valid host name, found where its protocol says.
            assert_eq!(name.as_str().parse::<v6proxy::relay::HostName>().as_ref(), Ok(name));
            assert_eq!(*protocol == Protocol::Tls, bytes[0] == 22);
        }
        let step = usize::from(step).max(1);
        let mut seen = Peek::NeedMore;
        let mut end = 0;
        while seen == Peek::NeedMore && end < bytes.len() {
            end = (end + step).min(bytes.len());
            seen = peek(&bytes[..end], &limits);
        }
        assert_eq!(seen, whole);
    }
});
