//! What the NDP proxy changes in the system, through rtnetlink: host
//! routes (`autowire`, `--kernel`), the kernel's proxy neighbor entries
//! (`--kernel`), an interface's all-multicast or promiscuous mode, and the
//! routing table that `auto` rules read.

use core::net::{IpAddr, Ipv6Addr};
use std::io;

use futures_util::TryStreamExt;
use ipnet::Ipv6Net;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::packet_route::link::LinkFlags;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteType,
};
use rtnetlink::{Handle, LinkUnspec, RouteMessageBuilder};

/// A route of the main table: destination, outgoing interface index and
/// gateway.
pub(crate) type TableRoute = (Ipv6Net, u32, Option<Ipv6Addr>);

/// A netlink connection, driven by a task of the current runtime.
#[derive(Clone)]
pub(crate) struct Netlink {
    handle: Handle,
}

fn err(e: rtnetlink::Error) -> io::Error {
    io::Error::other(e.to_string())
}

impl Netlink {
    /// Opens the connection; must be called inside a tokio runtime.
    pub(crate) fn connect() -> io::Result<Self> {
        let (connection, handle, _) = rtnetlink::new_connection()?;
        tokio::spawn(connection);
        Ok(Netlink { handle })
    }

    fn host_route(target: Ipv6Addr, index: u32, via: Option<Ipv6Addr>) -> RouteMessage {
        let mut b = RouteMessageBuilder::<Ipv6Addr>::new()
            .destination_prefix(target, 128)
            .output_interface(index)
            // RTPROT_STATIC, as `ip route add` and ndppd use.
            .protocol(RouteProtocol::Static);
        if let Some(via) = via {
            b = b.gateway(via);
        }
        b.build()
    }

    /// Adds (or replaces) the route of `target`/128 out of interface
    /// `index`, through `via` if given.
    pub(crate) async fn add_host_route(
        &self,
        target: Ipv6Addr,
        index: u32,
        via: Option<Ipv6Addr>,
    ) -> io::Result<()> {
        self.handle
            .route()
            .add(Self::host_route(target, index, via))
            .replace()
            .execute()
            .await
            .map_err(err)
    }

    /// Removes the route added by [`add_host_route`](Self::add_host_route).
    pub(crate) async fn del_host_route(
        &self,
        target: Ipv6Addr,
        index: u32,
        via: Option<Ipv6Addr>,
    ) -> io::Result<()> {
        self.handle
            .route()
            .del(Self::host_route(target, index, via))
            .execute()
            .await
            .map_err(err)
    }

    /// Adds the kernel's proxy neighbor entry for `target` on interface
    /// `index` (what `ip -6 neigh add proxy` does).
    pub(crate) async fn add_proxy(&self, target: Ipv6Addr, index: u32) -> io::Result<()> {
        self.handle
            .neighbours()
            .add(index, IpAddr::V6(target))
            .flags(NeighbourFlags::Proxy)
            .replace()
            .execute()
            .await
            .map_err(err)
    }

    /// Removes the entry added by [`add_proxy`](Self::add_proxy).
    pub(crate) async fn del_proxy(&self, target: Ipv6Addr, index: u32) -> io::Result<()> {
        let mut m = NeighbourMessage::default();
        m.header.family = AddressFamily::Inet6;
        m.header.ifindex = index;
        m.header.flags = NeighbourFlags::Proxy;
        m.header.state = NeighbourState::Permanent;
        m.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet6(
                target,
            )));
        self.handle.neighbours().del(m).execute().await.map_err(err)
    }

    /// The interface's flags.
    pub(crate) async fn link_flags(&self, index: u32) -> io::Result<LinkFlags> {
        let mut links = self.handle.link().get().match_index(index).execute();
        match links.try_next().await.map_err(err)? {
            Some(link) => Ok(link.header.flags),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no such interface")),
        }
    }

    /// Turns all-multicast (or, with `promiscuous`, promiscuous) mode on or
    /// off. Returns whether it changed something, which then must be undone.
    pub(crate) async fn set_receive_all(
        &self,
        index: u32,
        promiscuous: bool,
        on: bool,
    ) -> io::Result<bool> {
        let flag = if promiscuous {
            LinkFlags::Promisc
        } else {
            LinkFlags::Allmulti
        };
        if on && self.link_flags(index).await?.contains(flag) {
            return Ok(false);
        }
        let b = LinkUnspec::new_with_index(index);
        let message = if promiscuous {
            b.promiscuous(on).build()
        } else {
            b.allmulticast(on).build()
        };
        self.handle
            .link()
            .set(message)
            .execute()
            .await
            .map_err(err)?;
        Ok(true)
    }

    /// The unicast IPv6 routes of the main table.
    pub(crate) async fn routes(&self) -> io::Result<Vec<TableRoute>> {
        let request = RouteMessageBuilder::<Ipv6Addr>::new().build();
        let mut stream = self.handle.route().get(request).execute();
        let mut out = Vec::new();
        while let Some(m) = stream.try_next().await.map_err(err)? {
            if m.header.kind != RouteType::Unicast {
                continue;
            }
            let mut table = u32::from(m.header.table);
            let (mut dst, mut oif, mut via) = (Ipv6Addr::UNSPECIFIED, None, None);
            for a in &m.attributes {
                match a {
                    RouteAttribute::Table(t) => table = *t,
                    RouteAttribute::Destination(RouteAddress::Inet6(d)) => dst = *d,
                    RouteAttribute::Oif(i) => oif = Some(*i),
                    RouteAttribute::Gateway(RouteAddress::Inet6(g)) => via = Some(*g),
                    _ => {}
                }
            }
            if table != u32::from(RouteHeader::RT_TABLE_MAIN) {
                continue;
            }
            let (Some(oif), Ok(prefix)) =
                (oif, Ipv6Net::new(dst, m.header.destination_prefix_length))
            else {
                continue;
            };
            out.push((prefix, oif, via));
        }
        Ok(out)
    }
}
