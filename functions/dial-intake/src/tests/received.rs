//! The dial's budget from API Gateway's receipt, and `POST /calls/presented`:
//! what a platform that presented another number reports.

use super::*;

/// The budget counts from API Gateway's receipt (`requestContext.timeEpoch`):
/// a dial that reached the handler 2.4 s late (a cold start) with a store
/// that never answers in time is answered within the platform's patience
/// (the budget + 500 ms from receipt), degraded, instead of 2.5 s later.
#[tokio::test(start_paused = true)]
async fn a_late_start_is_answered_within_the_budget_counted_from_receipt() {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let r = rig();
    r.store.delay_reads(std::time::Duration::from_secs(10));
    let req = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &dial_body("c-late", "a-42", "911", Some("US")),
        r.clock.now().timestamp(),
    );
    let mut context =
        lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.time_epoch = (r.clock.now() - Duration::milliseconds(2400)).timestamp_millis();
    let req = req.with_request_context(RequestContext::ApiGatewayV2(context));
    let started = tokio::time::Instant::now();
    let resp = r.handler.handle(req).await;
    let took = started.elapsed();
    let v = body_json(&resp);
    assert_eq!(resp.status(), 200);
    assert_eq!(
        (v["action"].as_str(), v["degraded"].as_bool()),
        (Some("emergency"), Some(true)),
        "{v}"
    );
    assert_eq!(v["callerId"], "+14255550100");
    // 2.4 s already spent: at most 250 ms more (the record's share).
    assert!(took <= std::time::Duration::from_millis(260), "{took:?}");
}

/// A receipt time older than API Gateway ever waits (a sample or replayed
/// event) is no live request's: the whole budget, a leased number.
#[tokio::test]
async fn a_receipt_time_no_live_request_has_is_ignored() {
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;
    let r = rig();
    let req = signed(
        &r.config.webhook_secret,
        "/calls/outbound",
        &dial_body("c-old", "a-42", "911", Some("US")),
        r.clock.now().timestamp(),
    );
    let mut context =
        lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    context.time_epoch = (r.clock.now() - Duration::days(2)).timestamp_millis();
    let resp = r
        .handler
        .handle(req.with_request_context(RequestContext::ApiGatewayV2(context)))
        .await;
    let v = body_json(&resp);
    assert_eq!(v["degraded"], false, "{v}");
    assert!(
        US_POOL.contains(&v["callerId"].as_str().unwrap_or_default()),
        "{v}"
    );
}

/// A word no platform reports.
const BOGUS: &str = "down";

/// A-42's call `call` placed with the own number: Lifeline was not asked.
fn report_body(call: &str) -> Value {
    json!({"callId": call, "agentId": "a-42", "dialed": "911",
        "callerId": "+14255550100", "reason": "fail_open"})
}

/// `POST /calls/presented` through the handler: a fail-open Lifeline never
/// saw is recorded (204), a repeat is a 204 that writes nothing, and a bad
/// `reason` is a 400 naming it, writing nothing.
#[tokio::test]
async fn a_presented_report_records_the_call_once_and_a_bad_one_is_refused() {
    let r = rig();
    let post = |body: Value| {
        let req = signed(
            &r.config.webhook_secret,
            PRESENTED_PATH,
            &body.to_string(),
            r.clock.now().timestamp(),
        );
        r.handler.handle(req)
    };
    let report = report_body("c-p");
    assert_eq!(post(report.clone()).await.status(), 204);
    let call: lifeline_domain::types::CallId = "c-p".parse().unwrap();
    let recorded = r
        .store
        .with_state(|s| s.calls.get(&call).cloned())
        .expect("recorded");
    assert_eq!(recorded.caller_id.as_str(), "+14255550100");
    let writes = r.store.writes();
    assert_eq!(post(report).await.status(), 204);
    assert_eq!(r.store.writes(), writes, "a repeat writes nothing");
    let mut bogus = report_body("c-q");
    bogus["reason"] = json!(BOGUS);
    let bad = post(bogus).await;
    assert_eq!(bad.status(), 400);
    assert_eq!(body_json(&bad)["field"], "reason");
    let none: lifeline_domain::types::CallId = "c-q".parse().unwrap();
    assert!(r.store.with_state(|s| !s.calls.contains_key(&none)));
}
