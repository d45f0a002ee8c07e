//! Properties of the peeker: the answer does not depend on how the bytes
//! were cut into segments, and no input makes it panic.

use proptest::prelude::*;
use v6proxy::relay::peek::{Limits, Peek, Protocol, peek};

/// A ClientHello for `name` with `pad` octets of padding extension, in
/// records of at most `record` octets.
fn client_hello(name: &str, pad: usize, record: usize) -> Vec<u8> {
    let n = name.len() as u16;
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&(n + 5).to_be_bytes());
    ext.extend_from_slice(&(n + 3).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&n.to_be_bytes());
    ext.extend_from_slice(name.as_bytes());
    ext.extend_from_slice(&[0, 21]);
    ext.extend_from_slice(&(pad as u16).to_be_bytes());
    ext.resize(ext.len() + pad, 0);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x5a; 32]);
    body.extend_from_slice(&[32]);
    body.extend_from_slice(&[1; 32]);
    body.extend_from_slice(&[0, 6, 0x13, 1, 0x13, 2, 0x13, 3, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut out = Vec::new();
    for chunk in hs.chunks(record) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// The answer when `bytes` arrive cut at `cuts` (sorted offsets): the first
/// answer that is not `NeedMore`, as a reader that stops there would see.
fn answer_in_segments(bytes: &[u8], cuts: &[usize], limits: &Limits) -> Peek {
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let p = peek(&bytes[..end.min(bytes.len())], limits);
        if p != Peek::NeedMore {
            return p;
        }
    }
    Peek::NeedMore
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,20}(\\.[a-z0-9]{1,10}){1,3}"
}

fn cuts(max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..max, 0..12).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

proptest! {
    #[test]
    fn a_hello_in_any_segments_gives_its_name(
        name in name(), pad in 0usize..3000, record in 1usize..2000, cuts in cuts(5000),
    ) {
        let hello = client_hello(&name, pad, record);
        let limits = Limits::default();
        // A hello cut into records so small that their headers take it past
        // the buffer is refused as too large (a unit test of the peeker
        // checks that); here, every hello that fits.
        prop_assume!(hello.len() <= limits.buffer_len());
        let whole = peek(&hello, &limits);
        prop_assert_eq!(&whole, &Peek::Found(Protocol::Tls, name.parse().unwrap()));
        prop_assert_eq!(answer_in_segments(&hello, &cuts, &limits), whole);
    }

    #[test]
    fn a_request_head_in_any_segments_gives_its_host(
        name in name(), port in proptest::option::of(1u16..), cuts in cuts(300),
        fields in prop::collection::vec(("[A-Za-z-]{1,12}", "[ -~]{0,30}"), 0..5),
    ) {
        let mut req = format!("GET /index.html HTTP/1.1\r\nHost: {name}");
        if let Some(p) = port {
            req.push_str(&format!(":{p}"));
        }
        req.push_str("\r\n");
        for (k, v) in &fields {
            if !k.eq_ignore_ascii_case("host") {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        req.push_str("\r\nbody");
        let limits = Limits::default();
        let whole = peek(req.as_bytes(), &limits);
        prop_assert_eq!(&whole, &Peek::Found(Protocol::Http, name.parse().unwrap()));
        prop_assert_eq!(answer_in_segments(req.as_bytes(), &cuts, &limits), whole);
    }

    #[test]
    fn any_bytes_in_any_segments_give_one_answer(
        bytes in prop::collection::vec(any::<u8>(), 0..3000), cuts in cuts(3000),
        small in any::<bool>(),
    ) {
        let limits = if small {
            Limits { max_hello: 64, max_head: 64 }
        } else {
            Limits::default()
        };
        let whole = peek(&bytes, &limits);
        prop_assert_eq!(answer_in_segments(&bytes, &cuts, &limits), whole);
    }

    #[test]
    fn mutated_hellos_give_one_answer(
        name in name(), record in 1usize..300, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cuts in cuts(600),
    ) {
        let mut hello = client_hello(&name, 40, record);
        for (i, b) in flips {
            let i = i.index(hello.len());
            hello[i] = b;
        }
        let limits = Limits::default();
        let whole = peek(&hello, &limits);
        prop_assert_eq!(answer_in_segments(&hello, &cuts, &limits), whole);
    }
}
