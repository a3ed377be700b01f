use super::*;
use lifeline_domain::events::{CallEvent, VERSION};
use lifeline_domain::testing::at;

fn started() -> DomainEvent {
    DomainEvent::CallStarted(CallEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at: at("2026-11-24T05:00:00Z"),
        lease_id: None,
    })
}

fn delivered(event: &DomainEvent) -> Value {
    envelope(
        event,
        "e-1",
        at("2026-11-24T05:00:01Z"),
        "us-east-1",
        "123456789012",
    )
}

#[test]
fn an_event_round_trips_through_its_envelope() {
    let e = started();
    let v = delivered(&e);
    assert_eq!(v["detail-type"], "lifeline.call.started");
    assert_eq!(v["source"], "lifeline");
    assert_eq!(v["detail"]["version"], 1);
    assert_eq!(v["detail"]["callId"], "c-1");
    assert_eq!(decode(&v).unwrap(), e);
}

#[test]
fn rules_take_what_their_function_handles() {
    let start = delivered(&started());
    let mut end = start.clone();
    end["detail-type"] = "lifeline.call.ended".into();
    let mut lease = start.clone();
    lease["detail-type"] = "lifeline.lease.changed".into();
    let taken = |rule: Rule, e: &Value| pattern_matches(rule.pattern, e);
    assert!(taken(PRESENCE_RULE, &start) && taken(PRESENCE_RULE, &end));
    assert!(!taken(PRESENCE_RULE, &lease));
    assert!(taken(NOTIFY_RULE, &start) && taken(NOTIFY_RULE, &end));
    assert!(!taken(NOTIFY_RULE, &lease));
    // callback-lease takes a call's start too (for a call without a lease).
    assert!(taken(LEASE_RULE, &lease) && taken(LEASE_RULE, &start));
    assert!(!taken(LEASE_RULE, &end));
    let mut foreign = start.clone();
    foreign["source"] = "someone.else".into();
    assert!(RULES.iter().all(|r| !taken(*r, &foreign)));
}

#[test]
fn a_bad_event_says_what_is_wrong() {
    let mut v = delivered(&started());
    v["detail"]["callId"] = "".into();
    assert!(matches!(decode(&v), Err(BadEvent::Detail { .. })));
    // The reason is the detail schema's own error, as when the detail alone
    // is read.
    let Err(BadEvent::Detail { reason, .. }) = decode(&v) else {
        panic!("{v}")
    };
    let own = serde_json::from_value::<CallEvent>(v["detail"].clone()).unwrap_err();
    assert_eq!(reason, own.to_string());
    let mut missing = delivered(&started());
    missing["detail"].as_object_mut().unwrap().remove("agentId");
    assert_eq!(
        decode(&missing).unwrap_err().to_string(),
        "lifeline.call.started detail does not match its schema: missing field `agentId`"
    );
    let mut absent = delivered(&started());
    absent.as_object_mut().unwrap().remove("detail");
    assert!(matches!(decode(&absent), Err(BadEvent::Detail { .. })));
    let mut newer = delivered(&started());
    newer["detail"]["version"] = 2.into();
    assert!(matches!(decode(&newer), Err(BadEvent::NewerVersion { .. })));
    let mut unknown = delivered(&started());
    unknown["detail-type"] = "lifeline.call.paused".into();
    assert!(matches!(
        decode(&unknown),
        Err(BadEvent::UnknownDetailType(_))
    ));
    let mut foreign = delivered(&started());
    foreign["source"] = "aws.connect".into();
    assert!(matches!(decode(&foreign), Err(BadEvent::NotLifeline(_))));
}

#[test]
fn stream_filter_takes_the_items_events_describe() {
    let record = |kind: &str| json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {"type": {"S": kind}}}});
    for kind in ["call", "number", "presence", "incident"] {
        assert!(pattern_matches(STREAM_FILTERS[0], &record(kind)), "{kind}");
    }
    assert!(!pattern_matches(STREAM_FILTERS[0], &record("profile")));
    // An incident's timeline entries mean no event: only its head does.
    assert!(!pattern_matches(
        STREAM_FILTERS[0],
        &record("incident_entry")
    ));
    // A TTL deletion has no new image.
    assert!(!pattern_matches(
        STREAM_FILTERS[0],
        &json!({"eventName": "REMOVE", "dynamodb": {"OldImage": {"type": {"S": "call"}}}})
    ));
}

