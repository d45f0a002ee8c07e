//! The router-advertisement state machine of one interface (RFC 4861
//! section 6.2), without I/O.
//!
//! The [`Advertiser`] is fed with the current time and with events — a
//! router solicitation arrived, the configuration changed, the daemon is
//! shutting down — and is polled for what to send ([`Advertiser::poll_transmit`])
//! and for when to poll next ([`Advertiser::poll_timeout`]), in the manner
//! of quinn-proto. It reads no clock and draws randomness from the RNG it
//! is given, so a test can drive it on a virtual clock and reproduce every
//! run.

use core::net::Ipv6Addr;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ipnet::Ipv6Net;
use rand_core::Rng;

use crate::wire::{NdiscOptionRepr, RouterAdvert};

/// RFC 4861 section 10: the longest interval between the first few
/// unsolicited advertisements.
pub const MAX_INITIAL_RTR_ADVERT_INTERVAL: Duration = Duration::from_secs(16);
/// RFC 4861 section 10: how many advertisements count as the first few.
pub const MAX_INITIAL_RTR_ADVERTISEMENTS: u32 = 3;
/// RFC 4861 section 10: the shortest time between multicast advertisements.
pub const MIN_DELAY_BETWEEN_RAS: Duration = Duration::from_secs(3);
/// RFC 4861 section 10: the longest random delay before answering a
/// solicitation.
pub const MAX_RA_DELAY_TIME: Duration = Duration::from_millis(500);
/// The most solicitations waiting for a unicast answer at once; more are
/// answered by one multicast advertisement instead, so that a flood of
/// solicitations cannot grow memory.
pub const MAX_PENDING_UNICAST: usize = 64;

/// Two hours in seconds: the valid lifetime a deprecated prefix gets in the
/// final advertisements.
const TWO_HOURS: u32 = 7200;

/// The IPv6 all-nodes multicast address, ff02::1.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// What an interface advertises and how often: the part of radvd.conf's
/// interface section that the state machine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertiserConfig {
    /// Whether the interface advertises at all (radvd's `AdvSendAdvert`).
    pub send_advert: bool,
    /// The advertisement as configured: header fields and options, with the
    /// full lifetimes.
    pub advert: RouterAdvert,
    /// `MinRtrAdvInterval` (RFC 4861 section 6.2.1).
    pub min_interval: Duration,
    /// `MaxRtrAdvInterval`.
    pub max_interval: Duration,
    /// The shortest time between multicast advertisements; RFC 4861 fixes
    /// it at 3 s ([`MIN_DELAY_BETWEEN_RAS`]), radvd lets it be configured.
    pub min_delay_between_ras: Duration,
    /// Send no multicast advertisements; answer solicitations by unicast
    /// (radvd's `UnicastOnly`).
    pub unicast_only: bool,
    /// When not empty, advertise only to these addresses, by unicast, and
    /// answer only their solicitations (radvd's `clients`).
    pub clients: Vec<Ipv6Addr>,
    /// Answer a solicitation that has a source address by unicast, as
    /// RFC 7772 section 5.1 recommends (radvd's `AdvRASolicitedUnicast`).
    pub solicited_unicast: bool,
    /// Prefixes whose valid and preferred lifetimes count down in real time
    /// from when the advertiser started (radvd's `DecrementLifetimes`).
    pub decrementing: Vec<Ipv6Net>,
    /// Prefixes advertised with preferred lifetime 0 in the final
    /// advertisements (radvd's `DeprecatePrefix`).
    pub deprecate_on_exit: Vec<Ipv6Net>,
    /// Indices into `advert.options` of the route and DNS options whose
    /// lifetimes the final advertisements keep (radvd's `RemoveRoute off`,
    /// `FlushRDNSS off`, `FlushDNSSL off`).
    pub keep_on_exit: Vec<usize>,
    /// Send final advertisements with router lifetime 0 on shutdown
    /// (radvd's `RemoveAdvOnExit`; RFC 4861 section 6.2.5).
    pub remove_on_exit: bool,
}

