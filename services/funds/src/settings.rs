//! The funds service's own settings: its section (`[funds]`, `XINGFU__FUNDS__…`), whose
//! defaults and documentation are `settings.toml` beside the crate's `Cargo.toml`.

use serde::Deserialize;
use xingfu_platform::settings::{OwnSettings, Settings, SettingsError};

/// What the funds service is configured with beyond where it listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundsSettings {
    /// The charity ledger's rules.
    pub ledger: LedgerSettings,
}

/// The charity ledger's rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSettings {
    /// Grants above this many fen need two approvers.
    pub dual_approval_fen: i64,
}

impl OwnSettings for FundsSettings {
    const SECTION: &'static str = "funds";
    const DEFAULTS: &'static str = crate::SETTINGS;
}

impl FundsSettings {
    /// The funds service's section of `settings`, checked.
    pub fn of(settings: &Settings) -> Result<Self, SettingsError> {
        let own: Self = settings.own()?;
        if own.ledger.dual_approval_fen < 0 {
            return Err(SettingsError::Invalid {
                key: "funds.ledger.dual_approval_fen".into(),
                reason: "must be 0 or more fen".into(),
            });
        }
        Ok(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_threshold_is_fifty_thousand_yuan_and_can_be_set() {
        let mut settings = Settings::defaults().unwrap();
        assert_eq!(
            FundsSettings::of(&settings)
                .unwrap()
                .ledger
                .dual_approval_fen,
            5_000_000
        );
        settings.set("funds.ledger.dual_approval_fen", 100).unwrap();
        assert_eq!(
            FundsSettings::of(&settings)
                .unwrap()
                .ledger
                .dual_approval_fen,
            100
        );
        settings.set("funds.ledger.dual_approval_fen", -1).unwrap();
        let err = FundsSettings::of(&settings).unwrap_err().to_string();
        assert!(err.contains("funds.ledger.dual_approval_fen"), "{err}");
    }
}
