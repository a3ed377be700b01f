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
//! | tenant settings | `TENANT`          | `SETTINGS`| route prerequisites                    |
//! | e-mail template | `TEMPLATE#<name>` | `CURRENT`, `VERSION#<n>` | subject, html, text, version |

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableStatus, TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration as StdDuration;

use crate::domain::call::{rfc3339, AgentProfile, EmergencyCall, Location};
use crate::domain::expiry::LeaseExpiry;
use crate::domain::lease::Lease;
use crate::domain::numbers::Country;
use crate::domain::presence::{PresenceState, PresenceView};
use crate::domain::route::TenantSettings;
use crate::domain::types::{AgentId, CallId, Recipients, E164};
use crate::notify::NotificationTemplate;
use crate::ports::{
    AdminStore, CallbackStore, DialContext, DialStore, EndError, EndStore, LeaseWrite,
    NotificationOutcome, NotifyContext, NotifyStore, PoolNumber, PresenceStore, RecordError,
    ReleaseStore, RemoveError, SaveError, StoreError, TemplateSaveError, TemplateStore,
};

/// SDK error types, for callers that report them.
pub mod sdk_error {
    pub use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
}

pub const AVAILABLE_INDEX: &str = "available";
pub const TTL_ATTRIBUTE: &str = "ttl";

type Item = HashMap<String, AttributeValue>;

/// How patient a client is: the dial path answers within its budget, the
/// admin CLI can wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProfile {
    CriticalPath,
    Admin,
}

/// Loads the shared AWS configuration (region, credentials, and endpoints from
/// `AWS_ENDPOINT_URL*` only) with timeouts and retries fit for `profile`.
pub async fn load_aws_config(profile: ClientProfile) -> aws_config::SdkConfig {
    aws_config_loader(profile).load().await
}

/// The loader behind [`load_aws_config`], for callers that add settings.
pub fn aws_config_loader(profile: ClientProfile) -> aws_config::ConfigLoader {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    let (timeouts, retries) = match profile {
        ClientProfile::CriticalPath => (
            TimeoutConfig::builder()
                .connect_timeout(StdDuration::from_millis(300))
                .operation_attempt_timeout(StdDuration::from_millis(900))
                .operation_timeout(StdDuration::from_millis(2000))
                .build(),
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(StdDuration::from_millis(20)),
        ),
        ClientProfile::Admin => (
            TimeoutConfig::builder()
                .connect_timeout(StdDuration::from_secs(3))
                .operation_timeout(StdDuration::from_secs(30))
                .build(),
            RetryConfig::standard().with_max_attempts(4),
        ),
    };
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(retries)
}

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}
fn call_key(id: &CallId) -> Item {
    key(format!("CALL#{id}"), "CALL")
}
fn profile_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "PROFILE")
}
fn pointer_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "LEASE")
}
fn number_key(number: &E164) -> Item {
    key(format!("NUMBER#{number}"), "NUMBER")
}
fn presence_key(id: &AgentId) -> Item {
    key(format!("AGENT#{id}"), "PRESENCE")
}
fn template_key(sk: &str) -> Item {
    key(format!("TEMPLATE#{}", crate::notify::TEMPLATE_NAME), sk)
}
fn tenant_key() -> Item {
    key("TENANT".into(), "SETTINGS")
}

/// Reads attributes out of an item, naming the item in every error.
struct Reader<'a> {
    item: &'a Item,
    key: String,
}

