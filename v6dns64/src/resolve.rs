//! The DNS64 resolution state machine (RFC 6147 section 5).
//!
//! It does no I/O. A query goes in through [`Dns64::query`]; what comes out
//! is an [`Action`]: a reply for the client, a question to put to the
//! upstream resolver ([`Pending`]), or nothing (the datagram is dropped).
//! The caller sends [`Pending::upstream_query`] wherever it likes, hands
//! the answer back through [`Pending::answer`] and gets the next action.
//!
//! ```
//! use v6dns64::{Action, Dns64, Policy};
//! use hickory_proto::op::{Message, Query};
//! use hickory_proto::rr::{Name, RecordType};
//!
//! let dns64 = Dns64::new(Policy::new(v6core::Pref64::WELL_KNOWN, vec!["::1/128".parse().unwrap()]));
//! let mut q = Message::query();
//! q.add_query(Query::query(Name::from_ascii("v4only.example.").unwrap(), RecordType::AAAA));
//! let Action::Ask(pending) = dns64.query_message(q, "::1".parse().unwrap()) else { panic!() };
//! assert_eq!(pending.upstream_query().queries[0].query_type(), RecordType::AAAA);
//! ```

use core::net::IpAddr;

use hickory_proto::op::{Edns, Message, MessageType, Metadata, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};

use crate::policy::Policy;
use crate::reverse::ptr_target;
use crate::synth;

/// The EDNS UDP payload size the server advertises and asks for: the
/// value the DNS flag day 2020 settled on to avoid IP fragmentation.
pub const EDNS_PAYLOAD: u16 = 1232;

/// The TTL of the CNAME synthesized for a reverse query (RFC 6147 section
/// 5.3.1 leaves it open); the same as the section 5.1.7 fallback.
pub const PTR_CNAME_TTL: u32 = synth::NO_SOA_TTL;

/// What the server does next.
#[derive(Debug)]
#[must_use]
pub enum Action {
    /// Send this reply to the client.
    Reply(Message),
    /// Ask the upstream resolver, then call [`Pending::answer`].
    Ask(Box<Pending>),
    /// Send nothing: the datagram was not a query, or too short to answer.
    Drop,
}

/// The part of the client's query that the reply is built from.
#[derive(Debug, Clone)]
struct Request {
    metadata: Metadata,
    query: Query,
    edns: Option<Edns>,
}

impl Request {
    fn dnssec_ok(&self) -> bool {
        self.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok)
    }

    /// A reply with the header bits RFC 6895 section 2 says to copy, RA set
    /// (this is a recursive service), the question echoed and, when the
    /// query had EDNS, an OPT record advertising [`EDNS_PAYLOAD`].
    fn reply(&self, rcode: ResponseCode) -> Message {
        let mut m = Message::new(self.metadata.id, MessageType::Response, OpCode::Query);
        m.metadata = Metadata::response_from_request(&self.metadata);
        m.metadata.recursion_available = true;
        m.metadata.response_code = rcode;
        m.queries.push(self.query.clone());
        if let Some(e) = &self.edns {
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_PAYLOAD);
            edns.set_dnssec_ok(e.flags().dnssec_ok);
            m.edns = Some(edns);
        }
        m.set_response_code(rcode);
        m
    }

    /// The reply carrying an upstream answer: its code, sections and AA/AD
    /// bits; DNSSEC records the client did not ask for are removed
    /// (RFC 4035 section 3.2.1).
    fn relay(&self, upstream: Message) -> Message {
        let mut m = self.reply(upstream.response_code);
        m.metadata.authentic_data = upstream.authentic_data;
        m.answers = upstream.answers;
        m.authorities = upstream.authorities;
        m.additionals = upstream.additionals;
        m.maybe_strip_dnssec_records(self.dnssec_ok())
    }
}

/// Sets the response code, including the EDNS extended bits.
trait SetRcode {
    fn set_response_code(&mut self, rcode: ResponseCode);
}

impl SetRcode for Message {
    fn set_response_code(&mut self, rcode: ResponseCode) {
        self.metadata.response_code = rcode;
        if let Some(e) = &mut self.edns {
            e.set_rcode_high(rcode.high());
        }
    }
}

/// Where a resolution stands.
#[derive(Debug, Clone)]
enum Stage {
    /// The query is passed through; the answer goes back as it is.
    Forward,
    /// The AAAA question was asked (section 5.1.1).
    Aaaa { rule: usize },
    /// The AAAA answer was empty; the A question was asked (section 5.1.6).
    A { rule: usize, aaaa: Message },
    /// A reverse query for a synthesized address; the PTR of the IPv4
    /// address was asked (section 5.3.1).
    Ptr { cname: Record },
}

