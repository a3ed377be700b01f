use super::*;
use async_trait::async_trait;
use lifeline_app::clock::FixedClock;
use lifeline_app::ports::{PlatformContext, PlatformError, StoreError};
use lifeline_domain::call::AgentProfile;
use lifeline_domain::events::{PresenceEvent, VERSION};
use lifeline_domain::platform::{PlatformStatus, PlatformView, RememberedStatus};
use lifeline_domain::types::AgentId;
use lifeline_edge::events::envelope;
use lifeline_edge::fixtures::{invoked_err, invoked_ok, t0};
use std::sync::Mutex;

const EMERGENCY: &str = "st-emergency";

/// The agent's profile, Lifeline's override flag and the memory, in memory.
#[derive(Default)]
struct Store(Mutex<PlatformContext>);

#[async_trait]
impl PlatformStateStore for Store {
    async fn platform_context(&self, _: &AgentId) -> Result<PlatformContext, StoreError> {
        Ok(self.0.lock().unwrap().clone())
    }
    async fn remember_status(
        &self,
        _: &AgentId,
        r: &RememberedStatus,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.0.lock().unwrap().remembered = Some(r.clone());
        Ok(())
    }
    async fn forget_status(&self, _: &AgentId) -> Result<(), StoreError> {
        self.0.lock().unwrap().remembered = None;
        Ok(())
    }
}

/// A platform: the user's status, the calls made, failures to answer first;
/// like Connect, a status set while the user is on a contact is the next one.
#[derive(Default)]
struct Platform {
    status: Mutex<String>,
    next: Mutex<Option<String>>,
    on_contact: Mutex<bool>,
    sets: Mutex<Vec<String>>,
    fail_next: Mutex<usize>,
}

impl Platform {
    fn fail(&self) -> Result<(), PlatformError> {
        let mut n = self.fail_next.lock().unwrap();
        if *n > 0 {
            *n -= 1;
            return Err(PlatformError::Unavailable(
                "TooManyRequestsException".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl PlatformPresence for Platform {
    fn platform(&self) -> &'static str {
        "test"
    }
    fn user_of<'a>(&self, p: &'a AgentProfile) -> Option<&'a str> {
        p.platform.connect_user_id.as_deref()
    }
    fn emergency_status(&self) -> &str {
        EMERGENCY
    }
    async fn view(&self, _: &str) -> Result<PlatformView, PlatformError> {
        self.fail()?;
        let named = |id: String| PlatformStatus {
            name: id.clone(),
            id,
        };
        Ok(PlatformView {
            current: named(self.status.lock().unwrap().clone()),
            next: self.next.lock().unwrap().clone().map(named),
            on_contact: *self.on_contact.lock().unwrap(),
        })
    }
    async fn set(&self, _: &str, status: &str) -> Result<(), PlatformError> {
        self.fail()?;
        if *self.on_contact.lock().unwrap() {
            *self.next.lock().unwrap() = Some(status.to_string());
        } else {
            *self.status.lock().unwrap() = status.to_string();
        }
        self.sets.lock().unwrap().push(status.to_string());
        Ok(())
    }
}

struct Rig {
    store: Arc<Store>,
    platform: Arc<Platform>,
    handler: PlatformPresenceHandler<Store, Platform>,
}

fn rig(status: &str, user: bool) -> Rig {
    let store = Arc::new(Store::default());
    let mut profile = lifeline_edge::fixtures::agent(
        "a-42",
        lifeline_domain::numbers::Country::US,
        lifeline_domain::route::NumberType::CallingPlan,
        "+14255550100",
    );
    profile.platform.connect_user_id = user.then(|| "user-42".to_string());
    store.0.lock().unwrap().profile = Some(profile);
    let platform = Arc::new(Platform::default());
    *platform.status.lock().unwrap() = status.into();
    let handler = PlatformPresenceHandler::new(
        store.clone(),
        platform.clone(),
        Arc::new(FixedClock::at(t0())),
    );
    Rig {
        store,
        platform,
        handler,
    }
}

impl Rig {
    fn lifeline_override(&self, on: bool) {
        self.store.0.lock().unwrap().override_active = on;
    }
    fn status(&self) -> String {
        self.platform.status.lock().unwrap().clone()
    }
}

fn event(overridden: bool) -> Value {
    let p = PresenceEvent {
        version: VERSION,
        agent_id: "a-42".parse().unwrap(),
        status: if overridden { "do_not_disturb" } else { "busy" }.into(),
        reported: "busy".into(),
        active_calls: if overridden {
            vec!["c-1".parse().unwrap()]
        } else {
            vec![]
        },
        at: t0(),
    };
    let e = if overridden {
        DomainEvent::PresenceOverridden(p)
    } else {
        DomainEvent::PresenceRestored(p)
    };
    envelope(&e, "e-1", t0(), "us-east-1", "123456789012")
}

#[tokio::test]
async fn an_override_puts_the_emergency_status_on_and_its_end_puts_the_old_one_back() {
    let r = rig("available", true);
    r.lifeline_override(true);
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "applied"
    );
    assert_eq!(r.status(), EMERGENCY);
    // A duplicate changes nothing.
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "unchanged"
    );
    r.lifeline_override(false);
    assert_eq!(
        invoked_ok(&r.handler, event(false)).await["platform"],
        "restored"
    );
    assert_eq!(r.status(), "available");
    assert_eq!(*r.platform.sets.lock().unwrap(), [EMERGENCY, "available"]);
    assert!(r.store.0.lock().unwrap().remembered.is_none());
}

