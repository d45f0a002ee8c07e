//! A cache of whole encoded replies, in front of the state machine.
//!
//! Most queries a DNS64 server sees are repeats. For those, parsing the
//! query into a hickory-proto `Message`, running the state machine over
//! cached upstream answers and encoding the reply again is work whose
//! result is already known. This cache keys a query by what the reply
//! depends on — the client's prefix rule, the RD, CD and DO bits, whether
//! it has EDNS, and the question (name without regard to case) — read
//! straight from the wire, and keeps the encoded reply. A hit copies the
//! reply, sets the query's ID and name (its exact case), and lowers each
//! TTL by the time the reply has been kept.
//!
//! Only plain queries take this path: one question, no answer or authority
//! records, at most an OPT record; anything else goes to the state machine.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::ops::Range;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::cache::MAX_TTL;

const SHARDS: usize = 16;
const HEADER: usize = 12;
const TYPE_OPT: u16 = 41;

/// The longest key: rule and flags, a name of at most 255 bytes (RFC 1035
/// section 3.1), type and class.
const KEY_MAX: usize = 2 + 255 + 4;

/// A query's key, read from its bytes. It is held inline, so that reading
/// it allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryKey {
    key: [u8; KEY_MAX],
    len: usize,
    /// Where the question name is in the query (and in the reply).
    name: Range<usize>,
    /// The largest UDP reply the query allows (RFC 6891 section 6.2.5).
    pub limit: usize,
}

impl QueryKey {
    /// The key of `query` from a client served prefix rule `rule`, or
    /// `None` when the query is not a plain one (see the module docs).
    pub fn of(query: &[u8], rule: Option<usize>) -> Option<QueryKey> {
        let h = query.get(..HEADER)?;
        // QR=0, opcode 0, QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT <= 1.
        if h[2] & 0xf8 != 0 || h[4..10] != [0, 1, 0, 0, 0, 0] || h[10] != 0 || h[11] > 1 {
            return None;
        }
        let mut key = [0; KEY_MAX];
        key[0] = rule.map_or(0xff, |r| u8::try_from(r).unwrap_or(0xfe));
        // RD and CD.
        let mut flags = (h[2] & 0x01) | (h[3] & 0x10);
        let mut at = HEADER;
        loop {
            let len = usize::from(*query.get(at)?);
            if len & 0xc0 != 0 || at + 1 + len - HEADER > 255 {
                return None;
            }
            let label = query.get(at..at + 1 + len)?;
            let to = &mut key[2 + at - HEADER..3 + at + len - HEADER];
            for (k, b) in to.iter_mut().zip(label) {
                *k = b.to_ascii_lowercase();
            }
            at += 1 + len;
            if len == 0 {
                break;
            }
        }
        let name = HEADER..at;
        let len = 2 + name.len() + 4;
        key[2 + name.len()..len].copy_from_slice(query.get(at..at + 4)?);
        at += 4;
        let mut limit = 512;
        if h[11] == 1 {
            // OPT: root name, type 41, class = payload size, TTL = extended
            // RCODE, version, DO and Z, then RDLENGTH and options.
            let opt = query.get(at..at + 11)?;
            if opt[0] != 0 || u16::from_be_bytes([opt[1], opt[2]]) != TYPE_OPT || opt[6] != 0 {
                return None;
            }
            let payload = u16::from_be_bytes([opt[3], opt[4]]);
            limit = usize::from(payload.clamp(512, crate::EDNS_PAYLOAD));
            flags |= 0x40 | (opt[7] & 0x80);
            let rdlen = usize::from(u16::from_be_bytes([opt[9], opt[10]]));
            if at + 11 + rdlen != query.len() {
                return None;
            }
        } else if at != query.len() {
            return None;
        }
        key[1] = flags;
        Some(QueryKey {
            key,
            len,
            name,
            limit,
        })
    }

    fn bytes(&self) -> &[u8] {
        &self.key[..self.len]
    }
}

