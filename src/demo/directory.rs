//! The directory: townships, villages and communities, Party organisations, departments.

use super::*;

/// The directory as the loader made it.
pub(super) struct Directory {
    /// (community id, its village/community Party organisation id, township name).
    pub(super) communities: Vec<(String, String)>,
    /// Agency Party organisation ids; the first [`DEPARTMENTS`].len() are departments.
    pub(super) agencies: Vec<String>,
}

impl Loader {
    pub(super) async fn directory(&mut self) -> anyhow::Result<Directory> {
        let client = self.volunteers_client();
        let mut orgs = Vec::new();
        let mut communities = Vec::new();
        // 83 villages and residential communities over seven townships, each with its
        // Party organisation (83 village/community Party organisations).
        for i in 0..FIGURES.village_party_organisations {
            let (slug, township) = TOWNSHIPS[usize::try_from(i).unwrap_or(0) % TOWNSHIPS.len()];
            let residential = i % 4 == 3;
            let place = format!(
                "{}{}",
                self.dice.pick(PLACE_FIRST),
                self.dice.pick(PLACE_SECOND)
            );
            let id = format!("{slug}-{i:02}");
            let (name, kind, org_kind, org_name) = if residential {
                (
                    format!("{place}社区"),
                    volunteers::CommunityKind::Residential,
                    volunteers::OrganisationKind::CommunityParty,
                    format!("{place}社区党委"),
                )
            } else {
                (
                    format!("{place}村"),
                    volunteers::CommunityKind::Village,
                    volunteers::OrganisationKind::VillageParty,
                    format!("{place}村党支部"),
                )
            };
            communities.push((id.clone(), format!("party-{id}"), name, kind, township));
            orgs.push((format!("party-{id}"), org_name, org_kind, String::new()));
        }
        // 218 agency Party organisations: the departments' Party committees and their
        // branches.
        let mut agencies = Vec::new();
        for (i, department) in DEPARTMENTS.iter().enumerate() {
            let id = format!("agency-{i:03}");
            orgs.push((
                id.clone(),
                format!("洞头区{department}机关党委"),
                volunteers::OrganisationKind::AgencyParty,
                String::new(),
            ));
            agencies.push(id);
        }
        let mut branch = 0;
        while agencies.len() < usize::try_from(FIGURES.agency_party_organisations).unwrap_or(0) {
            let parent = agencies[branch % DEPARTMENTS.len()].clone();
            let department = DEPARTMENTS[branch % DEPARTMENTS.len()];
            let id = format!("agency-{:03}", agencies.len());
            orgs.push((
                id.clone(),
                format!(
                    "洞头区{department}第{}党支部",
                    branch / DEPARTMENTS.len() + 1
                ),
                volunteers::OrganisationKind::AgencyParty,
                parent,
            ));
            agencies.push(id);
            branch += 1;
        }
        self.calls += u64::try_from(communities.len() + orgs.len()).unwrap_or(0);
        each(communities.clone(), |(id, _, name, kind, township)| {
            let client = client.clone();
            async move {
                call!(
                    client.register_community(volunteers::RegisterCommunityRequest {
                        id: id.clone(),
                        name: name.clone(),
                        kind: kind as i32,
                        township: township.to_owned(),
                    })
                )
            }
        })
        .await?;
        // Parents before children: the departments first, then everything else.
        let (parents, children): (Vec<_>, Vec<_>) = orgs
            .into_iter()
            .partition(|(_, _, _, parent)| parent.is_empty());
        for batch in [parents, children] {
            each(batch, |(id, name, kind, parent)| {
                let client = client.clone();
                async move {
                    call!(
                        client.register_organisation(volunteers::RegisterOrganisationRequest {
                            id: id.clone(),
                            name: name.clone(),
                            kind: kind as i32,
                            parent_id: parent.clone(),
                        })
                    )
                }
            })
            .await?;
        }
        Ok(Directory {
            communities: communities
                .into_iter()
                .map(|(id, org, ..)| (id, org))
                .collect(),
            agencies,
        })
    }
}
