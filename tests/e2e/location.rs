//! Where the caller is, end to end: a registered location carried by a dial
//! that brings none (answer, record, e-mail, PIDF-LO), a stale one not used,
//! and a country outside the seed (Australia's 000) with and without a pool.

use lifeline_app::ports::{AdminStore, NotifyStore};
use lifeline_domain::location::{CivicKey, LocationSource};
use lifeline_domain::numbers::Country;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::NumberType;
use lifeline_domain::types::E164;
use lifeline_e2e::{agent, start, try_emails_to, Local};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const GEOPRIV: &str = "urn:ietf:params:xml:ns:pidf:geopriv10";
const CIVIC: &str = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr";

/// Agent `id` (US) whose e-mail goes to a recipient only this test uses.
async fn agent_with_inbox(l: &Local, id: &str) -> String {
    let tag = &l.table[4..16];
    let to = format!("loc+{tag}@example.com");
    let mut a = agent(id, Country::US, NumberType::CallingPlan, "+14255550170");
    a.recipients = Recipients::parse(&to).expect("recipients");
    l.store.put_agent(&a).await.expect("agent");
    to
}

async fn wait_for_emails(to: &str, count: usize) -> Vec<lifeline_e2e::SentEmail> {
    let started = Instant::now();
    loop {
        // A busy moto may not answer a poll: asked again.
        let got = try_emails_to(to).await.unwrap_or_default();
        if got.len() >= count {
            return got;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{count} e-mail(s) to {to}, got {}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The civic values of a PIDF-LO document, parsed by a real XML parser.
fn civic_of(pidf: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(pidf).expect("PIDF-LO parses");
    assert_eq!(doc.root_element().tag_name().name(), "presence");
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name((GEOPRIV, "location-info"))),
        "{pidf}"
    );
    let civic = doc
        .descendants()
        .find(|n| n.has_tag_name((CIVIC, "civicAddress")))
        .expect("a civic address");
    civic
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            (
                n.tag_name().name().to_string(),
                n.text().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_dial_without_a_location_carries_the_registered_one_until_it_is_stale() {
    let l = start(3).await;
    let inbox = agent_with_inbox(&l, "a-70").await;
    let location = json!({"location": {"country": "US",
        "civic": {"NAM": "Smith & Sons <HQ>", "FLR": "3", "ROOM": "301", "HNO": "1",
                  "RD": "Main St", "A3": "Redmond", "A1": "WA", "PC": "98052"},
        "lat": 47.6, "lon": -122.1, "radiusM": 30, "method": "Manual"}});
    let put = l
        .request(Method::PUT, "/agents/a-70/location", Some(&location))
        .await;
    assert_eq!(put.status, 200, "{}", put.json);
    assert_eq!(put.json["locationQuality"], "dispatchable");
    let got = l.request(Method::GET, "/agents/a-70/location", None).await;
    assert_eq!((got.status, got.json["fresh"].as_bool()), (200, Some(true)));

    // The dial brings no location: the registered one is used, and said so.
    let tag = &l.table[4..16];
    let call_id = format!("loc-{tag}");
    let dial =
        json!({"callId": call_id, "agentId": "a-70", "dialed": "9 911", "from": "+14255550170"});
    let answer = l.post("/calls/outbound", &dial).await.json;
    assert_eq!(answer["action"], "emergency", "{answer}");
    assert_eq!(answer["degraded"], false, "{answer}");
    assert_eq!(answer["locationSource"], "registered");
    assert_eq!(answer["locationQuality"], "dispatchable");
    let civic = civic_of(answer["pidfLo"].as_str().expect("pidfLo"));
    assert_eq!(civic[0], ("country".into(), "US".into()));
    assert!(
        civic.contains(&("NAM".into(), "Smith & Sons <HQ>".into())),
        "{civic:?}"
    );
    assert!(civic.contains(&("ROOM".into(), "301".into())));

    // The record says the same.
    let ctx = l
        .store
        .notify_context(&call_id.parse().unwrap(), &"a-70".parse().unwrap())
        .await
        .expect("read");
    let call = ctx.call.expect("the call is recorded");
    assert_eq!(call.location_source, Some(LocationSource::Registered));
    let recorded = call.location.expect("a location");
    assert_eq!(recorded.civic.get(CivicKey::FLR), Some("3"));

    // So does the e-mail, read aloud.
    let emails = wait_for_emails(&inbox, 1).await;
    let body = &emails[0].body;
    for line in [
        "Smith &amp; Sons &lt;HQ&gt;",
        "Floor 3, Room 301",
        "1 Main St",
        "Redmond",
        "WA 98052",
        "Dispatchable",
        "the location the agent registered",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }

    // Thirteen hours later (the limit is twelve) it is stale: not used.
    l.post(
        "/calls/ended",
        &json!({"callId": call_id, "agentId": "a-70"}),
    )
    .await;
    l.advance(13 * 60).await;
    let stale = l
        .post("/calls/outbound", &json!({"callId": format!("{call_id}-2"), "agentId": "a-70", "dialed": "911", "from": "+14255550170"}))
        .await
        .json;
    assert_eq!(stale["action"], "emergency");
    assert_eq!(stale["locationSource"], "profile_country", "{stale}");
    assert_eq!(stale["locationQuality"], "country_only");
    let got = l.request(Method::GET, "/agents/a-70/location", None).await;
    assert_eq!(got.json["fresh"], false);
}

#[tokio::test]
async fn australias_000_is_an_emergency_leased_from_an_au_pool_when_there_is_one() {
    let l = start(2).await;
    let tag = &l.table[4..16];
    let au = json!({"country": "AU", "civic": {"HNO": "1", "RD": "George St", "A3": "Sydney", "A1": "NSW", "PC": "2000"}});
    let first = l
        .post("/calls/outbound", &json!({"callId": format!("au-{tag}-1"), "agentId": "a-42", "dialed": "000", "from": "+14255550100", "location": au}))
        .await
        .json;
    assert_eq!(first["action"], "emergency", "{first}");
    assert_eq!(first["emergencyNumber"], "000");
    assert_eq!(
        (first["degraded"].as_bool(), first["reason"].as_str()),
        (Some(true), Some("no_pool")),
        "{first}"
    );
    assert_eq!(first["callerId"], "+14255550100");
    assert_eq!(first["locationQuality"], "dispatchable");

    let au_numbers: Vec<E164> = ["+61255550101", "+61255550102"]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    l.store
        .add_numbers(
            Country::AU,
            &au_numbers,
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .expect("AU pool");
    let second = l
        .post("/calls/outbound", &json!({"callId": format!("au-{tag}-2"), "agentId": "a-43", "dialed": "9-000", "from": "+14255550101", "location": au}))
        .await
        .json;
    assert_eq!(second["degraded"], false, "{second}");
    let caller: Value = second["callerId"].clone();
    assert!(au_numbers.iter().any(|n| n.as_str() == caller), "{second}");
    // 911 is no emergency number in Australia: an ordinary call.
    let ordinary = l
        .post("/calls/outbound", &json!({"callId": format!("au-{tag}-3"), "agentId": "a-43", "dialed": "911", "from": "+14255550101", "location": {"country": "AU"}}))
        .await
        .json;
    assert_eq!(ordinary, json!({"action": "continue"}));
}

#[tokio::test]
async fn a_bad_location_is_refused_naming_the_key_and_a_dial_goes_on_without_it() {
    let l = start(1).await;
    let r = l
        .request(
            Method::PUT,
            "/agents/a-42/location",
            Some(&json!({"location": {"civic": {"STREET": "Main"}}})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["field"], "location.civic.STREET");
    let got = l.request(Method::GET, "/agents/a-42/location", None).await;
    assert_eq!(got.status, 404);
    let dial = json!({"callId": "bad-loc", "agentId": "a-42", "dialed": "911", "from": "+14255550100",
        "location": {"country": "US", "civic": {"STREET": "Main"}}});
    // An emergency dial is never refused for it: the key is dropped and named.
    let r = l.post("/calls/outbound", &dial).await;
    assert_eq!(
        (r.status, &r.json["action"], &r.json["ignored"]),
        (200, &json!("emergency"), &json!(["location.civic.STREET"]))
    );
    assert_eq!(r.json["locationQuality"], "country_only", "{}", r.json);
}