impl Platform {
    /// The contact and its after-contact work end: the next status is current.
    fn contact_ends(&self) {
        *self.on_contact.lock().unwrap() = false;
        if let Some(next) = self.next.lock().unwrap().take() {
            *self.status.lock().unwrap() = next;
        }
    }
}

#[tokio::test]
async fn on_a_contact_the_emergency_status_is_the_next_one_and_the_end_replaces_it() {
    let r = rig("available", true);
    *r.platform.on_contact.lock().unwrap() = true;
    r.lifeline_override(true);
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "applied"
    );
    assert_eq!(r.status(), "available");
    assert_eq!(*r.platform.next.lock().unwrap(), Some(EMERGENCY.into()));
    // A duplicate sees the pending emergency status: nothing more.
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "unchanged"
    );
    r.lifeline_override(false);
    assert_eq!(
        invoked_ok(&r.handler, event(false)).await["platform"],
        "restored"
    );
    assert_eq!(*r.platform.next.lock().unwrap(), Some("available".into()));
    r.platform.contact_ends();
    assert_eq!(r.status(), "available");
}

#[tokio::test]
async fn an_emergency_status_that_became_current_after_the_contact_is_restored() {
    let r = rig("available", true);
    *r.platform.on_contact.lock().unwrap() = true;
    r.lifeline_override(true);
    invoked_ok(&r.handler, event(true)).await;
    r.platform.contact_ends();
    assert_eq!(r.status(), EMERGENCY);
    r.lifeline_override(false);
    assert_eq!(
        invoked_ok(&r.handler, event(false)).await["platform"],
        "restored"
    );
    assert_eq!(r.status(), "available");
}

#[tokio::test]
async fn a_supervisors_change_during_the_call_is_kept_at_the_end() {
    let r = rig("available", true);
    r.lifeline_override(true);
    invoked_ok(&r.handler, event(true)).await;
    *r.platform.status.lock().unwrap() = "break".into();
    r.lifeline_override(false);
    let out = invoked_ok(&r.handler, event(false)).await;
    assert_eq!(out["why"], "changed meanwhile", "{out}");
    assert_eq!(r.status(), "break");
}

#[tokio::test]
async fn a_failing_platform_fails_the_invocation_and_the_retry_applies_it_once() {
    let r = rig("available", true);
    r.lifeline_override(true);
    *r.platform.fail_next.lock().unwrap() = 2;
    assert_eq!(
        invoked_err(&r.handler, event(true)).await,
        "PlatformUnavailable"
    );
    assert_eq!(
        invoked_err(&r.handler, event(true)).await,
        "PlatformUnavailable"
    );
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "applied"
    );
    assert_eq!(*r.platform.sets.lock().unwrap(), [EMERGENCY]);
    r.lifeline_override(false);
    invoked_ok(&r.handler, event(false)).await;
    assert_eq!(
        r.status(),
        "available",
        "the status before, not the emergency one"
    );
}

