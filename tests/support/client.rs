//! Requests to a running rig: signed webhooks, Twilio's forms, the local routes.

use crate::rig::Local;
use lifeline_aws::scheduler::parse_at;
use lifeline_edge::webhook::Signed;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
}

/// The local Twilio auth token the runner checks signatures with.
pub const TWILIO_TOKEN: &str = "local-twilio-token";

/// A TwiML answer.
pub struct TwimlReply {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Local {
    /// The endpoint URL an AWS SDK reaches this runner's Lambda Invoke API
    /// at: the token travels in its path (an SDK sends no header of ours).
    pub fn sdk_endpoint(&self) -> String {
        format!("{}{}{}", self.base, lifeline_local::SDK_PREFIX, self.token)
    }

    /// Until nothing more happens on its own: the stream read to its end,
    /// every asynchronous delivery (retries included) done or given up on.
    /// What a test waits for before it checks that something did NOT happen.
    pub async fn settled(&self) {
        assert!(
            self.system
                .settled(std::time::Duration::from_secs(30))
                .await,
            "the runner did not settle within 30 s"
        );
    }

    /// `POST /_local/invoke/<function>` with a raw event: the output (or the
    /// runtime's error document) and whether it is a function error.
    pub async fn invoke(&self, function: &str, event: &Value) -> (Value, bool) {
        let resp = self
            .http
            .post(format!(
                "{}/_local/invoke/{function}?resign=true",
                self.base
            ))
            .header(lifeline_local::TOKEN_HEADER, &self.token)
            .json(event)
            .send()
            .await
            .expect("runner answers");
        assert_eq!(resp.status(), 200, "invoke {function}");
        let error = resp.headers().contains_key("x-amz-function-error");
        (resp.json().await.expect("JSON output"), error)
    }

    /// A form POST to a `/twilio/*` route, signed as Twilio signs it for
    /// `url_base` (this runner's base URL for a genuine request).
    pub async fn twilio(
        &self,
        path_and_query: &str,
        params: &[(&str, &str)],
        token: &str,
        url_base: &str,
    ) -> TwimlReply {
        let signature = twilio_signature(path_and_query, params, token, url_base);
        let body = twilio_adapter::twilio::Form::from_pairs(params.iter().copied()).to_body();
        self.twilio_post(path_and_query, body, &signature).await
    }

    /// A form POST to a `/twilio/*` route with this body and signature.
    pub async fn twilio_post(
        &self,
        path_and_query: &str,
        body: String,
        signature: &str,
    ) -> TwimlReply {
        let resp = self
            .http
            .post(format!("{}{path_and_query}", self.base))
            .header("x-twilio-signature", signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        TwimlReply {
            status,
            content_type,
            text: resp.text().await.unwrap_or_default(),
        }
    }

    /// A signed request with any method (a GET signs an empty body).
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        let raw = body.map(Value::to_string).unwrap_or_default();
        let signed = Signed::new(method.as_str(), path, raw.as_bytes());
        let sig = self.secret.sign(chrono::Utc::now().timestamp(), signed);
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("x-lifeline-signature", sig)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        let json = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            json,
        }
    }

    /// The schedules in this test's group: name → when it fires.
    pub async fn schedule_times(&self) -> BTreeMap<String, chrono::DateTime<chrono::Utc>> {
        let mut out = BTreeMap::new();
        let page = self
            .schedules
            .list_schedules()
            .group_name(&self.table)
            .send()
            .await
            .expect("list schedules");
        for name in page.schedules().iter().filter_map(|s| s.name()) {
            let s = self
                .schedules
                .get_schedule()
                .group_name(&self.table)
                .name(name)
                .send()
                .await
                .expect("get");
            if let Some(at) = s.schedule_expression().and_then(parse_at) {
                out.insert(name.to_string(), at);
            }
        }
        out
    }

