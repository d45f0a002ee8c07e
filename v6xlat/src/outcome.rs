//! What the translator made of a packet.

/// The result of [`Translator::translate`](crate::Translator::translate).
///
/// The packets are in the caller's output buffer; nothing is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// `out[..len]` holds `count` translated packets, back to back, to be
    /// sent in this order. `count` is 1 unless the translator had to
    /// fragment (RFC 7915 section 4.1 and 5.1); [`Outcome::packets`] splits
    /// them. A hairpinned packet (RFC 7757 section 4.2) comes back in the
    /// family it arrived in.
    Translated {
        /// Bytes written.
        len: usize,
        /// Packets written.
        count: usize,
    },
    /// `out[..len]` holds an ICMP error that the translator generated
    /// itself, addressed to the source of the input (RFC 7915 sections 4.4
    /// and 5.4). The input was not translated, for `reason`.
    Icmp {
        /// Bytes written.
        len: usize,
        /// Why the input was refused.
        reason: DropReason,
    },
    /// The input was dropped without an answer.
    Dropped(DropReason),
}

impl Outcome {
    /// The packets this outcome wrote into `out`: the translated packets,
    /// the ICMP error, or nothing.
    pub fn packets<'a>(&self, out: &'a [u8]) -> Packets<'a> {
        let len = match *self {
            Outcome::Translated { len, .. } | Outcome::Icmp { len, .. } => len,
            Outcome::Dropped(_) => 0,
        };
        Packets {
            rest: &out[..len.min(out.len())],
        }
    }

    /// Why the input was not translated, if it was not.
    pub fn reason(&self) -> Option<DropReason> {
        match *self {
            Outcome::Translated { .. } => None,
            Outcome::Icmp { reason, .. } | Outcome::Dropped(reason) => Some(reason),
        }
    }
}

/// An iterator over IP packets written back to back, each as long as its
/// own header says (IPv4 Total Length, 40 + IPv6 Payload Length).
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Packets<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.rest;
        let len = match b.first()? >> 4 {
            4 if b.len() >= 4 => usize::from(u16::from_be_bytes([b[2], b[3]])),
            6 if b.len() >= 6 => 40 + usize::from(u16::from_be_bytes([b[4], b[5]])),
            _ => b.len(),
        };
        let (pkt, rest) = b.split_at(len.clamp(1, b.len()));
        self.rest = rest;
        Some(pkt)
    }
}

