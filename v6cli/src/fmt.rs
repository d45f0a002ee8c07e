//! Address formatting into a stack buffer, without allocating.
//!
//! `v6 split` writes a million addresses or more per run, and std's
//! `Display` for [`Ipv6Addr`] goes through `core::fmt` machinery for every
//! group. The functions here write the same text (RFC 5952 for the
//! compressed form, which is exactly what std prints) straight into a
//! [`Text`] on the stack; the tests check them against std on arbitrary
//! addresses.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The longest text form of an address:
/// `ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff`.
const MAX_LEN: usize = 39;

/// The text form of one address, held on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Text {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Text {
            buf: [0; MAX_LEN],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// The text as bytes (always ASCII).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text as a string slice.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits, letters, ':' and '.' are ever pushed.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// Appends a 16-bit group in hexadecimal without leading zeros.
    fn push_group(&mut self, g: u16) {
        let digits = ((16 - g.leading_zeros() as usize).div_ceil(4)).max(1);
        for i in (0..digits).rev() {
            self.push(HEX[usize::from((g >> (4 * i)) & 0xf)]);
        }
    }

    /// Appends groups separated by ':'.
    fn push_groups(&mut self, groups: &[u16]) {
        for (i, &g) in groups.iter().enumerate() {
            if i > 0 {
                self.push(b':');
            }
            self.push_group(g);
        }
    }

    /// Appends a number from 0 to 255 in decimal.
    fn push_decimal(&mut self, n: u8) {
        if n >= 100 {
            self.push(b'0' + n / 100);
        }
        if n >= 10 {
            self.push(b'0' + n / 10 % 10);
        }
        self.push(b'0' + n % 10);
    }

    fn push_v4(&mut self, addr: Ipv4Addr) {
        for (i, &o) in addr.octets().iter().enumerate() {
            if i > 0 {
                self.push(b'.');
            }
            self.push_decimal(o);
        }
    }
}

impl core::fmt::Display for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The dotted-quad form of an IPv4 address, as std's `Display` prints it.
pub(crate) fn v4(addr: Ipv4Addr) -> Text {
    let mut t = Text::new();
    t.push_v4(addr);
    t
}

/// The compressed form of an IPv6 address (RFC 5952 section 4: lower case,
/// no leading zeros, the longest run of two or more zero groups, the first
/// of equal runs, replaced by `::`; IPv4-mapped addresses as
/// `::ffff:192.0.2.1`), as std's `Display` prints it.
pub(crate) fn v6_compressed(addr: Ipv6Addr) -> Text {
    let mut t = Text::new();
    if let [0, 0, 0, 0, 0, 0xffff, ..] = addr.segments() {
        t.buf[..7].copy_from_slice(b"::ffff:");
        t.len = 7;
        let [.., a, b, c, d] = addr.octets();
        t.push_v4(Ipv4Addr::new(a, b, c, d));
        return t;
    }
    let groups = addr.segments();
    // The longest run of zero groups: (start, length).
    let mut best = (0, 0);
    let mut run = (0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run.1 == 0 {
                run.0 = i;
            }
            run.1 += 1;
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run.1 = 0;
        }
    }
    if best.1 > 1 {
        t.push_groups(&groups[..best.0]);
        t.push(b':');
        t.push(b':');
        t.push_groups(&groups[best.0 + best.1..]);
    } else {
        t.push_groups(&groups);
    }
    t
}

/// The expanded form of an IPv6 address: eight groups of four lower-case
/// hexadecimal digits, as `sipcalc` and `ipv6calc` print it.
pub(crate) fn v6_expanded(addr: Ipv6Addr) -> Text {
    // Fixed layout: eight groups of four digits at offsets 0, 5, 10, …, with
    // ':' between them. Constant indices let the compiler drop every bounds
    // check, which matters when `v6 split` prints millions of these.
    let mut buf = [b':'; MAX_LEN];
    let bits = u128::from(addr);
    for group in 0..8 {
        let value = (bits >> (112 - 16 * group)) as u16;
        for digit in 0..4 {
            buf[group * 5 + digit] = HEX[usize::from((value >> (12 - 4 * digit)) & 0xf)];
        }
    }
    Text { buf, len: MAX_LEN }
}

/// The compressed form of an address of either family.
pub(crate) fn compressed(addr: IpAddr) -> Text {
    match addr {
        IpAddr::V4(a) => v4(a),
        IpAddr::V6(a) => v6_compressed(a),
    }
}

/// The expanded form of an IPv6 address; an IPv4 address has only one form.
pub(crate) fn expanded(addr: IpAddr) -> Text {
    match addr {
        IpAddr::V4(a) => v4(a),
        IpAddr::V6(a) => v6_expanded(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Addresses with many zero groups, so that the run-choosing rules of
    /// RFC 5952 are exercised more than uniformly random addresses would.
    fn sparse_v6() -> impl Strategy<Value = Ipv6Addr> {
        proptest::array::uniform8(prop_oneof![3 => Just(0u16), 1 => any::<u16>(), 1 => 0u16..16])
            .prop_map(Ipv6Addr::from)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn compressed_matches_std(a in any::<Ipv6Addr>()) {
            let text = v6_compressed(a);
            prop_assert_eq!(text.as_str(), a.to_string());
        }

        #[test]
        fn compressed_matches_std_on_sparse(a in sparse_v6()) {
            let text = v6_compressed(a);
            prop_assert_eq!(text.as_str(), a.to_string());
        }

        #[test]
        fn v4_matches_std(a in any::<Ipv4Addr>()) {
            let text = v4(a);
            prop_assert_eq!(text.as_str(), a.to_string());
        }

        #[test]
        fn expanded_parses_back(a in any::<Ipv6Addr>()) {
            let t = v6_expanded(a);
            prop_assert_eq!(t.as_str().len(), 39);
            prop_assert_eq!(t.as_str().parse::<Ipv6Addr>().unwrap(), a);
        }
    }

    #[test]
    fn known_forms() {
        let cases = [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::192.0.2.1", "::c000:201"),
            ("64:ff9b::c000:221", "64:ff9b::c000:221"),
        ];
        for (input, want) in cases {
            let a: Ipv6Addr = input.parse().unwrap();
            assert_eq!(v6_compressed(a).as_str(), want, "{input}");
        }
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            v6_expanded(a).as_str(),
            "2001:0db8:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(v4(Ipv4Addr::new(10, 0, 255, 9)).as_str(), "10.0.255.9");
    }
}
