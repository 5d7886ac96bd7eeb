//! DTLS/TLS wire enumerations with their IANA names (TLS parameters registries).
//!
//! Every enumeration is an open newtype (see [`rtcscope_wire::wire_enum!`]): unknown values are
//! kept and printed in hex.

use rtcscope_wire::wire_enum;

wire_enum! {
    /// Record content type (RFC 6347 §4.1, RFC 9147 §4, RFC 9146 §4).
    pub struct ContentType(u8) {
        /// change_cipher_spec (20).
        CHANGE_CIPHER_SPEC = 20 => "change_cipher_spec",
        /// alert (21).
        ALERT = 21 => "alert",
        /// handshake (22).
        HANDSHAKE = 22 => "handshake",
        /// application_data (23).
        APPLICATION_DATA = 23 => "application_data",
        /// heartbeat (24, RFC 6520).
        HEARTBEAT = 24 => "heartbeat",
        /// tls12_cid (25, RFC 9146): a DTLS 1.2 record with a connection ID.
        TLS12_CID = 25 => "tls12_cid",
        /// ack (26, RFC 9147 §7).
        ACK = 26 => "ack",
    }
}

wire_enum! {
    /// Protocol version as carried on the wire. DTLS versions are the one's complement of
    /// `1.x`: 1.0 = 0xfeff, 1.2 = 0xfefd, 1.3 = 0xfefc (RFC 9147 §5.3).
    pub struct ProtocolVersion(u16) {
        /// DTLS 1.0 (RFC 4347).
        DTLS1_0 = 0xfeff => "DTLS 1.0",
        /// DTLS 1.2 (RFC 6347).
        DTLS1_2 = 0xfefd => "DTLS 1.2",
        /// DTLS 1.3 (RFC 9147); only ever in supported_versions, never in a record header.
        DTLS1_3 = 0xfefc => "DTLS 1.3",
        /// OpenSSL's pre-RFC DTLS ("DTLS1_BAD_VER", Cisco AnyConnect).
        DTLS1_BAD = 0x0100 => "DTLS 1.0 (OpenSSL pre-standard)",
        /// TLS 1.0.
        TLS1_0 = 0x0301 => "TLS 1.0",
        /// TLS 1.1.
        TLS1_1 = 0x0302 => "TLS 1.1",
        /// TLS 1.2.
        TLS1_2 = 0x0303 => "TLS 1.2",
        /// TLS 1.3.
        TLS1_3 = 0x0304 => "TLS 1.3",
    }
}

impl ProtocolVersion {
    /// True for a DTLS version (0xfexx, or OpenSSL's 0x0100).
    pub const fn is_dtls(self) -> bool {
        self.0 >> 8 == 0xfe || self.0 == 0x0100
    }
}

wire_enum! {
    /// Handshake message type (RFC 6347 §4.2.2, RFC 9147 §5.2, TLS HandshakeType registry).
    pub struct HandshakeType(u8) {
        /// hello_request (0).
        HELLO_REQUEST = 0 => "hello_request",
        /// client_hello (1).
        CLIENT_HELLO = 1 => "client_hello",
        /// server_hello (2); also HelloRetryRequest in 1.3 (special random).
        SERVER_HELLO = 2 => "server_hello",
        /// hello_verify_request (3), DTLS ≤ 1.2 only.
        HELLO_VERIFY_REQUEST = 3 => "hello_verify_request",
        /// new_session_ticket (4).
        NEW_SESSION_TICKET = 4 => "new_session_ticket",
        /// end_of_early_data (5), 1.3.
        END_OF_EARLY_DATA = 5 => "end_of_early_data",
        /// encrypted_extensions (8), 1.3: always encrypted.
        ENCRYPTED_EXTENSIONS = 8 => "encrypted_extensions",
        /// request_connection_id (9, RFC 9147 §9).
        REQUEST_CONNECTION_ID = 9 => "request_connection_id",
        /// new_connection_id (10, RFC 9147 §9).
        NEW_CONNECTION_ID = 10 => "new_connection_id",
        /// certificate (11).
        CERTIFICATE = 11 => "certificate",
        /// server_key_exchange (12), ≤ 1.2.
        SERVER_KEY_EXCHANGE = 12 => "server_key_exchange",
        /// certificate_request (13).
        CERTIFICATE_REQUEST = 13 => "certificate_request",
        /// server_hello_done (14), ≤ 1.2.
        SERVER_HELLO_DONE = 14 => "server_hello_done",
        /// certificate_verify (15).
        CERTIFICATE_VERIFY = 15 => "certificate_verify",
        /// client_key_exchange (16), ≤ 1.2.
        CLIENT_KEY_EXCHANGE = 16 => "client_key_exchange",
        /// finished (20).
        FINISHED = 20 => "finished",
        /// certificate_url (21).
        CERTIFICATE_URL = 21 => "certificate_url",
        /// certificate_status (22).
        CERTIFICATE_STATUS = 22 => "certificate_status",
        /// key_update (24), 1.3.
        KEY_UPDATE = 24 => "key_update",
        /// compressed_certificate (25, RFC 8879).
        COMPRESSED_CERTIFICATE = 25 => "compressed_certificate",
        /// message_hash (254), a synthetic type used in the 1.3 transcript.
        MESSAGE_HASH = 254 => "message_hash",
    }
}

