#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit, property, conformance,
# command and end-to-end tests, and the documentation without a warning.
#
# Run as root on Debian to have the real peers installed (sipcalc,
# ipv6calc, ...) and the network-namespace tests run; without root those
# tests report themselves as skipped. With CI set in the environment
# nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests talk to.
PEERS=(sipcalc ipv6calc iproute2 iputils-ping procps dnsutils unbound radvd radvdump ndisc6 tcpdump curl python3 nftables openssl ndppd systemd strace)

if ! command -v cargo >/dev/null; then
    echo "test.sh: cargo not found; install Rust 1.85 or newer (https://rustup.rs)" >&2
    exit 2
fi

missing=()
for pkg in "${PEERS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "test.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "test.sh: not installed: ${missing[*]} (run as root to install them)" >&2
    fi
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo test --workspace --all-features
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features
if [[ -f fuzz/Cargo.toml ]]; then
    cargo check --manifest-path fuzz/Cargo.toml --bins
fi
