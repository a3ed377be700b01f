//! A call record's `reason` as stored by the code before `DegradedReason`:
//! every string it wrote still decodes, to the same string.

use super::*;
use crate::dynamo::keys::s;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::degraded::DegradedReason;

#[test]
fn every_stored_reason_string_decodes_to_itself() {
    let t = lifeline_domain::testing::at("2026-11-24T09:00:00Z");
    let call = EmergencyCall {
        degraded: true,
        ..lifeline_domain::testing::call("c-1", "a-42", t)
    };
    for stored in lifeline_domain::testing::STORED_REASONS {
        let mut item = encode_call(&call, t).unwrap();
        item.insert("reason".into(), s(stored));
        let decoded = decode_call(&item).unwrap();
        assert_eq!(decoded.reason.map(DegradedReason::as_str), Some(stored));
        // And it is written back as the same string.
        assert_eq!(
            encode_call(&decoded, t).unwrap().get("reason"),
            Some(&s(stored))
        );
    }
}

#[test]
fn a_reason_no_code_wrote_is_corrupt_like_any_unknown_value() {
    let t = lifeline_domain::testing::at("2026-11-24T09:00:00Z");
    let mut item = encode_call(&lifeline_domain::testing::call("c-1", "a-42", t), t).unwrap();
    item.insert("reason".into(), s("hand-edited"));
    assert!(matches!(
        decode_call(&item),
        Err(StoreError::Corrupt { .. })
    ));
}
