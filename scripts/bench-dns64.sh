#!/usr/bin/env bash
# Benchmark of v6dns64d against Unbound's DNS64 module (module-config
# "dns64 iterator"): dnsperf sends the same query mix to each, both
# forwarding to the same upstream authority (the v6dns64 `authority`
# example serving a generated zone), on loopback.
#
# Throughput: dnsperf at full speed (OUTSTANDING queries in flight,
# default 100, dnsperf's own default), ROUNDS interleaved runs per server
# of PASSES passes through the 1,800-query mix, after a warm-up pass, best
# run each. The CPU time each server used (from /proc) is reported per
# query, a figure other load on the machine disturbs less than queries per
# second; so is dnsperf's own CPU time per query (client CPU), which bounds
# the queries per second when client and servers share the machine's
# cores; so is the part of v6dns64d's CPU time spent in the kernel, and
# the queries-per-second ratio that CPU per query would allow with no time
# at all in v6dns64d's own code. Latency: one run per server at a fixed
# rate (half of Unbound's best), every query's latency recorded
# (dnsperf -v), 99th percentile.
# The load average is printed before and after, since other work on the
# machine moves every figure but the CPU times.
# Both servers get a 4 MB receive buffer; V6_WORKERS sets v6dns64d's
# workers, each with a socket of its own (default: as many as Unbound's
# num-threads, which also reads one SO_REUSEPORT socket per thread).
#
# Pass: v6dns64d answers at least 1.5 times Unbound's queries per second,
# loses no query, and has the lower 99th-percentile latency. Exits
# non-zero otherwise.
#
# Usage: scripts/bench-dns64.sh [PASSES] [ROUNDS]   (default 400, 3)
set -euo pipefail
cd "$(dirname "$0")/.."

PASSES=${1:-400}
ROUNDS=${2:-3}
MIN_RATIO=1.5
AUTH_PORT=${AUTH_PORT:-53530}
UNBOUND_PORT=${UNBOUND_PORT:-53531}
V6_PORT=${V6_PORT:-53532}
THREADS=2 # both servers: one thread per core of the build machine

install_missing() {
    local missing=()
    command -v dnsperf >/dev/null || missing+=(dnsperf)
    [[ -x /usr/sbin/unbound ]] || missing+=(unbound)
    command -v dig >/dev/null || missing+=(dnsutils)
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench-dns64.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "bench-dns64.sh: not installed: ${missing[*]} (run as root to install them)" >&2
        exit 2
    fi
}

install_missing
cargo build --release -p v6dns64 --bin v6dns64d --example authority
V6DNS64D=target/release/v6dns64d
AUTHORITY=target/release/examples/authority

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The zone: 1000 IPv4-only names, 200 dual-stack names, 200 CNAMEs to
# IPv4-only names; and the reverse zone of 192.0.2.0/24.
{
    echo '$ORIGIN bench.example.'
    echo '$TTL 3600'
    echo '@ IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 3600'
    echo '@ NS ns'
    echo 'ns A 127.0.0.1'
    for i in $(seq 0 999); do echo "v4-$i A 198.51.$((i / 250)).$((i % 250 + 1))"; done
    for i in $(seq 0 199); do
        echo "dual-$i A 203.0.113.$((i + 1))"
        echo "dual-$i AAAA 2001:db8::$((i + 1))"
    done
    for i in $(seq 0 199); do echo "alias-$i CNAME v4-$((i * 5))"; done
} >"$WORK/bench.zone"
{
    echo '$ORIGIN 2.0.192.in-addr.arpa.'
    echo '$TTL 3600'
    echo '@ IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 86400 3600'
    echo '@ NS ns.bench.example.'
    for i in $(seq 1 254); do echo "$i PTR host-$i.bench.example."; done
} >"$WORK/reverse.zone"

# The query mix: mostly AAAA for IPv4-only names (synthesized), then
# dual-stack AAAA, CNAME chains, A, NXDOMAIN and PTR under the prefix.
{
    for i in $(seq 0 999); do echo "v4-$i.bench.example. AAAA"; done
    for i in $(seq 0 199); do echo "dual-$i.bench.example. AAAA"; done
    for i in $(seq 0 199); do echo "alias-$i.bench.example. AAAA"; done
    for i in $(seq 0 199); do echo "v4-$i.bench.example. A"; done
    for i in $(seq 0 99); do echo "missing-$i.bench.example. AAAA"; done
    for i in $(seq 1 100); do
        printf '%s2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa. PTR\n' \
            "$(printf '%02x' "$i" | rev | sed 's/./&./g')"
    done
} | awk 'BEGIN{srand(6147)} {print rand() "\t" $0}' | sort -k1,1 | cut -f2- >"$WORK/queries.txt"
# (The PTR names above are for 64:ff9b::c000:2NN, that is 192.0.2.N.)

