//! Known answers for the DNS64 state machine, driven with a zone file as the
//! upstream: no sockets, every upstream question recorded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, PTR};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use v6core::Pref64;
use v6dns64::{Action, Dns64, Mapped, Policy, PrefixRule, Zone};

const ZONE: &str = r#"
$ORIGIN example.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
@        NS    ns
ns       A     192.0.2.53
v4only   300   A 192.0.2.33
v4only   300   A 198.51.100.7
short    60    A 192.0.2.60
dual     A     192.0.2.1
dual     AAAA  2001:db8::1
alias    CNAME v4only
alias2   CNAME alias
mapped   A     192.0.2.44
mapped   AAAA  ::ffff:192.0.2.44
mixed    AAAA  ::ffff:192.0.2.45
mixed    AAAA  2001:db8::45
private  A     10.1.2.3
nodata   TXT   "no addresses"
"#;

const REVERSE: &str = r#"
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
@        NS    ns.example.
33       PTR   v4only.example.
"#;

fn zones() -> Vec<Zone> {
    vec![
        Zone::parse(ZONE, None, None).unwrap(),
        Zone::parse(REVERSE, None, None).unwrap(),
    ]
}

fn loopback() -> IpAddr {
    IpAddr::V6(Ipv6Addr::LOCALHOST)
}

fn policy() -> Policy {
    Policy::new(Pref64::WELL_KNOWN, vec!["::1/128".parse().unwrap()])
}

fn query(name: &str, rtype: RecordType) -> Message {
    let mut m = Message::query();
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    m
}

/// Runs the state machine to its reply, answering each upstream question
/// from `zones`; returns the reply and the questions asked.
fn resolve(dns64: &Dns64, zones: &[Zone], q: Message, client: IpAddr) -> (Message, Vec<Query>) {
    let mut asked = Vec::new();
    let mut action = dns64.query_message(q, client);
    loop {
        match action {
            Action::Reply(m) => return (m, asked),
            Action::Drop => panic!("dropped"),
            Action::Ask(p) => {
                let up = p.upstream_query();
                asked.push(up.queries[0].clone());
                assert!(up.metadata.recursion_desired);
                let answer = zones
                    .iter()
                    .find(|z| z.contains(up.queries[0].name()))
                    .map(|z| z.answer(up));
                action = p.answer(dns64, answer);
            }
        }
    }
}

