//! Address mapping: which IPv4 address stands for an IPv6 address and back.
//!
//! RFC 7915 leaves the mapping to other documents (section 6). Each of them
//! is one implementation of [`Mapping`]:
//!
//! - [`Rfc6052`]: IPv4 addresses embedded in an RFC 6052 prefix.
//! - [`Eamt`]: the Explicit Address Mapping Table of RFC 7757.
//! - [`EamtThenPrefix`]: the EAMT first, then the RFC 6052 prefix, with
//!   RFC 7757 section 4.2 hairpinning; what a SIIT translator usually runs.
//! - [`DynamicMap`]: a table that the daemon fills at run time (the dynamic
//!   pool of Tayga) in front of an RFC 6052 prefix.
//! - [`TaygaMap`]: what Tayga runs: static `map` lines, the prefix, and a
//!   [`DynamicPool`](crate::pool::DynamicPool) that leases addresses to
//!   IPv6 hosts as they start flows.
//!
//! Lookups never allocate: the translator calls them for every packet.

use core::net::{Ipv4Addr, Ipv6Addr};

mod combined;
mod dynamic;
mod eamt;
mod rfc6052;
mod tayga;

pub use combined::EamtThenPrefix;
pub use dynamic::{DynamicMap, DynamicMapError};
pub use eamt::{Eam, Eamt, EamtError};
pub use rfc6052::Rfc6052;
pub(crate) use rfc6052::is_global;
pub use tayga::{Prepared, TaygaMap};

/// A stateless address mapping between IPv6 and IPv4 (RFC 7915 section 6).
///
/// `None` means the address has no counterpart; the translator then drops
/// the packet or, for the source of an ICMP error, uses its RFC 6791 pool.
pub trait Mapping {
    /// The IPv4 address that stands for `addr` on the IPv4 side.
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr>;

    /// The IPv6 address that stands for `addr` on the IPv6 side.
    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr>;

    /// Whether a packet from the IPv6 side addressed to `dst6`, which maps to
    /// `dst4`, must come back to the IPv6 side ("hairpinning", RFC 7757
    /// section 4.2). The default is never.
    fn is_hairpin(&self, dst6: Ipv6Addr, dst4: Ipv4Addr) -> bool {
        let _ = (dst6, dst4);
        false
    }

    /// The IPv6 address of `addr` for the far end of a hairpinned packet:
    /// RFC 7757 section 4.2 translates it with the RFC 6052 prefix only.
    /// The default is [`Mapping::v4_to_v6`].
    fn v4_to_v6_hairpin(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.v4_to_v6(addr)
    }
}

/// Forwards every method to the mapping behind a pointer, so that a
/// translator can share one (`&M`, `Arc<M>`) or choose it at run time
/// (`Box<dyn Mapping + Send + Sync>`).
macro_rules! forward {
    ($($ptr:ty),*) => {$(
        impl<T: Mapping + ?Sized> Mapping for $ptr {
            fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
                (**self).v6_to_v4(addr)
            }
            fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
                (**self).v4_to_v6(addr)
            }
            fn is_hairpin(&self, dst6: Ipv6Addr, dst4: Ipv4Addr) -> bool {
                (**self).is_hairpin(dst6, dst4)
            }
            fn v4_to_v6_hairpin(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
                (**self).v4_to_v6_hairpin(addr)
            }
        }
    )*};
}

forward!(&T, Box<T>, std::sync::Arc<T>);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<M: Mapping>(m: M, v4: Ipv4Addr) -> Option<Ipv4Addr> {
        let v6 = m.v4_to_v6(v4)?;
        assert!(!m.is_hairpin(v6, v4));
        assert_eq!(m.v4_to_v6_hairpin(v4), Some(v6));
        m.v6_to_v4(v6)
    }

    #[test]
    fn pointers_forward_to_the_mapping() {
        let prefix = Rfc6052::new("2001:db8:64::/96".parse().unwrap());
        let v4 = Ipv4Addr::new(192, 0, 2, 1);
        let shared: &Rfc6052 = &prefix;
        assert_eq!(round_trip(shared, v4), Some(v4));
        let boxed: Box<dyn Mapping + Send + Sync> = Box::new(prefix);
        assert_eq!(round_trip(boxed, v4), Some(v4));
        assert_eq!(round_trip(std::sync::Arc::new(prefix), v4), Some(v4));
    }
}
