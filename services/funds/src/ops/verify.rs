//! Verifying the ledger: the hash chain, every transaction's balance, every fund's kept
//! balance and every donation's, refund's and payment's journal transaction, read in one
//! snapshot.

use std::collections::HashMap;

use xingfu_platform::Error;

use super::Ledger;
use crate::domain::ledger::{GENESIS, chain_hash, fund_account};
use crate::storage::{funds, ledger};

/// Entries read per round while verifying.
const BATCH: i64 = 5_000;

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verification {
    /// Entries checked.
    pub entries: i64,
    /// Transactions checked.
    pub transactions: i64,
    /// The first problem, in words.
    pub first_break: Option<String>,
    /// The entry where the chain first breaks.
    pub first_broken_entry: Option<i64>,
}

impl Ledger {
    /// Recomputes the hash chain (each entry's transaction header included), every
    /// transaction's sum and size, every fund's balance, and that every donation, refund
    /// and paid grant has its journal transaction; the first break found is reported. It
    /// reads one consistent snapshot, so postings going on meanwhile raise no false alarm.
    pub async fn verify(&self) -> Result<Verification, Error> {
        let mut snapshot = ledger::snapshot(&self.db).await?;
        let mut found = Verification::default();
        let (head_seq, head_hash) = ledger::head(&mut snapshot).await?;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq: i64 = 1;
        let mut sums: HashMap<String, (i64, i64)> = HashMap::new();
        let mut balances: HashMap<String, i64> = HashMap::new();
        let mut last = 0;
        let broken = |found: &mut Verification, seq: Option<i64>, what: String| {
            if found.first_break.is_none() {
                found.first_break = Some(what);
                found.first_broken_entry = seq;
            }
        };
        loop {
            let batch = ledger::entries(&mut snapshot, last, head_seq, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            for stored in &batch {
                let entry = &stored.entry;
                found.entries += 1;
                last = entry.seq;
                if entry.seq != expected_seq {
                    broken(
                        &mut found,
                        Some(expected_seq),
                        format!("entry {expected_seq} is missing"),
                    );
                }
                expected_seq = entry.seq.saturating_add(1);
                if stored.header_missing {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!(
                            "the transaction of entry {} is missing or was changed",
                            entry.seq
                        ),
                    );
                }
                if stored.prev_hash != prev {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!("entry {} does not follow the entry before it", entry.seq),
                    );
                }
                if chain_hash(&stored.prev_hash, entry) != stored.hash {
                    broken(
                        &mut found,
                        Some(entry.seq),
                        format!("entry {} was changed after it was written", entry.seq),
                    );
                }
                prev = stored.hash.clone();
                let (sum, count) = sums.entry(entry.transaction_id.clone()).or_default();
                *sum = sum.saturating_add(entry.amount_fen);
                *count += 1;
                let balance = balances.entry(entry.account.clone()).or_default();
                *balance = balance.saturating_add(entry.amount_fen);
            }
        }
        if last != head_seq || (last > 0 && head_hash != prev) {
            broken(
                &mut found,
                Some(last.saturating_add(1)),
                format!("the chain ends at entry {last} but its head says {head_seq}"),
            );
        }
        found.transactions = i64::try_from(sums.len()).unwrap_or(i64::MAX);
        let mut unbalanced: Vec<&String> = sums
            .iter()
            .filter(|(_, (sum, count))| *sum != 0 || *count < 2)
            .map(|(id, _)| id)
            .collect();
        unbalanced.sort();
        if let Some(id) = unbalanced.first() {
            broken(
                &mut found,
                None,
                format!("transaction {id} does not balance"),
            );
        }
        for fund in funds::all(&mut snapshot).await? {
            let computed = balances.get(&fund_account(&fund.id)).copied().unwrap_or(0);
            if computed != fund.balance_fen {
                broken(
                    &mut found,
                    None,
                    format!(
                        "fund {} holds {} fen by its entries but records {}",
                        fund.id, computed, fund.balance_fen
                    ),
                );
            }
            if computed < 0 {
                broken(&mut found, None, format!("fund {} is below zero", fund.id));
            }
        }
        if let Some(what) = ledger::unbooked(&mut snapshot).await?.into_iter().next() {
            broken(&mut found, None, what);
        }
        snapshot.rollback().await?;
        Ok(found)
    }
}
