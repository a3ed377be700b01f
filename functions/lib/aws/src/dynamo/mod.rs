//! The DynamoDB adapter: one table, items keyed `pk`/`sk`, a sparse-free GSI
//! (`available`) that lists each country's numbers by the time they may next be
//! leased. Every port is a single request (plus retries the SDK makes).
//!
//! | item            | pk                | sk        | notes                                  |
//! |-----------------|-------------------|-----------|----------------------------------------|
//! | agent profile   | `AGENT#<id>`      | `PROFILE` | name, e-mail, country, source number…  |
//! | agent lease     | `AGENT#<id>`      | `LEASE`   | copy of the agent's current lease      |
//! | pool number     | `NUMBER#<e164>`   | `NUMBER`  | `poolCountry`+`availableAt` (GSI keys) |
//! | agent presence  | `AGENT#<id>`      | `PRESENCE`| reported status, override calls        |
//! | emergency call  | `CALL#<id>`       | `CALL`    | the record and the answer given; TTL   |
//! | acknowledgement | `INCIDENT#<id>`   | `ALERTED#<r>`, `ACK#<r>#<at>`, `ACKED` | who was alerted, who acknowledged; TTL |
//! | incident        | `INCIDENT#<id>`   | `HEAD`, `T#<at>#<kind>#<d>` | head (`incidentState`+`openedAt`: the `incidents` GSI keys), timeline; TTL |
//! | kept end        | `ENDKEPT#<id>`    | `AGENT#<id>` | an end that came before its call; TTL |
//! | tenant settings | `TENANT`          | `SETTINGS`| route prerequisites                    |
//! | escalation      | `TENANT`          | `ESCALATION` | tiers, delays, drill recipients     |
//! | message templates, per locale | `TEMPLATE#<name>` (en), `TEMPLATE#<name>#<locale>` | `CURRENT`, `VERSION#<n>` | subject, html, text (the alert e-mail), parts (the others edited, by name), version |

mod ack;
mod admin;
mod callback;
mod codec;
mod dial;
mod end;
mod escalation;
mod escalation_steps;
mod incident;
mod kept_end;
mod keys;
mod lease;
mod location;
mod notify;
pub mod outbox;
mod platform;
mod presence;
pub mod schema;
mod store;
pub mod stream;
mod write;

pub use admin::TableState;
pub use keys::{AVAILABLE_INDEX, INCIDENTS_INDEX, TTL_ATTRIBUTE};
pub use store::DynamoStore;

/// SDK error types, for callers that report them.
pub mod sdk_error {
    pub use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
}
