//! `agent location set` and `show` over the memory store: parsed as the
//! command line gives them, registered as the HTTP route registers them.

use super::*;
use crate::cmd::agent::AgentCmd;
use crate::cmd::{Cli, Command, Failure};
use clap::Parser;
use lifeline_domain::call::AgentProfile;
use lifeline_domain::recipient::Recipients;
use lifeline_domain::testing::{agent, at};

fn t(min: i64) -> chrono::DateTime<chrono::Utc> {
    at("2026-11-24T05:00:00Z") + chrono::Duration::minutes(min)
}

/// A store that keeps the TTL it was given (the memory store drops it).
struct KeepsTtl {
    inner: lifeline_app::fakes::MemoryStore,
    ttl: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

#[async_trait::async_trait]
impl LocationStore for KeepsTtl {
    async fn registered_location(
        &self,
        agent: &AgentId,
    ) -> Result<
        (bool, Option<lifeline_domain::location::RegisteredLocation>),
        lifeline_app::ports::StoreError,
    > {
        self.inner.registered_location(agent).await
    }

    async fn register_location(
        &self,
        agent: &AgentId,
        registered: &lifeline_domain::location::RegisteredLocation,
        ttl: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), LocationError> {
        *self.ttl.lock().unwrap() = Some(ttl);
        self.inner.register_location(agent, registered, ttl).await
    }
}

/// A location service over a store holding agent a-42, at t(0), fresh
/// for 12 h.
fn location_service() -> (
    LocationService<KeepsTtl>,
    std::sync::Arc<KeepsTtl>,
    lifeline_app::clock::FixedClock,
) {
    let inner = lifeline_app::fakes::MemoryStore::new();
    inner.add_agent(AgentProfile {
        name: "Ana Diaz".into(),
        email: None,
        recipients: Recipients::default(),
        outbound_profile: None,
        ..agent("a-42")
    });
    let store = std::sync::Arc::new(KeepsTtl {
        inner,
        ttl: Default::default(),
    });
    let clock = lifeline_app::clock::FixedClock::at(t(0));
    let service = LocationService::new(
        store.clone(),
        std::sync::Arc::new(clock.clone()),
        chrono::Duration::hours(12),
    );
    (service, store, clock)
}

/// `agent location set` as parsed from `args` (after the agent id).
fn location_set_args(id: &str, args: &[&str]) -> Result<LocationSet, clap::error::ErrorKind> {
    match Cli::try_parse_from(
        ["lifeline", "agent", "location", "set", id]
            .iter()
            .chain(args),
    )
    .map(|c| c.command)
    {
        Ok(Command::Agent(AgentCmd::Location(LocationCmd::Set(s)))) => Ok(*s),
        Ok(_) => unreachable!("a location set"),
        Err(e) => Err(e.kind()),
    }
}

fn usage_message(r: Result<impl std::fmt::Debug, Failure>) -> String {
    match r {
        Err(Failure::Usage(m)) => m,
        Err(Failure::Store(m)) => panic!("a store failure, not a usage one: {m}"),
        Err(Failure::Exit(c)) => panic!("exit {c}, not a usage failure"),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[tokio::test]
async fn a_location_set_with_flags_registers_as_the_http_route_does() {
    let (service, store, _) = location_service();
    let set = location_set_args(
        "a-42",
        &[
            "--country",
            "us",
            "--civic",
            "RD=Main St",
            "--civic",
            "hno=1",
            "--civic",
            "A3=Redmond",
            "--civic",
            "A1=WA",
            "--civic",
            "FLR=3",
            "--lat",
            "47.6",
            "--lon",
            "-122.1",
            "--radius-m",
            "30",
            "--method",
            "manual",
        ],
    )
    .unwrap();
    let view = location_set(&service, &set)
        .await
        .map_err(|_| "set")
        .unwrap();
    assert_eq!(view.location_quality, Some(LocationQuality::Dispatchable));
    assert!(view.fresh);
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["agentId"], "a-42");
    assert_eq!(json["location"]["country"], "US");
    assert_eq!(
        json["location"]["civic"]["HNO"], "1",
        "keys are upper-cased"
    );
    assert_eq!(json["location"]["lon"], -122.1);
    assert_eq!(json["location"]["radiusM"], 30.0);
    assert_eq!(json["location"]["method"], "Manual");
    assert_eq!(json["locationQuality"], "dispatchable");
    assert_eq!(json["registeredAt"], "2026-11-24T05:00:00Z");
    // The service's TTL: fresh for 12 h, kept 30 days more.
    assert_eq!(
        *store.ttl.lock().unwrap(),
        Some(
            t(0) + chrono::Duration::hours(12)
                + chrono::Duration::days(lifeline_app::service::location::KEPT_AFTER_STALE_DAYS)
        )
    );
    assert!(location_notes(&view, chrono::Duration::hours(12)).is_empty());
}

#[tokio::test]
async fn a_location_set_takes_the_wire_shape_as_json() {
    let (service, _, _) = location_service();
    let json = r#"{"country":"US","address":"1 Main St, Redmond WA",
        "civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1","FLR":"3","ROOM":"301","PC":"98052","NAM":"Contoso HQ"},
        "lat":47.6,"lon":-122.1,"radiusM":30,"method":"Manual","determinedAt":"2026-11-24T04:55:00Z"}"#;
    let set = location_set_args("a-42", &["--json", json]).unwrap();
    let view = location_set(&service, &set)
        .await
        .map_err(|_| "set")
        .unwrap();
    let out = serde_json::to_value(&view).unwrap();
    assert_eq!(out["location"]["civic"]["NAM"], "Contoso HQ");
    assert_eq!(out["location"]["determinedAt"], "2026-11-24T04:55:00Z");
    assert_eq!(out["locationQuality"], "dispatchable");
    // --json stands alone.
    assert!(location_set_args("a-42", &["--json", json, "--country", "US"]).is_err());
}