/// A kept reply. Its key and its bytes share one allocation, so that a
/// lookup, which compares the key and then copies the reply, reads one
/// block of memory rather than three.
#[derive(Debug)]
struct Entry {
    /// The key, then the reply.
    data: Box<[u8]>,
    key_len: usize,
    stored: Instant,
    expires: Instant,
    synthesized: bool,
}

impl Entry {
    fn key(&self) -> &[u8] {
        &self.data[..self.key_len]
    }

    fn reply(&self) -> &[u8] {
        &self.data[self.key_len..]
    }
}

/// The hasher of a table whose keys are already hashes (the key's
/// [`Replies`] hash): it passes them through, so that a query's key is
/// hashed once per lookup, not once to pick the shard and again in the
/// table.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; this is for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One shard: entries by the hash of their key. Two keys with the same
/// hash share a slot (the later reply replaces the earlier), and a lookup
/// compares the key itself, so a collision costs a miss, never a wrong
/// reply.
type Shard = HashMap<u64, Entry, BuildHasherDefault<Prehashed>>;

/// Encoded replies by [`QueryKey`], bounded in number, each kept for the
/// smallest TTL in it.
#[derive(Debug)]
pub struct Replies {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
    hasher: RandomState,
}

impl Replies {
    /// A cache of at most `capacity` replies (0 turns it off).
    pub fn new(capacity: usize) -> Replies {
        Replies {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    /// The hash of `key`, and the shard that holds it. The shard is
    /// picked by bits the table does not use for its buckets (the low
    /// ones) or its tags (the top seven).
    fn locate(&self, key: &[u8]) -> (u64, &Mutex<Shard>) {
        let hash = self.hasher.hash_one(key);
        (hash, &self.shards[(hash >> 32) as usize % SHARDS])
    }

    /// Writes the reply to `query` (whose key is `key`) as of `now` into
    /// `out`, and says whether it holds synthesized records; `None` (and
    /// `out` unchanged) when none is kept, it has expired, or it would not
    /// fit the query's UDP limit. `out` keeps its allocation from one
    /// reply to the next.
    pub fn get_into(
        &self,
        key: &QueryKey,
        query: &[u8],
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Option<bool> {
        if self.per_shard == 0 {
            return None;
        }
        let (hash, shard) = self.locate(key.bytes());
        let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        let e = shard.get(&hash).filter(|e| e.key() == key.bytes())?;
        if e.expires <= now || e.reply().len() > key.limit {
            return None;
        }
        out.clear();
        out.extend_from_slice(e.reply());
        let age = now.duration_since(e.stored).as_secs();
        if age > 0 {
            // Each TTL lowered by the time kept (RFC 1035 section 4.1.3:
            // the TTL is what the record may still be cached for).
            let age = u32::try_from(age).unwrap_or(u32::MAX);
            walk_ttls(e.reply(), |at, _| {
                let ttl = read_u32(out, at).saturating_sub(age);
                out[at..at + 4].copy_from_slice(&ttl.to_be_bytes());
            });
        }
        let synthesized = e.synthesized;
        drop(shard);
        out[..2].copy_from_slice(&query[..2]);
        out[key.name.clone()].copy_from_slice(&query[key.name.clone()]);
        Some(synthesized)
    }

    /// As [`Replies::get_into`], into a new buffer.
    pub fn get(&self, key: &QueryKey, query: &[u8], now: Instant) -> Option<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let synthesized = self.get_into(key, query, now, &mut out)?;
        Some((out, synthesized))
    }

    /// Keeps `reply` (the encoded answer to the query of `key`) if it can
    /// be: NOERROR or NXDOMAIN, not truncated, with at least one record to
    /// take a TTL from.
    pub fn insert(&self, key: QueryKey, reply: &[u8], synthesized: bool, now: Instant) {
        if self.per_shard == 0 || reply.len() < HEADER {
            return;
        }
        let rcode = reply[3] & 0x0f;
        if reply[2] & 0x02 != 0 || !(rcode == 0 || rcode == 3) {
            return;
        }
        // The reply's question must be where the query's was.
        if reply.get(key.name.clone()).map(|n| n.len()) != Some(key.name.len()) {
            return;
        }
        let Some(min) = min_ttl(reply) else {
            return;
        };
        if min == 0 {
            return;
        }
        let entry = Entry {
            data: [key.bytes(), reply].concat().into_boxed_slice(),
            key_len: key.len,
            stored: now,
            expires: now + Duration::from_secs(u64::from(min.min(MAX_TTL))),
            synthesized,
        };
        let (hash, shard) = self.locate(key.bytes());
        let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= self.per_shard && !shard.contains_key(&hash) {
            shard.retain(|_, e| e.expires > now);
            if shard.len() >= self.per_shard {
                let excess = shard.len() + 1 - self.per_shard;
                let victims: Vec<u64> = shard.keys().take(excess).copied().collect();
                for k in victims {
                    shard.remove(&k);
                }
            }
        }
        shard.insert(hash, entry);
    }
}

/// Skips a (possibly compressed) name; returns the offset after it.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)?;
        match len & 0xc0 {
            0x00 if len == 0 => return Some(at + 1),
            0x00 => at += 1 + usize::from(len),
            0xc0 => return Some(at + 2),
            _ => return None,
        }
    }
}

