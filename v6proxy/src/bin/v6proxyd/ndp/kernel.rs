//! `v6proxyd ndp --kernel`: the kernel answers the solicitations itself
//! (its proxy neighbor entries, RFC 4861 section 7.2.8, enabled by the
//! interface's `proxy_ndp` setting); the daemon only adds those entries and
//! a host route to the internal interface for each address, through
//! netlink, and removes them all (and restores `proxy_ndp`) on exit.

use core::net::Ipv6Addr;
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use v6proxy::ndp::config::{Config, RuleKind};

use super::netlink::Netlink;
use super::{Counters, NdpArgs, link};

/// One address the kernel proxies.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Where solicitations arrive.
    proxy: String,
    /// Where the address is, if a host route is wanted.
    internal: Option<String>,
    address: Ipv6Addr,
}

/// The entries of the command line, or else of the configuration's /128
/// rules.
fn entries(args: &NdpArgs, config: Option<&Config>) -> Vec<Entry> {
    if let (Some(proxy), false) = (&args.proxy, args.addresses.is_empty()) {
        return args
            .addresses
            .iter()
            .map(|&address| Entry {
                proxy: proxy.clone(),
                internal: args.internal.clone(),
                address,
            })
            .collect();
    }
    let mut out = Vec::new();
    for p in config.map(|c| c.proxies.as_slice()).unwrap_or_default() {
        for r in p.rules.iter().filter(|r| r.prefix.prefix_len() == 128) {
            out.push(Entry {
                proxy: p.iface.clone(),
                internal: match &r.kind {
                    RuleKind::Iface(i) => Some(i.clone()),
                    _ => None,
                },
                address: r.prefix.addr(),
            });
        }
    }
    out
}

/// What was changed, to be undone.
#[derive(Default)]
struct Applied {
    proxy_ndp: Vec<(String, String)>,
    proxies: Vec<(Ipv6Addr, u32)>,
    routes: Vec<(Ipv6Addr, u32)>,
}

async fn apply(
    netlink: &Netlink,
    entries: &[Entry],
    done: &mut Applied,
    counters: &Counters,
) -> Result<(), String> {
    for e in entries {
        let index =
            link::index(&e.proxy).ok_or_else(|| format!("interface {} does not exist", e.proxy))?;
        if !done.proxy_ndp.iter().any(|(i, _)| *i == e.proxy) {
            let old = link::set_conf(&e.proxy, "proxy_ndp", "1")
                .map_err(|err| format!("{}: proxy_ndp: {err}", e.proxy))?;
            done.proxy_ndp.push((e.proxy.clone(), old));
        }
        netlink
            .add_proxy(e.address, index)
            .await
            .map_err(|err| format!("proxy entry {} dev {}: {err}", e.address, e.proxy))?;
        done.proxies.push((e.address, index));
        counters.inc("v6proxyd_ndp_routes_total", &[("action", "added")]);
        tracing::info!("proxy {} dev {} added", e.address, e.proxy);
        if let Some(internal) = &e.internal {
            let index = link::index(internal)
                .ok_or_else(|| format!("interface {internal} does not exist"))?;
            netlink
                .add_host_route(e.address, index, None)
                .await
                .map_err(|err| format!("route {}/128 dev {internal}: {err}", e.address))?;
            done.routes.push((e.address, index));
            counters.inc("v6proxyd_ndp_routes_total", &[("action", "added")]);
            tracing::info!("route {}/128 dev {internal} added", e.address);
        }
    }
    Ok(())
}

async fn undo(netlink: &Netlink, done: &mut Applied, counters: &Counters) {
    for (address, index) in done.routes.drain(..) {
        if let Err(e) = netlink.del_host_route(address, index, None).await {
            tracing::warn!("cannot remove route {address}/128: {e}");
            counters.inc("v6proxyd_ndp_netlink_errors_total", &[]);
        } else {
            counters.inc("v6proxyd_ndp_routes_total", &[("action", "removed")]);
        }
    }
    for (address, index) in done.proxies.drain(..) {
        if let Err(e) = netlink.del_proxy(address, index).await {
            tracing::warn!("cannot remove proxy entry {address}: {e}");
            counters.inc("v6proxyd_ndp_netlink_errors_total", &[]);
        } else {
            counters.inc("v6proxyd_ndp_routes_total", &[("action", "removed")]);
        }
    }
    for (iface, old) in done.proxy_ndp.drain(..) {
        if let Err(e) = link::set_conf(&iface, "proxy_ndp", &old) {
            tracing::warn!("{iface}: cannot restore proxy_ndp: {e}");
        }
    }
}

/// Runs the kernel mode until SIGTERM or SIGINT; SIGHUP reads the
/// configuration again (when the addresses come from it).
pub(super) async fn run(
    args: &NdpArgs,
    config: Option<Config>,
    counters: Arc<Counters>,
) -> Result<(), String> {
    let mut list = entries(args, config.as_ref());
    if list.is_empty() {
        return Err("--kernel: no addresses (give --proxy and --address, or /128 rules)".into());
    }
    let netlink = Netlink::connect().map_err(|e| format!("netlink: {e}"))?;
    let mut done = Applied::default();
    if let Err(e) = apply(&netlink, &list, &mut done, &counters).await {
        undo(&netlink, &mut done, &counters).await;
        return Err(e);
    }
    let sig = |kind| signal(kind).map_err(|e| format!("signals: {e}"));
    let (mut hup, mut term, mut int) = (
        sig(SignalKind::hangup())?,
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
    );
    tracing::info!("ndp: kernel proxy for {} addresses", list.len());
    v6kit_daemon::notify::notify("READY=1");
    loop {
        tokio::select! {
            _ = hup.recv() => {
                if !args.addresses.is_empty() {
                    continue;
                }
                match v6proxy::ndp::config::load(&args.config) {
                    Ok(c) => {
                        list = entries(args, Some(&c));
                        undo(&netlink, &mut done, &counters).await;
                        if let Err(e) = apply(&netlink, &list, &mut done, &counters).await {
                            tracing::error!("reload: {e}");
                        }
                    }
                    Err(e) => tracing::error!("reload: {e}; keeping the running configuration"),
                }
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("ndp: stopping; removing what was added");
    undo(&netlink, &mut done, &counters).await;
    Ok(())
}
