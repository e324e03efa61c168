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

/// Every key `defaults.toml` and `services`' defaults (each service's [`super::OwnSettings`]
/// text) name, set or commented out, in that order. The keys every service has
/// (`listen`, `endpoint`, `database.url`) are listed once, as `<service>.…`; a service's
/// own keys by name (`gateway.limits.burst`).
pub fn documented_keys(services: &[&str]) -> Vec<KeyDoc> {
    let mut keys: Vec<KeyDoc> = Vec::new();
    for text in std::iter::once(DEFAULTS).chain(services.iter().copied()) {
        document(text, &mut keys);
    }
    keys
}

/// Adds the keys `text` documents to `keys`. A service's top-level table (`[projects]`)
/// holds the keys every service has; its nested tables (`[gateway.limits]`) its own.
fn document(text: &str, keys: &mut Vec<KeyDoc>) {
    let mut section = String::new();
    let mut service = "";
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let shared = super::SHARED_SECTIONS.contains(&name) || name.contains('.');
            service = if shared { "" } else { name };
            section = if shared {
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
}
