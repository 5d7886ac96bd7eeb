//! Wire enumerations and small header types: method, class, message type, transaction ID,
//! attribute type, error code, address family, password algorithm, transport protocol.

use core::fmt;
use rtcscope_wire::wire_enum;

wire_enum! {
    /// A STUN method: the 12 method bits of the message type (RFC 8489 §5, IANA "STUN Methods").
    pub struct Method(u16) {
        /// Binding (RFC 8489 §18.1; RFC 3489 §11.1).
        BINDING = 0x001 => "Binding",
        /// Shared Secret (RFC 3489 §11.1; removed by RFC 5389).
        SHARED_SECRET = 0x002 => "SharedSecret",
        /// Allocate (RFC 8656 §7).
        ALLOCATE = 0x003 => "Allocate",
        /// Refresh (RFC 8656 §8).
        REFRESH = 0x004 => "Refresh",
        /// Send, an indication (RFC 8656 §11.1).
        SEND = 0x006 => "Send",
        /// Data, an indication (RFC 8656 §11.3).
        DATA = 0x007 => "Data",
        /// CreatePermission (RFC 8656 §10).
        CREATE_PERMISSION = 0x008 => "CreatePermission",
        /// ChannelBind (RFC 8656 §12).
        CHANNEL_BIND = 0x009 => "ChannelBind",
        /// Connect (RFC 6062 §4.3).
        CONNECT = 0x00A => "Connect",
        /// ConnectionBind (RFC 6062 §4.4).
        CONNECTION_BIND = 0x00B => "ConnectionBind",
        /// ConnectionAttempt, an indication (RFC 6062 §4.5).
        CONNECTION_ATTEMPT = 0x00C => "ConnectionAttempt",
        /// GOOG-PING (libwebrtc's lightweight ICE check, not IANA-registered by RFC).
        GOOG_PING = 0x080 => "GOOG-PING",
    }
}

wire_enum! {
    /// A STUN class: the two class bits C1 C0 of the message type (RFC 8489 §5).
    pub struct Class(u8) {
        /// Request (0b00).
        REQUEST = 0b00 => "Request",
        /// Indication (0b01).
        INDICATION = 0b01 => "Indication",
        /// Success response (0b10).
        SUCCESS = 0b10 => "Success Response",
        /// Error response (0b11).
        ERROR = 0b11 => "Error Response",
    }
}

/// The 14-bit message type: a [`Method`] and a [`Class`] (RFC 8489 §5).
///
/// ```text
///  0                 1
///  2  3  4 5 6 7 8 9 0 1 2 3 4 5
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
/// |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MessageType {
    /// The method.
    pub method: Method,
    /// The class.
    pub class: Class,
}

impl MessageType {
    /// A message type from method and class.
    pub const fn new(method: Method, class: Class) -> Self {
        MessageType { method, class }
    }

    /// Decodes the 16-bit type field. The top two bits (which must be zero in STUN) are ignored;
    /// the structural check reports them.
    pub const fn from_u16(v: u16) -> Self {
        let m = (v & 0x000F) | ((v & 0x00E0) >> 1) | ((v & 0x3E00) >> 2);
        let c = ((v & 0x0010) >> 4) | ((v & 0x0100) >> 7);
        MessageType {
            method: Method(m),
            class: Class(c as u8),
        }
    }

    /// Encodes the 16-bit type field. Method bits above the 12th and class bits above the 2nd
    /// are dropped.
    pub const fn to_u16(self) -> u16 {
        let m = self.method.0 & 0x0FFF;
        let c = (self.class.0 as u16) & 0b11;
        (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }
}

impl fmt::Debug for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.method, self.class)
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Which STUN: RFC 5389/8489 (with the magic cookie) or classic RFC 3489.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// RFC 5389 / RFC 8489: bytes 4..8 are the magic cookie 0x2112A442.
    Rfc5389,
    /// RFC 3489 ("classic STUN"): no magic cookie, a 128-bit transaction ID.
    Rfc3489,
}

