//! One store contract suite, run against both stores: the in-memory fake
//! (`lifeline_app::fakes::MemoryStore`, always) and DynamoDB Local
//! (`lifeline_aws::dynamo::DynamoStore`, with `LIFELINE_E2E=1`), so that the
//! fake the handler tests trust cannot drift from DynamoDB's conditional
//! writes. Each contract is written once, generic over a [`Side`]; the list
//! at the end expands every contract for both stores
//! (`store_contract::memory::<name>` and `store_contract::dynamo::<name>`),
//! so a contract added for one runs on the other.
//!
//! A contract sets its data up through the ports only and checks what a
//! person would check afterwards: the call record, the lease, the pool, the
//! presence.

mod admin;
mod agent;
mod dial;
mod end;
mod fixtures;
mod incident;
mod late;
mod presented;
mod sides;
mod template;

use lifeline_app::ports::{
    AdminStore, CallbackStore, DialStore, EndStore, LocationStore, NotifyStore, OutboxStore,
    PresenceStore, ReleaseStore, TemplateStore,
};
use std::time::Duration;

/// Every port with a condition that both stores implement.
pub trait ContractStore:
    DialStore
    + EndStore
    + CallbackStore
    + ReleaseStore
    + AdminStore
    + PresenceStore
    + LocationStore
    + NotifyStore
    + OutboxStore
    + TemplateStore
{
}

impl<T> ContractStore for T where
    T: DialStore
        + EndStore
        + CallbackStore
        + ReleaseStore
        + AdminStore
        + PresenceStore
        + LocationStore
        + NotifyStore
        + OutboxStore
        + TemplateStore
{
}

/// A kind of write that can commit after its caller gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Late {
    /// The dial's transaction: the call and its lease.
    Dial,
    /// The call's record alone (the outbox consumer's).
    CallRecord,
    /// The end of a call with its lease change.
    End,
    Release,
    SavePresence,
    RemoveNumber,
}

/// One store under contract, and how to make one of its writes late.
pub trait Side: Sync {
    type Store: ContractStore;
    /// The store, every write answered.
    fn store(&self) -> &Self::Store;
    /// The store through which the next `write` of that kind commits but
    /// answers only after [`give_up`](Self::give_up) (then the same table).
    fn late(&self, write: Late) -> &Self::Store;
    /// How long a caller waits for an answer before it gives up.
    fn give_up(&self) -> Duration;
}

/// Expands each `module::contract` into `memory::contract` (always) and
/// `dynamo::contract` (on DynamoDB Local, with `LIFELINE_E2E=1`).
macro_rules! contracts {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$module::$name(&super::sides::MemorySide::new()).await;
                }
            )*
        }
        mod dynamo {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(side) = super::sides::DynamoSide::start().await {
                        super::$module::$name(&side).await;
                    }
                }
            )*
        }
    };
}

contracts! {
    dial::a_dial_records_the_call_and_claims_the_number,
    dial::a_repeated_dial_is_refused_with_the_stored_record,
    dial::another_agents_dial_under_a_live_call_id_is_refused,
    dial::a_claimed_number_is_refused_to_another_lease,
    dial::a_claim_over_a_stale_pointer_is_refused_with_the_pointer,
    dial::a_number_outside_the_pool_is_refused,
    dial::a_held_lease_is_extended_only_over_the_version_read,
    dial::a_returning_agent_gets_their_number_back_through_quarantine,
    dial::an_extension_after_the_number_moved_on_is_refused,
    dial::the_pool_listing_pages_through_each_number_once,
    end::a_call_ends_once_with_its_lease,
    end::the_end_of_an_unknown_call_changes_nothing,
    end::an_end_over_a_stale_lease_changes_nothing,
    end::a_release_takes_only_the_same_lease_past_its_hold,
    end::a_release_never_touches_the_next_lease,
    admin::adding_numbers_never_resets_a_number_in_use,
    admin::a_number_is_removed_only_when_nobody_can_call_back,
    admin::agents_and_tenant_settings_read_back_as_written,
    agent::presence_is_saved_only_over_the_version_read,
    agent::a_location_is_kept_only_for_an_agent_with_a_profile,
    agent::a_notification_outcome_is_recorded_on_the_call_only,
    agent::the_outbox_records_once_and_settles_only_the_recorded_answer,
    late::a_late_dial_then_its_retry_returns_the_recorded_call,
    late::a_late_extension_then_its_retry_extends_once,
    late::a_late_call_record_then_its_retry_returns_it,
    late::a_late_end_then_its_retry_finds_the_call_ended,
    late::a_late_release_then_its_retry_releases_nothing_more,
    late::a_late_presence_save_then_its_retry_conflicts,
    late::a_late_removal_then_its_retry_finds_no_number,
    presented::a_number_no_psap_saw_is_freed_with_the_corrected_record,
    template::template_families_are_versioned_per_locale,
}
