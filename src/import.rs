//! `xingfu import needs FILE.csv`: streams a questionnaire export to a running suite
//! through the gateway's public API.

use std::path::Path;

use anyhow::Context as _;
use tokio::io::AsyncReadExt as _;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::projects::{ImportNeedsChunk, ImportNeedsResponse};

/// Bytes per streamed chunk.
const CHUNK: usize = 64 * 1024;

/// Sends `file` to `ImportNeeds` at `endpoint` (`http://host:port`) as the caller of
/// `api_key` and returns the report.
pub async fn import_needs(
    endpoint: &str,
    api_key: &str,
    file: &Path,
) -> anyhow::Result<ImportNeedsResponse> {
    let mut reader = tokio::fs::File::open(file)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let mut chunks = Vec::new();
    loop {
        let mut buffer = vec![0; CHUNK];
        let read = reader
            .read(&mut buffer)
            .await
            .with_context(|| format!("reading {}", file.display()))?;
        if read == 0 {
            break;
        }
        buffer.truncate(read);
        chunks.push(ImportNeedsChunk { data: buffer });
    }
    let mut client = ProjectsServiceClient::connect(endpoint.to_owned())
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    let mut request = tonic::Request::new(futures_util::stream::iter(chunks));
    request.metadata_mut().insert(
        "x-api-key",
        api_key
            .parse()
            .context("the API key is not valid metadata")?,
    );
    let report = client
        .import_needs(request)
        .await
        .map_err(|status| anyhow::anyhow!("{}: {}", status.code(), status.message()))?;
    Ok(report.into_inner())
}
