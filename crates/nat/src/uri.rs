//! `stun:`, `turn:` and `turns:` URIs (RFC 7064, RFC 7065), as WebRTC's `iceServers` takes them.

use crate::turn::Transport;
use std::net::{SocketAddr, ToSocketAddrs};

/// The scheme of a URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `stun:` (port 3478).
    Stun,
    /// `stuns:` (STUN over TLS, port 5349).
    Stuns,
    /// `turn:` (port 3478).
    Turn,
    /// `turns:` (TURN over TLS, port 5349).
    Turns,
}

/// A parsed URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceUri {
    /// The scheme.
    pub scheme: Scheme,
    /// Host name or address (without brackets).
    pub host: String,
    /// Port (the scheme's default when absent).
    pub port: u16,
    /// `?transport=`, UDP by default for `stun:`/`turn:`; always TLS (over TCP) for `stuns:` and
    /// `turns:` (`turns:HOST?transport=tcp` says the same; DTLS, `?transport=udp`, is refused).
    pub transport: Transport,
}

/// Why a URI was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriError(pub String);

impl core::fmt::Display for UriError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UriError {}

impl IceUri {
    /// Parses `scheme:host[:port][?transport=udp|tcp]`.
    pub fn parse(s: &str) -> Result<Self, UriError> {
        let err = |m: &str| UriError(format!("{s}: {m}"));
        let (scheme, rest) = s.split_once(':').ok_or_else(|| err("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "stun" => Scheme::Stun,
            "stuns" => Scheme::Stuns,
            "turn" => Scheme::Turn,
            "turns" => Scheme::Turns,
            _ => return Err(err("scheme must be stun, stuns, turn or turns")),
        };
        let rest = rest.trim_start_matches("//");
        let (hostport, query) = match rest.split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (rest, None),
        };
        let tls = matches!(scheme, Scheme::Stuns | Scheme::Turns);
        let mut transport = if tls { Transport::Tls } else { Transport::Udp };
        if let Some(q) = query {
            if matches!(scheme, Scheme::Stun | Scheme::Stuns) {
                return Err(err("stun: URIs take no ?transport="));
            }
            match q.to_ascii_lowercase().as_str() {
                "transport=udp" if !tls => transport = Transport::Udp,
                "transport=tcp" if !tls => transport = Transport::Tcp,
                "transport=tcp" => transport = Transport::Tls,
                "transport=udp" => {
                    return Err(err(
                        "turns: runs over TLS on TCP; DTLS (?transport=udp) is not supported",
                    ))
                }
                _ => {
                    return Err(err(
                        "the only query allowed is ?transport=udp or ?transport=tcp",
                    ))
                }
            }
        }
        let default_port = if tls { 5349 } else { 3478 };
        let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
            let (h, after) = h.split_once(']').ok_or_else(|| err("unclosed ["))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| err("bad port"))?,
                None if after.is_empty() => default_port,
                None => return Err(err("junk after ]")),
            };
            (h.to_string(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => {
                    (h.to_string(), p.parse().map_err(|_| err("bad port"))?)
                }
                _ => (hostport.to_string(), default_port),
            }
        };
        if host.is_empty() {
            return Err(err("no host"));
        }
        Ok(IceUri {
            scheme,
            host,
            port,
            transport,
        })
    }

    /// Resolves the host (first address, IPv4 preferred).
    pub fn resolve(&self) -> std::io::Result<SocketAddr> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or_else(|| std::io::Error::other(format!("{} has no address", self.host)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_webrtc_uris() {
        let u = IceUri::parse("turn:turn.example.org?transport=tcp").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.transport),
            (Scheme::Turn, "turn.example.org", 3478, Transport::Tcp)
        );
        let u = IceUri::parse("stun:198.51.100.2:19302").unwrap();
        assert_eq!((u.port, u.transport), (19302, Transport::Udp));
        let u = IceUri::parse("turns:[2001:db8::1]").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.transport),
            ("2001:db8::1", 5349, Transport::Tls)
        );
        let u = IceUri::parse("turns:turn.example.org:443?transport=tcp").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.transport),
            (Scheme::Turns, 443, Transport::Tls)
        );
        let u = IceUri::parse("stuns:198.51.100.2").unwrap();
        assert_eq!(
            (u.scheme, u.port, u.transport),
            (Scheme::Stuns, 5349, Transport::Tls)
        );
        assert!(IceUri::parse("turns:x?transport=udp").is_err());
        assert!(IceUri::parse("http://x").is_err());
        assert!(IceUri::parse("turn:x?transport=sctp").is_err());
        assert!(IceUri::parse("stun:x?transport=tcp").is_err());
        assert!(IceUri::parse("turn:").is_err());
    }
}
