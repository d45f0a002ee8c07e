//! Any bytes as a query: never a panic, and either nothing (too short to
//! answer, or not a query), FORMERR, another error code with the same ID,
//! or a question for the upstream.

use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use proptest::prelude::*;
use v6core::Pref64;
use v6dns64::{Action, Dns64, Policy, wire};

fn dns64() -> Dns64 {
    Dns64::new(Policy::new(
        Pref64::WELL_KNOWN,
        vec!["::/0".parse().unwrap()],
    ))
}

fn check(bytes: &[u8]) {
    let client: IpAddr = "::1".parse().unwrap();
    let dns64 = dns64();
    match dns64.query(bytes, client) {
        Action::Drop => assert!(bytes.len() < 12 || bytes[2] & 0x80 != 0),
        Action::Reply(m) => {
            assert_eq!(m.metadata.id, u16::from_be_bytes([bytes[0], bytes[1]]));
            assert_eq!(m.message_type, MessageType::Response);
            assert_ne!(m.response_code, ResponseCode::NoError);
            // The reply encodes and parses back.
            let out = wire::encode(&m, 512);
            let back = Message::from_vec(&out).unwrap();
            assert_eq!(back.response_code, m.response_code);
        }
        Action::Ask(p) => {
            assert_eq!(p.upstream_query().queries.len(), 1);
            // Whatever the upstream says, there is a reply or another question.
            let mut action = p.answer(&dns64, None);
            for _ in 0..3 {
                action = match action {
                    Action::Ask(p) => p.answer(&dns64, None),
                    other => other,
                };
            }
            let Action::Reply(m) = action else {
                panic!("no reply")
            };
            assert_eq!(m.response_code, ResponseCode::ServFail);
            wire::encode(&m, 512);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&bytes);
    }

    /// Mostly well-formed: a real query header and question with random
    /// bytes spliced in, which reaches deeper than random bytes do.
    #[test]
    fn mutated_queries(pos in 0usize..64, junk in proptest::collection::vec(any::<u8>(), 1..16), qtype in any::<u16>()) {
        let mut m = Message::query();
        m.add_query(hickory_proto::op::Query::query(
            "host.example.".parse().unwrap(),
            hickory_proto::rr::RecordType::from(qtype),
        ));
        let mut bytes = m.to_vec().unwrap();
        let pos = pos.min(bytes.len());
        bytes.splice(pos..pos, junk);
        check(&bytes);
    }
}
