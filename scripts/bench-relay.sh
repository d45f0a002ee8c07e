#!/usr/bin/env bash
# Benchmark of `v6proxyd relay` against HAProxy (Debian's, TCP mode, routing
# by SNI with req_ssl_sni), in the end-to-end tests' topology: an IPv4-only
# client namespace, the host namespace running the relay, an IPv6-only
# backend namespace running nginx with TLS on 443.
#
#   client 192.0.2.2 --- 192.0.2.1 host 2001:db8:1::1 --- 2001:db8:1::10 backend
#
# Three measurements per relay, ROUNDS interleaved rounds, best round each:
#   keep-alive   wrk -c CONNS, HTTPS with keep-alive, 1 KiB responses
#   close        the same with "Connection: close": a new TCP and TLS
#                connection per request
#   bulk         curl downloading a 1 GiB file over HTTPS, one connection
# Both relays get two threads (the machine has two cores, which the client
# and the backend share). v6proxyd runs twice: with splice(2) (its default)
# and with --no-splice (copying through a buffer).
#
# The relay's CPU time per request (and per GB) is reported beside each
# figure: other load on the machine disturbs it less.
#
# Pass: v6proxyd (splice) has at least HAProxy's requests per second in both
# wrk runs and its bulk transfer rate (within 3%, the noise between rounds
# on this shared machine), and a 99th-percentile latency no worse (within
# 10%). Exits non-zero otherwise.
#
# Usage: scripts/bench-relay.sh [SECONDS] [ROUNDS]   (default 10, 3)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-3}
CONNS=${CONNS:-50}
NAME=bench.example.test
TAG=$$

install_missing() {
    local missing=()
    [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
    command -v wrk >/dev/null || missing+=(wrk)
    [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
    command -v curl >/dev/null || missing+=(curl)
    command -v openssl >/dev/null || missing+=(openssl)
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench-relay.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "bench-relay.sh: not installed: ${missing[*]} (run as root to install them)" >&2
        exit 2
    fi
}

[[ $(id -u) -eq 0 ]] || { echo "bench-relay.sh: needs root (network namespaces)" >&2; exit 2; }
install_missing
cargo build --release -p v6proxy --bin v6proxyd
V6PROXYD=$PWD/target/release/v6proxyd

WORK=$(mktemp -d)
C=v6k-bench-client-$TAG
H=v6k-bench-host-$TAG
B=v6k-bench-backend-$TAG
RELAY_PID=
cleanup() {
    disown -a 2>/dev/null || true
    [[ -n $RELAY_PID ]] && kill "$RELAY_PID" 2>/dev/null || true
    for ns in $C $H $B; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "/etc/netns/$C" "$WORK"
}
trap cleanup EXIT

# The topology.
for ns in $C $H $B; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
ip link add eth0 netns "$C" type veth peer name c0 netns "$H"
ip link add b0 netns "$H" type veth peer name eth0 netns "$B"
ip -n "$C" link set eth0 up
ip -n "$H" link set c0 up
ip -n "$H" link set b0 up
ip -n "$B" link set eth0 up
ip netns exec "$C" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
ip -n "$C" addr add 192.0.2.2/24 dev eth0
ip -n "$C" route add default via 192.0.2.1
ip -n "$H" addr add 192.0.2.1/24 dev c0
ip -n "$H" addr add 2001:db8:1::1/64 dev b0 nodad
ip -n "$B" addr add 2001:db8:1::10/64 dev eth0 nodad
ip -n "$B" -6 route add default via 2001:db8:1::1
# The client finds the name at the host's IPv4 address.
mkdir -p "/etc/netns/$C"
echo "192.0.2.1 $NAME" > "/etc/netns/$C/hosts"

# The backend: nginx with the site's certificate, which only it holds.
mkdir -p "$WORK/www"
head -c 1024 /dev/zero | tr '\0' 'x' > "$WORK/www/index.html"
truncate -s 1G "$WORK/www/bulk"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=$NAME" -addext "subjectAltName=DNS:$NAME" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat > "$WORK/nginx.conf" <<NGINX
user root;
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 8192; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 10000000;
    server {
        listen [2001:db8:1::10]:443 ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        root $WORK/www;
    }
}
NGINX
ip netns exec "$B" /usr/sbin/nginx -c "$WORK/nginx.conf" &

cat > "$WORK/haproxy.cfg" <<HAPROXY
global
    maxconn 8000
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 600s
    timeout server 600s
frontend tls
    bind 192.0.2.1:443
    tcp-request inspect-delay 5s
    tcp-request content accept if { req_ssl_hello_type 1 }
    use_backend web if { req_ssl_sni -i $NAME }
backend web
    server b1 [2001:db8:1::10]:443
HAPROXY

wait_listening() { # ns port
    for _ in $(seq 100); do
        [[ -n $(ip netns exec "$1" ss -Hltn "sport = :$2") ]] && return 0
        sleep 0.1
    done
    echo "bench-relay.sh: nothing listens on port $2 in $1" >&2
    exit 1
}
wait_listening "$B" 443

start_relay() { # haproxy | v6proxyd | v6proxyd-copy
    case $1 in
        haproxy) ip netns exec "$H" /usr/sbin/haproxy -q -f "$WORK/haproxy.cfg" & ;;
        v6proxyd*)
            local extra=()
            [[ $1 == v6proxyd-copy ]] && extra=(--no-splice)
            ip netns exec "$H" "$V6PROXYD" relay --workers 2 --listen 192.0.2.1:443 \
                --backend-prefix 2001:db8:1::/64 --route "$NAME=[2001:db8:1::10]:443" \
                "${extra[@]}" 2>/dev/null &
            ;;
    esac
    RELAY_PID=$!
    wait_listening "$H" 443
}
stop_relay() {
    kill "$RELAY_PID"
    wait "$RELAY_PID" 2>/dev/null || true
    RELAY_PID=
    while [[ -n $(ip netns exec "$H" ss -Hltn "sport = :443") ]]; do sleep 0.1; done
}