/// A transaction ID: 96 bits after the magic cookie, or the 128 bits of classic STUN.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionId {
    /// RFC 5389 / 8489: 96 bits; the message carries the magic cookie.
    Rfc5389([u8; 12]),
    /// RFC 3489: 128 bits in place of cookie and transaction ID.
    Rfc3489([u8; 16]),
}

impl TransactionId {
    /// The flavor of STUN a message with this ID is.
    pub const fn flavor(&self) -> Flavor {
        match self {
            TransactionId::Rfc5389(_) => Flavor::Rfc5389,
            TransactionId::Rfc3489(_) => Flavor::Rfc3489,
        }
    }

    /// The ID bytes (12 or 16).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            TransactionId::Rfc5389(b) => b,
            TransactionId::Rfc3489(b) => b,
        }
    }

    /// Header bytes 4..20: the cookie and the 96-bit ID, or the 128-bit classic ID.
    pub fn header_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        match self {
            TransactionId::Rfc5389(b) => {
                out[..4].copy_from_slice(&crate::MAGIC_COOKIE.to_be_bytes());
                out[4..].copy_from_slice(b);
            }
            TransactionId::Rfc3489(b) => out = *b,
        }
        out
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&rtcscope_wire::Hex(self.as_bytes()), f)
    }
}

