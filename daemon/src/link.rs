//! What /sys/class/net says about a network interface: its index and its
//! link-layer address, as the daemons that speak neighbor discovery on an
//! interface (v6rad, v6proxyd ndp) need them.

use std::fs;

/// The index of interface `name`, if it exists.
pub fn index(name: &str) -> Option<u32> {
    fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The link-layer address of interface `name`, if it exists and has one
/// that is not all zeros (a TUN device or loopback has none to announce).
pub fn link_addr(name: &str) -> Option<Vec<u8>> {
    let text = fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
    parse_mac(text.trim()).filter(|a| a.iter().any(|&b| b != 0))
}

/// `aa:bb:cc:dd:ee:ff` (of any length) as bytes.
fn parse_mac(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    text.split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_link_layer_addresses() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Some(vec![2, 0, 0, 0, 0, 1]));
        assert_eq!(parse_mac("zz"), None);
        assert_eq!(parse_mac(""), None);
        assert_eq!(link_addr("lo"), None);
        assert_eq!(index("lo"), Some(1));
    }
}
