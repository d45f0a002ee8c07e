//! The head of an HTTP/1.x request and its `Host` header field.
//!
//! ```text
//! request-line = method SP request-target SP HTTP-version CRLF   (RFC 9112 §3)
//! field-line   = field-name ":" OWS field-value OWS CRLF         (RFC 9112 §5)
//! ```
//!
//! The name is the `Host` field (RFC 9112 §3.2), without its port. The
//! whole head is read, up to the empty line, so that a second `Host` field
//! is refused as §3.2 requires ("MUST respond with a 400 (Bad Request)
//! status code to any HTTP/1.1 request message that lacks a Host header
//! field and to any request message that contains more than one Host
//! header field line"). A bare LF ends a line as well as CRLF
//! (RFC 9112 §2.2).

use super::name::HostName;
use super::peek::{Peek, Protocol, Refusal};

/// Whether `c` may appear in a token (RFC 9110 §5.6.2).
fn tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Peeks at `buf`, which starts with an upper-case letter.
pub(crate) fn peek(buf: &[u8], max_head: usize) -> Peek {
    // Nothing past the limit is looked at, so that the answer for a long
    // stream does not depend on where it was cut.
    let view = &buf[..buf.len().min(max_head)];
    let (lines, complete) = match head_lines(view) {
        Ok(x) => x,
        Err(r) => return Peek::Refused(r),
    };
    // The request line can be judged as soon as it is there, and so can
    // each field line: garbage is refused without waiting for more.
    let mut host: Option<&[u8]> = None;
    for (i, line) in lines.iter().enumerate() {
        let r = if i == 0 {
            request_line(line)
        } else {
            field_line(line, &mut host)
        };
        if let Err(r) = r {
            return Peek::Refused(r);
        }
    }
    if lines.is_empty() {
        // Still in the request line: its method must be a token.
        let method_end = view.iter().position(|&c| c == b' ');
        let method = &view[..method_end.unwrap_or(view.len())];
        if !method.iter().all(|&c| tchar(c)) {
            return Peek::Refused(Refusal::BadRequestLine);
        }
    }
    if !complete {
        return if buf.len() >= max_head {
            Peek::Refused(Refusal::HeadTooLarge)
        } else {
            Peek::NeedMore
        };
    }
    let Some(host) = host else {
        return Peek::Refused(Refusal::NoHost);
    };
    match host_name(host) {
        Ok(name) => Peek::Found(Protocol::Http, name),
        Err(r) => Peek::Refused(r),
    }
}

/// The complete lines of the head within `buf` (without their line
/// endings), and whether the empty line that ends the head was among them.
/// A line counts only once its LF has arrived.
fn head_lines(buf: &[u8]) -> Result<(Vec<&[u8]>, bool), Refusal> {
    let mut lines = Vec::new();
    let mut rest = buf;
    while let Some(lf) = rest.iter().position(|&c| c == b'\n') {
        let line = &rest[..lf];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        rest = &rest[lf + 1..];
        if line.is_empty() {
            if lines.is_empty() {
                // RFC 9112 §2.2 lets a server skip empty lines before the
                // request line; a relay has no reason to.
                return Err(Refusal::BadRequestLine);
            }
            return Ok((lines, true));
        }
        lines.push(line);
    }
    Ok((lines, false))
}

/// Checks `method SP request-target SP HTTP/1.x`.
fn request_line(line: &[u8]) -> Result<(), Refusal> {
    let mut parts = line.split(|&c| c == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::BadRequestLine);
    };
    let version_ok =
        version.len() == 8 && version.starts_with(b"HTTP/1.") && version[7].is_ascii_digit();
    if method.is_empty()
        || !method.iter().all(|&c| tchar(c))
        || target.is_empty()
        || target.iter().any(|&c| c <= b' ' || c == 0x7f)
        || !version_ok
    {
        return Err(Refusal::BadRequestLine);
    }
    Ok(())
}

