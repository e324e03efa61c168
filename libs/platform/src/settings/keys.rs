//! The configuration keys as `defaults.toml` documents them: what `xingfu config` lists
//! and what the tests hold every real setting to.

use super::DEFAULTS;

/// One configuration key as `defaults.toml` documents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDoc {
    /// Dotted key, e.g. `nats.url`; per-service keys as `<service>.listen`.
    pub key: String,
    /// The environment variable, e.g. `XINGFU__NATS__URL`.
    pub env: String,
    /// The built-in default as written in the file; empty when the key is unset by default.
    pub default: String,
}

/// Every key `defaults.toml` names, set or commented out, in file order. Per-service
/// sections are listed once, as `<service>`.
pub fn documented_keys() -> Vec<KeyDoc> {
    let mut keys: Vec<KeyDoc> = Vec::new();
    let mut section = String::new();
    let mut service = "";
    // The per-service sections are those the defaults give a service's settings.
    let services: Vec<String> = super::Settings::defaults()
        .map(|s| s.services.into_keys().collect())
        .unwrap_or_default();
    let services: Vec<&str> = services.iter().map(String::as_str).collect();
    for line in DEFAULTS.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            service = if services.contains(&name) { name } else { "" };
            section = if service.is_empty() {
                name.to_owned()
            } else {
                "<service>".into()
            };
            continue;
        }
        let (set, body) = match line.strip_prefix('#') {
            Some(rest) => (false, rest.trim()),
            None => (true, line),
        };
        let Some((name, value)) = body.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        {
            continue;
        }
        let key = if section.is_empty() {
            name.to_owned()
        } else {
            format!("{section}.{name}")
        };
        let value = value.trim().trim_matches('"');
        // Per-service defaults differ by service: listed as `gateway=…, projects=…`.
        let default = match (set, service.is_empty()) {
            (false, _) => String::new(),
            (true, true) => value.to_owned(),
            (true, false) => format!("{service}={value}"),
        };
        if let Some(existing) = keys.iter_mut().find(|k| k.key == key) {
            if !default.is_empty() {
                if !existing.default.is_empty() {
                    existing.default.push_str(", ");
                }
                existing.default.push_str(&default);
            }
            continue;
        }
        let env = format!("XINGFU__{}", key.replace('.', "__").to_uppercase());
        keys.push(KeyDoc { key, env, default });
    }
    keys
}