wire_enum! {
    /// Alert level (RFC 5246 §7.2).
    pub struct AlertLevel(u8) {
        /// warning (1).
        WARNING = 1 => "warning",
        /// fatal (2).
        FATAL = 2 => "fatal",
    }
}

wire_enum! {
    /// Alert description (TLS Alerts registry).
    pub struct AlertDescription(u8) {
        /// close_notify (0).
        CLOSE_NOTIFY = 0 => "close_notify",
        /// unexpected_message (10).
        UNEXPECTED_MESSAGE = 10 => "unexpected_message",
        /// bad_record_mac (20).
        BAD_RECORD_MAC = 20 => "bad_record_mac",
        /// decryption_failed (21, reserved).
        DECRYPTION_FAILED = 21 => "decryption_failed",
        /// record_overflow (22).
        RECORD_OVERFLOW = 22 => "record_overflow",
        /// decompression_failure (30, reserved).
        DECOMPRESSION_FAILURE = 30 => "decompression_failure",
        /// handshake_failure (40).
        HANDSHAKE_FAILURE = 40 => "handshake_failure",
        /// no_certificate (41, reserved).
        NO_CERTIFICATE = 41 => "no_certificate",
        /// bad_certificate (42).
        BAD_CERTIFICATE = 42 => "bad_certificate",
        /// unsupported_certificate (43).
        UNSUPPORTED_CERTIFICATE = 43 => "unsupported_certificate",
        /// certificate_revoked (44).
        CERTIFICATE_REVOKED = 44 => "certificate_revoked",
        /// certificate_expired (45).
        CERTIFICATE_EXPIRED = 45 => "certificate_expired",
        /// certificate_unknown (46).
        CERTIFICATE_UNKNOWN = 46 => "certificate_unknown",
        /// illegal_parameter (47).
        ILLEGAL_PARAMETER = 47 => "illegal_parameter",
        /// unknown_ca (48).
        UNKNOWN_CA = 48 => "unknown_ca",
        /// access_denied (49).
        ACCESS_DENIED = 49 => "access_denied",
        /// decode_error (50).
        DECODE_ERROR = 50 => "decode_error",
        /// decrypt_error (51).
        DECRYPT_ERROR = 51 => "decrypt_error",
        /// export_restriction (60, reserved).
        EXPORT_RESTRICTION = 60 => "export_restriction",
        /// protocol_version (70).
        PROTOCOL_VERSION = 70 => "protocol_version",
        /// insufficient_security (71).
        INSUFFICIENT_SECURITY = 71 => "insufficient_security",
        /// internal_error (80).
        INTERNAL_ERROR = 80 => "internal_error",
        /// inappropriate_fallback (86).
        INAPPROPRIATE_FALLBACK = 86 => "inappropriate_fallback",
        /// user_canceled (90).
        USER_CANCELED = 90 => "user_canceled",
        /// no_renegotiation (100).
        NO_RENEGOTIATION = 100 => "no_renegotiation",
        /// missing_extension (109).
        MISSING_EXTENSION = 109 => "missing_extension",
        /// unsupported_extension (110).
        UNSUPPORTED_EXTENSION = 110 => "unsupported_extension",
        /// certificate_unobtainable (111).
        CERTIFICATE_UNOBTAINABLE = 111 => "certificate_unobtainable",
        /// unrecognized_name (112).
        UNRECOGNIZED_NAME = 112 => "unrecognized_name",
        /// bad_certificate_status_response (113).
        BAD_CERTIFICATE_STATUS_RESPONSE = 113 => "bad_certificate_status_response",
        /// bad_certificate_hash_value (114).
        BAD_CERTIFICATE_HASH_VALUE = 114 => "bad_certificate_hash_value",
        /// unknown_psk_identity (115).
        UNKNOWN_PSK_IDENTITY = 115 => "unknown_psk_identity",
        /// certificate_required (116).
        CERTIFICATE_REQUIRED = 116 => "certificate_required",
        /// no_application_protocol (120).
        NO_APPLICATION_PROTOCOL = 120 => "no_application_protocol",
    }
}

