//! EventBridge Scheduler's part, locally: moto stores schedules but never fires them;
//! the runner fires those due on its clock.

use super::{lease_function, LocalSystem, Schedules};
use callback_lease::CallbackLease;
use lifeline_app::clock::Clock;
use lifeline_aws::dynamo::sdk_error::DisplayErrorContext;
use lifeline_aws::dynamo::DynamoStore;
use lifeline_aws::scheduler::{parse_at, EventBridgeScheduler, SchedulerConfig};
use std::sync::Arc;

impl LocalSystem {
    /// Fires the emulator's schedules when they fall due on this runner's
    /// clock (EventBridge Scheduler's part; moto stores schedules but never
    /// fires them). `client` reads and deletes them; the callback-lease
    /// function they target uses `store` and `scheduler`.
    pub fn with_schedules(
        mut self,
        client: aws_sdk_scheduler::Client,
        config: SchedulerConfig,
        store: DynamoStore,
        scheduler: aws_sdk_scheduler::Client,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(self.clock.clone());
        let target = Arc::new(CallbackLease::new(
            Arc::new(store),
            Arc::new(EventBridgeScheduler::new(scheduler, config.clone())),
            clock,
            self.config.settings.presence,
        ));
        self.register("callback-lease", lease_function(target.clone()));
        self.schedules = Some(Schedules {
            client,
            config,
            target,
            firing: tokio::sync::Mutex::new(()),
        });
        self
    }

    /// Fires every schedule due by the runner's clock, as the scheduler would
    /// (then deletes it: `ActionAfterCompletion: DELETE`). A firing whose
    /// invocation fails stays for the next round (the retry policy). The
    /// number of firings.
    pub async fn fire_due_schedules(&self) -> usize {
        let Some(s) = &self.schedules else { return 0 };
        let _one_at_a_time = s.firing.lock().await;
        let now = self.clock.now();
        let mut names = Vec::new();
        let mut token = None;
        loop {
            match s
                .client
                .list_schedules()
                .group_name(&s.config.group)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(page) => {
                    names.extend(
                        page.schedules()
                            .iter()
                            .filter_map(|x| x.name().map(String::from)),
                    );
                    match page.next_token() {
                        Some(t) => token = Some(t.to_string()),
                        None => break,
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %DisplayErrorContext(&e), "cannot list schedules");
                    return 0;
                }
            }
        }
        let mut fired = 0;
        for name in names {
            let Ok(sched) = s
                .client
                .get_schedule()
                .group_name(&s.config.group)
                .name(&name)
                .send()
                .await
            else {
                continue;
            };
            let due = sched
                .schedule_expression()
                .and_then(parse_at)
                .is_some_and(|at| at <= now);
            let input = sched.target().and_then(|t| t.input()).unwrap_or("{}");
            if !due {
                continue;
            }
            let payload: serde_json::Value = serde_json::from_str(input).unwrap_or_default();
            // Lease expiries and presence checks are callback-lease's,
            // escalation steps the notifier's (each schedule's target).
            let function = if payload.get("escalation").is_some() {
                "notifier"
            } else {
                "callback-lease"
            };
            let handed_over = self.fire(s, function, &name, payload).await;
            if handed_over {
                fired += 1;
                let _ = s
                    .client
                    .delete_schedule()
                    .group_name(&s.config.group)
                    .name(&name)
                    .send()
                    .await;
            }
        }
        fired
    }

    /// Hands one firing to `function`. The scheduler hands it to Lambda as
    /// an asynchronous invocation and is done with it (then deletes the
    /// schedule: `ActionAfterCompletion: DELETE`); Lambda retries a failure
    /// and keeps it in the function's failure queue. Without failure
    /// queues, the runner invokes directly and retries next round (false).
    async fn fire(
        &self,
        s: &Schedules,
        function: &'static str,
        name: &str,
        payload: serde_json::Value,
    ) -> bool {
        if let Some(invoker) = &self.invoker {
            let first_attempt_ok = invoker.invoke_first(function, payload).await;
            tracing::info!(schedule = %name, function, first_attempt_ok, "schedule fired");
            return true;
        }
        let result = if function == "callback-lease" {
            s.target.invoke(payload).await.map_err(|e| e.to_string())
        } else {
            let Some(target) = self.function(function) else {
                tracing::warn!(schedule = %name, function, "the schedule's target is not running; retried next round");
                return false;
            };
            target
                .invoke(payload.to_string().as_bytes())
                .await
                .map_err(|e| format!("{}: {}", e.error_type, e.error_message))
        };
        match result {
            Ok(out) => {
                tracing::info!(schedule = %name, function, result = %out, "schedule fired");
                true
            }
            Err(e) => {
                tracing::warn!(schedule = %name, function, error = %e, "schedule firing failed; retried next round");
                false
            }
        }
    }

    /// Fires due schedules every `every` until the task is aborted.
    pub fn start_scheduler(
        self: &Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.fire_due_schedules().await;
                tokio::time::sleep(every).await;
            }
        })
    }
}
