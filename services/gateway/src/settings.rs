//! The gateway's own settings: its section (`[gateway]`, `XINGFU__GATEWAY__…`), whose
//! defaults and documentation are `settings.toml` beside the crate's `Cargo.toml`.

use std::path::PathBuf;

use serde::Deserialize;
use xingfu_platform::settings::{OwnSettings, Settings, SettingsError};

/// What the gateway is configured with beyond where it listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    /// Who may call.
    pub auth: AuthSettings,
    /// TLS on its gRPC port.
    #[serde(default)]
    pub tls: TlsSettings,
    /// Its protection of the services behind it.
    pub limits: LimitSettings,
}

impl OwnSettings for GatewaySettings {
    const SECTION: &'static str = "gateway";
    const DEFAULTS: &'static str = crate::SETTINGS;
}

impl GatewaySettings {
    /// The gateway's section of `settings`, checked.
    pub fn of(settings: &Settings) -> Result<Self, SettingsError> {
        let own: Self = settings.own()?;
        own.validate()?;
        Ok(own)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let limits = &self.limits;
        if limits.rate_per_second.is_nan() || limits.rate_per_second <= 0.0 || limits.burst < 1.0 {
            return Err(SettingsError::Invalid {
                key: "gateway.limits.rate_per_second".into(),
                reason: "the rate must be above 0 and the burst at least 1".into(),
            });
        }
        if limits.max_in_flight == 0
            || limits.default_deadline_ms == 0
            || limits.max_deadline_ms < limits.default_deadline_ms
        {
            return Err(SettingsError::Invalid {
                key: "gateway.limits.max_deadline_ms".into(),
                reason: "max_in_flight and default_deadline_ms must be above 0, and \
                         max_deadline_ms at least default_deadline_ms"
                    .into(),
            });
        }
        Ok(())
    }
}

/// Who may call xingfu.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The API keys (TOML, hashes only); unset means `<data_dir>/api-keys.toml`, created
    /// with a first admin key when missing.
    pub keys_file: Option<PathBuf>,
    /// Each caller's scopes (TOML); unset means `<data_dir>/policy.toml`, created granting
    /// the first admin everything.
    pub policy_file: Option<PathBuf>,
    /// A JWKS file whose RS256/ES256 keys sign the bearer tokens accepted; unset means no
    /// bearer tokens.
    pub jwks_file: Option<PathBuf>,
    /// The issuer (`iss`) bearer tokens must name.
    pub jwt_issuer: Option<String>,
    /// The audience (`aud`) bearer tokens must name.
    pub jwt_audience: Option<String>,
    /// Seconds of clock skew allowed when checking `exp` and `nbf`.
    pub jwt_leeway_secs: u64,
    /// Milliseconds between reloads of the principals, roles and keys managed through the
    /// API: how long a grant or a revocation made on another replica takes here.
    pub refresh_ms: u64,
}

/// TLS on the gRPC port, and mutual TLS for callers with a certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The certificate chain (PEM); with `key_file`, the port speaks TLS only.
    pub cert_file: Option<PathBuf>,
    /// The private key (PEM).
    pub key_file: Option<PathBuf>,
    /// CA certificates (PEM) whose client certificates callers may present instead of a
    /// key; each certificate's SHA-256 is named in the key file.
    pub client_ca_file: Option<PathBuf>,
}

/// The gateway's protection of the services behind it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Calls a second per caller (a caller's `rate_per_second` in the policy wins).
    pub rate_per_second: f64,
    /// Calls a caller may make at once above its rate.
    pub burst: f64,
    /// Calls in flight through the gateway before new ones are shed (UNAVAILABLE).
    pub max_in_flight: usize,
    /// Milliseconds a call may take when the caller sets no deadline.
    pub default_deadline_ms: u64,
    /// Milliseconds a call may take at most, whatever the caller's deadline.
    pub max_deadline_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_documented_and_a_bad_value_names_its_key() {
        let mut settings = Settings::defaults().unwrap();
        let own = GatewaySettings::of(&settings).unwrap();
        assert_eq!(own.limits.rate_per_second, 200.0);
        assert_eq!(own.limits.max_deadline_ms, 120_000);
        assert_eq!(own.auth.refresh_ms, 1000);
        assert!(own.auth.keys_file.is_none() && own.tls.cert_file.is_none());

        settings.set("gateway.limits.max_in_flight", 7).unwrap();
        assert_eq!(
            GatewaySettings::of(&settings).unwrap().limits.max_in_flight,
            7
        );

        settings.set("gateway.limits.burst", "lots").unwrap();
        let err = GatewaySettings::of(&settings).unwrap_err().to_string();
        assert!(err.contains("gateway.limits.burst"), "{err}");

        // A misspelt key is refused, naming it, not left at its default.
        let mut misspelt = Settings::defaults().unwrap();
        misspelt.set("gateway.limits.burts", 9).unwrap();
        let err = GatewaySettings::of(&misspelt).unwrap_err().to_string();
        assert!(err.contains("burts"), "{err}");

        settings.set("gateway.limits.burst", 0.5).unwrap();
        let err = GatewaySettings::of(&settings).unwrap_err().to_string();
        assert!(err.contains("gateway.limits.rate_per_second"), "{err}");
    }
}