wire_enum! {
    /// Extension type (TLS ExtensionType Values registry).
    pub struct ExtensionType(u16) {
        /// server_name (0).
        SERVER_NAME = 0 => "server_name",
        /// max_fragment_length (1).
        MAX_FRAGMENT_LENGTH = 1 => "max_fragment_length",
        /// status_request (5).
        STATUS_REQUEST = 5 => "status_request",
        /// supported_groups (10), formerly elliptic_curves.
        SUPPORTED_GROUPS = 10 => "supported_groups",
        /// ec_point_formats (11).
        EC_POINT_FORMATS = 11 => "ec_point_formats",
        /// signature_algorithms (13).
        SIGNATURE_ALGORITHMS = 13 => "signature_algorithms",
        /// use_srtp (14, RFC 5764 §4.1.1).
        USE_SRTP = 14 => "use_srtp",
        /// heartbeat (15).
        HEARTBEAT = 15 => "heartbeat",
        /// application_layer_protocol_negotiation (16).
        ALPN = 16 => "application_layer_protocol_negotiation",
        /// signed_certificate_timestamp (18).
        SIGNED_CERTIFICATE_TIMESTAMP = 18 => "signed_certificate_timestamp",
        /// client_certificate_type (19).
        CLIENT_CERTIFICATE_TYPE = 19 => "client_certificate_type",
        /// server_certificate_type (20).
        SERVER_CERTIFICATE_TYPE = 20 => "server_certificate_type",
        /// padding (21).
        PADDING = 21 => "padding",
        /// encrypt_then_mac (22).
        ENCRYPT_THEN_MAC = 22 => "encrypt_then_mac",
        /// extended_master_secret (23).
        EXTENDED_MASTER_SECRET = 23 => "extended_master_secret",
        /// compress_certificate (27).
        COMPRESS_CERTIFICATE = 27 => "compress_certificate",
        /// record_size_limit (28).
        RECORD_SIZE_LIMIT = 28 => "record_size_limit",
        /// session_ticket (35).
        SESSION_TICKET = 35 => "session_ticket",
        /// pre_shared_key (41).
        PRE_SHARED_KEY = 41 => "pre_shared_key",
        /// early_data (42).
        EARLY_DATA = 42 => "early_data",
        /// supported_versions (43).
        SUPPORTED_VERSIONS = 43 => "supported_versions",
        /// cookie (44).
        COOKIE = 44 => "cookie",
        /// psk_key_exchange_modes (45).
        PSK_KEY_EXCHANGE_MODES = 45 => "psk_key_exchange_modes",
        /// certificate_authorities (47).
        CERTIFICATE_AUTHORITIES = 47 => "certificate_authorities",
        /// oid_filters (48).
        OID_FILTERS = 48 => "oid_filters",
        /// post_handshake_auth (49).
        POST_HANDSHAKE_AUTH = 49 => "post_handshake_auth",
        /// signature_algorithms_cert (50).
        SIGNATURE_ALGORITHMS_CERT = 50 => "signature_algorithms_cert",
        /// key_share (51).
        KEY_SHARE = 51 => "key_share",
        /// connection_id (54, RFC 9146; the draft used 53).
        CONNECTION_ID = 54 => "connection_id",
        /// connection_id as in draft-ietf-tls-dtls-connection-id before RFC 9146 (53).
        CONNECTION_ID_DRAFT = 53 => "connection_id (draft)",
        /// encrypted_client_hello (65037).
        ENCRYPTED_CLIENT_HELLO = 0xfe0d => "encrypted_client_hello",
        /// renegotiation_info (65281, RFC 5746).
        RENEGOTIATION_INFO = 0xff01 => "renegotiation_info",
    }
}

