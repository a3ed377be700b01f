//! Handler tests over the in-memory store.

use super::*;
use lifeline_app::fakes::MemoryStore;
use lifeline_edge::fixtures::{body_json, sample_event_clock, t0, World};
use lifeline_edge::webhook::SIGNATURE_HEADER;
use serde_json::json;

fn api(w: &World) -> PresenceApi<MemoryStore> {
    PresenceApi::new(w.store.clone(), w.clock(), w.config.clone()).with_signature_clock(w.clock())
}

fn request(w: &World, method: &str, path: &str, body: &str) -> Request {
    let mut req = Request::new(if body.is_empty() {
        Body::Empty
    } else {
        Body::Text(body.to_string())
    });
    *req.method_mut() = method.parse().unwrap();
    *req.uri_mut() = path.parse().unwrap();
    let sig = w.config.webhook_secret.sign(
        w.clock.now().timestamp(),
        lifeline_edge::webhook::Signed::new(
            method,
            path.split('?').next().unwrap_or(path),
            body.as_bytes(),
        ),
    );
    req.headers_mut()
        .insert(SIGNATURE_HEADER, sig.parse().unwrap());
    req
}

async fn call(w: &World, method: &str, path: &str, body: &str) -> (u16, serde_json::Value, String) {
    let resp = api(w).handle(request(w, method, path, body)).await;
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.status().as_u16(), body_json(&resp), ct)
}

#[tokio::test]
async fn get_and_put() {
    let w = World::us(&[]);
    let (status, v, _) = call(&w, "GET", "/agents/a-42/presence", "").await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"agentId":"a-42","status":"available","override":false})
        )
    );
    let (status, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"busy"}"#).await;
    assert_eq!(
        (status, v),
        (
            200,
            json!({"agentId":"a-42","status":"busy","override":false})
        )
    );
    // During an override a PUT keeps DND and changes the status to restore.
    w.dial("c-1", "a-42").await;
    lifeline_app::service::presence::PresenceService::new(
        w.store.clone(),
        w.clock(),
        w.config.settings.presence,
    )
    .apply(&lifeline_edge::stream::CallChange::Started {
        agent: "a-42".parse().unwrap(),
        call: "c-1".parse().unwrap(),
        at: t0(),
    })
    .await
    .unwrap();
    let (_, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"away"}"#).await;
    assert_eq!(
        v,
        json!({"agentId":"a-42","status":"do_not_disturb","override":true})
    );
}