/// A resolution waiting for an upstream answer.
#[derive(Debug, Clone)]
pub struct Pending {
    request: Request,
    upstream: Message,
    stage: Stage,
}

impl Pending {
    /// The query to send upstream: one question, RD set, EDNS with
    /// [`EDNS_PAYLOAD`] and the client's DO and CD bits. Its ID is 0; the
    /// caller sets a random one on the wire and checks it in the answer.
    pub fn upstream_query(&self) -> &Message {
        &self.upstream
    }

    /// The question asked upstream.
    pub fn question(&self) -> &Query {
        &self.upstream.queries[0]
    }

    /// Whether the client set DNSSEC OK, which is part of what the upstream
    /// answer depends on (with the CD bit, [`Pending::checking_disabled`]).
    pub fn dnssec_ok(&self) -> bool {
        self.request.dnssec_ok()
    }

    /// Whether the answer to this question is what AAAA records are
    /// synthesized from (the A question of section 5.1.6).
    pub fn synthesizes(&self) -> bool {
        matches!(self.stage, Stage::A { .. })
    }

    /// Whether the client set Checking Disabled.
    pub fn checking_disabled(&self) -> bool {
        self.request.metadata.checking_disabled
    }

    /// Takes the upstream answer — or `None` when no upstream answered —
    /// and says what to do next. An answer to another question than the one
    /// asked counts as no answer. Every failure becomes SERVFAIL.
    pub fn answer(self, dns64: &Dns64, answer: Option<Message>) -> Action {
        let Some(answer) = answer.filter(|a| {
            a.message_type == MessageType::Response && a.queries.first() == Some(self.question())
        }) else {
            return Action::Reply(self.request.reply(ResponseCode::ServFail));
        };
        let req = self.request;
        match self.stage {
            Stage::Forward => Action::Reply(req.relay(answer)),
            Stage::Aaaa { rule } => dns64.after_aaaa(req, rule, answer),
            Stage::A { rule, aaaa } => dns64.after_a(req, rule, aaaa, answer),
            Stage::Ptr { cname } => {
                let mut reply = req.relay(answer);
                if matches!(
                    reply.response_code,
                    ResponseCode::NoError | ResponseCode::NXDomain
                ) {
                    reply.answers.insert(0, cname);
                }
                // The CNAME is made here; the upstream cannot vouch for it.
                reply.metadata.authentic_data = false;
                reply.metadata.authoritative = false;
                Action::Reply(reply)
            }
        }
    }
}

/// A DNS64 resolver's decisions, for one [`Policy`].
#[derive(Debug, Clone)]
pub struct Dns64 {
    policy: Policy,
}

impl Dns64 {
    /// A resolver following `policy`.
    pub fn new(policy: Policy) -> Self {
        Dns64 { policy }
    }

    /// The policy it follows.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Takes a query datagram (or TCP message) from `client`.
    ///
    /// Never panics, whatever the bytes: fewer than 12 bytes (no header to
    /// answer to) or a message with the QR bit set are dropped; anything
    /// else that does not parse gets FORMERR (RFC 1035 section 4.1.1).
    pub fn query(&self, bytes: &[u8], client: IpAddr) -> Action {
        if bytes.len() < 12 || bytes[2] & 0x80 != 0 {
            return Action::Drop;
        }
        match Message::from_vec(bytes) {
            Ok(m) => self.query_message(m, client),
            Err(_) => {
                let id = u16::from_be_bytes([bytes[0], bytes[1]]);
                let op_code = OpCode::from_u8((bytes[2] >> 3) & 0x0f);
                let mut m = Message::error_msg(id, op_code, ResponseCode::FormErr);
                m.metadata.recursion_desired = bytes[2] & 0x01 != 0;
                m.metadata.recursion_available = true;
                Action::Reply(m)
            }
        }
    }