# The CPU time the relay has used, in clock ticks (user + system).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$RELAY_PID/stat"; }
TICK=$(getconf CLK_TCK)

# wrk's figures: requests/s, 99th percentile in ms, and the relay's CPU
# time per request in microseconds (which other load on the machine
# disturbs less than requests per second).
wrk_run() { # extra wrk args...
    local out before after
    before=$(cpu_ticks)
    out=$(ip netns exec "$C" wrk -t 1 -c "$CONNS" -d "${SECONDS_PER_RUN}s" --latency "$@" "https://$NAME/")
    after=$(cpu_ticks)
    local rps p99 reqs
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; print v}' <<<"$out")
    echo "$rps $p99 $(awk -v t=$((after - before)) -v n="$reqs" -v hz="$TICK" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')"
}
# MB/s of one 1 GiB download, and the relay's CPU seconds per GB.
bulk_run() {
    local before after speed
    before=$(cpu_ticks)
    speed=$(ip netns exec "$C" curl -s --cacert "$WORK/cert.pem" -o /dev/null -w '%{speed_download}' "https://$NAME/bulk")
    after=$(cpu_ticks)
    awk -v s="$speed" -v t=$((after - before)) -v hz="$TICK" 'BEGIN {printf "%.1f %.2f\n", s / 1e6, t / hz / 1.073741824}'
}

declare -A KA_RPS KA_P99 KA_CPU CL_RPS CL_P99 CL_CPU BULK BULK_CPU
RELAYS=(haproxy v6proxyd v6proxyd-copy)
for r in "${RELAYS[@]}"; do
    KA_RPS[$r]=0; CL_RPS[$r]=0; BULK[$r]=0
    KA_P99[$r]=inf; CL_P99[$r]=inf; KA_CPU[$r]=inf; CL_CPU[$r]=inf; BULK_CPU[$r]=inf
done
better() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
lower() { [[ $2 == inf ]] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

for round in $(seq "$ROUNDS"); do
    # Alternate the order, so that neither relay always runs first.
    order=("${RELAYS[@]}")
    ((round % 2)) || order=(v6proxyd-copy v6proxyd haproxy)
    for r in "${order[@]}"; do
        start_relay "$r"
        read -r rps p99 cpu < <(wrk_run)
        echo "round $round $r keep-alive: $rps req/s, p99 $p99 ms, $cpu us CPU/request"
        better "$rps" "${KA_RPS[$r]}" && KA_RPS[$r]=$rps
        lower "$p99" "${KA_P99[$r]}" && KA_P99[$r]=$p99
        lower "$cpu" "${KA_CPU[$r]}" && KA_CPU[$r]=$cpu
        read -r rps p99 cpu < <(wrk_run -H "Connection: close")
        echo "round $round $r close:      $rps req/s, p99 $p99 ms, $cpu us CPU/request"
        better "$rps" "${CL_RPS[$r]}" && CL_RPS[$r]=$rps
        lower "$p99" "${CL_P99[$r]}" && CL_P99[$r]=$p99
        lower "$cpu" "${CL_CPU[$r]}" && CL_CPU[$r]=$cpu
        read -r mbs cpu < <(bulk_run)
        echo "round $round $r bulk:       $mbs MB/s, $cpu CPU s/GB"
        better "$mbs" "${BULK[$r]}" && BULK[$r]=$mbs
        lower "$cpu" "${BULK_CPU[$r]}" && BULK_CPU[$r]=$cpu
        stop_relay
    done
done

echo
echo "Best of $ROUNDS rounds each (CPU: the relay's user + system time)."
echo
echo "| relay | keep-alive req/s | p99 | CPU/req | new connection req/s | p99 | CPU/req | bulk MB/s | CPU s/GB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for r in "${RELAYS[@]}"; do
    echo "| $r | ${KA_RPS[$r]} | ${KA_P99[$r]} ms | ${KA_CPU[$r]} us | ${CL_RPS[$r]} | ${CL_P99[$r]} ms | ${CL_CPU[$r]} us | ${BULK[$r]} | ${BULK_CPU[$r]} |"
done

ok=1
at_least() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { exit !(a + 0 >= (b + 0) * t) }'; }
at_least "${KA_RPS[v6proxyd]}" "${KA_RPS[haproxy]}" 0.97 || { echo "MISSED: keep-alive requests/s"; ok=0; }
at_least "${CL_RPS[v6proxyd]}" "${CL_RPS[haproxy]}" 0.97 || { echo "MISSED: new-connection requests/s"; ok=0; }
at_least "${BULK[v6proxyd]}" "${BULK[haproxy]}" 0.97 || { echo "MISSED: bulk transfer rate"; ok=0; }
at_least "${KA_P99[haproxy]}" "${KA_P99[v6proxyd]}" 0.9 || { echo "MISSED: keep-alive p99 latency"; ok=0; }
at_least "${CL_P99[haproxy]}" "${CL_P99[v6proxyd]}" 0.9 || { echo "MISSED: new-connection p99 latency"; ok=0; }
((ok)) && echo "bench-relay.sh: targets met" || { echo "bench-relay.sh: targets missed"; exit 1; }