impl Default for AdvertiserConfig {
    fn default() -> Self {
        AdvertiserConfig {
            send_advert: true,
            advert: RouterAdvert::default(),
            min_interval: Duration::from_secs(198),
            max_interval: Duration::from_secs(600),
            min_delay_between_ras: MIN_DELAY_BETWEEN_RAS,
            unicast_only: false,
            clients: Vec::new(),
            solicited_unicast: true,
            decrementing: Vec::new(),
            deprecate_on_exit: Vec::new(),
            keep_on_exit: Vec::new(),
            remove_on_exit: true,
        }
    }
}

/// An advertisement to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to: [`ALL_NODES`] or one host's address.
    pub destination: Ipv6Addr,
    /// The advertisement, with lifetimes as of now.
    pub advert: RouterAdvert,
    /// Why it is sent.
    pub reason: Reason,
}

/// Why an advertisement is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The periodic, unsolicited advertisement (RFC 4861 section 6.2.4).
    Unsolicited,
    /// The answer to a solicitation (RFC 4861 section 6.2.6).
    Solicited,
    /// A final advertisement on shutdown (RFC 4861 section 6.2.5).
    Final,
}

/// Why a solicitation was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Ignored {
    /// The interface does not advertise, or is shutting down.
    #[error("the interface does not advertise")]
    NotAdvertising,
    /// The solicitation came from the unspecified address with a source
    /// link-layer address option (invalid by RFC 4861 section 6.1.1).
    #[error("unspecified source with a source link-layer address option")]
    Invalid,
    /// The sender is not one of the configured clients.
    #[error("the sender is not a configured client")]
    NotAClient,
    /// A multicast advertisement that answers it is already due.
    #[error("answered by an advertisement already scheduled")]
    AlreadyScheduled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running,
    /// Shutdown was asked for; the final advertisements are still to go.
    Stopping,
    Finished,
}

/// The advertising state of one interface.
#[derive(Debug)]
pub struct Advertiser<R> {
    config: AdvertiserConfig,
    rng: R,
    started: Instant,
    state: State,
    /// When the next unsolicited advertisement is due.
    next_unsolicited: Option<Instant>,
    /// How many of the first advertisements are still to be sent at most
    /// [`MAX_INITIAL_RTR_ADVERT_INTERVAL`] apart.
    initial_left: u32,
    last_multicast: Option<Instant>,
    /// A solicited multicast advertisement that is due then.
    solicited_multicast: Option<Instant>,
    /// Solicited unicast advertisements: when, and to whom.
    solicited_unicast: Vec<(Instant, Ipv6Addr)>,
    /// Advertisements ready to go, in order, and since when.
    ready: VecDeque<Transmit>,
    ready_at: Instant,
}

impl<R: Rng> Advertiser<R> {
    /// Starts advertising at `now`: the first advertisement is due at once,
    /// the next ones at random intervals (RFC 4861 section 6.2.4).
    pub fn new(config: AdvertiserConfig, rng: R, now: Instant) -> Self {
        let mut advertiser = Advertiser {
            config,
            rng,
            started: now,
            state: State::Running,
            next_unsolicited: None,
            initial_left: MAX_INITIAL_RTR_ADVERTISEMENTS,
            last_multicast: None,
            solicited_multicast: None,
            solicited_unicast: Vec::new(),
            ready: VecDeque::new(),
            ready_at: now,
        };
        advertiser.next_unsolicited = advertiser.periodic().then_some(now);
        advertiser
    }

    /// The configuration in force.
    pub fn config(&self) -> &AdvertiserConfig {
        &self.config
    }

    /// Whether unsolicited advertisements are sent at all.
    fn periodic(&self) -> bool {
        self.config.send_advert && (!self.config.unicast_only || !self.config.clients.is_empty())
    }