/// Calls `f` with the offset of the TTL field of every record of `m` but
/// OPT, in order, and with the record's section (0 answer, 1 authority, 2
/// additional). Returns whether the records end exactly where `m` does;
/// `f` may have been called for some records when they do not.
fn walk_ttls(m: &[u8], mut f: impl FnMut(usize, usize)) -> bool {
    let Some(h) = m.get(..HEADER) else {
        return false;
    };
    let count = |i: usize| usize::from(u16::from_be_bytes([h[i], h[i + 1]]));
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut at = HEADER;
    for _ in 0..qd {
        let Some(end) = skip_name(m, at) else {
            return false;
        };
        at = end + 4;
    }
    for i in 0..an + ns + ar {
        let Some(end) = skip_name(m, at) else {
            return false;
        };
        at = end;
        let Some(fixed) = m.get(at..at + 10) else {
            return false;
        };
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        if rtype != TYPE_OPT {
            f(at + 4, usize::from(i >= an) + usize::from(i >= an + ns));
        }
        at += 10 + rdlen;
    }
    at == m.len()
}

fn read_u32(m: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
}

/// The smallest TTL of the answer and authority sections of `m` (for a
/// negative answer, the SOA's, which RFC 2308 section 3 sets to the
/// negative TTL); `None` when they have no record or `m` does not parse
/// to its end.
fn min_ttl(m: &[u8]) -> Option<u32> {
    let mut min: Option<u32> = None;
    let whole = walk_ttls(m, |at, section| {
        if section < 2 {
            let ttl = read_u32(m, at);
            min = Some(min.map_or(ttl, |m| m.min(ttl)));
        }
    });
    if whole { min } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Edns, Message, Query};
    use hickory_proto::rr::rdata::AAAA;
    use hickory_proto::rr::{RData, Record, RecordType};

    fn query(name: &str, edns: bool) -> Message {
        let mut m = Message::query();
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(name.parse().unwrap(), RecordType::AAAA));
        if edns {
            let mut e = Edns::new();
            e.set_max_payload(4096);
            m.edns = Some(e);
        }
        m
    }

    #[test]
    fn keys_ignore_case_and_id_but_not_flags() {
        let a = query("Host.Example.", true).to_vec().unwrap();
        let b = query("host.example.", true).to_vec().unwrap();
        let c = query("host.example.", false).to_vec().unwrap();
        let ka = QueryKey::of(&a, Some(0)).unwrap();
        assert_eq!(ka.bytes(), QueryKey::of(&b, Some(0)).unwrap().bytes());
        assert_eq!(ka.limit, 1232);
        assert_ne!(ka.bytes(), QueryKey::of(&c, Some(0)).unwrap().bytes());
        assert_ne!(ka.bytes(), QueryKey::of(&b, Some(1)).unwrap().bytes());
        assert_eq!(QueryKey::of(&c, None).unwrap().limit, 512);
        assert!(QueryKey::of(&a[..a.len() - 1], Some(0)).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any bytes from the network: reading a key never panics, and a
        /// key read describes the query it came from.
        #[test]
        fn any_bytes_read_as_a_key_or_not(
            edns in proptest::prelude::any::<bool>(),
            flips in proptest::collection::vec(
                (0usize..64, proptest::prelude::any::<u8>()),
                0..4,
            ),
            cut in 0usize..64,
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut b = query("host.example.", edns).to_vec().unwrap();
            for (at, v) in flips {
                if let Some(x) = b.get_mut(at) {
                    *x = v;
                }
            }
            b.truncate(b.len().saturating_sub(cut));
            for bytes in [&b[..], &junk[..]] {
                if let Some(k) = QueryKey::of(bytes, Some(0)) {
                    proptest::prop_assert!(k.name.end <= bytes.len());
                    proptest::prop_assert!((512..=1232).contains(&k.limit));
                    proptest::prop_assert_eq!(k.bytes().len(), 2 + k.name.len() + 4);
                }
            }
        }
    }

    #[test]
    fn hits_take_the_id_and_case_of_the_query_and_age() {
        let cache = Replies::new(10);
        let q = query("host.example.", false);
        let mut reply = q.clone().into_response();
        reply.add_answer(Record::from_rdata(
            "host.example.".parse().unwrap(),
            100,
            RData::AAAA(AAAA("64:ff9b::1".parse().unwrap())),
        ));
        let qb = q.to_vec().unwrap();
        let t0 = Instant::now();
        cache.insert(
            QueryKey::of(&qb, None).unwrap(),
            &reply.to_vec().unwrap(),
            true,
            t0,
        );
        let mut q2 = query("host.example.", false);
        q2.metadata.id = 4242;
        let mut q2b = q2.to_vec().unwrap();
        // The name's case as the client wrote it (0x20 randomization).
        q2b[13..17].copy_from_slice(b"HoSt");
        let k2 = QueryKey::of(&q2b, None).unwrap();
        let (out, synth) = cache.get(&k2, &q2b, t0 + Duration::from_secs(30)).unwrap();
        assert!(synth);
        let m = Message::from_vec(&out).unwrap();
        assert_eq!(m.metadata.id, 4242);
        assert_eq!(&out[13..17], b"HoSt");
        assert_eq!(m.answers[0].ttl, 70);
        assert!(
            cache
                .get(&k2, &q2b, t0 + Duration::from_secs(100))
                .is_none()
        );
    }

    #[test]
    fn capacity_is_a_bound_and_the_newest_reply_is_kept() {
        let cache = Replies::new(32);
        let t0 = Instant::now();
        let mut last = None;
        for i in 0..1000 {
            let name = format!("n{i}.example.");
            let q = query(&name, false);
            let mut reply = q.clone().into_response();
            reply.add_answer(Record::from_rdata(
                name.parse().unwrap(),
                100,
                RData::AAAA(AAAA("64:ff9b::1".parse().unwrap())),
            ));
            let qb = q.to_vec().unwrap();
            let key = QueryKey::of(&qb, None).unwrap();
            cache.insert(key.clone(), &reply.to_vec().unwrap(), true, t0);
            last = Some((key, qb));
        }
        let held: usize = cache.shards.iter().map(|s| s.lock().unwrap().len()).sum();
        assert!(held <= 32, "{held}");
        let (key, qb) = last.unwrap();
        assert!(cache.get(&key, &qb, t0).is_some());
        // A key that was never kept misses, whatever slot it hashes to.
        let other = query("never.example.", false).to_vec().unwrap();
        let k = QueryKey::of(&other, None).unwrap();
        assert!(cache.get(&k, &other, t0).is_none());
    }
}
