//! Section 6: the voice-platform adapters next to the canonical webhooks.

use lambda_http::{Body, Request};
use lifeline_app::clock::Clock;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_edge::config::Mode;
use lifeline_edge::http::WebhookHandler;
use std::sync::Arc;
use std::time::Instant;

use crate::rig::{fmt_calls, ms, rig, stats, Rig};

/// Connect's and Twilio's adapters in process, over the same rig.
struct Adapters {
    connect: connect_adapter::ConnectAdapter<DynamoStore>,
    twilio: twilio_adapter::TwilioAdapter<DynamoStore>,
    token: twilio_adapter::twilio::TwilioAuthToken,
}

impl Adapters {
    fn new(r: &Rig) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(r.clock.clone());
        let twilio = twilio_adapter::TwilioConfig::from_lookup(Mode::Local, |_| None)
            .expect("local Twilio config");
        Adapters {
            connect: connect_adapter::ConnectAdapter::new(
                r.store.clone(),
                clock.clone(),
                r.config.clone(),
            ),
            token: twilio.auth_token.clone(),
            twilio: twilio_adapter::TwilioAdapter::new(
                r.store.clone(),
                clock,
                r.config.clone(),
                twilio,
            ),
        }
    }

    async fn whisper(&self, contact: &str, agent: &str, dialed: &str) -> serde_json::Value {
        let event = serde_json::json!({"Details": {"ContactData": {"Attributes": {}, "Channel": "VOICE",
            "ContactId": contact, "InitiationMethod": "OUTBOUND",
            "CustomerEndpoint": {"Address": dialed, "Type": "TELEPHONE_NUMBER"},
            "SystemEndpoint": {"Address": "+14255550100", "Type": "TELEPHONE_NUMBER"},
            "InstanceARN": "arn:aws:connect:us-east-1:111122223333:instance/c8c0e68d-2200-4265-82c0-5a4d8e2b1f3c"},
            "Parameters": {"flow": "outbound", "agent": agent}}, "Name": "ContactFlowEvent"});
        self.connect.invoke(event).await.unwrap_or_default()
    }

    async fn connect_inbound(&self, to: &str) -> serde_json::Value {
        let event = serde_json::json!({"Details": {"ContactData": {"Attributes": {}, "ContactId": "in-1",
            "InitiationMethod": "INBOUND",
            "CustomerEndpoint": {"Address": "+12065550911", "Type": "TELEPHONE_NUMBER"},
            "SystemEndpoint": {"Address": to, "Type": "TELEPHONE_NUMBER"}},
            "Parameters": {"flow": "inbound"}}, "Name": "ContactFlowEvent"});
        self.connect.invoke(event).await.unwrap_or_default()
    }

    async fn disconnected(&self, contact: &str, agent: &str) -> serde_json::Value {
        let event = serde_json::json!({"detail-type": "Amazon Connect Contact Event", "source": "aws.connect",
            "detail": {"eventType": "DISCONNECTED", "contactId": contact,
                "agentInfo": {"agentArn": format!("arn:aws:connect:us-east-1:111122223333:instance/x/agent/{agent}")}}});
        self.connect.invoke(event).await.unwrap_or_default()
    }

    /// A signed Twilio webhook; the TwiML.
    async fn twilio(&self, path: &str, params: &[(&str, &str)]) -> String {
        let form = twilio_adapter::twilio::Form::from_pairs(params.iter().copied());
        let sig = twilio_adapter::twilio::expected_signature(
            &self.token,
            &format!("http://127.0.0.1:3000{path}"),
            &form,
        );
        let mut req = Request::new(Body::Text(form.to_body()));
        *req.method_mut() = http::Method::POST;
        *req.uri_mut() = path.parse().expect("uri");
        req.headers_mut()
            .insert("x-twilio-signature", sig.parse().expect("header"));
        match self.twilio.handle(req).await.into_body() {
            Body::Text(t) => t,
            _ => String::new(),
        }
    }

    async fn twilio_dial(&self, sid: &str, agent: &str, to: &str) -> String {
        let from = format!("client:{agent}");
        self.twilio(
            "/twilio/outbound",
            &[
                ("CallSid", sid),
                ("From", &from),
                ("To", to),
                ("CallerId", "+14255550100"),
            ],
        )
        .await
    }
}

pub(crate) async fn section_adapters(conf: &aws_config::SdkConfig, n: usize) {
    println!(
        "## 6. Voice-platform adapters
"
    );
    println!("The same core behind Amazon Connect's and Twilio's contracts: requests per operation, and in-process latency next to the canonical webhook ({n} runs each).\n");
    println!("| operation | requests |\n|---|---|");
    let r = rig(conf, 3 * n + 10, 3 * n + 2).await;
    let a = Adapters::new(&r);
    let row = |op: &str| {
        println!("| {op} | {} |", fmt_calls(&r.calls.snapshot()));
        r.calls.reset();
    };
    a.whisper("w-0", "b-0", "+14255550123").await;
    row("Connect whisper, ordinary");
    let out = a.whisper("w-1", "b-0", "+1911").await;
    row("Connect whisper, emergency");
    let number = out["callerIdNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    a.connect_inbound(&number).await;
    row("Connect inbound callback");
    a.disconnected("w-1", "b-0").await;
    row("Connect DISCONNECTED");
    a.twilio_dial("CAt0", "b-1", "+14255550123").await;
    row("Twilio outbound, ordinary");
    let twiml = a.twilio_dial("CAt1", "b-1", "911").await;
    row("Twilio outbound, emergency");
    let leased = twiml
        .split("callerId=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string();
    a.twilio(
        "/twilio/inbound",
        &[
            ("CallSid", "CAin"),
            ("From", "+12065550911"),
            ("To", &leased),
        ],
    )
    .await;
    row("Twilio inbound callback");
    a.twilio(
        "/twilio/status",
        &[
            ("CallSid", "CAt1"),
            ("From", "client:b-1"),
            ("DialCallStatus", "completed"),
        ],
    )
    .await;
    row("Twilio status (end)");
    println!();

    let (mut canon, mut whisper, mut twilio) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // An agent of its own for each entry point: every dial leases afresh.
        let (x, y, z) = (
            format!("b-{}", 2 + i),
            format!("b-{}", 2 + n + i),
            format!("b-{}", 2 + 2 * n + i),
        );
        let t = Instant::now();
        r.dial(&format!("lc-{i}"), &x, "911").await;
        canon.push(ms(t.elapsed()));
        let t = Instant::now();
        a.whisper(&format!("lw-{i}"), &y, "+1911").await;
        whisper.push(ms(t.elapsed()));
        let t = Instant::now();
        a.twilio_dial(&format!("CAl{i}"), &z, "911").await;
        twilio.push(ms(t.elapsed()));
    }
    let canon = stats(canon);
    println!("| emergency dial via | p50 ms | p99 ms | p50 ratio to the canonical webhook |\n|---|---|---|---|");
    for (name, s) in [
        ("POST /calls/outbound (canonical)", &canon),
        ("Connect outbound whisper", &stats(whisper)),
        ("Twilio /twilio/outbound", &stats(twilio)),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2}× |",
            s.p50,
            s.p99,
            s.p50 / canon.p50
        );
    }
    println!();
}
