#!/usr/bin/env bash
# Stateful NAT64: `v6xlatd --mode nat64` against Tayga with the kernel's
# masquerading (nftables), on the same topology:
#
#   h6 (IPv6 only: wrk, iperf3, a UDP sweep) --veth-- x (translator on TUN
#   "nat64", IPv4 address 203.0.113.1) --veth-- s4 (IPv4 only: nginx, iperf3)
#
# Tayga maps the IPv6 host to an address of its dynamic pool, which
# nftables masquerades to 203.0.113.1. v6xlatd has 203.0.113.1 itself as
# pool4 (ports 1024-65534), with policy routing handing those ports and
# ICMP to the TUN device, and no masquerading.
#
# For each: new TCP connections per second (wrk, one HTTP request per
# connection, `Connection: close`, to nginx), with the translator's CPU
# time per connection; TCP throughput each way (iperf3, one stream). Then,
# for v6xlatd alone, its memory per session: resident memory before and
# after a UDP sweep that opens SESSIONS sessions (SESSIONS/2 source ports,
# each to two server ports), counted by its own metrics. For the kernel's
# side, the size of a conntrack entry (slab object) is shown.
#
# Needs root. Installs tayga, iperf3, nftables, wrk and nginx-light from
# Debian if missing. Everything it creates (namespaces, interfaces,
# processes) is removed at the end, also on failure. Traffic stays inside
# the namespaces: the server's address 192.88.99.1 (a deprecated block,
# RFC 7526, chosen because 64:ff9b::/96 only embeds global IPv4 addresses)
# exists only there.
#
# Usage: scripts/bench-nat64-stateful.sh   (DURATION=10 s per measurement,
#        CONNS=32 wrk connections, SESSIONS=100000)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
SESSIONS=${SESSIONS:-100000}
# The machine may be shared: the translators and the tools run at a
# higher priority than the rest, the same for both translators.
NICE="nice -n ${NICENESS:--10}"
NS_H6=bs64-h6 NS_X=bs64-x NS_S4=bs64-s4
WORK=$(mktemp -d /tmp/bench-nat64-stateful.XXXXXX)
PIDS=()
# shellcheck source=scripts/lib-nat64.sh
. scripts/lib-nat64.sh

need_root bench-nat64-stateful.sh
install_missing tayga:tayga iperf3:iperf3 nft:nftables wrk:wrk python3:python3 /usr/sbin/nginx:nginx-light
trap 'teardown; rm -rf "$WORK"' EXIT
build_v6xlatd
write_tayga_conf

cat >"$WORK/nat64.conf" <<EOF
tun-device nat64
ipv4-addr 203.0.113.1
ipv6-addr 2001:db8:ffff::1
prefix 64:ff9b::/96
pool4 203.0.113.1 1024-65534
max-sessions-per-host 1000000
EOF

mkdir -p "$WORK/www"
echo "hello through NAT64" >"$WORK/www/index.html"
cat >"$WORK/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 8192; }
http {
    access_log off;
    server {
        listen $SERVER4:80 reuseport backlog=4096;
        root $WORK/www;
    }
}
EOF

# The topology with the servers: nginx and iperf3 on s4.
topology_with_servers() {
    topology
    # Many short connections: the client's whole port range, and the
    # server's TIME_WAIT sockets reused for new connections.
    xh sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
    xs sysctl -qw net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096
    $NICE ip netns exec $NS_S4 /usr/sbin/nginx -c "$WORK/nginx.conf" &
    PIDS+=($!)
    $NICE ip netns exec $NS_S4 iperf3 -s -D -B $SERVER4 -I "$WORK/iperf3.pid" >/dev/null
    sleep 0.5
    PIDS+=("$(cat "$WORK/iperf3.pid")")
}

# measure NAME PID: the translator is running; prints one result line.
measure() {
    local name=$1 pid=$2
    wait_for_path
    local cps before after cpu up down rss
    before=$(cpu_ticks "$pid")
    cps=$(xh $NICE wrk -t 1 -c "$CONNS" -d "${DURATION}s" -H "Connection: close" "http://[$SERVER6]/" |
        awk '/^Requests\/sec:/ {printf "%.0f", $2}')
    after=$(cpu_ticks "$pid")
    # CPU time per connection, in µs: robust to other load on the machine.
    cpu=$(python3 -c 'import os,sys; print("%.1f" % ((int(sys.argv[2]) - int(sys.argv[1])) * 1e6 / os.sysconf("SC_CLK_TCK") / max(1, float(sys.argv[3]) * int(sys.argv[4]))))' \
        "$before" "$after" "${cps:-0}" "$DURATION")
    sleep 1
    up=$(tcp_gbps)
    down=$(tcp_gbps -R)
    rss=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$cps" "$cpu" "$up" "$down" "$((rss / 1024))"
}

