//! What an emergency dial needs from the table: one read of its context,
//! the pool's available numbers page by page, and one atomic write of the
//! call with its lease.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::error::StoreError;
use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, CallId, E164};

/// What an emergency dial reads, in one round trip.
#[derive(Debug, Clone, Default)]
pub struct DialContext {
    /// The call, when this `callId` was already recorded (a retried webhook).
    pub call: Option<EmergencyCall>,
    pub agent: Option<AgentProfile>,
    /// The agent's current or most recent lease.
    pub lease: Option<Lease>,
    pub tenant: TenantSettings,
    /// The location the agent registered, fresh or not.
    pub registered: Option<RegisteredLocation>,
    /// Items that exist but do not decode (a hand edit in the console, an
    /// older schema): read as missing, reported here. Unreadable is not
    /// unavailable: the dial goes on with what it has.
    pub unreadable: Vec<ItemKind>,
}

/// The kinds of item an emergency dial reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Call,
    Profile,
    LeasePointer,
    RegisteredLocation,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Call => "call",
            ItemKind::Profile => "profile",
            ItemKind::LeasePointer => "lease_pointer",
            ItemKind::RegisteredLocation => "registered_location",
        }
    }
}

/// A page of a pool's available numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolPage {
    pub numbers: Vec<E164>,
    /// Where the next page starts; none when the index has nothing after this page.
    pub next: Option<PoolCursor>,
}

/// A position in a pool's `available` listing: the last number of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolCursor {
    pub number: E164,
    pub available_at: DateTime<Utc>,
}

/// A change to a lease, written together with the call.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaseWrite {
    /// Take a number that is available now, or that was this agent's (a
    /// returning agent gets their number back through quarantine).
    Claim {
        lease: Lease,
        available_at: DateTime<Utc>,
        now: DateTime<Utc>,
        /// The version of the agent's lease pointer that was read (none: no pointer).
        pointer_version: Option<u64>,
    },
    /// Change the lease the agent holds, if nobody changed it since `expected_version`.
    Update {
        lease: Lease,
        available_at: DateTime<Utc>,
        expected_version: u64,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RecordError {
    #[error("call already recorded")]
    CallExists(Option<Box<EmergencyCall>>),
    #[error("number taken")]
    NumberTaken,
    /// The agent's lease pointer is not what the write expected. The store
    /// returns the pointer's lease when its refusal says (so the dial goes on
    /// without reading it again); none: read it again.
    #[error("lease changed since it was read")]
    LeaseChanged(Option<Box<Lease>>),
    /// Another transaction touched the same items at the same moment: retry.
    #[error("concurrent transaction conflict")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The records one platform `callId` has (see `lifeline_domain::chain`).
#[async_trait]
pub trait CallRecords: Send + Sync {
    /// Those of `ids` that are recorded, in one round trip: `None` for one
    /// that does not decode.
    async fn call_records(
        &self,
        ids: &[CallId],
    ) -> Result<Vec<(CallId, Option<EmergencyCall>)>, StoreError>;
}

#[async_trait]
pub trait DialStore: CallRecords + Send + Sync {
    /// The call (idempotency), the agent's profile and lease, and the tenant settings.
    async fn dial_context(&self, call: &CallId, agent: &AgentId)
        -> Result<DialContext, StoreError>;
    /// One page of the numbers of `country`'s pool that may be leased at
    /// `now`, least recently released first, at most `limit`, starting after
    /// `after` (a previous page's `next`; none: the first page). Never a scan
    /// of the pool.
    async fn available_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
        after: Option<&PoolCursor>,
    ) -> Result<PoolPage, StoreError>;
    /// Whether `country` has a pool at all (any number, leased or not): says
    /// why no number was found, on that path only.
    async fn has_pool(&self, country: Country) -> Result<bool, StoreError>;
    /// One atomic write: the call record (only if new) and the lease change.
    async fn record_emergency(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), RecordError>;
}
