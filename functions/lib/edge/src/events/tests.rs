use super::*;
use lifeline_domain::events::{CALL_ENDED, CALL_STARTED, LEASE_CHANGED, VERSION};

fn started() -> DomainEvent {
    DomainEvent::CallStarted(CallEvent {
        version: VERSION,
        call_id: "c-1".parse().unwrap(),
        agent_id: "a-42".parse().unwrap(),
        at: "2026-11-24T05:00:00Z".parse().unwrap(),
    })
}

fn delivered(event: &DomainEvent) -> Value {
    envelope(
        event,
        "e-1",
        "2026-11-24T05:00:01Z".parse().unwrap(),
        "us-east-1",
        "123456789012",
    )
}

#[test]
fn an_event_round_trips_through_its_envelope() {
    let e = started();
    let v = delivered(&e);
    assert_eq!(v["detail-type"], CALL_STARTED);
    assert_eq!(v["source"], "lifeline");
    assert_eq!(v["detail"]["version"], 1);
    assert_eq!(v["detail"]["callId"], "c-1");
    assert_eq!(decode(&v).unwrap(), e);
}

#[test]
fn rules_take_what_their_function_handles() {
    let start = delivered(&started());
    let mut end = start.clone();
    end["detail-type"] = CALL_ENDED.into();
    let mut lease = start.clone();
    lease["detail-type"] = LEASE_CHANGED.into();
    let taken = |rule: Rule, e: &Value| pattern_matches(rule.pattern, e);
    assert!(taken(PRESENCE_RULE, &start) && taken(PRESENCE_RULE, &end));
    assert!(!taken(PRESENCE_RULE, &lease));
    assert!(taken(NOTIFY_RULE, &start) && !taken(NOTIFY_RULE, &end));
    assert!(taken(LEASE_RULE, &lease) && !taken(LEASE_RULE, &start));
    let mut foreign = start.clone();
    foreign["source"] = "someone.else".into();
    assert!(RULES.iter().all(|r| !taken(*r, &foreign)));
}

#[test]
fn a_bad_event_says_what_is_wrong() {
    let mut v = delivered(&started());
    v["detail"]["callId"] = "".into();
    assert!(matches!(decode(&v), Err(BadEvent::Detail { .. })));
    let mut newer = delivered(&started());
    newer["detail"]["version"] = 2.into();
    assert!(matches!(decode(&newer), Err(BadEvent::NewerVersion { .. })));
    let mut unknown = delivered(&started());
    unknown["detail-type"] = "lifeline.call.paused".into();
    assert!(matches!(decode(&unknown), Err(BadEvent::UnknownDetailType(_))));
    let mut foreign = delivered(&started());
    foreign["source"] = "aws.connect".into();
    assert!(matches!(decode(&foreign), Err(BadEvent::NotLifeline(_))));
}

#[test]
fn stream_filter_takes_the_items_events_describe() {
    let record = |kind: &str| json!({"eventName": "MODIFY", "dynamodb": {"NewImage": {"type": {"S": kind}}}});
    for kind in ["call", "number", "presence"] {
        assert!(pattern_matches(STREAM_FILTERS[0], &record(kind)), "{kind}");
    }
    assert!(!pattern_matches(STREAM_FILTERS[0], &record("profile")));
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
            .take_while(|l| {
                l.is_empty() || l.starts_with("   ") || l.trim_start().starts_with('#')
            })
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
            + template.matches("Type: AWS::Lambda::EventSourceMapping\n").count(),
        1,
        "exactly one reader of the table's stream"
    );
}