wire_enum! {
    /// A STUN attribute type (RFC 8489 §18.3, IANA "STUN Attributes", plus vendor values).
    ///
    /// Types below 0x8000 are comprehension-required, the rest comprehension-optional.
    pub struct AttributeType(u16) {
        /// MAPPED-ADDRESS (RFC 8489 §14.1).
        MAPPED_ADDRESS = 0x0001 => "MAPPED-ADDRESS",
        /// RESPONSE-ADDRESS (RFC 3489 §11.2.2; reserved since RFC 5389).
        RESPONSE_ADDRESS = 0x0002 => "RESPONSE-ADDRESS",
        /// CHANGE-REQUEST (RFC 5780 §7.2; RFC 3489 §11.2.4).
        CHANGE_REQUEST = 0x0003 => "CHANGE-REQUEST",
        /// SOURCE-ADDRESS (RFC 3489 §11.2.5).
        SOURCE_ADDRESS = 0x0004 => "SOURCE-ADDRESS",
        /// CHANGED-ADDRESS (RFC 3489 §11.2.3).
        CHANGED_ADDRESS = 0x0005 => "CHANGED-ADDRESS",
        /// USERNAME (RFC 8489 §14.3).
        USERNAME = 0x0006 => "USERNAME",
        /// PASSWORD (RFC 3489 §11.2.7).
        PASSWORD = 0x0007 => "PASSWORD",
        /// MESSAGE-INTEGRITY (RFC 8489 §14.5).
        MESSAGE_INTEGRITY = 0x0008 => "MESSAGE-INTEGRITY",
        /// ERROR-CODE (RFC 8489 §14.8).
        ERROR_CODE = 0x0009 => "ERROR-CODE",
        /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9).
        UNKNOWN_ATTRIBUTES = 0x000A => "UNKNOWN-ATTRIBUTES",
        /// REFLECTED-FROM (RFC 3489 §11.2.11).
        REFLECTED_FROM = 0x000B => "REFLECTED-FROM",
        /// CHANNEL-NUMBER (RFC 8656 §18.1).
        CHANNEL_NUMBER = 0x000C => "CHANNEL-NUMBER",
        /// LIFETIME (RFC 8656 §18.2).
        LIFETIME = 0x000D => "LIFETIME",
        /// MAGIC-COOKIE (MS-TURN).
        MS_MAGIC_COOKIE = 0x000F => "MAGIC-COOKIE",
        /// BANDWIDTH (TURN drafts, MS-TURN; reserved).
        BANDWIDTH = 0x0010 => "BANDWIDTH",
        /// DESTINATION-ADDRESS (MS-TURN).
        MS_DESTINATION_ADDRESS = 0x0011 => "DESTINATION-ADDRESS",
        /// XOR-PEER-ADDRESS (RFC 8656 §18.3).
        XOR_PEER_ADDRESS = 0x0012 => "XOR-PEER-ADDRESS",
        /// DATA (RFC 8656 §18.4).
        DATA = 0x0013 => "DATA",
        /// REALM (RFC 8489 §14.9).
        REALM = 0x0014 => "REALM",
        /// NONCE (RFC 8489 §14.10).
        NONCE = 0x0015 => "NONCE",
        /// XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
        XOR_RELAYED_ADDRESS = 0x0016 => "XOR-RELAYED-ADDRESS",
        /// REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6).
        REQUESTED_ADDRESS_FAMILY = 0x0017 => "REQUESTED-ADDRESS-FAMILY",
        /// EVEN-PORT (RFC 8656 §18.7).
        EVEN_PORT = 0x0018 => "EVEN-PORT",
        /// REQUESTED-TRANSPORT (RFC 8656 §18.8).
        REQUESTED_TRANSPORT = 0x0019 => "REQUESTED-TRANSPORT",
        /// DONT-FRAGMENT (RFC 8656 §18.9).
        DONT_FRAGMENT = 0x001A => "DONT-FRAGMENT",
        /// ACCESS-TOKEN (RFC 7635 §6.2).
        ACCESS_TOKEN = 0x001B => "ACCESS-TOKEN",
        /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6).
        MESSAGE_INTEGRITY_SHA256 = 0x001C => "MESSAGE-INTEGRITY-SHA256",
        /// PASSWORD-ALGORITHM (RFC 8489 §14.12).
        PASSWORD_ALGORITHM = 0x001D => "PASSWORD-ALGORITHM",
        /// USERHASH (RFC 8489 §14.4).
        USERHASH = 0x001E => "USERHASH",
        /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2).
        XOR_MAPPED_ADDRESS = 0x0020 => "XOR-MAPPED-ADDRESS",
        /// RESERVATION-TOKEN (RFC 8656 §18.10).
        RESERVATION_TOKEN = 0x0022 => "RESERVATION-TOKEN",
        /// PRIORITY (RFC 8445 §16.1).
        PRIORITY = 0x0024 => "PRIORITY",
        /// USE-CANDIDATE (RFC 8445 §16.1).
        USE_CANDIDATE = 0x0025 => "USE-CANDIDATE",
        /// PADDING (RFC 5780 §7.6).
        PADDING = 0x0026 => "PADDING",
        /// RESPONSE-PORT (RFC 5780 §7.5).
        RESPONSE_PORT = 0x0027 => "RESPONSE-PORT",
        /// CONNECTION-ID (RFC 6062 §6.2.1).
        CONNECTION_ID = 0x002A => "CONNECTION-ID",
        /// ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.11).
        ADDITIONAL_ADDRESS_FAMILY = 0x8000 => "ADDITIONAL-ADDRESS-FAMILY",
        /// ADDRESS-ERROR-CODE (RFC 8656 §18.12).
        ADDRESS_ERROR_CODE = 0x8001 => "ADDRESS-ERROR-CODE",
        /// PASSWORD-ALGORITHMS (RFC 8489 §14.11).
        PASSWORD_ALGORITHMS = 0x8002 => "PASSWORD-ALGORITHMS",
        /// ALTERNATE-DOMAIN (RFC 8489 §14.16).
        ALTERNATE_DOMAIN = 0x8003 => "ALTERNATE-DOMAIN",
        /// ICMP (RFC 8656 §18.13).
        ICMP = 0x8004 => "ICMP",
        /// MS-VERSION (MS-TURN §2.2.2.15).
        MS_VERSION = 0x8008 => "MS-VERSION",
        /// XOR-MAPPED-ADDRESS at its pre-RFC 5389 code point (rfc3489bis drafts, MS-TURN).
        XOR_MAPPED_ADDRESS_DRAFT = 0x8020 => "XOR-MAPPED-ADDRESS-0x8020",
        /// SOFTWARE (RFC 8489 §14.14).
        SOFTWARE = 0x8022 => "SOFTWARE",
        /// ALTERNATE-SERVER (RFC 8489 §14.15).
        ALTERNATE_SERVER = 0x8023 => "ALTERNATE-SERVER",
        /// TRANSACTION_TRANSMIT_COUNTER (RFC 7982 §3.1).
        TRANSACTION_TRANSMIT_COUNTER = 0x8025 => "TRANSACTION_TRANSMIT_COUNTER",
        /// CACHE-TIMEOUT (RFC 5780 §7.7).
        CACHE_TIMEOUT = 0x8027 => "CACHE-TIMEOUT",
        /// FINGERPRINT (RFC 8489 §14.7).
        FINGERPRINT = 0x8028 => "FINGERPRINT",
        /// ICE-CONTROLLED (RFC 8445 §16.1).
        ICE_CONTROLLED = 0x8029 => "ICE-CONTROLLED",
        /// ICE-CONTROLLING (RFC 8445 §16.1).
        ICE_CONTROLLING = 0x802A => "ICE-CONTROLLING",
        /// RESPONSE-ORIGIN (RFC 5780 §7.3).
        RESPONSE_ORIGIN = 0x802B => "RESPONSE-ORIGIN",
        /// OTHER-ADDRESS (RFC 5780 §7.4).
        OTHER_ADDRESS = 0x802C => "OTHER-ADDRESS",
        /// ECN-CHECK STUN (RFC 6679 §7.2.2).
        ECN_CHECK = 0x802D => "ECN-CHECK STUN",
        /// THIRD-PARTY-AUTHORIZATION (RFC 7635 §6.1).
        THIRD_PARTY_AUTHORIZATION = 0x802E => "THIRD-PARTY-AUTHORIZATION",
        /// ORIGIN (draft-ietf-tram-stun-origin; sent by Chrome).
        ORIGIN = 0x802F => "ORIGIN",
        /// MOBILITY-TICKET (RFC 8016 §3.1).
        MOBILITY_TICKET = 0x8030 => "MOBILITY-TICKET",
        /// MS-SEQUENCE-NUMBER (MS-TURN §2.2.2.16).
        MS_SEQUENCE_NUMBER = 0x8050 => "MS-SEQUENCE-NUMBER",
        /// MS-CANDIDATE-IDENTIFIER (MS-ICE2 §2.2.2.3).
        MS_CANDIDATE_IDENTIFIER = 0x8054 => "MS-CANDIDATE-IDENTIFIER",
        /// MS-SERVICE-QUALITY (MS-TURN §2.2.2.17).
        MS_SERVICE_QUALITY = 0x8055 => "MS-SERVICE-QUALITY",
        /// Bandwidth Admission Control Message (MS-TURNBWM §2.2.1).
        MS_BANDWIDTH_ACM = 0x8056 => "MS-BANDWIDTH-ACM",
        /// Bandwidth Reservation Identifier (MS-TURNBWM §2.2.2).
        MS_BANDWIDTH_RSV_ID = 0x8057 => "MS-BANDWIDTH-RSV-ID",
        /// Bandwidth Reservation Amount (MS-TURNBWM §2.2.3).
        MS_BANDWIDTH_RSV_AMOUNT = 0x8058 => "MS-BANDWIDTH-RSV-AMOUNT",
        /// Remote Site Address (MS-TURNBWM §2.2.4).
        MS_REMOTE_SITE_ADDRESS = 0x8059 => "MS-REMOTE-SITE-ADDRESS",
        /// Remote Relay Site Address (MS-TURNBWM §2.2.5).
        MS_REMOTE_RELAY_SITE_ADDRESS = 0x805A => "MS-REMOTE-RELAY-SITE-ADDRESS",
        /// Local Site Address (MS-TURNBWM §2.2.6).
        MS_LOCAL_SITE_ADDRESS = 0x805B => "MS-LOCAL-SITE-ADDRESS",
        /// Local Relay Site Address (MS-TURNBWM §2.2.7).
        MS_LOCAL_RELAY_SITE_ADDRESS = 0x805C => "MS-LOCAL-RELAY-SITE-ADDRESS",
        /// Remote Site Address Response (MS-TURNBWM §2.2.8).
        MS_REMOTE_SITE_ADDRESS_RESPONSE = 0x805D => "MS-REMOTE-SITE-ADDRESS-RESPONSE",
        /// Remote Relay Site Address Response (MS-TURNBWM §2.2.9).
        MS_REMOTE_RELAY_SITE_ADDRESS_RESPONSE = 0x805E => "MS-REMOTE-RELAY-SITE-ADDRESS-RESPONSE",
        /// Local Site Address Response (MS-TURNBWM §2.2.10).
        MS_LOCAL_SITE_ADDRESS_RESPONSE = 0x805F => "MS-LOCAL-SITE-ADDRESS-RESPONSE",
        /// Local Relay Site Address Response (MS-TURNBWM §2.2.11).
        MS_LOCAL_RELAY_SITE_ADDRESS_RESPONSE = 0x8060 => "MS-LOCAL-RELAY-SITE-ADDRESS-RESPONSE",
        /// SIP Dialog Identifier (MS-TURNBWM §2.2.12).
        MS_SIP_DIALOG_ID = 0x8061 => "MS-SIP-DIALOG-ID",
        /// SIP Call Identifier (MS-TURNBWM §2.2.13).
        MS_SIP_CALL_ID = 0x8062 => "MS-SIP-CALL-ID",
        /// Location Profile (MS-TURNBWM §2.2.14).
        MS_LOCATION_PROFILE = 0x8068 => "MS-LOCATION-PROFILE",
        /// MS-IMPLEMENTATION-VERSION (MS-ICE2 §2.2.2.2).
        MS_IMPLEMENTATION_VERSION = 0x8070 => "MS-IMPLEMENTATION-VERSION",
        /// MS-ALT-MAPPED-ADDRESS (MS-TURN §2.2.2.18).
        MS_ALT_MAPPED_ADDRESS = 0x8090 => "MS-ALT-MAPPED-ADDRESS",
        /// MS-MULTIPLEXED-TURN-SESSION-ID (MS-TURN §2.2.2.19).
        MS_MULTIPLEXED_TURN_SESSION_ID = 0x8095 => "MS-MULTIPLEXED-TURN-SESSION-ID",
        /// CISCO-STUN-FLOWDATA (IANA, Cisco).
        CISCO_STUN_FLOWDATA = 0xC000 => "CISCO-STUN-FLOWDATA",
        /// ENF-FLOW-DESCRIPTION (IANA, Cisco).
        ENF_FLOW_DESCRIPTION = 0xC001 => "ENF-FLOW-DESCRIPTION",
        /// ENF-NETWORK-STATUS (IANA, Cisco).
        ENF_NETWORK_STATUS = 0xC002 => "ENF-NETWORK-STATUS",
        /// CISCO-WEBEX-FLOW-INFO (IANA, Cisco).
        CISCO_WEBEX_FLOW_INFO = 0xC003 => "CISCO-WEBEX-FLOW-INFO",
        /// CITRIX-TRANSACTION-ID (IANA, Citrix).
        CITRIX_TRANSACTION_ID = 0xC056 => "CITRIX-TRANSACTION-ID",
        /// GOOG-NETWORK-INFO: network ID and cost (IANA, Google; libwebrtc).
        GOOG_NETWORK_INFO = 0xC057 => "GOOG-NETWORK-INFO",
        /// GOOG-LAST-ICE-CHECK-RECEIVED (IANA, Google).
        GOOG_LAST_ICE_CHECK_RECEIVED = 0xC058 => "GOOG-LAST-ICE-CHECK-RECEIVED",
        /// GOOG-MISC-INFO (IANA, Google).
        GOOG_MISC_INFO = 0xC059 => "GOOG-MISC-INFO",
        /// GOOG-OBSOLETE-1 (IANA, Google).
        GOOG_OBSOLETE_1 = 0xC05A => "GOOG-OBSOLETE-1",
        /// GOOG-CONNECTION-ID (IANA, Google).
        GOOG_CONNECTION_ID = 0xC05B => "GOOG-CONNECTION-ID",
        /// GOOG-DELTA (IANA, Google).
        GOOG_DELTA = 0xC05C => "GOOG-DELTA",
        /// GOOG-DELTA-ACK (IANA, Google).
        GOOG_DELTA_ACK = 0xC05D => "GOOG-DELTA-ACK",
        /// GOOG-DELTA-SYNC-REQ (IANA, Google).
        GOOG_DELTA_SYNC_REQ = 0xC05E => "GOOG-DELTA-SYNC-REQ",
        /// GOOG-MESSAGE-INTEGRITY-32 (IANA, Google).
        GOOG_MESSAGE_INTEGRITY_32 = 0xC060 => "GOOG-MESSAGE-INTEGRITY-32",
    }
}

