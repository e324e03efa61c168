//! Who is calling, and what they may do. A caller presents an API key (`x-api-key:
//! <key id>.<secret>`, as gRPC metadata or an HTTP header); the key file holds only each
//! secret's SHA-256, the caller it belongs to and, for rotation, when it stops being
//! accepted, so a new key and the old one overlap until the old one's `not_after`. The
//! policy file gives each caller its scopes: `<service>:read`, `<service>:write`,
//! `<service>:*`, `pii:read`, `pii:erase` or `*`.
//!
//! Secure by default: with no key file configured and none in the data folder, the first
//! start creates an admin key, stores its hash, grants it `*`, and writes the key itself
//! once to `<data_dir>/admin-api-key` (mode 0600), logging that path and never the key.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tonic::Status;

use xingfu_platform::principal::{Grant, Role, normalise};
use xingfu_platform::time::{from_rfc3339, now_micros};
use xingfu_platform::trust::Caller;

use crate::jwt::Jwt;
use crate::principals::{Principals, Snapshot};
use crate::settings::AuthSettings;

/// The header (and metadata key) an API key travels in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// A stored API key: never the secret, only its hash.
#[derive(Debug, Clone, Deserialize)]
struct StoredKey {
    id: String,
    caller: String,
    sha256: String,
    #[serde(default)]
    not_after: Option<String>,
}

/// A client certificate a caller may present over mutual TLS, by its SHA-256.
#[derive(Debug, Clone, Deserialize)]
struct StoredCert {
    caller: String,
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct KeyFile {
    #[serde(default)]
    key: Vec<StoredKey>,
    #[serde(default)]
    cert: Vec<StoredCert>,
}

#[derive(Debug, Clone, Deserialize)]
struct PolicyEntry {
    id: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    rate_per_second: Option<f64>,
    #[serde(default)]
    burst: Option<f64>,
    #[serde(default)]
    organisation: Option<String>,
    /// The township (镇 / 街道) this caller is limited to, instead of an organisation.
    #[serde(default)]
    township: Option<String>,
    /// Roles this caller holds by configuration (`role@organisation` or `role`), beside
    /// those granted through the API.
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PolicyFile {
    #[serde(default)]
    caller: Vec<PolicyEntry>,
}

/// The gateway's keys, token checks and policy, loaded at start-up, and the principals,
/// roles and keys managed through its API.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    jwt: Option<Jwt>,
    keys: HashMap<String, (StoredKey, Option<i64>)>,
    certs: HashMap<String, String>,
    scopes: HashMap<String, BTreeSet<String>>,
    organisations: HashMap<String, String>,
    /// Townships of the policy's callers limited to one.
    townships: HashMap<String, String>,
    roles: HashMap<String, Vec<Grant>>,
    rates: HashMap<String, (f64, f64)>,
    principals: Option<Principals>,
}

/// The one answer to every credential that does not authenticate: missing, malformed,
/// unknown, wrong, expired or revoked alike, so a prober learns nothing (the log says why).
pub fn unauthenticated() -> Status {
    Status::unauthenticated(format!(
        "present a valid credential: an API key in {API_KEY_HEADER}, a bearer token or a client certificate"
    ))
}

/// Refuses with [`unauthenticated`], logging `why` for the operators.
fn refuse(why: &str) -> Status {
    tracing::info!(why, "refused a credential");
    unauthenticated()
}

/// Which kind of access a method needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// It reads.
    Read,
    /// It changes something.
    Write,
}

impl Access {
    /// The access `method` (an RPC name such as `ListProjects`) needs.
    pub fn of(method: &str) -> Self {
        const READS: [&str; 6] = ["Get", "List", "Find", "Summarise", "Export", "Trace"];
        let reads = READS.iter().any(|prefix| method.starts_with(prefix))
            || matches!(method, "FourOnesReport" | "VerifyLedger");
        if reads { Access::Read } else { Access::Write }
    }

    fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

impl Auth {
    /// Loads the key file and the policy, creating the first admin key when neither is
    /// configured nor present.
    /// Files left unset are looked for in `data_dir`.
    pub fn load(data_dir: &Path, settings: &AuthSettings) -> anyhow::Result<Self> {
        let keys_path = settings
            .keys_file
            .clone()
            .unwrap_or_else(|| data_dir.join("api-keys.toml"));
        let policy_path = settings
            .policy_file
            .clone()
            .unwrap_or_else(|| data_dir.join("policy.toml"));
        if settings.keys_file.is_none() && !keys_path.exists() {
            bootstrap(data_dir, &keys_path, &policy_path)?;
        }
        let keys: KeyFile = read_toml(&keys_path).context("gateway.auth.keys_file")?;
        let policy: PolicyFile = if policy_path.exists() || settings.policy_file.is_some() {
            read_toml(&policy_path).context("gateway.auth.policy_file")?
        } else {
            PolicyFile { caller: Vec::new() }
        };
        let mut auth = Auth {
            jwt: Jwt::load(settings)?,
            ..Auth::default()
        };
        for key in keys.key {
            let not_after =
                match &key.not_after {
                    Some(text) => Some(from_rfc3339(text).with_context(|| {
                        format!("key {}: not_after must be RFC 3339 UTC", key.id)
                    })?),
                    None => None,
                };
            anyhow::ensure!(
                key.sha256.len() == 64,
                "key {}: sha256 must be 64 hex digits",
                key.id
            );
            let key = StoredKey {
                caller: normalise(&key.caller),
                ..key
            };
            auth.keys.insert(key.id.clone(), (key, not_after));
        }
        for cert in keys.cert {
            anyhow::ensure!(
                cert.sha256.len() == 64,
                "the certificate of {}: sha256 must be 64 hex digits",
                cert.caller
            );
            auth.certs
                .insert(cert.sha256.to_ascii_lowercase(), normalise(&cert.caller));
        }
        let policy = PolicyFile {
            caller: policy
                .caller
                .into_iter()
                .map(|entry| PolicyEntry {
                    id: normalise(&entry.id),
                    ..entry
                })
                .collect(),
        };
        for entry in &policy.caller {
            let mut roles = Vec::new();
            for token in &entry.roles {
                let grant = Grant::from_token(token).ok_or_else(|| {
                    anyhow::anyhow!(
                        "caller {}: {token:?} is not a role (see docs/security.md)",
                        entry.id
                    )
                })?;
                roles.push(grant);
            }
            auth.roles.insert(entry.id.clone(), roles);
            if let Some(organisation) = &entry.organisation {
                xingfu_platform::validate::directory_id(organisation, "organisation").map_err(
                    |_| anyhow::anyhow!("caller {}: organisation must be a directory id", entry.id),
                )?;
                auth.organisations
                    .insert(entry.id.clone(), organisation.clone());
            }
            if let Some(township) = entry.township.as_deref().map(str::trim) {
                anyhow::ensure!(
                    !township.is_empty() && entry.organisation.is_none(),
                    "caller {}: a township must be non-empty and stands instead of an organisation",
                    entry.id
                );
                auth.townships.insert(entry.id.clone(), township.to_owned());
            }
        }
        for entry in policy.caller {
            if let Some(rate) = entry.rate_per_second {
                let burst = entry.burst.unwrap_or(rate).max(1.0);
                anyhow::ensure!(
                    rate > 0.0,
                    "caller {}: rate_per_second must be above 0",
                    entry.id
                );
                auth.rates.insert(entry.id.clone(), (rate, burst));
            }
            auth.scopes
                .insert(entry.id, entry.scopes.into_iter().collect());
        }
        tracing::info!(
            keys = auth.keys.len(),
            callers = auth.scopes.len(),
            "loaded the gateway's API keys and policy"
        );
        Ok(auth)
    }

    /// The callers the policy gives their own rate: (calls a second, burst).
    pub fn rates(&self) -> HashMap<String, (f64, f64)> {
        self.rates.clone()
    }

    /// Reads the principals, roles and keys managed through the API from `principals`.
    pub fn with_principals(mut self, principals: Principals) -> Self {
        self.principals = Some(principals);
        self
    }

