//! Brands and workshops: requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{DirectoryId, Line, Note, RecordId, RequestId, Text};
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::{Money, PageResponse};
use xingfu_proto::workshops as pb;

use super::fields::optional_id;
use super::refs;
use crate::access::Scope;
use crate::domain::workshops::{
    ListFilters, NewSupport, NewWorkshop, Support, SupportKind, Workshop, WorkshopStatus,
};
use crate::domain::{Brand, Mode};
use crate::ops::{Known, Workshops};

enum_map!(mode_to_proto, mode_from_proto, Mode, pb::Mode, "mode", {
    Processing <=> Processing,
    Recruitment <=> Recruitment,
    LiveCommerce <=> LiveCommerce,
    AgriTourism <=> AgriTourism,
});

enum_map!(status_to_proto, status_from_proto, WorkshopStatus, pb::WorkshopStatus, "workshop status", {
    Planned <=> Planned,
    Open <=> Open,
    Suspended <=> Suspended,
    Closed <=> Closed,
});

enum_map!(support_to_proto, support_from_proto, SupportKind, pb::SupportKind, "support kind", {
    SiteSelection <=> SiteSelection,
    JobTraining <=> JobTraining,
    SalesChannels <=> SalesChannels,
    RentRelief <=> RentRelief,
});

/// RegisterBrand.
pub(super) async fn register_brand(
    workshops: &Workshops,
    r: pb::RegisterBrandRequest,
) -> Result<pb::Brand, Error> {
    let mut v = Violations::default();
    let id = v.check(DirectoryId::parse(&r.id, "id"));
    let name = v.check(Line::parse(&r.name, "name"));
    let department = v.check(DirectoryId::parse(&r.department_id, "department_id"));
    let description = v.check(Note::parse(&r.description, "description"));
    let (id, name, department_id, description) =
        v.finish_with((id, name, department, description))?;
    let brand = workshops
        .register_brand(Brand {
            id,
            name,
            department_id,
            description,
            created_at: now_micros(),
        })
        .await?;
    let known = workshops
        .known(&[brand.department_id.as_str()], &[], &[])
        .await?;
    Ok(brand_to_proto(brand, &known))
}