    /// Replaces the configuration (a reload). As after a change of
    /// configuration RFC 4861 section 6.2.4 allows, the first few
    /// advertisements are sent again at short intervals, the first as soon
    /// as the rate limit allows.
    pub fn set_config(&mut self, config: AdvertiserConfig, now: Instant) {
        self.config = config;
        if self.state != State::Running {
            return;
        }
        self.initial_left = MAX_INITIAL_RTR_ADVERTISEMENTS;
        self.next_unsolicited = self.periodic().then(|| self.rate_limited(now));
        if !self.config.send_advert {
            self.solicited_multicast = None;
            self.solicited_unicast.clear();
        }
    }

    /// The earliest time not before `t` at which a multicast advertisement
    /// may go (RFC 4861 section 6.2.4, last paragraph).
    fn rate_limited(&self, t: Instant) -> Instant {
        match self.last_multicast {
            Some(last) => t.max(last + self.config.min_delay_between_ras),
            None => t,
        }
    }

    /// A uniformly random duration in `[low, high]`.
    fn random_between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = high.saturating_sub(low).as_nanos();
        let draw = (u128::from(self.rng.next_u64()) * (span + 1)) >> 64;
        low + Duration::from_nanos(draw as u64)
    }

    /// A router solicitation from `source` with `options` arrived at `now`
    /// (RFC 4861 section 6.2.6). The caller has checked what the IP layer
    /// knows: hop limit 255, checksum, code 0.
    ///
    /// The answer is delayed by a random time of up to 0.5 s. It is sent by
    /// unicast when the solicitation has a source address and unicast
    /// answers are configured (RFC 7772); otherwise it is a multicast
    /// advertisement, sent no sooner than 3 s after the last one, and not
    /// at all when the next unsolicited one is due before then.
    pub fn handle_solicitation(
        &mut self,
        now: Instant,
        source: Ipv6Addr,
        options: &[NdiscOptionRepr],
    ) -> Result<(), Ignored> {
        if self.state != State::Running || !self.config.send_advert {
            return Err(Ignored::NotAdvertising);
        }
        let has_sllao = options
            .iter()
            .any(|o| matches!(o, NdiscOptionRepr::SourceLinkLayerAddr(_)));
        if source.is_unspecified() && has_sllao {
            return Err(Ignored::Invalid);
        }
        if !self.config.clients.is_empty() && !self.config.clients.contains(&source) {
            return Err(Ignored::NotAClient);
        }
        let delay = self.random_between(Duration::ZERO, MAX_RA_DELAY_TIME);
        let at = now + delay;
        let unicast = self.config.solicited_unicast
            || self.config.unicast_only
            || !self.config.clients.is_empty();
        if unicast && !source.is_unspecified() {
            if self.solicited_unicast.iter().any(|(_, a)| *a == source) {
                return Err(Ignored::AlreadyScheduled);
            }
            if self.solicited_unicast.len() < MAX_PENDING_UNICAST {
                self.solicited_unicast.push((at, source));
                return Ok(());
            }
        }
        if self.config.unicast_only {
            return Err(Ignored::NotAdvertising);
        }
        let at = self.rate_limited(at);
        if self.next_unsolicited.is_some_and(|next| next <= at)
            || self.solicited_multicast.is_some_and(|due| due <= at)
        {
            return Err(Ignored::AlreadyScheduled);
        }
        self.solicited_multicast = Some(at);
        Ok(())
    }

    /// Asks for the final advertisements (RFC 4861 section 6.2.5): the
    /// next poll returns an advertisement with router lifetime 0 and the
    /// route, DNS and PREF64 lifetimes 0, unless `RemoveAdvOnExit` is off.
    pub fn shutdown(&mut self, now: Instant) {
        if self.state != State::Running {
            return;
        }
        self.solicited_multicast = None;
        self.solicited_unicast.clear();
        self.next_unsolicited = None;
        self.ready.clear();
        self.ready_at = now;
        if self.config.send_advert && self.config.remove_on_exit {
            let advert = self.advert(now, true);
            for destination in self.destinations() {
                self.ready.push_back(Transmit {
                    destination,
                    advert: advert.clone(),
                    reason: Reason::Final,
                });
            }
        }
        self.state = if self.ready.is_empty() {
            State::Finished
        } else {
            State::Stopping
        };
    }

    /// Whether shutdown has finished: the final advertisements have been
    /// taken.
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Where unsolicited advertisements go: all nodes, or each client.
    fn destinations(&self) -> Vec<Ipv6Addr> {
        if !self.config.clients.is_empty() {
            self.config.clients.clone()
        } else if self.config.unicast_only {
            Vec::new()
        } else {
            vec![ALL_NODES]
        }
    }

    /// When [`poll_transmit`](Self::poll_transmit) next has something to
    /// return; `None` when nothing is scheduled.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.ready.is_empty() {
            return Some(self.ready_at);
        }
        [
            self.next_unsolicited,
            self.solicited_multicast,
            self.solicited_unicast.iter().map(|(t, _)| *t).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next advertisement due at `now`, if any. Call it until it
    /// returns `None`, then wait until [`poll_timeout`](Self::poll_timeout).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if let Some(t) = self.ready.pop_front() {
            if self.state == State::Stopping && self.ready.is_empty() {
                self.state = State::Finished;
            }
            return Some(t);
        }
        if self.state != State::Running {
            return None;
        }
        if let Some(i) = self.solicited_unicast.iter().position(|(t, _)| *t <= now) {
            let (_, destination) = self.solicited_unicast.swap_remove(i);
            return Some(Transmit {
                destination,
                advert: self.advert(now, false),
                reason: Reason::Solicited,
            });
        }
        let unsolicited_due = self.next_unsolicited.is_some_and(|t| t <= now);
        let solicited_due = self.solicited_multicast.is_some_and(|t| t <= now);
        if !unsolicited_due && !solicited_due {
            return None;
        }
        // Either way this advertisement resets the periodic timer
        // (RFC 4861 section 6.2.6, last paragraph).
        self.solicited_multicast = None;
        self.last_multicast = Some(now);
        self.schedule_unsolicited(now);
        let reason = if unsolicited_due {
            Reason::Unsolicited
        } else {
            Reason::Solicited
        };
        let advert = self.advert(now, false);
        self.ready_at = now;
        for destination in self.destinations() {
            self.ready.push_back(Transmit {
                destination,
                advert: advert.clone(),
                reason,
            });
        }
        self.ready.pop_front()
    }

    /// Schedules the next unsolicited advertisement: a uniformly random
    /// interval between `MinRtrAdvInterval` and `MaxRtrAdvInterval`, at
    /// most 16 s for the first three (RFC 4861 section 6.2.4).
    fn schedule_unsolicited(&mut self, now: Instant) {
        if !self.periodic() {
            self.next_unsolicited = None;
            return;
        }
        let mut interval = self.random_between(self.config.min_interval, self.config.max_interval);
        if self.initial_left > 0 {
            self.initial_left -= 1;
            interval = interval.min(MAX_INITIAL_RTR_ADVERT_INTERVAL);
        }
        self.next_unsolicited = Some(now + interval);
    }

    /// The advertisement as of `now`: decrementing lifetimes counted down,
    /// and for a final advertisement the router, route, DNS and PREF64
    /// lifetimes 0 (RFC 4861 section 6.2.5, RFC 4191 section 3.1,
    /// RFC 8106 section 5.1).
    pub fn advert(&self, now: Instant, final_advert: bool) -> RouterAdvert {
        let mut advert = self.config.advert.clone();
        let elapsed = u32::try_from(now.saturating_duration_since(self.started).as_secs())
            .unwrap_or(u32::MAX);
        let count_down = |lifetime: u32| {
            if lifetime == u32::MAX {
                lifetime
            } else {
                lifetime.saturating_sub(elapsed)
            }
        };
        for (i, option) in advert.options.iter_mut().enumerate() {
            let zero = final_advert && !self.config.keep_on_exit.contains(&i);
            match option {
                NdiscOptionRepr::PrefixInformation(p) => {
                    if self.config.decrementing.contains(&p.prefix) {
                        p.valid_lifetime = count_down(p.valid_lifetime);
                        p.preferred_lifetime = count_down(p.preferred_lifetime);
                    }
                    if final_advert && self.config.deprecate_on_exit.contains(&p.prefix) {
                        // Hosts ignore a valid lifetime below two hours
                        // unless it is shorter than what remains (RFC 4862
                        // section 5.5.3 e), so two hours is what can be
                        // said; radvd says the same.
                        p.preferred_lifetime = 0;
                        p.valid_lifetime = p.valid_lifetime.min(TWO_HOURS);
                    }
                }
                NdiscOptionRepr::RouteInformation(r) if zero => r.lifetime = 0,
                NdiscOptionRepr::Rdnss { lifetime, .. }
                | NdiscOptionRepr::Dnssl { lifetime, .. }
                    if zero =>
                {
                    *lifetime = 0;
                }
                NdiscOptionRepr::Pref64(p) if zero => p.lifetime = 0,
                _ => {}
            }
        }
        if final_advert {
            advert.router_lifetime = 0;
        }
        advert
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{PrefixInfo, RouteInfo};

    /// A small deterministic generator (SplitMix64) so that these tests
    /// need no dependency and repeat exactly.
    #[derive(Debug)]
    struct SplitMix(u64);

    impl rand_core::TryRng for SplitMix {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok((self.try_next_u64()? >> 32) as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            Ok(z ^ (z >> 31))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for chunk in dst.chunks_mut(8) {
                let v = self.try_next_u64()?.to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
            Ok(())
        }
    }

    fn config() -> AdvertiserConfig {
        AdvertiserConfig {
            advert: RouterAdvert {
                hop_limit: 64,
                router_lifetime: 1800,
                options: vec![
                    NdiscOptionRepr::PrefixInformation(PrefixInfo {
                        prefix: "2001:db8:1::/64".parse().unwrap(),
                        on_link: true,
                        autonomous: true,
                        router_address: false,
                        valid_lifetime: 86400,
                        preferred_lifetime: 14400,
                    }),
                    NdiscOptionRepr::RouteInformation(RouteInfo {
                        prefix: "64:ff9b::/96".parse().unwrap(),
                        preference: Default::default(),
                        lifetime: 1800,
                    }),
                    NdiscOptionRepr::Rdnss {
                        lifetime: 600,
                        servers: vec!["2001:db8:1::1".parse().unwrap()],
                    },
                ],
                ..Default::default()
            },
            min_interval: Duration::from_secs(200),
            max_interval: Duration::from_secs(600),
            ..Default::default()
        }
    }

    /// Runs the advertiser on a virtual clock until `end`, returning each
    /// transmission with its time.
    fn run_until(
        a: &mut Advertiser<SplitMix>,
        now: &mut Instant,
        end: Instant,
    ) -> Vec<(Instant, Transmit)> {
        let mut sent = Vec::new();
        loop {
            while let Some(t) = a.poll_transmit(*now) {
                sent.push((*now, t));
            }
            match a.poll_timeout() {
                Some(next) if next <= end => *now = next.max(*now),
                _ => break,
            }
        }
        *now = end;
        sent
    }

    #[test]
    fn periodic_timing_follows_rfc4861_6_2_4() {
        let start = Instant::now();
        for seed in 0..50 {
            let mut now = start;
            let mut a = Advertiser::new(config(), SplitMix(seed), now);
            let sent = run_until(&mut a, &mut now, start + Duration::from_secs(20_000));
            assert_eq!(sent[0].0, start, "the first advertisement goes at once");
            let gaps: Vec<Duration> = sent.windows(2).map(|w| w[1].0 - w[0].0).collect();
            // The first three advertisements: at most 16 s apart.
            for gap in &gaps[..3] {
                assert!(*gap <= MAX_INITIAL_RTR_ADVERT_INTERVAL, "{gap:?}");
                assert!(*gap >= MIN_DELAY_BETWEEN_RAS);
            }
            for gap in &gaps[3..] {
                assert!(*gap >= Duration::from_secs(200) && *gap <= Duration::from_secs(600));
            }
            assert!(sent.iter().all(|(_, t)| t.destination == ALL_NODES
                && t.reason == Reason::Unsolicited
                && t.advert.router_lifetime == 1800));
        }
    }

    #[test]
    fn intervals_are_spread_over_the_whole_range() {
        let start = Instant::now();
        let mut now = start;
        let mut a = Advertiser::new(config(), SplitMix(7), now);
        let sent = run_until(&mut a, &mut now, start + Duration::from_secs(400_000));
        let gaps: Vec<u64> = sent
            .windows(2)
            .skip(3)
            .map(|w| (w[1].0 - w[0].0).as_secs())
            .collect();
        assert!(gaps.len() > 500);
        // Uniform on [200, 600]: each quarter gets roughly a quarter.
        for q in 0..4 {
            let low = 200 + q * 100;
            let n = gaps.iter().filter(|&&g| g >= low && g < low + 100).count();
            let share = n as f64 / gaps.len() as f64;
            assert!((0.18..0.32).contains(&share), "quarter {q}: {share}");
        }
    }

    #[test]
    fn solicitation_with_source_is_answered_by_unicast_within_half_a_second() {
        let start = Instant::now();
        let mut now = start;
        let mut a = Advertiser::new(config(), SplitMix(1), now);
        run_until(&mut a, &mut now, start + Duration::from_secs(100));
        let host: Ipv6Addr = "fe80::2".parse().unwrap();
        let sllao = [NdiscOptionRepr::SourceLinkLayerAddr(vec![2, 0, 0, 0, 0, 2])];
        a.handle_solicitation(now, host, &sllao).unwrap();
        // A second one from the same host while the answer is pending.
        assert_eq!(
            a.handle_solicitation(now, host, &sllao),
            Err(Ignored::AlreadyScheduled)
        );
        let t0 = now;
        let sent = run_until(&mut a, &mut now, t0 + Duration::from_secs(1));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].1.destination, host);
        assert_eq!(sent[0].1.reason, Reason::Solicited);
        assert!(sent[0].0 - t0 <= MAX_RA_DELAY_TIME);
    }

    #[test]
    fn multicast_answers_are_rate_limited_to_one_per_3_seconds() {
        let start = Instant::now();
        let mut now = start;
        let cfg = AdvertiserConfig {
            solicited_unicast: false,
            ..config()
        };
        let mut a = Advertiser::new(cfg, SplitMix(3), now);
        run_until(&mut a, &mut now, start + Duration::from_secs(60));
        // A burst of solicitations from the unspecified address, 100 ms apart.
        let mut sent = Vec::new();
        for _ in 0..100 {
            let _ = a.handle_solicitation(now, Ipv6Addr::UNSPECIFIED, &[]);
            let next = now + Duration::from_millis(100);
            sent.extend(run_until(&mut a, &mut now, next));
        }
        assert!(sent.len() >= 2, "{}", sent.len());
        assert!(sent.iter().all(|(_, t)| t.destination == ALL_NODES));
        for w in sent.windows(2) {
            assert!(w[1].0 - w[0].0 >= MIN_DELAY_BETWEEN_RAS);
        }
        // 10 s of solicitations: at most one answer per 3 s.
        assert!(sent.len() <= 4);
    }

    #[test]
    fn unspecified_source_with_sllao_is_invalid() {
        let now = Instant::now();
        let mut a = Advertiser::new(config(), SplitMix(0), now);
        let sllao = [NdiscOptionRepr::SourceLinkLayerAddr(vec![2, 0, 0, 0, 0, 2])];
        assert_eq!(
            a.handle_solicitation(now, Ipv6Addr::UNSPECIFIED, &sllao),
            Err(Ignored::Invalid)
        );
    }

    #[test]
    fn shutdown_sends_one_final_advertisement_with_zero_lifetimes() {
        let start = Instant::now();
        let mut now = start;
        let mut a = Advertiser::new(config(), SplitMix(9), now);
        run_until(&mut a, &mut now, start + Duration::from_secs(30));
        a.shutdown(now);
        assert!(!a.is_finished());
        assert_eq!(a.poll_timeout().map(|t| t <= now), Some(true));
        let t = a.poll_transmit(now).unwrap();
        assert_eq!(t.reason, Reason::Final);
        assert_eq!(t.destination, ALL_NODES);
        assert_eq!(t.advert.router_lifetime, 0);
        for option in &t.advert.options {
            match option {
                NdiscOptionRepr::RouteInformation(r) => assert_eq!(r.lifetime, 0),
                NdiscOptionRepr::Rdnss { lifetime, .. } => assert_eq!(*lifetime, 0),
                NdiscOptionRepr::PrefixInformation(p) => assert_eq!(p.valid_lifetime, 86400),
                _ => {}
            }
        }
        assert!(a.poll_transmit(now).is_none());
        assert!(a.is_finished());
        assert_eq!(a.poll_timeout(), None);
    }

    #[test]
    fn remove_adv_on_exit_off_sends_nothing() {
        let now = Instant::now();
        let cfg = AdvertiserConfig {
            remove_on_exit: false,
            ..config()
        };
        let mut a = Advertiser::new(cfg, SplitMix(0), now);
        a.shutdown(now);
        assert!(a.is_finished());
        assert!(a.poll_transmit(now).is_none());
    }

    #[test]
    fn decrementing_lifetimes_count_down() {
        let start = Instant::now();
        let cfg = AdvertiserConfig {
            decrementing: vec!["2001:db8:1::/64".parse().unwrap()],
            ..config()
        };
        let a = Advertiser::new(cfg, SplitMix(0), start);
        let later = a.advert(start + Duration::from_secs(14_000), false);
        let NdiscOptionRepr::PrefixInformation(p) = &later.options[0] else {
            panic!()
        };
        assert_eq!((p.valid_lifetime, p.preferred_lifetime), (72_400, 400));
        let much_later = a.advert(start + Duration::from_secs(20_000), false);
        let NdiscOptionRepr::PrefixInformation(p) = &much_later.options[0] else {
            panic!()
        };
        assert_eq!(p.preferred_lifetime, 0);
    }

    #[test]
    fn unicast_only_and_clients() {
        let start = Instant::now();
        let mut now = start;
        let host: Ipv6Addr = "fe80::9".parse().unwrap();
        let cfg = AdvertiserConfig {
            unicast_only: true,
            ..config()
        };
        let mut a = Advertiser::new(cfg, SplitMix(0), now);
        assert_eq!(a.poll_timeout(), None, "no unsolicited advertisements");
        a.handle_solicitation(now, host, &[]).unwrap();
        let sent = run_until(&mut a, &mut now, start + Duration::from_secs(5));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].1.destination, host);

        let other: Ipv6Addr = "fe80::10".parse().unwrap();
        let cfg = AdvertiserConfig {
            clients: vec![host],
            ..config()
        };
        let mut now = start;
        let mut a = Advertiser::new(cfg, SplitMix(0), now);
        assert_eq!(
            a.handle_solicitation(now, other, &[]),
            Err(Ignored::NotAClient)
        );
        let sent = run_until(&mut a, &mut now, start + Duration::from_secs(1));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].1.destination, host);
    }

    #[test]
    fn reload_restarts_fast_advertisements_within_the_rate_limit() {
        let start = Instant::now();
        let mut now = start;
        let mut a = Advertiser::new(config(), SplitMix(5), now);
        run_until(&mut a, &mut now, start + Duration::from_secs(1000));
        let last = now;
        let mut changed = config();
        changed.advert.router_lifetime = 900;
        a.set_config(changed, now);
        let sent = run_until(&mut a, &mut now, last + Duration::from_secs(60));
        assert!(sent.len() >= 3);
        assert_eq!(sent[0].1.advert.router_lifetime, 900);
        for w in sent.windows(2).take(2) {
            assert!(w[1].0 - w[0].0 <= MAX_INITIAL_RTR_ADVERT_INTERVAL);
        }
    }
}