wire_enum! {
    /// Named group for key exchange (TLS Supported Groups registry).
    pub struct NamedGroup(u16) {
        /// sect163k1 (1).
        SECT163K1 = 1 => "sect163k1",
        /// secp160r1 (16).
        SECP160R1 = 16 => "secp160r1",
        /// secp192r1 (19).
        SECP192R1 = 19 => "secp192r1",
        /// secp224r1 (21).
        SECP224R1 = 21 => "secp224r1",
        /// secp256k1 (22).
        SECP256K1 = 22 => "secp256k1",
        /// secp256r1 (23), P-256.
        SECP256R1 = 23 => "secp256r1",
        /// secp384r1 (24), P-384.
        SECP384R1 = 24 => "secp384r1",
        /// secp521r1 (25), P-521.
        SECP521R1 = 25 => "secp521r1",
        /// brainpoolP256r1 (26).
        BRAINPOOLP256R1 = 26 => "brainpoolP256r1",
        /// brainpoolP384r1 (27).
        BRAINPOOLP384R1 = 27 => "brainpoolP384r1",
        /// brainpoolP512r1 (28).
        BRAINPOOLP512R1 = 28 => "brainpoolP512r1",
        /// x25519 (29).
        X25519 = 29 => "x25519",
        /// x448 (30).
        X448 = 30 => "x448",
        /// ffdhe2048 (256).
        FFDHE2048 = 256 => "ffdhe2048",
        /// ffdhe3072 (257).
        FFDHE3072 = 257 => "ffdhe3072",
        /// ffdhe4096 (258).
        FFDHE4096 = 258 => "ffdhe4096",
        /// ffdhe6144 (259).
        FFDHE6144 = 259 => "ffdhe6144",
        /// ffdhe8192 (260).
        FFDHE8192 = 260 => "ffdhe8192",
        /// X25519MLKEM768 (4588).
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
        /// X25519Kyber768Draft00 (25497).
        X25519KYBER768DRAFT00 = 0x6399 => "X25519Kyber768Draft00",
    }
}

wire_enum! {
    /// Signature scheme (TLS 1.3 SignatureScheme registry; in 1.2 the two bytes are the
    /// `SignatureAndHashAlgorithm` pair hash, signature, and the same names apply).
    pub struct SignatureScheme(u16) {
        /// rsa_pkcs1_md5 (hash md5, sig rsa; 1.2 only).
        RSA_PKCS1_MD5 = 0x0101 => "rsa_pkcs1_md5",
        /// rsa_pkcs1_sha1.
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        /// dsa_sha1 (1.2 only).
        DSA_SHA1 = 0x0202 => "dsa_sha1",
        /// ecdsa_sha1.
        ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
        /// rsa_pkcs1_sha224 (1.2 only).
        RSA_PKCS1_SHA224 = 0x0301 => "rsa_pkcs1_sha224",
        /// dsa_sha224 (1.2 only).
        DSA_SHA224 = 0x0302 => "dsa_sha224",
        /// ecdsa_sha224 (1.2 only).
        ECDSA_SHA224 = 0x0303 => "ecdsa_sha224",
        /// rsa_pkcs1_sha256.
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        /// dsa_sha256 (1.2 only).
        DSA_SHA256 = 0x0402 => "dsa_sha256",
        /// ecdsa_secp256r1_sha256.
        ECDSA_SECP256R1_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        /// rsa_pkcs1_sha384.
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        /// dsa_sha384 (1.2 only).
        DSA_SHA384 = 0x0502 => "dsa_sha384",
        /// ecdsa_secp384r1_sha384.
        ECDSA_SECP384R1_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        /// rsa_pkcs1_sha512.
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        /// dsa_sha512 (1.2 only).
        DSA_SHA512 = 0x0602 => "dsa_sha512",
        /// ecdsa_secp521r1_sha512.
        ECDSA_SECP521R1_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        /// rsa_pss_rsae_sha256.
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        /// rsa_pss_rsae_sha384.
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        /// rsa_pss_rsae_sha512.
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        /// ed25519.
        ED25519 = 0x0807 => "ed25519",
        /// ed448.
        ED448 = 0x0808 => "ed448",
        /// rsa_pss_pss_sha256.
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        /// rsa_pss_pss_sha384.
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        /// rsa_pss_pss_sha512.
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
        /// ecdsa_brainpoolP256r1tls13_sha256.
        ECDSA_BRAINPOOLP256R1TLS13_SHA256 = 0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        /// ecdsa_brainpoolP384r1tls13_sha384.
        ECDSA_BRAINPOOLP384R1TLS13_SHA384 = 0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        /// ecdsa_brainpoolP512r1tls13_sha512.
        ECDSA_BRAINPOOLP512R1TLS13_SHA512 = 0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
    }
}