impl AttributeType {
    /// True for 0x0000..=0x7FFF: an agent that does not understand the attribute must reject
    /// the message (RFC 8489 §14).
    pub const fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

wire_enum! {
    /// A STUN error code, `class * 100 + number` (RFC 8489 §14.8, IANA "STUN Error Codes";
    /// names are the registered reason phrases).
    pub struct ErrorCode(u16) {
        /// 300 Try Alternate (RFC 8489).
        TRY_ALTERNATE = 300 => "Try Alternate",
        /// 400 Bad Request (RFC 8489).
        BAD_REQUEST = 400 => "Bad Request",
        /// 401 Unauthenticated (RFC 8489; "Unauthorized" in RFC 3489/5389).
        UNAUTHENTICATED = 401 => "Unauthenticated",
        /// 403 Forbidden (RFC 8656).
        FORBIDDEN = 403 => "Forbidden",
        /// 405 Mobility Forbidden (RFC 8016).
        MOBILITY_FORBIDDEN = 405 => "Mobility Forbidden",
        /// 420 Unknown Attribute (RFC 8489).
        UNKNOWN_ATTRIBUTE = 420 => "Unknown Attribute",
        /// 430 Stale Credentials (RFC 3489).
        STALE_CREDENTIALS = 430 => "Stale Credentials",
        /// 431 Integrity Check Failure (RFC 3489).
        INTEGRITY_CHECK_FAILURE = 431 => "Integrity Check Failure",
        /// 432 Missing Username (RFC 3489).
        MISSING_USERNAME = 432 => "Missing Username",
        /// 433 Use TLS (RFC 3489).
        USE_TLS = 433 => "Use TLS",
        /// 437 Allocation Mismatch (RFC 8656).
        ALLOCATION_MISMATCH = 437 => "Allocation Mismatch",
        /// 438 Stale Nonce (RFC 8489).
        STALE_NONCE = 438 => "Stale Nonce",
        /// 440 Address Family not Supported (RFC 8656).
        ADDRESS_FAMILY_NOT_SUPPORTED = 440 => "Address Family not Supported",
        /// 441 Wrong Credentials (RFC 8656).
        WRONG_CREDENTIALS = 441 => "Wrong Credentials",
        /// 442 Unsupported Transport Protocol (RFC 8656).
        UNSUPPORTED_TRANSPORT_PROTOCOL = 442 => "Unsupported Transport Protocol",
        /// 443 Peer Address Family Mismatch (RFC 8656).
        PEER_ADDRESS_FAMILY_MISMATCH = 443 => "Peer Address Family Mismatch",
        /// 446 Connection Already Exists (RFC 6062).
        CONNECTION_ALREADY_EXISTS = 446 => "Connection Already Exists",
        /// 447 Connection Timeout or Failure (RFC 6062).
        CONNECTION_TIMEOUT_OR_FAILURE = 447 => "Connection Timeout or Failure",
        /// 486 Allocation Quota Reached (RFC 8656).
        ALLOCATION_QUOTA_REACHED = 486 => "Allocation Quota Reached",
        /// 487 Role Conflict (RFC 8445).
        ROLE_CONFLICT = 487 => "Role Conflict",
        /// 500 Server Error (RFC 8489).
        SERVER_ERROR = 500 => "Server Error",
        /// 508 Insufficient Capacity (RFC 8656).
        INSUFFICIENT_CAPACITY = 508 => "Insufficient Capacity",
        /// 600 Global Failure (RFC 3489).
        GLOBAL_FAILURE = 600 => "Global Failure",
    }
}

impl ErrorCode {
    /// The class (hundreds digit).
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }
    /// The number (last two digits).
    pub const fn number(self) -> u8 {
        (self.0 % 100) as u8
    }
    /// Builds a code from class and number; `None` when they cannot be a code (class over 7,
    /// number over 99).
    pub const fn from_parts(class: u8, number: u8) -> Option<Self> {
        if class > 7 || number > 99 {
            None
        } else {
            Some(ErrorCode(class as u16 * 100 + number as u16))
        }
    }
}

