//! The code examples of the README, one per library crate, compiled and
//! run here as doctests; `tests/readme.rs` checks that the README shows
//! them unchanged.
//!
//! `v6core`: an RFC 6052 address and a SLAAC address.
//!
//! ```rust
//! use v6core::{Pref64, Mac, eui64};
//!
//! let pref: Pref64 = "64:ff9b::/96".parse()?;
//! assert_eq!(pref.embed("192.0.2.33".parse()?).to_string(), "64:ff9b::c000:221");
//!
//! let mac: Mac = "52:54:00:d6:c2:a9".parse()?;
//! let addr = eui64::slaac("2001:db8::/64".parse()?, mac)?;
//! assert_eq!(addr.to_string(), "2001:db8::5054:ff:fed6:c2a9");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `v6xlat`: an ICMPv6 echo request translated to IPv4, from a slice into
//! a buffer the caller owns.
//!
//! ```rust
//! use std::net::Ipv6Addr;
//! use v6xlat::{Config, Translator, mapping::Rfc6052};
//!
//! let mapping = Rfc6052::new("2001:db8:64::/96".parse()?);
//! let xlat = Translator::new(Config::new(mapping, "192.0.2.1".parse()?, "2001:db8::1".parse()?))?;
//!
//! // From 2001:db8:64::c000:221 (192.0.2.33) to 2001:db8:64::c633:6402 (198.51.100.2).
//! let (src, dst): (Ipv6Addr, Ipv6Addr) = ("2001:db8:64::c000:221".parse()?, "2001:db8:64::c633:6402".parse()?);
//! let mut ping = vec![0x60, 0, 0, 0, 0, 8, 58, 64];
//! ping.extend(src.octets().into_iter().chain(dst.octets()));
//! ping.extend([128, 0, 0x43, 0x25, 0, 1, 0, 1]);
//!
//! let mut out = vec![0u8; v6xlat::buffer_len(ping.len())];
//! let outcome = xlat.translate(&ping, &mut out);
//! let ipv4 = outcome.packets(&out).next().expect("translated");
//! assert_eq!((ipv4[0], ipv4[8], ipv4[9]), (0x45, 63, 1)); // IPv4, TTL 63, ICMP
//! assert_eq!(&ipv4[16..20], &[198, 51, 100, 2]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `v6ra`: a router advertisement with a DNS server and the NAT64 prefix,
//! to bytes and back.
//!
//! ```rust
//! use std::net::Ipv6Addr;
//! use v6ra::wire::Pref64Info;
//! use v6ra::{NdiscOptionRepr, Packet, Repr, RouterAdvert};
//!
//! let ra = Repr::RouterAdvert(RouterAdvert {
//!     router_lifetime: 1800,
//!     options: vec![
//!         NdiscOptionRepr::Rdnss { lifetime: 1200, servers: vec!["2001:db8:1::1".parse()?] },
//!         NdiscOptionRepr::Pref64(Pref64Info { lifetime: 1800, prefix: "64:ff9b::/96".parse()? }),
//!     ],
//!     ..RouterAdvert::default()
//! });
//! let (src, dst): (Ipv6Addr, Ipv6Addr) = ("fe80::1".parse()?, "ff02::1".parse()?);
//! let bytes = ra.to_bytes(&src, &dst)?;
//!
//! let heard = Packet::new_checked(&bytes[..])?;
//! assert!(heard.verify_checksum(&src, &dst));
//! assert_eq!(Repr::parse(&heard)?, ra);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `v6dns64`: the resolver does no I/O; each question for the upstream
//! resolver comes out as an action, and its answer goes back in.
//!
//! ```rust
//! use hickory_proto::op::{Message, Query};
//! use hickory_proto::rr::rdata::{A, AAAA};
//! use hickory_proto::rr::{Name, RData, Record, RecordType};
//! use v6dns64::{Action, Dns64, Policy};
//!
//! let dns64 = Dns64::new(Policy::new("64:ff9b::/96".parse()?, vec!["::1/128".parse()?]));
//! let name = Name::from_ascii("v4only.example.")?;
//! let mut query = Message::query();
//! query.add_query(Query::query(name.clone(), RecordType::AAAA));
//!
//! // The upstream resolver has no AAAA record, so the A records are asked for.
//! let Action::Ask(aaaa) = dns64.query_message(query, "::1".parse()?) else { panic!() };
//! let none = aaaa.upstream_query().clone().into_response();
//! let Action::Ask(a) = aaaa.answer(&dns64, Some(none)) else { panic!() };
//! let mut answer = a.upstream_query().clone().into_response();
//! answer.add_answer(Record::from_rdata(name, 300, RData::A(A::new(192, 0, 2, 33))));
//! let Action::Reply(reply) = a.answer(&dns64, Some(answer)) else { panic!() };
//! assert_eq!(reply.answers[0].data, RData::AAAA(AAAA("64:ff9b::c000:221".parse()?)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `v6proxy`: the server a connection is for, from its first bytes, which
//! are then passed on unchanged.
//!
//! ```rust
//! use v6proxy::relay::peek::{peek, Limits, Peek, Protocol};
//!
//! let request = b"GET / HTTP/1.1\r\nHost: www.example.org\r\n\r\n";
//! assert_eq!(peek(&request[..20], &Limits::default()), Peek::NeedMore);
//! match peek(request, &Limits::default()) {
//!     Peek::Found(Protocol::Http, name) => assert_eq!(name.as_str(), "www.example.org"),
//!     other => panic!("{other:?}"),
//! }
//! ```
