//! TURN allocations: the long-term-credential flow, lifetimes, permissions, channel bindings.

use crate::flow::{AddrKey, Transport};
use crate::Map;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// Where an allocation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationState {
    /// An Allocate request was seen, no answer yet.
    Requested,
    /// The server answered 401 with REALM and NONCE (the normal first step).
    Challenged,
    /// Allocated: a relayed address was granted.
    Allocated,
    /// The allocation failed with an error response.
    Failed,
    /// Released with a Refresh of lifetime 0.
    Released,
}

/// An error response, as seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorSeen {
    /// Time (ns since the epoch).
    pub at_ns: i64,
    /// The capture's packet number of the error response.
    pub packet: u64,
    /// STUN method of the failed request.
    pub method: String,
    /// Error code.
    pub code: u16,
    /// Reason phrase.
    pub reason: String,
    /// The request carried MESSAGE-INTEGRITY (it answered a challenge): a 401 to it refuses
    /// the credentials, where a 401 to a request without it is the normal challenge.
    pub after_credentials: bool,
    /// The peer the refused request named (XOR-PEER-ADDRESS of a CreatePermission or
    /// ChannelBind), which a 403 Forbidden refuses.
    pub peer: Option<SocketAddr>,
}

/// A response matched to its request by transaction id although it arrived on another
/// 5-tuple than the request's (a server answering from another address or port, the client's
/// NAT rebinding between request and response).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnsweredElsewhere {
    /// Time (ns since the epoch).
    pub at_ns: i64,
    /// STUN method of the request.
    pub method: String,
    /// Where the response came from.
    pub from: SocketAddr,
    /// Where it went.
    pub to: SocketAddr,
}

/// A channel binding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelBinding {
    /// Channel number.
    pub channel: u16,
    /// The peer it is bound to.
    pub peer: SocketAddr,
    /// When the binding succeeded.
    pub bound_ns: i64,
    /// When a ChannelBind for it last succeeded (the first one, or a refresh).
    pub refreshed_ns: i64,
    /// ChannelData messages seen on it (both directions).
    pub messages: u64,
    /// ChannelData the client sent on it more than [`CHANNEL_LIFETIME_NS`] after its last
    /// successful ChannelBind: the server has dropped the binding and discards them.
    pub sent_after_expiry: u64,
    /// The first of those: its packet number and time.
    pub first_after_expiry: Option<(u64, i64)>,
}

/// A channel binding lasts 10 minutes unless refreshed by another ChannelBind (RFC 8656 §12).
pub const CHANNEL_LIFETIME_NS: i64 = 600_000_000_000;

/// A permission lasts 5 minutes unless refreshed by another CreatePermission or a ChannelBind
/// to the same peer IP (RFC 8656 §9; data sent through it does not refresh it).
pub const PERMISSION_LIFETIME_NS: i64 = 300_000_000_000;

/// A permission's lifetime as the capture shows it, and the data sent through it once it had
/// lapsed, which the server drops (RFC 8656 §9: a server relays nothing to or from a peer
/// without a permission).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PermissionTimes {
    /// The peer IP.
    pub peer: IpAddr,
    /// When a CreatePermission or ChannelBind for it first succeeded.
    pub installed_ns: i64,
    /// When one last succeeded (the installation, or a refresh).
    pub refreshed_ns: i64,
    /// Data (Send indications, ChannelData on a channel still bound) the client sent to the
    /// peer more than [`PERMISSION_LIFETIME_NS`] after the last refresh.
    pub sent_after_expiry: u64,
    /// The first of those: its packet number and time.
    pub first_after_expiry: Option<(u64, i64)>,
    /// Data from the peer that the server still relayed to the client after that moment: the
    /// server had not dropped the permission (a refresh the capture missed).
    pub received_after_expiry: u64,
}

