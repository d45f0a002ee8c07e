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
SERVER4=192.88.99.1
SERVER6=64:ff9b::192.88.99.1
NS_H6=bn64-h6 NS_X=bn64-x NS_S4=bn64-s4
WORK=$(mktemp -d /tmp/bench-nat64.XXXXXX)
PIDS=()

if [[ $(id -u) -ne 0 ]]; then
    echo "bench-nat64.sh: needs root (network namespaces)" >&2
    exit 2
fi
missing=()
for tool in tayga:tayga iperf3:iperf3 nft:nftables python3:python3; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

teardown() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    PIDS=()
    for ns in $NS_H6 $NS_X $NS_S4; do
        ip netns del "$ns" 2>/dev/null || true
    done
}
trap 'teardown; rm -rf "$WORK"' EXIT

cargo build --release -q -p v6xlat --bin v6xlatd
V6XLATD=${CARGO_TARGET_DIR:-$PWD/target}/release/v6xlatd

cat >"$WORK/tayga.conf" <<EOF
tun-device nat64
ipv4-addr 198.51.100.1
ipv6-addr 2001:db8:ffff::1
prefix 64:ff9b::/96
dynamic-pool 198.51.100.0/24
data-dir $WORK/data
EOF
mkdir -p "$WORK/data"

xh() { ip netns exec $NS_H6 "$@"; }
xx() { ip netns exec $NS_X "$@"; }
xs() { ip netns exec $NS_S4 "$@"; }

topology() {
    for ns in $NS_H6 $NS_X $NS_S4; do
        ip netns add $ns
        ip -n $ns link set lo up
    done
    ip link add eth0 netns $NS_H6 type veth peer name v6 netns $NS_X
    ip link add eth0 netns $NS_S4 type veth peer name v4 netns $NS_X
    ip -n $NS_H6 link set eth0 up
    ip -n $NS_X link set v6 up
    ip -n $NS_X link set v4 up
    ip -n $NS_S4 link set eth0 up
    ip -n $NS_H6 addr add 2001:db8:1::2/64 dev eth0 nodad
    ip -n $NS_H6 -6 route add default via 2001:db8:1::1
    ip -n $NS_X addr add 2001:db8:1::1/64 dev v6 nodad
    ip -n $NS_X addr add 203.0.113.1/24 dev v4
    ip -n $NS_S4 addr add 203.0.113.2/24 dev eth0
    ip -n $NS_S4 addr add $SERVER4/32 dev lo
    ip -n $NS_S4 route add default via 203.0.113.1
    xx sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
    ip -n $NS_X route add 192.88.99.0/24 via 203.0.113.2
    xx nft -f - <<'EOF'
table ip bench {
  chain post {
    type nat hook postrouting priority 100;
    ip saddr 198.51.100.0/24 oifname "v4" masquerade
  }
}
EOF
}

tun_routes() {
    ip -n $NS_X link set nat64 up
    ip -n $NS_X route add 64:ff9b::/96 dev nat64
    ip -n $NS_X route add 2001:db8:ffff::1/128 dev nat64
    ip -n $NS_X route add 198.51.100.0/24 dev nat64
}

# UDP datagrams that reached the server's UDP layer, whether or not the
# receiving iperf3 kept up (InDatagrams + InErrors of /proc/net/snmp):
# what the translator delivered.
udp_arrived() {
    ip netns exec $NS_S4 awk '/^Udp: [0-9]/ {print $2 + $4; exit}' /proc/net/snmp
}

# The CPU time of process PID so far (user + system, all its threads), in
# clock ticks.
cpu_ticks() {
    awk '{print $14 + $15}' /proc/"$1"/stat
}

# measure NAME PID: the translator is running; prints one result line.
measure() {
    local name=$1 pid=$2
    for _ in $(seq 50); do
        xh ping -c 1 -W 1 $SERVER6 >/dev/null 2>&1 && break
        sleep 0.1
    done
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
    up=$(xh $NICE iperf3 -c $SERVER6 -t "$DURATION" -J | python3 -c \
        'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
    down=$(xh $NICE iperf3 -c $SERVER6 -t "$DURATION" -R -J | python3 -c \
        'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
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
print("%.1f | %.1f | %.1f" % tuple(us))' "$cpu_before" "$cpu_after" "$((after - before))")
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
xx "$V6XLATD" -c "$WORK/tayga.conf" --mktun 2>/dev/null
tun_routes
$NICE ip netns exec $NS_X "$V6XLATD" -c "$WORK/tayga.conf" ${V6XLATD_ARGS:-} 2>"$WORK/v6xlatd.log" &
PIDS+=($!)
measure "v6xlatd ${V6XLATD_ARGS:-$(nproc) workers}" $!
teardown
rm -rf "$WORK/data"/*

# Tayga, same configuration file.
topology
xx tayga -c "$WORK/tayga.conf" --mktun >/dev/null
tun_routes
$NICE ip netns exec $NS_X tayga -c "$WORK/tayga.conf" -n 2>"$WORK/tayga.log" &
PIDS+=($!)
measure "Tayga $(dpkg-query -W -f='${Version}' tayga)" $!
teardown

echo
echo "$(nproc) cores, kernel $(uname -r), iperf3 $(iperf3 --version | head -1 | cut -d' ' -f2), ${DURATION} s per measurement."
