"""libsrtp's side of crates/srtp/tests/libsrtp.rs, through pylibsrtp (libsrtp 2 bindings).

Reads one JSON request on stdin:
  {"profile": "AES_CM_128_HMAC_SHA1_80", "key": "<hex master key || salt>",
   "protect_rtp": [hex...], "protect_rtcp": [hex...],
   "unprotect_rtp": [hex...], "unprotect_rtcp": [hex...]}
and writes the same keys back with libsrtp's output for each packet, in order: hex, or
"error: <libsrtp's reason>". Protection runs in one outbound session (as a sender would, its
own rollover counter and SRTCP index), unprotection in one inbound session.
"""

import json
import sys

import pylibsrtp

PROFILES = {
    "AES_CM_128_HMAC_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES_CM_128_HMAC_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    "AEAD_AES_128_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    "AEAD_AES_256_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def session(profile, key, ssrc_type):
    policy = pylibsrtp.Policy(key=key, ssrc_type=ssrc_type, srtp_profile=PROFILES[profile])
    return pylibsrtp.Session(policy=policy)


def run(op, packets):
    out = []
    for p in packets:
        try:
            out.append(op(bytes.fromhex(p)).hex())
        except pylibsrtp.Error as e:
            out.append(f"error: {e}")
    return out


def main():
    req = json.load(sys.stdin)
    key = bytes.fromhex(req["key"])
    tx = session(req["profile"], key, pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    rx = session(req["profile"], key, pylibsrtp.Policy.SSRC_ANY_INBOUND)
    json.dump(
        {
            "protect_rtp": run(tx.protect, req.get("protect_rtp", [])),
            "protect_rtcp": run(tx.protect_rtcp, req.get("protect_rtcp", [])),
            "unprotect_rtp": run(rx.unprotect, req.get("unprotect_rtp", [])),
            "unprotect_rtcp": run(rx.unprotect_rtcp, req.get("unprotect_rtcp", [])),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