fn aaaa(m: &Message) -> Vec<Ipv6Addr> {
    m.answers
        .iter()
        .filter_map(|r| match r.data {
            RData::AAAA(AAAA(a)) => Some(a),
            _ => None,
        })
        .collect()
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn a_only_name_is_synthesized_with_the_soa_minimum_as_ttl_cap() {
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("v4only.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(r.response_code, ResponseCode::NoError);
    assert_eq!(
        aaaa(&r),
        [v6("64:ff9b::c000:221"), v6("64:ff9b::c633:6407")]
    );
    // Section 5.1.7: min(A TTL 300, SOA minimum 120).
    assert!(r.answers.iter().all(|a| a.ttl == 120));
    assert!(r.metadata.recursion_available && r.metadata.recursion_desired);
    assert!(!r.metadata.authentic_data);
    assert_eq!(
        asked.iter().map(|q| q.query_type()).collect::<Vec<_>>(),
        [RecordType::AAAA, RecordType::A]
    );
    assert_eq!(
        r.queries,
        [Query::query(
            "v4only.example.".parse().unwrap(),
            RecordType::AAAA
        )]
    );
}

#[test]
fn a_ttl_below_the_soa_minimum_is_kept() {
    let (r, _) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("short.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("64:ff9b::c000:23c")]);
    assert_eq!(r.answers[0].ttl, 60);
}

#[test]
fn real_aaaa_answer_is_returned_untouched() {
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("dual.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("2001:db8::1")]);
    assert_eq!(r.answers[0].ttl, 3600);
    assert_eq!(asked.len(), 1);
}

#[test]
fn cname_chain_to_an_a_only_name_is_kept() {
    let (r, _) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("alias2.example.", RecordType::AAAA),
        loopback(),
    );
    let types: Vec<_> = r.answers.iter().map(Record::record_type).collect();
    assert_eq!(
        types,
        [
            RecordType::CNAME,
            RecordType::CNAME,
            RecordType::AAAA,
            RecordType::AAAA
        ]
    );
    assert_eq!(
        r.answers[0].data,
        RData::CNAME(CNAME("alias.example.".parse().unwrap()))
    );
    assert_eq!(
        r.answers[2].name,
        "v4only.example.".parse::<Name>().unwrap()
    );
    assert_eq!(
        aaaa(&r),
        [v6("64:ff9b::c000:221"), v6("64:ff9b::c633:6407")]
    );
}

#[test]
fn nxdomain_stays_nxdomain_without_an_a_question() {
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("missing.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(r.response_code, ResponseCode::NXDomain);
    assert!(r.answers.is_empty());
    assert_eq!(r.authorities[0].record_type(), RecordType::SOA);
    assert_eq!(asked.len(), 1);
}

#[test]
fn nodata_for_both_stays_nodata_with_its_soa() {
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query("nodata.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(r.response_code, ResponseCode::NoError);
    assert!(r.answers.is_empty());
    assert_eq!(r.authorities[0].record_type(), RecordType::SOA);
    assert_eq!(asked.len(), 2);
}

#[test]
fn only_excluded_aaaa_records_count_as_none() {
    let dns64 = Dns64::new(policy());
    let (r, _) = resolve(
        &dns64,
        &zones(),
        query("mapped.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("64:ff9b::c000:22c")]);
    let (r, asked) = resolve(
        &dns64,
        &zones(),
        query("mixed.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("2001:db8::45")]);
    assert_eq!(asked.len(), 1);
}

#[test]
fn configured_exclusions_apply() {
    let mut p = policy();
    p.exclude.push("2001:db8::/32".parse().unwrap());
    let (r, _) = resolve(
        &Dns64::new(p),
        &zones(),
        query("dual.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("64:ff9b::c000:201")]);
}

#[test]
fn unmapped_ipv4_addresses_are_skipped() {
    let mut p = policy();
    p.mapped = Mapped::new(vec![
        "!10.0.0.0/8".parse().unwrap(),
        "!198.51.100.0/24".parse().unwrap(),
    ]);
    let dns64 = Dns64::new(p);
    let (r, _) = resolve(
        &dns64,
        &zones(),
        query("private.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(r.response_code, ResponseCode::NoError);
    assert!(r.answers.is_empty());
    assert_eq!(r.authorities[0].record_type(), RecordType::SOA);
    let (r, _) = resolve(
        &dns64,
        &zones(),
        query("v4only.example.", RecordType::AAAA),
        loopback(),
    );
    assert_eq!(aaaa(&r), [v6("64:ff9b::c000:221")]);
}

#[test]
fn each_prefix_is_served_to_its_own_clients() {
    let mut p = policy();
    p.allow = vec!["::/0".parse().unwrap()];
    p.prefixes = vec![
        "2001:db8:64::/96=2001:db8:1::/48"
            .parse::<PrefixRule>()
            .unwrap(),
        "2001:db8:100::/40=2001:db8:2::/48".parse().unwrap(),
    ];
    let dns64 = Dns64::new(p);
    let q = || query("short.example.", RecordType::AAAA);
    let (r, _) = resolve(&dns64, &zones(), q(), "2001:db8:1::9".parse().unwrap());
    assert_eq!(aaaa(&r), [v6("2001:db8:64::c000:23c")]);
    let (r, _) = resolve(&dns64, &zones(), q(), "2001:db8:2::9".parse().unwrap());
    assert_eq!(aaaa(&r), [v6("2001:db8:1c0:2:3c::")]);
    // A client no prefix is served to gets plain recursion.
    let (r, asked) = resolve(&dns64, &zones(), q(), "2001:db8:3::9".parse().unwrap());
    assert!(r.answers.is_empty());
    assert_eq!(asked.len(), 1);
}

#[test]
fn rfc6052_vectors_are_synthesized() {
    #[derive(serde::Deserialize)]
    struct Vectors {
        rfc6052: Vec<Vector>,
    }
    #[derive(serde::Deserialize)]
    struct Vector {
        prefix: String,
        ipv4: Ipv4Addr,
        ipv6: Ipv6Addr,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/vectors.toml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vectors: Vectors = toml::from_str(&text).unwrap();
    assert!(vectors.rfc6052.len() >= 7);
    for v in vectors.rfc6052 {
        let zone = format!(
            "$ORIGIN vec.example.\n@ 3600 IN SOA ns hostmaster 1 2 3 4 300\nhost 300 A {}\n",
            v.ipv4
        );
        let zones = [Zone::parse(&zone, None, None).unwrap()];
        let pref64: Pref64 = v.prefix.parse().unwrap();
        let dns64 = Dns64::new(Policy::new(pref64, vec!["::1/128".parse().unwrap()]));
        let (r, _) = resolve(
            &dns64,
            &zones,
            query("host.vec.example.", RecordType::AAAA),
            loopback(),
        );
        assert_eq!(aaaa(&r), [v.ipv6], "{}", v.prefix);
        // And back: the PTR name of the synthesized address maps to the IPv4 one.
        let ptr = v6core::reverse::ptr_name(v.ipv6.into());
        let target =
            v6dns64::reverse::ptr_target(&Name::from_ascii(&ptr).unwrap(), pref64).unwrap();
        assert_eq!(target.to_ascii(), v6core::reverse::ptr_name(v.ipv4.into()));
    }
}

#[test]
fn ptr_under_the_prefix_is_a_cname_to_in_addr_arpa() {
    let name = v6core::reverse::ptr_name("64:ff9b::c000:221".parse().unwrap());
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query(&name, RecordType::PTR),
        loopback(),
    );
    assert_eq!(r.response_code, ResponseCode::NoError);
    assert_eq!(asked[0].name().to_ascii(), "33.2.0.192.in-addr.arpa.");
    assert_eq!(r.answers.len(), 2);
    assert_eq!(r.answers[0].name.to_ascii(), name);
    assert_eq!(
        r.answers[0].data,
        RData::CNAME(CNAME("33.2.0.192.in-addr.arpa.".parse().unwrap()))
    );
    assert_eq!(
        r.answers[1].data,
        RData::PTR(PTR("v4only.example.".parse().unwrap()))
    );
    // Outside the prefix: forwarded as it is.
    let other = v6core::reverse::ptr_name("2001:db8::1".parse().unwrap());
    let (r, asked) = resolve(
        &Dns64::new(policy()),
        &zones(),
        query(&other, RecordType::PTR),
        loopback(),
    );
    assert_eq!(asked[0].name().to_ascii(), other);
    assert_eq!(
        r.response_code,
        ResponseCode::ServFail,
        "no zone holds it: no upstream answer"
    );
}

#[test]
fn do_and_cd_together_turn_synthesis_off() {
    let mut q = query("v4only.example.", RecordType::AAAA);
    q.metadata.checking_disabled = true;
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    q.edns = Some(edns.clone());
    let (r, asked) = resolve(&Dns64::new(policy()), &zones(), q, loopback());
    assert!(r.answers.is_empty());
    assert_eq!(asked.len(), 1);
    assert!(r.metadata.checking_disabled);
    // DO alone: synthesized.
    let mut q = query("v4only.example.", RecordType::AAAA);
    q.edns = Some(edns);
    let (r, _) = resolve(&Dns64::new(policy()), &zones(), q, loopback());
    assert_eq!(aaaa(&r).len(), 2);
    assert!(r.edns.as_ref().unwrap().flags().dnssec_ok);
}

#[test]
fn ad_bit_is_cleared_on_synthesized_answers() {
    let dns64 = Dns64::new(policy());
    let Action::Ask(p) =
        dns64.query_message(query("v4only.example.", RecordType::AAAA), loopback())
    else {
        panic!()
    };
    let mut nodata = p.upstream_query().clone().into_response();
    nodata.metadata.authentic_data = true;
    let Action::Ask(p) = p.answer(&dns64, Some(nodata)) else {
        panic!()
    };
    let mut a = p.upstream_query().clone().into_response();
    a.metadata.authentic_data = true;
    a.add_answer(Record::from_rdata(
        "v4only.example.".parse().unwrap(),
        50,
        RData::A(A::new(192, 0, 2, 1)),
    ));
    let Action::Reply(r) = p.answer(&dns64, Some(a)) else {
        panic!()
    };
    assert_eq!(aaaa(&r), [v6("64:ff9b::c000:201")]);
    // No SOA in the negative answer: capped at 600, so the A TTL stays.
    assert_eq!(r.answers[0].ttl, 50);
    assert!(!r.metadata.authentic_data);
}

#[test]
fn a_failed_aaaa_question_still_leads_to_synthesis() {
    // RFC 6147 section 5.1.2: any other RCODE is treated as an empty answer.
    let dns64 = Dns64::new(policy());
    let Action::Ask(p) =
        dns64.query_message(query("v4only.example.", RecordType::AAAA), loopback())
    else {
        panic!()
    };
    let mut fail = p.upstream_query().clone().into_response();
    fail.metadata.response_code = ResponseCode::ServFail;
    let Action::Ask(p) = p.answer(&dns64, Some(fail)) else {
        panic!()
    };
    let a = zones()[0].answer(p.upstream_query());
    let Action::Reply(r) = p.answer(&dns64, Some(a)) else {
        panic!()
    };
    assert_eq!(aaaa(&r).len(), 2);
    assert!(r.answers.iter().all(|a| a.ttl == 300));
}

#[test]
fn no_upstream_answer_is_servfail() {
    let dns64 = Dns64::new(policy());
    let q = query("v4only.example.", RecordType::AAAA);
    let id = q.metadata.id;
    let Action::Ask(p) = dns64.query_message(q, loopback()) else {
        panic!()
    };
    let Action::Reply(r) = p.answer(&dns64, None) else {
        panic!()
    };
    assert_eq!(r.response_code, ResponseCode::ServFail);
    assert_eq!(r.metadata.id, id);
    // An answer to another question counts as none.
    let Action::Ask(p) =
        dns64.query_message(query("v4only.example.", RecordType::AAAA), loopback())
    else {
        panic!()
    };
    let wrong = zones()[0].answer(&query("dual.example.", RecordType::AAAA));
    let Action::Reply(r) = p.answer(&dns64, Some(wrong)) else {
        panic!()
    };
    assert_eq!(r.response_code, ResponseCode::ServFail);
}

fn reply_to(dns64: &Dns64, bytes: &[u8], client: IpAddr) -> Message {
    match dns64.query(bytes, client) {
        Action::Reply(m) => m,
        other => panic!("expected a reply, got {other:?}"),
    }
}

#[test]
fn bad_queries_get_formerr_notimp_or_refused() {
    let dns64 = Dns64::new(policy());
    // A header claiming one question, then nothing.
    let garbage = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xff];
    let r = reply_to(&dns64, &garbage, loopback());
    assert_eq!(r.response_code, ResponseCode::FormErr);
    assert_eq!(r.metadata.id, 0x1234);
    // Too short to answer, or a response: dropped.
    assert!(matches!(
        dns64.query(&garbage[..5], loopback()),
        Action::Drop
    ));
    let mut resp = query("v4only.example.", RecordType::AAAA).into_response();
    resp.metadata.id = 7;
    assert!(matches!(
        dns64.query(&resp.to_vec().unwrap(), loopback()),
        Action::Drop
    ));

    let mut status = query("v4only.example.", RecordType::AAAA);
    status.metadata.op_code = OpCode::Status;
    let r = reply_to(&dns64, &status.to_vec().unwrap(), loopback());
    assert_eq!(r.response_code, ResponseCode::NotImp);

    let mut two = query("v4only.example.", RecordType::AAAA);
    two.add_query(Query::query(
        "dual.example.".parse().unwrap(),
        RecordType::AAAA,
    ));
    let r = reply_to(&dns64, &two.to_vec().unwrap(), loopback());
    assert_eq!(r.response_code, ResponseCode::FormErr);

    let q = query("v4only.example.", RecordType::AAAA).to_vec().unwrap();
    let r = reply_to(&dns64, &q, "2001:db8::1".parse().unwrap());
    assert_eq!(r.response_code, ResponseCode::Refused);
}
