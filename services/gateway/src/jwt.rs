//! JWT bearer tokens (`authorization: Bearer <token>`) as the alternative to API keys, for
//! systems that already have an identity provider: RS256 or ES256 signatures checked
//! against the keys of a JWKS file (by `kid`), the issuer and audience required to match,
//! expiry and not-before checked with a bounded clock skew. The subject (`sub`) is the
//! caller; its scopes are the policy's for that caller, narrowed to the token's `scope`
//! claim when it has one (a token can give up scopes, never add them).

use std::collections::{BTreeSet, HashMap};

use crate::settings::AuthSettings;
use anyhow::Context as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tonic::Status;

/// The keys and rules tokens are checked against.
#[derive(Clone)]
pub struct Jwt {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    issuer: String,
    audience: String,
    leeway: u64,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    scope: Option<String>,
}

impl Jwt {
    /// The checks `settings` configure, or `None` when no JWKS is configured.
    pub fn load(settings: &AuthSettings) -> anyhow::Result<Option<Self>> {
        let Some(path) = &settings.jwks_file else {
            return Ok(None);
        };
        let (Some(issuer), Some(audience)) = (&settings.jwt_issuer, &settings.jwt_audience) else {
            anyhow::bail!(
                "gateway.auth.jwks_file needs gateway.auth.jwt_issuer and gateway.auth.jwt_audience"
            );
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading gateway.auth.jwks_file {}", path.display()))?;
        let set: JwkSet =
            serde_json::from_str(&text).context("gateway.auth.jwks_file is not a JWKS")?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let algorithm = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue,
            };
            let key = DecodingKey::from_jwk(jwk).with_context(|| format!("JWKS key {kid}"))?;
            keys.insert(kid, (key, algorithm));
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "gateway.auth.jwks_file has no RS256 or ES256 key with a kid"
        );
        Ok(Some(Self {
            keys,
            issuer: issuer.clone(),
            audience: audience.clone(),
            leeway: settings.jwt_leeway_secs,
        }))
    }

    /// The subject and the scopes the token asks for (`None`: all the policy gives), or
    /// UNAUTHENTICATED.
    pub fn verify(&self, token: &str) -> Result<(String, Option<BTreeSet<String>>), Status> {
        let bad = || Status::unauthenticated("the bearer token is not valid");
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad())?;
        let kid = header.kid.ok_or_else(bad)?;
        let (key, algorithm) = self.keys.get(&kid).ok_or_else(bad)?;
        let mut validation = Validation::new(*algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
            tracing::info!(reason = %e, "refused a bearer token");
            bad()
        })?;
        let scopes = data
            .claims
            .scope
            .map(|s| s.split_whitespace().map(str::to_owned).collect());
        Ok((data.claims.sub, scopes))
    }
}