    /// The caller `headers` authenticate (a bearer token, else an API key, else the client
    /// certificate of the connection, by its SHA-256), and the credential used (for the
    /// audit: `key:<id>`, `jwt:<sub>`, `cert:<hash prefix>`), or UNAUTHENTICATED.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        client_cert: Option<&[u8]>,
    ) -> Result<(Caller, String), Status> {
        let snapshot = self
            .principals
            .as_ref()
            .map(Principals::snapshot)
            .unwrap_or_default();
        if let Some(bearer) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
        {
            let jwt = self
                .jwt
                .as_ref()
                .ok_or_else(|| refuse("a bearer token, but no JWKS is configured"))?;
            let (subject, asked) = jwt.verify(bearer.trim()).map_err(|status| {
                tracing::info!(why = status.message(), "refused a bearer token");
                unauthenticated()
            })?;
            // Token subjects live in their own part of the policy (`jwt:<sub>`), so no
            // identity provider user can take an API-key caller's name (`admin`).
            let id = normalise(&format!("jwt:{subject}"));
            let mut caller = self.caller(id.clone(), &snapshot);
            if let Some(asked) = asked {
                caller.scopes = asked
                    .into_iter()
                    .filter(|scope| covers(&caller.scopes, scope))
                    .collect();
            }
            return Ok((caller, id));
        }
        if !headers.contains_key(API_KEY_HEADER)
            && let Some(der) = client_cert
        {
            let hash = hex(&Sha256::digest(der));
            let caller = self
                .certs
                .get(&hash)
                .ok_or_else(|| refuse("a client certificate not in the key file"))?;
            return Ok((
                self.caller(caller.clone(), &snapshot),
                format!("cert:{}", &hash[..16]),
            ));
        }
        let presented = headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refuse("no credential"))?;
        let (id, secret) = presented
            .trim()
            .split_once('.')
            .ok_or_else(|| refuse("a malformed API key"))?;
        let (owner, sha256, not_after) = match (self.keys.get(id), snapshot.keys.get(id)) {
            (Some((key, not_after)), _) => (&key.caller, &key.sha256, *not_after),
            (None, Some(key)) => (&key.principal, &key.sha256, key.not_after),
            (None, None) => return Err(refuse("an unknown API key")),
        };
        let hash = hex(&Sha256::digest(secret.as_bytes()));
        let same = hash.len() == sha256.len()
            && hash
                .bytes()
                .zip(sha256.to_ascii_lowercase().bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(refuse("a wrong API key secret"));
        }
        if not_after.is_some_and(|end| now_micros() > end) {
            return Err(refuse("an expired API key"));
        }
        if snapshot.revoked.contains(id) {
            return Err(refuse("a revoked API key"));
        }
        Ok((self.caller(owner.clone(), &snapshot), format!("key:{id}")))
    }

    /// The principal `id`: the policy's scopes, organisation limit and roles, with the
    /// roles granted through the API, the scopes those roles imply, and its record's
    /// volunteer and boundary.
    fn caller(&self, id: String, snapshot: &Snapshot) -> Caller {
        let record = snapshot.principals.get(&id);
        let mut roles: Vec<Grant> = self.roles.get(&id).cloned().unwrap_or_default();
        roles.extend(snapshot.grants_of(&id).map(|g| g.grant.clone()));
        roles.sort();
        roles.dedup();
        let mut scopes = self.scopes.get(&id).cloned().unwrap_or_default();
        for grant in &roles {
            scopes.extend(implied_scopes(grant.role).iter().map(|s| (*s).to_owned()));
        }
        Caller {
            organisation: self.organisations.get(&id).cloned().or_else(|| {
                record
                    .map(|r| r.organisation_id.clone())
                    .filter(|o| !o.is_empty())
            }),
            volunteer: record
                .map(|r| r.volunteer_id.clone())
                .filter(|v| !v.is_empty()),
            township: self
                .townships
                .get(&id)
                .cloned()
                .or_else(|| record.map(|r| r.township.clone()).filter(|t| !t.is_empty())),
            id,
            scopes,
            roles,
        }
    }

    /// Whether `caller` may call `method` of `service` (e.g. `projects`), or
    /// PERMISSION_DENIED naming the scope it lacks.
    pub fn authorise(caller: &Caller, service: &str, method: &str) -> Result<(), Status> {
        // Every authenticated caller may ask who it is.
        if service == "gateway" && method == "GetCurrentPrincipal" {
            return Ok(());
        }
        let access = Access::of(method);
        let scope = format!("{service}:{}", access.as_str());
        if caller.holds(&scope) || caller.holds(&format!("{service}:*")) {
            Ok(())
        } else {
            Err(Status::permission_denied(format!(
                "caller {} lacks the scope {scope}",
                caller.id
            )))
        }
    }
}

