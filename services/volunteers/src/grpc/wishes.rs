//! The micro-wishes' calls: requests parsed into the domain, answers built from it.

use xingfu_platform::checked::{DirectoryId, Line, RecordId, RequestId};
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, enum_map, paging, validate};
use xingfu_proto::common::PageResponse;
use xingfu_proto::volunteers as pb;

use crate::domain::wishes::{
    AgeBand, ClosingNote, MAX_ALIAS_CHARS, NewWish, Wish, WishStatus, WishText,
};
use crate::ops::Volunteers;

enum_map!(band_to_proto, band_from_proto, AgeBand, pb::AgeBand, "age band", {
    Under6 <=> Under6,
    From6To11 <=> AgeBand6To11,
    From12To17 <=> AgeBand12To17,
});

enum_map!(status_to_proto, status_from_proto, WishStatus, pb::WishStatus, "wish status", {
    Open <=> Open,
    Adopted <=> Adopted,
    Fulfilled <=> Fulfilled,
    Cancelled <=> Cancelled,
});

/// PostWish.
pub(super) async fn post_wish(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::PostWishRequest,
) -> Result<pb::Wish, Error> {
    let mut v = Violations::default();
    let request_id = v.check(RequestId::parse(&r.request_id, "request_id"));
    let alias = v.check(Line::<MAX_ALIAS_CHARS>::parse(
        &r.child_alias,
        "child_alias",
    ));
    let band = v.check(validate::required(
        band_from_proto(r.age_band, "age_band"),
        "age_band",
    ));
    let community = v.check(DirectoryId::parse(&r.community_id, "community_id"));
    let wish = v.check(WishText::parse(&r.wish, "wish"));
    let (request_id, child_alias, age_band, community_id, wish) =
        v.finish_with((request_id, alias, band, community, wish))?;
    let new = NewWish {
        request_id,
        child_alias,
        age_band,
        community_id,
        wish,
    };
    Ok(wish_to_proto(volunteers.post_wish(caller, new).await?))
}

/// GetWish.
pub(super) async fn get_wish(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::GetWishRequest,
) -> Result<pb::Wish, Error> {
    let id = RecordId::parse(&r.id, "id")?;
    Ok(wish_to_proto(volunteers.wish(caller, &id).await?))
}

/// ListWishes.
pub(super) async fn list_wishes(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::ListWishesRequest,
) -> Result<pb::ListWishesResponse, Error> {
    let mut v = Violations::default();
    let community = if r.community_id.is_empty() {
        Some(None)
    } else {
        v.check(DirectoryId::parse(&r.community_id, "community_id"))
            .map(Some)
    };
    let status = v.check(status_from_proto(r.status, "status"));
    let (community, status) = v.finish_with((community, status))?;
    let filters = format!(
        "{:?}/{status:?}",
        community.as_ref().map(DirectoryId::as_str)
    );
    let page = paging::parse(r.page.as_ref(), &filters, "page")?;
    let mut wishes = volunteers
        .wishes(
            caller,
            community.as_ref(),
            status,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
    let next_page_token = paging::finish(&mut wishes, &page, &filters, |w| w.id.as_str());
    Ok(pb::ListWishesResponse {
        wishes: wishes.into_iter().map(wish_to_proto).collect(),
        page: Some(PageResponse { next_page_token }),
    })
}

/// AdoptWish: by the caller's own volunteer record unless a delegate names another.
pub(super) async fn adopt_wish(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::AdoptWishRequest,
) -> Result<pb::Wish, Error> {
    let mut v = Violations::default();
    let wish = v.check(RecordId::parse(&r.wish_id, "wish_id"));
    // Empty: the caller's own volunteer record adopts.
    let volunteer = if r.volunteer_id.is_empty() {
        Some(None)
    } else {
        v.check(RecordId::parse(&r.volunteer_id, "volunteer_id"))
            .map(Some)
    };
    let (wish, volunteer) = v.finish_with((wish, volunteer))?;
    let wish = volunteers
        .adopt_wish(caller, &wish, volunteer.as_ref())
        .await?;
    Ok(wish_to_proto(wish))
}

/// FulfilWish.
pub(super) async fn fulfil_wish(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::FulfilWishRequest,
) -> Result<pb::Wish, Error> {
    let (id, note) = id_and_text(&r.wish_id, &r.note, "note")?;
    Ok(wish_to_proto(
        volunteers.fulfil_wish(caller, &id, &note).await?,
    ))
}

/// CancelWish.
pub(super) async fn cancel_wish(
    volunteers: &Volunteers,
    caller: &Caller,
    r: pb::CancelWishRequest,
) -> Result<pb::Wish, Error> {
    let (id, reason) = id_and_text(&r.wish_id, &r.reason, "reason")?;
    Ok(wish_to_proto(
        volunteers.cancel_wish(caller, &id, &reason).await?,
    ))
}

fn id_and_text(id: &str, text: &str, field: &str) -> Result<(RecordId, ClosingNote), Error> {
    let mut v = Violations::default();
    let id = v.check(RecordId::parse(id, "wish_id"));
    let text = v.check(ClosingNote::parse(text, field));
    v.finish_with((id, text))
}

fn wish_to_proto(w: Wish) -> pb::Wish {
    pb::Wish {
        id: w.id.into_string(),
        child_alias: w.child_alias.into_string(),
        age_band: band_to_proto(w.age_band) as i32,
        community_id: w.community_id.into_string(),
        wish: w.wish.into_string(),
        status: status_to_proto(w.status) as i32,
        adopter_id: w.adopter_id.map(String::from).unwrap_or_default(),
        fulfil_note: w.fulfil_note.map(String::from).unwrap_or_default(),
        cancel_reason: w.cancel_reason.map(String::from).unwrap_or_default(),
        create_time: Some(to_timestamp(w.created_at)),
        adopt_time: w.adopted_at.map(to_timestamp),
        close_time: w.closed_at.map(to_timestamp),
    }
}
