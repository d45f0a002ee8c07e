//! Checking the advertisements of other routers on the link against our
//! own (RFC 4861 section 6.2.7): routers that disagree confuse hosts, so
//! the disagreement is worth a log line, though nothing else is done.

use core::fmt;

use ipnet::Ipv6Net;

use crate::wire::{NdiscOptionRepr, RouterAdvert};

/// One way another router's advertisement disagrees with ours.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Inconsistency {
    /// Cur Hop Limit (both non-zero).
    HopLimit {
        /// Ours.
        ours: u8,
        /// Theirs.
        theirs: u8,
    },
    /// The M flag.
    Managed,
    /// The O flag.
    OtherConfig,
    /// Reachable Time (both non-zero).
    ReachableTime {
        /// Ours.
        ours: u32,
        /// Theirs.
        theirs: u32,
    },
    /// Retrans Timer (both non-zero).
    RetransTimer {
        /// Ours.
        ours: u32,
        /// Theirs.
        theirs: u32,
    },
    /// The MTU option (both present).
    Mtu {
        /// Ours.
        ours: u32,
        /// Theirs.
        theirs: u32,
    },
    /// The valid or preferred lifetime of a prefix both advertise.
    PrefixLifetimes {
        /// The prefix.
        prefix: Ipv6Net,
        /// Ours: valid, preferred.
        ours: (u32, u32),
        /// Theirs: valid, preferred.
        theirs: (u32, u32),
    },
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inconsistency::HopLimit { ours, theirs } => {
                write!(f, "AdvCurHopLimit {theirs}, ours {ours}")
            }
            Inconsistency::Managed => f.write_str("AdvManagedFlag differs"),
            Inconsistency::OtherConfig => f.write_str("AdvOtherConfigFlag differs"),
            Inconsistency::ReachableTime { ours, theirs } => {
                write!(f, "AdvReachableTime {theirs}, ours {ours}")
            }
            Inconsistency::RetransTimer { ours, theirs } => {
                write!(f, "AdvRetransTimer {theirs}, ours {ours}")
            }
            Inconsistency::Mtu { ours, theirs } => write!(f, "AdvLinkMTU {theirs}, ours {ours}"),
            Inconsistency::PrefixLifetimes {
                prefix,
                ours,
                theirs,
            } => write!(
                f,
                "prefix {prefix} lifetimes {}/{}, ours {}/{}",
                theirs.0, theirs.1, ours.0, ours.1
            ),
        }
    }
}

fn mtu(ra: &RouterAdvert) -> Option<u32> {
    ra.options.iter().find_map(|o| match o {
        NdiscOptionRepr::Mtu(m) => Some(*m),
        _ => None,
    })
}

/// How `theirs`, received from another router, disagrees with `ours`
/// (RFC 4861 section 6.2.7). Values one side leaves unspecified (zero, or
/// an option it does not send) do not count.
pub fn inconsistencies(ours: &RouterAdvert, theirs: &RouterAdvert) -> Vec<Inconsistency> {
    let mut out = Vec::new();
    if ours.hop_limit != 0 && theirs.hop_limit != 0 && ours.hop_limit != theirs.hop_limit {
        out.push(Inconsistency::HopLimit {
            ours: ours.hop_limit,
            theirs: theirs.hop_limit,
        });
    }
    if ours.flags.managed != theirs.flags.managed {
        out.push(Inconsistency::Managed);
    }
    if ours.flags.other != theirs.flags.other {
        out.push(Inconsistency::OtherConfig);
    }
    let both = |a: u32, b: u32| a != 0 && b != 0 && a != b;
    if both(ours.reachable_time, theirs.reachable_time) {
        out.push(Inconsistency::ReachableTime {
            ours: ours.reachable_time,
            theirs: theirs.reachable_time,
        });
    }
    if both(ours.retrans_time, theirs.retrans_time) {
        out.push(Inconsistency::RetransTimer {
            ours: ours.retrans_time,
            theirs: theirs.retrans_time,
        });
    }
    if let (Some(a), Some(b)) = (mtu(ours), mtu(theirs))
        && a != b
    {
        out.push(Inconsistency::Mtu { ours: a, theirs: b });
    }
    for o in &ours.options {
        let NdiscOptionRepr::PrefixInformation(p) = o else {
            continue;
        };
        for t in &theirs.options {
            if let NdiscOptionRepr::PrefixInformation(q) = t
                && q.prefix.trunc() == p.prefix.trunc()
                && (q.valid_lifetime, q.preferred_lifetime)
                    != (p.valid_lifetime, p.preferred_lifetime)
            {
                out.push(Inconsistency::PrefixLifetimes {
                    prefix: p.prefix.trunc(),
                    ours: (p.valid_lifetime, p.preferred_lifetime),
                    theirs: (q.valid_lifetime, q.preferred_lifetime),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::PrefixInfo;

    fn ra(hop_limit: u8, managed: bool, valid: u32, mtu: Option<u32>) -> RouterAdvert {
        let mut options = vec![NdiscOptionRepr::PrefixInformation(PrefixInfo {
            prefix: "2001:db8:1::/64".parse().unwrap(),
            on_link: true,
            autonomous: true,
            router_address: false,
            valid_lifetime: valid,
            preferred_lifetime: 3600,
        })];
        options.extend(mtu.map(NdiscOptionRepr::Mtu));
        let mut ra = RouterAdvert {
            hop_limit,
            options,
            ..Default::default()
        };
        ra.flags.managed = managed;
        ra
    }

    #[test]
    fn agreeing_and_unspecified_values_are_consistent() {
        assert!(
            inconsistencies(&ra(64, false, 7200, Some(1500)), &ra(64, false, 7200, None))
                .is_empty()
        );
        assert!(inconsistencies(&ra(64, false, 7200, None), &ra(0, false, 7200, None)).is_empty());
    }

    #[test]
    fn differences_are_named() {
        let found = inconsistencies(
            &ra(64, false, 7200, Some(1500)),
            &ra(32, true, 86400, Some(1400)),
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "AdvCurHopLimit 32, ours 64",
                "AdvManagedFlag differs",
                "AdvLinkMTU 1400, ours 1500",
                "prefix 2001:db8:1::/64 lifetimes 86400/3600, ours 7200/3600",
            ]
        );
    }
}
