//! Random addresses inside a prefix.
//!
//! The random number generator is passed in, so that callers choose how
//! unpredictable the result must be (a cryptographic generator for addresses
//! that should not be guessed, as RFC 8981 temporary addresses, or a seeded
//! one for reproducible tests).

use std::collections::HashSet;

use core::net::IpAddr;

use ipnet::IpNet;
use rand_core::Rng;

use crate::Error;
use crate::prefix::{Family, addr_bits, host_mask};

/// An address drawn uniformly from all the addresses of `prefix` (host bits
/// of `prefix` ignored). For a /128 or /32 that is the address itself.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(7);
/// let prefix = "2001:db8::/64".parse().unwrap();
/// let a = v6core::random::random_addr(prefix, &mut rng);
/// assert!(prefix.contains(&a));
/// ```
pub fn random_addr<R: Rng + ?Sized>(prefix: IpNet, rng: &mut R) -> IpAddr {
    let family = Family::of_net(prefix);
    let host = u32::from(prefix.max_prefix_len() - prefix.prefix_len());
    family.addr(addr_bits(prefix.network()) | random_bits(rng, host))
}

/// `n` distinct addresses drawn uniformly from `prefix` (host bits ignored),
/// in random order.
///
/// Takes time and memory in proportion to `n`, however close `n` is to the
/// size of the prefix: all 256 addresses of a /24 cost no more than 256 of
/// a /64. Fails with [`Error::NotEnoughAddresses`] when the prefix holds
/// fewer than `n` addresses.
pub fn random_addrs<R: Rng + ?Sized>(
    prefix: IpNet,
    n: usize,
    rng: &mut R,
) -> Result<Vec<IpAddr>, Error> {
    let family = Family::of_net(prefix);
    let base = addr_bits(prefix.network());
    // The highest offset inside the prefix: the size minus one.
    let top = host_mask(u32::from(prefix.max_prefix_len() - prefix.prefix_len()));
    let requested = n as u128;
    if n == 0 {
        return Ok(Vec::new());
    }
    if requested - 1 > top {
        return Err(Error::NotEnoughAddresses { prefix, requested });
    }

    // Robert Floyd's sampling algorithm (Bentley and Floyd, "A sample of
    // brilliance", CACM 30(9), 1987): one draw per address, whatever the
    // size of the prefix, and every set of `n` offsets equally likely.
    let mut chosen = HashSet::with_capacity(n);
    let mut offsets = Vec::with_capacity(n);
    for j in (top - (requested - 1))..=top {
        let t = random_at_most(rng, j);
        let pick = if chosen.insert(t) { t } else { j };
        chosen.insert(pick);
        offsets.push(pick);
    }
    // Floyd's order is not random; a Fisher-Yates shuffle makes it so.
    for i in (1..offsets.len()).rev() {
        // `i` is an index, so the draw fits a `usize`.
        let k = random_at_most(rng, i as u128) as usize;
        offsets.swap(i, k);
    }
    Ok(offsets.into_iter().map(|o| family.addr(base | o)).collect())
}

/// A uniformly random number of `bits` bits (0 to 128).
fn random_bits<R: Rng + ?Sized>(rng: &mut R, bits: u32) -> u128 {
    let r = match bits {
        0 => return 0,
        1..=32 => u128::from(rng.next_u32()),
        33..=64 => u128::from(rng.next_u64()),
        _ => (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()),
    };
    r & host_mask(bits)
}

