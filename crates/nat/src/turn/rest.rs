//! TURN REST API credentials (coturn `use-auth-secret`, draft-uberti-behave-turn-rest).

use base64::Engine as _;
use hmac::{Hmac, Mac};

/// TURN REST API credentials (coturn `use-auth-secret`): the username is `expiry:user` (expiry
/// in Unix seconds), the password base64(HMAC-SHA1(secret, username)).
pub fn rest_credentials(secret: &[u8], user: &str, expiry_unix: u64) -> (String, String) {
    let username = if user.is_empty() {
        expiry_unix.to_string()
    } else {
        format!("{expiry_unix}:{user}")
    };
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    let password = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, password)
}
