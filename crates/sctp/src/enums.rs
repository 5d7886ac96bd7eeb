//! SCTP and DCEP wire enumerations with their IANA names.

use rtcscope_wire::wire_enum;

wire_enum! {
    /// Chunk type (RFC 9260 §3.2 and the SCTP Chunk Types registry).
    pub struct ChunkType(u8) {
        /// DATA (0).
        DATA = 0 => "DATA",
        /// INIT (1).
        INIT = 1 => "INIT",
        /// INIT ACK (2).
        INIT_ACK = 2 => "INIT ACK",
        /// SACK (3).
        SACK = 3 => "SACK",
        /// HEARTBEAT (4).
        HEARTBEAT = 4 => "HEARTBEAT",
        /// HEARTBEAT ACK (5).
        HEARTBEAT_ACK = 5 => "HEARTBEAT ACK",
        /// ABORT (6).
        ABORT = 6 => "ABORT",
        /// SHUTDOWN (7).
        SHUTDOWN = 7 => "SHUTDOWN",
        /// SHUTDOWN ACK (8).
        SHUTDOWN_ACK = 8 => "SHUTDOWN ACK",
        /// ERROR (9).
        ERROR = 9 => "ERROR",
        /// COOKIE ECHO (10).
        COOKIE_ECHO = 10 => "COOKIE ECHO",
        /// COOKIE ACK (11).
        COOKIE_ACK = 11 => "COOKIE ACK",
        /// ECNE (12).
        ECNE = 12 => "ECNE",
        /// CWR (13).
        CWR = 13 => "CWR",
        /// SHUTDOWN COMPLETE (14).
        SHUTDOWN_COMPLETE = 14 => "SHUTDOWN COMPLETE",
        /// AUTH (15, RFC 4895).
        AUTH = 15 => "AUTH",
        /// NR-SACK (16, draft-tuexen-tsvwg-sctp-multipath / usrsctp).
        NR_SACK = 16 => "NR-SACK",
        /// I-DATA (64, RFC 8260).
        I_DATA = 64 => "I-DATA",
        /// ASCONF-ACK (128, RFC 5061).
        ASCONF_ACK = 128 => "ASCONF-ACK",
        /// RE-CONFIG (130, RFC 6525).
        RE_CONFIG = 130 => "RE-CONFIG",
        /// PAD (132, RFC 4820).
        PAD = 132 => "PAD",
        /// FORWARD-TSN (192, RFC 3758).
        FORWARD_TSN = 192 => "FORWARD-TSN",
        /// ASCONF (193, RFC 5061).
        ASCONF = 193 => "ASCONF",
        /// I-FORWARD-TSN (194, RFC 8260).
        I_FORWARD_TSN = 194 => "I-FORWARD-TSN",
    }
}

/// What a receiver does with an unrecognized chunk type: the upper two bits (RFC 9260 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnknownAction {
    /// 00: stop processing the packet and discard it.
    Stop,
    /// 01: stop, discard and report in an ERROR chunk ("Unrecognized Chunk Type").
    StopAndReport,
    /// 10: skip this chunk and continue.
    Skip,
    /// 11: skip, continue and report.
    SkipAndReport,
}

impl ChunkType {
    /// The action the upper two bits ask for, should the type be unknown to a receiver.
    pub const fn unknown_action(self) -> UnknownAction {
        match self.0 >> 6 {
            0 => UnknownAction::Stop,
            1 => UnknownAction::StopAndReport,
            2 => UnknownAction::Skip,
            _ => UnknownAction::SkipAndReport,
        }
    }
}

