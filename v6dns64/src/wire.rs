//! Encoding replies for a transport: UDP size limits and truncation.

use hickory_proto::op::{Message, ResponseCode};

use crate::resolve::EDNS_PAYLOAD;

/// The largest UDP reply `query` may get: 512 bytes without EDNS (RFC 1035
/// section 4.2.1), else the client's advertised size, at least 512 and at
/// most our own [`EDNS_PAYLOAD`] (RFC 6891 section 6.2.5).
pub fn udp_limit(query: &Message) -> usize {
    match &query.edns {
        None => 512,
        Some(e) => usize::from(e.max_payload().clamp(512, EDNS_PAYLOAD)),
    }
}

/// The largest UDP reply for a raw query: as [`udp_limit`], read from the
/// OPT record when the query parses, 512 otherwise.
pub fn udp_limit_of(query: &[u8]) -> usize {
    Message::from_vec(query).map_or(512, |m| udp_limit(&m))
}

/// `reply` encoded in at most `limit` bytes. A reply that does not fit is
/// sent with its answer, authority and additional sections removed (the
/// OPT record stays) and the TC bit set, which tells the client to ask
/// again over TCP (RFC 1035 section 4.2.1, RFC 7766 section 5). A reply
/// that cannot be encoded at all becomes SERVFAIL.
pub fn encode(reply: &Message, limit: usize) -> Vec<u8> {
    match reply.to_vec() {
        Ok(bytes) if bytes.len() <= limit => bytes,
        Ok(_) => {
            let mut t = reply.truncate();
            t.metadata.id = reply.metadata.id;
            t.to_vec().unwrap_or_else(|_| servfail(reply))
        }
        Err(_) => servfail(reply),
    }
}

fn servfail(reply: &Message) -> Vec<u8> {
    let mut m = Message::error_msg(
        reply.metadata.id,
        reply.metadata.op_code,
        ResponseCode::ServFail,
    );
    m.metadata.recursion_desired = reply.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    // A header alone always encodes.
    m.to_vec().unwrap_or_default()
}