/// One TURN allocation, keyed by the client's 5-tuple with the server.
#[derive(Clone, Debug, Serialize)]
pub struct Allocation {
    /// Identifier within this analysis (stable for one capture).
    pub id: u32,
    /// The client's transport address as seen in the capture.
    pub client: SocketAddr,
    /// The TURN server.
    pub server: SocketAddr,
    /// Transport to the server.
    pub transport: Transport,
    /// Current state.
    pub state: AllocationState,
    /// USERNAME used, when any.
    pub username: Option<String>,
    /// REALM announced by the server.
    pub realm: Option<String>,
    /// The relayed transport address granted.
    pub relayed: Option<SocketAddr>,
    /// The client's server-reflexive address (XOR-MAPPED-ADDRESS of the Allocate success).
    pub mapped: Option<SocketAddr>,
    /// Lifetime granted last (seconds); kept after a release, which grants 0.
    pub lifetime_s: Option<u32>,
    /// When the allocation succeeded.
    pub allocated_ns: Option<i64>,
    /// When it was released (a Refresh with LIFETIME 0 that succeeded).
    pub released_ns: Option<i64>,
    /// Refresh transactions that succeeded.
    pub refreshes: u32,
    /// Peer IPs with a permission (CreatePermission or ChannelBind success).
    pub permissions: Vec<IpAddr>,
    /// When each of those permissions was installed and refreshed, in the same order, and
    /// what was sent through it after it lapsed.
    pub permission_times: Vec<PermissionTimes>,
    /// Channel bindings.
    pub channels: Vec<ChannelBinding>,
    /// Send indications (client → peer through the relay).
    pub send_indications: u64,
    /// Data indications (peer → client).
    pub data_indications: u64,
    /// Error responses to this client's requests.
    pub errors: Vec<ErrorSeen>,
    /// Allocate requests sent (including the unauthenticated first one and retries).
    pub allocate_requests: u32,
    /// Responses that arrived on another 5-tuple than their request, matched by transaction
    /// id (at most [`MAX_ERRORS`]).
    pub elsewhere: Vec<AnsweredElsewhere>,
}

impl Allocation {
    /// An allocation as first met: requested, nothing seen of it yet.
    pub fn new(id: u32, client: SocketAddr, server: SocketAddr, transport: Transport) -> Self {
        Allocation {
            id,
            client,
            server,
            transport,
            state: AllocationState::Requested,
            username: None,
            realm: None,
            relayed: None,
            mapped: None,
            lifetime_s: None,
            allocated_ns: None,
            released_ns: None,
            refreshes: 0,
            permissions: Vec::new(),
            permission_times: Vec::new(),
            channels: Vec::new(),
            send_indications: 0,
            data_indications: 0,
            errors: Vec::new(),
            allocate_requests: 0,
            elsewhere: Vec::new(),
        }
    }

    /// True when a 401 answered a request that carried credentials: they were refused (the
    /// first 401 of an allocation is the normal challenge).
    pub fn credentials_refused(&self) -> bool {
        self.errors
            .iter()
            .any(|e| e.code == 401 && e.after_credentials)
    }

    /// The state in words, as `analyze` and the TUI say it.
    pub fn state_words(&self) -> String {
        match self.state {
            AllocationState::Requested => "requested, no answer".into(),
            AllocationState::Challenged if self.credentials_refused() => {
                "credentials refused (401 to a request carrying them)".into()
            }
            AllocationState::Challenged => "challenged (401), never authenticated".into(),
            AllocationState::Allocated => "allocated".into(),
            AllocationState::Failed => "failed".into(),
            AllocationState::Released => match (self.allocated_ns, self.released_ns) {
                (Some(from), Some(to)) => {
                    format!("released after {}", crate::fmt::duration(to - from))
                }
                _ => "released".into(),
            },
        }
    }

    /// A CreatePermission or ChannelBind for `peer` succeeded at `now`: installs the
    /// permission (when `room` allows and under [`MAX_PEERS`]) or refreshes it. Returns whether
    /// a permission was added.
    pub fn permit(&mut self, peer: IpAddr, now: i64, room: bool) -> bool {
        if let Some(t) = self.permission_times.iter_mut().find(|t| t.peer == peer) {
            t.refreshed_ns = now;
            return false;
        }
        if !room || self.permissions.contains(&peer) || self.permissions.len() >= MAX_PEERS {
            return false;
        }
        self.permissions.push(peer);
        self.permission_times.push(PermissionTimes {
            peer,
            installed_ns: now,
            refreshed_ns: now,
            sent_after_expiry: 0,
            first_after_expiry: None,
            received_after_expiry: 0,
        });
        true
    }

