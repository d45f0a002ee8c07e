#!/usr/bin/env bash
# v6xlatd against Tayga, on the same topology and the same tayga.conf:
#
#   h6 (IPv6 only, iperf3/ping client) --veth-- x (translator on TUN "nat64",
#   pool masqueraded by nftables) --veth-- s4 (IPv4 only, iperf3 server)
#
# For each translator, in one run: TCP throughput for DURATION seconds each
# way (iperf3), the rate of small UDP packets (iperf3 -u, 64-byte payloads,
# 4 streams, unlimited rate: the packets the translator delivers towards
# the server count, and what the receiving iperf3 kept up with is shown
# beside), ping latency through the translator, and the translator's
# resident memory. The CPU time each process spent per delivered UDP
# packet is shown too: unlike the rates, it hardly moves with other load.
#
# Needs root. Installs tayga, iperf3 and nftables from Debian if missing.
# Everything it creates (namespaces, interfaces, processes) is removed at
# the end, also on failure. Traffic stays inside the namespaces: the
# server's address 192.88.99.1 (a deprecated block, RFC 7526, chosen
# because 64:ff9b::/96 only embeds global IPv4 addresses) exists only there.
#
# Usage: scripts/bench-nat64.sh            (DURATION=10 by default;
#        V6XLATD_ARGS="--workers 1" to pass v6xlatd more arguments)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
# The offered UDP load: streams, and bits per second for each.
UDP_STREAMS=${UDP_STREAMS:-4}
UDP_RATE=${UDP_RATE:-0}
# The machine may be shared: the translators and iperf3 run at a higher
# priority than the rest, the same for both translators.
NICE="nice -n ${NICENESS:--10}"
NS_H6=bn64-h6 NS_X=bn64-x NS_S4=bn64-s4
WORK=$(mktemp -d /tmp/bench-nat64.XXXXXX)
PIDS=()
# shellcheck source=scripts/lib-nat64.sh
. scripts/lib-nat64.sh

need_root bench-nat64.sh
install_missing tayga:tayga iperf3:iperf3 nft:nftables python3:python3
trap 'teardown; rm -rf "$WORK"' EXIT
build_v6xlatd
write_tayga_conf

# UDP datagrams that reached the server's UDP layer, whether or not the
# receiving iperf3 kept up (InDatagrams + InErrors of /proc/net/snmp):
# what the translator delivered.
udp_arrived() {
    xs awk '/^Udp: [0-9]/ {print $2 + $4; exit}' /proc/net/snmp
}

# measure NAME PID: the translator is running; prints one result line.
measure() {
    local name=$1 pid=$2
    wait_for_path
    # Bound to the address the client asks for, so that UDP answers leave
    # from it and the masquerading recognises them.
    $NICE ip netns exec $NS_S4 iperf3 -s -D -B $SERVER4 -I "$WORK/iperf3.pid" >/dev/null
    sleep 0.5
    PIDS+=("$(cat "$WORK/iperf3.pid")")
    local up down udp udp_out lat before after cpu_before cpu_after cpu_pp
    # Latency first, on an idle path: min/median/avg of 500 pings 10 ms
    # apart (the median shrugs off the other load on a shared machine).
    lat=$(xh $NICE ping -c 500 -i 0.01 $SERVER6 | python3 -c '
import re, statistics, sys
t = [float(m) for m in re.findall(r"time=([0-9.]+)", sys.stdin.read())]
print("%.3f / %.3f / %.3f" % (min(t), statistics.median(t), statistics.mean(t)))')
    up=$(tcp_gbps)
    down=$(tcp_gbps -R)
    # Sampled from the second second to the last but one, so that start
    # and end of the flows stay out: packets delivered, and the CPU time
    # of the translator, the sending and the receiving iperf3 in between.
    $NICE ip netns exec $NS_H6 iperf3 -c $SERVER6 -u -b "$UDP_RATE" -l 64 -w 4M -P "$UDP_STREAMS" -t "$DURATION" -J >"$WORK/udp.json" &
    local client=$! server
    server=$(cat "$WORK/iperf3.pid")
    sleep 1
    before=$(udp_arrived)
    cpu_before="$(cpu_ticks "$pid") $(cpu_ticks "$client") $(cpu_ticks "$server")"
    sleep $((DURATION - 2))
    after=$(udp_arrived)
    cpu_after="$(cpu_ticks "$pid") $(cpu_ticks "$client") $(cpu_ticks "$server")"
    wait "$client" || true
    udp_out=$(( (after - before) / (DURATION - 2) ))
    # CPU time (user + system, all threads) per delivered packet, in µs:
    # what a packet costs each process, whatever else runs on the machine.
    # Kernel work is charged to the process in whose system call it runs:
    # the client's send carries the packet up to the TUN queue, the
    # translator's write carries it on to the server's socket.
    cpu_pp=$(python3 -c '
import os, sys
b, a, n = sys.argv[1].split(), sys.argv[2].split(), max(1, int(sys.argv[3]))
us = [(int(y) - int(x)) * 1e6 / os.sysconf("SC_CLK_TCK") / n for x, y in zip(b, a)]
print("%.1f / %.1f / %.1f" % tuple(us))' "$cpu_before" "$cpu_after" "$((after - before))")
    udp=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if "error" in j:
    sys.exit("iperf3: " + j["error"])
e = j["end"]["sum"]
print("%.0f" % ((e["packets"] - e["lost_packets"]) / e["seconds"]))' "$WORK/udp.json")
    local rss hwm
    rss=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
    hwm=$(awk '/^VmHWM/ {print $2}' /proc/"$pid"/status)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s |\n' "$name" "$up" "$down" "$udp_out" "$cpu_pp" "$udp" "$lat" \
        "$((rss / 1024))" "$((hwm / 1024))"
}

echo "| translator | TCP 6→4 (Gbit/s) | TCP 4→6 (Gbit/s) | UDP 64 B delivered (packets/s) | CPU per UDP packet: translator / client / server (µs) | UDP 64 B received by iperf3 (packets/s) | ping min / median / avg (ms) | RSS / peak (MiB) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"

# v6xlatd
topology
masquerade_pool
xx "$V6XLATD" -c "$WORK/tayga.conf" --mktun 2>/dev/null
tun_routes 198.51.100.0/24
$NICE ip netns exec $NS_X "$V6XLATD" -c "$WORK/tayga.conf" ${V6XLATD_ARGS:-} 2>"$WORK/v6xlatd.log" &
PIDS+=($!)
measure "v6xlatd ${V6XLATD_ARGS:-$(nproc) workers}" $!
teardown
rm -rf "$WORK/data"/*

# Tayga, same configuration file.
topology
masquerade_pool
xx tayga -c "$WORK/tayga.conf" --mktun >/dev/null
tun_routes 198.51.100.0/24
$NICE ip netns exec $NS_X tayga -c "$WORK/tayga.conf" -n 2>"$WORK/tayga.log" &
PIDS+=($!)
measure "Tayga $(dpkg-query -W -f='${Version}' tayga)" $!
teardown

echo
echo "$(nproc) cores, kernel $(uname -r), iperf3 $(iperf3 --version | head -1 | cut -d' ' -f2), ${DURATION} s per measurement."
