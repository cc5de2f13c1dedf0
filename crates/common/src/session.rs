//! Sessions: the JWT that auth issues and every service checks. Issuing and checking live side by
//! side so the claims cannot drift between them.

use std::future::{Ready, ready};

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::ids::{SessionId, UserId};
use crate::revocation::Revocations;

/// The cookie that carries the session.
pub const COOKIE_NAME: &str = "session";

/// The JWT claims (docs/contract.md#authentication), and the session they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claims {
    pub id: UserId,
    pub email: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// The session, revoked when it signs out. Tokens issued before sessions could be revoked
    /// have none and stay valid until they expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<SessionId>,
}

/// The signing key and token lifetime, shared by every service of a deployment, and the
/// sessions this service knows to be signed out.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_seconds: i64,
    revocations: Revocations,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_TTL_SECONDS: i64 = 86_400;

impl JwtKeys {
    pub fn new(secret: &SecretString, ttl_seconds: i64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // Only HS256 is accepted: `alg: none` and algorithm confusion are refused by the library.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl_seconds,
            revocations: Revocations::default(),
        }
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl_seconds
    }

    /// The signed-out sessions these keys refuse (fed by [`Revocations::follow`]).
    pub fn revocations(&self) -> &Revocations {
        &self.revocations
    }

    /// Issues a token for a new session of a user, valid from now for the configured lifetime.
    pub fn issue(&self, id: UserId, email: &str) -> anyhow::Result<String> {
        let iat = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            id,
            email: email.to_owned(),
            iat,
            exp: iat + self.ttl_seconds,
            sid: Some(SessionId::new()),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token signed with this key, of a session that has not
    /// signed out; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
            .filter(|claims| {
                !claims
                    .sid
                    .is_some_and(|sid| self.revocations.is_revoked(sid))
            })
    }

    /// Reads the session from the `session` cookie, else from `Authorization: Bearer`.
    pub fn from_request(&self, req: &HttpRequest) -> Option<Claims> {
        if let Some(cookie) = req.cookie(COOKIE_NAME)
            && let Some(claims) = self.verify(cookie.value())
        {
            return Some(claims);
        }
        let header = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))?;
        self.verify(token.trim())
    }
}

/// The session cookie for a freshly issued token.
pub fn session_cookie(token: String, secure: bool, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(COOKIE_NAME, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::seconds(max_age_seconds))
        .finish()
}

/// A cookie that clears the session (Max-Age=0).
pub fn cleared_session_cookie(secure: bool) -> Cookie<'static> {
    session_cookie(String::new(), secure, 0)
}

fn keys(req: &HttpRequest) -> Result<&JwtKeys, ApiError> {
    req.app_data::<web::Data<JwtKeys>>()
        .map(|data| data.get_ref())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys missing from app data")))
}

/// "Maybe signed in": the caller's claims, or `None` without a valid session.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Claims>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(keys(req).map(|k| MaybeUser(k.from_request(req))))
    }
}

/// "Must be signed in": rejects with 401 before the body is read or validated.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Claims);

impl CurrentUser {
    pub fn id(&self) -> UserId {
        self.0.id
    }
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(keys(req).and_then(|k| {
            k.from_request(req)
                .map(CurrentUser)
                .ok_or(ApiError::NotAuthorized)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn keys() -> JwtKeys {
        JwtKeys::new(&SecretString::from("test-key"), 60)
    }

    #[test]
    fn a_fresh_token_verifies() {
        let k = keys();
        let id = UserId::new();
        let token = k.issue(id, "a@b.co").unwrap_or_default();
        let claims = k.verify(&token);
        assert_eq!(claims.as_ref().map(|c| c.id), Some(id));
        assert_eq!(claims.map(|c| c.exp - c.iat), Some(60));
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_no_session() {
        let k = keys();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            id: UserId::new(),
            email: "a@b.co".into(),
            iat: now - 100,
            exp: now - 1,
            sid: None,
        };
        let expired = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.encoding)
            .unwrap_or_default();
        assert_eq!(k.verify(&expired), None, "expired");

        let good = k.issue(UserId::new(), "a@b.co").unwrap_or_default();
        let mut tampered = good.clone();
        tampered.insert(good.len() / 2, 'x');
        assert_eq!(k.verify(&tampered), None, "tampered");

        let foreign = JwtKeys::new(&SecretString::from("other-key"), 60)
            .issue(UserId::new(), "a@b.co")
            .unwrap_or_default();
        assert_eq!(k.verify(&foreign), None, "wrong key");

        // {"alg":"none"} header with valid claims and an empty signature
        let payload = good.split('.').nth(1).unwrap_or_default();
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert_eq!(k.verify(&unsigned), None, "alg none");
        assert_eq!(k.verify("garbage"), None, "garbage");
    }

    #[test]
    fn a_signed_out_session_is_no_session_and_old_tokens_without_one_still_verify() {
        let k = keys();
        let token = k.issue(UserId::new(), "a@b.co").unwrap_or_default();
        let claims = k.verify(&token).unwrap_or_else(|| unreachable!());
        let sid = claims.sid.unwrap_or_else(|| unreachable!());
        let other = k.issue(UserId::new(), "c@d.co").unwrap_or_default();
        k.revocations().revoke(
            sid,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        );
        assert_eq!(k.verify(&token), None, "signed out");
        assert!(
            k.verify(&other).is_some(),
            "another session of the same keys"
        );
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let legacy = Claims {
            id: UserId::new(),
            email: "e@f.co".into(),
            iat: now,
            exp: now + 60,
            sid: None,
        };
        let legacy = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &legacy, &k.encoding)
            .unwrap_or_default();
        assert!(k.verify(&legacy).is_some(), "a token from before sessions");
    }

    #[test]
    fn reads_cookie_or_bearer() {
        let k = keys();
        let id = UserId::new();
        let token = k.issue(id, "a@b.co").unwrap_or_default();
        let by_cookie = TestRequest::default()
            .cookie(Cookie::new(COOKIE_NAME, token.clone()))
            .to_http_request();
        assert_eq!(k.from_request(&by_cookie).map(|c| c.id), Some(id));
        let by_bearer = TestRequest::default()
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .to_http_request();
        assert_eq!(k.from_request(&by_bearer).map(|c| c.id), Some(id));
        assert_eq!(
            k.from_request(&TestRequest::default().to_http_request()),
            None
        );
    }

    #[test]
    fn cookie_attributes() {
        let c = session_cookie("t".into(), true, 10).to_string();
        for part in [
            "session=t",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=10",
        ] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(
            cleared_session_cookie(false)
                .to_string()
                .contains("Max-Age=0")
        );
    }
}
