#!/usr/bin/env bash
# Benchmark of `v6 split` against `sipcalc -S`: one million /80s of a /60,
# printed as ranges, to /dev/null.
#
# Pass: v6 takes at most a tenth of sipcalc's time (median of interleaved
# runs) and stays under 4 MB of resident memory. Exits non-zero otherwise.
#
# Usage: scripts/bench-cli.sh [REPETITIONS]   (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${1:-7}
PREFIX=2001:db8:100::/60
LEN=80
MAX_RATIO=0.1
MAX_RSS_KB=4096

install_missing() {
    local missing=()
    command -v sipcalc >/dev/null || missing+=(sipcalc)
    [[ -x /usr/bin/time ]] || missing+=(time)
    ((${#missing[@]})) || return 0
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench-cli.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "bench-cli.sh: not installed: ${missing[*]} (run as root to install them)" >&2
        exit 2
    fi
}

install_missing
cargo build --release -p v6cli --bin v6
V6=target/release/v6

# Wall-clock nanoseconds of one run of "$@" with stdout to /dev/null.
nanoseconds() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $((end - start))
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# The two outputs must describe the same subnets before they are timed.
lines=$("$V6" split "$PREFIX" "$LEN" --range | wc -l)
[[ $lines -eq 1048576 ]] || { echo "bench-cli.sh: v6 printed $lines subnets, not 1048576" >&2; exit 1; }

v6_times=()
sipcalc_times=()
for ((i = 0; i < REPS; i++)); do
    v6_times+=("$(nanoseconds "$V6" split "$PREFIX" "$LEN" --range)")
    sipcalc_times+=("$(nanoseconds sipcalc -S "$LEN" "$PREFIX")")
done
v6_median=$(printf '%s\n' "${v6_times[@]}" | median)
sipcalc_median=$(printf '%s\n' "${sipcalc_times[@]}" | median)
ratio=$(awk -v a="$v6_median" -v b="$sipcalc_median" 'BEGIN { printf "%.4f", a / b }')

rss_kb=$( { /usr/bin/time -f %M "$V6" split "$PREFIX" "$LEN" --range >/dev/null; } 2>&1 )

ms() { awk -v n="$1" 'BEGIN { printf "%.1f ms", n / 1e6 }'; }
echo "v6 split $PREFIX $LEN --range > /dev/null   median $(ms "$v6_median") of $REPS runs"
echo "sipcalc -S $LEN $PREFIX > /dev/null      median $(ms "$sipcalc_median") of $REPS runs"
echo "ratio v6 / sipcalc                               $ratio (limit $MAX_RATIO)"
echo "v6 max RSS                                       $rss_kb KB (limit: under $MAX_RSS_KB KB)"

status=0
if awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r > m) }'; then
    echo "bench-cli.sh: FAIL: v6 takes more than a tenth of sipcalc's time" >&2
    status=1
fi
if ((rss_kb >= MAX_RSS_KB)); then
    echo "bench-cli.sh: FAIL: v6 uses $rss_kb KB, not under $MAX_RSS_KB KB" >&2
    status=1
fi
exit $status
