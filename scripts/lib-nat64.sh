# What the NAT64 benchmarks (scripts/bench-nat64.sh and
# scripts/bench-nat64-stateful.sh) share: sourced by them, not run.
#
#   h6 (IPv6 only) --veth-- x (translator on TUN "nat64") --veth-- s4 (IPv4 only)
#
# The script that sources this sets NS_H6, NS_X, NS_S4 (the namespaces'
# names), WORK (a scratch directory), PIDS (the processes to stop at the
# end) and NICE. Traffic stays inside the namespaces: the server's address
# 192.88.99.1 (a deprecated block, RFC 7526, chosen because 64:ff9b::/96
# only embeds global IPv4 addresses) exists only there.

SERVER4=192.88.99.1
SERVER6=64:ff9b::192.88.99.1

# need_root SCRIPT: exits 2 unless run as root.
need_root() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "$1: needs root (network namespaces)" >&2
        exit 2
    fi
}

# install_missing COMMAND:PACKAGE...: installs from Debian the package of
# each command that is not there.
install_missing() {
    local missing=() tool
    for tool in "$@"; do
        command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
    done
    if ((${#missing[@]})); then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Stops the processes of PIDS (each has five seconds) and removes the
# namespaces with their interfaces.
teardown() {
    local pid ns
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    PIDS=()
    for ns in $NS_H6 $NS_X $NS_S4; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

# Builds v6xlatd and sets V6XLATD to the binary.
build_v6xlatd() {
    cargo build --release -q -p v6xlat --bin v6xlatd
    V6XLATD=${CARGO_TARGET_DIR:-$PWD/target}/release/v6xlatd
}

# Writes $WORK/tayga.conf, the stateless configuration both translators
# read, with its dynamic pool 198.51.100.0/24.
write_tayga_conf() {
    cat >"$WORK/tayga.conf" <<EOF
tun-device nat64
ipv4-addr 198.51.100.1
ipv6-addr 2001:db8:ffff::1
prefix 64:ff9b::/96
dynamic-pool 198.51.100.0/24
data-dir $WORK/data
EOF
    mkdir -p "$WORK/data"
}

xh() { ip netns exec "$NS_H6" "$@"; }
xx() { ip netns exec "$NS_X" "$@"; }
xs() { ip netns exec "$NS_S4" "$@"; }

# The namespaces, the veth pairs between them, their addresses and routes;
# x forwards both ways.
topology() {
    local ns
    for ns in $NS_H6 $NS_X $NS_S4; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    ip link add eth0 netns "$NS_H6" type veth peer name v6 netns "$NS_X"
    ip link add eth0 netns "$NS_S4" type veth peer name v4 netns "$NS_X"
    ip -n "$NS_H6" link set eth0 up
    ip -n "$NS_X" link set v6 up
    ip -n "$NS_X" link set v4 up
    ip -n "$NS_S4" link set eth0 up
    ip -n "$NS_H6" addr add 2001:db8:1::2/64 dev eth0 nodad
    ip -n "$NS_H6" -6 route add default via 2001:db8:1::1
    ip -n "$NS_X" addr add 2001:db8:1::1/64 dev v6 nodad
    ip -n "$NS_X" addr add 203.0.113.1/24 dev v4
    ip -n "$NS_S4" addr add 203.0.113.2/24 dev eth0
    ip -n "$NS_S4" addr add $SERVER4/32 dev lo
    ip -n "$NS_S4" route add default via 203.0.113.1
    xx sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
    ip -n "$NS_X" route add 192.88.99.0/24 via 203.0.113.2
}

# nftables masquerades the dynamic pool of tayga.conf behind x's IPv4
# address, as on a Tayga host.
masquerade_pool() {
    xx nft -f - <<'EOF'
table ip bench {
  chain post {
    type nat hook postrouting priority 100;
    ip saddr 198.51.100.0/24 oifname "v4" masquerade
  }
}
EOF
}

# tun_routes [POOL]: brings the TUN device up and routes the NAT64 prefix
# and the translator's IPv6 address into it, and POOL when given.
tun_routes() {
    ip -n "$NS_X" link set nat64 up
    ip -n "$NS_X" route add 64:ff9b::/96 dev nat64
    ip -n "$NS_X" route add 2001:db8:ffff::1/128 dev nat64
    if [[ -n ${1:-} ]]; then
        ip -n "$NS_X" route add "$1" dev nat64
    fi
}

# Waits up to about five seconds for the server to answer a ping through
# the translator.
wait_for_path() {
    for _ in $(seq 50); do
        xh ping -c 1 -W 1 $SERVER6 >/dev/null 2>&1 && break
        sleep 0.1
    done
}

# The CPU time of process PID so far (user + system, all its threads), in
# clock ticks.
cpu_ticks() {
    awk '{print $14 + $15}' /proc/"$1"/stat
}

# tcp_gbps [-R]: TCP throughput through the translator for DURATION
# seconds (iperf3, one stream, to the iperf3 server on s4), from h6 to s4
# or with -R the other way, in Gbit/s.
tcp_gbps() {
    xh $NICE iperf3 -c $SERVER6 -t "$DURATION" "$@" -J | python3 -c \
        'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