wire_enum! {
    /// SRTP protection profile for use_srtp (DTLS-SRTP Protection Profiles registry:
    /// RFC 5764 §4.1.2, RFC 7714 §14.2, RFC 8723 §10.1).
    pub struct SrtpProtectionProfile(u16) {
        /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
        AES128_CM_HMAC_SHA1_80 = 0x0001 => "SRTP_AES128_CM_HMAC_SHA1_80",
        /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002).
        AES128_CM_HMAC_SHA1_32 = 0x0002 => "SRTP_AES128_CM_HMAC_SHA1_32",
        /// SRTP_NULL_HMAC_SHA1_80 (0x0005).
        NULL_HMAC_SHA1_80 = 0x0005 => "SRTP_NULL_HMAC_SHA1_80",
        /// SRTP_NULL_HMAC_SHA1_32 (0x0006).
        NULL_HMAC_SHA1_32 = 0x0006 => "SRTP_NULL_HMAC_SHA1_32",
        /// SRTP_AEAD_AES_128_GCM (0x0007, RFC 7714).
        AEAD_AES_128_GCM = 0x0007 => "SRTP_AEAD_AES_128_GCM",
        /// SRTP_AEAD_AES_256_GCM (0x0008, RFC 7714).
        AEAD_AES_256_GCM = 0x0008 => "SRTP_AEAD_AES_256_GCM",
        /// DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM (0x0009, RFC 8723).
        DOUBLE_AEAD_AES_128_GCM = 0x0009 => "DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM",
        /// DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM (0x000a, RFC 8723).
        DOUBLE_AEAD_AES_256_GCM = 0x000a => "DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM",
    }
}

impl SrtpProtectionProfile {
    /// The name OpenSSL uses for `-use_srtp` (e.g. `SRTP_AES128_CM_SHA1_80`), where it differs
    /// from the registry name only by the missing `HMAC_`. `None` when OpenSSL has no name.
    pub const fn openssl_name(self) -> Option<&'static str> {
        match self.0 {
            0x0001 => Some("SRTP_AES128_CM_SHA1_80"),
            0x0002 => Some("SRTP_AES128_CM_SHA1_32"),
            0x0007 => Some("SRTP_AEAD_AES_128_GCM"),
            0x0008 => Some("SRTP_AEAD_AES_256_GCM"),
            _ => None,
        }
    }
}

wire_enum! {
    /// EC point format (RFC 8422 §5.1.2).
    pub struct EcPointFormat(u8) {
        /// uncompressed (0).
        UNCOMPRESSED = 0 => "uncompressed",
        /// ansiX962_compressed_prime (1).
        ANSIX962_COMPRESSED_PRIME = 1 => "ansiX962_compressed_prime",
        /// ansiX962_compressed_char2 (2).
        ANSIX962_COMPRESSED_CHAR2 = 2 => "ansiX962_compressed_char2",
    }
}