    /// Data relayed between the client and `peer` at `now` (packet `number`; `to_peer`: sent
    /// by the client): counted against the peer's permission when it had lapsed.
    pub fn relayed_data(&mut self, peer: IpAddr, to_peer: bool, now: i64, number: u64) {
        if self.state != AllocationState::Allocated {
            return;
        }
        let Some(t) = self.permission_times.iter_mut().find(|t| t.peer == peer) else {
            return;
        };
        if now.saturating_sub(t.refreshed_ns) <= PERMISSION_LIFETIME_NS {
            return;
        }
        if to_peer {
            t.sent_after_expiry += 1;
            t.first_after_expiry.get_or_insert((number, now));
        } else {
            t.received_after_expiry += 1;
        }
    }

    /// The peer bound to `channel`.
    pub fn peer_of(&self, channel: u16) -> Option<SocketAddr> {
        self.channels
            .iter()
            .find(|c| c.channel == channel)
            .map(|c| c.peer)
    }
}

/// Errors kept per allocation; later ones are counted, not stored.
pub const MAX_ERRORS: usize = 32;
/// Permissions and channels kept per allocation.
pub const MAX_PEERS: usize = 256;

/// Permissions and channels kept across all allocations (so the per-allocation cap cannot
/// multiply into gigabytes: 10,000 allocations × 256 peers).
pub const MAX_PEERS_TOTAL: usize = 100_000;

/// Allocations kept, beyond which new client/server pairs are counted only.
pub const MAX_ALLOCATIONS: usize = 10_000;

/// All allocations of a capture.
#[derive(Debug, Default)]
pub struct TurnTable {
    by_client: Map<(Transport, AddrKey, AddrKey), u32>,
    /// Allocations by relayed transport address (the latest one granted it).
    relayed_index: Map<AddrKey, u32>,
    /// Allocations in order of appearance.
    pub allocations: Vec<Allocation>,
    /// TURN requests of allocations not tracked because of [`MAX_ALLOCATIONS`].
    pub dropped: u64,
    /// Permissions and channels held across allocations (under [`MAX_PEERS_TOTAL`]).
    pub peers_held: usize,
}

impl TurnTable {
    /// The allocation for a client/server pair, created on first use; `None` beyond
    /// [`MAX_ALLOCATIONS`] new pairs.
    pub fn get_or_create(
        &mut self,
        transport: Transport,
        client: SocketAddr,
        server: SocketAddr,
    ) -> Option<&mut Allocation> {
        let next = self.allocations.len() as u32;
        let key = (transport, AddrKey(client), AddrKey(server));
        if self.allocations.len() >= MAX_ALLOCATIONS && !self.by_client.contains_key(&key) {
            self.dropped += 1;
            return None;
        }
        let id = *self.by_client.entry(key).or_insert(next);
        if id == next {
            self.allocations
                .push(Allocation::new(id, client, server, transport));
        }
        Some(&mut self.allocations[id as usize])
    }

    /// The allocation for a client/server pair, if any.
    pub fn find(
        &self,
        transport: Transport,
        client: SocketAddr,
        server: SocketAddr,
    ) -> Option<&Allocation> {
        self.by_client
            .get(&(transport, AddrKey(client), AddrKey(server)))
            .map(|&id| &self.allocations[id as usize])
    }

    /// The allocation granted `relayed` as its relayed transport address (the latest one,
    /// should a server reuse an address).
    pub fn by_relayed(&self, relayed: SocketAddr) -> Option<u32> {
        self.relayed_index.get(&AddrKey(relayed)).copied()
    }

    /// Records the relayed address granted to allocation `id`.
    pub fn set_relayed(&mut self, id: u32, relayed: SocketAddr) {
        if let Some(a) = self.allocations.get_mut(id as usize) {
            a.relayed = Some(relayed);
            self.relayed_index.insert(AddrKey(relayed), id);
        }
    }

    /// Mutable access by id.
    pub fn by_id(&mut self, id: u32) -> Option<&mut Allocation> {
        self.allocations.get_mut(id as usize)
    }
}