    /// Takes a parsed query from `client`; see [`Dns64::query`].
    ///
    /// - clients outside [`Policy::allow`] get REFUSED;
    /// - opcodes other than QUERY get NOTIMP, and a query that does not hold
    ///   exactly one question FORMERR (RFC 1035 section 4.1.1);
    /// - an AAAA query from a client a prefix is served to is asked as AAAA
    ///   first (RFC 6147 section 5.1.1), unless it has both DO and CD set, in
    ///   which case the client validates and gets the real answer (section
    ///   5.5);
    /// - a PTR query for an address inside the client's prefix is asked as
    ///   the PTR of the embedded IPv4 address (section 5.3.1);
    /// - everything else is forwarded.
    pub fn query_message(&self, msg: Message, client: IpAddr) -> Action {
        if msg.message_type != MessageType::Query {
            return Action::Drop;
        }
        let mut queries = msg.queries;
        let request = Request {
            metadata: msg.metadata,
            query: queries.first().cloned().unwrap_or_default(),
            edns: msg.edns,
        };
        let one_question = queries.len() == 1;
        let error = |rcode| {
            let mut r = request.reply(rcode);
            if !one_question {
                r.queries.clear();
            }
            Action::Reply(r)
        };
        if !self.policy.allows(client) {
            return error(ResponseCode::Refused);
        }
        if msg.metadata.op_code != OpCode::Query {
            return error(ResponseCode::NotImp);
        }
        if !one_question {
            return error(ResponseCode::FormErr);
        }
        if request.edns.as_ref().is_some_and(|e| e.version() > 0) {
            // RFC 6891 section 6.1.3.
            let mut r = request.reply(ResponseCode::BADVERS);
            r.queries.clear();
            return Action::Reply(r);
        }
        let query = queries.swap_remove(0);
        if matches!(
            query.query_type(),
            RecordType::AXFR | RecordType::IXFR | RecordType::OPT
        ) {
            return error(ResponseCode::NotImp);
        }
        let rule = self.policy.rule_for(client);
        let in_class = query.query_class() == DNSClass::IN;
        let validating = request.dnssec_ok() && request.metadata.checking_disabled;
        match (query.query_type(), rule) {
            (RecordType::AAAA, Some(rule)) if in_class && !validating => {
                Action::Ask(ask(request, query, Stage::Aaaa { rule }))
            }
            (RecordType::PTR, Some(rule)) if in_class => {
                match ptr_target(query.name(), self.policy.prefixes[rule].pref64) {
                    Some(target) => {
                        let cname = Record::from_rdata(
                            query.name().clone(),
                            PTR_CNAME_TTL,
                            RData::CNAME(CNAME(target.clone())),
                        );
                        let q = Query::query(target, RecordType::PTR);
                        Action::Ask(ask(request, q, Stage::Ptr { cname }))
                    }
                    None => Action::Ask(ask(request, query, Stage::Forward)),
                }
            }
            _ => Action::Ask(ask(request, query, Stage::Forward)),
        }
    }

    /// RFC 6147 sections 5.1.1 to 5.1.4: a usable AAAA answer or NXDOMAIN
    /// goes back; an empty answer, one with only excluded addresses, or any
    /// other failure (section 5.1.2) leads to the A question.
    fn after_aaaa(&self, req: Request, rule: usize, mut aaaa: Message) -> Action {
        match aaaa.response_code {
            ResponseCode::NXDomain => return Action::Reply(req.relay(aaaa)),
            ResponseCode::NoError if synth::has_usable_aaaa(&aaaa.answers, &self.policy) => {
                synth::strip_excluded(&mut aaaa.answers, &self.policy);
                return Action::Reply(req.relay(aaaa));
            }
            _ => {}
        }
        let q = Query::query(req.query.name().clone(), RecordType::A);
        Action::Ask(ask(req, q, Stage::A { rule, aaaa }))
    }

    /// RFC 6147 sections 5.1.6 and 5.1.7: synthesize from the A answer, or
    /// give the negative AAAA answer back when there is nothing to
    /// synthesize.
    fn after_a(&self, req: Request, rule: usize, mut aaaa: Message, a: Message) -> Action {
        let pref64 = self.policy.prefixes[rule].pref64;
        if a.response_code == ResponseCode::NoError {
            let cap = synth::ttl_cap(&aaaa);
            if let Some(answers) = synth::synthesize(&a.answers, pref64, &self.policy.mapped, cap) {
                let mut reply = req.reply(ResponseCode::NoError);
                reply.answers = answers;
                reply.authorities = a
                    .authorities
                    .into_iter()
                    .filter(|r| r.record_type() == RecordType::NS)
                    .collect();
                // Section 5.5: a synthesized answer is never authentic.
                reply.metadata.authentic_data = false;
                return Action::Reply(reply);
            }
        }
        if aaaa.response_code == ResponseCode::NoError {
            synth::strip_excluded(&mut aaaa.answers, &self.policy);
            return Action::Reply(req.relay(aaaa));
        }
        // The AAAA question failed (section 5.1.2) and the A answer has
        // nothing to synthesize: its code and chain are the best answer.
        let mut reply = req.relay(a);
        reply.answers.retain(|r| r.record_type() != RecordType::A);
        reply.additionals.clear();
        Action::Reply(reply)
    }
}

fn ask(request: Request, question: Query, stage: Stage) -> Box<Pending> {
    let mut upstream = Message::new(0, MessageType::Query, OpCode::Query);
    upstream.metadata.recursion_desired = true;
    upstream.metadata.checking_disabled = request.metadata.checking_disabled;
    upstream.queries.push(question);
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    edns.set_dnssec_ok(request.dnssec_ok());
    upstream.edns = Some(edns);
    Box::new(Pending {
        request,
        upstream,
        stage,
    })
}