impl<'a> Reader<'a> {
    fn new(item: &'a Item) -> Self {
        let key = match (item.get("pk"), item.get("sk")) {
            (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => format!("{p}/{s}"),
            _ => "<no key>".into(),
        };
        Reader { item, key }
    }
    fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            key: self.key.clone(),
            detail: detail.into(),
        }
    }
    fn opt_str(&self, name: &str) -> Option<&'a str> {
        match self.item.get(name) {
            Some(AttributeValue::S(v)) => Some(v.as_str()),
            _ => None,
        }
    }
    fn str(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_str(name)
            .ok_or_else(|| self.corrupt(format!("missing string `{name}`")))
    }
    fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.str(name)?
            .parse::<T>()
            .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
    }
    fn opt_parse<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_str(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
            })
            .transpose()
    }
    fn opt_num(&self, name: &str) -> Result<Option<f64>, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(format!("`{name}` not a number"))),
            _ => Ok(None),
        }
    }
    fn int(&self, name: &str) -> Result<i64, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map_err(|_| self.corrupt(format!("`{name}` not an integer"))),
            _ => Err(self.corrupt(format!("missing number `{name}`"))),
        }
    }
    fn epoch(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        let secs = self.int(name)?;
        DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| self.corrupt(format!("`{name}` out of range")))
    }
    fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_str(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
            })
            .transpose()
    }
    fn bool(&self, name: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::Bool(true)))
    }
    fn strings(&self, name: &str) -> Vec<String> {
        match self.item.get(name) {
            Some(AttributeValue::L(l)) => l
                .iter()
                .filter_map(|v| match v {
                    AttributeValue::S(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(AttributeValue::Ss(l)) => l.clone(),
            _ => Vec::new(),
        }
    }
}

fn epoch(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp())
}

fn strings(v: &[String]) -> AttributeValue {
    AttributeValue::L(v.iter().map(|x| s(x.clone())).collect())
}

// ---- encoding ----------------------------------------------------------------

fn encode_call(call: &EmergencyCall, ttl: DateTime<Utc>) -> Item {
    let mut item = call_key(&call.call_id);
    item.insert("type".into(), s("call"));
    item.insert("callId".into(), s(call.call_id.as_str()));
    item.insert("agentId".into(), s(call.agent_id.as_str()));
    item.insert("dialed".into(), s(&call.dialed));
    item.insert("emergencyNumber".into(), s(&call.emergency_number));
    item.insert("test".into(), AttributeValue::Bool(call.test));
    if let Some(c) = call.country {
        item.insert("country".into(), s(c.code()));
    }
    if let Some(l) = &call.location {
        let mut m = HashMap::new();
        if let Some(v) = &l.country {
            m.insert("country".to_string(), s(v));
        }
        if let Some(v) = &l.address {
            m.insert("address".to_string(), s(v));
        }
        if let Some(v) = l.lat {
            m.insert("lat".to_string(), AttributeValue::N(v.to_string()));
        }
        if let Some(v) = l.lon {
            m.insert("lon".to_string(), AttributeValue::N(v.to_string()));
        }
        item.insert("location".into(), AttributeValue::M(m));
    }
    item.insert("callerId".into(), s(call.caller_id.as_str()));
    if let Some(v) = &call.leased_number {
        item.insert("leasedNumber".into(), s(v.as_str()));
    }
    if let Some(v) = &call.lease_id {
        item.insert("leaseId".into(), s(v.as_str()));
    }
    if let Some(v) = call.callback_expires_at {
        item.insert("callbackExpiresAt".into(), s(rfc3339(v)));
    }
    item.insert("route".into(), s(call.route.as_str()));
    item.insert("degraded".into(), AttributeValue::Bool(call.degraded));
    if let Some(v) = &call.reason {
        item.insert("reason".into(), s(v));
    }
    item.insert("dialedAt".into(), s(rfc3339(call.dialed_at)));
    if let Some(v) = call.ended_at {
        item.insert("endedAt".into(), s(rfc3339(v)));
    }
    item.insert(TTL_ATTRIBUTE.into(), epoch(ttl));
    item
}

fn decode_call(item: &Item) -> Result<EmergencyCall, StoreError> {
    let r = Reader::new(item);
    let location = match item.get("location") {
        Some(AttributeValue::M(m)) => {
            let lr = Reader {
                item: m,
                key: r.key.clone(),
            };
            Some(Location {
                country: lr.opt_str("country").map(String::from),
                address: lr.opt_str("address").map(String::from),
                lat: lr.opt_num("lat")?,
                lon: lr.opt_num("lon")?,
            })
        }
        _ => None,
    };
    Ok(EmergencyCall {
        call_id: r.parse("callId")?,
        agent_id: r.parse("agentId")?,
        dialed: r.str("dialed")?.to_string(),
        emergency_number: r.str("emergencyNumber")?.to_string(),
        test: r.bool("test"),
        country: r.opt_parse("country")?,
        location,
        caller_id: r.parse("callerId")?,
        leased_number: r.opt_parse("leasedNumber")?,
        lease_id: r.opt_parse("leaseId")?,
        callback_expires_at: r.time("callbackExpiresAt")?,
        route: r.parse("route")?,
        degraded: r.bool("degraded"),
        reason: r.opt_str("reason").map(String::from),
        dialed_at: r
            .time("dialedAt")?
            .ok_or_else(|| r.corrupt("missing `dialedAt`"))?,
        ended_at: r.time("endedAt")?,
    })
}

fn encode_lease_attrs(item: &mut Item, lease: &Lease) {
    item.insert("number".into(), s(lease.number.as_str()));
    item.insert("country".into(), s(lease.country.code()));
    item.insert("agentId".into(), s(lease.agent.as_str()));
    item.insert("leaseId".into(), s(lease.lease_id.as_str()));
    item.insert("leasedAt".into(), epoch(lease.leased_at));
    item.insert("lastDialAt".into(), epoch(lease.last_dial_at));
    item.insert("expiresAt".into(), epoch(lease.expires_at));
    item.insert("holdUntil".into(), epoch(lease.hold_until));
    if !lease.active_calls.is_empty() {
        item.insert(
            "activeCalls".into(),
            AttributeValue::Ss(lease.active_calls.iter().map(|c| c.to_string()).collect()),
        );
    }
    item.insert("fallback".into(), strings(&lease.fallback));
    item.insert("version".into(), n(lease.version as i64));
    if let Some(t) = lease.released_at {
        item.insert("releasedAt".into(), epoch(t));
    }
}

/// A lease out of a number or pointer item; `None` for a number never leased.
fn decode_lease(item: &Item) -> Result<Option<Lease>, StoreError> {
    let r = Reader::new(item);
    if r.opt_str("agentId").is_none() {
        return Ok(None);
    }
    let active_calls = r
        .strings("activeCalls")
        .into_iter()
        .map(|c| {
            c.parse::<CallId>()
                .map_err(|e| r.corrupt(format!("activeCalls: {e}")))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(Some(Lease {
        number: r.parse("number")?,
        country: r.parse("country")?,
        agent: r.parse("agentId")?,
        lease_id: r.parse("leaseId")?,
        leased_at: r.epoch("leasedAt")?,
        last_dial_at: r.epoch("lastDialAt")?,
        expires_at: r.epoch("expiresAt")?,
        hold_until: r.epoch("holdUntil")?,
        active_calls,
        fallback: r.strings("fallback"),
        version: r.int("version")?.max(0) as u64,
        released_at: match item.get("releasedAt") {
            Some(_) => Some(r.epoch("releasedAt")?),
            None => None,
        },
    }))
}

/// A number item carrying `lease`, as a stream image (for tests and samples).
pub fn number_image(lease: &Lease, available_at: DateTime<Utc>) -> serde_dynamo::Item {
    encode_number(lease, available_at).into()
}

/// The lease on a number item as a stream image carries it.
pub fn lease_from_image(image: serde_dynamo::Item) -> Result<Option<Lease>, StoreError> {
    let item: Item = image.into();
    decode_lease(&item)
}

fn encode_number(lease: &Lease, available_at: DateTime<Utc>) -> Item {
    let mut item = number_key(&lease.number);
    item.insert("type".into(), s("number"));
    item.insert("poolCountry".into(), s(lease.country.code()));
    item.insert("availableAt".into(), epoch(available_at));
    encode_lease_attrs(&mut item, lease);
    item
}

fn encode_pointer(lease: &Lease, available_at: DateTime<Utc>) -> Item {
    let mut item = pointer_key(&lease.agent);
    item.insert("type".into(), s("agentLease"));
    item.insert("availableAt".into(), epoch(available_at));
    encode_lease_attrs(&mut item, lease);
    // Kept a week past availability: a returning agent gets their number back.
    item.insert(
        TTL_ATTRIBUTE.into(),
        epoch(available_at + chrono::Duration::days(7)),
    );
    item
}

fn encode_agent(a: &AgentProfile) -> Item {
    let mut item = profile_key(&a.id);
    item.insert("type".into(), s("agent"));
    item.insert("agentId".into(), s(a.id.as_str()));
    item.insert("name".into(), s(&a.name));
    if let Some(e) = &a.email {
        item.insert("email".into(), s(e.as_str()));
    }
    if let Some(c) = a
        .country
        .map(|c| c.code().to_string())
        .or_else(|| a.other_country.clone())
    {
        item.insert("country".into(), s(c));
    }
    if let Some(p) = &a.outbound_profile {
        item.insert("outboundProfile".into(), s(p));
    }
    item.insert("sourceNumber".into(), s(a.source_number.as_str()));
    item.insert("numberType".into(), s(a.number_type.as_str()));
    item.insert("recipients".into(), s(a.recipients.joined()));
    item.insert("fallback".into(), strings(&a.fallback));
    item
}

fn decode_agent(item: &Item) -> Result<AgentProfile, StoreError> {
    let r = Reader::new(item);
    Ok(AgentProfile {
        id: r.parse("agentId")?,
        name: r.str("name")?.to_string(),
        email: r.opt_parse("email")?,
        country: r.opt_str("country").and_then(|c| c.parse().ok()),
        other_country: r
            .opt_str("country")
            .filter(|c| c.parse::<Country>().is_err())
            .map(String::from),
        outbound_profile: r.opt_str("outboundProfile").map(String::from),
        source_number: r.parse("sourceNumber")?,
        number_type: r.parse("numberType")?,
        recipients: Recipients::parse(r.opt_str("recipients").unwrap_or(""))
            .map_err(|e| r.corrupt(format!("recipients: {e}")))?,
        fallback: r.strings("fallback"),
    })
}

fn decode_tenant(item: &Item) -> TenantSettings {
    let r = Reader::new(item);
    TenantSettings {
        direct_routing_emergency_rule: r.bool("directRoutingEmergencyRule"),
        has_calling_plan_numbers: r.bool("hasCallingPlanNumbers"),
    }
}

fn times(m: &BTreeMap<CallId, DateTime<Utc>>) -> AttributeValue {
    AttributeValue::M(m.iter().map(|(c, t)| (c.to_string(), epoch(*t))).collect())
}

fn encode_presence(
    agent: &AgentId,
    s: &PresenceState,
    view: PresenceView,
    now: DateTime<Utc>,
) -> Item {
    let st = s;
    let s = |v: &str| AttributeValue::S(v.to_string());
    let mut item = presence_key(agent);
    item.insert("type".into(), s("presence"));
    item.insert("agentId".into(), s(agent.as_str()));
    item.insert("reported".into(), s(st.reported.as_str()));
    // What readers were shown at this write: for people and stream consumers.
    item.insert("status".into(), s(view.status.as_str()));
    item.insert(
        "override".into(),
        AttributeValue::Bool(view.override_active),
    );
    // Empty maps are left out: the Rust Streams SDK cannot parse an empty
    // `M` in DynamoDB Local's GetRecords answers.
    if !st.active.is_empty() {
        item.insert("activeCalls".into(), times(&st.active));
    }
    if !st.ended.is_empty() {
        item.insert("endedCalls".into(), times(&st.ended));
    }
    item.insert("updatedAt".into(), s(&rfc3339(now)));
    item.insert("version".into(), n(st.version as i64 + 1));
    item
}

fn decode_presence(item: &Item) -> Result<PresenceState, StoreError> {
    let r = Reader::new(item);
    let calls = |name: &str| -> Result<BTreeMap<CallId, DateTime<Utc>>, StoreError> {
        match item.get(name) {
            Some(AttributeValue::M(m)) => m
                .iter()
                .map(|(c, v)| {
                    let call = c
                        .parse::<CallId>()
                        .map_err(|e| r.corrupt(format!("{name}: {e}")))?;
                    let secs = match v {
                        AttributeValue::N(n) => n.parse::<i64>().ok(),
                        _ => None,
                    };
                    let at = secs
                        .and_then(|s| DateTime::from_timestamp(s, 0))
                        .ok_or_else(|| r.corrupt(format!("{name}: bad time")))?;
                    Ok((call, at))
                })
                .collect(),
            _ => Ok(BTreeMap::new()),
        }
    };
    Ok(PresenceState {
        reported: r.parse("reported")?,
        active: calls("activeCalls")?,
        ended: calls("endedCalls")?,
        version: r.int("version")?.max(0) as u64,
    })
}

fn encode_template(t: &NotificationTemplate, sk: &str, now: DateTime<Utc>) -> Item {
    let mut item = template_key(sk);
    item.insert("type".into(), s("template"));
    item.insert("subject".into(), s(&t.subject));
    item.insert("html".into(), s(&t.html));
    item.insert("text".into(), s(&t.text));
    item.insert("version".into(), n(t.version as i64));
    item.insert("savedAt".into(), s(rfc3339(now)));
    item
}

fn decode_template(item: &Item) -> Result<NotificationTemplate, StoreError> {
    let r = Reader::new(item);
    Ok(NotificationTemplate {
        subject: r.str("subject")?.to_string(),
        html: r.str("html")?.to_string(),
        text: r.str("text")?.to_string(),
        version: r.int("version")?.max(0) as u64,
    })
}

fn item_kind(item: &Item) -> Option<(&str, &str)> {
    match (item.get("pk"), item.get("sk")) {
        (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => Some((p.as_str(), s.as_str())),
        _ => None,
    }
}

// ---- conditional writes --------------------------------------------------------

fn values(pairs: Vec<(&str, AttributeValue)>) -> Option<HashMap<String, AttributeValue>> {
    Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn put(
    table: &str,
    item: Item,
    condition: &str,
    vals: Option<HashMap<String, AttributeValue>>,
) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(vals)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(|e| StoreError::Unavailable(format!("building a put: {e}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The two lease items (number, agent pointer), each guarded so that no two
/// writers can both win.
fn lease_puts(table: &str, write: &LeaseWrite) -> Result<[TransactWriteItem; 2], StoreError> {
    match write {
        LeaseWrite::Claim {
            lease,
            available_at,
            now,
            pointer_version,
        } => {
            let number = put(
                table,
                encode_number(lease, *available_at),
                // In this pool, and available now — or this agent's own number, past its hold.
                "attribute_exists(pk) AND poolCountry = :country AND \
                 (availableAt <= :now OR (agentId = :agent AND holdUntil <= :now))",
                values(vec![
                    (":country", s(lease.country.code())),
                    (":now", epoch(*now)),
                    (":agent", s(lease.agent.as_str())),
                ]),
            )?;
            let pointer = match pointer_version {
                None => put(
                    table,
                    encode_pointer(lease, *available_at),
                    "attribute_not_exists(pk)",
                    None,
                )?,
                Some(v) => put(
                    table,
                    encode_pointer(lease, *available_at),
                    "version = :v",
                    values(vec![(":v", n(*v as i64))]),
                )?,
            };
            Ok([number, pointer])
        }
        LeaseWrite::Update {
            lease,
            available_at,
            expected_version,
        } => {
            let cond = "agentId = :agent AND leaseId = :lid AND version = :v";
            let vals = || {
                values(vec![
                    (":agent", s(lease.agent.as_str())),
                    (":lid", s(lease.lease_id.as_str())),
                    (":v", n(*expected_version as i64)),
                ])
            };
            Ok([
                put(table, encode_number(lease, *available_at), cond, vals())?,
                put(table, encode_pointer(lease, *available_at), cond, vals())?,
            ])
        }
    }
}

/// Which items of a cancelled transaction failed their condition.
fn cancellation(
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
) -> (Vec<usize>, bool, Option<Item>) {
    let mut failed = Vec::new();
    let mut conflict = false;
    let mut first_item = None;
    for (i, r) in reasons.iter().enumerate() {
        match r.code() {
            Some("ConditionalCheckFailed") => {
                if i == 0 {
                    first_item = r.item().cloned();
                }
                failed.push(i);
            }
            Some("TransactionConflict") => conflict = true,
            _ => {}
        }
    }
    (failed, conflict, first_item)
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoStore::new(Client::new(conf), table)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building a read: {e}")))?;
        let mut out = Vec::new();
        // Unprocessed keys are rare (throughput limits): retry them a few times.
        for _ in 0..3 {
            let resp = self
                .client
                .batch_get_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(unavailable)?;
            if let Some(mut r) = resp.responses {
                out.extend(r.remove(&self.table).unwrap_or_default());
            }
            match resp
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
            {
                Some(rest) if !rest.keys().is_empty() => pending = rest,
                _ => return Ok(out),
            }
        }
        Err(StoreError::Unavailable(
            "read throttled: keys left unprocessed".into(),
        ))
    }

    /// The table's existence and stream view type (readiness).
    pub async fn table_state(&self) -> Result<crate::doctor::TableState, StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(d) => {
                let stream = d
                    .table()
                    .and_then(|t| t.stream_specification())
                    .filter(|s| s.stream_enabled())
                    .and_then(|s| s.stream_view_type())
                    .map(|v| v.as_str().to_string());
                Ok(crate::doctor::TableState {
                    exists: true,
                    stream,
                })
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_resource_not_found_exception()) =>
            {
                Ok(crate::doctor::TableState {
                    exists: false,
                    stream: None,
                })
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every agent profile. A filtered scan: an admin's occasional read, not a
    /// request path (paginated; profiles only are decoded).
    pub async fn list_agents(&self) -> Result<Vec<AgentProfile>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("#t = :agent")
                .expression_attribute_names("#t", "type")
                .expression_attribute_values(":agent", s("agent"))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                out.push(decode_agent(item)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Creates the table (as `template.yaml` does) if missing; `true` if created.
    pub async fn create_table(&self) -> Result<bool, StoreError> {
        let attr = |name: &str, t: ScalarAttributeType| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(t)
                .build()
        };
        let ks = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
        };
        let build_err =
            |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S).map_err(build_err)?)
            .attribute_definitions(attr("sk", ScalarAttributeType::S).map_err(build_err)?)
            .attribute_definitions(attr("poolCountry", ScalarAttributeType::S).map_err(build_err)?)
            .attribute_definitions(attr("availableAt", ScalarAttributeType::N).map_err(build_err)?)
            .key_schema(ks("pk", KeyType::Hash).map_err(build_err)?)
            .key_schema(ks("sk", KeyType::Range).map_err(build_err)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(AVAILABLE_INDEX)
                    .key_schema(ks("poolCountry", KeyType::Hash).map_err(build_err)?)
                    .key_schema(ks("availableAt", KeyType::Range).map_err(build_err)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::KeysOnly)
                            .build(),
                    )
                    .build()
                    .map_err(build_err)?,
            )
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .map_err(build_err)?,
            )
            .send()
            .await;
        let created = match created {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                false
            }
            Err(e) => return Err(unavailable(e)),
        };
        for _ in 0..120 {
            let d = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(unavailable)?;
            if d.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(250)).await;
        }
        if created {
            self.client
                .update_time_to_live()
                .table_name(&self.table)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(TTL_ATTRIBUTE)
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(unavailable)?;
        }
        Ok(created)
    }
}

#[async_trait]
impl DialStore for DynamoStore {
    async fn dial_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<DialContext, StoreError> {
        let items = self
            .batch_get(vec![
                call_key(call),
                profile_key(agent),
                pointer_key(agent),
                tenant_key(),
            ])
            .await?;
        let mut ctx = DialContext::default();
        for item in &items {
            match item_kind(item) {
                Some((p, "CALL")) if p.starts_with("CALL#") => ctx.call = Some(decode_call(item)?),
                Some((_, "PROFILE")) => ctx.agent = Some(decode_agent(item)?),
                Some((_, "LEASE")) => ctx.lease = decode_lease(item)?,
                Some(("TENANT", "SETTINGS")) => ctx.tenant = decode_tenant(item),
                _ => {}
            }
        }
        Ok(ctx)
    }

    async fn available_numbers(
        &self,
        country: Country,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<E164>, StoreError> {
        let resp = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(AVAILABLE_INDEX)
            .key_condition_expression("poolCountry = :c AND availableAt <= :now")
            .expression_attribute_values(":c", s(country.code()))
            .expression_attribute_values(":now", epoch(now))
            .limit(limit as i32)
            .send()
            .await
            .map_err(unavailable)?;
        resp.items()
            .iter()
            .filter_map(|i| match i.get("pk") {
                Some(AttributeValue::S(pk)) => pk.strip_prefix("NUMBER#").map(str::to_string),
                _ => None,
            })
            .map(|num| {
                num.parse::<E164>().map_err(|e| StoreError::Corrupt {
                    key: num.clone(),
                    detail: e.0,
                })
            })
            .collect()
    }

    async fn record_emergency(
        &self,
        call: &EmergencyCall,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), RecordError> {
        let call_put = put(
            &self.table,
            encode_call(call, ttl),
            "attribute_not_exists(pk)",
            None,
        )?;
        let mut items = vec![call_put];
        if let Some(w) = lease {
            items.extend(lease_puts(&self.table, w)?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tce)) =
            err.as_service_error()
        {
            let (failed, conflict, first) = cancellation(tce.cancellation_reasons());
            if failed.contains(&0) {
                let existing = first.as_ref().map(decode_call).transpose().ok().flatten().map(Box::new);
                return Err(RecordError::CallExists(existing));
            }
            if failed.contains(&1) && matches!(lease, Some(LeaseWrite::Claim { .. })) {
                return Err(RecordError::NumberTaken);
            }
            if !failed.is_empty() {
                return Err(RecordError::LeaseChanged);
            }
            if conflict {
                return Err(RecordError::Conflict);
            }
        }
        Err(RecordError::Store(unavailable(err)))
    }
}

#[async_trait]
impl EndStore for DynamoStore {
    async fn end_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<(Option<EmergencyCall>, Option<Lease>), StoreError> {
        let items = self
            .batch_get(vec![call_key(call), pointer_key(agent)])
            .await?;
        let mut out = (None, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "CALL")) => out.0 = Some(decode_call(item)?),
                Some((_, "LEASE")) => out.1 = decode_lease(item)?,
                _ => {}
            }
        }
        Ok(out)
    }

    async fn record_end(
        &self,
        call: &CallId,
        ended_at: DateTime<Utc>,
        ttl: DateTime<Utc>,
        lease: Option<&LeaseWrite>,
    ) -> Result<(), EndError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression("SET endedAt = :e, #ttl = :ttl")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(endedAt)")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":e", s(rfc3339(ended_at)))
            .expression_attribute_values(":ttl", epoch(ttl))
            .build()
            .map_err(|e| StoreError::Unavailable(format!("building an update: {e}")))?;
        let Some(w) = lease else {
            // No lease to move: one plain conditional update.
            let r = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(call_key(call)))
                .update_expression(update.update_expression())
                .set_condition_expression(update.condition_expression().map(String::from))
                .set_expression_attribute_names(update.expression_attribute_names().cloned())
                .set_expression_attribute_values(update.expression_attribute_values().cloned())
                .send()
                .await;
            return match r {
                Ok(_) => Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Err(EndError::AlreadyEnded)
                }
                Err(e) => Err(EndError::Store(unavailable(e))),
            };
        };
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(lease_puts(&self.table, w)?);
        let err = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tce)) =
            err.as_service_error()
        {
            let (failed, conflict, _) = cancellation(tce.cancellation_reasons());
            if failed.contains(&0) {
                return Err(EndError::AlreadyEnded);
            }
            if !failed.is_empty() || conflict {
                return Err(EndError::LeaseChanged);
            }
        }
        Err(EndError::Store(unavailable(err)))
    }
}

