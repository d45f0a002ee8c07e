//! The TLS ClientHello and its `server_name` extension, read without
//! terminating TLS.
//!
//! The record layer (RFC 8446 §5.1):
//!
//! ```text
//! +------+---------+---------+-------------------------+
//! | type | version | length  | fragment (length bytes) |
//! | 22   | 3.x     | 1..2^14 |                         |
//! +------+---------+---------+-------------------------+
//! ```
//!
//! A handshake message may be split over several records, and records over
//! any number of TCP segments; the fragments are joined until the whole
//! ClientHello (RFC 8446 §4.1.2) is there:
//!
//! ```text
//! struct {
//!     ProtocolVersion legacy_version = 0x0303;
//!     Random random;                                  (32 octets)
//!     opaque legacy_session_id<0..32>;
//!     CipherSuite cipher_suites<2..2^16-2>;
//!     opaque legacy_compression_methods<1..2^8-1>;
//!     Extension extensions<8..2^16-1>;
//! } ClientHello;
//! ```
//!
//! and the server name is the `host_name` entry of the `server_name`
//! extension (type 0, RFC 6066 §3).

use super::name::HostName;
use super::peek::{Peek, Refusal};

/// The record content type of handshake messages (RFC 8446 §5.1).
pub(crate) const HANDSHAKE: u8 = 22;
/// The largest record fragment, 2^14 octets (RFC 8446 §5.1).
pub(crate) const MAX_RECORD: usize = 1 << 14;
/// The handshake type of a ClientHello (RFC 8446 §4).
const CLIENT_HELLO: u8 = 1;
/// The extension type of `server_name` (RFC 6066 §3).
const SERVER_NAME: u16 = 0;
/// The `NameType` of a DNS host name (RFC 6066 §3).
const HOST_NAME: u8 = 0;

/// Peeks at `buf`, which starts with a handshake record.
pub(crate) fn peek(buf: &[u8], max_hello: usize) -> Peek {
    // The record headers a hello of `max_hello` octets needs at most, with
    // records of any size: beyond that, the sender pads with headers.
    let max_bytes = max_hello + 4 + 5 * ((max_hello + 4).div_ceil(MAX_RECORD) + 1);
    let mut hello: Vec<u8> = Vec::new();
    let mut need: Option<usize> = None;
    let mut pos = 0;
    loop {
        if need.is_some_and(|n| hello.len() >= n) {
            break;
        }
        if pos + 5 > max_bytes {
            return Peek::Refused(Refusal::HelloTooLarge);
        }
        let Some(header) = buf.get(pos..pos + 5) else {
            return Peek::NeedMore;
        };
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if header[0] != HANDSHAKE || header[1] != 3 || len == 0 || len > MAX_RECORD {
            return Peek::Refused(Refusal::BadRecord);
        }
        let end = (pos + 5 + len).min(buf.len());
        hello.extend_from_slice(&buf[pos + 5..end]);
        if need.is_none() && hello.len() >= 4 {
            if hello[0] != CLIENT_HELLO {
                return Peek::Refused(Refusal::NotClientHello);
            }
            let n =
                usize::from(hello[1]) << 16 | usize::from(hello[2]) << 8 | usize::from(hello[3]);
            if n > max_hello {
                return Peek::Refused(Refusal::HelloTooLarge);
            }
            need = Some(4 + n);
        }
        if end < pos + 5 + len {
            // The record is cut off here: enough if the hello is complete.
            if need.is_some_and(|n| hello.len() >= n) {
                break;
            }
            return Peek::NeedMore;
        }
        pos = end;
    }
    let n = need.unwrap_or(4);
    match server_name(&hello[4..n]) {
        Ok(name) => Peek::Found(super::peek::Protocol::Tls, name),
        Err(r) => Peek::Refused(r),
    }
}