"$AUTHORITY" "127.0.0.1:$AUTH_PORT" "$WORK/bench.zone" "$WORK/reverse.zone" 2>"$WORK/authority.log" &
PIDS+=($!)

cat >"$WORK/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $UNBOUND_PORT
    num-threads: $THREADS
    so-reuseport: yes
    so-rcvbuf: 4m
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$WORK"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    module-config: "dns64 iterator"
    dns64-prefix: 64:ff9b::/96
    qname-minimisation: no
    msg-cache-size: 64m
    rrset-cache-size: 128m
    num-queries-per-thread: 4096
    local-zone: "2.0.192.in-addr.arpa." nodefault
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$AUTH_PORT
remote-control:
    control-enable: no
CONF
unbound -d -c "$WORK/unbound.conf" &
PIDS+=($!)
UNBOUND_PID=$!

"$V6DNS64D" --listen "127.0.0.1:$V6_PORT" --upstream "127.0.0.1:$AUTH_PORT" \
    --allow 127.0.0.0/8 --workers "${V6_WORKERS:-$THREADS}" --cache-size 100000 2>"$WORK/v6dns64d.log" &
PIDS+=($!)
V6_PID=$!

wait_ready() {
    for _ in $(seq 100); do
        dig +time=1 +tries=1 @127.0.0.1 -p "$1" v4-1.bench.example. AAAA 2>/dev/null | grep -q "64:ff9b::c633:2" && return 0
        sleep 0.1
    done
    echo "bench-dns64.sh: the server on port $1 did not answer" >&2
    exit 1
}
wait_ready "$UNBOUND_PORT"
wait_ready "$V6_PORT"

# Both must give the same answers for the mix before they are timed.
for q in "v4-7.bench.example. AAAA" "alias-3.bench.example. AAAA" "dual-9.bench.example. AAAA"; do
    # shellcheck disable=SC2086
    a=$(dig +short @127.0.0.1 -p "$UNBOUND_PORT" $q | sort)
    # shellcheck disable=SC2086
    b=$(dig +short @127.0.0.1 -p "$V6_PORT" $q | sort)
    if [[ "$a" != "$b" ]]; then
        echo "bench-dns64.sh: answers differ for $q: unbound [$a] v6dns64d [$b]" >&2
        exit 1
    fi
done

perf() { # port, extra dnsperf arguments…
    local port=$1
    shift
    dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/queries.txt" -c 8 -T 2 -q "${OUTSTANDING:-100}" -t 2 "$@" 2>&1
}
field() { # output, label
    sed -n "s/^ *$2: *\([0-9.]*\).*/\1/p" <<<"$1" | head -1
}

# Warm-up: every name in each cache.
perf "$UNBOUND_PORT" -n 2 >/dev/null
perf "$V6_PORT" -n 2 >/dev/null

