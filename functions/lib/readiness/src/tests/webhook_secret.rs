//! The previous webhook secret still accepted long after a rotation.

use chrono::Duration;
use lifeline_aws::secrets::SecretVersion;

use super::fixtures::now;
use crate::*;

fn version(stage: &str, created_days_ago: Option<i64>) -> SecretVersion {
    SecretVersion {
        stages: vec![stage.into()],
        created: created_days_ago.map(|d| now() - Duration::days(d)),
    }
}

fn check(versions: Vec<SecretVersion>) -> Finding {
    check_previous_secret(&Ok(versions), now())
}

#[test]
fn a_previous_value_accepted_more_than_a_week_after_the_rotation_is_warned_of() {
    let f = check(vec![
        version("AWSCURRENT", Some(8)),
        version("AWSPREVIOUS", Some(300)),
    ]);
    assert_eq!(f.level, Level::Warning);
    assert_eq!(
        f.detail,
        "the previous value is still accepted, 8 d after the rotation (more than 7 d)"
    );
    assert!(f
        .advice
        .unwrap()
        .starts_with("retire it: `lifeline secret retire-previous`"));
}

#[test]
fn a_rotation_under_way_is_no_warning_however_old_the_previous_value() {
    // The old value is months old, but it became the previous one two days
    // ago: the platform may still be moving over.
    let f = check(vec![
        version("AWSCURRENT", Some(2)),
        version("AWSPREVIOUS", Some(300)),
    ]);
    assert_eq!(f.level, Level::Ok, "{}", f.detail);
    assert!(f.detail.starts_with("rotated 2 d ago"), "{}", f.detail);
}

#[test]
fn no_previous_value_is_ok_and_an_undated_one_is_warned_of() {
    assert_eq!(
        check(vec![version("AWSCURRENT", Some(400))]).level,
        Level::Ok
    );
    // No date for the current one: the previous one's own date decides.
    let f = check(vec![
        version("AWSCURRENT", None),
        version("AWSPREVIOUS", Some(10)),
    ]);
    assert_eq!(f.level, Level::Warning);
    let f = check(vec![
        version("AWSCURRENT", None),
        version("AWSPREVIOUS", None),
    ]);
    assert_eq!(f.level, Level::Warning);
    assert!(f.detail.contains("unknown date"));
}