#[tokio::test]
async fn a_late_event_that_lifeline_no_longer_agrees_with_is_skipped() {
    let r = rig("available", true);
    // The start arrives after the end: Lifeline's override is already over.
    r.lifeline_override(false);
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "stale"
    );
    assert_eq!(r.status(), "available");
    r.lifeline_override(true);
    assert_eq!(
        invoked_ok(&r.handler, event(false)).await["platform"],
        "stale"
    );
    assert!(r.platform.sets.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_agent_without_a_platform_user_is_left_alone_and_other_events_ignored() {
    let r = rig("available", false);
    r.lifeline_override(true);
    assert_eq!(
        invoked_ok(&r.handler, event(true)).await["platform"],
        "no_platform_user"
    );
    let started =
        serde_json::from_str(include_str!("../../../events/lifeline.call.started.json")).unwrap();
    assert!(invoked_ok(&r.handler, started).await["ignored"].is_string());
    assert!(r.platform.sets.lock().unwrap().is_empty());
}

#[test]
fn settings_name_what_is_missing_or_unsupported() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    assert_eq!(
        PlatformSettings::from_lookup(env(&[])),
        Err(SettingsError::Missing("LIFELINE_PLATFORM_PRESENCE"))
    );
    assert_eq!(
        PlatformSettings::from_lookup(env(&[("LIFELINE_PLATFORM_PRESENCE", "genesys")])),
        Err(SettingsError::Unsupported("genesys".into()))
    );
    assert_eq!(
        PlatformSettings::from_lookup(env(&[("LIFELINE_PLATFORM_PRESENCE", "connect")])),
        Err(SettingsError::Missing("LIFELINE_CONNECT_INSTANCE"))
    );
    let ok = PlatformSettings::from_lookup(env(&[
        ("LIFELINE_PLATFORM_PRESENCE", "connect"),
        ("LIFELINE_CONNECT_INSTANCE", "inst-1"),
        (
            "LIFELINE_CONNECT_EMERGENCY_STATUS_ID",
            "arn:aws:connect:us-east-1:1:instance/inst-1/agent-state/st-9",
        ),
    ]))
    .unwrap();
    assert_eq!(
        ok,
        PlatformSettings::Connect(ConnectSettings {
            instance: "inst-1".into(),
            emergency_status: "st-9".into()
        })
    );
    // Twilio: its variables, each named when missing or malformed.
    assert_eq!(
        PlatformSettings::from_lookup(env(&[("LIFELINE_PLATFORM_PRESENCE", "twilio")])),
        Err(SettingsError::Missing("LIFELINE_TWILIO_ACCOUNT_SID"))
    );
    let bad = PlatformSettings::from_lookup(env(&[
        ("LIFELINE_PLATFORM_PRESENCE", "twilio"),
        (
            "LIFELINE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef",
        ),
        (
            "LIFELINE_TWILIO_WORKSPACE_SID",
            "WW0123456789abcdef0123456789abcdef",
        ),
    ]))
    .unwrap_err();
    assert!(
        bad.to_string()
            .starts_with("LIFELINE_TWILIO_WORKSPACE_SID must be"),
        "{bad}"
    );
    let ok = PlatformSettings::from_lookup(env(&[
        ("LIFELINE_PLATFORM_PRESENCE", "twilio"),
        (
            "LIFELINE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef",
        ),
        (
            "LIFELINE_TWILIO_WORKSPACE_SID",
            "WS0123456789abcdef0123456789abcdef",
        ),
        (
            "LIFELINE_TWILIO_EMERGENCY_ACTIVITY_SID",
            "WA0123456789abcdef0123456789abcdef",
        ),
        ("LIFELINE_TWILIO_AUTH_TOKEN", "tok"),
    ]))
    .unwrap();
    let PlatformSettings::Twilio(t) = ok else {
        panic!("twilio settings")
    };
    assert_eq!(t.emergency_activity, "WA0123456789abcdef0123456789abcdef");
    assert_eq!(t.base_url, "https://taskrouter.twilio.com");
}
