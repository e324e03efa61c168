//! Answers built from domain values, each directory id they mention marked verified or not
//! by one look-up per answer (through `ops`, which reads the directory).

use xingfu_platform::Error;
use xingfu_proto::projects as pb;

use super::convert::{contract_to_proto, need_to_proto, project_to_proto, visit_to_proto};
use crate::domain::{Contract, DirectoryId, Need, Project, Verified, Visit};
use crate::ops::Library;

/// What the directory knows of the organisations and communities of `projects`.
async fn of_projects(library: &Library, projects: &[Project]) -> Result<Verified, Error> {
    let organisations: Vec<&str> = projects
        .iter()
        .flat_map(|p| {
            p.lead_organisation
                .iter()
                .chain(&p.co_organisers)
                .chain(&p.pending_dispatch)
                .map(DirectoryId::as_str)
        })
        .collect();
    let communities: Vec<&str> = projects
        .iter()
        .flat_map(|p| p.communities.iter().map(DirectoryId::as_str))
        .collect();
    library.verified(&organisations, &communities).await
}

/// What the directory knows of `communities`.
async fn of_communities<'a>(
    library: &Library,
    communities: impl Iterator<Item = &'a str>,
) -> Result<Verified, Error> {
    let communities: Vec<&str> = communities.collect();
    library.verified(&[], &communities).await
}

/// Projects as the API shows them.
pub(super) async fn projects(
    library: &Library,
    projects: Vec<Project>,
) -> Result<Vec<pb::Project>, Error> {
    let verified = of_projects(library, &projects).await?;
    Ok(projects
        .into_iter()
        .map(|p| project_to_proto(p, &verified))
        .collect())
}

/// A project as the API shows it.
pub(super) async fn project(library: &Library, project: Project) -> Result<pb::Project, Error> {
    let verified = of_projects(library, std::slice::from_ref(&project)).await?;
    Ok(project_to_proto(project, &verified))
}

/// Needs as the API shows them.
pub(super) async fn needs(library: &Library, needs: Vec<Need>) -> Result<Vec<pb::Need>, Error> {
    let verified = of_communities(library, needs.iter().map(|n| n.community_id.as_str())).await?;
    Ok(needs
        .into_iter()
        .map(|n| need_to_proto(n, &verified))
        .collect())
}

/// A need as the API shows it.
pub(super) async fn need(library: &Library, need: Need) -> Result<pb::Need, Error> {
    let verified = of_communities(library, [need.community_id.as_str()].into_iter()).await?;
    Ok(need_to_proto(need, &verified))
}

/// Visits as the API shows them.
pub(super) async fn visits(library: &Library, visits: Vec<Visit>) -> Result<Vec<pb::Visit>, Error> {
    let verified = of_communities(library, visits.iter().map(|v| v.community_id.as_str())).await?;
    Ok(visits
        .into_iter()
        .map(|v| visit_to_proto(v, &verified))
        .collect())
}

/// A visit as the API shows it.
pub(super) async fn visit(library: &Library, visit: Visit) -> Result<pb::Visit, Error> {
    let verified = of_communities(library, [visit.community_id.as_str()].into_iter()).await?;
    Ok(visit_to_proto(visit, &verified))
}

/// Contracts as the API shows them.
pub(super) async fn contracts(
    library: &Library,
    contracts: Vec<Contract>,
) -> Result<Vec<pb::Contract>, Error> {
    let communities = contracts.iter().map(|c| c.community_id.as_str());
    let verified = of_communities(library, communities).await?;
    Ok(contracts
        .into_iter()
        .map(|c| contract_to_proto(c, &verified))
        .collect())
}

/// A contract as the API shows it.
pub(super) async fn contract(library: &Library, contract: Contract) -> Result<pb::Contract, Error> {
    let verified = of_communities(library, [contract.community_id.as_str()].into_iter()).await?;
    Ok(contract_to_proto(contract, &verified))
}
