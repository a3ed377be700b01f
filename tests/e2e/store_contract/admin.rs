//! The pools as the admin changes them: a number is added only if absent
//! (never reset while in use) and removed only once nobody can call back.

use lifeline_app::ports::{AddedNumbers, RemoveError};
use lifeline_domain::numbers::Country;
use lifeline_domain::route::TenantSettings;

use super::fixtures::*;
use super::Side;

pub async fn adding_numbers_never_resets_a_number_in_use<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1]).await;
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    // Leased, then in quarantine: reported present, lease and time kept.
    let got = s
        .add_numbers(Country::US, &[e164(N2), e164(N1)], t(1))
        .await
        .expect("add");
    assert_eq!(
        got,
        AddedNumbers {
            added: vec![e164(N2)],
            present: vec![e164(N1)],
        }
    );
    assert_eq!(lease_on(s, N1).await, Some(d.lease.clone()));
    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    let before = s.list_pool(None, t(100)).await.expect("pool");
    // Also when added to another country's pool.
    for country in [Country::US, Country::GB] {
        let got = s
            .add_numbers(country, &[e164(N1)], t(100))
            .await
            .expect("add");
        assert_eq!((got.added, got.present), (vec![], vec![e164(N1)]));
    }
    assert_eq!(s.list_pool(None, t(100)).await.expect("pool"), before);
    assert_eq!(lease_on(s, N1).await, Some(ended));
    assert_eq!(
        pool_states(s, t(100)).await,
        states(&[(N1, "quarantined"), (N2, "free")])
    );
    let n1 = &before[0];
    assert_eq!(
        (n1.country.as_str(), n1.quarantined_until.as_deref()),
        ("US", Some("2030-01-01T02:10:00Z"))
    );
    assert!(s
        .list_pool(Some(Country::GB), t(100))
        .await
        .expect("pool")
        .is_empty());
}

pub async fn a_number_is_removed_only_when_nobody_can_call_back<S: Side>(side: &S) {
    let s = side.store();
    seeded(s, &[N1, N2]).await;
    // A free number goes at once.
    s.remove_number(&e164(N2), t(0)).await.expect("free");
    let d = claim("c-1", A42, N1, t(0), None);
    dialed(s, &d).await;
    let ended = ended(s, &d.lease, "c-1", t(10)).await;
    let available_at = policy().available_at(&ended);
    match s.remove_number(&e164(N1), t(69)).await {
        Err(e @ RemoveError::Leased(..)) => {
            assert!(e.to_string().contains("leased to a-42"), "{e}")
        }
        other => panic!("leased: {other:?}"),
    }
    // Past the hold, released or not: in quarantine until `availableAt`.
    let quarantined = |r: Result<(), RemoveError>| match r {
        Err(RemoveError::InQuarantine { number, until }) => {
            assert_eq!((number, until), (e164(N1), available_at))
        }
        other => panic!("in quarantine: {other:?}"),
    };
    quarantined(s.remove_number(&e164(N1), t(70)).await);
    assert!(s.release(&expiry(&ended), t(70)).await.expect("release"));
    quarantined(s.remove_number(&e164(N1), t(129)).await);
    assert_eq!(
        lease_on(s, N1).await.map(|l| l.lease_id),
        Some(ended.lease_id)
    );

    s.remove_number(&e164(N1), available_at)
        .await
        .expect("removable from availableAt");
    assert_eq!(lease_on(s, N1).await, None);
    assert!(s.list_pool(None, t(200)).await.expect("pool").is_empty());
    match s.remove_number(&e164(N1), t(200)).await {
        Err(RemoveError::Unknown(n)) => assert_eq!(n, N1),
        other => panic!("unknown: {other:?}"),
    }
}

pub async fn agents_and_tenant_settings_read_back_as_written<S: Side>(side: &S) {
    let s = side.store();
    assert_eq!(s.get_agent(&id(A42)).await.expect("read"), None);
    assert_eq!(
        s.get_tenant().await.expect("read"),
        TenantSettings::default()
    );
    let mut a = agent(A42);
    s.put_agent(&a).await.expect("put");
    assert_eq!(s.get_agent(&id(A42)).await.expect("read"), Some(a.clone()));
    // The latest profile wins (an admin's edit).
    a.name = "Agent a-42, renamed".into();
    // A home country Lifeline does not support is kept as given (the
    // profile has either a country or that).
    a.country = None;
    a.other_country = Some("ZZ".into());
    s.put_agent(&a).await.expect("put");
    assert_eq!(s.get_agent(&id(A42)).await.expect("read"), Some(a));
    let tenant = TenantSettings {
        direct_routing_emergency_rule: true,
        has_calling_plan_numbers: true,
    };
    s.put_tenant(tenant).await.expect("put");
    assert_eq!(s.get_tenant().await.expect("read"), tenant);
}