#[tokio::test]
async fn a_bad_location_field_is_named_and_nothing_is_written() {
    let (service, store, _) = location_service();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--country", "USA"],
            "--country: must be an ISO 3166 alpha-2 code",
        ),
        (
            &["--civic", "XYZ=1"],
            "--civic XYZ: is not a civic address key",
        ),
        (&["--civic", "RD"], "--civic: `RD` is not KEY=VALUE"),
        (
            &["--civic", "RD=a", "--civic", "rd=b"],
            "--civic: RD given twice",
        ),
        (
            &["--lat", "91", "--lon", "0"],
            "--lat: must be between -90 and 90",
        ),
        (
            &["--lat", "-1"],
            "--lon: is required with the other coordinate",
        ),
        (&["--radius-m", "10"], "--radius-m: needs --lat and --lon"),
        (&["--method", "Telepathy"], "--method: must be one of"),
        (&[], "nothing to register"),
        (&["--json", "[1]"], "--json: must be a JSON object"),
        (&["--json", "{"], "--json: not JSON"),
        (
            &["--json", r#"{"lat":"1"}"#],
            "--json: `location.lat`: invalid type",
        ),
        (
            &["--json", r#"{"location":{}}"#],
            "--json: unknown field `location`",
        ),
        (
            &["--json", r#"{"civic":{"XYZ":"1"}}"#],
            "--json: `location.civic.XYZ` is not",
        ),
        (
            &["--json", r#"{"determinedAt":"now"}"#],
            "--json: `location.determinedAt`",
        ),
    ];
    for (args, expected) in cases {
        let set = location_set_args("a-42", args).unwrap();
        let m = usage_message(location_set(&service, &set).await);
        assert!(m.starts_with(expected), "{args:?}: {m}");
    }
    let bad_id = location_set_args("a b", &["--country", "US"]).unwrap();
    assert!(usage_message(location_set(&service, &bad_id).await).starts_with("agent id"));
    assert_eq!(*store.ttl.lock().unwrap(), None, "nothing written");
    // clap itself refuses a coordinate that is no number (exit 2).
    assert!(location_set_args("a-42", &["--lat", "north"]).is_err());
}

#[tokio::test]
async fn an_unknown_agent_is_refused() {
    let (service, _, _) = location_service();
    let set = location_set_args("a-99", &["--country", "US"]).unwrap();
    assert_eq!(
        usage_message(location_set(&service, &set).await),
        "no agent `a-99`"
    );
    assert_eq!(
        usage_message(location_show(&service, "a-99").await),
        "no agent `a-99`"
    );
}

#[tokio::test]
async fn location_show_says_fresh_then_stale_and_none_when_none() {
    let (service, _, clock) = location_service();
    assert!(matches!(location_show(&service, "a-42").await, Ok(None)));
    let set = location_set_args("a-42", &["--country", "US", "--civic", "RD=Main St"]).unwrap();
    location_set(&service, &set)
        .await
        .map_err(|_| "set")
        .unwrap();
    let shown = |v: Result<Option<RegisteredView>, Failure>| match v {
        Ok(Some(v)) => v,
        _ => panic!("a registration"),
    };
    let v = shown(location_show(&service, "a-42").await);
    assert!(v.fresh);
    assert_eq!(v.location_quality, Some(LocationQuality::Partial));
    let notes = location_notes(&v, chrono::Duration::hours(12));
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("partial: not enough to reach the door"),
        "{notes:?}"
    );
    clock.advance(chrono::Duration::hours(13));
    let v = shown(location_show(&service, "a-42").await);
    assert!(!v.fresh);
    assert_eq!(serde_json::to_value(&v).unwrap()["fresh"], false);
    let notes = location_notes(&v, chrono::Duration::hours(12));
    assert!(
        notes[0].contains("past the freshness limit of 12 h (LIFELINE_LOCATION_FRESH_HOURS)"),
        "{notes:?}"
    );
}
