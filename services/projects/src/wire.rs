//! The domain's enums as `xingfu.projects.v1` numbers, both ways: shared by the API's
//! answers and requests (`grpc`) and the events the operations publish (`ops`), so
//! neither reaches into the other.

use xingfu_proto::projects as pb;

use crate::domain::{
    Category, Channel, ContractStatus, HistoryKind, NeedStatus, ProviderKind, Status,
};

use xingfu_platform::enum_map;

enum_map!(category_to_proto, category_from_proto, Category, pb::Category, "category", {
    Convenience <=> Convenience,
    PairedAssistance <=> PairedAssistance,
    Transport <=> Transport,
    Infrastructure <=> Infrastructure,
    CommunityActivity <=> CommunityActivity,
    PublicService <=> PublicService,
    Environment <=> Environment,
});

enum_map!(status_to_proto, status_from_proto, Status, pb::ProjectStatus, "status", {
    Draft <=> Draft,
    Published <=> Published,
    Claimed <=> Claimed,
    InProgress <=> InProgress,
    Completed <=> Completed,
    Cancelled <=> Cancelled,
});

enum_map!(channel_to_proto, channel_from_proto, Channel, pb::Channel, "channel", {
    Visit <=> Visit,
    Survey <=> Survey,
    Online <=> Online,
});

enum_map!(need_status_to_proto, need_status_from_proto, NeedStatus, pb::NeedStatus, "need status", {
    Submitted <=> Submitted,
    Accepted <=> Accepted,
    Attached <=> Attached,
    Duplicate <=> Duplicate,
    Declined <=> Declined,
});

enum_map!(contract_status_to_proto, contract_status_from_proto, ContractStatus, pb::ContractStatus, "contract status", {
    Active <=> Active,
    Expired <=> Expired,
    Terminated <=> Terminated,
});

enum_map!(provider_kind_to_proto, provider_kind_from_proto, ProviderKind, pb::ProviderKind, "provider kind", {
    Team <=> Team,
    Organisation <=> Organisation,
});

enum_map!(history_kind_to_proto, history_kind_from_proto, HistoryKind, pb::HistoryKind, "history kind", {
    Created <=> Created,
    Updated <=> Updated,
    StatusChanged <=> StatusChanged,
    Claimed <=> Claimed,
    Dispatched <=> Dispatched,
    DispatchAccepted <=> DispatchAccepted,
    DispatchDeclined <=> DispatchDeclined,
    HandedOver <=> HandedOver,
    CoOrganiserAdded <=> CoOrganiserAdded,
    Visit <=> Visit,
    Progress <=> Progress,
    Milestone <=> Milestone,
    NeedAttached <=> NeedAttached,
});
