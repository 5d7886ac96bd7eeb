//! STUN servers as users name them, resolved and split by address family.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Resolves a STUN server given as `HOST[:PORT]`, `stun:HOST[:PORT]`, `stun://HOST[:PORT]`, or
/// an IP address (`198.51.100.2`, `2001:db8::2`, `[2001:db8::2]:3479`); port 3478 by default.
pub fn resolve_server(spec: &str) -> io::Result<Vec<SocketAddr>> {
    let s = spec
        .strip_prefix("stun:")
        .or_else(|| spec.strip_prefix("stun://"))
        .unwrap_or(spec);
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(vec![a]);
    }
    if let Ok(ip) = s.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, 3478)]);
    }
    let with_port = if s
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        s.to_string()
    } else {
        format!("{s}:3478")
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("resolving {spec}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{spec} has no address"),
        ));
    }
    Ok(addrs)
}

/// Servers split by address family, one address per family and server (several would look
/// like several servers), in the order given.
#[derive(Clone, Debug, Default)]
pub struct ServersByFamily {
    /// IPv4 addresses.
    pub v4: Vec<SocketAddr>,
    /// IPv6 addresses.
    pub v6: Vec<SocketAddr>,
    /// Why a server could not be used, one line each.
    pub errors: Vec<String>,
}

/// Resolves every server of `specs` with [`resolve_server`] and splits them by family.
pub fn servers_by_family(specs: &[String]) -> ServersByFamily {
    let mut s = ServersByFamily::default();
    for spec in specs {
        match resolve_server(spec) {
            Ok(addrs) => {
                if let Some(a) = addrs.iter().find(|a| a.is_ipv4()) {
                    s.v4.push(*a);
                }
                if let Some(a) = addrs.iter().find(|a| a.is_ipv6()) {
                    s.v6.push(*a);
                }
            }
            Err(e) => s.errors.push(e.to_string()),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_specs() {
        assert_eq!(
            resolve_server("127.0.0.1:3479").unwrap(),
            ["127.0.0.1:3479".parse().unwrap()]
        );
        assert_eq!(
            resolve_server("stun:127.0.0.1:5").unwrap(),
            ["127.0.0.1:5".parse().unwrap()]
        );
        assert_eq!(
            resolve_server("[::1]:3478").unwrap(),
            ["[::1]:3478".parse().unwrap()]
        );
        assert_eq!(
            resolve_server("2001:db8::2").unwrap(),
            ["[2001:db8::2]:3478".parse().unwrap()]
        );
        assert!(resolve_server("localhost")
            .unwrap()
            .iter()
            .all(|a| a.port() == 3478));
        let s = servers_by_family(&["127.0.0.1".into(), "[::1]:5".into()]);
        assert_eq!(s.v4, ["127.0.0.1:3478".parse().unwrap()]);
        assert_eq!(s.v6, ["[::1]:5".parse().unwrap()]);
        assert!(s.errors.is_empty());
    }
}