# A metric of v6xlatd's (0 when absent).
metric() {
    xx curl -s -m 5 http://127.0.0.1:9464/metrics | awk -v m="$1" '$1 == m {print $2; f=1} END {if (!f) print 0}'
}

# UDP sessions from h6: N/2 source ports, each to two server ports; twice,
# so that a datagram lost on the way the first time makes its session the
# second.
SWEEP_PY='
import socket, sys
n = int(sys.argv[2]) // 2
for _ in range(2):
    for i in range(n):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", 10000 + i))
        for port in (9, 19):
            s.sendto(b"x", (sys.argv[1], port))
        s.close()
'

echo "| translator | TCP connections/s | translator CPU per connection (µs) | TCP 6→4 (Gbit/s) | TCP 4→6 (Gbit/s) | RSS (MiB) |"
echo "| --- | --- | --- | --- | --- | --- |"

# v6xlatd --mode nat64: the host's address is pool4; no masquerading.
topology_with_servers
xx "$V6XLATD" --mode nat64 -c "$WORK/nat64.conf" --mktun 2>/dev/null
tun_routes
ip -n $NS_X route add default dev nat64 table 64
for proto in tcp udp; do
    ip -n $NS_X rule add pref 100 to 203.0.113.1 ipproto $proto dport 1024-65534 lookup 64
done
ip -n $NS_X rule add pref 100 to 203.0.113.1 ipproto icmp lookup 64
ip -n $NS_X rule add pref 1000 lookup local
ip -n $NS_X rule del pref 0
xx sysctl -qw net.ipv4.conf.nat64.accept_local=1 net.ipv4.conf.nat64.rp_filter=0 net.ipv4.conf.all.rp_filter=0
$NICE ip netns exec $NS_X "$V6XLATD" --mode nat64 -c "$WORK/nat64.conf" --metrics 127.0.0.1:9464 ${V6XLATD_ARGS:-} 2>"$WORK/v6xlatd.log" &
V6PID=$!
PIDS+=($V6PID)
measure "v6xlatd --mode nat64 ($(nproc) workers)" $V6PID

# Memory per session: a fresh daemon, so that the sessions of the
# measurements above are not counted.
kill $V6PID
for _ in $(seq 50); do kill -0 $V6PID 2>/dev/null || break; sleep 0.1; done
$NICE ip netns exec $NS_X "$V6XLATD" --mode nat64 -c "$WORK/nat64.conf" --metrics 127.0.0.1:9464 ${V6XLATD_ARGS:-} 2>>"$WORK/v6xlatd.log" &
V6PID=$!
PIDS+=($V6PID)
wait_for_path
rss0=$(awk '/^VmRSS/ {print $2}' /proc/$V6PID/status)
s0=$(metric 'v6xlatd_nat64_sessions{protocol="udp"}')
xh python3 -c "$SWEEP_PY" $SERVER6 "$SESSIONS"
sleep 1
rss1=$(awk '/^VmRSS/ {print $2}' /proc/$V6PID/status)
s1=$(metric 'v6xlatd_nat64_sessions{protocol="udp"}')
bib=$(metric 'v6xlatd_nat64_bib_entries{protocol="udp"}')
teardown

# Tayga, its dynamic pool masqueraded by nftables.
topology_with_servers
xx tayga -c "$WORK/tayga.conf" --mktun >/dev/null
tun_routes 198.51.100.0/24
masquerade_pool
$NICE ip netns exec $NS_X tayga -c "$WORK/tayga.conf" -n 2>"$WORK/tayga.log" &
TPID=$!
PIDS+=($TPID)
measure "Tayga $(dpkg-query -W -f='${Version}' tayga) + nftables masquerade" $TPID
conntrack=$(awk '$1 == "nf_conntrack" {print $4}' /proc/slabinfo 2>/dev/null || true)
teardown

echo
python3 -c '
import sys
r0, r1, s0, s1, bib = (int(float(x)) for x in sys.argv[1:6])
n = s1 - s0
print("v6xlatd memory: %d UDP sessions (%d BIB entries) added %d KiB of resident memory: %.0f bytes per session"
      % (n, bib, r1 - r0, (r1 - r0) * 1024 / max(1, n)))' "$rss0" "$rss1" "$s0" "$s1" "$bib"
[[ -n $conntrack ]] && echo "kernel: a conntrack entry (nf_conntrack slab object) is $conntrack bytes"
echo "$(nproc) cores, kernel $(uname -r), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), iperf3 $(iperf3 --version | head -1 | cut -d' ' -f2), ${DURATION} s per measurement, $CONNS wrk connections."
