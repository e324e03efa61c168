use tonic::Code;
use xingfu_proto::common::PageRequest;
use xingfu_proto::workshops as pb;
use xingfu_testkit::TestEnv;

use crate::helpers::{fields, open_workshop, precondition, started, volunteer};

#[tokio::test]
async fn commissioners_stewards_and_rated_brokers_are_appointed_and_counted() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let appoint = |key: &str, n: u32, role: pb::Role| pb::AppointRequest {
        request_id: key.into(),
        volunteer_id: volunteer(n),
        role: role as i32,
        workshop_id: workshop.id.clone(),
        community_id: String::new(),
        firm: String::new(),
    };

    let status = client
        .appoint(pb::AppointRequest {
            workshop_id: workshop.id.clone(),
            community_id: "yuanjue-cun".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["request_id", "volunteer_id", "role"]);
    // Naming exactly one place is a rule between fields, code's, once the declared hold.
    let mut two_places = appoint("a-two", 1, pb::Role::RedSteward);
    two_places.community_id = "yuanjue-cun".into();
    let status = client.appoint(two_places).await.unwrap_err();
    assert_eq!(fields(&status), vec!["workshop_id"]);
    let mut steward_in_village = appoint("a-0", 1, pb::Role::RedSteward);
    steward_in_village.workshop_id = String::new();
    steward_in_village.community_id = "yuanjue-cun".into();
    let status = client.appoint(steward_in_village).await.unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "stewards belong to a workshop"
    );

    let commissioner = client
        .appoint(appoint("a-1", 1, pb::Role::Commissioner))
        .await
        .unwrap()
        .into_inner();
    assert!(!commissioner.volunteer.as_ref().unwrap().verified);
    let mut to_village = appoint("a-2", 2, pb::Role::Commissioner);
    to_village.workshop_id = String::new();
    to_village.community_id = "yuanjue-cun".into();
    client.appoint(to_village).await.unwrap();
    let mut to_firm = appoint("a-3", 3, pb::Role::Commissioner);
    to_firm.workshop_id = String::new();
    to_firm.firm = "洞头海产有限公司".into();
    let firm = client.appoint(to_firm).await.unwrap().into_inner();
    assert_eq!(firm.firm, "洞头海产有限公司");
    client
        .appoint(appoint("a-4", 4, pb::Role::RedSteward))
        .await
        .unwrap();
    let broker = client
        .appoint(appoint("a-5", 5, pb::Role::StarBroker))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        client
            .appoint(appoint("a-5", 5, pb::Role::StarBroker))
            .await
            .unwrap()
            .into_inner(),
        broker,
        "a retry returns the first appointment"
    );

    let rate = |key: &str, id: &str, stars| pb::RateBrokerRequest {
        request_id: key.into(),
        appointment_id: id.into(),
        stars,
        note: "订单对接及时".into(),
    };
    let status = client
        .rate_broker(rate("r-0", &broker.id, 6))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["stars"]);
    let status = client
        .rate_broker(rate("r-0", &commissioner.id, 4))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "NOT_A_STAR_BROKER");
    for (key, stars) in [("r-1", 3), ("r-2", 4), ("r-3", 5)] {
        client
            .rate_broker(rate(key, &broker.id, stars))
            .await
            .unwrap();
    }
    let rated = client
        .rate_broker(rate("r-3", &broker.id, 5))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rated.stars, 5);
    let first = client
        .list_broker_ratings(pb::ListBrokerRatingsRequest {
            appointment_id: broker.id.clone(),
            page: Some(PageRequest {
                page_size: 2,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let rest = client
        .list_broker_ratings(pb::ListBrokerRatingsRequest {
            appointment_id: broker.id.clone(),
            page: Some(PageRequest {
                page_size: 2,
                page_token: first.page.unwrap().next_page_token,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let history: Vec<i32> = first
        .ratings
        .iter()
        .chain(&rest.ratings)
        .map(|r| r.stars)
        .collect();
    assert_eq!(history, [5, 4, 3], "newest first, a retry not repeated");

    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (stats.commissioners, stats.red_stewards, stats.star_brokers),
        (3, 1, 1)
    );
    let ended = client
        .end_appointment(pb::EndAppointmentRequest {
            id: firm.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!ended.active && ended.end_time.is_some());
    let again = client
        .end_appointment(pb::EndAppointmentRequest { id: firm.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, ended, "ending again changes nothing");
    let active = client
        .list_appointments(pb::ListAppointmentsRequest {
            role: pb::Role::Commissioner as i32,
            active_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .appointments;
    assert_eq!(active.len(), 2);
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.commissioners, 2);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