wire_enum! {
    /// PSK key exchange mode (RFC 8446 §4.2.9).
    pub struct PskKeyExchangeMode(u8) {
        /// psk_ke (0).
        PSK_KE = 0 => "psk_ke",
        /// psk_dhe_ke (1).
        PSK_DHE_KE = 1 => "psk_dhe_ke",
    }
}

wire_enum! {
    /// Client certificate type in a CertificateRequest (RFC 5246 §7.4.4).
    pub struct ClientCertificateType(u8) {
        /// rsa_sign (1).
        RSA_SIGN = 1 => "rsa_sign",
        /// dss_sign (2).
        DSS_SIGN = 2 => "dss_sign",
        /// rsa_fixed_dh (3).
        RSA_FIXED_DH = 3 => "rsa_fixed_dh",
        /// dss_fixed_dh (4).
        DSS_FIXED_DH = 4 => "dss_fixed_dh",
        /// ecdsa_sign (64).
        ECDSA_SIGN = 64 => "ecdsa_sign",
        /// rsa_fixed_ecdh (65).
        RSA_FIXED_ECDH = 65 => "rsa_fixed_ecdh",
        /// ecdsa_fixed_ecdh (66).
        ECDSA_FIXED_ECDH = 66 => "ecdsa_fixed_ecdh",
    }
}

wire_enum! {
    /// Compression method (RFC 5246 §6.1; only null is used in practice).
    pub struct CompressionMethod(u8) {
        /// null (0).
        NULL = 0 => "null",
        /// DEFLATE (1, RFC 3749).
        DEFLATE = 1 => "DEFLATE",
    }
}

