//! A mapping table that the daemon fills at run time.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::collections::HashMap;

use super::{Mapping, Rfc6052};

/// Why an entry could not be added to a [`DynamicMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DynamicMapError {
    /// The IPv4 address already stands for another IPv6 address.
    #[error("{v4} is already mapped to {existing}")]
    V4Taken {
        /// The IPv4 address.
        v4: Ipv4Addr,
        /// The IPv6 address it is mapped to.
        existing: Ipv6Addr,
    },
    /// The IPv6 address already has another IPv4 address.
    #[error("{v6} is already mapped to {existing}")]
    V6Taken {
        /// The IPv6 address.
        v6: Ipv6Addr,
        /// The IPv4 address it is mapped to.
        existing: Ipv4Addr,
    },
}

/// One-to-one mappings of IPv6 hosts to IPv4 addresses that the caller
/// adds and removes while the translator runs (Tayga's `dynamic-pool` and
/// `map` lines), in front of an optional RFC 6052 prefix for the IPv4 hosts.
///
/// The caller decides which IPv4 address an IPv6 host gets and when it
/// expires; this type only answers lookups, which never allocate.
#[derive(Debug, Clone, Default)]
pub struct DynamicMap {
    v6_to_v4: HashMap<Ipv6Addr, Ipv4Addr>,
    v4_to_v6: HashMap<Ipv4Addr, Ipv6Addr>,
    prefix: Option<Rfc6052>,
}

impl DynamicMap {
    /// An empty table in front of `prefix`.
    pub fn new(prefix: Option<Rfc6052>) -> Self {
        DynamicMap {
            v6_to_v4: HashMap::new(),
            v4_to_v6: HashMap::new(),
            prefix,
        }
    }

    /// Maps `v6` to `v4`. Re-adding an existing pair is not an error.
    pub fn insert(&mut self, v6: Ipv6Addr, v4: Ipv4Addr) -> Result<(), DynamicMapError> {
        if let Some(&existing) = self.v4_to_v6.get(&v4) {
            if existing != v6 {
                return Err(DynamicMapError::V4Taken { v4, existing });
            }
        }
        if let Some(&existing) = self.v6_to_v4.get(&v6) {
            if existing != v4 {
                return Err(DynamicMapError::V6Taken { v6, existing });
            }
        }
        self.v6_to_v4.insert(v6, v4);
        self.v4_to_v6.insert(v4, v6);
        Ok(())
    }

    /// Removes the mapping of `v6`, returning its IPv4 address.
    pub fn remove_v6(&mut self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let v4 = self.v6_to_v4.remove(&v6)?;
        self.v4_to_v6.remove(&v4);
        Some(v4)
    }

    /// Removes the mapping of `v4`, returning its IPv6 address.
    pub fn remove_v4(&mut self, v4: Ipv4Addr) -> Option<Ipv6Addr> {
        let v6 = self.v4_to_v6.remove(&v4)?;
        self.v6_to_v4.remove(&v6);
        Some(v6)
    }

    /// The number of mappings in the table.
    pub fn len(&self) -> usize {
        self.v6_to_v4.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.v6_to_v4.is_empty()
    }
}

impl Mapping for DynamicMap {
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        match self.v6_to_v4.get(&addr) {
            Some(&v4) => Some(v4),
            None => self.prefix.as_ref()?.v6_to_v4(addr),
        }
    }

    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        match self.v4_to_v6.get(&addr) {
            Some(&v6) => Some(v6),
            None => self.prefix.as_ref()?.v4_to_v6(addr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use v6core::Pref64;

    #[test]
    fn table_then_prefix() {
        let mut m = DynamicMap::new(Some(Rfc6052::new(Pref64::WELL_KNOWN)));
        let host: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let v4 = Ipv4Addr::new(192, 168, 255, 1);
        assert_eq!(m.v6_to_v4(host), None);
        m.insert(host, v4).unwrap();
        assert_eq!(m.v6_to_v4(host), Some(v4));
        assert_eq!(m.v4_to_v6(v4), Some(host));
        let remote = Ipv4Addr::new(8, 8, 4, 4);
        assert_eq!(
            m.v4_to_v6(remote),
            Some("64:ff9b::808:404".parse().unwrap())
        );
        assert_eq!(
            m.insert("2001:db8::6".parse().unwrap(), v4),
            Err(DynamicMapError::V4Taken { v4, existing: host })
        );
        assert_eq!(m.remove_v4(v4), Some(host));
        assert!(m.is_empty());
        assert_eq!(m.v6_to_v4(host), None);
    }
}