/// A cursor over a ClientHello body; every read fails past its end.
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Refusal> {
        if n > self.buf.len() {
            return Err(Refusal::MalformedHello);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, Refusal> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, Refusal> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// A vector with a one-octet length.
    fn vec8(&mut self) -> Result<&'a [u8], Refusal> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    /// A vector with a two-octet length.
    fn vec16(&mut self) -> Result<&'a [u8], Refusal> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

/// The host name of a whole ClientHello body (after the handshake header).
fn server_name(body: &[u8]) -> Result<HostName, Refusal> {
    let mut r = Reader { buf: body };
    let version = r.u16()?;
    if version >> 8 != 3 {
        return Err(Refusal::MalformedHello);
    }
    r.take(32)?; // random
    if r.vec8()?.len() > 32 {
        return Err(Refusal::MalformedHello);
    }
    let suites = r.vec16()?;
    if suites.len() < 2 || suites.len() % 2 != 0 {
        return Err(Refusal::MalformedHello);
    }
    if r.vec8()?.is_empty() {
        return Err(Refusal::MalformedHello);
    }
    if r.buf.is_empty() {
        // TLS 1.2 and earlier may omit the extensions: no name.
        return Err(Refusal::NoServerName);
    }
    let mut exts = Reader { buf: r.vec16()? };
    if !r.buf.is_empty() {
        return Err(Refusal::MalformedHello);
    }
    let mut found = None;
    while !exts.buf.is_empty() {
        let kind = exts.u16()?;
        let data = exts.vec16()?;
        if kind != SERVER_NAME {
            continue;
        }
        if found.is_some() {
            // RFC 8446 §4.2: at most one extension of each type.
            return Err(Refusal::MalformedHello);
        }
        found = Some(host_name(data)?);
    }
    found.ok_or(Refusal::NoServerName)
}

/// The `host_name` of a `server_name` extension's data (RFC 6066 §3).
fn host_name(data: &[u8]) -> Result<HostName, Refusal> {
    let mut r = Reader { buf: data };
    let mut list = Reader { buf: r.vec16()? };
    if !r.buf.is_empty() || list.buf.is_empty() {
        return Err(Refusal::MalformedHello);
    }
    let mut name = None;
    while !list.buf.is_empty() {
        let kind = list.u8()?;
        let value = list.vec16()?;
        if kind == HOST_NAME {
            if name.is_some() {
                // "MUST NOT contain more than one name of the same name_type".
                return Err(Refusal::MalformedHello);
            }
            name = Some(value);
        }
    }
    let name = name.ok_or(Refusal::NoServerName)?;
    HostName::parse(name).map_err(|_| Refusal::BadName)
}

/// Builds a ClientHello record for tests: `name` in the `server_name`
/// extension (none if `None`), `pad` octets of padding extension, split
/// into records of at most `record` octets.
#[cfg(test)]
pub(crate) fn client_hello(name: Option<&str>, pad: usize, record: usize) -> Vec<u8> {
    let mut ext = Vec::new();
    if let Some(name) = name {
        let n = name.len() as u16;
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&(n + 5).to_be_bytes());
        ext.extend_from_slice(&(n + 3).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&n.to_be_bytes());
        ext.extend_from_slice(name.as_bytes());
    }
    // padding (RFC 7685), type 21
    ext.extend_from_slice(&[0, 21]);
    ext.extend_from_slice(&(pad as u16).to_be_bytes());
    ext.resize(ext.len() + pad, 0);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 4, 0x13, 0x01, 0x13, 0x02, 1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut out = Vec::new();
    for chunk in hs.chunks(record) {
        out.extend_from_slice(&[22, 3, 1]);
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::peek::{Limits, Protocol, peek};
    use super::*;

    /// A minimal ClientHello for `www.example.org`: one record, one cipher
    /// suite and the `server_name` extension alone.
    static CURL_HELLO: [u8; 76] = [
        0x16, 0x03, 0x01, 0x00, 0x47, // record: handshake, TLS 1.0, 71 octets
        0x01, 0x00, 0x00, 0x43, // ClientHello, 67 octets
        0x03, 0x03, // legacy_version
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
        0x1f, 0x20, // random
        0x00, // session id
        0x00, 0x02, 0x13, 0x01, // cipher suites
        0x01, 0x00, // compression
        0x00, 0x18, // extensions, 24 octets
        0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, b'w', b'w', b'w', b'.', b'e', b'x',
        b'a', b'm', b'p', b'l', b'e', b'.', b'o', b'r', b'g',
    ];

    fn found(name: &str) -> Peek {
        Peek::Found(Protocol::Tls, name.parse().unwrap())
    }

    #[test]
    fn known_hello() {
        let l = Limits::default();
        assert_eq!(peek(&CURL_HELLO, &l), found("www.example.org"));
        for cut in 0..CURL_HELLO.len() {
            assert_eq!(peek(&CURL_HELLO[..cut], &l), Peek::NeedMore, "cut at {cut}");
        }
    }

    #[test]
    fn hello_over_several_records() {
        let l = Limits::default();
        let h = client_hello(Some("Big.Example.ORG"), 3000, 700);
        assert_eq!(peek(&h, &l), found("big.example.org"));
        let h = client_hello(Some("a.example"), 20000, 16384);
        assert_eq!(peek(&h, &l), Peek::Refused(Refusal::HelloTooLarge));
    }

    #[test]
    fn refusals() {
        let l = Limits::default();
        let none = client_hello(None, 10, 100);
        assert_eq!(peek(&none, &l), Peek::Refused(Refusal::NoServerName));
        let ip = client_hello(Some("192.0.2.1"), 0, 1000);
        assert_eq!(peek(&ip, &l), Peek::Refused(Refusal::BadName));
        let mut bad = CURL_HELLO;
        bad[5] = 2; // ServerHello
        assert_eq!(peek(&bad, &l), Peek::Refused(Refusal::NotClientHello));
        let mut bad = CURL_HELLO;
        bad[0] = 23; // application data
        assert_eq!(peek(&bad, &l), Peek::Refused(Refusal::UnknownProtocol));
        let mut bad = CURL_HELLO;
        bad[1] = 2;
        assert_eq!(peek(&bad, &l), Peek::Refused(Refusal::BadRecord));
        let mut bad = CURL_HELLO;
        bad[51] = 0x30; // extensions longer than the hello
        assert_eq!(peek(&bad, &l), Peek::Refused(Refusal::MalformedHello));
        let mut bad = CURL_HELLO;
        bad[3..5].copy_from_slice(&[0, 0]);
        assert_eq!(peek(&bad, &l), Peek::Refused(Refusal::BadRecord));
        // A record that is not a handshake after the first one.
        let mut split = client_hello(Some("x.example"), 0, 20);
        split[25] = 21;
        assert_eq!(peek(&split, &l), Peek::Refused(Refusal::BadRecord));
    }
}
