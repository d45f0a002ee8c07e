//! Property tests of the wire formats: `parse(emit(repr)) == repr` for any
//! message with any options, `emit` writes every byte, and no input makes
//! the parser panic.

use core::net::Ipv6Addr;

use ipnet::Ipv6Net;
use proptest::collection::vec;
use proptest::prelude::*;
use v6core::Pref64;
use v6ra::wire::{
    NdiscOptionRepr, NeighborFlags, Packet, Pref64Info, Preference, PrefixInfo, Repr, RouteInfo,
    RouterAdvert, RouterFlags,
};

fn addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn preference() -> impl Strategy<Value = Preference> {
    (0u8..4).prop_map(Preference::from_bits)
}

fn domain() -> impl Strategy<Value = String> {
    vec("[a-z0-9][a-z0-9-]{0,20}", 1..5).prop_map(|labels| labels.join("."))
}

/// Link-layer addresses whose option needs no padding beyond them: the
/// padding is part of the parsed bytes.
fn link_addr() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![vec(any::<u8>(), 6), vec(any::<u8>(), 14)]
}

fn pref64() -> impl Strategy<Value = Pref64> {
    (
        any::<u128>(),
        prop::sample::select(vec![32u8, 40, 48, 56, 64, 96]),
    )
        .prop_map(|(bits, len)| {
            // Clear the RFC 6052 u-octet (bits 64..71), which a Pref64 refuses.
            let bits = bits & !(0xffu128 << 56);
            Pref64::new(Ipv6Net::new(Ipv6Addr::from(bits), len).unwrap().trunc()).unwrap()
        })
}

fn option() -> impl Strategy<Value = NdiscOptionRepr> {
    prop_oneof![
        link_addr().prop_map(NdiscOptionRepr::SourceLinkLayerAddr),
        link_addr().prop_map(NdiscOptionRepr::TargetLinkLayerAddr),
        (
            addr(),
            0u8..=128,
            any::<[bool; 3]>(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(
                |(a, len, f, valid, preferred)| NdiscOptionRepr::PrefixInformation(PrefixInfo {
                    prefix: Ipv6Net::new(a, len).unwrap(),
                    on_link: f[0],
                    autonomous: f[1],
                    router_address: f[2],
                    valid_lifetime: valid,
                    preferred_lifetime: preferred,
                })
            ),
        any::<u32>().prop_map(NdiscOptionRepr::Mtu),
        (addr(), 0u8..=128, preference(), any::<u32>()).prop_map(
            |(a, len, preference, lifetime)| {
                NdiscOptionRepr::RouteInformation(RouteInfo {
                    prefix: Ipv6Net::new(a, len).unwrap(),
                    preference,
                    lifetime,
                })
            }
        ),
        (any::<u32>(), vec(addr(), 1..8))
            .prop_map(|(lifetime, servers)| NdiscOptionRepr::Rdnss { lifetime, servers }),
        (any::<u32>(), vec(domain(), 0..5))
            .prop_map(|(lifetime, domains)| NdiscOptionRepr::Dnssl { lifetime, domains }),
        "[ -~]{0,80}".prop_map(NdiscOptionRepr::CaptivePortal),
        (0u16..8192, pref64()).prop_map(|(units, prefix)| NdiscOptionRepr::Pref64(Pref64Info {
            lifetime: units * 8,
            prefix,
        })),
        // Types nobody assigned here, with any bytes.
        (
            prop::sample::select(vec![6u8, 7, 8, 9, 10, 11, 14, 26, 40, 99, 200, 253]),
            (0usize..10).prop_flat_map(|units| vec(any::<u8>(), units * 8 + 6))
        )
            .prop_map(|(kind, data)| NdiscOptionRepr::Unknown { kind, data }),
    ]
}

fn repr() -> impl Strategy<Value = Repr> {
    let options = || vec(option(), 0..12);
    prop_oneof![
        options().prop_map(|options| Repr::RouterSolicit { options }),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            options()
        )
            .prop_map(
                |(hop_limit, flags, router_lifetime, reachable_time, retrans_time, options)| {
                    Repr::RouterAdvert(RouterAdvert {
                        hop_limit,
                        flags: RouterFlags::from_byte(flags),
                        router_lifetime,
                        reachable_time,
                        retrans_time,
                        options,
                    })
                }
            ),
        (addr(), options()).prop_map(|(target, options)| Repr::NeighborSolicit { target, options }),
        (addr(), any::<[bool; 3]>(), options()).prop_map(|(target, f, options)| {
            Repr::NeighborAdvert {
                flags: NeighborFlags {
                    router: f[0],
                    solicited: f[1],
                    override_: f[2],
                },
                target,
                options,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_emit_is_identity(repr in repr(), src in addr(), dst in addr()) {
        let bytes = repr.to_bytes(&src, &dst).unwrap();
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        prop_assert!(packet.verify_checksum(&src, &dst));
        prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
    }

    #[test]
    fn emit_writes_every_byte(repr in repr()) {
        let len = repr.buffer_len();
        let mut ones = Packet::new_unchecked(vec![0xffu8; len]);
        let mut zeros = Packet::new_unchecked(vec![0u8; len]);
        repr.emit(&mut ones).unwrap();
        repr.emit(&mut zeros).unwrap();
        prop_assert_eq!(ones.into_inner(), zeros.into_inner());
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly(bytes in vec(any::<u8>(), 0..600)) {
        if let Ok(packet) = Packet::new_checked(&bytes[..])
            && let Ok(repr) = Repr::parse(&packet)
        {
            // What parsed re-emits to something that parses the same.
            let again = repr.to_bytes(&Ipv6Addr::UNSPECIFIED, &Ipv6Addr::UNSPECIFIED).unwrap();
            prop_assert_eq!(Repr::parse(&Packet::new_checked(&again[..]).unwrap()).unwrap(), repr);
        }
    }

    #[test]
    fn advertisements_with_valid_options_survive_mutation(
        repr in repr(), at in any::<prop::sample::Index>(), byte in any::<u8>()
    ) {
        let mut bytes = repr.to_bytes(&Ipv6Addr::UNSPECIFIED, &Ipv6Addr::UNSPECIFIED).unwrap();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(packet) = Packet::new_checked(&bytes[..]) {
            let _ = Repr::parse(&packet);
        }
    }
}
