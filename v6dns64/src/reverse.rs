//! Reverse mapping of synthesized addresses (RFC 6147 section 5.3.1).
//!
//! A PTR query for an address inside a served prefix is answered with a
//! CNAME from the `ip6.arpa` name to the `in-addr.arpa` name of the
//! embedded IPv4 address, followed by the PTR answer for that name.

use hickory_proto::rr::Name;
use ipnet::IpNet;
use v6core::Pref64;
use v6core::reverse::{parse_ptr_name, ptr_name};

/// The `in-addr.arpa` name that the `ip6.arpa` name `qname` maps to when
/// `qname` names a single address (all 32 nibbles) inside `pref64`;
/// `None` for any other name, which is then forwarded unchanged.
pub fn ptr_target(qname: &Name, pref64: Pref64) -> Option<Name> {
    // Cheap test first: 32 nibbles + "ip6" + "arpa".
    if qname.num_labels() != 34 {
        return None;
    }
    let IpNet::V6(net) = parse_ptr_name(&qname.to_ascii()).ok()? else {
        return None;
    };
    if net.prefix_len() != 128 || !pref64.contains(net.addr()) {
        return None;
    }
    let v4 = pref64.extract(net.addr()).ok()?;
    Name::from_ascii(ptr_name(v4.into())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_names_inside_the_prefix_map() {
        let name = |s: &str| Name::from_ascii(s).unwrap();
        let full = name(&ptr_name("64:ff9b::c000:221".parse().unwrap()));
        assert_eq!(
            ptr_target(&full, Pref64::WELL_KNOWN),
            Some(name("33.2.0.192.in-addr.arpa."))
        );
        let other = name(&ptr_name("2001:db8::c000:221".parse().unwrap()));
        assert_eq!(ptr_target(&other, Pref64::WELL_KNOWN), None);
        assert_eq!(
            ptr_target(&name("b.9.f.f.4.6.0.0.ip6.arpa."), Pref64::WELL_KNOWN),
            None
        );
        let p: Pref64 = "2001:db8:100::/40".parse().unwrap();
        let inside = name(&ptr_name("2001:db8:1c0:2:21::".parse().unwrap()));
        assert_eq!(
            ptr_target(&inside, p),
            Some(name("33.2.0.192.in-addr.arpa."))
        );
    }
}
