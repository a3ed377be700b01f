//! The checks of the deployment's own resources.

use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;

use crate::*;

#[test]
fn identity() {
    assert_eq!(
        check_identity("x@example.com", IdentityState::Verified).level,
        Level::Ok
    );
    assert_eq!(
        check_identity("x@example.com", IdentityState::Unverified).level,
        Level::Error
    );
    assert_eq!(
        check_identity("x@example.com", IdentityState::Missing).level,
        Level::Error
    );
}

#[test]
fn template() {
    assert_eq!(
        check_template(&NotificationTemplate::builtin()).level,
        Level::Ok
    );
    let mut t = NotificationTemplate::builtin();
    t.subject = "{{ nope }}".into();
    t.version = 3;
    let f = check_template(&t);
    assert_eq!(f.level, Level::Error);
    assert!(f.detail.contains("version 3"));
}

#[test]
fn pools() {
    let exhausted = check_pool(Country::US, 0, 2);
    assert_eq!(exhausted.level, Level::Error);
    assert!(
        exhausted.detail.contains("reason pool_exhausted"),
        "{}",
        exhausted.detail
    );
    assert_eq!(check_pool(Country::US, 1, 2).level, Level::Warning);
    assert_eq!(check_pool(Country::US, 3, 2).level, Level::Ok);
    assert_eq!(check_pool(Country::US, 1, 0).level, Level::Ok);
}

#[test]
fn no_pool_is_told_from_an_exhausted_one() {
    let none = check_no_pool(Country::GB);
    assert_eq!((none.check, none.level), ("pool", Level::Error));
    assert_eq!(
        none.detail,
        "no callback-number pool for GB: emergency calls from there go out with the agent's own number (degraded, reason no_pool)"
    );
    assert_eq!(
        none.advice.as_deref(),
        Some("`lifeline pool add --country GB …`")
    );
    let exhausted = check_pool(Country::GB, 0, 2);
    assert!(exhausted
        .detail
        .starts_with("GB pool has no free callback number"));
    assert_ne!(none.detail, exhausted.detail);
}

#[test]
fn group_and_table() {
    assert_eq!(check_schedule_group("g", true).level, Level::Ok);
    assert_eq!(check_schedule_group("g", false).level, Level::Warning);
    let ok = TableState {
        exists: true,
        stream: Some("NEW_AND_OLD_IMAGES".into()),
    };
    assert_eq!(check_table("t", &ok).level, Level::Ok);
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: true,
                stream: None
            }
        )
        .level,
        Level::Error
    );
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: true,
                stream: Some("KEYS_ONLY".into())
            }
        )
        .level,
        Level::Error
    );
    assert_eq!(
        check_table(
            "t",
            &TableState {
                exists: false,
                stream: None
            }
        )
        .level,
        Level::Error
    );
}
