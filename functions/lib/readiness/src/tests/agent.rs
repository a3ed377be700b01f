//! The checks of an agent's profile.

use lifeline_domain::recipient::Recipients;
use lifeline_domain::route::{NumberType, TenantSettings};

use super::fixtures::ana;
use crate::*;

#[test]
fn outbound_profile() {
    assert_eq!(check_outbound_profile(&ana()).level, Level::Ok);
    let mut a = ana();
    a.outbound_profile = None;
    let f = check_outbound_profile(&a);
    assert_eq!(f.level, Level::Error);
    assert!(f.advice.unwrap().contains("--outbound-profile"));
}

#[test]
fn location() {
    let f = check_location(&ana());
    assert_eq!(f.level, Level::Ok);
    assert!(f.detail.contains("911, 112, 933"), "{}", f.detail);
    let mut a = ana();
    a.country = None;
    assert_eq!(check_location(&a).level, Level::Warning);
    a.other_country = Some("FR".into());
    let f = check_location(&a);
    assert_eq!(f.level, Level::Error);
    assert!(f.detail.contains("FR"));
}

#[test]
fn recipients() {
    assert_eq!(check_recipients(&ana()).level, Level::Ok);
    let mut a = ana();
    a.recipients = Recipients::default();
    assert_eq!(check_recipients(&a).level, Level::Warning);
}

#[test]
fn route() {
    let none = TenantSettings::default();
    assert_eq!(check_route(&ana(), none).level, Level::Ok);
    let mut a = ana();
    a.number_type = NumberType::DirectRouting;
    let f = check_route(&a, none);
    assert_eq!(f.level, Level::Warning);
    assert!(f.advice.unwrap().contains("carrier"));
    let rule = TenantSettings {
        direct_routing_emergency_rule: true,
        has_calling_plan_numbers: false,
    };
    assert_eq!(check_route(&a, rule).level, Level::Ok);
}
