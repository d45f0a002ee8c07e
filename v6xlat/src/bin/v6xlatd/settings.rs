//! From a tayga.conf (or the equivalent flags) to the translator.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use v6xlat::mapping::TaygaMap;
use v6xlat::nat64_conf::{self, Nat64Conf};
use v6xlat::pool::DynamicPool;
use v6xlat::tayga::{self, TaygaConf};
use v6xlat::{Config, IPV6_MIN_MTU, Translator};

/// Reads and checks the configuration file `path`; the error is
/// `FILE:LINE: what: "token"`.
pub(crate) fn load(path: &Path) -> Result<TaygaConf, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let conf = tayga::parse(&text).map_err(|e| format!("{}:{e}", path.display()))?;
    conf.check()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(conf)
}

/// Reads and checks the configuration file `path` of the stateful mode,
/// and builds the NAT64 once to try its static BIB entries; the error is
/// `FILE:LINE: what: "token"`.
pub(crate) fn load_nat64(path: &Path) -> Result<Nat64Conf, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let conf = nat64_conf::parse(&text).map_err(|e| located(path, &e))?;
    conf.build().map_err(|e| located(path, &e))?;
    Ok(conf)
}

/// `FILE:LINE: error`, or `FILE: error` for the whole file.
fn located(path: &Path, e: &v6xlat::nat64_conf::Nat64ConfError) -> String {
    match e.line {
        Some(_) => format!("{}:{e}", path.display()),
        None => format!("{}: {e}", path.display()),
    }
}

/// Reads a configuration given as flags: `lines` holds, for each flag, its
/// name and the configuration line it stands for. The error names the flag.
pub(crate) fn from_flags(lines: &[(&str, String)]) -> Result<TaygaConf, String> {
    let text: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    let conf = tayga::parse(&text).map_err(|e| {
        let flag = e
            .line
            .and_then(|l| lines.get(l - 1))
            .map_or("arguments", |(f, _)| f);
        let mut e = e;
        e.line = None;
        format!("{flag}: {e}")
    })?;
    conf.check().map_err(|e| {
        // "missing tun-device directive" -> "missing --tun-device".
        let s = e.to_string();
        match s
            .strip_prefix("missing ")
            .and_then(|r| r.strip_suffix(" directive"))
        {
            Some(what) => format!(
                "missing {}",
                what.split(" or ")
                    .map(|w| format!("--{w}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            None => s,
        }
    })?;
    Ok(conf)
}

/// The addresses the pool must never lease: the translator's own, and
/// the IPv4 side of the static maps that fall inside the pool.
pub(crate) fn reserved(conf: &TaygaConf) -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = conf.ipv4_addr.into_iter().collect();
    if let Some(pool) = conf.dynamic_pool {
        for e in conf.maps.entries() {
            let m = e.v4();
            if pool.contains(&m.network()) {
                out.extend(m.hosts().chain([m.network(), m.broadcast()]));
            } else if m.contains(&pool.network()) {
                out.extend(pool.hosts().chain([pool.network(), pool.broadcast()]));
            }
        }
    }
    out
}

/// The translator for `conf` on a device with `mtu`, with `pool` (shared
/// with the control loop, which feeds it the time and saves it).
pub(crate) fn translator(
    conf: &TaygaConf,
    pool: Option<Arc<DynamicPool>>,
    mtu: u16,
) -> Result<Translator<TaygaMap>, String> {
    let map = TaygaMap::new(conf.maps.clone(), conf.prefix, conf.wkpf_strict, pool);
    let v4 = conf.ipv4_addr.ok_or("missing ipv4-addr")?;
    let v6 = conf.own_ipv6().map_err(|e| e.to_string())?;
    let mut cfg = Config::new(map, v4, v6);
    cfg.ipv4_mtu = mtu.max(v6xlat::IPV4_MIN_MTU);
    cfg.ipv6_mtu = mtu.max(IPV6_MIN_MTU);
    cfg.lowest_ipv6_mtu = conf.offlink_mtu.unwrap_or(IPV6_MIN_MTU);
    cfg.amend_udp_checksum_zero = conf.udp_checksum_calc;
    Translator::new(cfg).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_errors_name_the_flag() {
        let lines = [
            ("--tun-device", "tun-device nat64".to_owned()),
            ("--prefix", "prefix 64:ff9b::/95".to_owned()),
        ];
        let e = from_flags(&lines).unwrap_err();
        assert!(e.starts_with("--prefix: "), "{e}");
        assert!(e.contains("64:ff9b::/95"), "{e}");
        let e = from_flags(&lines[..1]).unwrap_err();
        assert_eq!(e, "missing --ipv4-addr");
    }

    #[test]
    fn static_maps_inside_the_pool_are_reserved() {
        let conf = tayga::parse(
            "ipv4-addr 198.51.100.1\ndynamic-pool 198.51.100.0/24\n\
             map 198.51.100.16/30 2001:db8::10/126\nmap 192.0.2.1 2001:db8::1\n",
        )
        .unwrap();
        let r = reserved(&conf);
        assert_eq!(r.len(), 1 + 4);
        assert!(r.contains(&Ipv4Addr::new(198, 51, 100, 17)));
        assert!(!r.contains(&Ipv4Addr::new(192, 0, 2, 1)));
    }
}
