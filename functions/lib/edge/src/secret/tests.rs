//! The refresher over a fake loader, on tokio's paused clock.

use super::*;
use crate::webhook::signature::SignatureError;
use lifeline_app::fakes::RecordedMetrics;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Answers from a script (then the last answer again), each after `delay`.
struct FakeLoader {
    script: Mutex<VecDeque<Result<String, LoadError>>>,
    last: Mutex<Result<String, LoadError>>,
    delay: Mutex<Duration>,
    calls: AtomicUsize,
}

impl FakeLoader {
    fn new(answers: Vec<Result<&str, &str>>) -> Arc<Self> {
        let script: VecDeque<_> = answers
            .into_iter()
            .map(|a| {
                a.map(String::from)
                    .map_err(|e| LoadError::Unavailable(e.into()))
            })
            .collect();
        Arc::new(FakeLoader {
            last: Mutex::new(Err(LoadError::Unavailable("no script".into()))),
            script: Mutex::new(script),
            delay: Mutex::new(Duration::ZERO),
            calls: AtomicUsize::new(0),
        })
    }

    fn then(&self, answer: Result<&str, &str>) {
        self.script.lock().unwrap().push_back(
            answer
                .map(String::from)
                .map_err(|e| LoadError::Unavailable(e.into())),
        );
    }

    fn delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl SecretLoader for FakeLoader {
    async fn load(&self) -> Result<String, LoadError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let d = *self.delay.lock().unwrap();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        let next = self.script.lock().unwrap().pop_front();
        match next {
            Some(a) => {
                *self.last.lock().unwrap() = a.clone();
                a
            }
            None => self.last.lock().unwrap().clone(),
        }
    }
}

const OLD: &str = "first-secret-value";
const NEW: &str = "rotated-secret-value";

fn rig(loader: &Arc<FakeLoader>) -> (Arc<SecretRefresher>, WebhookSecret, Arc<RecordedMetrics>) {
    let secret = WebhookSecret::refuse_all();
    let metrics = Arc::new(RecordedMetrics::default());
    let r = Arc::new(
        SecretRefresher::new(secret.clone(), loader.clone(), RefreshPolicy::default())
            .with_metrics(metrics.clone()),
    );
    (r, secret, metrics)
}

/// Whether `held` accepts a body signed with `key` now.
fn verifies(held: &WebhookSecret, key: &str) -> Result<(), SignatureError> {
    let now = chrono::Utc::now();
    let signer = WebhookSecret::new(key).unwrap();
    let req = crate::webhook::Signed::post("/calls/outbound", b"{}");
    held.verify(Some(&signer.sign(now.timestamp(), req)), req, now)
}