/// The template says what this module says: the stream reader's filter and
/// limits, each rule's pattern on its function, each asynchronously invoked
/// function's retry limits.
#[test]
fn template_uses_the_same_filters_patterns_and_limits() {
    let template = include_str!("../../../../../template.yaml");
    for f in STREAM_FILTERS {
        assert!(
            template.contains(&format!("Pattern: '{f}'")),
            "template.yaml lacks the stream filter {f}"
        );
    }
    // A top-level resource's lines: up to the next line indented by two.
    let block_of = |logical: &str| -> String {
        let header = format!("  {logical}:");
        template
            .lines()
            .skip_while(|l| *l != header)
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let stream = template
        .find("Binary: stream-events")
        .expect("the stream-events function");
    let reader = &template[stream..];
    assert!(reader.contains(&format!(
        "MaximumRetryAttempts: {}\n",
        STREAM_DELIVERY.max_retries
    )));
    assert!(reader.contains(&format!(
        "MaximumRecordAgeInSeconds: {}\n",
        STREAM_DELIVERY.max_age_secs
    )));
    for (logical, rule) in [
        ("PresenceOverrideFunction", Some(PRESENCE_RULE)),
        ("NotifierFunction", Some(NOTIFY_RULE)),
        ("CallbackLeaseFunction", Some(LEASE_RULE)),
        ("ConnectAdapterFunction", None),
        ("PlatformPresenceFunction", Some(PLATFORM_RULE)),
    ] {
        let block = block_of(logical);
        if let Some(rule) = rule {
            assert!(
                block.contains(&format!("Pattern: {}\n", rule.pattern)),
                "{logical} lacks its rule's pattern {}",
                rule.pattern
            );
        }
        let invoke = block
            .find("EventInvokeConfig:")
            .unwrap_or_else(|| panic!("{logical} has no EventInvokeConfig"));
        let config = &block[invoke..];
        assert!(
            config.contains(&format!(
                "MaximumRetryAttempts: {}\n",
                ASYNC_DELIVERY.max_retries
            )) && config.contains(&format!(
                "MaximumEventAgeInSeconds: {}\n",
                ASYNC_DELIVERY.max_age_secs
            )) && config.contains("OnFailure:"),
            "{logical}: {config}"
        );
    }
    assert_eq!(
        template.matches("Type: DynamoDB\n").count()
            + template
                .matches("Type: AWS::Lambda::EventSourceMapping\n")
                .count(),
        1,
        "exactly one reader of the table's stream"
    );
}

/// Every sample `events/lifeline.*.json` (one per detail-type) is an event
/// as the functions read it: it decodes, re-encodes to the same `detail`,
/// and is taken by exactly the rules that should take it.
#[test]
fn every_sample_event_decodes_re_encodes_and_meets_its_rules() {
    use lifeline_domain::events::{DETAIL_TYPES, SOURCE};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../events");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("events/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("lifeline.") && n.ends_with(".json"))
        .collect();
    files.sort();
    let mut expected: Vec<String> = DETAIL_TYPES.iter().map(|t| format!("{t}.json")).collect();
    expected.sort();
    assert_eq!(files, expected, "one sample per detail-type");
    for file in &files {
        let text = std::fs::read_to_string(dir.join(file)).expect(file);
        let v: Value = serde_json::from_str(&text).expect(file);
        let detail_type = file.trim_end_matches(".json");
        assert_eq!(v["detail-type"], detail_type, "{file}");
        assert_eq!(v["source"], SOURCE, "{file}");
        assert_eq!(v["version"], "0", "{file}");
        assert_eq!(v["account"], "123456789012", "{file}");
        assert_eq!(v["region"], "us-east-1", "{file}");
        assert_eq!(v["resources"], json!([]), "{file}");
        assert!(v["id"].is_string() && v["time"].is_string(), "{file}");
        assert_eq!(v["detail"]["version"], VERSION, "{file}");
        let event = decode(&v).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(event.detail_type(), detail_type, "{file}");
        assert_eq!(detail(&event), v["detail"], "{file} re-encodes differently");
        // The envelope the code makes around it is the sample, id and time aside.
        let time = chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let id = v["id"].as_str().unwrap();
        assert_eq!(
            envelope(&event, id, time, "us-east-1", "123456789012"),
            v,
            "{file}"
        );
        let takers: Vec<&str> = RULES
            .iter()
            .filter(|r| pattern_matches(r.pattern, &v))
            .map(|r| r.function)
            .collect();
        let expected: &[&str] = match detail_type {
            "lifeline.call.started" => &[
                PRESENCE_RULE.function,
                NOTIFY_RULE.function,
                LEASE_RULE.function,
                INCIDENT_RULE.function,
            ],
            "lifeline.call.ended" => &[
                PRESENCE_RULE.function,
                NOTIFY_RULE.function,
                INCIDENT_RULE.function,
            ],
            "lifeline.call.caller_id_corrected" => &[NOTIFY_RULE.function, LEASE_RULE.function],
            "lifeline.lease.changed" => &[LEASE_RULE.function, INCIDENT_RULE.function],
            "lifeline.callback.routed" => &[INCIDENT_RULE.function],
            "lifeline.presence.overridden" | "lifeline.presence.restored" => {
                &[PLATFORM_RULE.function, INCIDENT_RULE.function]
            }
            "lifeline.notification.sent" | "lifeline.notification.failed" => {
                &[INCIDENT_RULE.function]
            }
            _ => &[],
        };
        assert_eq!(takers, expected, "{file}");
    }
}

/// Every sample under `events/` that is a Lifeline event (its source or
/// its detail-type says so: the side-effect functions' invoke samples as
/// well as `lifeline.*.json`) decodes, and re-encodes to its own `detail`.
#[test]
fn every_lifeline_sample_in_events_decodes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../events");
    let mut decoded = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events/") {
        let path = entry.expect("events/").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a sample");
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            panic!("{} is not JSON", path.display())
        };
        let lifeline = v["source"] == SOURCE
            || v["detail-type"]
                .as_str()
                .is_some_and(|t| t.starts_with("lifeline."));
        if !lifeline {
            continue;
        }
        let event = decode(&v).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(detail(&event), v["detail"], "{}", path.display());
        decoded.push(event.detail_type());
    }
    decoded.sort();
    decoded.dedup();
    let mut all = lifeline_domain::events::DETAIL_TYPES.to_vec();
    all.sort();
    assert_eq!(decoded, all, "a sample of every detail-type");
}
