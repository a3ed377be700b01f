//! `X-Twilio-Signature` on every route; an emergency dial fails open.

use super::*;

#[tokio::test]
async fn signatures_are_checked_as_twilio_signs() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let form = dial_form("CA2", "+14255550123");
    // Valid.
    let ok = a.handle(genuine("/twilio/outbound", &form)).await;
    assert_eq!(ok.status(), 200);
    // Wrong token.
    let resp = a
        .handle(signed("/twilio/outbound", &form, "another-token", BASE))
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    // A parameter altered after signing.
    let mut req = genuine("/twilio/outbound", &form);
    *req.body_mut() = Body::Text(dial_form("CA2", "+14255550124").to_body());
    assert_eq!(a.handle(req).await.status(), 401);
    // Signed for another URL.
    let req = signed(
        "/twilio/outbound",
        &form,
        "local-twilio-token",
        "https://elsewhere.example.com",
    );
    assert_eq!(a.handle(req).await.status(), 401);
    // No signature.
    let mut req = genuine("/twilio/outbound", &form);
    req.headers_mut().remove(twilio::SIGNATURE_HEADER);
    assert_eq!(a.handle(req).await.status(), 401);
    assert_eq!(world.store.reads() + world.store.writes(), 0);
}

#[tokio::test]
async fn an_emergency_dial_with_a_bad_signature_is_placed_but_not_recorded() {
    let world = World::us(&POOL);
    let a = adapter(&world, config(&[]));
    let form = dial_form("CA3", "911");
    let twiml = twiml_of(
        &a.handle(signed("/twilio/outbound", &form, "rotated-token", BASE))
            .await,
    );
    assert!(
        twiml.contains(
            r#"<Dial callerId="+14255550100" record="do-not-record"><Number>911</Number>"#
        ),
        "{twiml}"
    );
    assert_eq!(world.store.reads() + world.store.writes(), 0);
    // Other routes are simply refused.
    let status = Form::from_pairs([
        ("CallSid", "CA3"),
        ("From", "client:a-42"),
        ("DialCallStatus", "completed"),
    ]);
    assert_eq!(
        a.handle(signed("/twilio/status", &status, "rotated-token", BASE))
            .await
            .status(),
        401
    );
}

/// The auth token not read yet (Secrets Manager down at cold start): an
/// emergency dial is placed as dialed, unrecorded; anything else is refused;
/// once the refresher fills the shared token, requests verify again.
#[tokio::test]
async fn until_the_token_is_read_emergency_dials_fail_open_and_the_rest_is_refused() {
    let world = World::us(&POOL);
    let token = TwilioAuthToken::unset();
    let twilio =
        TwilioConfig::from_lookup_with_token(Mode::Local, |_| None, token.clone()).unwrap();
    let a = adapter(&world, twilio);
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    assert!(
        twiml.contains(r#"<Dial callerId="+14255550100" record="do-not-record""#),
        "{twiml}"
    );
    assert_eq!(
        world.store.writes(),
        0,
        "nothing recorded without a verified request"
    );
    let ordinary = a
        .handle(from_event(sample("twilio-outbound-ordinary.json")))
        .await;
    assert_eq!(ordinary.status(), 401, "{}", body(&ordinary));

    lifeline_edge::secret::SecretSlot::fill(&token, "local-twilio-token", None).unwrap();
    let twiml = twiml_of(&a.handle(from_event(sample("twilio-outbound.json"))).await);
    assert!(
        POOL.iter()
            .any(|n| twiml.contains(&format!(r#"callerId="{n}""#))),
        "{twiml}"
    );
}

/// Without a configured public URL (the template's default on AWS), the
/// adapter takes the host and base path API Gateway received the request
/// on: Twilio's signature over that URL verifies, and the answer's own URLs
/// go back to the same place — behind a named stage too.
#[tokio::test]
async fn without_a_public_url_the_request_s_own_host_is_the_base() {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    use lambda_http::request::RequestContext;
    use lambda_http::RequestExt;

    let world = World::us(&POOL);
    let mut twilio = config(&[]);
    twilio.public_url = PublicUrl::FromRequest;
    let a = adapter(&world, twilio);
    let host = "abc123.execute-api.us-east-1.amazonaws.com";
    for (raw, base) in [
        ("/twilio/outbound", format!("https://{host}")),
        ("/prod/twilio/outbound", format!("https://{host}/prod")),
    ] {
        let form = dial_form(&format!("CA-{}", raw.len()), "911");
        let req = signed("/twilio/outbound", &form, "local-twilio-token", &base);
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.domain_name = Some(host.into());
        context.route_key = Some("POST /twilio/outbound".into());
        let req = req
            .with_request_context(RequestContext::ApiGatewayV2(context))
            .with_raw_http_path(raw);
        let twiml = twiml_of(&a.handle(req).await);
        assert!(
            twiml.contains(&format!(r#"action="{base}/twilio/status""#)),
            "{twiml}"
        );
    }
}
