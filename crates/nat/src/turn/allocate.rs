//! Allocate with long-term credentials: the unauthenticated request and its 401 challenge
//! (REALM, NONCE), the signed request and the relayed address it gives, and the retry of any
//! signed request after 438 Stale Nonce.

use super::{error_of, Phase, Request, TurnCheck};
use crate::msg::explain_error;
use rtcscope_stun::{
    Attribute, Credentials, MessageBuilder, Method, PasswordPrep, TransactionId, TransportProtocol,
};
use std::time::{Duration, Instant};

impl TurnCheck {
    /// Sends Allocate (UDP relay, the configured lifetime), signed once credentials exist.
    pub(super) fn allocate(&mut self, now: Instant) {
        let id = self.ids.transaction_id();
        let mut b = MessageBuilder::request(Method::ALLOCATE, TransactionId::Rfc5389(id));
        b.add(&Attribute::RequestedTransport(TransportProtocol::UDP))
            .add(&Attribute::Lifetime(self.cfg.lifetime));
        let signed = self.creds.is_some();
        self.send_client(now, id, b, Request::Allocate, signed);
    }

    /// The unauthenticated Allocate refused: the 401 challenge (REALM, NONCE) gives the credentials, anything else ends the check.
    pub(super) fn on_challenge(
        &mut self,
        now: Instant,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        let (code, reason) = error_of(attrs).unwrap_or((0, String::new()));
        let realm = attrs.iter().find_map(|a| match a {
            Attribute::Realm(r) => Some(r.to_string()),
            _ => None,
        });
        let nonce = attrs.iter().find_map(|a| match a {
            Attribute::Nonce(n) => Some(n.to_string()),
            _ => None,
        });
        match (code, realm, nonce) {
            (401, Some(realm), Some(nonce)) => {
                self.step(
                    "Allocate (unauthenticated)",
                    true,
                    rtt,
                    format!("401 challenge with REALM \"{realm}\" and a NONCE, as expected"),
                );
                self.report.realm = Some(realm.clone());
                match Credentials::long_term(
                    &self.cfg.username,
                    &realm,
                    &nonce,
                    &self.cfg.password,
                    None,
                    PasswordPrep::SaslPrep,
                ) {
                    Ok(c) => {
                        self.creds = Some(c);
                        self.phase = Phase::Allocate;
                        self.allocate(now);
                    }
                    Err(e) => {
                        self.step(
                            "credentials",
                            false,
                            None,
                            format!("the username or password cannot be prepared: {e:?}"),
                        );
                        self.finish(now);
                    }
                }
            }
            (code, _, _) => self.fail(
                now,
                Request::Allocate,
                "Allocate (unauthenticated)",
                code,
                &reason,
            ),
        }
    }

    /// The unauthenticated Allocate succeeded: an open relay.
    pub(super) fn on_open_relay(
        &mut self,
        now: Instant,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        self.step(
            "Allocate (unauthenticated)",
            true,
            rtt,
            "the server allocated a relay WITHOUT authentication: an open relay".into(),
        );
        self.on_allocated(now, attrs);
    }

    /// The signed Allocate succeeded.
    pub(super) fn on_allocate_signed(
        &mut self,
        now: Instant,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        self.step(
            "Allocate (authenticated)",
            true,
            rtt,
            "allocation created".into(),
        );
        self.on_allocated(now, attrs);
    }

    /// An allocation was made: records the relayed and reflexive addresses and the lifetime,
    /// then asks for the permission.
    pub(super) fn on_allocated(&mut self, now: Instant, attrs: &[Attribute<'static>]) {
        for a in attrs {
            match a {
                Attribute::XorRelayedAddress(r) => self.report.relayed = Some(*r),
                Attribute::XorMappedAddress(x) => self.report.srflx = Some(*x),
                Attribute::Lifetime(l) => self.report.lifetime = Some(*l),
                _ => {}
            }
        }
        let detail = format!(
            "relayed candidate {}, server-reflexive candidate {}, lifetime {} s",
            self.report
                .relayed
                .map(|a| a.to_string())
                .unwrap_or_else(|| "missing".into()),
            self.report
                .srflx
                .map(|a| a.to_string())
                .unwrap_or_else(|| "missing".into()),
            self.report
                .lifetime
                .map(|l| l.to_string())
                .unwrap_or_else(|| "?".into()),
        );
        self.step(
            "relayed address",
            self.report.relayed.is_some(),
            None,
            detail,
        );
        if self.report.relayed.is_none() {
            self.finish(now);
            return;
        }
        self.phase = Phase::Permission;
        self.maybe_permission(now);
    }

    /// An error answer to `what`: a stale nonce is retried (twice at most) with the new nonce; any other error ends the check (after releasing the allocation).
    pub(super) fn on_error(
        &mut self,
        now: Instant,
        what: Request,
        rtt: Option<Duration>,
        attrs: &[Attribute<'static>],
    ) {
        let (code, reason) = error_of(attrs).unwrap_or((0, String::new()));
        if code == 438 && self.stale_retries < 2 {
            // Stale nonce: take the new one and resend the same request.
            self.stale_retries += 1;
            let nonce = attrs.iter().find_map(|a| match a {
                Attribute::Nonce(n) => Some(n.to_string()),
                _ => None,
            });
            if let (Some(n), Some(Credentials::LongTerm { nonce, .. })) =
                (nonce, self.creds.as_mut())
            {
                *nonce = n;
            }
            self.step(
                what.name(),
                true,
                rtt,
                "438 Stale Nonce: retried with the new nonce".into(),
            );
            self.resend(now, what);
            return;
        }
        if self.phase == Phase::Release {
            self.step(
                what.name(),
                false,
                rtt,
                format!("error {code} {reason}: {}", explain_error(code)),
            );
            self.finish(now);
        } else {
            self.fail(now, what, what.name(), code, &reason);
        }
    }

    /// Sends `request` again, after a stale nonce.
    pub(super) fn resend(&mut self, now: Instant, request: Request) {
        match request {
            Request::Allocate => self.allocate(now),
            Request::Refresh => self.release(now),
            Request::CreatePermission => self.maybe_permission(now),
            Request::ChannelBind => self.channel_bind(now),
            Request::Binding | Request::PeerBinding => self.finish(now),
        }
    }
}