wire_enum! {
    /// An address family in (XOR-)address attributes and TURN's address-family attributes
    /// (RFC 8489 §14.1, RFC 8656 §18.6).
    pub struct AddressFamily(u8) {
        /// IPv4.
        IPV4 = 0x01 => "IPv4",
        /// IPv6.
        IPV6 = 0x02 => "IPv6",
    }
}

wire_enum! {
    /// A password algorithm (RFC 8489 §18.5, IANA "STUN Password Algorithms").
    pub struct PasswordAlgorithm(u16) {
        /// MD5: the long-term key is MD5(username ":" realm ":" password), 16 bytes.
        MD5 = 0x0001 => "MD5",
        /// SHA-256: the long-term key is SHA-256 of the same string, 32 bytes.
        SHA256 = 0x0002 => "SHA-256",
    }
}

wire_enum! {
    /// The IP protocol number in REQUESTED-TRANSPORT (RFC 8656 §18.8; RFC 6062 adds TCP).
    pub struct TransportProtocol(u8) {
        /// TCP (RFC 6062).
        TCP = 6 => "TCP",
        /// UDP.
        UDP = 17 => "UDP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_type_bits() {
        // RFC 8489 §5: Binding request 0x0001, success 0x0101, error 0x0111, indication 0x0011.
        assert_eq!(
            MessageType::new(Method::BINDING, Class::REQUEST).to_u16(),
            0x0001
        );
        assert_eq!(
            MessageType::new(Method::BINDING, Class::SUCCESS).to_u16(),
            0x0101
        );
        assert_eq!(
            MessageType::new(Method::BINDING, Class::ERROR).to_u16(),
            0x0111
        );
        assert_eq!(
            MessageType::new(Method::SEND, Class::INDICATION).to_u16(),
            0x0016
        );
        assert_eq!(
            MessageType::new(Method::ALLOCATE, Class::ERROR).to_u16(),
            0x0113
        );
        for v in 0u16..0x4000 {
            assert_eq!(MessageType::from_u16(v).to_u16(), v);
        }
        assert_eq!(
            MessageType::from_u16(0x0103),
            MessageType::new(Method::ALLOCATE, Class::SUCCESS)
        );
    }

    #[test]
    fn error_code_parts() {
        assert_eq!(ErrorCode::STALE_NONCE.class(), 4);
        assert_eq!(ErrorCode::STALE_NONCE.number(), 38);
        assert_eq!(
            ErrorCode::from_parts(4, 1),
            Some(ErrorCode::UNAUTHENTICATED)
        );
        assert_eq!(ErrorCode::from_parts(4, 100), None);
        assert_eq!(format!("{:?}", ErrorCode(499)), "0x01f3");
        assert_eq!(format!("{}", ErrorCode(438)), "Stale Nonce");
    }
}