/// Checks a field line and notes the `Host` field's value.
fn field_line<'a>(line: &'a [u8], host: &mut Option<&'a [u8]>) -> Result<(), Refusal> {
    if line[0] == b' ' || line[0] == b'\t' {
        // Obsolete line folding (RFC 9112 §5.2).
        return Err(Refusal::BadHeader);
    }
    let colon = line
        .iter()
        .position(|&c| c == b':')
        .ok_or(Refusal::BadHeader)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    // No whitespace between the name and the colon (RFC 9112 §5.1).
    if name.is_empty() || !name.iter().all(|&c| tchar(c)) {
        return Err(Refusal::BadHeader);
    }
    if value.iter().any(|&c| c == 0 || c == b'\r') {
        return Err(Refusal::BadHeader);
    }
    if name.eq_ignore_ascii_case(b"host") {
        if host.is_some() {
            return Err(Refusal::DuplicateHost);
        }
        *host = Some(value.trim_ascii());
    }
    Ok(())
}

/// The host of a `Host` value: `uri-host [ ":" port ]` (RFC 9110 §7.2).
fn host_name(value: &[u8]) -> Result<HostName, Refusal> {
    if value.is_empty() {
        return Err(Refusal::NoHost);
    }
    let host = match value.iter().rposition(|&c| c == b':') {
        Some(i) if value[i + 1..].iter().all(u8::is_ascii_digit) => &value[..i],
        Some(_) => return Err(Refusal::BadName),
        None => value,
    };
    HostName::parse(host).map_err(|_| Refusal::BadName)
}

#[cfg(test)]
mod tests {
    use super::super::peek::{Limits, peek};
    use super::*;

    fn p(b: &[u8]) -> Peek {
        peek(b, &Limits::default())
    }

    #[test]
    fn finds_the_host() {
        let want = Peek::Found(Protocol::Http, "www.example.org".parse().unwrap());
        assert_eq!(
            p(b"GET / HTTP/1.1\r\nUser-Agent: x\r\nhOsT:  WWW.example.org:8080 \r\n\r\n"),
            want
        );
        assert_eq!(p(b"GET / HTTP/1.0\nHost: www.example.org\n\nbody"), want);
        assert_eq!(
            p(b"POST /x?y HTTP/1.1\r\nHost: www.example.org.\r\nContent-Length: 3\r\n\r\nabc"),
            want
        );
    }

    #[test]
    fn waits_for_the_end_of_the_head() {
        let req = b"GET / HTTP/1.1\r\nHost: a.example\r\nAccept: */*\r\n\r\n";
        for cut in 0..req.len() {
            assert_eq!(p(&req[..cut]), Peek::NeedMore, "cut at {cut}");
        }
    }

    #[test]
    fn refusals() {
        let r = |b: &[u8]| match p(b) {
            Peek::Refused(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(r(b"GET / HTTP/1.1\r\n\r\n"), Refusal::NoHost);
        assert_eq!(r(b"GET / HTTP/1.1\r\nHost:\r\n\r\n"), Refusal::NoHost);
        assert_eq!(
            r(b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n"),
            Refusal::DuplicateHost
        );
        assert_eq!(
            r(b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
            Refusal::BadName
        );
        assert_eq!(
            r(b"GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n"),
            Refusal::BadName
        );
        assert_eq!(r(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"), Refusal::BadHeader);
        assert_eq!(
            r(b"GET / HTTP/1.1\r\nX: 1\r\n folded\r\n"),
            Refusal::BadHeader
        );
        assert_eq!(r(b"GET /\r\n"), Refusal::BadRequestLine);
        assert_eq!(r(b"GET / HTTP/2.0\r\n"), Refusal::BadRequestLine);
        assert_eq!(r(b"HELLO\x00"), Refusal::BadRequestLine);
        assert_eq!(r(b"\x00\x01"), Refusal::UnknownProtocol);
        let long = [b'G'; 9000];
        assert_eq!(r(&long), Refusal::HeadTooLarge);
    }
}
