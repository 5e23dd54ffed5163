//! Payload dump lines (`-x`, `-xx`, `-X`, `-XX`): recognised, and their bytes recovered.

/// `\t0x0000:  4500 003c ...` (offset, colon, then groups of hex digits).
pub fn is_dump_line(line: &str) -> bool {
    hex_groups(line).is_some()
}

/// The bytes of one dump line; `None` when the line is not a hex dump line.
fn hex_groups(line: &str) -> Option<Vec<u8>> {
    let rest = line.trim_start().strip_prefix("0x")?;
    let (offset, rest) = rest.split_once(':')?;
    if offset.is_empty() || !offset.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // `-X` puts the ASCII column after two spaces past the padded hex column.
    let hex = rest.strip_prefix("  ")?.split("  ").next().unwrap_or("");
    let mut bytes = Vec::with_capacity(16);
    for group in hex.split(' ') {
        if group.is_empty() || group.len() % 2 != 0 || !group.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return None;
        }
        let mut i = 0usize;
        while let Some(pair) = group.get(i..i.saturating_add(2)) {
            bytes.push(u8::from_str_radix(pair, 16).ok()?);
            i = i.saturating_add(2);
        }
    }
    Some(bytes)
}

/// All bytes of the hex dump lines among `lines`, in order.
pub fn hex_bytes(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .filter_map(|l| hex_groups(l))
        .flatten()
        .collect()
}

/// The TCP payload inside a dump that starts at the IP header (`-x`) or at a
/// link header (`-xx`): finds the IP header, then skips the IP and TCP headers.
pub fn tcp_payload(bytes: &[u8], payload_len: u32) -> Option<Vec<u8>> {
    // Link header sizes: none, Ethernet, Ethernet+VLAN, Linux cooked v1, v2.
    for link in [0usize, 14, 18, 16, 20] {
        let Some(ip) = bytes.get(link..) else {
            continue;
        };
        let (ip_len, total) = match ip.first().map(|b| b >> 4) {
            Some(4) => {
                let ihl = usize::from(ip.first()? & 0x0f).saturating_mul(4);
                let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
                if ihl < 20 || ip.get(9) != Some(&6) {
                    continue;
                }
                (ihl, total)
            }
            Some(6) => {
                let payload = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
                if ip.get(6) != Some(&6) {
                    continue;
                }
                (40, payload.saturating_add(40))
            }
            _ => continue,
        };
        let tcp = ip.get(ip_len..)?;
        let offset = usize::from(tcp.get(12)? >> 4).saturating_mul(4);
        let start = ip_len.saturating_add(offset);
        let len = usize::try_from(payload_len).ok()?;
        if total != start.saturating_add(len) {
            continue;
        }
        return ip.get(start..total.min(ip.len())).map(<[u8]>::to_vec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_x_and_capital_x_lines() {
        let x = "\t0x0000:  4500 003c 1f68 4000 4006 1d50 7f00 0001";
        let cap_x = "\t0x0010:  7f00 0001 da70 0050                      ...p.P";
        assert_eq!(hex_groups(x).unwrap().len(), 16);
        assert_eq!(
            hex_groups(cap_x).unwrap(),
            vec![0x7f, 0, 0, 1, 0xda, 0x70, 0, 0x50]
        );
        assert!(hex_groups("\tHost: example.com").is_none());
    }
}
