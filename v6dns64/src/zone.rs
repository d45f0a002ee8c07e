//! Authoritative answers from a zone file, without any upstream.
//!
//! The server's `--static` zones answer the questions the DNS64 logic asks
//! upstream; their answers are then synthesized like any other. The same
//! type serves as the authority of the tests.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

use crate::Error;

/// How many CNAMEs an answer follows inside the zone before it stops.
const MAX_CHAIN: usize = 8;

/// A zone loaded from a master file (RFC 1035 section 5).
#[derive(Debug, Clone)]
pub struct Zone {
    origin: Name,
    soa: Record,
    records: HashMap<(Name, RecordType), Vec<Record>>,
    /// Every owner name and the empty non-terminals above it.
    names: HashSet<Name>,
}

impl Zone {
    /// Parses the text of a zone file. `origin` is used when the file has no
    /// `$ORIGIN`; `path` resolves `$INCLUDE`. The zone must have an SOA.
    pub fn parse(text: &str, origin: Option<Name>, path: Option<&Path>) -> Result<Zone, Error> {
        let (origin, sets) = Parser::new(text, path.map(Path::to_path_buf), origin)
            .parse()
            .map_err(|e| Error::Zone(e.to_string()))?;
        let mut records: HashMap<(Name, RecordType), Vec<Record>> = HashMap::new();
        let mut names = HashSet::new();
        for (_, set) in sets {
            for r in set.records_without_rrsigs() {
                let mut n = r.name.clone();
                loop {
                    if !names.insert(n.clone()) || n == origin || n.is_root() {
                        break;
                    }
                    n = n.base_name();
                }
                records
                    .entry((r.name.clone(), r.record_type()))
                    .or_default()
                    .push(r.clone());
            }
        }
        let soa = records
            .get(&(origin.clone(), RecordType::SOA))
            .and_then(|s| s.first().cloned())
            .ok_or_else(|| Error::Zone(format!("zone {origin} has no SOA record")))?;
        Ok(Zone {
            origin,
            soa,
            records,
            names,
        })
    }

    /// Reads and parses a zone file; see [`Zone::parse`].
    pub fn load(path: &Path) -> Result<Zone, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Zone(format!("{}: {e}", path.display())))?;
        Zone::parse(&text, None, Some(path))
            .map_err(|e| Error::Zone(format!("{}: {e}", path.display())))
    }

    /// The zone's apex.
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// Whether `name` is at or below the apex.
    pub fn contains(&self, name: &Name) -> bool {
        self.origin.zone_of(name)
    }

    /// The authoritative answer to `query` (RFC 1034 section 4.3.2, without
    /// delegations or wildcards): the records, following CNAMEs inside the
    /// zone; NODATA or NXDOMAIN with the SOA in the authority section, its
    /// TTL the negative-caching TTL (RFC 2308 section 3). A query with no
    /// question gets FORMERR; one outside the zone REFUSED.
    pub fn answer(&self, query: &Message) -> Message {
        let mut m = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        m.metadata.recursion_desired = query.metadata.recursion_desired;
        m.queries = query.queries.clone();
        let Some(q) = query.queries.first() else {
            m.metadata.response_code = ResponseCode::FormErr;
            return m;
        };
        if !self.contains(q.name()) {
            m.metadata.response_code = ResponseCode::Refused;
            return m;
        }
        m.metadata.authoritative = true;
        let (answers, rcode, negative) = self.lookup(q);
        m.metadata.response_code = rcode;
        if negative {
            let mut soa = self.soa.clone();
            if let RData::SOA(s) = &soa.data {
                soa.ttl = soa.ttl.min(s.minimum);
            }
            m.authorities.push(soa);
        }
        m.answers = answers;
        if let Some(e) = &query.edns {
            let mut edns = hickory_proto::op::Edns::new();
            edns.set_max_payload(e.max_payload().max(512));
            m.edns = Some(edns);
        }
        m
    }

    /// The answer records, the code and whether the answer is negative.
    fn lookup(&self, q: &Query) -> (Vec<Record>, ResponseCode, bool) {
        let mut answers = Vec::new();
        let mut name = q.name().clone();
        for _ in 0..MAX_CHAIN {
            if let Some(rs) = self.records.get(&(name.clone(), q.query_type())) {
                answers.extend(rs.iter().cloned());
                return (answers, ResponseCode::NoError, false);
            }
            match self.records.get(&(name.clone(), RecordType::CNAME)) {
                Some(rs) if q.query_type() != RecordType::CNAME => {
                    answers.extend(rs.iter().cloned());
                    let Some(RData::CNAME(target)) = rs.first().map(|r| &r.data) else {
                        break;
                    };
                    name = target.0.clone();
                    if !self.contains(&name) {
                        // The rest of the chain is someone else's.
                        return (answers, ResponseCode::NoError, false);
                    }
                }
                _ => {
                    let rcode = if self.names.contains(&name) {
                        ResponseCode::NoError
                    } else {
                        ResponseCode::NXDomain
                    };
                    return (answers, rcode, true);
                }
            }
        }
        (answers, ResponseCode::ServFail, false)
    }
}
