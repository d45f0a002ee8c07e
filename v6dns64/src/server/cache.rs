//! A bounded cache of upstream answers that honours their TTLs.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};

use crate::synth::negative_ttl;

/// The longest an answer is kept, whatever its TTL (as Unbound's
/// `cache-max-ttl` default of one day).
pub const MAX_TTL: u32 = 86_400;

/// Locks are per shard so that workers rarely wait for each other.
const SHARDS: usize = 16;

/// What an upstream answer depends on: the question and the DO and CD bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: Query,
    dnssec_ok: bool,
    checking_disabled: bool,
}

impl Key {
    /// The key for `query` (names compare without regard to case).
    pub fn new(query: &Query, dnssec_ok: bool, checking_disabled: bool) -> Key {
        Key {
            query: query.clone(),
            dnssec_ok,
            checking_disabled,
        }
    }
}

#[derive(Debug)]
struct Entry {
    message: Message,
    stored: Instant,
    expires: Instant,
}

/// Upstream answers by question, each kept for its TTL: the smallest TTL
/// of its records (RFC 1035 section 3.2.1), or for a negative answer its
/// negative TTL, from the SOA (RFC 2308 section 5). Answers without a TTL
/// to go by (SERVFAIL, a negative answer without SOA) are not kept.
///
/// At most `capacity` answers are held; when a shard is full, expired
/// answers go first, then whichever comes first in the table.
#[derive(Debug)]
pub struct Cache {
    shards: Vec<Mutex<HashMap<Key, Entry>>>,
    per_shard: usize,
    hasher: RandomState,
}

impl Cache {
    /// A cache holding at most `capacity` answers (0 turns it off).
    pub fn new(capacity: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, Entry>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// The answer for `key` as of `now`, its TTLs lowered by the time it
    /// has been held.
    pub fn get(&self, key: &Key, now: Instant) -> Option<Message> {
        if self.per_shard == 0 {
            return None;
        }
        let shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        let e = shard.get(key)?;
        if e.expires <= now {
            return None;
        }
        let age = u32::try_from(now.duration_since(e.stored).as_secs()).unwrap_or(u32::MAX);
        let mut m = e.message.clone();
        drop(shard);
        if age > 0 {
            for r in m
                .answers
                .iter_mut()
                .chain(m.authorities.iter_mut())
                .chain(m.additionals.iter_mut())
            {
                r.ttl = r.ttl.saturating_sub(age);
            }
        }
        Some(m)
    }

    /// Keeps `message` as the answer for `key`, if it has a TTL.
    pub fn insert(&self, key: Key, message: &Message, now: Instant) {
        if self.per_shard == 0 {
            return;
        }
        let Some(ttl) = ttl_of(message) else { return };
        if ttl == 0 {
            return;
        }
        let entry = Entry {
            message: message.clone(),
            stored: now,
            expires: now + Duration::from_secs(u64::from(ttl.min(MAX_TTL))),
        };
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            shard.retain(|_, e| e.expires > now);
            if shard.len() >= self.per_shard {
                let excess = shard.len() + 1 - self.per_shard;
                let victims: Vec<Key> = shard.keys().take(excess).cloned().collect();
                for k in victims {
                    shard.remove(&k);
                }
            }
        }
        shard.insert(key, entry);
    }

    /// How many answers are held (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// Whether no answer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How long `m` may be cached, or `None` if it may not.
fn ttl_of(m: &Message) -> Option<u32> {
    match m.response_code {
        ResponseCode::NoError if !m.answers.is_empty() => m
            .answers
            .iter()
            .chain(m.authorities.iter())
            .map(|r| r.ttl)
            .min(),
        ResponseCode::NoError | ResponseCode::NXDomain => negative_ttl(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};
    use hickory_proto::rr::{Name, RData, Record, RecordType};

    fn q(name: &str) -> Query {
        Query::query(name.parse().unwrap(), RecordType::A)
    }

    fn answer(ttl: u32) -> Message {
        let mut m = Message::query().into_response();
        m.add_answer(Record::from_rdata(
            "a.example.".parse().unwrap(),
            ttl,
            RData::A(A::new(192, 0, 2, 1)),
        ));
        m
    }

    #[test]
    fn ttls_count_down_and_expire() {
        let c = Cache::new(100);
        let t0 = Instant::now();
        let k = Key::new(&q("a.example."), false, false);
        c.insert(k.clone(), &answer(10), t0);
        assert_eq!(c.get(&k, t0).unwrap().answers[0].ttl, 10);
        assert_eq!(
            c.get(&k, t0 + Duration::from_secs(4)).unwrap().answers[0].ttl,
            6
        );
        assert!(c.get(&k, t0 + Duration::from_secs(10)).is_none());
        // Case does not matter; DO does.
        assert!(
            c.get(&Key::new(&q("A.EXAMPLE."), false, false), t0)
                .is_some()
        );
        assert!(
            c.get(&Key::new(&q("a.example."), true, false), t0)
                .is_none()
        );
    }

    #[test]
    fn negative_answers_use_the_soa_and_failures_are_not_kept() {
        let c = Cache::new(100);
        let t0 = Instant::now();
        let mut nx = Message::query().into_response();
        nx.metadata.response_code = ResponseCode::NXDomain;
        let soa = SOA::new(Name::root(), Name::root(), 1, 2, 3, 4, 30);
        nx.add_authority(Record::from_rdata(Name::root(), 300, RData::SOA(soa)));
        let k = Key::new(&q("nx.example."), false, false);
        c.insert(k.clone(), &nx, t0);
        assert!(c.get(&k, t0 + Duration::from_secs(29)).is_some());
        assert!(c.get(&k, t0 + Duration::from_secs(30)).is_none());
        let mut fail = Message::query().into_response();
        fail.metadata.response_code = ResponseCode::ServFail;
        let k = Key::new(&q("fail.example."), false, false);
        c.insert(k.clone(), &fail, t0);
        assert!(c.get(&k, t0).is_none());
    }

    #[test]
    fn capacity_is_a_bound() {
        let c = Cache::new(32);
        let t0 = Instant::now();
        for i in 0..1000 {
            c.insert(
                Key::new(&q(&format!("n{i}.example.")), false, false),
                &answer(100),
                t0,
            );
        }
        assert!(c.len() <= 32, "{}", c.len());
        assert!(!c.is_empty());
    }
}