/// The scopes a role brings with it, so that granting a role through the API is enough to
/// reach the calls it is for; the services decide the rest from the role itself.
fn implied_scopes(role: Role) -> &'static [&'static str] {
    match role {
        Role::ProgrammeAdmin => &["gateway:*"],
        Role::OrganisationAdmin => &[
            "gateway:*",
            "projects:*",
            "volunteers:*",
            "workshops:*",
            "funds:read",
        ],
        Role::GrantRequester | Role::GrantApprover => &["funds:*"],
        Role::ActivityOrganiser | Role::Evaluator => &["volunteers:*"],
        Role::Commissioner | Role::ProblemHandler => &["workshops:*"],
        Role::Auditor => &[
            "gateway:read",
            "projects:read",
            "volunteers:read",
            "funds:read",
            "workshops:read",
        ],
        // A delegate records others' acts in bulk (imports, the demo): it writes where
        // they act; the services still check its roles for each rule.
        Role::Delegate => &["projects:*", "volunteers:*", "workshops:*", "funds:*"],
        Role::Integrator => &[],
    }
}

/// Whether `granted` covers `scope`: itself, its service's `<service>:*`, or `*`.
fn covers(granted: &BTreeSet<String>, scope: &str) -> bool {
    let service_wide = scope
        .split_once(':')
        .map(|(service, _)| format!("{service}:*"));
    granted.contains(scope)
        || granted.contains("*")
        || service_wide.is_some_and(|wide| granted.contains(&wide))
}

/// A new key's presented form and its hash.
pub fn new_key(id: &str) -> (String, String) {
    let secret: String = (0..2)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    let hash = hex(&Sha256::digest(secret.as_bytes()));
    (format!("{id}.{secret}"), hash)
}

fn bootstrap(data_dir: &Path, keys_path: &Path, policy_path: &Path) -> anyhow::Result<()> {
    xingfu_platform::files::create_private_dir(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let id = format!("admin-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (key, hash) = new_key(&id);
    let key_path: PathBuf = data_dir.join("admin-api-key");
    write_private(&key_path, &format!("{key}\n"))
        .with_context(|| format!("writing {}", key_path.display()))?;
    write_private(
        keys_path,
        &format!(
            "# API keys of the xingfu gateway: hashes only (SHA-256 of the secret after the dot).\n\
             [[key]]\nid = \"{id}\"\ncaller = \"admin\"\nsha256 = \"{hash}\"\n"
        ),
    )
    .with_context(|| format!("writing {}", keys_path.display()))?;
    if !policy_path.exists() {
        write_private(
            policy_path,
            "# Each caller's scopes: <service>:read, <service>:write, <service>:*, pii:read, pii:erase, *.\n\
             # The admin loads data in bulk (xingfu seed --demo): a higher rate than the default.\n\
             # Roles (docs/security.md): the admin manages principals, roles and keys.\n\
             [[caller]]\nid = \"admin\"\nscopes = [\"*\"]\nroles = [\"programme_admin\"]\n\
             rate_per_second = 5000\nburst = 10000\n",
        )
        .with_context(|| format!("writing {}", policy_path.display()))?;
    }
    tracing::warn!(
        path = %key_path.display(),
        "created the first admin API key; it is in this file (mode 0600) and nowhere else"
    );
    Ok(())
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml))
        .build()
        .and_then(|c| c.try_deserialize())
        .with_context(|| format!("reading {}", path.display()))
}

use xingfu_platform::files::write_private;

fn hex(bytes: &[u8]) -> String {
    xingfu_platform::hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_reads_or_writes() {
        for read in [
            "GetProject",
            "ListWishes",
            "FindVolunteer",
            "FourOnesReport",
            "VerifyLedger",
            "ExportReport",
        ] {
            assert_eq!(Access::of(read), Access::Read, "{read}");
        }
        for write in [
            "CreateProject",
            "VerifyHours",
            "Donate",
            "ImportNeeds",
            "TakeTask",
        ] {
            assert_eq!(Access::of(write), Access::Write, "{write}");
        }
    }

    #[test]
    fn scopes_grant_service_and_access() {
        let caller = |scopes: &[&str]| Caller {
            id: "c".into(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Caller::default()
        };
        assert!(Auth::authorise(&caller(&["*"]), "funds", "Donate").is_ok());
        assert!(Auth::authorise(&caller(&["funds:*"]), "funds", "Donate").is_ok());
        assert!(Auth::authorise(&caller(&["funds:read"]), "funds", "GetFund").is_ok());
        let denied = Auth::authorise(&caller(&["funds:read"]), "funds", "Donate").unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(Auth::authorise(&caller(&["projects:write"]), "funds", "Donate").is_err());
    }
}
