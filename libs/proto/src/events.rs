//! The event catalogue: every event message with its subject (below the deployment
//! prefix) and its CloudEvents type. Listed here once, next to the generated types.

/// A protobuf message published as an event.
pub trait EventMessage: prost::Message + Default {
    /// Subject below the prefix: `<service>.<fact>.v1`.
    const SUBJECT: &'static str;
    /// Full protobuf name, the CloudEvents `type`.
    const TYPE: &'static str;
}

macro_rules! catalogue {
    ($($package:literal $module:ident :: $message:ident => $subject:literal;)*) => {
        $(
            impl EventMessage for crate::$module::$message {
                const SUBJECT: &'static str = $subject;
                const TYPE: &'static str = concat!($package, ".", stringify!($message));
            }
        )*

        /// Every event as (subject, type), for documentation checks and tools.
        pub const CATALOGUE: &[(&str, &str)] = &[
            $(($subject, concat!($package, ".", stringify!($message))),)*
        ];
    };
}

catalogue! {
    "xingfu.projects.v1" projects::ProjectCreated => "projects.project_created.v1";
    "xingfu.projects.v1" projects::NeedSubmitted => "projects.need_submitted.v1";
    "xingfu.projects.v1" projects::NeedReviewed => "projects.need_reviewed.v1";
    "xingfu.projects.v1" projects::ProjectPublished => "projects.project_published.v1";
    "xingfu.projects.v1" projects::ProjectClaimed => "projects.project_claimed.v1";
    "xingfu.projects.v1" projects::ProjectDispatched => "projects.project_dispatched.v1";
    "xingfu.projects.v1" projects::MilestonePlanned => "projects.milestone_planned.v1";
    "xingfu.projects.v1" projects::MilestoneProgressed => "projects.milestone_progressed.v1";
    "xingfu.projects.v1" projects::ProjectStatusChanged => "projects.project_status_changed.v1";
    "xingfu.projects.v1" projects::VisitRecorded => "projects.visit_recorded.v1";
    "xingfu.projects.v1" projects::ContractSigned => "projects.contract_signed.v1";
    "xingfu.projects.v1" projects::ContractEnded => "projects.contract_ended.v1";
    "xingfu.projects.v1" projects::ProjectUpdated => "projects.project_updated.v1";
    "xingfu.projects.v1" projects::ProgressRecorded => "projects.progress_recorded.v1";
    "xingfu.volunteers.v1" volunteers::OrganisationRegistered => "volunteers.organisation_registered.v1";
    "xingfu.volunteers.v1" volunteers::OrganisationUpdated => "volunteers.organisation_updated.v1";
    "xingfu.volunteers.v1" volunteers::CommunityRegistered => "volunteers.community_registered.v1";
    "xingfu.volunteers.v1" volunteers::CommunityUpdated => "volunteers.community_updated.v1";
    "xingfu.volunteers.v1" volunteers::VolunteerRegistered => "volunteers.volunteer_registered.v1";
    "xingfu.volunteers.v1" volunteers::VolunteerUpdated => "volunteers.volunteer_updated.v1";
    "xingfu.volunteers.v1" volunteers::VolunteerWithdrawn => "volunteers.volunteer_withdrawn.v1";
    "xingfu.volunteers.v1" volunteers::VolunteerErased => "volunteers.volunteer_erased.v1";
    "xingfu.volunteers.v1" volunteers::ActivityCreated => "volunteers.activity_created.v1";
    "xingfu.volunteers.v1" volunteers::ActivityUpdated => "volunteers.activity_updated.v1";
    "xingfu.volunteers.v1" volunteers::ActivityCancelled => "volunteers.activity_cancelled.v1";
    "xingfu.volunteers.v1" volunteers::ParticipationChanged => "volunteers.participation_changed.v1";
    "xingfu.volunteers.v1" volunteers::HoursVerified => "volunteers.hours_verified.v1";
    "xingfu.volunteers.v1" volunteers::ActivityCompleted => "volunteers.activity_completed.v1";
    "xingfu.volunteers.v1" volunteers::TeamFormed => "volunteers.team_formed.v1";
    "xingfu.volunteers.v1" volunteers::TeamMembershipChanged => "volunteers.team_membership_changed.v1";
    "xingfu.volunteers.v1" volunteers::CommunityLinkChanged => "volunteers.community_link_changed.v1";
    "xingfu.volunteers.v1" volunteers::EvaluationRecorded => "volunteers.evaluation_recorded.v1";
    "xingfu.volunteers.v1" volunteers::WishPosted => "volunteers.wish_posted.v1";
    "xingfu.volunteers.v1" volunteers::WishAdopted => "volunteers.wish_adopted.v1";
    "xingfu.volunteers.v1" volunteers::WishFulfilled => "volunteers.wish_fulfilled.v1";
    "xingfu.volunteers.v1" volunteers::WishCancelled => "volunteers.wish_cancelled.v1";
    "xingfu.funds.v1" funds::FundCreated => "funds.fund_created.v1";
    "xingfu.funds.v1" funds::DonationReceived => "funds.donation_received.v1";
    "xingfu.funds.v1" funds::RefundIssued => "funds.refund_issued.v1";
    "xingfu.funds.v1" funds::GrantRequested => "funds.grant_requested.v1";
    "xingfu.funds.v1" funds::GrantApproved => "funds.grant_approved.v1";
    "xingfu.funds.v1" funds::GrantRejected => "funds.grant_rejected.v1";
    "xingfu.funds.v1" funds::GrantDisbursed => "funds.grant_disbursed.v1";
    "xingfu.funds.v1" funds::PeriodClosed => "funds.period_closed.v1";
    "xingfu.workshops.v1" workshops::BrandRegistered => "workshops.brand_registered.v1";
    "xingfu.workshops.v1" workshops::WorkshopCreated => "workshops.workshop_created.v1";
    "xingfu.workshops.v1" workshops::WorkshopStatusChanged => "workshops.workshop_status_changed.v1";
    "xingfu.workshops.v1" workshops::WorkshopUpdated => "workshops.workshop_updated.v1";
    "xingfu.workshops.v1" workshops::SupportGiven => "workshops.support_given.v1";
    "xingfu.workshops.v1" workshops::PersonAppointed => "workshops.person_appointed.v1";
    "xingfu.workshops.v1" workshops::AppointmentEnded => "workshops.appointment_ended.v1";
    "xingfu.workshops.v1" workshops::BrokerRated => "workshops.broker_rated.v1";
    "xingfu.workshops.v1" workshops::WorkerEnrolled => "workshops.worker_enrolled.v1";
    "xingfu.workshops.v1" workshops::IncomeRecorded => "workshops.income_recorded.v1";
    "xingfu.workshops.v1" workshops::OrderPlaced => "workshops.order_placed.v1";
    "xingfu.workshops.v1" workshops::TaskDispatched => "workshops.task_dispatched.v1";
    "xingfu.workshops.v1" workshops::TaskTaken => "workshops.task_taken.v1";
    "xingfu.workshops.v1" workshops::TakeDelivered => "workshops.take_delivered.v1";
    "xingfu.workshops.v1" workshops::TakeRejected => "workshops.take_rejected.v1";
    "xingfu.workshops.v1" workshops::OrderClosed => "workshops.order_closed.v1";
    "xingfu.workshops.v1" workshops::ProblemRaised => "workshops.problem_raised.v1";
    "xingfu.workshops.v1" workshops::ProblemChanged => "workshops.problem_changed.v1";
    "xingfu.gateway.v1" gateway::CallAudited => "gateway.call_audited.v1";
    "xingfu.gateway.v1" gateway::PrincipalRegistered => "gateway.principal_registered.v1";
    "xingfu.gateway.v1" gateway::RoleGranted => "gateway.role_granted.v1";
    "xingfu.gateway.v1" gateway::RoleRevoked => "gateway.role_revoked.v1";
    "xingfu.gateway.v1" gateway::ApiKeyIssued => "gateway.api_key_issued.v1";
    "xingfu.gateway.v1" gateway::ApiKeyRevoked => "gateway.api_key_revoked.v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_their_producer_and_a_version() {
        for (subject, event_type) in CATALOGUE {
            let producer = subject.split('.').next().unwrap();
            assert!(
                event_type.starts_with(&format!("xingfu.{producer}.v1.")),
                "{event_type}"
            );
            assert!(subject.ends_with(".v1"), "{subject}");
        }
    }
}
