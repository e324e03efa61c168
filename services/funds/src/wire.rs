//! The domain's enums as `xingfu.funds.v1` numbers, both ways: shared by the API's
//! requests and answers (`grpc`) and the events the operations publish (`ops`), so
//! neither reaches into the other.

use xingfu_platform::enum_map;
use xingfu_proto::funds as pb;

use crate::domain::{DonationChannel, DonorKind, GrantKind, GrantStatus, Purpose};

enum_map!(purpose_to_proto, purpose_from_proto, Purpose, pb::Purpose, "purpose", {
    General <=> General,
    ChildSupport <=> ChildSupport,
    StudyCorner <=> StudyCorner,
    Project <=> Project,
});

enum_map!(donor_kind_to_proto, donor_kind_from_proto, DonorKind, pb::DonorKind, "donor kind", {
    Person <=> Person,
    Company <=> Company,
    Anonymous <=> Anonymous,
});

enum_map!(channel_to_proto, channel_from_proto, DonationChannel, pb::DonationChannel, "channel", {
    BankTransfer <=> BankTransfer,
    WechatPay <=> WechatPay,
    Alipay <=> Alipay,
    Cash <=> Cash,
});

enum_map!(grant_kind_to_proto, grant_kind_from_proto, GrantKind, pb::GrantKind, "grant kind", {
    ChildSupport <=> ChildSupport,
    StudyCorner <=> StudyCorner,
    Project <=> Project,
});

enum_map!(grant_status_to_proto, grant_status_from_proto, GrantStatus, pb::GrantStatus, "grant status", {
    Requested <=> Requested,
    Approved <=> Approved,
    Disbursed <=> Disbursed,
    Rejected <=> Rejected,
    Cancelled <=> Cancelled,
});
