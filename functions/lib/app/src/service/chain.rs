//! Reading the records one platform `callId` has, in position order (see
//! `lifeline_domain::chain`): shared by the dial and the call's end.

use lifeline_domain::call::EmergencyCall;
use lifeline_domain::chain::MAX_RECORDS_PER_CALL_ID;
use lifeline_domain::types::CallId;

use crate::ports::{CallRecords, StoreError};

/// Positions read per round trip: most ids have one record, so the first
/// read almost always finds the end of the chain.
const POSITIONS_PER_READ: u32 = 8;

/// The records under `id`'s platform `callId`, from the first up to the first
/// free position (`None`: a record that does not decode).
pub async fn read_chain<S: CallRecords + ?Sized>(
    store: &S,
    id: &CallId,
) -> Result<Vec<Option<EmergencyCall>>, StoreError> {
    let mut chain = Vec::new();
    let mut first = 1;
    while first <= MAX_RECORDS_PER_CALL_ID {
        let last = (first + POSITIONS_PER_READ - 1).min(MAX_RECORDS_PER_CALL_ID);
        let ids: Vec<CallId> = (first..=last).map(|p| id.at_position(p)).collect();
        let found = store.call_records(&ids).await?;
        if !in_order(&ids, found, &mut chain) {
            return Ok(chain);
        }
        first = last + 1;
    }
    Ok(chain)
}

/// Appends to `chain` the records `found` at `ids`, in order, up to the
/// first free position; whether every one of `ids` was there (the chain
/// may go on).
pub fn in_order(
    ids: &[CallId],
    mut found: Vec<(CallId, Option<EmergencyCall>)>,
    chain: &mut Vec<Option<EmergencyCall>>,
) -> bool {
    for wanted in ids {
        let Some(at) = found.iter().position(|(got, _)| got == wanted) else {
            return false;
        };
        chain.push(found.swap_remove(at).1);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::MemoryStore;
    use lifeline_domain::testing::call;

    fn t() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_795_496_400, 0).unwrap()
    }

    #[tokio::test]
    async fn the_chain_ends_at_the_first_free_position() {
        let store = MemoryStore::new();
        let base: CallId = "c-1".parse().unwrap();
        for p in [1, 2, 3, 5] {
            let mut c = call("c-1", "a-42", t());
            c.call_id = base.at_position(p);
            store.with_state(|s| s.calls.insert(c.call_id.clone(), c));
        }
        let chain = read_chain(&store, &base.at_position(3)).await.unwrap();
        let ids: Vec<_> = chain
            .iter()
            .map(|c| c.as_ref().unwrap().call_id.to_string())
            .collect();
        assert_eq!(ids, ["c-1", "c-1~2", "c-1~3"]);
    }

    #[tokio::test]
    async fn a_long_chain_is_read_in_several_round_trips_and_bounded() {
        let store = MemoryStore::new();
        let base: CallId = "c-1".parse().unwrap();
        for p in 1..=MAX_RECORDS_PER_CALL_ID + 3 {
            let mut c = call("c-1", "a-42", t());
            c.call_id = base.at_position(p);
            store.with_state(|s| s.calls.insert(c.call_id.clone(), c));
        }
        let chain = read_chain(&store, &base).await.unwrap();
        assert_eq!(chain.len() as u32, MAX_RECORDS_PER_CALL_ID);
    }
}
