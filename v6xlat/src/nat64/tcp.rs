//! The TCP session state machine of RFC 6146 section 3.5.2.2, as a pure
//! function of the state, the direction and the segment's flags.

/// The state of a TCP session (RFC 6146 section 3.5.2.2, Figure 3).
/// A session in `Closed` does not exist; the table never holds one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TcpState {
    /// No session.
    Closed,
    /// An IPv4 SYN opened the session; waiting for the IPv6 SYN.
    V4Init,
    /// An IPv6 SYN opened the session; waiting for the IPv4 SYN.
    V6Init,
    /// Both SYNs were seen.
    Established,
    /// A FIN came from the IPv4 side.
    V4FinRcv,
    /// A FIN came from the IPv6 side.
    V6FinRcv,
    /// FINs came from both sides.
    V4FinV6FinRcv,
    /// A RST was seen, or the established timer ran out: the session is
    /// kept for TCP_TRANS in case the connection goes on.
    Trans,
}

impl TcpState {
    /// A short stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TcpState::Closed => "closed",
            TcpState::V4Init => "v4_init",
            TcpState::V6Init => "v6_init",
            TcpState::Established => "established",
            TcpState::V4FinRcv => "v4_fin_rcv",
            TcpState::V6FinRcv => "v6_fin_rcv",
            TcpState::V4FinV6FinRcv => "v4_fin_v6_fin_rcv",
            TcpState::Trans => "trans",
        }
    }
}

/// Which timer a session runs on; each has one fixed duration, so that the
/// sessions of a timer expire in the order they were last refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Timer {
    /// UDP_DEFAULT (RFC 6146 section 3.5.1).
    Udp = 0,
    /// ICMP_DEFAULT (RFC 6146 section 3.5.3).
    Icmp = 1,
    /// TCP_EST (RFC 6146 section 3.5.2.2).
    TcpEst = 2,
    /// TCP_TRANS.
    TcpTrans = 3,
}

/// The number of [`Timer`]s.
pub(crate) const TIMERS: usize = 4;

/// TCP flags (RFC 9293 section 3.1).
pub(crate) mod flags {
    /// FIN.
    pub(crate) const FIN: u8 = 0x01;
    /// SYN.
    pub(crate) const SYN: u8 = 0x02;
    /// RST.
    pub(crate) const RST: u8 = 0x04;
}

/// What a segment does to a session in `state` (RFC 6146 section
/// 3.5.2.2): the next state, and the timer to restart, if any (`None`
/// leaves the session's lifetime as it was).
pub(crate) fn on_segment(
    state: TcpState,
    from_v6: bool,
    tcp_flags: u8,
) -> (TcpState, Option<Timer>) {
    use TcpState::*;
    let syn = tcp_flags & flags::SYN != 0;
    let fin = tcp_flags & flags::FIN != 0;
    let rst = tcp_flags & flags::RST != 0;
    match state {
        // Only a SYN opens a session; the caller creates it.
        Closed if syn && from_v6 => (V6Init, Some(Timer::TcpTrans)),
        Closed if syn => (V4Init, Some(Timer::TcpTrans)),
        Closed => (Closed, None),
        V4Init if syn && from_v6 => (Established, Some(Timer::TcpEst)),
        V4Init => (V4Init, None),
        V6Init if syn && !from_v6 => (Established, Some(Timer::TcpEst)),
        V6Init if syn => (V6Init, Some(Timer::TcpTrans)),
        V6Init => (V6Init, None),
        Established if rst => (Trans, Some(Timer::TcpTrans)),
        Established if fin && from_v6 => (V6FinRcv, Some(Timer::TcpEst)),
        Established if fin => (V4FinRcv, Some(Timer::TcpEst)),
        Established => (Established, Some(Timer::TcpEst)),
        V4FinRcv if fin && from_v6 => (V4FinV6FinRcv, Some(Timer::TcpTrans)),
        V4FinRcv => (V4FinRcv, Some(Timer::TcpEst)),
        V6FinRcv if fin && !from_v6 => (V4FinV6FinRcv, Some(Timer::TcpTrans)),
        V6FinRcv => (V6FinRcv, Some(Timer::TcpEst)),
        V4FinV6FinRcv => (V4FinV6FinRcv, None),
        Trans if rst => (Trans, None),
        Trans => (Established, Some(Timer::TcpEst)),
    }
}

#[cfg(test)]
mod tests {
    use super::flags::*;
    use super::*;
    use TcpState::*;

    const ACK: u8 = 0x10;

    #[test]
    fn rfc6146_transitions() {
        let cases = [
            (Closed, true, SYN, V6Init, Some(Timer::TcpTrans)),
            (Closed, false, SYN, V4Init, Some(Timer::TcpTrans)),
            (Closed, true, ACK, Closed, None),
            (V6Init, false, SYN | ACK, Established, Some(Timer::TcpEst)),
            (V6Init, true, SYN, V6Init, Some(Timer::TcpTrans)),
            (V6Init, true, ACK, V6Init, None),
            (V4Init, true, SYN, Established, Some(Timer::TcpEst)),
            (V4Init, false, ACK, V4Init, None),
            (Established, true, ACK, Established, Some(Timer::TcpEst)),
            (Established, false, RST, Trans, Some(Timer::TcpTrans)),
            (Established, true, FIN | ACK, V6FinRcv, Some(Timer::TcpEst)),
            (Established, false, FIN | ACK, V4FinRcv, Some(Timer::TcpEst)),
            (V6FinRcv, true, ACK, V6FinRcv, Some(Timer::TcpEst)),
            (V6FinRcv, false, FIN, V4FinV6FinRcv, Some(Timer::TcpTrans)),
            (V4FinRcv, true, FIN, V4FinV6FinRcv, Some(Timer::TcpTrans)),
            (V4FinRcv, false, FIN, V4FinRcv, Some(Timer::TcpEst)),
            (V4FinV6FinRcv, true, ACK, V4FinV6FinRcv, None),
            (Trans, true, ACK, Established, Some(Timer::TcpEst)),
            (Trans, false, RST, Trans, None),
        ];
        for (state, v6, f, next, timer) in cases {
            assert_eq!(
                on_segment(state, v6, f),
                (next, timer),
                "{state:?} {v6} {f:#x}"
            );
        }
    }
}