wire_enum! {
    /// Parameter type of INIT/INIT ACK, HEARTBEAT, RE-CONFIG and ASCONF chunks (RFC 9260 §3.3.2,
    /// RFC 6525 §4, RFC 5061 §4.2, RFC 4895 §3, RFC 3758, RFC 4820, RFC 9653).
    pub struct ParamType(u16) {
        /// Heartbeat Info (1).
        HEARTBEAT_INFO = 1 => "Heartbeat Info",
        /// IPv4 Address (5).
        IPV4_ADDRESS = 5 => "IPv4 Address",
        /// IPv6 Address (6).
        IPV6_ADDRESS = 6 => "IPv6 Address",
        /// State Cookie (7).
        STATE_COOKIE = 7 => "State Cookie",
        /// Unrecognized Parameter (8).
        UNRECOGNIZED_PARAMETER = 8 => "Unrecognized Parameter",
        /// Cookie Preservative (9).
        COOKIE_PRESERVATIVE = 9 => "Cookie Preservative",
        /// Host Name Address (11, deprecated).
        HOST_NAME_ADDRESS = 11 => "Host Name Address",
        /// Supported Address Types (12).
        SUPPORTED_ADDRESS_TYPES = 12 => "Supported Address Types",
        /// Outgoing SSN Reset Request (13, RFC 6525).
        OUTGOING_SSN_RESET = 13 => "Outgoing SSN Reset Request",
        /// Incoming SSN Reset Request (14, RFC 6525).
        INCOMING_SSN_RESET = 14 => "Incoming SSN Reset Request",
        /// SSN/TSN Reset Request (15, RFC 6525).
        SSN_TSN_RESET = 15 => "SSN/TSN Reset Request",
        /// Re-configuration Response (16, RFC 6525).
        RECONFIG_RESPONSE = 16 => "Re-configuration Response",
        /// Add Outgoing Streams Request (17, RFC 6525).
        ADD_OUTGOING_STREAMS = 17 => "Add Outgoing Streams Request",
        /// Add Incoming Streams Request (18, RFC 6525).
        ADD_INCOMING_STREAMS = 18 => "Add Incoming Streams Request",
        /// ECN Capable (0x8000).
        ECN_CAPABLE = 0x8000 => "ECN Capable",
        /// Zero Checksum Acceptable (0x8001, RFC 9653).
        ZERO_CHECKSUM_ACCEPTABLE = 0x8001 => "Zero Checksum Acceptable",
        /// Random (0x8002, RFC 4895).
        RANDOM = 0x8002 => "Random",
        /// Chunk List (0x8003, RFC 4895).
        CHUNK_LIST = 0x8003 => "Chunk List",
        /// Requested HMAC Algorithm (0x8004, RFC 4895).
        REQUESTED_HMAC_ALGORITHM = 0x8004 => "Requested HMAC Algorithm",
        /// Padding (0x8005, RFC 4820).
        PADDING = 0x8005 => "Padding",
        /// Supported Extensions (0x8008, RFC 5061).
        SUPPORTED_EXTENSIONS = 0x8008 => "Supported Extensions",
        /// Forward-TSN-Supported (0xC000, RFC 3758).
        FORWARD_TSN_SUPPORTED = 0xc000 => "Forward-TSN-Supported",
        /// Add IP Address (0xC001, RFC 5061).
        ADD_IP_ADDRESS = 0xc001 => "Add IP Address",
        /// Delete IP Address (0xC002, RFC 5061).
        DELETE_IP_ADDRESS = 0xc002 => "Delete IP Address",
        /// Error Cause Indication (0xC003, RFC 5061).
        ERROR_CAUSE_INDICATION = 0xc003 => "Error Cause Indication",
        /// Set Primary Address (0xC004, RFC 5061).
        SET_PRIMARY_ADDRESS = 0xc004 => "Set Primary Address",
        /// Success Indication (0xC005, RFC 5061).
        SUCCESS_INDICATION = 0xc005 => "Success Indication",
        /// Adaptation Layer Indication (0xC006, RFC 5061).
        ADAPTATION_LAYER_INDICATION = 0xc006 => "Adaptation Layer Indication",
    }
}

