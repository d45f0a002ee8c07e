//! The serialized forms of the types that the `v6` command prints as JSON.
#![cfg(feature = "serde")]

use serde::Serialize;
use v6core::class::classify;
use v6core::prefix::Count;

#[derive(Serialize)]
struct Doc<T> {
    value: T,
}

fn to_toml<T: Serialize>(value: T) -> String {
    toml::to_string(&Doc { value }).unwrap()
}

#[test]
fn count_is_a_decimal_string() {
    assert_eq!(
        to_toml(Count::pow2(128)),
        "value = \"340282366920938463463374607431768211456\"\n"
    );
    assert_eq!(to_toml(Count::from(256)), "value = \"256\"\n");
}

#[test]
fn classification_fields() {
    let text = to_toml(classify("ff02::1".parse().unwrap()));
    for line in [
        "name = \"Multicast\"",
        "rfc = \"RFC 4291 section 2.7\"",
        "block = \"ff00::/8\"",
        "multicast_scope = \"link-local\"",
    ] {
        assert!(text.contains(line), "{text}");
    }
    let text = to_toml(classify("10.1.2.3".parse().unwrap()));
    assert!(text.contains("globally_reachable = false"), "{text}");
}
