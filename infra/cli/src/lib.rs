//! The admin CLI's library: its subcommands ([`cmd`]). The dead letters
//! (`lifeline dlq`) are `lifeline_dead_letters`'s, re-exported as [`dlq`],
//! with what makes text from outside safe to print ([`printable`]). The
//! readiness checks (`lifeline doctor`) are `lifeline_readiness`'s, re-exported
//! as [`doctor`].

pub mod cmd;

/// The readiness checks, under the name the CLI's tests have known them by.
pub use lifeline_readiness as doctor;

/// The dead letters (`lifeline dlq`), under the name the CLI's tests have
/// known them by.
pub use lifeline_dead_letters as dlq;

/// Text from outside made safe to print: the dead letters' own, which every
/// command's output passes through (`cmd::output`).
pub use lifeline_dead_letters::printable;

/// A new webhook secret: 64 hex digits from two random UUIDs (256 bits of
/// which 244 random), the length and alphabet the stack generates.
pub fn new_webhook_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The variable that sets how long a registered location stands in for a
/// dial that brings none (the functions' `Settings::location_fresh_for`).
pub const LOCATION_FRESH_VAR: &str =
    lifeline_app::settings::table::LIFELINE_LOCATION_FRESH_HOURS.name;

/// How long a registered location is fresh, as the deployment's functions
/// read it from `LIFELINE_LOCATION_FRESH_HOURS` (default 12 h, 1 to 168).
pub fn location_fresh_for() -> Result<chrono::Duration, String> {
    location_fresh_for_from(std::env::var(LOCATION_FRESH_VAR).ok())
}

/// [`location_fresh_for`] from `value` (the variable's value, `None` when
/// unset): read through `Settings`, so the default and the bounds are the
/// functions' own.
pub fn location_fresh_for_from(value: Option<String>) -> Result<chrono::Duration, String> {
    lifeline_app::settings::Settings::from_lookup(|name| {
        (name == LOCATION_FRESH_VAR)
            .then(|| value.clone())
            .flatten()
    })
    .map(|s| s.location_fresh_for)
    .map_err(|e| e.to_string())
}

/// The variable naming the hosts chat recipients may point at (the
/// functions' `Settings::chat_allowed_hosts`).
pub const CHAT_HOSTS_VAR: &str = lifeline_app::settings::table::LIFELINE_CHAT_ALLOWED_HOSTS.name;

/// The chat hosts allowed, as the deployment's functions read them from
/// `LIFELINE_CHAT_ALLOWED_HOSTS` (empty: none): a list the CLI writes is
/// checked against the same list the notifier sends with.
pub fn chat_allowed_hosts() -> Result<lifeline_domain::recipient::ChatHosts, String> {
    chat_allowed_hosts_from(std::env::var(CHAT_HOSTS_VAR).ok())
}

/// [`chat_allowed_hosts`] from `value` (the variable's value, `None` when unset).
pub fn chat_allowed_hosts_from(
    value: Option<String>,
) -> Result<lifeline_domain::recipient::ChatHosts, String> {
    lifeline_app::settings::Settings::from_lookup(|name| {
        (name == CHAT_HOSTS_VAR).then(|| value.clone()).flatten()
    })
    .map(|s| s.chat_allowed_hosts)
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_hosts_are_read_as_the_functions_read_them() {
        assert!(chat_allowed_hosts_from(None).unwrap().as_slice().is_empty());
        assert_eq!(
            chat_allowed_hosts_from(Some("Hooks.Slack.com,127.0.0.1".into()))
                .unwrap()
                .joined(),
            "hooks.slack.com,127.0.0.1"
        );
        let e = chat_allowed_hosts_from(Some("https://x".into())).unwrap_err();
        assert!(e.contains(CHAT_HOSTS_VAR), "{e}");
    }

    #[test]
    fn the_freshness_limit_is_read_as_the_functions_read_it() {
        assert_eq!(
            location_fresh_for_from(None),
            Ok(chrono::Duration::hours(12))
        );
        assert_eq!(
            location_fresh_for_from(Some("24".into())),
            Ok(chrono::Duration::hours(24))
        );
        let e = location_fresh_for_from(Some("0".into())).unwrap_err();
        assert!(e.contains(LOCATION_FRESH_VAR), "{e}");
    }
}