wire_enum! {
    /// Error cause code (RFC 9260 §3.3.10, RFC 5061 §4.3, RFC 4895 §3.3).
    pub struct CauseCode(u16) {
        /// Invalid Stream Identifier (1).
        INVALID_STREAM_IDENTIFIER = 1 => "Invalid Stream Identifier",
        /// Missing Mandatory Parameter (2).
        MISSING_MANDATORY_PARAMETER = 2 => "Missing Mandatory Parameter",
        /// Stale Cookie Error (3).
        STALE_COOKIE = 3 => "Stale Cookie Error",
        /// Out of Resource (4).
        OUT_OF_RESOURCE = 4 => "Out of Resource",
        /// Unresolvable Address (5).
        UNRESOLVABLE_ADDRESS = 5 => "Unresolvable Address",
        /// Unrecognized Chunk Type (6).
        UNRECOGNIZED_CHUNK_TYPE = 6 => "Unrecognized Chunk Type",
        /// Invalid Mandatory Parameter (7).
        INVALID_MANDATORY_PARAMETER = 7 => "Invalid Mandatory Parameter",
        /// Unrecognized Parameters (8).
        UNRECOGNIZED_PARAMETERS = 8 => "Unrecognized Parameters",
        /// No User Data (9).
        NO_USER_DATA = 9 => "No User Data",
        /// Cookie Received While Shutting Down (10).
        COOKIE_WHILE_SHUTTING_DOWN = 10 => "Cookie Received While Shutting Down",
        /// Restart of an Association with New Addresses (11).
        RESTART_WITH_NEW_ADDRESSES = 11 => "Restart of an Association with New Addresses",
        /// User-Initiated Abort (12).
        USER_INITIATED_ABORT = 12 => "User-Initiated Abort",
        /// Protocol Violation (13).
        PROTOCOL_VIOLATION = 13 => "Protocol Violation",
        /// Request to Delete Last Remaining IP Address (0x00A0, RFC 5061).
        DELETE_LAST_REMAINING_ADDRESS = 0x00a0 => "Request to Delete Last Remaining IP Address",
        /// Operation Refused Due to Resource Shortage (0x00A1, RFC 5061).
        RESOURCE_SHORTAGE = 0x00a1 => "Operation Refused Due to Resource Shortage",
        /// Request to Delete Source IP Address (0x00A2, RFC 5061).
        DELETE_SOURCE_ADDRESS = 0x00a2 => "Request to Delete Source IP Address",
        /// Association Aborted Due to Illegal ASCONF-ACK (0x00A3, RFC 5061).
        ILLEGAL_ASCONF_ACK = 0x00a3 => "Association Aborted Due to Illegal ASCONF-ACK",
        /// Request Refused - No Authorization (0x00A4, RFC 5061).
        NO_AUTHORIZATION = 0x00a4 => "Request Refused - No Authorization",
        /// Unsupported HMAC Identifier (0x0105, RFC 4895).
        UNSUPPORTED_HMAC_IDENTIFIER = 0x0105 => "Unsupported HMAC Identifier",
    }
}

wire_enum! {
    /// Result of a Re-configuration Response (RFC 6525 §4.4).
    pub struct ReconfigResult(u32) {
        /// Success - Nothing to do (0).
        NOTHING_TO_DO = 0 => "Success - Nothing to do",
        /// Success - Performed (1).
        PERFORMED = 1 => "Success - Performed",
        /// Denied (2).
        DENIED = 2 => "Denied",
        /// Error - Wrong SSN (3).
        WRONG_SSN = 3 => "Error - Wrong SSN",
        /// Error - Request already in progress (4).
        IN_PROGRESS_ERROR = 4 => "Error - Request already in progress",
        /// Error - Bad Sequence Number (5).
        BAD_SEQUENCE_NUMBER = 5 => "Error - Bad Sequence Number",
        /// In progress (6).
        IN_PROGRESS = 6 => "In progress",
    }
}

wire_enum! {
    /// HMAC identifier (RFC 4895 §3.3).
    pub struct HmacId(u16) {
        /// SHA-1 (1).
        SHA1 = 1 => "SHA-1",
        /// SHA-256 (3).
        SHA256 = 3 => "SHA-256",
    }
}