#[async_trait]
impl CallbackStore for DynamoStore {
    async fn lease_for_number(&self, number: &E164) -> Result<Option<Lease>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match resp.item() {
            Some(item) => decode_lease(item),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl NotifyStore for DynamoStore {
    async fn notify_context(
        &self,
        call: &CallId,
        agent: &AgentId,
    ) -> Result<NotifyContext, StoreError> {
        let items = self
            .batch_get(vec![
                call_key(call),
                profile_key(agent),
                template_key("CURRENT"),
            ])
            .await?;
        let mut ctx = NotifyContext::default();
        for item in &items {
            match item_kind(item) {
                Some((_, "CALL")) => {
                    ctx.notification = Reader::new(item).opt_str("notification").map(String::from);
                    ctx.call = Some(decode_call(item)?);
                }
                Some((_, "PROFILE")) => ctx.agent = Some(decode_agent(item)?),
                Some((_, "CURRENT")) => ctx.template = Some(decode_template(item)?),
                _ => {}
            }
        }
        Ok(ctx)
    }

    async fn record_notification(
        &self,
        call: &CallId,
        outcome: &NotificationOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let detail = match outcome {
            NotificationOutcome::Sent { message_id } => message_id.clone(),
            NotificationOutcome::NoRecipients => String::new(),
            NotificationOutcome::Failed { error } => error.clone(),
        };
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(call_key(call)))
            .update_expression(
                "SET notification = :state, notifiedAt = :at, notificationDetail = :detail",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":state", s(outcome.state()))
            .expression_attribute_values(":at", s(rfc3339(now)))
            .expression_attribute_values(":detail", s(detail))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            // The record expired meanwhile: nothing left to mark.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl TemplateStore for DynamoStore {
    async fn current_template(&self) -> Result<Option<NotificationTemplate>, StoreError> {
        let r = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(template_key("CURRENT")))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        r.item().map(decode_template).transpose()
    }

    async fn push_template(
        &self,
        t: &NotificationTemplate,
        now: DateTime<Utc>,
    ) -> Result<(), TemplateSaveError> {
        let version_put = put(
            &self.table,
            encode_template(t, &format!("VERSION#{:06}", t.version), now),
            "attribute_not_exists(pk)",
            None,
        )?;
        let current_put = if t.version <= 1 {
            put(
                &self.table,
                encode_template(t, "CURRENT", now),
                "attribute_not_exists(pk)",
                None,
            )?
        } else {
            put(
                &self.table,
                encode_template(t, "CURRENT", now),
                "version = :previous",
                values(vec![(":previous", n(t.version as i64 - 1))]),
            )?
        };
        match self.client.transact_write_items().transact_items(version_put).transact_items(current_put).send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(_)) => {
                    Err(TemplateSaveError::Conflict)
                }
                _ => Err(TemplateSaveError::Store(unavailable(e))),
            },
        }
    }
}

