//! The adapter's settings, checked once at cold start.

use super::*;

#[test]
fn configuration_is_validated_once() {
    let lambda = |vars: &[(&str, &str)]| {
        TwilioConfig::from_lookup(Mode::Lambda, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    };
    assert!(matches!(
        lambda(&[]),
        Err(TwilioConfigError::Missing("LIFELINE_TWILIO_AUTH_TOKEN"))
    ));
    // Without a public URL, each request's own (the stack's API URL).
    let from_request = lambda(&[
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        (LAST_RESORT_VAR, "+14255550170"),
    ])
    .unwrap();
    assert_eq!(from_request.public_url, PublicUrl::FromRequest);
    let required = [
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        ("LIFELINE_TWILIO_PUBLIC_URL", "https://api.example.com/"),
    ];
    // No last resort: a callback nobody answers would be stranded.
    let stranding = lambda(&required).unwrap_err();
    assert!(
        matches!(
            stranding,
            TwilioConfigError::Required {
                var: LAST_RESORT_VAR,
                ..
            }
        ),
        "{stranding}"
    );
    assert!(
        stranding
            .to_string()
            .starts_with("LIFELINE_TWILIO_LAST_RESORT must be set on AWS"),
        "{stranding}"
    );
    let with = |k, v| {
        // The first of a name wins: `k` before the default last resort.
        let mut vars = vec![(k, v)];
        vars.extend(required);
        vars.push((LAST_RESORT_VAR, "+14255550170"));
        lambda(&vars)
    };
    assert_eq!(
        with("X", "").unwrap().public_url,
        PublicUrl::Fixed("https://api.example.com".into())
    );
    let bad = |k, v| with(k, v).unwrap_err().to_string();
    assert!(bad("LIFELINE_TWILIO_CALLER_ID", "12345").contains("LIFELINE_TWILIO_CALLER_ID"));
    assert!(bad("LIFELINE_TWILIO_FLEX_WORKFLOW_SID", "WW123").contains("workflow SID"));
    assert!(bad("LIFELINE_TWILIO_CONTINUE_URL", "http://plain.example.com").contains("https"));
    assert!(bad("LIFELINE_TWILIO_RING_SECONDS", "1").contains("5 to 600"));
    for nonsense in ["12345", "+1", "WW123", "supervisor", "+1 425 555 0170x"] {
        let e = bad(LAST_RESORT_VAR, nonsense);
        assert!(e.starts_with("LIFELINE_TWILIO_LAST_RESORT: "), "{e}");
    }
    assert_eq!(
        with("X", "").unwrap().last_resort,
        LastResort::Number("+14255550170".parse().unwrap())
    );
    assert_eq!(
        with(LAST_RESORT_VAR, WORKFLOW).unwrap().last_resort,
        LastResort::Workflow(WORKFLOW.into())
    );
    assert!(lambda(&[
        ("LIFELINE_TWILIO_AUTH_TOKEN", "t0k3n"),
        ("LIFELINE_TWILIO_PUBLIC_URL", "http://insecure.example.com"),
        (LAST_RESORT_VAR, "+14255550170"),
    ])
    .is_err());
    // Locally everything has a default, the last resort a made-up supervisor line.
    let local = config(&[]);
    assert_eq!(local.public_url, PublicUrl::Fixed(BASE.into()));
    assert_eq!(local.ring_seconds, 20);
    assert_eq!(
        local.last_resort,
        LastResort::Number(LOCAL_LAST_RESORT.parse().unwrap())
    );
}