#[tokio::test]
async fn errors() {
    let w = World::us(&[]);
    let (status, v, ct) = call(&w, "GET", "/agents/a-99/presence", "").await;
    assert_eq!((status, ct.as_str()), (404, "application/problem+json"));
    assert_eq!(v["title"], "Unknown agent");
    assert_eq!(
        call(&w, "PUT", "/agents/a-99/presence", r#"{"status":"away"}"#)
            .await
            .0,
        404
    );
    let (status, v, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"lunch"}"#).await;
    assert_eq!(status, 400);
    assert_eq!(v["field"], "status");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("available, busy, away, do_not_disturb, offline"));
    assert_eq!(
        call(&w, "PUT", "/agents/a-42/presence", r#"{}"#).await.1["field"],
        "status"
    );
    assert_eq!(
        call(&w, "PUT", "/agents/a-42/presence", "nope").await.0,
        400
    );
    assert_eq!(
        call(&w, "PUT", "/agents/a%23b/presence", r#"{"status":"away"}"#)
            .await
            .0,
        400
    );
    assert_eq!(
        call(&w, "POST", "/agents/a-42/presence", r#"{"status":"away"}"#)
            .await
            .0,
        405
    );
    let mut req = request(&w, "GET", "/agents/a-42/presence", "");
    req.headers_mut().remove(SIGNATURE_HEADER);
    assert_eq!(api(&w).handle(req).await.status(), 401);
    assert!(
        w.store.with_state(|s| s.presence.is_empty()),
        "nothing written"
    );
}

#[tokio::test]
async fn sample_events_run_through_the_handler() {
    let w = World::us(&[]);
    let h = PresenceApi::new(w.store.clone(), w.clock(), w.config.clone())
        .with_signature_clock(sample_event_clock());
    let put = lambda_http::request::from_str(include_str!("../../../events/presence-api-put.json"))
        .unwrap();
    assert_eq!(body_json(&h.handle(put).await)["status"], "away");
    let get = lambda_http::request::from_str(include_str!("../../../events/presence-api-get.json"))
        .unwrap();
    assert_eq!(
        body_json(&h.handle(get).await),
        json!({"agentId":"a-42","status":"away","override":false})
    );
}

const CONTOSO: &str = r#"{"location":{"country":"US","civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1","FLR":"3","ROOM":"301","PC":"98052","NAM":"Contoso HQ"},"lat":47.6,"lon":-122.1,"radiusM":30,"method":"Manual"}}"#;

#[tokio::test]
async fn a_registered_location_is_kept_graded_and_read_back() {
    let w = World::us(&[]);
    let (status, v, ct) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!(
        (status, v["type"].as_str()),
        (404, Some("urn:lifeline:problem:no-registered-location")),
        "{v}"
    );
    assert_eq!(ct, "application/problem+json");
    let (status, v, _) = call(&w, "PUT", "/agents/a-42/location", CONTOSO).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["agentId"], "a-42");
    assert_eq!(v["locationQuality"], "dispatchable");
    assert_eq!(v["registeredAt"], "2026-11-24T05:00:00Z");
    assert_eq!(v["location"]["civic"]["ROOM"], "301");
    assert_eq!(v["location"]["radiusM"], 30.0);
    let (status, got, _) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!((status, &got), (200, &v));
    assert_eq!(got["fresh"], true);
    // A later registration replaces it; a street alone is partial.
    let (_, v, _) = call(
        &w,
        "PUT",
        "/agents/a-42/location",
        r#"{"location":{"country":"US","civic":{"RD":"Elm St"}}}"#,
    )
    .await;
    assert_eq!(v["locationQuality"], "partial");
    let (_, got, _) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!(got["location"]["civic"], json!({"RD":"Elm St"}));
    // Past the freshness limit it is still shown, not fresh.
    w.clock.advance(chrono::Duration::hours(13));
    let (_, got, _) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!(got["fresh"], false);
}

#[tokio::test]
async fn bad_locations_are_refused_naming_the_field_and_write_nothing() {
    let w = World::us(&[]);
    let cases = [
        (
            r#"{"location":{"civic":{"XYZ":"1"}}}"#,
            "location.civic.XYZ",
        ),
        (r#"{"location":{"civic":{"RD":7}}}"#, "location.civic.RD"),
        (r#"{"location":{"lat":91,"lon":0}}"#, "location.lat"),
        (r#"{"location":{"method":"Telepathy"}}"#, "location.method"),
        (r#"{"location":{}}"#, "location"),
        (r#"{}"#, "location"),
        ("not json", ""),
    ];
    for (body, field) in cases {
        let (status, v, ct) = call(&w, "PUT", "/agents/a-42/location", body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(ct, "application/problem+json");
        if !field.is_empty() {
            assert_eq!(v["field"], field, "{body}: {v}");
        }
    }
    let (status, _, _) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!(status, 404, "nothing was written");
    let (status, v, _) = call(&w, "PUT", "/agents/nobody/location", CONTOSO).await;
    assert_eq!(
        (status, v["type"].as_str()),
        (404, Some("urn:lifeline:problem:unknown-agent"))
    );
    assert!(w.store.with_state(|s| s.locations.is_empty()));
}

#[tokio::test]
async fn a_dial_without_a_location_uses_a_fresh_registered_one() {
    use lifeline_app::service::dial::DialService;
    let w = World::us(&["+14255550199", "+14255550198"]);
    call(&w, "PUT", "/agents/a-42/location", CONTOSO).await;
    let dial = |id: &str, body_location: &str| {
        let body = format!(
            r#"{{"callId":"{id}","agentId":"a-42","dialed":"9 911","from":"+14255550100"{body_location}}}"#
        );
        lifeline_edge::webhook::parse_outbound(body.as_bytes()).unwrap()
    };
    let service = DialService::new(w.store.clone(), w.clock(), w.config.settings.clone());
    let v = serde_json::to_value(service.dial(dial("c-1", "")).await).unwrap();
    assert_eq!(v["action"], "emergency");
    assert_eq!(v["locationSource"], "registered");
    assert_eq!(v["locationQuality"], "dispatchable");
    assert!(
        v.get("locationProvided").is_none(),
        "a location is known: {v}"
    );
    let pidf = v["pidfLo"].as_str().unwrap();
    assert!(
        pidf.contains("Redmond") && pidf.contains("Contoso HQ"),
        "{pidf}"
    );
    let call_id: lifeline_domain::types::CallId = "c-1".parse().unwrap();
    let stored = w.store.with_state(|s| s.calls[&call_id].clone());
    assert_eq!(
        stored.location_source,
        Some(lifeline_domain::location::LocationSource::Registered)
    );
    assert_eq!(
        stored
            .location
            .unwrap()
            .civic
            .get(lifeline_domain::location::CivicKey::ROOM),
        Some("301")
    );
    // The dial's own location wins over the registered one.
    let v = serde_json::to_value(
        service
            .dial(dial(
                "c-2",
                r#","location":{"country":"US","address":"home"}"#,
            ))
            .await,
    )
    .unwrap();
    assert_eq!(
        (v["locationSource"].as_str(), v["locationQuality"].as_str()),
        (Some("call"), Some("partial"))
    );
    // Stale: the profile's country only.
    w.clock.advance(chrono::Duration::hours(13));
    let v = serde_json::to_value(service.dial(dial("c-3", "")).await).unwrap();
    assert_eq!(v["locationSource"], "profile_country");
    assert_eq!(v["locationQuality"], "country_only");
    assert_eq!(v["locationProvided"], false);
}

/// A replayed or straggling PUT signed before the last one applied answers
/// `409 stale_request` and changes nothing: a later status or location is
/// never undone by an older request.
#[tokio::test]
async fn an_older_signed_put_cannot_undo_a_newer_one() {
    let w = World::us(&[]);
    let old_busy = request(&w, "PUT", "/agents/a-42/presence", r#"{"status":"busy"}"#);
    let old_desk = request(
        &w,
        "PUT",
        "/agents/a-42/location",
        r#"{"location":{"country":"US","address":"1 Old Desk Rd, Redmond WA"}}"#,
    );
    w.clock.advance(chrono::Duration::seconds(20));
    let (status, _, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"away"}"#).await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &w,
        "PUT",
        "/agents/a-42/location",
        r#"{"location":{"country":"US","address":"2 New Desk Rd, Redmond WA"}}"#,
    )
    .await;
    assert_eq!(status, 200);

    for replay in [old_busy, old_desk] {
        let resp = api(&w).handle(replay).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        assert_eq!(
            body_json(&resp)["type"],
            "urn:lifeline:problem:stale_request"
        );
    }
    let (_, v, _) = call(&w, "GET", "/agents/a-42/presence", "").await;
    assert_eq!(v["status"], "away", "the newer status stands");
    let (_, v, _) = call(&w, "GET", "/agents/a-42/location", "").await;
    assert_eq!(v["location"]["address"], "2 New Desk Rd, Redmond WA");
    // The same request again (a retry, same signed second) is no conflict.
    let (status, _, _) = call(&w, "PUT", "/agents/a-42/presence", r#"{"status":"away"}"#).await;
    assert_eq!(status, 200);
}
