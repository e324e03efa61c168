//! Who a verified client certificate must name to be trusted as the gateway.

use std::sync::Arc;

use super::PeerInfo;

/// The DNS names (`auth.internal_tls.trusted_peers`) a client certificate is trusted for.
#[derive(Debug, Clone)]
pub struct TrustedPeers(Arc<[String]>);

impl TrustedPeers {
    /// The comma-separated `names`, compared without regard to case. A wildcard is
    /// refused: a peer is one name, not a family of them.
    pub fn parse(names: &str) -> anyhow::Result<Self> {
        let names: Vec<String> = names
            .split(',')
            .map(|name| name.trim().to_ascii_lowercase())
            .filter(|name| !name.is_empty())
            .collect();
        anyhow::ensure!(
            names.iter().all(|name| !name.contains('*')),
            "auth.internal_tls.trusted_peers names DNS names, without wildcards"
        );
        Ok(Self(names.into()))
    }

    /// Whether a call arrived over a mutual-TLS connection whose client certificate (its
    /// chain verified against the CA in the handshake) carries one of the names exactly: a
    /// wildcard certificate (`*.xingfu.svc`) stands for no peer.
    pub fn admit(&self, extensions: &http::Extensions) -> bool {
        let Some(leaf) = extensions
            .get::<PeerInfo>()
            .and_then(|peer| peer.certificates())
            .and_then(|certs| certs.first().cloned())
        else {
            return false;
        };
        let Ok(leaf) = webpki::EndEntityCert::try_from(&leaf) else {
            return false;
        };
        leaf.valid_dns_names().any(|presented| {
            !presented.contains('*')
                && self
                    .0
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(presented))
        })
    }
}