    /// Polls until the schedules satisfy `ok` (the stream is asynchronous).
    pub async fn wait_for_schedules(
        &self,
        what: &str,
        ok: impl Fn(&BTreeMap<String, chrono::DateTime<chrono::Utc>>) -> bool,
    ) -> BTreeMap<String, chrono::DateTime<chrono::Utc>> {
        let started = std::time::Instant::now();
        loop {
            let s = self.schedule_times().await;
            if ok(&s) {
                return s;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "schedules never {what}: {s:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The runner's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use lifeline_app::clock::Clock;
        self.system.clock.now()
    }

    pub async fn presence(&self, agent: &str) -> Value {
        self.request(
            reqwest::Method::GET,
            &format!("/agents/{agent}/presence"),
            None,
        )
        .await
        .json
    }

    /// Polls the presence until `status` (at most `limit`); how long it took.
    pub async fn wait_for_status(
        &self,
        agent: &str,
        status: &str,
        limit: std::time::Duration,
    ) -> std::time::Duration {
        let started = std::time::Instant::now();
        loop {
            let v = self.presence(agent).await;
            if v["status"] == status {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{agent} still {v} after {limit:?}, waiting for {status}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// A signed webhook, as the voice platform sends it.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        let raw = body.to_string();
        let sig = self.secret.sign(
            chrono::Utc::now().timestamp(),
            Signed::post(path, raw.as_bytes()),
        );
        self.post_raw(path, &raw, Some(&sig)).await
    }

    pub async fn post_raw(&self, path: &str, raw: &str, signature: Option<&str>) -> Reply {
        self.send_raw(reqwest::Method::POST, path, raw, signature)
            .await
    }

    /// Any method, exactly these bytes and this signature header (replays).
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        raw: &str,
        signature: Option<&str>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(raw.to_string());
        if let Some(s) = signature {
            req = req.header("x-lifeline-signature", s);
        }
        let resp = req.send().await.expect("runner answers");
        let (status, content_type) = status_and_type(&resp);
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            json,
        }
    }

    /// Moves the runner's clock; how many schedules fired.
    /// dial-intake's container made warm as the runner's start makes it:
    /// every profile, the tenant's settings, each country's candidates.
    pub async fn warm_up(&self) {
        self.system.warm_up().await.expect("warm-up reads");
    }

    pub async fn advance(&self, minutes: i64) -> u64 {
        let r = self
            .http
            .post(format!("{}/_local/clock", self.base))
            .header(lifeline_local::TOKEN_HEADER, &self.token)
            .body(serde_json::json!({ "advanceMinutes": minutes }).to_string())
            .send()
            .await
            .expect("clock");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("clock answer");
        v["schedulesFired"].as_u64().unwrap_or(0)
    }

    /// Whether the table holds `call`'s record (a consistent read): what an
    /// attack must not have written.
    pub async fn call_recorded(&self, call: &str) -> bool {
        use aws_sdk_dynamodb::types::AttributeValue::S;
        let item = self
            .store
            .client()
            .get_item()
            .table_name(&self.table)
            .key("pk", S(format!("CALL#{call}")))
            .key("sk", S("CALL".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem on DynamoDB Local");
        item.item().is_some()
    }

    pub async fn get(&self, path: &str) -> Reply {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("runner answers");
        let status = resp.status().as_u16();
        let json = resp.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            content_type: String::new(),
            json,
        }
    }
}

/// `X-Twilio-Signature` of these parameters POSTed to `url_base` + `path_and_query`.
pub fn twilio_signature(
    path_and_query: &str,
    params: &[(&str, &str)],
    token: &str,
    url_base: &str,
) -> String {
    use twilio_adapter::twilio::{expected_signature, Form, TwilioAuthToken};
    let form = Form::from_pairs(params.iter().copied());
    let token = TwilioAuthToken::new(token).expect("token");
    expected_signature(&token, &format!("{url_base}{path_and_query}"), &form)
}

fn status_and_type(resp: &reqwest::Response) -> (u16, String) {
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (resp.status().as_u16(), content_type)
}
