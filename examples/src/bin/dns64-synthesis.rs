//! Synthesizes a DNS64 answer with `v6dns64` (RFC 6147 section 5.1): an
//! IPv6-only client asks for the AAAA records of an IPv4-only name; the
//! upstream resolver has none, so the name's A records are asked for and
//! come back embedded in the NAT64 prefix 64:ff9b::/96.
//!
//! `Dns64` does no I/O: the upstream resolver here is played by the
//! program itself, answering the questions the state machine asks.
//!
//! ```text
//! cargo run -p v6kit-examples --bin dns64-synthesis
//! ```

use std::net::IpAddr;
use std::process::ExitCode;

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::rdata::{A, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use v6core::Pref64;
use v6dns64::{Action, Dns64, Policy};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dns64-synthesis: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client: IpAddr = "2001:db8:1::2".parse()?;
    let dns64 = Dns64::new(Policy::new(
        Pref64::WELL_KNOWN,
        // The clients that get answers.
        vec!["2001:db8:1::/64".parse()?],
    ));
    let name = Name::from_ascii("v4only.example.")?;

    // The client's query, as it arrives in a datagram.
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(name.clone(), RecordType::AAAA));
    println!("client {client} asks {name} AAAA");
    let mut action = dns64.query(&query.to_vec()?, client);

    loop {
        match action {
            Action::Ask(pending) => {
                let question = pending.question().clone();
                println!(
                    "upstream is asked {} {}",
                    question.name(),
                    question.query_type()
                );
                let mut answer = pending.upstream_query().clone().into_response();
                if question.query_type() == RecordType::AAAA {
                    // No AAAA records: NOERROR with the zone's SOA, whose
                    // MINIMUM caps the synthesized records' TTL.
                    let soa = SOA::new(
                        Name::from_ascii("ns.example.")?,
                        Name::from_ascii("hostmaster.example.")?,
                        1,
                        3600,
                        600,
                        86400,
                        120,
                    );
                    answer.add_authority(Record::from_rdata(
                        Name::from_ascii("example.")?,
                        120,
                        RData::SOA(soa),
                    ));
                    println!("upstream says NOERROR, no records (SOA minimum 120)");
                } else {
                    for v4 in [A::new(192, 0, 2, 33), A::new(198, 51, 100, 7)] {
                        answer.add_answer(Record::from_rdata(name.clone(), 300, RData::A(v4)));
                        println!("upstream says {name} 300 A {v4}");
                    }
                }
                action = pending.answer(&dns64, Some(answer));
            }
            Action::Reply(reply) => {
                println!("client gets {}", reply.response_code);
                for r in &reply.answers {
                    if let RData::AAAA(aaaa) = &r.data {
                        println!("{} {} AAAA {}", r.name, r.ttl, aaaa.0);
                    }
                }
                return Ok(());
            }
            Action::Drop => return Err("the query was dropped".into()),
        }
    }
}
