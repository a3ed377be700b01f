//! Amazon Connect end to end on the local system: the platform's own event
//! shapes (a contact flow's `ContactFlowEvent`, an EventBridge `Amazon Connect
//! Contact Event`) through `POST /_local/invoke/connect-adapter`, with the
//! table's stream driving presence and e-mail as on AWS.

use lifeline_app::ports::AdminStore;
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, emails_to, start, Local, US_POOL};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const INSTANCE: &str =
    "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c";

fn sample(name: &str) -> Value {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("JSON")
}

/// The whisper sample for another contact and Connect user.
fn whisper(contact: &str, user: &str, dialed: &str) -> Value {
    let mut e = sample("connect-outbound-whisper.json");
    e["Details"]["ContactData"]["ContactId"] = json!(contact);
    e["Details"]["ContactData"]["CustomerEndpoint"]["Address"] = json!(dialed);
    e["Details"]["Parameters"]["agent"] = json!(format!("{INSTANCE}/agent/{user}"));
    e
}

/// The fallbacks of every Connect user here, as `lifeline agent put
/// --fallback` takes them: a number, a colleague (a Connect user id), a queue
/// by name (which no flow can use), a queue by id.
const FALLBACKS: [&str; 4] = [
    "+14255550111",
    "a-43",
    "queue:Supervisors",
    "queue:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
];

/// A Connect user as a Lifeline agent (Lifeline's agent id is the user id),
/// with recipients only this test uses and [`FALLBACKS`].
async fn connect_user(l: &Local) -> (String, String) {
    let user = uuid::Uuid::new_v4().to_string();
    let mut a = agent(&user, Country::US, NumberType::CallingPlan, "+14255550100");
    let to = format!("sup+{}@example.com", &user[..8]);
    a.recipients = Recipients::parse(&to).expect("recipients");
    a.fallback = FALLBACKS.map(String::from).to_vec();
    l.store.put_agent(&a).await.expect("agent");
    (user, to)
}

#[tokio::test]
async fn emergency_callback_and_end_through_connects_own_events() {
    let l = start(3).await;
    let (user, mailbox) = connect_user(&l).await;
    let contact = uuid::Uuid::new_v4().to_string();
    l.calls.reset();
    let started = Instant::now();
    let (out, error) = l
        .invoke("connect-adapter", &whisper(&contact, &user, "+1911"))
        .await;
    let answered = started.elapsed();
    assert!(!error, "{out}");
    let requests = l.calls.snapshot();
    println!("outbound whisper answered in {answered:?} (Connect allows 8 s); DynamoDB requests {requests:?}");
    // A thin translation: exactly the canonical emergency dial's requests.
    assert_eq!(
        requests,
        [("BatchGetItem", 1), ("Query", 1), ("TransactWriteItems", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    );
    assert_eq!(out["lifelineAction"], "emergency", "{out}");
    assert_eq!(out["degraded"], "false");
    assert_eq!(out["recording"], "off");
    assert_eq!(out["emergencyNumber"], "911");
    let leased = out["callerIdNumber"]
        .as_str()
        .expect("caller id")
        .to_string();
    assert!(US_POOL.contains(&leased.as_str()), "{leased}");

    // Side effects from the stream, as for any dial: DND and the e-mail.
    l.wait_for_status(&user, "do_not_disturb", Duration::from_secs(10))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while emails_to(&mailbox).await.is_empty() {
        assert!(Instant::now() < deadline, "no e-mail to {mailbox}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = &emails_to(&mailbox).await[0];
    assert!(
        mail.body.contains(&leased),
        "the callback number is in the e-mail"
    );

    // The PSAP calls the leased number back: straight to that agent, top priority.
    let mut inbound = sample("connect-inbound.json");
    inbound["Details"]["ContactData"]["SystemEndpoint"]["Address"] = json!(leased);
    let (route, _) = l.invoke("connect-adapter", &inbound).await;
    assert_eq!(route["lifelineAction"], "connect_agent", "{route}");
    assert_eq!(route["agentId"], user.as_str());
    assert_eq!(route["agentArn"], format!("{INSTANCE}/agent/{user}"));
    assert_eq!(route["queuePriority"], "1");
    // Then the lease's fallbacks, as the flows transfer to them after the
    // agent: a number rung, a colleague's queue, a queue (the name is skipped).
    assert_eq!(route["lifelineFallback1Kind"], "phone", "{route}");
    assert_eq!(route["lifelineFallback1"], "+14255550111");
    assert_eq!(route["lifelineFallback2Kind"], "agent");
    assert_eq!(route["lifelineFallback2"], format!("{INSTANCE}/agent/a-43"));
    assert_eq!(route["lifelineFallback3Kind"], "queue");
    assert_eq!(
        route["lifelineFallback3"],
        format!("{INSTANCE}/queue/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    );
    assert!(
        route
            .as_object()
            .expect("map")
            .values()
            .all(Value::is_string),
        "Connect reads a flat map of strings: {route}"
    );

    // The contact ends: EventBridge's DISCONNECTED, delivered twice.
    let mut disconnected = sample("connect-disconnected.json");
    disconnected["detail"]["contactId"] = json!(contact);
    disconnected["detail"]["agentInfo"]["agentArn"] = json!(format!("{INSTANCE}/agent/{user}"));
    let (end, _) = l.invoke("connect-adapter", &disconnected).await;
    assert_eq!(end, json!({"ended": true}));
    let (again, _) = l.invoke("connect-adapter", &disconnected).await;
    assert_eq!(again, json!({"ended": true, "alreadyEnded": true}));
    l.wait_for_status(&user, "available", Duration::from_secs(10))
        .await;
    // The callback window still runs after the end.
    let (route, _) = l.invoke("connect-adapter", &inbound).await;
    assert_eq!(route["lifelineAction"], "connect_agent", "{route}");
}

#[tokio::test]
async fn ordinary_dials_cost_no_aws_call_and_other_numbers_route_normally() {
    let l = start(1).await;
    let (user, _) = connect_user(&l).await;
    l.calls.reset();
    let (out, _) = l
        .invoke(
            "connect-adapter",
            &whisper(
                "c0ffee00-0000-4000-8000-000000000001",
                &user,
                "+14255550123",
            ),
        )
        .await;
    assert_eq!(out, json!({"lifelineAction": "continue"}));
    assert_eq!(l.calls.total(), 0, "{:?}", l.calls.snapshot());
    let (route, _) = l
        .invoke("connect-adapter", &sample("connect-inbound.json"))
        .await;
    assert_eq!(route, json!({"lifelineAction": "continue"}));
    // A disconnect of a contact Lifeline never recorded changes nothing.
    let (end, error) = l
        .invoke("connect-adapter", &sample("connect-disconnected.json"))
        .await;
    assert!(!error);
    assert_eq!(end["ended"], false);
}

#[tokio::test]
async fn an_empty_pool_still_places_the_call_from_the_agents_number() {
    let l = start(0).await;
    let (user, _) = connect_user(&l).await;
    let (out, _) = l
        .invoke(
            "connect-adapter",
            &whisper("c0ffee00-0000-4000-8000-000000000002", &user, "911"),
        )
        .await;
    assert_eq!(out["lifelineAction"], "emergency");
    assert_eq!(out["callerIdNumber"], "+14255550100");
    assert_eq!(out["degraded"], "true");
    assert_eq!(out["reason"], "no_pool", "the country has no pool at all");
}