#[async_trait]
impl ReleaseStore for DynamoStore {
    async fn release(&self, expiry: &LeaseExpiry, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let number: E164 = expiry
            .number
            .parse()
            .map_err(|e: crate::domain::types::Invalid| StoreError::Corrupt {
                key: expiry.number.clone(),
                detail: e.0,
            })?;
        // The same lease, at the same version, past its hold, not yet released.
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(number_key(&number)))
            .update_expression("SET releasedAt = :now")
            .condition_expression(
                "leaseId = :lid AND version = :v AND holdUntil <= :now AND attribute_not_exists(releasedAt)",
            )
            .expression_attribute_values(":lid", s(expiry.lease_id.as_str()))
            .expression_attribute_values(":v", n(expiry.version as i64))
            .expression_attribute_values(":now", epoch(now))
            .send()
            .await;
        crate::aws_calls::applied(r, |e| e.is_conditional_check_failed_exception())
            .map_err(unavailable)
    }
}

#[async_trait]
impl PresenceStore for DynamoStore {
    async fn agent_presence(
        &self,
        agent: &AgentId,
    ) -> Result<(bool, Option<PresenceState>), StoreError> {
        let items = self
            .batch_get(vec![profile_key(agent), presence_key(agent)])
            .await?;
        let mut out = (false, None);
        for item in &items {
            match item_kind(item) {
                Some((_, "PROFILE")) => out.0 = true,
                Some((_, "PRESENCE")) => out.1 = Some(decode_presence(item)?),
                _ => {}
            }
        }
        Ok(out)
    }