wire_enum! {
    /// Cipher suite (TLS Cipher Suites registry). The suites DTLS stacks (OpenSSL, BoringSSL,
    /// NSS, wolfSSL, mbed TLS) offer are named; others print in hex.
    pub struct CipherSuite(u16) {
        /// TLS_NULL_WITH_NULL_NULL.
        TLS_NULL_WITH_NULL_NULL = 0x0000 => "TLS_NULL_WITH_NULL_NULL",
        /// TLS_RSA_WITH_3DES_EDE_CBC_SHA.
        TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        /// TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA.
        TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA = 0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        /// TLS_RSA_WITH_AES_128_CBC_SHA.
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        /// TLS_DHE_RSA_WITH_AES_128_CBC_SHA.
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        /// TLS_RSA_WITH_AES_256_CBC_SHA.
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        /// TLS_DHE_RSA_WITH_AES_256_CBC_SHA.
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        /// TLS_RSA_WITH_AES_128_CBC_SHA256.
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        /// TLS_RSA_WITH_AES_256_CBC_SHA256.
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        /// TLS_DHE_RSA_WITH_AES_128_CBC_SHA256.
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        /// TLS_DHE_RSA_WITH_AES_256_CBC_SHA256.
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        /// TLS_PSK_WITH_AES_128_CBC_SHA.
        TLS_PSK_WITH_AES_128_CBC_SHA = 0x008c => "TLS_PSK_WITH_AES_128_CBC_SHA",
        /// TLS_PSK_WITH_AES_256_CBC_SHA.
        TLS_PSK_WITH_AES_256_CBC_SHA = 0x008d => "TLS_PSK_WITH_AES_256_CBC_SHA",
        /// TLS_RSA_WITH_AES_128_GCM_SHA256.
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        /// TLS_RSA_WITH_AES_256_GCM_SHA384.
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        /// TLS_DHE_RSA_WITH_AES_128_GCM_SHA256.
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        /// TLS_DHE_RSA_WITH_AES_256_GCM_SHA384.
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        /// TLS_PSK_WITH_AES_128_GCM_SHA256.
        TLS_PSK_WITH_AES_128_GCM_SHA256 = 0x00a8 => "TLS_PSK_WITH_AES_128_GCM_SHA256",
        /// TLS_PSK_WITH_AES_128_CBC_SHA256.
        TLS_PSK_WITH_AES_128_CBC_SHA256 = 0x00ae => "TLS_PSK_WITH_AES_128_CBC_SHA256",
        /// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (a signal, not a suite; RFC 5746).
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        /// TLS_AES_128_GCM_SHA256 (1.3).
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        /// TLS_AES_256_GCM_SHA384 (1.3).
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        /// TLS_CHACHA20_POLY1305_SHA256 (1.3).
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        /// TLS_AES_128_CCM_SHA256 (1.3).
        TLS_AES_128_CCM_SHA256 = 0x1304 => "TLS_AES_128_CCM_SHA256",
        /// TLS_AES_128_CCM_8_SHA256 (1.3).
        TLS_AES_128_CCM_8_SHA256 = 0x1305 => "TLS_AES_128_CCM_8_SHA256",
        /// TLS_FALLBACK_SCSV (a signal, RFC 7507).
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
        /// TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA.
        TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc008 => "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        /// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA.
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        /// TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA.
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        /// TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA.
        TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA = 0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        /// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA.
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        /// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA.
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        /// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256.
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        /// TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384.
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        /// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256.
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        /// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384.
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        /// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        /// TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384.
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        /// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256.
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        /// TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        /// TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA.
        TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA = 0xc035 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
        /// TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA.
        TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA = 0xc036 => "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
        /// TLS_RSA_WITH_AES_128_CCM.
        TLS_RSA_WITH_AES_128_CCM = 0xc09c => "TLS_RSA_WITH_AES_128_CCM",
        /// TLS_RSA_WITH_AES_256_CCM.
        TLS_RSA_WITH_AES_256_CCM = 0xc09d => "TLS_RSA_WITH_AES_256_CCM",
        /// TLS_RSA_WITH_AES_128_CCM_8.
        TLS_RSA_WITH_AES_128_CCM_8 = 0xc0a0 => "TLS_RSA_WITH_AES_128_CCM_8",
        /// TLS_PSK_WITH_AES_128_CCM.
        TLS_PSK_WITH_AES_128_CCM = 0xc0a4 => "TLS_PSK_WITH_AES_128_CCM",
        /// TLS_PSK_WITH_AES_128_CCM_8.
        TLS_PSK_WITH_AES_128_CCM_8 = 0xc0a8 => "TLS_PSK_WITH_AES_128_CCM_8",
        /// TLS_ECDHE_ECDSA_WITH_AES_128_CCM.
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xc0ac => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        /// TLS_ECDHE_ECDSA_WITH_AES_256_CCM.
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xc0ad => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        /// TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8.
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xc0ae => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        /// TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8.
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xc0af => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        /// TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256.
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        /// TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256.
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        /// TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256.
        TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        /// TLS_PSK_WITH_CHACHA20_POLY1305_SHA256.
        TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccab => "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
        /// TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256.
        TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccac => "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
    }
}

/// The key exchange family a cipher suite implies, which decides how ServerKeyExchange and
/// ClientKeyExchange are laid out (RFC 5246 §7.4.3, RFC 8422 §5.4, RFC 4279).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// Ephemeral elliptic-curve Diffie-Hellman (ECDHE_ECDSA, ECDHE_RSA, ECDHE_PSK).
    Ecdhe,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
    /// RSA key transport (no ServerKeyExchange).
    Rsa,
    /// Plain pre-shared key.
    Psk,
    /// TLS/DTLS 1.3 suite: key exchange is in key_share, not in the suite.
    Tls13,
    /// Not known from the suite number.
    Unknown,
}

impl CipherSuite {
    /// The key exchange family, judged from the registered name (unknown suites give
    /// [`KeyExchange::Unknown`], never a guess).
    pub fn key_exchange(self) -> KeyExchange {
        let Some(name) = self.name() else {
            return KeyExchange::Unknown;
        };
        if (0x1301..=0x1305).contains(&self.0) {
            KeyExchange::Tls13
        } else if name.starts_with("TLS_ECDHE_") {
            KeyExchange::Ecdhe
        } else if name.starts_with("TLS_DHE_") {
            KeyExchange::Dhe
        } else if name.starts_with("TLS_RSA_") {
            KeyExchange::Rsa
        } else if name.starts_with("TLS_PSK_") {
            KeyExchange::Psk
        } else {
            KeyExchange::Unknown
        }
    }
}
