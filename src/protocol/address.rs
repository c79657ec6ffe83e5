//! Data connection addresses: parsing PASV/EPSV replies and rendering PORT/EPRT arguments
//! (RFC 959 and RFC 2428).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Parses the `h1,h2,h3,h4,p1,p2` of a 227 reply. The numbers are searched for anywhere in the
/// text, with or without parentheses, as servers differ.
pub fn parse_pasv(text: &str) -> Result<SocketAddr, String> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if bytes[start].is_ascii_digit() {
            let end = bytes[start..]
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b',' || *b == b' '))
                .map_or(bytes.len(), |p| start + p);
            if let Some(addr) = six_numbers(&text[start..end]) {
                return addr;
            }
            start = end;
        } else {
            start += 1;
        }
    }
    Err(format!(
        "no h1,h2,h3,h4,p1,p2 address in PASV reply {text:?}"
    ))
}

fn six_numbers(s: &str) -> Option<Result<SocketAddr, String>> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() < 6 {
        return None;
    }
    let mut nums = [0u8; 6];
    for (slot, part) in nums.iter_mut().zip(&parts[..6]) {
        match part.parse::<u8>() {
            Ok(n) => *slot = n,
            Err(_) => return Some(Err(format!("PASV number {part:?} is not 0-255"))),
        }
    }
    let ip = Ipv4Addr::new(nums[0], nums[1], nums[2], nums[3]);
    let port = u16::from(nums[4]) << 8 | u16::from(nums[5]);
    if port == 0 {
        return Some(Err("PASV reply names port 0".into()));
    }
    Some(Ok(SocketAddr::new(IpAddr::V4(ip), port)))
}

/// Parses the port of a 229 reply: `(<d><d><d>port<d>)` where `<d>` is the delimiter the
/// server chose (usually `|`).
pub fn parse_epsv(text: &str) -> Result<u16, String> {
    let open = text
        .find('(')
        .ok_or_else(|| format!("no '(' in EPSV reply {text:?}"))?;
    let inner = &text[open + 1..];
    let close = inner
        .find(')')
        .ok_or_else(|| format!("no ')' in EPSV reply {text:?}"))?;
    let inner = &inner[..close];
    let delim = inner
        .chars()
        .next()
        .ok_or_else(|| format!("empty EPSV address in {text:?}"))?;
    if delim.is_ascii_alphanumeric() {
        return Err(format!("bad EPSV delimiter {delim:?} in {text:?}"));
    }
    let fields: Vec<&str> = inner.split(delim).collect();
    // "|||6446|" splits into ["", "", "", "6446", ""].
    if fields.len() != 5 || !fields[1].is_empty() || !fields[4].is_empty() {
        return Err(format!("malformed EPSV address in {text:?}"));
    }
    let port: u16 = fields[3]
        .parse()
        .map_err(|_| format!("EPSV port {:?} is not 1-65535", fields[3]))?;
    if port == 0 {
        return Err("EPSV reply names port 0".into());
    }
    Ok(port)
}

/// The argument of `PORT` for an IPv4 address: `h1,h2,h3,h4,p1,p2`.
pub fn port_argument(addr: SocketAddr) -> Option<String> {
    let IpAddr::V4(ip) = addr.ip() else {
        return None;
    };
    let o = ip.octets();
    let p = addr.port();
    Some(format!(
        "{},{},{},{},{},{}",
        o[0],
        o[1],
        o[2],
        o[3],
        p >> 8,
        p & 0xff
    ))
}

/// The argument of `EPRT`: `|1|a.b.c.d|port|` or `|2|v6addr|port|`.
pub fn eprt_argument(addr: SocketAddr) -> String {
    let family = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{family}|{}|{}|", addr.ip(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasv_variants() {
        let a = parse_pasv("Entering Passive Mode (127,0,0,1,4,1).").unwrap();
        assert_eq!(a, "127.0.0.1:1025".parse().unwrap());
        let a = parse_pasv("Entering Passive Mode 10,0,0,5,200,10").unwrap();
        assert_eq!(a, "10.0.0.5:51210".parse().unwrap());
        let a = parse_pasv("=127,0,0,1,255,255").unwrap();
        assert_eq!(a.port(), 65535);
    }

    #[test]
    fn pasv_malformed() {
        assert!(parse_pasv("Entering Passive Mode").is_err());
        assert!(parse_pasv("Entering Passive Mode (127,0,0,1,4)").is_err());
        assert!(parse_pasv("(300,0,0,1,4,1)").is_err());
        assert!(parse_pasv("(127,0,0,1,0,0)").is_err());
        assert!(parse_pasv("(127,0,0,1,-1,2)").is_err());
    }

    #[test]
    fn epsv_variants() {
        assert_eq!(
            parse_epsv("Entering Extended Passive Mode (|||6446|)").unwrap(),
            6446
        );
        assert_eq!(parse_epsv("ok (!!!1025!)").unwrap(), 1025);
        assert!(parse_epsv("Entering Extended Passive Mode").is_err());
        assert!(parse_epsv("(|||0|)").is_err());
        assert!(parse_epsv("(|||70000|)").is_err());
        assert!(parse_epsv("(||||)").is_err());
        assert!(parse_epsv("(|1|127.0.0.1|99|)").is_err());
        assert!(parse_epsv("(1112)").is_err());
    }

    #[test]
    fn port_and_eprt() {
        assert_eq!(
            port_argument("127.0.0.1:1025".parse().unwrap()).unwrap(),
            "127,0,0,1,4,1"
        );
        assert_eq!(port_argument("[::1]:1025".parse().unwrap()), None);
        assert_eq!(
            eprt_argument("127.0.0.1:1025".parse().unwrap()),
            "|1|127.0.0.1|1025|"
        );
        assert_eq!(eprt_argument("[::1]:21".parse().unwrap()), "|2|::1|21|");
    }
}
