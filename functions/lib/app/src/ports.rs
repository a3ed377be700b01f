//! Ports: what the services need from storage, as small traits. The DynamoDB
//! adapter implements them; handler tests use in-memory fakes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use lifeline_domain::call::{AgentProfile, EmergencyCall};
use lifeline_domain::lease::Lease;
use lifeline_domain::location::RegisteredLocation;
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, CallId, E164};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Network, throttling, timeouts, emulator down: worth a retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item that does not decode: a bug or a hand edit.
    #[error("corrupt item {key}: {detail}")]
    Corrupt { key: String, detail: String },
    /// No answer within the time the caller could give: a write may still
    /// have committed.
    #[error("no answer from the store within {0} ms")]
    TimedOut(u64),
}

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

#[async_trait]
pub trait DialStore: Send + Sync {
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

#[derive(Debug, Clone, thiserror::Error)]
pub enum EndError {
    #[error("call already ended")]
    AlreadyEnded,
    #[error("lease changed since it was read")]
    LeaseChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait EndStore: Send + Sync {
    /// The call and the agent's current lease, in one round trip.
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError>;
    /// Marks the call ended (only once) and applies the lease change, atomically.
    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError>;
}

#[async_trait]
pub trait CallbackStore: Send + Sync {
    /// The lease on a pool number, in one read.
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError>;
}

/// A pool number as the admin sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolNumber {
    pub number: String,
    pub country: String,
    /// `free`, `leased` or `quarantined`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leased_to: Option<String>,
    /// End of the callback window (from the end of the last call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_window_ends_at: Option<String>,
    /// Emergency calls still in progress on the lease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_calls: Option<usize>,
    /// Until when callbacks reach the agent (longer while calls are active).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<String>,
    /// Out of the pool for other agents until then (a late callback must not reach a stranger).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantined_until: Option<String>,
    /// When another agent may get the number.
    pub available_at: String,
}

impl PoolNumber {
    /// A pool number's state at `now`, from its lease (if any) and the time
    /// another agent may get it: the same reading for every store.
    pub fn describe(
        number: &E164,
        pool_country: &str,
        lease: Option<&Lease>,
        available_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> PoolNumber {
        use lifeline_domain::call::rfc3339;
        let live = lease.filter(|l| l.is_live(now));
        let state = match live {
            Some(_) => "leased",
            None if available_at > now => "quarantined",
            None => "free",
        };
        PoolNumber {
            number: number.to_string(),
            country: pool_country.to_string(),
            state,
            leased_to: live.map(|l| l.agent.to_string()),
            callback_window_ends_at: live.map(|l| rfc3339(l.expires_at)),
            active_calls: live.map(|l| l.active_calls.len()),
            held_until: live.map(|l| rfc3339(l.hold_until)),
            quarantined_until: (state == "quarantined").then(|| rfc3339(available_at)),
            available_at: rfc3339(available_at),
        }
    }
}

/// What [`AdminStore::add_numbers`] did with each number it was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedNumbers {
    /// New in the pool, available at once.
    pub added: Vec<E164>,
    /// Already in the table (free, leased or in quarantine, in this pool or
    /// another): left exactly as they were, lease and `availableAt` included.
    pub present: Vec<E164>,
}

#[async_trait]
pub trait AdminStore: Send + Sync {
    async fn put_agent(&self, agent: &AgentProfile) -> Result<(), StoreError>;
    async fn get_agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, StoreError>;
    /// Adds numbers to a pool, available from `now`. A number already in the
    /// table is never overwritten (a conditional put per number): its lease
    /// and its quarantine stay as they are, and it is reported as present.
    async fn add_numbers(
        &self,
        country: Country,
        numbers: &[E164],
        now: DateTime<Utc>,
    ) -> Result<AddedNumbers, StoreError>;
    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError>;
    /// Removes a number from its pool, only once nobody can call back for a
    /// previous holder: refused while it is leased, and then while it is in
    /// quarantine (until its `availableAt`). One conditional delete: the
    /// refusal names why, from the item as the condition saw it.
    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError>;
    async fn put_tenant(&self, tenant: TenantSettings) -> Result<(), StoreError>;
    async fn get_tenant(&self) -> Result<TenantSettings, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SaveError {
    /// Someone saved in between: read again and retry.
    #[error("presence changed since it was read")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Whether the agent has a profile, and their presence, in one read.
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<lifeline_domain::presence::PresenceState>), StoreError>;
    /// Saves `state` if the stored version is still `state.version` (0: none
    /// stored yet); the stored item then has version `state.version + 1`.
    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &lifeline_domain::presence::PresenceState,
        view: lifeline_domain::presence::PresenceView,
        now: DateTime<Utc>,
    ) -> Result<(), SaveError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum LocationError {
    #[error("unknown agent `{0}`")]
    UnknownAgent(AgentId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait LocationStore: Send + Sync {
    /// Whether the agent has a profile, and the location they registered,
    /// in one read.
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<RegisteredLocation>), StoreError>;
    /// Keeps `registered` as the agent's location until `ttl`, in one write
    /// that holds only if the agent has a profile.
    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &RegisteredLocation,
        ttl: DateTime<Utc>,
    ) -> Result<(), LocationError>;
}

#[async_trait]
pub trait ReleaseStore: Send + Sync {
    /// Releases the lease a schedule fired for, only if the number still holds
    /// that lease at that version and it is past its hold; `false` otherwise
    /// (a duplicate, stale or early firing: nothing changes).
    async fn release(
        &self,
        expiry: &lifeline_domain::expiry::LeaseExpiry,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ScheduleError {
    /// Throttling, network, a missing group: the record is retried.
    #[error("scheduler unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait LeaseScheduler: Send + Sync {
    /// Creates the one-time schedule, or moves it if it exists.
    async fn upsert(
        &self,
        schedule: &lifeline_domain::expiry::ExpirySchedule,
    ) -> Result<(), ScheduleError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoveError {
    #[error("{0} is leased to {1} until {2}: it cannot be removed now")]
    Leased(String, String, String),
    /// The lease is over but a late emergency callback may still come for
    /// its previous holder: removable from `until` (its `availableAt`).
    #[error(
        "{number} is in quarantine until {}: a late emergency callback may still come for its previous holder; it can be removed from then",
        lifeline_domain::call::rfc3339(*.until)
    )]
    InQuarantine { number: E164, until: DateTime<Utc> },
    #[error("{0} is not in any pool")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RemoveError {
    /// Why a pool number with this lease and `availableAt` may not be
    /// removed at `now`; `None` when it may. Every store refuses by this
    /// rule (the DynamoDB adapter's condition expression is the same).
    pub fn refusal(
        number: &E164,
        lease: Option<&Lease>,
        available_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<RemoveError> {
        match lease {
            Some(l) if l.is_live(now) => Some(RemoveError::Leased(
                number.to_string(),
                l.agent.to_string(),
                lifeline_domain::call::rfc3339(l.hold_until),
            )),
            _ if available_at > now => Some(RemoveError::InQuarantine {
                number: number.clone(),
                until: available_at,
            }),
            _ => None,
        }
    }
}

/// What the notifier reads for a call, in one round trip.
#[derive(Debug, Clone, Default)]
pub struct NotifyContext {
    pub call: Option<EmergencyCall>,
    /// What happened to its e-mail already (`sent`, `partial`, `failed`,
    /// `no_recipients`), read even from a call record that does not decode.
    pub notification: Option<String>,
    /// The recipients settled by an earlier attempt that did not finish
    /// (a retry sends only to the others).
    pub progress: NotifyProgress,
    pub agent: Option<AgentProfile>,
    /// The stored template in force (none: the built-in default).
    pub template: Option<lifeline_domain::notification::NotificationTemplate>,
    /// Items that exist but do not decode: read as missing, reported here.
    /// Unreadable is not unavailable: retrying will not make them readable.
    pub unreadable: Vec<NotifyItem>,
    /// Items the store did not answer for this time (throttled), though it
    /// answered for the call: read as missing, reported here; a retry may
    /// get them. (A store that cannot give the call is an error instead.)
    pub unavailable: Vec<NotifyItem>,
}

/// The items the notifier reads: the call record, the agent's profile, the template in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyItem {
    Call,
    Profile,
    Template,
}

impl NotifyItem {
    /// The `Kind` of the `CorruptItem` metric (as [`ItemKind::as_str`]).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyItem::Call => "call",
            NotifyItem::Profile => "profile",
            NotifyItem::Template => "template",
        }
    }
}

