//! AAAA synthesis from A records (RFC 6147 section 5.1), as pure functions
//! over hickory-proto records.

use core::net::Ipv4Addr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::AAAA;
use hickory_proto::rr::{RData, Record, RecordType};
use v6core::Pref64;

use crate::policy::{Mapped, Policy};

/// The TTL cap of section 5.1.7 when the negative AAAA answer carried no
/// SOA record: "the DNS64 SHOULD use ... 600 seconds".
pub const NO_SOA_TTL: u32 = 600;

/// Whether an AAAA answer holds a AAAA record that is not excluded — in
/// which case it is returned to the client rather than synthesized
/// (RFC 6147 sections 5.1.1 and 5.1.4).
pub fn has_usable_aaaa(answers: &[Record], policy: &Policy) -> bool {
    answers.iter().any(|r| match &r.data {
        RData::AAAA(AAAA(a)) => !policy.is_excluded(*a),
        _ => false,
    })
}

/// Removes the excluded AAAA records from an answer that also holds usable
/// ones (RFC 6147 section 5.1.4: the answer is built from the non-excluded
/// records only).
pub fn strip_excluded(answers: &mut Vec<Record>, policy: &Policy) {
    answers.retain(|r| match &r.data {
        RData::AAAA(AAAA(a)) => !policy.is_excluded(*a),
        _ => true,
    });
}

/// The negative-caching TTL of a response: the smaller of its SOA
/// record's TTL and the SOA MINIMUM field (RFC 2308 section 5), or `None`
/// when the authority section has no SOA. An authoritative server sends
/// the SOA with its TTL already at that value; a cache counts it down.
pub fn negative_ttl(response: &Message) -> Option<u32> {
    response.authorities.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    })
}

/// The TTL cap for records synthesized after the AAAA answer `aaaa`
/// (RFC 6147 section 5.1.7): the SOA minimum of the negative answer, or
/// [`NO_SOA_TTL`] when it had no SOA.
pub fn ttl_cap(aaaa: &Message) -> u32 {
    if aaaa.response_code == ResponseCode::NoError {
        negative_ttl(aaaa).unwrap_or(NO_SOA_TTL)
    } else {
        NO_SOA_TTL
    }
}

/// The answer section synthesized from the answer section of an A
/// response (RFC 6147 section 5.1.7):
///
/// - each A record whose address `mapped` allows becomes a AAAA record
///   with the same owner and class, the address embedded in `pref64`
///   (RFC 6052 section 2.2) and the TTL capped at `cap`;
/// - CNAME and DNAME records are kept as they are, so that a chain to an
///   A-only name still leads to its synthesized records (section 5.1.6);
/// - signatures and any other records are dropped: the synthesized set is
///   not signed (section 5.5).
///
/// Returns `None` when no AAAA record results, so that the caller answers
/// with the original negative answer instead.
pub fn synthesize(
    a_answers: &[Record],
    pref64: Pref64,
    mapped: &Mapped,
    cap: u32,
) -> Option<Vec<Record>> {
    let mut out = Vec::with_capacity(a_answers.len());
    let mut any = false;
    for r in a_answers {
        match (&r.data, r.record_type()) {
            (RData::A(a), _) => {
                let v4: Ipv4Addr = a.0;
                if !mapped.maps(v4) {
                    continue;
                }
                let mut aaaa = Record::from_rdata(
                    r.name.clone(),
                    r.ttl.min(cap),
                    RData::AAAA(AAAA(pref64.embed(v4))),
                );
                aaaa.dns_class = r.dns_class;
                out.push(aaaa);
                any = true;
            }
            (_, RecordType::CNAME | RecordType::DNAME) => out.push(r.clone()),
            _ => {}
        }
    }
    any.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::{A, CNAME};

    fn a(name: &str, ttl: u32, addr: &str) -> Record {
        Record::from_rdata(
            name.parse().unwrap(),
            ttl,
            RData::A(A(addr.parse().unwrap())),
        )
    }

    #[test]
    fn chains_are_kept_and_ttls_capped() {
        let answers = vec![
            Record::from_rdata(
                "www.example.".parse().unwrap(),
                3600,
                RData::CNAME(CNAME("v4.example.".parse::<Name>().unwrap())),
            ),
            a("v4.example.", 300, "192.0.2.33"),
        ];
        let out = synthesize(&answers, Pref64::WELL_KNOWN, &Mapped::default(), 60).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], answers[0]);
        assert_eq!(out[1].ttl, 60);
        assert_eq!(
            out[1].data,
            RData::AAAA(AAAA("64:ff9b::c000:221".parse().unwrap()))
        );
        let out = synthesize(&answers, Pref64::WELL_KNOWN, &Mapped::default(), 6000).unwrap();
        assert_eq!(out[1].ttl, 300);
    }

    #[test]
    fn nothing_mapped_is_nothing_synthesized() {
        let mapped = Mapped::new(vec!["!192.0.2.0/24".parse().unwrap()]);
        let answers = vec![a("v4.example.", 300, "192.0.2.33")];
        assert_eq!(synthesize(&answers, Pref64::WELL_KNOWN, &mapped, 60), None);
        assert_eq!(synthesize(&[], Pref64::WELL_KNOWN, &mapped, 60), None);
    }
}
