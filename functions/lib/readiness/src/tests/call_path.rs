//! The call path's reserved concurrency against the number of agents.

use crate::*;

#[test]
fn fewer_reserved_executions_than_agents_is_a_warning_with_its_fix() {
    let f = check_call_path_concurrency(10, 25);
    assert_eq!(f.level, Level::Warning);
    assert_eq!(f.scope, "deployment");
    assert!(
        f.detail.starts_with(
            "10 concurrent executions reserved for the function that takes the dials, fewer \
             than the 25 agents"
        ),
        "{}",
        f.detail
    );
    let advice = f.advice.unwrap();
    assert!(
        advice.contains("CallPathReservedConcurrency=25"),
        "{advice}"
    );
    assert!(
        advice.contains("LIFELINE_CALL_PATH_RESERVED_CONCURRENCY"),
        "{advice}"
    );
}

#[test]
fn as_many_as_the_agents_or_no_reservation_at_all_is_ok() {
    assert_eq!(check_call_path_concurrency(25, 25).level, Level::Ok);
    assert_eq!(check_call_path_concurrency(100, 3).level, Level::Ok);
    assert_eq!(check_call_path_concurrency(1, 0).level, Level::Ok);
    let none = check_call_path_concurrency(0, 500);
    assert_eq!(none.level, Level::Ok, "0: the account's pool, no ceiling");
    assert!(none.detail.contains("unreserved pool"), "{}", none.detail);
}