/// ListBrands.
pub(super) async fn list_brands(
    workshops: &Workshops,
    r: pb::ListBrandsRequest,
) -> Result<pb::ListBrandsResponse, Error> {
    let page = paging::parse(r.page.as_ref(), "brands", "page")?;
    let mut brands = workshops
        .brands(page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut brands, &page, "brands", |b| b.id.as_str());
    let departments: Vec<&str> = brands.iter().map(|b| b.department_id.as_str()).collect();
    let known = workshops.known(&departments, &[], &[]).await?;
    Ok(pb::ListBrandsResponse {
        brands: brands
            .into_iter()
            .map(|b| brand_to_proto(b, &known))
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// CreateWorkshop.
pub(super) async fn create(
    workshops: &Workshops,
    r: pb::CreateWorkshopRequest,
) -> Result<pb::Workshop, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let name = v.check(Line::parse(&r.name, "name"));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let host_firm = v.check(Line::parse(&r.host_firm, "host_firm"));
    let department = v.check(DirectoryId::parse(&r.department_id, "department_id"));
    let mode = v.check(validate::required(mode_from_proto(r.mode, "mode"), "mode"));
    let brand = v.check(DirectoryId::parse(&r.brand_id, "brand_id"));
    let (request_id, name, community_id, host_firm, department_id, mode, brand_id) = v
        .finish_with((
            request_id, name, community, host_firm, department, mode, brand,
        ))?;
    let created = workshops
        .create_workshop(NewWorkshop {
            request_id,
            name,
            community_id,
            host_firm,
            department_id,
            mode,
            brand_id,
        })
        .await?;
    answer(workshops, created).await
}

/// GetWorkshop.
pub(super) async fn get(
    workshops: &Workshops,
    r: pb::GetWorkshopRequest,
) -> Result<pb::Workshop, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    answer(workshops, workshops.workshop(&id).await?).await
}

/// ListWorkshops.
pub(super) async fn list(
    workshops: &Workshops,
    r: pb::ListWorkshopsRequest,
    scope: &Scope,
) -> Result<pb::ListWorkshopsResponse, Error> {
    let mut v = Violations::default();
    let filters = ListFilters {
        mode: v.check(mode_from_proto(r.mode, "mode")).flatten(),
        brand_id: optional_id(&r.brand_id, "brand_id", DirectoryId::parse, &mut v),
        community_id: optional_id(&r.community_id, "community_id", DirectoryId::parse, &mut v),
        status: v.check(status_from_proto(r.status, "status")).flatten(),
    };
    v.finish()?;
    let key = format!("{filters:?}");
    let page = paging::parse(r.page.as_ref(), &key, "page")?;
    let mut found = workshops
        .workshops(&filters, scope, page.after.as_deref(), page.fetch_limit())
        .await?;
    let next_page_token = paging::finish(&mut found, &page, &key, |w| w.id.as_str());
    let known = known_of(workshops, &found).await?;
    Ok(pb::ListWorkshopsResponse {
        workshops: found
            .into_iter()
            .map(|w| workshop_to_proto(w, &known))
            .collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// ChangeWorkshopStatus.
pub(super) async fn change_status(
    workshops: &Workshops,
    r: pb::ChangeWorkshopStatusRequest,
) -> Result<pb::Workshop, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let status = v.check(validate::required(
        status_from_proto(r.status, "status"),
        "status",
    ));
    let reason = v.check(Note::parse(&r.reason, "reason"));
    let (id, status, reason) = v.finish_with((id, status, reason))?;
    answer(
        workshops,
        workshops.change_status(&id, status, &reason).await?,
    )
    .await
}

/// UpdateWorkshop.
pub(super) async fn update(
    workshops: &Workshops,
    r: pb::UpdateWorkshopRequest,
) -> Result<pb::Workshop, Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(&r.id, "id"));
    let mut changed = |value: &str, field: &str| match value {
        "" => Some(None),
        value => v.check(Line::parse(value, field)).map(Some),
    };
    let name = changed(&r.name, "name");
    let host_firm = changed(&r.host_firm, "host_firm");
    let (id, name, host_firm) = v.finish_with((id, name, host_firm))?;
    answer(
        workshops,
        workshops.update(&id, r.version, name, host_firm).await?,
    )
    .await
}

/// GiveSupport.
pub(super) async fn give_support(
    workshops: &Workshops,
    r: pb::GiveSupportRequest,
) -> Result<pb::Workshop, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let workshop = v.check(RecordId::parse(&r.workshop_id, "workshop_id"));
    let kind = v.check(validate::required(
        support_from_proto(r.kind, "kind"),
        "kind",
    ));
    let description = v.check(Text::parse(&r.description, "description"));
    let given_on = v.check(validate::date(r.given_on.as_ref(), "given_on"));
    let (request_id, workshop_id, kind, description, given_on) =
        v.finish_with((request_id, workshop, kind, description, given_on))?;
    let new = NewSupport {
        request_id,
        workshop_id,
        support: Support {
            kind,
            description,
            value_fen: r.value_fen,
            given_on: given_on.unwrap_or_else(xingfu_platform::date::Date::today),
        },
    };
    answer(workshops, workshops.give_support(new).await?).await
}

/// A workshop with its references looked up.
async fn answer(workshops: &Workshops, workshop: Workshop) -> Result<pb::Workshop, Error> {
    let known = known_of(workshops, std::slice::from_ref(&workshop)).await?;
    Ok(workshop_to_proto(workshop, &known))
}

async fn known_of(workshops: &Workshops, found: &[Workshop]) -> Result<Known, Error> {
    let departments: Vec<&str> = found.iter().map(|w| w.department_id.as_str()).collect();
    let communities: Vec<&str> = found.iter().map(|w| w.community_id.as_str()).collect();
    workshops.known(&departments, &communities, &[]).await
}

fn brand_to_proto(b: Brand, known: &Known) -> pb::Brand {
    pb::Brand {
        department: refs::organisation(known, &b.department_id),
        id: b.id.into_string(),
        name: b.name.into_string(),
        description: b.description.into_string(),
        create_time: Some(to_timestamp(b.created_at)),
    }
}

fn workshop_to_proto(w: Workshop, known: &Known) -> pb::Workshop {
    pb::Workshop {
        community: refs::community(known, &w.community_id),
        department: refs::organisation(known, &w.department_id),
        id: w.id.into_string(),
        name: w.name.into_string(),
        host_firm: w.host_firm.into_string(),
        mode: mode_to_proto(w.mode) as i32,
        brand_id: w.brand_id.into_string(),
        status: status_to_proto(w.status) as i32,
        support: w
            .support
            .into_iter()
            .map(|s| pb::Support {
                kind: support_to_proto(s.kind) as i32,
                description: s.description.into_string(),
                value: (s.value_fen > 0).then(|| Money::cny(s.value_fen)),
                given_on: Some(s.given_on.into()),
            })
            .collect(),
        workers: w.workers,
        version: w.version,
        create_time: Some(to_timestamp(w.created_at)),
    }
}
