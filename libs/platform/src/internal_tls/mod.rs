//! Mutual TLS between the gateway and the services behind it (`auth.internal_tls`), the
//! way to trust a pod without a shared secret. Every service's port accepts only clients
//! whose certificate the deployment's CA signed; a call over such a connection is trusted
//! as the gateway's when the certificate names one of the trusted peers, with or without
//! the internal token. The gateway presents its certificate and checks the service's.
//!
//! A port may also take plaintext connections while a deployment moves to mutual TLS
//! (`accept_plaintext`): the first byte of a connection tells a TLS handshake from
//! HTTP/2, and plaintext calls need the token as before.
//!
//! Certificates come from files (a mounted Secret) and are looked at again every
//! `reload_secs`: changed files serve every new connection, and the gateway reconnects to
//! its upstreams with them. Files that fail to load (a Secret caught half-updated) leave
//! the last good ones in use.

mod connection;
mod peers;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use tokio::sync::watch;
use tonic::transport::{Certificate, ClientTlsConfig, Identity};

pub use connection::{InternalConnection, PeerInfo};
pub use peers::TrustedPeers;

use crate::settings::{InternalTlsSettings, Settings};

/// The deployment's internal TLS: what this pod presents and trusts, kept current.
#[derive(Clone)]
pub struct InternalTls {
    current: watch::Receiver<Arc<Material>>,
    peers: TrustedPeers,
    accept_plaintext: bool,
}

impl std::fmt::Debug for InternalTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InternalTls")
            .field("peers", &self.peers)
            .field("accept_plaintext", &self.accept_plaintext)
            .finish_non_exhaustive()
    }
}

/// The files' contents and the server configuration built from them.
struct Material {
    files: Files,
    server: Arc<ServerConfig>,
}

/// The three files as read.
#[derive(Clone, PartialEq, Eq)]
struct Files {
    ca: Vec<u8>,
    cert: Vec<u8>,
    key: Vec<u8>,
}

/// Where the three files are.
#[derive(Clone)]
struct Paths {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl InternalTls {
    /// `auth.internal_tls` loaded, with a task watching its files; `None` when it is off
    /// (no file set). Some but not all files set, or files that do not load, are an error.
    pub fn load(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let tls = &settings.auth.internal_tls;
        let paths = match (&tls.ca_file, &tls.cert_file, &tls.key_file) {
            (None, None, None) => return Ok(None),
            (Some(ca), Some(cert), Some(key)) => Paths {
                ca: ca.clone(),
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => anyhow::bail!(
                "auth.internal_tls.ca_file, cert_file and key_file go together: set all three or none"
            ),
        };
        let files = paths.read()?;
        let material = Material::build(files).context("auth.internal_tls")?;
        let (sender, current) = watch::channel(Arc::new(material));
        tokio::spawn(watch_files(paths, sender, reload_every(tls)));
        Ok(Some(Self {
            current,
            peers: TrustedPeers::parse(&tls.trusted_peers)?,
            accept_plaintext: tls.accept_plaintext,
        }))
    }

    /// The names a client certificate is trusted for.
    pub fn peers(&self) -> TrustedPeers {
        self.peers.clone()
    }

    /// The client side for a service reached as `domain` (its endpoint URL's host, which
    /// its certificate must name), with the files current now; a handshake may take up to
    /// `timeout` (a replica that accepts TCP but stalls the handshake must not hold calls).
    pub fn client(&self, domain: &str, timeout: Duration) -> ClientTlsConfig {
        let files = &self.current.borrow().files;
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&files.ca))
            .identity(Identity::from_pem(&files.cert, &files.key))
            .domain_name(domain)
            .timeout(timeout)
    }

    /// Whether this port also takes plaintext connections (a migration to mutual TLS).
    pub fn accepts_plaintext(&self) -> bool {
        self.accept_plaintext
    }

    /// What notices each reload: a client that keeps connections reconnects with it.
    pub fn reloads(&self) -> Reloads {
        let mut receiver = self.current.clone();
        receiver.mark_unchanged();
        Reloads(receiver)
    }
}

/// Notices the files' reloads (see [`InternalTls::reloads`]).
pub struct Reloads(watch::Receiver<Arc<Material>>);

impl Reloads {
    /// Whether the files were reloaded since the last time this said so.
    pub fn reloaded(&mut self) -> bool {
        let reloaded = self.0.has_changed().unwrap_or(false);
        if reloaded {
            self.0.mark_unchanged();
        }
        reloaded
    }
}

impl Paths {
    fn read(&self) -> anyhow::Result<Files> {
        let read = |path: &Path, key: &str| {
            std::fs::read(path)
                .with_context(|| format!("reading auth.internal_tls.{key} {}", path.display()))
        };
        Ok(Files {
            ca: read(&self.ca, "ca_file")?,
            cert: read(&self.cert, "cert_file")?,
            key: read(&self.key, "key_file")?,
        })
    }
}

impl Material {
    /// The server side: this pod's certificate, and a client certificate required, signed
    /// by the CA; HTTP/2 only.
    fn build(files: Files) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(&files.ca) {
            roots
                .add(ca.context("ca_file holds no PEM certificate")?)
                .context("ca_file holds no usable CA certificate")?;
        }
        anyhow::ensure!(!roots.is_empty(), "ca_file holds no certificate");
        let chain = CertificateDer::pem_slice_iter(&files.cert)
            .collect::<Result<Vec<_>, _>>()
            .context("cert_file holds no PEM certificate")?;
        anyhow::ensure!(!chain.is_empty(), "cert_file holds no certificate");
        let key = PrivateKeyDer::from_pem_slice(&files.key)
            .context("key_file holds no PEM private key")?;
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .context("the client verifier")?;
        let mut server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .context("cert_file and key_file do not make a pair")?;
        server.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            files,
            server: Arc::new(server),
        })
    }
}

fn reload_every(settings: &InternalTlsSettings) -> Duration {
    Duration::from_secs(settings.reload_secs.max(1))
}

/// Looks at the files every `every` until no one holds the material any more; loads them
/// when they changed.
async fn watch_files(paths: Paths, sender: watch::Sender<Arc<Material>>, every: Duration) {
    loop {
        tokio::select! {
            _ = sender.closed() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let files = match paths.read() {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "cannot read the internal TLS files; keeping the loaded ones");
                continue;
            }
        };
        if files == sender.borrow().files {
            continue;
        }
        match Material::build(files) {
            Ok(material) => {
                tracing::info!("internal TLS certificates changed; new connections use them");
                sender.send_replace(Arc::new(material));
            }
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "the internal TLS files do not load; keeping the loaded ones");
            }
        }
    }
}
