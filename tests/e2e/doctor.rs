//! `lifeline doctor` against the emulators: each misconfiguration gives its
//! finding and the exit code a pipeline can act on.

use lifeline_app::ports::AdminStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_cli::doctor::{
    gather, report, AwsReadiness, Finding, Level, Report, Targets, VoicePlatform,
};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::NumberType;
use lifeline_e2e::{agent, start, Local, NOTIFY_FROM};
use lifeline_edge::config::LowWater;

async fn doctor(l: &Local, from: &str, agent_id: Option<&str>) -> Report {
    doctor_for(l, from, agent_id, VoicePlatform::Webhook).await
}

async fn doctor_for(
    l: &Local,
    from: &str,
    agent_id: Option<&str>,
    platform: VoicePlatform,
) -> Report {
    let targets = Targets {
        from: from.into(),
        group: l.table.clone(),
        low_water: LowWater::parse("2").expect("lw"),
        platform,
        call_path_reserved: 100,
        webhook_secret: None,
        // The stack's defaults (the CLI reads them from the environment).
        location_fresh_for: chrono::Duration::hours(12),
        twilio_last_resort: None,
        platform_presence: Default::default(),
    };
    doctor_at(l, &targets, agent_id, chrono::Utc::now()).await
}

/// The report for `targets`, as if made at `now`.
async fn doctor_at(
    l: &Local,
    targets: &Targets,
    agent_id: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Report {
    let conf = load_aws_config(ClientProfile::Admin).await;
    let aws = AwsReadiness {
        store: &l.store,
        ses: &aws_sdk_sesv2::Client::new(&conf),
        scheduler: &aws_sdk_scheduler::Client::new(&conf),
        secrets: &aws_sdk_secretsmanager::Client::new(&conf),
    };
    let id = agent_id.map(|a| a.parse().expect("id"));
    let lookups = gather(&aws, targets, id.as_ref(), now)
        .await
        .expect("gather");
    report(&lookups, &targets.low_water, now)
}

fn level_of(r: &Report, scope: &str, check: &str) -> Level {
    r.findings
        .iter()
        .find(|f| f.scope == scope && f.check == check)
        .unwrap_or_else(|| panic!("no {scope}/{check} in {}", r.to_text()))
        .level
}

#[tokio::test]
async fn a_fully_set_up_agent_passes() {
    let l = start(3).await;
    let r = doctor(&l, NOTIFY_FROM, Some("a-42")).await;
    assert_eq!(
        level_of(&r, "agent a-42", "registered location"),
        Level::Warning,
        "none registered yet"
    );
    // The desktop registers a dispatchable location at shift start.
    let dispatchable = lifeline_domain::location::Location {
        country: Some("US".into()),
        civic: [
            ("HNO", "1"),
            ("RD", "Main St"),
            ("A3", "Redmond"),
            ("A1", "WA"),
        ]
        .into_iter()
        .map(|(k, v)| (k.parse().unwrap(), v.to_string()))
        .collect(),
        ..Default::default()
    };
    let registered = l
        .request(
            reqwest::Method::PUT,
            "/agents/a-42/location",
            Some(&serde_json::json!({ "location": dispatchable })),
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.json);
    let r = doctor(&l, NOTIFY_FROM, Some("a-42")).await;
    println!("{}", r.to_text());
    assert_eq!(r.exit_code(), 0, "{}", r.to_text());
    assert!(r.findings.iter().all(|f| f.level == Level::Ok));
}

#[tokio::test]
async fn a_twilio_deployment_is_reminded_of_emergency_addresses() {
    let l = start(3).await;
    let r = doctor_for(&l, NOTIFY_FROM, Some("a-42"), VoicePlatform::Twilio).await;
    assert_eq!(
        level_of(&r, "deployment", "twilio emergency addresses"),
        Level::Warning
    );
    // No LIFELINE_TWILIO_LAST_RESORT in this environment: the adapter would
    // not start, and a missed callback would reach nobody.
    assert_eq!(
        level_of(&r, "deployment", "twilio last resort"),
        Level::Error
    );
    assert_eq!(r.exit_code(), 2, "{}", r.to_text());
}

#[tokio::test]
async fn each_misconfiguration_is_found() {
    let l = start(3).await;
    // a-43 is direct routing; the tenant has neither a rule nor calling-plan numbers.
    let mut fr = agent("a-fr", Country::US, NumberType::CallingPlan, "+14255550170");
    fr.country = None;
    // A home country no region of the metadata has.
    fr.other_country = Some("ZZ".into());
    l.store.put_agent(&fr).await.expect("agent");
    let mut no_ovp = agent(
        "a-noovp",
        Country::US,
        NumberType::CallingPlan,
        "+14255550171",
    );
    no_ovp.outbound_profile = None;
    l.store.put_agent(&no_ovp).await.expect("agent");
    // A GB agent and an empty GB pool.
    l.store
        .put_agent(&agent(
            "a-gb",
            Country::GB,
            NumberType::CallingPlan,
            "+442071838750",
        ))
        .await
        .expect("agent");

    let r = doctor(&l, NOTIFY_FROM, None).await;
    println!("{}", r.to_text());
    assert_eq!(level_of(&r, "agent a-fr", "location"), Level::Error);
    assert_eq!(
        level_of(&r, "agent a-noovp", "outbound profile"),
        Level::Error
    );
    assert_eq!(level_of(&r, "agent a-43", "route"), Level::Warning);
    assert_eq!(level_of(&r, "agent a-42", "route"), Level::Ok);
    let gb = r
        .findings
        .iter()
        .find(|f| f.check == "pool" && f.detail.contains("GB"))
        .expect("GB pool");
    assert!(
        gb.detail.contains("no callback-number pool"),
        "no pool at all, not an exhausted one: {}",
        gb.detail
    );
    assert_eq!(gb.level, Level::Error);
    let us = r
        .findings
        .iter()
        .find(|f| f.check == "pool" && f.detail.starts_with("US"))
        .expect("US pool");
    assert_eq!(us.level, Level::Ok);
    assert_eq!(r.exit_code(), 2);

    // A missing sending identity.
    let r = doctor(&l, "nobody@unverified.example", Some("a-42")).await;
    assert_eq!(level_of(&r, "deployment", "mail identity"), Level::Error);
    assert_eq!(r.exit_code(), 2);

    // Only a warning left: exit 1.
    let r = doctor(&l, NOTIFY_FROM, Some("a-43")).await;
    assert_eq!(r.exit_code(), 1, "{}", r.to_text());
}

fn finding<'r>(r: &'r Report, check: &str) -> &'r Finding {
    r.findings
        .iter()
        .find(|f| f.scope == "deployment" && f.check == check)
        .unwrap_or_else(|| panic!("no {check} in {}", r.to_text()))
}