/// A uniformly random number from 0 to `max` inclusive, by rejection: draw
/// as many bits as `max` has until the number is at most `max` (fewer than
/// two draws on average).
fn random_at_most<R: Rng + ?Sized>(rng: &mut R, max: u128) -> u128 {
    let bits = 128 - max.leading_zeros();
    loop {
        let r = random_bits(rng, bits);
        if r <= max {
            return r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::parse_prefix;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(0x76_6b_69_74)
    }

    fn p(s: &str) -> IpNet {
        parse_prefix(s).unwrap()
    }

    #[test]
    fn addresses_stay_inside_the_prefix() {
        let mut rng = rng();
        for prefix in [
            "2001:db8::/64",
            "2001:db8::5/127",
            "192.0.2.77/26",
            "::/0",
            "0.0.0.0/0",
            "10.0.0.0/31",
        ] {
            let prefix = p(prefix);
            for _ in 0..200 {
                assert!(prefix.contains(&random_addr(prefix, &mut rng)), "{prefix}");
            }
        }
        assert_eq!(
            random_addr(p("2001:db8::1/128"), &mut rng),
            p("2001:db8::1/128").addr()
        );
        assert_eq!(
            random_addr(p("192.0.2.1/32"), &mut rng),
            p("192.0.2.1/32").addr()
        );
    }

    #[test]
    fn addresses_are_spread_evenly() {
        // 8000 draws over 8 addresses: each should come up about 1000 times.
        let mut rng = rng();
        let prefix = p("2001:db8::/125");
        let mut seen = [0u32; 8];
        for _ in 0..8000 {
            let a = addr_bits(random_addr(prefix, &mut rng));
            seen[(a & 7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
    }

    #[test]
    fn the_whole_prefix_when_asked_for_all() {
        let mut rng = rng();
        let prefix = p("192.0.2.0/24");
        let mut got = random_addrs(prefix, 256, &mut rng).unwrap();
        assert_eq!(got.len(), 256);
        let first = got[..8].to_vec();
        got.sort();
        let all: Vec<IpAddr> = prefix
            .hosts()
            .chain([prefix.network(), prefix.broadcast()])
            .collect();
        let mut all = all;
        all.sort();
        assert_eq!(got, all);
        // In random order, not address order.
        let mut sorted = first.clone();
        sorted.sort();
        assert_ne!(first, sorted);
    }

    #[test]
    fn distinct_addresses() {
        let mut rng = rng();
        for (prefix, n) in [
            ("2001:db8::/64", 1000),
            ("2001:db8::/118", 1000),
            ("::/0", 50),
            ("10.0.0.0/8", 300),
            ("0.0.0.0/0", 10),
        ] {
            let prefix = p(prefix);
            let got = random_addrs(prefix, n, &mut rng).unwrap();
            assert_eq!(got.len(), n);
            assert!(got.iter().all(|a| prefix.contains(a)));
            let set: HashSet<_> = got.iter().collect();
            assert_eq!(set.len(), n, "{prefix}");
        }
    }

    #[test]
    fn small_and_empty_requests() {
        let mut rng = rng();
        assert!(
            random_addrs(p("2001:db8::/64"), 0, &mut rng)
                .unwrap()
                .is_empty()
        );
        assert!(
            random_addrs(p("2001:db8::1/128"), 0, &mut rng)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            random_addrs(p("2001:db8::1/128"), 1, &mut rng).unwrap(),
            [p("2001:db8::1/128").addr()]
        );
    }

    #[test]
    fn too_many() {
        let mut rng = rng();
        let err = random_addrs(p("192.0.2.0/24"), 257, &mut rng).unwrap_err();
        assert_eq!(
            err,
            Error::NotEnoughAddresses {
                prefix: p("192.0.2.0/24"),
                requested: 257
            }
        );
        assert!(err.to_string().contains("192.0.2.0/24"));
        assert!(random_addrs(p("2001:db8::/127"), 3, &mut rng).is_err());
    }

    #[test]
    fn same_seed_same_addresses() {
        let prefix = p("2001:db8::/48");
        let a = random_addrs(prefix, 20, &mut rng()).unwrap();
        let b = random_addrs(prefix, 20, &mut rng()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn draws_at_most() {
        let mut rng = rng();
        assert_eq!(random_at_most(&mut rng, 0), 0);
        for max in [1, 2, 3, 255, u128::MAX] {
            for _ in 0..100 {
                assert!(random_at_most(&mut rng, max) <= max);
            }
        }
    }
}
