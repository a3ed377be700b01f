//! Alerts by text message and chat: the SNS adapter against moto, the
//! webhook sender against a local sink, and the CLI storing every channel.

use std::sync::{Arc, Mutex};

use aws_sdk_sns::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sns::config::{ConfigBag, Intercept, RuntimeComponents};
use lifeline_app::ports::{ChatSender, ErrorCode, SendError, SmsSender};
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_aws::sns::SnsSms;
use lifeline_chat::WebhookChat;
use lifeline_domain::recipient::{Channel, ChatHosts, ChatUrl};
use lifeline_domain::types::{AgentId, E164};
use lifeline_e2e::{moto_snapshot, start, ChatSink};

/// Keeps the body of each request the SNS client sends (moto does not keep
/// an SMS's attributes).
#[derive(Debug, Clone, Default)]
struct Bodies(Arc<Mutex<Vec<String>>>);

impl Intercept for Bodies {
    fn name(&self) -> &'static str {
        "AlertsTestBodies"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_sns::error::BoxError> {
        let body = context
            .request()
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(body);
        Ok(())
    }
}

/// A number no other test sends to: +1 425 55x xxxx from the clock.
fn fresh_number() -> E164 {
    let n = chrono::Utc::now().timestamp_subsec_nanos() % 10_000_000;
    format!("+1425{n:07}").parse().expect("a number")
}

#[tokio::test]
async fn a_text_message_reaches_sns_as_transactional() {
    let conf = load_aws_config(ClientProfile::Admin).await;
    let bodies = Bodies::default();
    let client = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&conf)
            .interceptor(bodies.clone())
            .build(),
    );
    let sms = SnsSms::new(client);
    let to = fresh_number();
    let text = format!(
        "Lifeline: emergency call by Ana Diaz ({})",
        uuid::Uuid::new_v4()
    );
    let id = sms.send_sms(&to, &text).await.expect("sent");
    let id = id.expect("SNS gives a message id");

    let data = moto_snapshot().await;
    let kept: Vec<&serde_json::Value> = data["sns"]["SMS"]
        .as_array()
        .expect("moto's SMS list")
        .iter()
        .filter(|m| m["message_id"] == id.as_str())
        .collect();
    assert_eq!(kept.len(), 1, "{data}");
    assert_eq!(kept[0]["phone_number"], to.as_str());
    assert_eq!(kept[0]["message"], text.as_str());

    let sent = bodies.0.lock().unwrap().join("\n");
    for part in [
        "Action=Publish",
        "MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType",
        "MessageAttributes.entry.1.Value.StringValue=Transactional",
        "MessageAttributes.entry.1.Value.DataType=String",
    ] {
        assert!(sent.contains(part), "{part} in {sent}");
    }
}

fn local_chat() -> WebhookChat {
    WebhookChat::new(ChatHosts::parse("127.0.0.1").expect("hosts")).expect("client")
}

#[tokio::test]
async fn a_chat_message_is_one_json_text_post() {
    let sink = ChatSink::start().await;
    let url = ChatUrl::parse(&sink.url("/services/T/B/SECRET")).expect("url");
    let sent = local_chat()
        .send_chat(&url, "Emergency call by Ana Diaz — 911")
        .await;
    assert_eq!(sent, Ok(None));
    assert_eq!(
        sink.posts(),
        vec![serde_json::json!({"text": "Emergency call by Ana Diaz — 911"})]
    );
}

#[tokio::test]
async fn a_5xx_is_transient_a_404_permanent() {
    let sink = ChatSink::start().await;
    let url = ChatUrl::parse(&sink.url("/hook")).expect("url");
    let chat = local_chat();
    sink.answer(500);
    assert_eq!(
        chat.send_chat(&url, "t").await,
        Err(SendError::Transient(ErrorCode::new("Http500")))
    );
    sink.answer(429);
    assert_eq!(
        chat.send_chat(&url, "t").await,
        Err(SendError::Transient(ErrorCode::new("Http429")))
    );
    sink.answer(404);
    let e = chat.send_chat(&url, "t").await;
    assert_eq!(e, Err(SendError::Permanent(ErrorCode::new("Http404"))));
    assert_eq!(sink.bodies().len(), 3);
}

#[tokio::test]
async fn a_host_not_allowed_is_refused_before_any_request() {
    let sink = ChatSink::start().await;
    let url = ChatUrl::parse(&sink.url("/hook")).expect("url");
    let chat =
        WebhookChat::new(ChatHosts::parse("hooks.slack.com").expect("hosts")).expect("client");
    assert_eq!(
        chat.send_chat(&url, "t").await,
        Err(SendError::Permanent(ErrorCode::new("HostNotAllowed")))
    );
    assert!(sink.bodies().is_empty());
}

/// `lifeline agent put --recipients …` stores every channel as written;
/// `agent recipients set` replaces the list; a host not allowed is refused.
#[tokio::test]
async fn the_cli_stores_every_channel() {
    use clap::Parser;
    use lifeline_app::ports::AdminStore;
    use lifeline_cli::cmd::{run, Cli};

    let l = start(0).await;
    // The CLI reads the allow-list as the functions do (one process per test).
    std::env::set_var(lifeline_cli::CHAT_HOSTS_VAR, "127.0.0.1");
    let list = "ana@example.com;sms:+14255550111|es;chat:http://127.0.0.1:9/x";
    let put = Cli::try_parse_from([
        "lifeline",
        "--table",
        &l.table,
        "agent",
        "put",
        "--id",
        "a-77",
        "--name",
        "Ana Diaz",
        "--source-number",
        "+14255550100",
        "--number-type",
        "calling_plan",
        "--recipients",
        list,
    ])
    .expect("arguments");
    run(put).await.expect("agent put");
    let id: AgentId = "a-77".parse().expect("id");
    let a = l.store.get_agent(&id).await.expect("read").expect("stored");
    assert_eq!(
        a.recipients.joined(),
        "ana@example.com; sms:+14255550111|es; chat:http://127.0.0.1:9/x"
    );
    let channels: Vec<Channel> = a.recipients.entries().iter().map(|r| r.channel()).collect();
    assert_eq!(channels, [Channel::Email, Channel::Sms, Channel::Chat]);
    assert_eq!(
        a.recipients.redacted(),
        "ana@example.com; sms:+*******0111|es; chat:http://127.0.0.1/…"
    );

    let set = Cli::try_parse_from([
        "lifeline",
        "--table",
        &l.table,
        "agent",
        "recipients",
        "set",
        "a-77",
        "sms:+14255550122|da",
    ])
    .expect("arguments");
    run(set).await.expect("recipients set");
    let a = l.store.get_agent(&id).await.expect("read").expect("stored");
    assert_eq!(a.recipients.joined(), "sms:+14255550122|da");
    assert!(a.recipients.emails().is_empty());

    let refused = Cli::try_parse_from([
        "lifeline",
        "--table",
        &l.table,
        "agent",
        "recipients",
        "set",
        "a-77",
        "chat:https://evil.example/SECRET",
    ])
    .expect("arguments");
    let e = run(refused)
        .await
        .expect_err("host not allowed")
        .to_string();
    assert!(e.contains("evil.example") && !e.contains("SECRET"), "{e}");
}