/// Fewer executions reserved for the call path than agents: a warning.
#[tokio::test]
async fn a_call_path_reserved_below_the_agents_is_warned_of() {
    let l = start(3).await;
    let agents = l.store.list_agents().await.expect("agents").len();
    assert!(agents >= 2, "{agents}");
    let mut targets = Targets {
        from: NOTIFY_FROM.into(),
        group: l.table.clone(),
        low_water: LowWater::parse("2").expect("lw"),
        platform: VoicePlatform::Webhook,
        call_path_reserved: u32::try_from(agents - 1).expect("few"),
        webhook_secret: None,
        // The stack's defaults (the CLI reads them from the environment).
        location_fresh_for: chrono::Duration::hours(12),
        twilio_last_resort: None,
        platform_presence: Default::default(),
    };
    // Only one agent checked: every agent still counts.
    let r = doctor_at(&l, &targets, Some("a-42"), chrono::Utc::now()).await;
    let call_path = finding(&r, "call path");
    assert_eq!(call_path.level, Level::Warning, "{}", r.to_text());
    assert!(
        call_path
            .detail
            .contains(&format!("fewer than the {agents} agents")),
        "{}",
        call_path.detail
    );
    targets.call_path_reserved = 100;
    let r = doctor_at(&l, &targets, Some("a-42"), chrono::Utc::now()).await;
    assert_eq!(finding(&r, "call path").level, Level::Ok);
}

/// The webhook secret rotated in Secrets Manager (moto): the previous value
/// still accepted more than a week later is warned of, until retired.
#[tokio::test]
async fn a_previous_webhook_secret_left_for_a_week_is_warned_of() {
    let l = start(1).await;
    let conf = load_aws_config(ClientProfile::Admin).await;
    let client = aws_sdk_secretsmanager::Client::new(&conf);
    let arn = client
        .create_secret()
        .name(format!("lifeline-e2e/{}", uuid::Uuid::new_v4().simple()))
        .secret_string(lifeline_cli::new_webhook_secret())
        .send()
        .await
        .expect("create the secret in moto")
        .arn
        .expect("an ARN");
    let targets = Targets {
        from: NOTIFY_FROM.into(),
        group: l.table.clone(),
        low_water: LowWater::parse("2").expect("lw"),
        platform: VoicePlatform::Webhook,
        call_path_reserved: 100,
        webhook_secret: Some(arn.clone()),
        // The stack's defaults (the CLI reads them from the environment).
        location_fresh_for: chrono::Duration::hours(12),
        twilio_last_resort: None,
        platform_presence: Default::default(),
    };
    let now = chrono::Utc::now();
    let r = doctor_at(&l, &targets, None, now).await;
    assert_eq!(
        finding(&r, "webhook secret").detail,
        "only the current value is accepted"
    );

    lifeline_aws::secrets::rotate(&client, &arn, &lifeline_cli::new_webhook_secret())
        .await
        .expect("rotate");
    let r = doctor_at(&l, &targets, None, now).await;
    assert_eq!(
        finding(&r, "webhook secret").level,
        Level::Ok,
        "{}",
        r.to_text()
    );
    // Eight days on, the rotation was never finished.
    let later = now + chrono::Duration::days(8);
    let r = doctor_at(&l, &targets, None, later).await;
    let secret = finding(&r, "webhook secret");
    println!("{}", r.to_text());
    assert_eq!(secret.level, Level::Warning);
    assert!(
        secret
            .advice
            .as_deref()
            .unwrap_or("")
            .contains("lifeline secret retire-previous"),
        "{secret:?}"
    );

    assert!(lifeline_aws::secrets::retire_previous(&client, &arn)
        .await
        .expect("retire"));
    let r = doctor_at(&l, &targets, None, later).await;
    assert_eq!(finding(&r, "webhook secret").level, Level::Ok);

    // A secret that cannot be read is said, and the report is still made.
    let targets = Targets {
        webhook_secret: Some(format!("{arn}-missing")),
        ..targets
    };
    let r = doctor_at(&l, &targets, None, now).await;
    assert_eq!(finding(&r, "webhook secret").level, Level::Warning);
}
