//! The admin's port in memory, with the DynamoDB adapter's conditions: a
//! number is added only if absent (never overwritten), and removed only once
//! it is neither leased nor in quarantine.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::faults::WriteOp;
use super::store::{MemoryStore, NumberState};
use crate::ports::{AddedNumbers, AdminStore, PoolNumber, RemoveError, StoreError};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, E164};

#[async_trait]
impl AdminStore for MemoryStore {
    async fn put_agent(&self, agent: &AgentProfile) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| s.agents.insert(agent.id.clone(), agent.clone()));
        self.answer(WriteOp::PutAgent).await;
        Ok(())
    }

    async fn get_agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.agents.get(id).cloned()))
    }

    async fn agents(&self) -> Result<Vec<AgentProfile>, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.agents.values().cloned().collect()))
    }

    async fn add_numbers(
        &self,
        country: Country,
        numbers: &[E164],
        now: DateTime<Utc>,
    ) -> Result<AddedNumbers, StoreError> {
        let mut out = AddedNumbers::default();
        for number in numbers {
            // One conditional put per number, as the adapter writes them.
            self.check(true)?;
            self.with_state(|s| match s.numbers.entry(number.clone()) {
                std::collections::btree_map::Entry::Occupied(_) => out.present.push(number.clone()),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(NumberState {
                        country,
                        available_at: now,
                        lease: None,
                    });
                    out.added.push(number.clone());
                }
            });
        }
        self.answer(WriteOp::AddNumbers).await;
        Ok(out)
    }

    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError> {
        self.check(false)?;
        let mut out: Vec<PoolNumber> = self.with_state(|s| {
            s.numbers
                .iter()
                .filter(|(_, n)| country.is_none_or(|c| c == n.country))
                .map(|(k, n)| {
                    PoolNumber::describe(k, n.country.code(), n.lease.as_ref(), n.available_at, now)
                })
                .collect()
        });
        out.sort_by(|a, b| (&a.country, &a.number).cmp(&(&b.country, &b.number)));
        Ok(out)
    }

    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError> {
        self.check(true)?;
        self.with_state(|s| {
            let n = s
                .numbers
                .get(number)
                .ok_or_else(|| RemoveError::Unknown(number.to_string()))?;
            if let Some(refused) =
                RemoveError::refusal(number, n.lease.as_ref(), n.available_at, now)
            {
                return Err(refused);
            }
            s.numbers.remove(number);
            Ok(())
        })?;
        self.answer(WriteOp::RemoveNumber).await;
        Ok(())
    }

    async fn put_tenant(&self, tenant: TenantSettings) -> Result<(), StoreError> {
        self.check(true)?;
        self.with_state(|s| s.tenant = tenant);
        self.answer(WriteOp::PutTenant).await;
        Ok(())
    }

    async fn get_tenant(&self) -> Result<TenantSettings, StoreError> {
        self.check(false)?;
        Ok(self.with_state(|s| s.tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::CallbackStore;
    use lifeline_domain::lease::{Lease, LeasePolicy, NewLease};

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::minutes(min)
    }

    fn e164(n: &str) -> E164 {
        n.parse().unwrap()
    }

    const N: &str = "+14255550190";

    /// `N` in the US pool, leased to a-42 by a call at t(0) that ended at
    /// t(10): held until t(70), in quarantine until t(130).
    fn leased_then_ended() -> (MemoryStore, Lease, DateTime<Utc>) {
        let store = MemoryStore::new();
        let p = LeasePolicy::default();
        let lease = p.start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: e164(N),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: "c-1".parse().unwrap(),
                fallback: vec![],
            },
            t(0),
        );
        let ended = p.on_end(&lease, &"c-1".parse().unwrap(), t(10)).unwrap();
        let available_at = p.available_at(&ended);
        assert_eq!((ended.hold_until, available_at), (t(70), t(130)));
        store.with_state(|s| {
            s.numbers.insert(
                e164(N),
                NumberState {
                    country: Country::US,
                    available_at,
                    lease: Some(ended.clone()),
                },
            )
        });
        (store, ended, available_at)
    }

    #[tokio::test]
    async fn remove_is_refused_while_leased_then_in_quarantine_naming_the_time() {
        let (store, _, available_at) = leased_then_ended();
        match store.remove_number(&e164(N), t(69)).await {
            Err(e @ RemoveError::Leased(..)) => {
                assert!(e.to_string().contains("leased to a-42"), "{e}")
            }
            other => panic!("leased: {other:?}"),
        }
        // Past the hold (released or not), the quarantine still holds it.
        for now in [t(70), t(129)] {
            match store.remove_number(&e164(N), now).await {
                Err(e @ RemoveError::InQuarantine { .. }) => {
                    let RemoveError::InQuarantine { ref number, until } = e else {
                        unreachable!()
                    };
                    assert_eq!((number, until), (&e164(N), available_at));
                    let text = e.to_string();
                    assert!(
                        text.contains("in quarantine until 2026-11-24T07:10:00Z"),
                        "{text}"
                    );
                }
                other => panic!("in quarantine at {now}: {other:?}"),
            }
        }
        store.with_state(|s| {
            if let Some(l) = s.numbers.get_mut(&e164(N)).and_then(|n| n.lease.as_mut()) {
                l.released_at = Some(t(71));
            }
        });
        assert!(matches!(
            store.remove_number(&e164(N), t(100)).await,
            Err(RemoveError::InQuarantine { .. })
        ));
        assert!(store.with_state(|s| s.numbers.contains_key(&e164(N))));

        // From `availableAt` on, it goes; then it is unknown.
        store
            .remove_number(&e164(N), available_at)
            .await
            .expect("removable at availableAt");
        assert!(store.with_state(|s| s.numbers.is_empty()));
        assert!(matches!(
            store.remove_number(&e164(N), t(200)).await,
            Err(RemoveError::Unknown(n)) if n == N
        ));
    }

    #[tokio::test]
    async fn a_free_number_is_removed_at_once() {
        let store = MemoryStore::new();
        let added = AdminStore::add_numbers(&store, Country::US, &[e164(N)], t(0))
            .await
            .unwrap();
        assert_eq!(added.added, vec![e164(N)]);
        store.remove_number(&e164(N), t(0)).await.expect("free");
    }

    #[tokio::test]
    async fn add_leaves_a_present_number_as_it_was_and_reports_it() {
        let (store, lease, available_at) = leased_then_ended();
        let before = store.list_pool(None, t(20)).await.unwrap();
        assert_eq!(before[0].state, "leased");
        let fresh = e164("+14255550191");
        // A number leased (t(20)), then in quarantine (t(100)): never reset.
        for now in [t(20), t(100)] {
            let got = AdminStore::add_numbers(&store, Country::US, &[e164(N)], now)
                .await
                .unwrap();
            assert_eq!(
                got,
                AddedNumbers {
                    added: vec![],
                    present: vec![e164(N)]
                }
            );
            assert_eq!(
                store.lease_for_number(&e164(N)).await.unwrap(),
                Some(lease.clone())
            );
            assert_eq!(
                store.with_state(|s| s.numbers[&e164(N)].available_at),
                available_at
            );
        }
        assert_eq!(store.list_pool(None, t(20)).await.unwrap(), before);
        let pool = store.list_pool(None, t(100)).await.unwrap();
        assert_eq!(pool[0].state, "quarantined");
        assert_eq!(
            pool[0].quarantined_until.as_deref(),
            Some("2026-11-24T07:10:00Z")
        );

        // Mixed: the new one is added (available from now), the other reported.
        let got = AdminStore::add_numbers(&store, Country::US, &[fresh.clone(), e164(N)], t(100))
            .await
            .unwrap();
        assert_eq!(
            (got.added, got.present),
            (vec![fresh.clone()], vec![e164(N)])
        );
        let pool = store.list_pool(Some(Country::US), t(100)).await.unwrap();
        let states: Vec<_> = pool.iter().map(|p| (p.number.as_str(), p.state)).collect();
        assert_eq!(states, vec![(N, "quarantined"), ("+14255550191", "free")]);
        assert!(store
            .list_pool(Some(Country::GB), t(100))
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn a_failing_store_is_unavailable_not_refused() {
        let (store, _, _) = leased_then_ended();
        store.set_failing(true);
        assert!(matches!(
            store.remove_number(&e164(N), t(200)).await,
            Err(RemoveError::Store(StoreError::Unavailable(_)))
        ));
        assert!(
            AdminStore::add_numbers(&store, Country::US, &[e164(N)], t(0))
                .await
                .is_err()
        );
    }
}