/// Lets spawned refreshes run to completion (time is paused: sleeps are instant).
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn starts_without_a_secret_then_a_refresh_makes_signatures_verify() {
    let loader = FakeLoader::new(vec![Err("AccessDeniedException")]);
    let (r, secret, metrics) = rig(&loader);
    assert!(
        !r.load_initial().await,
        "the cold start goes on without one"
    );
    assert_eq!(metrics.values("WebhookSecretUnavailable"), vec![1.0]);
    assert!(!secret.is_set());
    assert_eq!(verifies(&secret, OLD), Err(SignatureError::Mismatch));

    // A request right after: too soon to try again (at most one per 5 s).
    assert!(!r.on_request());
    assert_eq!(loader.calls(), 1);

    loader.then(Ok(OLD));
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(r.on_request(), "missing and 5 s on: a refresh starts");
    // The request itself is not delayed: the key is not there yet.
    assert!(!secret.is_set());
    settle().await;
    assert_eq!(loader.calls(), 2);
    assert_eq!(verifies(&secret, OLD), Ok(()));
    // A clone handed out before the refresh (another handler) sees it too.
    let other_handler = secret.clone();
    assert_eq!(verifies(&other_handler, OLD), Ok(()));
    // Fresh: nothing more to do.
    tokio::time::advance(Duration::from_secs(10)).await;
    assert!(!r.on_request());
    assert_eq!(loader.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_slow_secrets_manager_costs_the_cold_start_one_and_a_half_seconds() {
    let loader = FakeLoader::new(vec![Ok(OLD)]);
    loader.delay(Duration::from_secs(6));
    let (r, secret, metrics) = rig(&loader);
    let started = Instant::now();
    assert!(!r.load_initial().await);
    assert_eq!(started.elapsed(), Duration::from_millis(1500));
    assert!(!secret.is_set());
    assert_eq!(metrics.values("WebhookSecretUnavailable"), vec![1.0]);
    // Fast again: the next refresh loads it.
    loader.delay(Duration::ZERO);
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(r.on_request());
    settle().await;
    assert_eq!(verifies(&secret, OLD), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn a_rotation_is_picked_up_after_the_max_age() {
    let loader = FakeLoader::new(vec![Ok(OLD), Ok(NEW)]);
    let (r, secret, metrics) = rig(&loader);
    assert!(r.load_initial().await);
    assert_eq!(verifies(&secret, OLD), Ok(()));

    tokio::time::advance(Duration::from_secs(299)).await;
    assert!(!r.on_request(), "younger than 5 minutes: kept");
    assert_eq!(verifies(&secret, NEW), Err(SignatureError::Mismatch));

    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(r.on_request());
    settle().await;
    assert_eq!(verifies(&secret, NEW), Ok(()));
    assert_eq!(verifies(&secret, OLD), Err(SignatureError::Mismatch));
    assert!(metrics.all().is_empty(), "{:?}", metrics.all());
}

#[tokio::test(start_paused = true)]
async fn a_failing_refresh_keeps_the_old_key() {
    let loader = FakeLoader::new(vec![Ok(OLD), Err("ThrottlingException")]);
    let (r, secret, metrics) = rig(&loader);
    assert!(r.load_initial().await);
    tokio::time::advance(Duration::from_secs(300)).await;
    assert!(r.on_request());
    settle().await;
    assert_eq!(loader.calls(), 2);
    assert_eq!(verifies(&secret, OLD), Ok(()), "the old key still verifies");
    assert_eq!(metrics.values("WebhookSecretRefreshFailed"), vec![1.0]);
    assert!(metrics.values("WebhookSecretUnavailable").is_empty());
    // Not hammered: the next attempt waits 5 s.
    assert!(!r.on_request());
    tokio::time::advance(Duration::from_secs(5)).await;
    loader.then(Ok(NEW));
    assert!(r.on_request());
    settle().await;
    assert_eq!(verifies(&secret, NEW), Ok(()));
}

#[tokio::test(start_paused = true)]
async fn one_refresh_at_a_time() {
    let loader = FakeLoader::new(vec![Err("down"), Ok(OLD)]);
    let policy = RefreshPolicy {
        timeout: Duration::from_secs(30),
        ..RefreshPolicy::default()
    };
    let secret = WebhookSecret::refuse_all();
    let r = Arc::new(
        SecretRefresher::new(secret.clone(), loader.clone(), policy)
            .with_metrics(Arc::new(RecordedMetrics::default())),
    );
    r.load_initial().await;
    loader.delay(Duration::from_secs(10));
    tokio::time::advance(Duration::from_secs(5)).await;
    assert!(r.on_request());
    settle().await; // the load starts (and sleeps 10 s)
                    // Past the retry interval, the first still loading: no second one.
    tokio::time::advance(Duration::from_secs(6)).await;
    assert!(!r.on_request());
    assert!(!r.on_request());
    assert_eq!(loader.calls(), 2);
    tokio::time::advance(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(verifies(&secret, OLD), Ok(()));
    assert_eq!(loader.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_value_too_short_to_be_a_secret_is_not_taken() {
    let loader = FakeLoader::new(vec![Ok("short")]);
    let (r, secret, metrics) = rig(&loader);
    assert!(!r.load_initial().await);
    assert!(!secret.is_set(), "an 8-byte minimum");
    assert_eq!(metrics.values("WebhookSecretUnavailable"), vec![1.0]);
}

#[tokio::test(start_paused = true)]
async fn the_refreshing_handler_starts_refreshes_as_requests_arrive() {
    struct Echo(WebhookSecret);
    #[async_trait::async_trait]
    impl WebhookHandler for Echo {
        async fn handle(&self, _req: Request) -> Response<Body> {
            let status = if self.0.is_set() { 200 } else { 401 };
            Response::builder()
                .status(status)
                .body(Body::Empty)
                .unwrap_or_default()
        }
    }
    let loader = FakeLoader::new(vec![Err("down"), Ok(OLD)]);
    let (r, secret, _) = rig(&loader);
    r.load_initial().await;
    let handler = Refreshing::new(Echo(secret.clone()), Some(r));
    tokio::time::advance(Duration::from_secs(5)).await;
    let first = handler.handle(Request::default()).await;
    assert_eq!(first.status(), 401, "this request is not held up");
    settle().await;
    assert_eq!(loader.calls(), 2);
    let second = handler.handle(Request::default()).await;
    assert_eq!(second.status(), 200);
}

/// A signature that fails to match (the sender moved to a new secret before
/// the refresh interval) fetches the keys again, in the background: that
/// request is refused, the next ones verify — and a forger's bad signatures
/// cost at most one fetch a minute, none once a fetch found the keys
/// unchanged, until the periodic one.
#[tokio::test(start_paused = true)]
async fn a_mismatched_signature_fetches_the_keys_again_at_most_once_a_minute() {
    let loader = FakeLoader::new(vec![Ok(OLD)]);
    let (r, secret, _) = rig(&loader);
    assert!(r.load_initial().await);
    loader.then(Ok(NEW));
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(verifies(&secret, NEW), Err(SignatureError::Mismatch));
    assert!(!r.after_request(), "within a minute of the last load");
    tokio::time::advance(Duration::from_secs(50)).await;
    assert_eq!(verifies(&secret, NEW), Err(SignatureError::Mismatch));
    assert!(r.after_request(), "a minute on, well before the max age");
    settle().await;
    assert_eq!(loader.calls(), 2);
    assert_eq!(verifies(&secret, NEW), Ok(()));
    // A request that verified triggers nothing.
    tokio::time::advance(Duration::from_secs(61)).await;
    assert_eq!(verifies(&secret, NEW), Ok(()));
    assert!(!r.after_request());
    // Forged signatures: one fetch (it finds the keys unchanged) ...
    assert_eq!(
        verifies(&secret, "forged-secret-value"),
        Err(SignatureError::Mismatch)
    );
    assert!(r.after_request());
    settle().await;
    assert_eq!(loader.calls(), 3);
    // ... then none, however many and however spread, until the periodic
    // load (5 minutes after the last one) may have brought a rotation.
    for _ in 0..4 {
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            verifies(&secret, "forged-secret-value"),
            Err(SignatureError::Mismatch)
        );
        assert!(!r.after_request());
    }
    assert_eq!(loader.calls(), 3);
    tokio::time::advance(Duration::from_secs(60)).await;
    assert!(r.on_request(), "the periodic load");
    settle().await;
    assert_eq!(loader.calls(), 4);
}