/// An error as the notifier may keep it: the provider's error code only
/// (`MessageRejected`, `TooManyRequestsException`, `Transport`, ...), never
/// its message, which can quote recipient addresses. Anything that does not
/// look like a code (letters, digits, `.`, `_`, `-`; at most 64) becomes
/// `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(String);

impl ErrorCode {
    pub fn new(code: &str) -> Self {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        ErrorCode(if ok { code } else { "Unknown" }.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What became of one recipient's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Refused for good: not sent again.
    Refused(ErrorCode),
}

/// Per-call progress of the e-mail: the recipients settled so far, by
/// [`recipient_tag`](lifeline_domain::notification::recipient_tag) (no
/// addresses). Stored only while some recipient is still pending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyProgress(pub std::collections::BTreeMap<String, Delivery>);

impl NotifyProgress {
    pub fn get(&self, tag: &str) -> Option<&Delivery> {
        self.0.get(tag)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn any_sent(&self) -> bool {
        self.0.values().any(|d| *d == Delivery::Sent)
    }
}

/// How a call's e-mail ended, one message per recipient: counts and error
/// codes, never addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub recipients: usize,
    pub sent: usize,
    /// Recipients refused for good, by error code.
    pub refused: std::collections::BTreeMap<ErrorCode, usize>,
}

impl Tally {
    pub fn refused_count(&self) -> usize {
        self.refused.values().sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// Every recipient settled: sent, or refused for good (not retried).
    Settled(Tally),
    NoRecipients,
    /// Nothing could be sent, for a reason of Lifeline's own (a fixed text:
    /// never a provider's message).
    Failed {
        reason: &'static str,
    },
}

impl NotificationOutcome {
    /// The `notification` attribute: `sent` (to every recipient), `partial`
    /// (some refused), `failed` (none sent), `no_recipients`.
    pub fn state(&self) -> &'static str {
        match self {
            NotificationOutcome::Settled(t) if t.sent == t.recipients => "sent",
            NotificationOutcome::Settled(t) if t.sent > 0 => "partial",
            NotificationOutcome::Settled(_) => "failed",
            NotificationOutcome::NoRecipients => "no_recipients",
            NotificationOutcome::Failed { .. } => "failed",
        }
    }

    /// The `notificationDetail` attribute: `sent 3 of 3`,
    /// `sent 2 of 3; refused 1 (MessageRejected)`; no address, no message.
    pub fn detail(&self) -> String {
        match self {
            NotificationOutcome::Settled(t) => {
                let mut d = format!("sent {} of {}", t.sent, t.recipients);
                if !t.refused.is_empty() {
                    let codes: Vec<String> = t
                        .refused
                        .iter()
                        .map(|(code, n)| format!("{n} {code}"))
                        .collect();
                    d.push_str(&format!(
                        "; refused {} ({})",
                        t.refused_count(),
                        codes.join(", ")
                    ));
                }
                d
            }
            NotificationOutcome::NoRecipients => String::new(),
            NotificationOutcome::Failed { reason } => (*reason).to_string(),
        }
    }
}

#[async_trait]
pub trait NotifyStore: Send + Sync {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError>;
    /// Records the e-mail's outcome on the call record (and drops its progress).
    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records which recipients are settled while others are still pending,
    /// so that a retry sends only to those (unless the outcome is recorded).
    async fn record_progress(
        &self,
        call: &CallId,
        progress: &NotifyProgress,
    ) -> Result<(), StoreError>;
}

/// Why a message was not sent, as an error code only (see [`ErrorCode`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Throttling, network, a 5xx: retry.
    #[error("transient: {0}")]
    Transient(ErrorCode),
    /// Rejected, unverified sender, bad request: retrying will not help.
    #[error("permanent: {0}")]
    Permanent(ErrorCode),
}

#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends one message to exactly one address (nobody sees another
    /// recipient's address); its message id.
    async fn send(
        &self,
        from: &lifeline_domain::types::Email,
        to: &lifeline_domain::types::Email,
        email: &lifeline_domain::notification::RenderedEmail,
    ) -> Result<String, SendError>;
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TemplateSaveError {
    #[error("another version was saved meanwhile; show it and push again")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait TemplateStore: Send + Sync {
    async fn current_template(
        &self,
    ) -> Result<Option<lifeline_domain::notification::NotificationTemplate>, StoreError>;
    /// Saves `template` as the version after `template.version - 1`; it
    /// becomes the one in force.
    async fn push_template(
        &self,
        template: &lifeline_domain::notification::NotificationTemplate,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError>;
}

/// A durable place for an emergency call's facts outside the table (an SQS
/// queue): when the table cannot take the call's record in time, a consumer
/// writes it once the table answers again, so presence and e-mail follow.
#[async_trait]
pub trait CallOutbox: Send + Sync {
    /// Keeps `call` (as answered: the caller ID presented) until it is recorded.
    async fn send(&self, call: &EmergencyCall, ttl: DateTime<Utc>) -> Result<(), StoreError>;
}

/// What the outbox consumer needs from the table.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// The call's record, only if there is none yet (as the dial writes a
    /// degraded one).
    async fn record_call(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
    ) -> Result<(), RecordError>;
    /// Makes `recorded` say what the dial presented (`presented`'s caller
    /// ID, degraded, its reason), without the lease: a lease write that
    /// committed after the dial gave up on it must not be announced. Only
    /// while the record still shows `recorded`'s caller ID; whether it did.
    async fn settle_presented(
        &self,
        recorded: &EmergencyCall,
        presented: &EmergencyCall,
    ) -> Result<bool, StoreError>;
}

/// One domain event as the bus takes it: its detail-type and its detail (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEntry {
    pub detail_type: String,
    pub detail: String,
}