wire_enum! {
    /// Payload protocol identifier (SCTP PPID registry; WebRTC values from RFC 8831 §8 and
    /// RFC 8832 §8.1). PPIDs travel in network byte order.
    pub struct Ppid(u32) {
        /// Unspecified (0).
        UNSPECIFIED = 0 => "Unspecified",
        /// WebRTC DCEP (50).
        WEBRTC_DCEP = 50 => "WebRTC DCEP",
        /// WebRTC String (51).
        WEBRTC_STRING = 51 => "WebRTC String",
        /// WebRTC Binary Partial (52, deprecated).
        WEBRTC_BINARY_PARTIAL = 52 => "WebRTC Binary Partial (deprecated)",
        /// WebRTC Binary (53).
        WEBRTC_BINARY = 53 => "WebRTC Binary",
        /// WebRTC String Partial (54, deprecated).
        WEBRTC_STRING_PARTIAL = 54 => "WebRTC String Partial (deprecated)",
        /// 3GPP PUA (55): not WebRTC, but in the same range.
        PUA_3GPP = 55 => "3GPP PUA",
        /// WebRTC String Empty (56).
        WEBRTC_STRING_EMPTY = 56 => "WebRTC String Empty",
        /// WebRTC Binary Empty (57).
        WEBRTC_BINARY_EMPTY = 57 => "WebRTC Binary Empty",
    }
}

impl Ppid {
    /// True for the WebRTC data channel PPIDs (50–54, 56, 57).
    pub const fn is_webrtc(self) -> bool {
        matches!(self.0, 50..=54 | 56 | 57)
    }
}

wire_enum! {
    /// DCEP message type (RFC 8832 §8.2.1), with the old draft-jesup-rtcweb-data-protocol
    /// types that usrsctp's rtcweb demo still speaks.
    pub struct DcepMessageType(u8) {
        /// DATA_CHANNEL_OPEN_REQUEST (0x00, draft-jesup, legacy).
        LEGACY_OPEN_REQUEST = 0x00 => "DATA_CHANNEL_OPEN_REQUEST (legacy draft)",
        /// DATA_CHANNEL_OPEN_RESPONSE (0x01, draft-jesup, legacy).
        LEGACY_OPEN_RESPONSE = 0x01 => "DATA_CHANNEL_OPEN_RESPONSE (legacy draft)",
        /// DATA_CHANNEL_ACK (0x02; same value in the draft).
        ACK = 0x02 => "DATA_CHANNEL_ACK",
        /// DATA_CHANNEL_OPEN (0x03).
        OPEN = 0x03 => "DATA_CHANNEL_OPEN",
    }
}

wire_enum! {
    /// Data channel type (RFC 8832 §5.1). The draft used 0, 1, 2 with the same meaning and an
    /// "out of order allowed" flag instead of the 0x80 bit.
    pub struct ChannelType(u8) {
        /// DATA_CHANNEL_RELIABLE (0x00).
        RELIABLE = 0x00 => "DATA_CHANNEL_RELIABLE",
        /// DATA_CHANNEL_RELIABLE_UNORDERED (0x80).
        RELIABLE_UNORDERED = 0x80 => "DATA_CHANNEL_RELIABLE_UNORDERED",
        /// DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT (0x01).
        PARTIAL_RELIABLE_REXMIT = 0x01 => "DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT",
        /// DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED (0x81).
        PARTIAL_RELIABLE_REXMIT_UNORDERED = 0x81 => "DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT_UNORDERED",
        /// DATA_CHANNEL_PARTIAL_RELIABLE_TIMED (0x02).
        PARTIAL_RELIABLE_TIMED = 0x02 => "DATA_CHANNEL_PARTIAL_RELIABLE_TIMED",
        /// DATA_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED (0x82).
        PARTIAL_RELIABLE_TIMED_UNORDERED = 0x82 => "DATA_CHANNEL_PARTIAL_RELIABLE_TIMED_UNORDERED",
    }
}

/// How a channel is reliable (RFC 8832 §5.1: the meaning of the reliability parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// Fully reliable; the parameter is ignored.
    Reliable,
    /// At most `n` retransmissions.
    MaxRetransmits(u32),
    /// Retransmit for at most `ms` milliseconds.
    MaxLifetimeMs(u32),
    /// An unknown channel type: the parameter's meaning is unknown.
    Unknown(u32),
}

impl ChannelType {
    /// True when messages may be delivered out of order (the 0x80 bit).
    pub const fn unordered(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// The reliability the channel type and parameter describe.
    pub const fn reliability(self, parameter: u32) -> Reliability {
        match self.0 & 0x7f {
            0 => Reliability::Reliable,
            1 => Reliability::MaxRetransmits(parameter),
            2 => Reliability::MaxLifetimeMs(parameter),
            _ => Reliability::Unknown(parameter),
        }
    }
}
