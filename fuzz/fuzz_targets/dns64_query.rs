//! The query path: any bytes as a query from an allowed client, and the
//! same bytes as every upstream answer. Nothing may panic, and every reply
//! must encode into a message that parses back.
#![no_main]

use hickory_proto::op::Message;
use libfuzzer_sys::fuzz_target;
use v6dns64::{Action, Dns64, Policy, wire};

fuzz_target!(|data: &[u8]| {
    let dns64 = Dns64::new(Policy::new(
        v6core::Pref64::WELL_KNOWN,
        vec!["::/0".parse().unwrap()],
    ));
    let client = "2001:db8::1".parse().unwrap();
    let mut action = dns64.query(data, client);
    // The state machine asks at most twice.
    for _ in 0..4 {
        action = match action {
            Action::Ask(p) => {
                // The upstream answer: the input itself, turned into a
                // response to the question asked when it parses.
                let answer = Message::from_vec(data).ok().map(|mut m| {
                    m.metadata.message_type = hickory_proto::op::MessageType::Response;
                    m.queries = p.upstream_query().queries.clone();
                    m
                });
                p.answer(&dns64, answer)
            }
            other => other,
        };
    }
    if let Action::Reply(m) = action {
        let bytes = wire::encode(&m, 512);
        assert!(bytes.len() <= 512);
        Message::from_vec(&bytes).expect("a reply parses back");
    }
});