/// Why a publication stopped: the entries before `first_failed` are on the
/// bus; that one and the ones after may not be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {first_failed} not published: {reason}")]
pub struct PublishError {
    pub first_failed: usize,
    pub reason: String,
}

/// Lifeline's event bus.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `entries` in order (in as few requests as the bus allows).
    async fn publish(&self, entries: &[BusEntry]) -> Result<(), PublishError>;
}

/// Where a delivery that cannot succeed is kept, with its payload, for an
/// admin to read and replay (`lifeline dlq`).
#[async_trait]
pub trait FailureKeeper: Send + Sync {
    /// Keeps `message` (a failure record, JSON).
    async fn keep(&self, message: String) -> Result<(), StoreError>;
}

/// What the platform presence sync reads, in one request: the agent's
/// profile, whether Lifeline's override is in force now, and what was
/// remembered on the platform's behalf.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformContext {
    pub profile: Option<AgentProfile>,
    pub override_active: bool,
    pub remembered: Option<lifeline_domain::platform::RememberedStatus>,
}

#[async_trait]
pub trait PlatformStateStore: Send + Sync {
    async fn platform_context(&self, agent: &AgentId) -> Result<PlatformContext, StoreError>;
    async fn remember_status(
        &self,
        agent: &AgentId,
        remembered: &lifeline_domain::platform::RememberedStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn forget_status(&self, agent: &AgentId) -> Result<(), StoreError>;
}

/// Why a platform call did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Throttled, unreachable, a server error: retried.
    #[error("platform unavailable: {0}")]
    Unavailable(String),
    /// Refused (unknown user, status, permissions): retried too (an admin
    /// may fix it), and then kept with its event.
    #[error("platform refused: {0}")]
    Refused(String),
}

/// The voice platform's agent status (Amazon Connect, Twilio TaskRouter).
#[async_trait]
pub trait PlatformPresence: Send + Sync {
    /// For logs and metrics: `connect`, `twilio`.
    fn platform(&self) -> &'static str;
    /// The agent's user on this platform, from the profile.
    fn user_of<'a>(&self, profile: &'a AgentProfile) -> Option<&'a str>;
    /// The status an emergency call puts on (unavailable for routing).
    fn emergency_status(&self) -> &str;
    async fn current(
        &self,
        user: &str,
    ) -> Result<lifeline_domain::platform::PlatformStatus, PlatformError>;
    async fn set(&self, user: &str, status_id: &str) -> Result<(), PlatformError>;
}
