//! `lifeline doctor` against the emulators: each misconfiguration gives its
//! finding and the exit code a pipeline can act on.

use lifeline_app::ports::AdminStore;
use lifeline_aws::sdk::{load_aws_config, ClientProfile};
use lifeline_cli::doctor::{gather, report, Level, Report, Targets, VoicePlatform};
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
    let conf = load_aws_config(ClientProfile::Admin).await;
    let targets = Targets {
        from: from.into(),
        group: l.table.clone(),
        low_water: LowWater::parse("2").expect("lw"),
        platform,
    };
    let id = agent_id.map(|a| a.parse().expect("id"));
    let lookups = gather(
        &l.store,
        &aws_sdk_sesv2::Client::new(&conf),
        &aws_sdk_scheduler::Client::new(&conf),
        &targets,
        id.as_ref(),
        chrono::Utc::now(),
    )
    .await
    .expect("gather");
    report(&lookups, &targets.low_water, chrono::Utc::now())
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
