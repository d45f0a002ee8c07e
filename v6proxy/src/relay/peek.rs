//! The first bytes of a connection: a TLS ClientHello or an HTTP/1.x
//! request head, and the server name in it.
//!
//! [`peek`] is a pure function of the bytes received so far. It answers
//! [`Peek::NeedMore`] until those bytes decide the question, and decides
//! only on bytes it has seen, so feeding it a stream in any split gives the
//! same answer as feeding it all at once. Nothing is consumed: the caller
//! forwards the same bytes to the backend unchanged, and TLS is never
//! terminated.

use core::fmt;

use super::name::HostName;
use super::{http, tls};

/// How many bytes [`peek`] may look at before it gives up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest ClientHello handshake message accepted, in octets
    /// (RFC 8446 §4.1.2; post-quantum key shares make hellos of 2 KiB
    /// common).
    pub max_hello: usize,
    /// The largest HTTP request head (request line and header fields).
    pub max_head: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_hello: 16 * 1024,
            max_head: 8 * 1024,
        }
    }
}

impl Limits {
    /// The most bytes [`peek`] can ask for before it answers: the size of
    /// the buffer a caller needs.
    pub fn buffer_len(&self) -> usize {
        // A hello of `max_hello` octets in records of at most 2^14 octets,
        // each with a 5-octet header, plus the 4-octet handshake header.
        let records = (self.max_hello + 4).div_ceil(tls::MAX_RECORD) + 1;
        (self.max_hello + 4 + 5 * records).max(self.max_head)
    }
}

/// The protocol the first bytes speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TLS: the name is the ClientHello's `server_name` (RFC 6066 §3).
    Tls,
    /// HTTP/1.x: the name is the `Host` header field (RFC 9112 §3.2).
    Http,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tls => "tls",
            Protocol::Http => "http",
        })
    }
}

/// What the bytes received so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// Not enough bytes yet to decide; read more and ask again with all of
    /// them.
    NeedMore,
    /// The server name, and the protocol it was found in.
    Found(Protocol, HostName),
    /// The bytes can never name a server: refuse the connection.
    Refused(Refusal),
}

/// Why the first bytes of a connection are refused. Small and `Copy`: it
/// is counted per reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The first byte starts neither a TLS handshake record nor an HTTP
    /// method.
    UnknownProtocol,
    /// A TLS record that is not a handshake record, has a version whose
    /// major number is not 3, or is empty or longer than 2^14 octets
    /// (RFC 8446 §5.1).
    BadRecord,
    /// The first handshake message is not a ClientHello (RFC 8446 §4).
    NotClientHello,
    /// The ClientHello is longer than [`Limits::max_hello`].
    HelloTooLarge,
    /// The ClientHello's fields do not add up (RFC 8446 §4.1.2).
    MalformedHello,
    /// The ClientHello has no `server_name` extension with a host name.
    NoServerName,
    /// The request head is longer than [`Limits::max_head`] without ending.
    HeadTooLarge,
    /// The request line is not `method SP target SP HTTP/1.x`
    /// (RFC 9112 §3).
    BadRequestLine,
    /// A header field line is malformed, or folded (RFC 9112 §5.2).
    BadHeader,
    /// No `Host` header field, or an empty one (RFC 9112 §3.2).
    NoHost,
    /// More than one `Host` header field (RFC 9112 §3.2: answered 400).
    DuplicateHost,
    /// The server name is not a valid host name, or is an address literal.
    BadName,
}

impl Refusal {
    /// Every reason, in a fixed order (for counters).
    pub const ALL: [Refusal; 12] = [
        Refusal::UnknownProtocol,
        Refusal::BadRecord,
        Refusal::NotClientHello,
        Refusal::HelloTooLarge,
        Refusal::MalformedHello,
        Refusal::NoServerName,
        Refusal::HeadTooLarge,
        Refusal::BadRequestLine,
        Refusal::BadHeader,
        Refusal::NoHost,
        Refusal::DuplicateHost,
        Refusal::BadName,
    ];

    /// The reason's position in [`Refusal::ALL`].
    pub fn index(self) -> usize {
        Refusal::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    /// A short snake_case name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownProtocol => "unknown_protocol",
            Refusal::BadRecord => "bad_record",
            Refusal::NotClientHello => "not_client_hello",
            Refusal::HelloTooLarge => "hello_too_large",
            Refusal::MalformedHello => "malformed_hello",
            Refusal::NoServerName => "no_server_name",
            Refusal::HeadTooLarge => "head_too_large",
            Refusal::BadRequestLine => "bad_request_line",
            Refusal::BadHeader => "bad_header",
            Refusal::NoHost => "no_host",
            Refusal::DuplicateHost => "duplicate_host",
            Refusal::BadName => "bad_name",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Looks at the first bytes of a connection, all of those received so far,
/// and says which server they are for.
///
/// A first byte of 22 (a TLS handshake record, RFC 8446 §5.1) is read as a
/// ClientHello, which may span several records and any number of reads; an
/// upper-case letter as an HTTP/1.x request head. Anything else is refused
/// at once.
///
/// ```
/// use v6proxy::relay::peek::{peek, Limits, Peek, Protocol};
/// let req = b"GET / HTTP/1.1\r\nHost: www.example.org:80\r\n\r\n";
/// match peek(req, &Limits::default()) {
///     Peek::Found(Protocol::Http, name) => assert_eq!(name.as_str(), "www.example.org"),
///     other => panic!("{other:?}"),
/// }
/// assert_eq!(peek(&req[..20], &Limits::default()), Peek::NeedMore);
/// ```
pub fn peek(buf: &[u8], limits: &Limits) -> Peek {
    match buf.first() {
        None => Peek::NeedMore,
        Some(&tls::HANDSHAKE) => tls::peek(buf, limits.max_hello),
        Some(b'A'..=b'Z') => http::peek(buf, limits.max_head),
        Some(_) => Peek::Refused(Refusal::UnknownProtocol),
    }
}
