//! Ports: what the services need from storage and from the services around
//! them, as small traits, one file per family. The DynamoDB adapter (and the
//! AWS clients) implement them; handler tests use the in-memory fakes.
//! Everything is re-exported here: `crate::ports::X` is the path to use.

mod ack;
mod admin;
mod alert;
mod call;
mod console;
mod dial;
mod error;
mod escalation;
mod events;
mod incident;
mod lease;
mod location;
mod mail;
mod notify;
mod outbox;
mod platform;
mod presence;
mod template;

pub use ack::{AckContext, AckLinks, AckStore};
pub use admin::{AddedNumbers, AdminStore, PoolNumber, RemoveError};
pub use alert::{ChatSender, SmsSender};
pub use call::{CallbackStore, EndError, EndStore, KeptEnds};
pub use console::{ConsoleSignIn, SignInError, SignedIn};
pub use dial::{
    CallRecords, DialContext, DialStore, ItemKind, LeaseWrite, PoolCursor, PoolPage, RecordError,
};
pub use error::StoreError;
pub use escalation::{EscalationSteps, EscalationStore, StepBegun};
pub use events::{BusEntry, EventPublisher, FailureKeeper, PublishError};
pub use incident::{
    AckRecordError, AckRecorded, HeadError, IncidentFilter, IncidentRecord, IncidentStore,
};
pub use lease::{LeaseScheduler, ReleaseStore, ScheduleError};
pub use location::{LocationError, LocationStore};
pub use mail::{EmailSender, ErrorCode, SendError};
pub use notify::{
    Delivery, NotificationOutcome, NotifyContext, NotifyItem, NotifyProgress, NotifyStore, Tally,
};
pub use outbox::{CallOutbox, OutboxStore, SettleError};
pub use platform::{PlatformContext, PlatformError, PlatformPresence, PlatformStateStore};
pub use presence::{PresenceAndCall, PresenceStore, SaveError};
pub use template::{TemplateSaveError, TemplateStore};
