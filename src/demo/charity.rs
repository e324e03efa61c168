//! Charity funds: donations, grants asked, approved and paid.

use super::*;

impl Loader {
    pub(super) async fn funds(&mut self) -> anyhow::Result<()> {
        let client = FundsServiceClient::new(self.link.clone());
        let child = call!(client.create_fund(funds::CreateFundRequest {
            request_id: "demo-fund-children".into(),
            name: "困难儿童助学金".into(),
            purpose: funds::Purpose::ChildSupport as i32,
            organisation_id: String::new(),
        }))?;
        let study = call!(client.create_fund(funds::CreateFundRequest {
            request_id: "demo-fund-study".into(),
            name: "温馨小书房".into(),
            purpose: funds::Purpose::StudyCorner as i32,
            organisation_id: String::new(),
        }))?;
        // 312,000 yuan raised from society: 120 donations, 190,000 yuan to the children's
        // fund and 122,000 yuan to the study corners'.
        let mut donations = Vec::new();
        for (fund, total, count, key) in [
            (&child.id, 19_000_000i64, 80i64, "c"),
            (&study.id, 12_200_000, 40, "s"),
        ] {
            let each_fen = total / count;
            for n in 0..count {
                let amount = if n == count - 1 {
                    total - each_fen * (count - 1)
                } else {
                    each_fen
                };
                let company = n % 4 == 0;
                donations.push((
                    format!("demo-donation-{key}-{n}"),
                    fund.clone(),
                    amount,
                    company,
                    n,
                ));
            }
        }
        self.calls += u64::try_from(donations.len()).unwrap_or(0) + 2;
        let donors = [
            "洞头海产有限公司",
            "百岛旅游集团",
            "温州渔业合作社",
            "爱心人士",
        ];
        each(donations, |(key, fund, amount, company, n)| {
            let client = client.clone();
            async move {
                call!(client.donate(funds::DonateRequest {
                    idempotency_key: key.clone(),
                    fund_id: fund.clone(),
                    donor_kind: if company {
                        funds::DonorKind::Company
                    } else {
                        funds::DonorKind::Anonymous
                    } as i32,
                    donor_name: if company {
                        donors[usize::try_from(n).unwrap_or(0) % 3].into()
                    } else {
                        String::new()
                    },
                    amount_fen: amount,
                    channel: funds::DonationChannel::BankTransfer as i32,
                    received_on: None,
                }))
            }
        })
        .await?;
        // Grants to 297 children (600 yuan each) and 75 study corners (1,500 yuan each).
        let requester = FundsServiceClient::new(self.people.requester.clone());
        let approver = FundsServiceClient::new(self.people.approver.clone());
        let mut grants = Vec::new();
        for n in 0..FIGURES.children_funded {
            grants.push((
                format!("demo-grant-child-{n}"),
                child.id.clone(),
                funds::GrantKind::ChildSupport,
                format!("case-{n:04}"),
                60_000i64,
            ));
        }
        for n in 0..FIGURES.study_corners {
            grants.push((
                format!("demo-grant-study-{n}"),
                study.id.clone(),
                funds::GrantKind::StudyCorner,
                format!("home-{n:03}"),
                150_000,
            ));
        }
        self.calls += u64::try_from(grants.len() * 3).unwrap_or(0);
        each(grants, |(key, fund, kind, beneficiary, amount)| {
            let (requester, approver) = (requester.clone(), approver.clone());
            async move {
                let items = if kind == funds::GrantKind::StudyCorner {
                    [("书桌椅", 1), ("书柜", 1), ("台灯", 1), ("图书", 15)]
                        .iter()
                        .map(|(name, quantity)| funds::StudyCornerItem {
                            name: (*name).into(),
                            quantity: *quantity,
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                let grant = call!(requester.request_grant(funds::RequestGrantRequest {
                    request_id: key.clone(),
                    fund_id: fund.clone(),
                    kind: kind as i32,
                    beneficiary_ref: beneficiary.clone(),
                    project_id: String::new(),
                    items: items.clone(),
                    amount_fen: amount,
                    requested_by: String::new(),
                }))?;
                settle!(approver.approve_grant(funds::ApproveGrantRequest {
                    id: grant.id.clone(),
                    approver: String::new(),
                }))?;
                call!(approver.disburse_grant(funds::DisburseGrantRequest {
                    id: grant.id.clone()
                }))
            }
        })
        .await?;
        Ok(())
    }
}
