//! The benchmark rig: the table seeded with agents and a pool, the
//! handlers over a counted client, and the statistics helpers.

use chrono::{DateTime, Duration, Utc};
use lambda_http::{Body, Request};
use lifeline_app::clock::{Clock, FixedClock};
use lifeline_app::ports::AdminStore;
use lifeline_app::settings::table::{
    LIFELINE_DIAL_CACHE_SECONDS, LIFELINE_OUTSIDE_LINE_PREFIX, LIFELINE_TABLE,
};
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::test_support::{counted_dynamodb_client, CallCounter};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::E164;
use lifeline_edge::config::{Config, Mode};
use lifeline_edge::http::WebhookHandler;
use lifeline_edge::webhook::{WebhookSecret, SIGNATURE_HEADER};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) type Handlers = (
    dial_intake::DialIntake<DynamoStore>,
    call_events::CallEvents<DynamoStore>,
    callback_router::CallbackRouter<DynamoStore>,
);

pub(crate) struct Rig {
    pub(crate) conf: aws_config::SdkConfig,
    pub(crate) calls: CallCounter,
    pub(crate) store: Arc<DynamoStore>,
    pub(crate) clock: FixedClock,
    pub(crate) config: Arc<Config>,
    pub(crate) secret: WebhookSecret,
    pub(crate) handlers: Handlers,
}

pub(crate) fn agent(id: &str) -> AgentProfile {
    AgentProfile {
        id: id.parse().expect("id"),
        name: format!("Agent {id}"),
        email: "agent@example.com".parse().ok(),
        country: Some(Country::US),
        other_country: None,
        source_number: "+14255550100".parse().expect("n"),
        number_type: NumberType::CallingPlan,
        recipients: Recipients::parse("sup@example.com").expect("r"),
        fallback: vec![],
        outbound_profile: Some("OVP".into()),
        platform: Default::default(),
    }
}

/// A fresh table with `pool` US numbers and `agents` agents.
pub(crate) async fn rig(conf: &aws_config::SdkConfig, pool: usize, agents: usize) -> Rig {
    let calls = CallCounter::new();
    let table = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let store = Arc::new(DynamoStore::new(
        counted_dynamodb_client(conf, &calls),
        &table,
    ));
    store.create_table().await.expect("table");
    let numbers: Vec<E164> = (0..pool)
        .map(|i| format!("+1425{:07}", 1_000_000 + i).parse().expect("n"))
        .collect();
    let t0 = DateTime::parse_from_rfc3339("2026-11-24T05:00:00Z")
        .expect("t")
        .with_timezone(&Utc);
    store
        .add_numbers(Country::US, &numbers, t0 - Duration::hours(1))
        .await
        .expect("pool");
    for i in 0..agents {
        store
            .put_agent(&agent(&format!("b-{i}")))
            .await
            .expect("agent");
    }
    let config = Arc::new(
        Config::from_lookup(Mode::Local, |k| {
            if k == LIFELINE_TABLE.name {
                Some(table.clone())
            } else if k == LIFELINE_OUTSIDE_LINE_PREFIX.name {
                Some("9".into())
            } else if k == LIFELINE_DIAL_CACHE_SECONDS.name {
                // To compare with the warm path off (`0`).
                std::env::var(k).ok()
            } else {
                None
            }
        })
        .expect("config"),
    );
    let clock = FixedClock::at(t0);
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let handlers = (
        dial_intake::DialIntake::new(store.clone(), c.clone(), config.clone()),
        call_events::CallEvents::new(store.clone(), c.clone(), config.clone()),
        callback_router::CallbackRouter::new(store.clone(), c, config.clone()),
    );
    calls.reset();
    Rig {
        conf: conf.clone(),
        calls,
        store,
        clock,
        secret: config.webhook_secret.clone(),
        config,
        handlers,
    }
}

impl Rig {
    pub(crate) fn request(&self, path: &str, body: &serde_json::Value) -> Request {
        let raw = body.to_string();
        let mut req = Request::new(Body::Text(raw.clone()));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = path.parse().expect("uri");
        let signed = lifeline_edge::webhook::Signed::post(path, raw.as_bytes());
        let sig = self.secret.sign(Utc::now().timestamp(), signed);
        req.headers_mut()
            .insert(SIGNATURE_HEADER, sig.parse().expect("header"));
        req
    }
    pub(crate) async fn dial(&self, call: &str, agent: &str, dialed: &str) -> serde_json::Value {
        let body = serde_json::json!({"callId": call, "agentId": agent, "dialed": dialed, "from": "+14255550100",
            "location": {"country": "US"}});
        json_of(
            self.handlers
                .0
                .handle(self.request("/calls/outbound", &body))
                .await,
        )
    }
    /// dial-intake's container made warm, as the local runner's start
    /// makes it: every profile, the tenant's settings, the US candidates
    /// (the requests it makes are not counted).
    pub(crate) async fn warm_up(&self) {
        let profiles = self.store.list_agents().await.expect("profiles");
        let tenant = self.store.get_tenant().await.expect("tenant");
        self.handlers
            .0
            .service()
            .warm_up(profiles, tenant, &[Country::US])
            .await;
        self.calls.reset();
    }