# CPU time (user + system, in clock ticks) a process has used.
ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat"
}
# The system (kernel) part of it.
sys_ticks() {
    awk '{print $15}' "/proc/$1/stat"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# CPU time (user + system, in seconds) of the commands a shell has run,
# from the last line of the `times` builtin: "0m1.234s 0m0.567s".
children_seconds() {
    awk '{gsub(/s/, ""); split($1, u, "m"); split($2, s, "m"); print u[1] * 60 + u[2] + s[1] * 60 + s[2]}'
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
best_ub=0 best_v6=0 lost_ub=0 lost_v6=0 cpu_ub=0 cpu_v6=0 sent_ub=0 sent_v6=0 sys_v6=0
client_ub=0 client_v6=0
for round in $(seq "$ROUNDS"); do
    for who in unbound v6dns64d; do
        port=$UNBOUND_PORT pid=$UNBOUND_PID
        [[ $who == v6dns64d ]] && port=$V6_PORT pid=$V6_PID
        before=$(ticks "$pid") sys_before=$(sys_ticks "$pid")
        out=$(
            perf "$port" -n "$PASSES"
            times
        )
        used=$(($(ticks "$pid") - before)) sys_used=$(($(sys_ticks "$pid") - sys_before))
        client=$(tail -1 <<<"$out" | children_seconds)
        qps=$(field "$out" "Queries per second")
        lost=$(field "$out" "Queries lost")
        sent=$(field "$out" "Queries sent")
        printf 'round %d %-9s %12.0f q/s  lost %s  server CPU %.2f us/query  client CPU %.2f us/query\n' \
            "$round" "$who" "$qps" "$lost" \
            "$(awk -v t="$used" -v u="$TICK_US" -v n="$sent" 'BEGIN{print t * u / n}')" \
            "$(awk -v c="$client" -v n="$sent" 'BEGIN{print c * 1e6 / n}')"
        if [[ $who == unbound ]]; then
            lost_ub=$((lost_ub + lost)) cpu_ub=$((cpu_ub + used)) sent_ub=$((sent_ub + sent))
            client_ub=$(awk -v a="$client_ub" -v b="$client" 'BEGIN{print a + b}')
            awk -v a="$qps" -v b="$best_ub" 'BEGIN{exit !(a > b)}' && best_ub=$qps
        else
            lost_v6=$((lost_v6 + lost)) cpu_v6=$((cpu_v6 + used)) sent_v6=$((sent_v6 + sent))
            sys_v6=$((sys_v6 + sys_used))
            client_v6=$(awk -v a="$client_v6" -v b="$client" 'BEGIN{print a + b}')
            awk -v a="$qps" -v b="$best_v6" 'BEGIN{exit !(a > b)}' && best_v6=$qps
        fi
    done
done
us_per_query() { # ticks, queries
    awk -v t="$1" -v u="$TICK_US" -v n="$2" 'BEGIN{printf "%.2f", t * u / n}'
}

# Latency at a fixed rate both can sustain: half of Unbound's best.
rate=$(awk -v q="$best_ub" 'BEGIN{printf "%d", q / 2}')
p99() { # port
    perf "$1" -n "$((PASSES / 4 + 1))" -Q "$rate" -v | awk '/^> /{print $NF}' | sort -g |
        awk '{v[NR]=$1} END{i=int(NR*0.99); if (i < 1) i = 1; printf "%.3f", v[i] * 1000}'
}
p99_ub=$(p99 "$UNBOUND_PORT")
p99_v6=$(p99 "$V6_PORT")

ratio=$(awk -v a="$best_v6" -v b="$best_ub" 'BEGIN{printf "%.2f", a / b}')
client_us() { # seconds, queries
    awk -v c="$1" -v n="$2" 'BEGIN{printf "%.2f", c * 1e6 / n}'
}
cpu_v6_us=$(us_per_query "$cpu_v6" "$sent_v6") cpu_ub_us=$(us_per_query "$cpu_ub" "$sent_ub")
client_v6_us=$(client_us "$client_v6" "$sent_v6") client_ub_us=$(client_us "$client_ub" "$sent_ub")
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| | queries/s (best of $ROUNDS runs of $((PASSES * 1800)) queries) | lost | p99 latency at $rate q/s | server CPU per query | dnsperf CPU per query |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '| v6dns64d | %.0f | %d | %s ms | %s µs | %s µs |\n' "$best_v6" "$lost_v6" "$p99_v6" "$cpu_v6_us" \
    "$client_v6_us"
printf '| Unbound %s (dns64 iterator) | %.0f | %d | %s ms | %s µs | %s µs |\n' \
    "$(unbound -V | sed -n 's/^Version //p')" "$best_ub" "$lost_ub" "$p99_ub" "$cpu_ub_us" \
    "$client_ub_us"
printf '| ratio v6dns64d / Unbound | %s (target ≥ %s) | | %s | %s | |\n' "$ratio" "$MIN_RATIO" \
    "$(awk -v a="$p99_v6" -v b="$p99_ub" 'BEGIN{printf "%.2f", a / b}')" \
    "$(awk -v a="$cpu_v6_us" -v b="$cpu_ub_us" 'BEGIN{printf "%.2f", a / b}')"

# dnsperf and the server share the cores, so the queries per second follow
# the CPU the pair spends per query. The kernel's part of v6dns64d's time
# (receiving the queries, sending the replies, which on loopback includes
# queueing them on dnsperf's sockets) is what no change in v6dns64d's own
# code removes: the ratio it would reach if it spent no time in user space.
bound() { # v6dns64d's CPU per query (µs)
    awk -v a="$client_ub_us" -v b="$cpu_ub_us" -v c="$client_v6_us" -v d="$1" \
        'BEGIN{printf "%.2f", (a + b) / (c + d)}'
}
sys_v6_us=$(us_per_query "$sys_v6" "$sent_v6")
echo
echo "v6dns64d's kernel time per query: $sys_v6_us µs of $cpu_v6_us µs"
echo "queries/s ratio bounded by CPU per query (dnsperf + server):" \
    "$(bound "$cpu_v6_us") now, $(bound "$sys_v6_us") with no user-space time in v6dns64d"

fail=0
awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN{exit !(r >= m)}' || { echo "FAIL: ratio $ratio < $MIN_RATIO"; fail=1; }
((lost_v6 == 0)) || { echo "FAIL: v6dns64d lost $lost_v6 queries"; fail=1; }
awk -v a="$p99_v6" -v b="$p99_ub" 'BEGIN{exit !(a < b)}' || { echo "FAIL: p99 $p99_v6 ms is not below Unbound's $p99_ub ms"; fail=1; }
exit "$fail"
