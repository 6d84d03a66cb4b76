//! Interface names: Linux names (`eth0`, `veth-in`) and IOS names (`GigabitEthernet0/0/0`,
//! `gigabitethernet 0/0/0`, `Gi0/0/0`).
//!
//! IOS names are normalised case-insensitively to one key (`gigabitethernet0/0/0`) so that every
//! spelling refers to the same interface; Linux names are case-sensitive and kept as written.

/// IOS interface types: (canonical lowercase name, accepted abbreviations).
const IOS_TYPES: &[(&str, &[&str])] = &[
    ("gigabitethernet", &["gi", "gig"]),
    ("fastethernet", &["fa"]),
    ("tengigabitethernet", &["te", "ten"]),
    ("fortygigabitethernet", &["fo"]),
    ("hundredgige", &["hu"]),
    ("ethernet", &[]),
    ("loopback", &[]),
    ("tunnel", &[]),
    ("vlan", &[]),
    ("port-channel", &["po"]),
    ("serial", &[]),
    ("dialer", &[]),
    ("virtual-template", &[]),
    ("bdi", &[]),
    ("cellular", &[]),
];

/// Longest Linux interface name (IFNAMSIZ − 1, see netdevice(7)).
pub const MAX_LINUX_IFNAME: usize = 15;

/// If `word` is an IOS interface type (full or abbreviated, any case), its canonical name.
pub(crate) fn ios_type(word: &str) -> Option<&'static str> {
    IOS_TYPES.iter().find_map(|(full, abbrevs)| {
        if word.eq_ignore_ascii_case(full) || abbrevs.iter().any(|a| word.eq_ignore_ascii_case(a)) {
            Some(*full)
        } else {
            None
        }
    })
}

/// Split `Type0/1/2` into (type, number) when the word is an IOS type immediately followed by
/// a digit.
fn split_ios(word: &str) -> Option<(&'static str, &str)> {
    let split = word.find(|c: char| c.is_ascii_digit())?;
    let (ty, num) = (word.get(..split)?, word.get(split..)?);
    if ty.is_empty() {
        return None;
    }
    Some((ios_type(ty)?, num))
}

/// The lookup key of an interface name as written (one word, or IOS type and number joined).
///
/// `GigabitEthernet0/0/0`, `gigabitethernet 0/0/0` and `Gi0/0/0` all give
/// `gigabitethernet0/0/0`; `eth0` gives `eth0`.
pub fn interface_key(name: &str) -> String {
    let mut words = name.split_whitespace();
    let (Some(first), second) = (words.next(), words.next()) else {
        return String::new();
    };
    if let Some(num) = second {
        if let Some(ty) = ios_type(first) {
            return format!("{ty}{}", num.to_ascii_lowercase());
        }
        return name.to_string();
    }
    match split_ios(first) {
        Some((ty, num)) => format!("{ty}{}", num.to_ascii_lowercase()),
        None => first.to_string(),
    }
}

/// Why a written interface name is not acceptable, if it is not.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let key = interface_key(name);
    let is_ios = name.split_whitespace().count() == 2 || split_ios(name).is_some();
    if is_ios {
        if key
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | ':' | '-')))
        {
            return Err(format!("invalid interface name \"{name}\""));
        }
        return Ok(());
    }
    if key.len() > MAX_LINUX_IFNAME {
        return Err(format!(
            "interface name \"{name}\" is longer than {MAX_LINUX_IFNAME} bytes (Linux IFNAMSIZ)"
        ));
    }
    if key == "." || key == ".." || key.contains('/') || key.contains(':') {
        return Err(format!("invalid Linux interface name \"{name}\""));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ios_spellings_share_a_key() {
        let k = "gigabitethernet0/0/0";
        assert_eq!(interface_key("GigabitEthernet0/0/0"), k);
        assert_eq!(interface_key("gigabitethernet 0/0/0"), k);
        assert_eq!(interface_key("Gi0/0/0"), k);
        assert_eq!(interface_key("GIG 0/0/0"), k);
        assert_eq!(interface_key("Port-channel1.100"), "port-channel1.100");
    }

    #[test]
    fn linux_names_are_kept() {
        assert_eq!(interface_key("eth0"), "eth0");
        assert_eq!(interface_key("veth-in"), "veth-in");
        assert_eq!(interface_key("ETH0"), "ETH0");
        assert!(check_name("eth0").is_ok());
        assert!(check_name("a-very-long-interface-name").is_err());
        assert!(check_name("eth/0").is_err());
        assert!(check_name("GigabitEthernet0/0/0").is_ok());
        assert!(check_name("gigabitethernet 0/1/1").is_ok());
    }
}
