//! An admin: edits the template with its live preview (refused as `lifeline
//! template push` refuses, then saved and in force for the next alert),
//! adds a pool number, changes an agent's recipients and the escalation
//! policy, sees readiness, and replays a dead letter once confirmed.

use std::time::Duration;

use lifeline_app::ports::{AdminStore, EscalationStore, TemplateStore};
use lifeline_domain::locale::Locale;
use lifeline_domain::numbers::Country;
use lifeline_e2e::{emails_to, start_with};

use super::{ConsoleRig, ADMIN};
use crate::channels::{arrival, dial, every_channel};

#[tokio::test]
async fn the_admin_edits_the_template_with_the_preview_and_the_next_alert_uses_it() {
    let r = ConsoleRig::start().await;
    let sink = lifeline_e2e::ChatSink::start().await;
    let (email, _) = every_channel(&r.l, "a-71", &sink).await;
    r.sign_in(ADMIN).await;
    r.goto("/console/template").await;
    r.wait_for("the editor", "#view", "Save as version 1").await;
    r.wait_for("the first preview", "#preview", "Preview: alert")
        .await;

    // A subject the push refuses: the preview says so, in the push's words.
    r.type_into("#alert-subject", "{{ agent_name | safe }}")
        .await;
    r.wait_for("the refusal", "#preview", "template not saved:")
        .await;
    // A good one: the preview shows it, rendered with sample data.
    r.type_into(
        "#alert-subject",
        "CONSOLE EDIT: {{ agent_name }} dialed 911",
    )
    .await;
    r.wait_for("the preview", "#preview", "CONSOLE EDIT:").await;
    r.shot("template.png").await;
    r.click("#template-form button[type=submit]").await;
    r.wait_for("saved", "#outcome", "version 1 saved and in force")
        .await;
    let saved =
        r.l.store
            .current_family(Locale::En)
            .await
            .expect("read")
            .expect("saved");
    assert_eq!(
        (saved.version, saved.edited.len()),
        (1, 1),
        "only the subject is an edit"
    );

    // The next alert is written with it.
    let call = format!("ct-{}", &r.l.table[4..16]);
    dial(&r.l, &call, "911").await;
    let (mails, _) = arrival("the e-mail", || async {
        let m = emails_to(&email).await;
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(
        mails[0].subject.starts_with("CONSOLE EDIT: "),
        "{}",
        mails[0].subject
    );
    // The language of recipients who name none (after the alert: an
    // e-mail recipient without one would now get Spanish).
    r.c()
        .find(fantoccini::Locator::Css("#default-locale"))
        .await
        .expect("the locale's select")
        .select_by_value("es")
        .await
        .expect("chosen");
    r.click("form[data-api$='default-locale'] button").await;
    r.wait_for("set", "#outcome", "now get es").await;
    assert_eq!(
        r.l.store.tenant_locale().await.expect("read"),
        Some(Locale::Es)
    );

    r.close().await;
}

#[tokio::test]
async fn the_admin_adds_a_pool_number_sets_recipients_and_escalation_and_sees_readiness() {
    let r = ConsoleRig::start().await;
    let sink = lifeline_e2e::ChatSink::start().await;
    every_channel(&r.l, "a-71", &sink).await;
    dial(&r.l, &format!("cp-{}", &r.l.table[4..16]), "911").await;
    r.sign_in(ADMIN).await;

    // Pools: the chart's figures and where the leased number is, then a
    // number added through the form.
    r.goto("/console/pools").await;
    r.wait_for("the US pool", "#view", "1 free, 1 leased").await;
    r.wait_for("the leased number's agent", "#view table", "a-71")
        .await;
    r.type_into("#pool-country", "US").await;
    r.type_into("#pool-numbers", "not-a-number").await;
    r.click("#view form button").await;
    r.wait_for("the refusal", "#outcome", "`not-a-number`")
        .await;
    r.type_into("#pool-numbers", "+14255550188").await;
    r.click("#view form button").await;
    r.wait_for("added", "#outcome", "Added 1 to the US pool")
        .await;
    r.wait_for("the chart again", "#view", "2 free, 1 leased")
        .await;
    r.shot("pools.png").await;
    let pool =
        r.l.store
            .list_pool(Some(Country::US), chrono::Utc::now())
            .await
            .expect("pool");
    assert!(pool.iter().any(|n| n.number == "+14255550188"));

    // Agents: a-42's recipients replaced, with the CLI's parser.
    r.goto("/console/agents").await;
    r.wait_for("the agents", "#view", "(a-42)").await;
    r.type_into("#recipients-a-42", "desk@example.com; sms:+14255550177")
        .await;
    r.click("#view section[aria-labelledby='agent-a-42'] form button")
        .await;
    r.wait_for("saved", "#outcome", "Agent a-42: 2 recipient(s) saved")
        .await;
    r.wait_for("the channels", "#view", "e-mail 1, SMS 1").await;
    r.shot("agents.png").await;
    let a42 =
        r.l.store
            .get_agent(&"a-42".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(a42.recipients.len(), 2);

    // Escalation: tier 2 after 5 minutes.
    r.goto("/console/escalation").await;
    r.wait_for("the policy", "#view", "1 (security desk)").await;
    r.type_into("#esc-tier", "2").await;
    r.type_into("#esc-after", "5").await;
    r.type_into("#esc-recipients", "boss@example.com").await;
    r.click("#view form button").await;
    r.wait_for("saved", "#outcome", "Escalation policy saved")
        .await;
    r.wait_for("the tier", "#view", "5 min after the incident opened")
        .await;
    r.shot("escalation.png").await;
    let policy = r.l.store.escalation_policy().await.expect("policy");
    assert_eq!(policy.tiers[0].after, chrono::Duration::minutes(5));

    // Readiness: lifeline doctor's checks, each with its verdict.
    r.goto("/console/readiness").await;
    r.wait_for("the checks", "#view", "checked at").await;
    r.wait_for("the sender's check", "#view", "lifeline@example.com")
        .await;
    r.shot("readiness.png").await;
    r.close().await;
}

/// SES down past Lambda's retries: the alert's event is a dead letter; the
/// admin replays it from the console once confirmed, and the e-mail goes
/// out exactly once.
#[tokio::test]
async fn the_admin_replays_a_dead_letter_once_confirmed() {
    let retries = lifeline_edge::events::ASYNC_DELIVERY.max_retries as usize;
    let pool =
        lifeline_e2e::LocalPool::create(&format!("dlq-{}", uuid::Uuid::new_v4().simple())).await;
    pool.add_user(ADMIN.0, ADMIN.1, &["admin"]).await;
    let fail = (retries + 1).to_string();
    let l = start_with(
        1,
        &[
            ("LIFELINE_E2E_SES_FAIL_FIRST", &fail),
            ("LIFELINE_CONSOLE_ISSUER", &pool.issuer),
            ("LIFELINE_CONSOLE_CLIENT_ID", &pool.client_id),
            ("LIFELINE_CONSOLE_JWKS_URL", &pool.jwks_url),
        ],
    )
    .await;
    let r = ConsoleRig {
        l,
        browser: lifeline_e2e::Browser::start().await,
    };
    let sink = lifeline_e2e::ChatSink::start().await;
    let (email, number) = every_channel(&r.l, "a-71", &sink).await;
    // Only the e-mail fails: the agent's other channels are not SES.
    dial(&r.l, &format!("cd-{}", &r.l.table[4..16]), "911").await;
    let started = std::time::Instant::now();
    while r.l.dead_letters().await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no dead letter"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    r.sign_in(ADMIN).await;
    r.goto("/console/dead-letters").await;
    r.wait_for("the letter", "#view", "notifier-failures").await;
    r.shot("dead-letters.png").await;
    // Shown whole, masked: no full number of the agent's recipients.
    r.click("#view table a").await;
    r.wait_for("the letter shown", "#view pre", "payload").await;
    let shown = r
        .c()
        .find(fantoccini::Locator::Css("#view pre"))
        .await
        .expect("the letter")
        .text()
        .await
        .expect("its text");
    for full in [&number[1..], "4255550170"] {
        assert!(!shown.contains(full), "masked: {shown}");
    }
    r.click("#view a").await;
    r.wait_for("the list again", "#view", "notifier-failures")
        .await;
    // Dismissed: nothing replayed.
    r.click("#view form button").await;
    r.c().dismiss_alert().await.expect("the confirmation");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(emails_to(&email).await.is_empty());
    // Confirmed: replayed through the notifier, and removed.
    r.click("#view form button").await;
    r.c().accept_alert().await.expect("the confirmation");
    r.wait_for("replayed", "#outcome", "replayed 1").await;
    arrival("the e-mail", || async {
        emails_to(&email).await.into_iter().next()
    })
    .await;
    r.l.settled().await;
    assert_eq!(emails_to(&email).await.len(), 1, "exactly once");
    assert!(r.l.dead_letters().await.is_empty(), "replayed, so removed");
    r.wait_for("the list again", "#view", "No dead letter")
        .await;
    r.close().await;
}