    async fn save_presence(
        &self,
        agent: &AgentId,
        state: &PresenceState,
        view: PresenceView,
        now: DateTime<Utc>,
    ) -> Result<(), SaveError> {
        let req = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_presence(agent, state, view, now)));
        let req = if state.version == 0 {
            req.condition_expression("attribute_not_exists(pk)")
        } else {
            req.condition_expression("version = :v")
                .expression_attribute_values(":v", n(state.version as i64))
        };
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(SaveError::Conflict)
            }
            Err(e) => Err(SaveError::Store(unavailable(e))),
        }
    }
}

#[async_trait]
impl AdminStore for DynamoStore {
    async fn put_agent(&self, agent: &AgentProfile) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode_agent(agent)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_agent(&self, id: &AgentId) -> Result<Option<AgentProfile>, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        resp.item().map(decode_agent).transpose()
    }

    async fn add_numbers(
        &self,
        country: Country,
        numbers: &[E164],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut added = 0;
        for number in numbers {
            let mut item = number_key(number);
            item.insert("type".into(), s("number"));
            item.insert("number".into(), s(number.as_str()));
            item.insert("country".into(), s(country.code()));
            item.insert("poolCountry".into(), s(country.code()));
            item.insert("availableAt".into(), epoch(now));
            let r = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match r {
                Ok(_) => added += 1,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(added)
    }

    async fn list_pool(
        &self,
        country: Option<Country>,
        now: DateTime<Utc>,
    ) -> Result<Vec<PoolNumber>, StoreError> {
        let countries: Vec<Country> = country.map_or_else(|| Country::ALL.to_vec(), |c| vec![c]);
        let mut keys = Vec::new();
        for c in countries {
            // The index lists a country's numbers without a table scan.
            let mut start = None;
            loop {
                let resp = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(AVAILABLE_INDEX)
                    .key_condition_expression("poolCountry = :c")
                    .expression_attribute_values(":c", s(c.code()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for i in resp.items() {
                    if let (Some(pk), Some(sk)) = (i.get("pk"), i.get("sk")) {
                        keys.push(HashMap::from([
                            ("pk".to_string(), pk.clone()),
                            ("sk".to_string(), sk.clone()),
                        ]));
                    }
                }
                match resp.last_evaluated_key {
                    Some(k) if !k.is_empty() => start = Some(k),
                    _ => break,
                }
            }
        }
        let mut out = Vec::new();
        for chunk in keys.chunks(100) {
            for item in self.batch_get(chunk.to_vec()).await? {
                let r = Reader::new(&item);
                let lease = decode_lease(&item)?;
                let available_at = r.epoch("availableAt")?;
                let state = match &lease {
                    Some(l) if l.is_live(now) => "leased",
                    _ if available_at > now => "quarantined",
                    _ => "free",
                };
                let live = lease.as_ref().filter(|l| l.is_live(now));
                out.push(PoolNumber {
                    number: r.str("number")?.to_string(),
                    country: r.str("poolCountry")?.to_string(),
                    state,
                    leased_to: live.map(|l| l.agent.to_string()),
                    callback_window_ends_at: live.map(|l| rfc3339(l.expires_at)),
                    active_calls: live.map(|l| l.active_calls.len()),
                    held_until: live.map(|l| rfc3339(l.hold_until)),
                    quarantined_until: (state == "quarantined").then(|| rfc3339(available_at)),
                    available_at: rfc3339(available_at),
                });
            }
        }
        out.sort_by(|a, b| (&a.country, &a.number).cmp(&(&b.country, &b.number)));
        Ok(out)
    }

    async fn remove_number(&self, number: &E164, now: DateTime<Utc>) -> Result<(), RemoveError> {
        let r = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(number_key(number)))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(agentId) OR attribute_exists(releasedAt) OR holdUntil <= :now)",
            )
            .expression_attribute_values(":now", epoch(now))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            )
            .send()
            .await;
        let err = match r {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        match err.as_service_error() {
            Some(aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(c)) => {
                match c.item() {
                    None => Err(RemoveError::Unknown(number.to_string())),
                    Some(item) => {
                        let lease = decode_lease(item)?;
                        let (agent, until) = lease
                            .map(|l| (l.agent.to_string(), rfc3339(l.hold_until)))
                            .unwrap_or_default();
                        Err(RemoveError::Leased(number.to_string(), agent, until))
                    }
                }
            }
            _ => Err(RemoveError::Store(unavailable(err))),
        }
    }

    async fn put_tenant(&self, tenant: TenantSettings) -> Result<(), StoreError> {
        let mut item = tenant_key();
        item.insert("type".into(), s("tenant"));
        item.insert(
            "directRoutingEmergencyRule".into(),
            AttributeValue::Bool(tenant.direct_routing_emergency_rule),
        );
        item.insert(
            "hasCallingPlanNumbers".into(),
            AttributeValue::Bool(tenant.has_calling_plan_numbers),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn get_tenant(&self) -> Result<TenantSettings, StoreError> {
        let resp = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(tenant_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(resp.item().map(decode_tenant).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lease::LeasePolicy;
    use crate::domain::route::Route;

    #[test]
    fn call_round_trips() {
        let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: true,
            country: Some(Country::US),
            location: Some(Location {
                country: Some("US".into()),
                address: Some("1 Main St".into()),
                lat: Some(47.6),
                lon: Some(-122.1),
            }),
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: Some("l-1".parse().unwrap()),
            callback_expires_at: Some(t),
            route: Route::DirectRouting,
            degraded: false,
            reason: Some("x".into()),
            dialed_at: t,
            ended_at: Some(t),
        };
        assert_eq!(decode_call(&encode_call(&call, t)).unwrap(), call);
    }

    #[test]
    fn lease_round_trips_on_both_items() {
        let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let p = LeasePolicy::default();
        let l = p.start(
            "+14255550199".parse().unwrap(),
            Country::US,
            "a-42".parse().unwrap(),
            "c-1".parse().unwrap(),
            vec!["q".into()],
            t,
        );
        assert_eq!(
            decode_lease(&encode_number(&l, t)).unwrap(),
            Some(l.clone())
        );
        assert_eq!(
            decode_lease(&encode_pointer(&l, t)).unwrap(),
            Some(l.clone())
        );
        let ended = p.on_end(&l, &"c-1".parse().unwrap(), t).unwrap();
        let item = encode_number(&ended, t);
        assert!(
            !item.contains_key("activeCalls"),
            "an empty string set is not allowed"
        );
        assert_eq!(decode_lease(&item).unwrap(), Some(ended));
    }
}