    pub(crate) async fn end(&self, call: &str, agent: &str) -> u16 {
        let body = serde_json::json!({"callId": call, "agentId": agent});
        self.handlers
            .1
            .handle(self.request("/calls/ended", &body))
            .await
            .status()
            .as_u16()
    }
    pub(crate) async fn inbound(&self, to: &str) -> serde_json::Value {
        let body = serde_json::json!({"callId": "in", "to": to});
        json_of(
            self.handlers
                .2
                .handle(self.request("/calls/inbound", &body))
                .await,
        )
    }
}

pub(crate) fn json_of(resp: lambda_http::Response<Body>) -> serde_json::Value {
    match resp.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or_default(),
        Body::Binary(b) => serde_json::from_slice(b).unwrap_or_default(),
        _ => serde_json::Value::Null,
    }
}

pub(crate) fn fmt_calls(m: &BTreeMap<String, usize>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) struct Stats {
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) n: usize,
}

pub(crate) fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.5),
        p99: at(0.99),
        n: v.len(),
    }
}

pub(crate) fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `ids` (call id, agent id) dialing 911 at once, each on a task of its own
/// as concurrent Lambda invocations are: each answer with its time (ms), and
/// the whole burst's wall time (ms).
pub(crate) async fn dial_at_once(
    r: &std::sync::Arc<Rig>,
    ids: Vec<(String, String)>,
) -> (Vec<(f64, serde_json::Value)>, f64) {
    let dials = ids.into_iter().map(|(call, agent)| {
        let r = r.clone();
        async move { r.dial(&call, &agent, "911").await }
    });
    timed_at_once(dials).await
}

/// Runs `jobs` at once, each on a task of its own as concurrent Lambda
/// invocations are: each one's output with its time (ms), and the wall time
/// (ms). A task that panicked is left out.
pub(crate) async fn timed_at_once<T, F>(jobs: impl IntoIterator<Item = F>) -> (Vec<(f64, T)>, f64)
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let t = std::time::Instant::now();
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            tokio::spawn(async move {
                let t = std::time::Instant::now();
                let out = job.await;
                (ms(t.elapsed()), out)
            })
        })
        .collect();
    let done = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    (done, ms(t.elapsed()))
}

/// A bare item: `pk`, and `sk` `X`.
pub(crate) fn bare_item(
    pk: String,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    std::collections::HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk)),
        ("sk".to_string(), AttributeValue::S("X".into())),
    ])
}

/// One item of a bare transaction: a Put of `item`, `attribute_not_exists(pk)`.
pub(crate) fn put_if_new(
    table: &str,
    item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
) -> aws_sdk_dynamodb::types::TransactWriteItem {
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("put"),
        )
        .build()
}

/// The baseline a dial's write is compared with: `n` bare 3-item
/// `TransactWriteItems`, one at a time, of copies of the items a dial wrote
/// (its call record, its number, the agent's pointer: same attributes, same
/// index keys, so DynamoDB Local does the same work for them) under new keys,
/// each `attribute_not_exists(pk)`. Each one's time (ms).
pub(crate) async fn dial_shaped_transactions(
    r: &Rig,
    call: &str,
    agent: &str,
    number: &str,
    n: usize,
) -> Vec<f64> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = aws_sdk_dynamodb::Client::new(&r.conf);
    let table = r.store.table().to_string();
    let get = |pk: String, sk: &str| {
        client
            .get_item()
            .table_name(&table)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk.into()))
            .consistent_read(true)
            .send()
    };
    let item = |out: Result<aws_sdk_dynamodb::operation::get_item::GetItemOutput, _>| {
        out.ok().and_then(|o| o.item).unwrap_or_default()
    };
    let call_item = item(get(format!("CALL#{call}"), "CALL").await);
    let number_item = item(get(format!("NUMBER#{number}"), "NUMBER").await);
    let pointer_item = item(get(format!("AGENT#{agent}"), "LEASE").await);
    let copy = |item: &std::collections::HashMap<String, AttributeValue>, pk: String| {
        let mut item = item.clone();
        item.insert("pk".into(), AttributeValue::S(pk));
        put_if_new(&table, item)
    };
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let req = client
            .transact_write_items()
            .transact_items(copy(&call_item, format!("CALL#bare-{tag}")))
            .transact_items(copy(&number_item, format!("NUMBER#+1999{i:07}")))
            .transact_items(copy(&pointer_item, format!("AGENT#bare-{tag}")));
        let t = std::time::Instant::now();
        let _ = req.send().await;
        times.push(ms(t.elapsed()));
    }
    times
}