macro_rules! drop_reasons {
    ($($(#[doc = $doc:literal])* $name:ident => $s:literal,)*) => {
        /// Why a packet was not translated: small and `Copy`, so that a
        /// daemon can keep one counter per reason (see [`DropReason::ALL`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum DropReason {
            $($(#[doc = $doc])* $name,)*
        }

        impl DropReason {
            /// Every reason, in declaration order, for counter tables.
            pub const ALL: &'static [DropReason] = &[$(DropReason::$name,)*];

            /// A short stable name, suitable as a metric label.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(DropReason::$name => $s,)*
                }
            }

            /// The position of `self` in [`DropReason::ALL`], to index an
            /// array of counters.
            pub const fn index(self) -> usize {
                self as usize
            }
        }
    };
}

drop_reasons! {
    /// The first nibble is neither 4 nor 6.
    UnknownVersion => "unknown_version",
    /// The packet is shorter than its headers or its length fields say.
    Truncated => "truncated",
    /// A header field is invalid (IHL, Total Length, IPv6 jumbogram).
    MalformedHeader => "malformed_header",
    /// The IPv4 header checksum does not verify.
    Ipv4Checksum => "ipv4_checksum",
    /// An IPv4 source that no router forwards from: 0/8, 127/8, multicast
    /// or 240/4 (RFC 7915 section 4.1, RFC 1812 section 5.3.7).
    IllegalSource => "illegal_source",
    /// An IGMP message, which is single-hop (RFC 7915 section 4.2).
    Igmp => "igmp",
    /// The TTL or Hop Limit ran out (RFC 7915 sections 4.4 and 5.4).
    HopLimitExceeded => "hop_limit_exceeded",
    /// The destination address has no counterpart in the mapping.
    DestinationUnmapped => "destination_unmapped",
    /// The source address has no counterpart and the packet is not an ICMP
    /// error, for which RFC 6791 would provide one.
    SourceUnmapped => "source_unmapped",
    /// The translated packet would exceed the next-hop MTU and may not be
    /// fragmented (RFC 7915 sections 4.1 and 5.1).
    PacketTooBig => "packet_too_big",
    /// An IPv4 Source Route option that is not used up (RFC 7915 section 4.1).
    SourceRoute => "source_route",
    /// A Routing header with Segments Left ≠ 0 (RFC 7915 section 5.1).
    SegmentsLeft => "segments_left",
    /// An extension header after the Fragment header (RFC 7915 section 5.1).
    ExtensionAfterFragment => "extension_after_fragment",
    /// An IPv4 UDP datagram with a zero checksum that the configuration
    /// does not allow to amend, or that is fragmented (RFC 7915 section 4.5).
    UdpZeroChecksum => "udp_zero_checksum",
    /// A fragmented ICMP message (RFC 7915 section 1.2).
    IcmpFragmented => "icmp_fragmented",
    /// An ICMP type or code that RFC 7915 sections 4.2 and 5.2 do not translate.
    IcmpUntranslatable => "icmp_untranslatable",
    /// The packet inside an ICMP error is malformed, unmappable, or is
    /// itself an ICMP error (RFC 7915 sections 4.3 and 5.3).
    IcmpInnerPacket => "icmp_inner_packet",
    /// The output buffer is too small for the result.
    OutputTooSmall => "output_too_small",
    /// The source needed an address from the dynamic pool and none was
    /// free; see [`Translator::refuse`](crate::Translator::refuse).
    PoolExhausted => "pool_exhausted",
    /// Stateful NAT64: an IPv4 packet to a pool4 transport address that no
    /// BIB entry binds (RFC 6146 sections 3.5.1 to 3.5.3).
    NoBinding => "no_binding",
    /// Stateful NAT64: no session for a packet that cannot open one: an ICMP
    /// error or a TCP segment other than a SYN (RFC 6146 section 3.5), a
    /// hairpinned fragment whose first fragment was not seen (section 3.8).
    NoSession => "no_session",
    /// Stateful NAT64: address-dependent filtering refused an IPv4 packet
    /// from an address the IPv6 host has not sent to (RFC 6146 section
    /// 3.5.1, RFC 4787 section 5).
    Filtered => "filtered",
    /// Stateful NAT64: the session table is at its configured maximum.
    SessionLimit => "session_limit",
    /// Stateful NAT64: the IPv6 host has its configured maximum of sessions.
    HostSessionLimit => "host_session_limit",
    /// Stateful NAT64: pool4 has no free transport address for a new BIB entry.
    PortsExhausted => "ports_exhausted",
    /// Stateful NAT64: an IPv4 SYN without a BIB entry, kept for
    /// TCP_INCOMING_SYN in case the IPv6 side opens the same connection
    /// (simultaneous open, RFC 6146 section 3.5.2.2).
    SynStored => "tcp_syn_stored",
    /// Stateful NAT64: a protocol other than TCP, UDP and ICMP, for which
    /// RFC 6146 keeps no state.
    ProtocolUnsupported => "protocol_unsupported",
    /// Stateful NAT64: a fragment that arrived before its first fragment,
    /// kept until the first fragment says where it goes (RFC 6146 section
    /// 3.4); [`Nat64::poll_icmp`](crate::nat64::Nat64::poll_icmp) gives it
    /// translated once the first fragment is through.
    FragmentQueued => "fragment_queued",
    /// Stateful NAT64: a fragment that arrived before its first fragment
    /// while the fragments waiting already filled the configured limit
    /// ([`Nat64Config::max_queued_fragments`](crate::nat64::Nat64Config::max_queued_fragments)).
    FragmentQueueFull => "fragment_queue_full",
}

impl core::fmt::Display for DropReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_indexes_match() {
        for (i, r) in DropReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(
                DropReason::ALL
                    .iter()
                    .filter(|o| o.as_str() == r.as_str())
                    .count(),
                1
            );
        }
    }

    #[test]
    fn packets_splits_by_header_length() {
        let mut buf = [0u8; 64];
        buf[0] = 0x45;
        buf[3] = 20;
        buf[20] = 0x60;
        buf[25] = 4;
        let o = Outcome::Translated { len: 64, count: 2 };
        let lens: Vec<usize> = o.packets(&buf[..64]).map(<[u8]>::len).collect();
        assert_eq!(lens, [20, 44]);
        assert_eq!(
            Outcome::Dropped(DropReason::Truncated)
                .packets(&buf)
                .count(),
            0
        );
    }
}
