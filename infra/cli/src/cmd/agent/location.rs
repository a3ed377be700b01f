//! `lifeline agent location`: the agent's registered location, through the
//! service the HTTP route (`PUT /agents/{id}/location`) uses.

use std::sync::Arc;

use clap::{Args, Subcommand};
use lifeline_app::clock::SystemClock;
use lifeline_app::ports::{LocationError, LocationStore};
use lifeline_app::service::location::{LocationService, RegisteredView};
use lifeline_domain::location::{Location, LocationInput, LocationQuality};
use lifeline_domain::types::AgentId;

use crate::cmd::context::Context;
use crate::cmd::failure::{store_err, usage, Failure};
use crate::cmd::output::print_json;

#[derive(Subcommand)]
pub enum LocationCmd {
    /// Register where the agent is now, as the desktop does.
    ///
    /// The same registration as PUT /agents/{id}/location: dials that bring
    /// no location of their own use it while it is fresh
    /// (LIFELINE_LOCATION_FRESH_HOURS, default 12). Give it with --json or
    /// with the flags. Prints the registration as JSON. Exit 2 for a bad
    /// field or an unknown agent.
    Set(Box<LocationSet>),
    /// Print the agent's registered location as JSON.
    ///
    /// `fresh` says whether a dial that brings no location would use it now.
    /// Exit 1 when there is none, 2 for an unknown agent.
    Show {
        /// Agent id, e.g. a-42.
        id: String,
    },
}

/// The flags a location can be given with, as `--json` would name its fields.
const LOCATION_FLAGS: [&str; 7] = [
    "country", "address", "civic", "lat", "lon", "radius_m", "method",
];

#[derive(Args)]
pub struct LocationSet {
    /// Agent id, e.g. a-42.
    id: String,
    /// The whole location as JSON, as the desktop sends it:
    /// '{"country":"US","civic":{"A1":"WA","A3":"Redmond","RD":"Main St","HNO":"1"},"method":"Manual"}'
    /// (fields: country, address, civic, lat, lon, radiusM, method, determinedAt).
    #[arg(long, value_name = "OBJECT", conflicts_with_all = LOCATION_FLAGS)]
    json: Option<String>,
    /// Country (ISO 3166 alpha-2).
    #[arg(long)]
    country: Option<String>,
    /// Free-text address.
    #[arg(long)]
    address: Option<String>,
    /// A civic address element (RFC 5139), repeatable: --civic RD="Main St"
    /// --civic HNO=1 --civic A3=Redmond --civic A1=WA (street, house number,
    /// city and state or postcode make it dispatchable).
    #[arg(long, value_name = "KEY=VALUE")]
    civic: Vec<String>,
    /// Latitude, WGS 84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    lat: Option<f64>,
    /// Longitude, WGS 84 degrees.
    #[arg(long, allow_negative_numbers = true)]
    lon: Option<f64>,
    /// Uncertainty radius of the coordinates, in metres.
    #[arg(long)]
    radius_m: Option<f64>,
    /// How it was determined: Manual, GPS, Wifi, Cell, DHCP, Derived.
    #[arg(long)]
    method: Option<String>,
}

pub async fn run(cmd: LocationCmd, ctx: &Context) -> Result<(), Failure> {
    // As the functions read it: `fresh` and the TTL are theirs.
    let fresh_for = crate::location_fresh_for().map_err(Failure::Usage)?;
    let service = LocationService::new(
        Arc::new(ctx.store.clone()),
        Arc::new(SystemClock),
        fresh_for,
    );
    match cmd {
        LocationCmd::Set(s) => print_registered(&location_set(&service, &s).await?, fresh_for),
        LocationCmd::Show { id } => match location_show(&service, &id).await? {
            Some(v) => print_registered(&v, fresh_for),
            None => {
                eprintln!(
                    "no registered location for agent `{id}`: register one with \
                     `lifeline agent location set {id} …` or from the desktop \
                     (PUT /agents/{id}/location)"
                );
                return Err(Failure::Exit(1));
            }
        },
    }
    Ok(())
}

fn location_err(e: LocationError) -> Failure {
    match e {
        LocationError::UnknownAgent(id) => Failure::Usage(format!("no agent `{id}`")),
        // The desktop's clock is ahead, or it registered during this command.
        e @ LocationError::Stale(_) => Failure::Usage(format!(
            "{e}: the agent registered a location signed later; check it with `lifeline agent location show`"
        )),
        LocationError::Store(e) => store_err(e),
    }
}

/// The fields `--json` takes (a location's wire names).
const LOCATION_FIELDS: [&str; 8] = [
    "country",
    "address",
    "civic",
    "lat",
    "lon",
    "radiusM",
    "method",
    "determinedAt",
];

/// The location `--json` gives: an object of the wire's fields, each of its
/// type; the first that is not is named.
fn location_json(json: &str) -> Result<LocationInput, Failure> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| Failure::Usage(format!("--json: not JSON: {e}")))?;
    let serde_json::Value::Object(fields) = &value else {
        return Err(Failure::Usage("--json: must be a JSON object".into()));
    };
    for (name, v) in fields {
        if !LOCATION_FIELDS.contains(&name.as_str()) {
            return Err(Failure::Usage(format!(
                "--json: unknown field `{name}` (a location has {})",
                LOCATION_FIELDS.join(", ")
            )));
        }
        let one = serde_json::json!({ name: v });
        serde_json::from_value::<LocationInput>(one)
            .map_err(|e| Failure::Usage(format!("--json: `location.{name}`: {e}")))?;
    }
    serde_json::from_value(value).map_err(|e| Failure::Usage(format!("--json: {e}")))
}

/// The location the flags give, not yet checked; a `--civic` that is no
/// KEY=VALUE, or a key given twice, is refused here.
fn location_flags(s: &LocationSet) -> Result<LocationInput, Failure> {
    let mut civic = std::collections::BTreeMap::new();
    for pair in &s.civic {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--civic: `{pair}` is not KEY=VALUE")))?;
        let key = key.trim().to_ascii_uppercase();
        if civic.insert(key.clone(), value.to_string()).is_some() {
            return Err(Failure::Usage(format!("--civic: {key} given twice")));
        }
    }
    Ok(LocationInput {
        country: s.country.clone(),
        address: s.address.clone(),
        civic: (!civic.is_empty()).then_some(civic),
        lat: s.lat,
        lon: s.lon,
        radius_m: s.radius_m,
        method: s.method.clone(),
        determined_at: None,
    })
}

/// The flag a location field is given with.
fn location_flag(field: &str) -> String {
    match field.split_once('.') {
        Some(("civic", key)) => format!("--civic {key}"),
        _ => match field {
            "radiusM" => "--radius-m".into(),
            "determinedAt" => "--json's determinedAt".into(),
            other => format!("--{other}"),
        },
    }
}

/// The location `set` was given (`--json` or the flags), checked as the
/// HTTP route checks it: the first bad field is named.
fn parse_location(s: &LocationSet) -> Result<Location, Failure> {
    let (input, from_json) = match &s.json {
        Some(json) => (location_json(json)?, true),
        None => (location_flags(s)?, false),
    };
    let location = input.validate().map_err(|e| {
        Failure::Usage(if from_json {
            format!("--json: {e}")
        } else {
            format!(
                "{}: {}",
                location_flag(&e.field),
                e.detail.replace("`lat` and `lon`", "--lat and --lon")
            )
        })
    })?;
    location.ok_or_else(|| {
        Failure::Usage(
            "nothing to register: give --json, or --country, --address, --civic KEY=VALUE, --lat and --lon"
                .into(),
        )
    })
}

/// `agent location set`: registers the location through the service the
/// HTTP route uses (same TTL, same profile check).
async fn location_set<S: LocationStore>(
    service: &LocationService<S>,
    s: &LocationSet,
) -> Result<RegisteredView, Failure> {
    // Everything is validated before anything is written.
    let id: AgentId = s.id.parse().map_err(usage("agent id"))?;
    let location = parse_location(s)?;
    service.register(&id, location).await.map_err(location_err)
}

/// `agent location show`: the registration, `None` when there is none.
async fn location_show<S: LocationStore>(
    service: &LocationService<S>,
    id: &str,
) -> Result<Option<RegisteredView>, Failure> {
    let id: AgentId = id.parse().map_err(usage("agent id"))?;
    service.show(&id).await.map_err(location_err)
}

/// What an admin is told about a registration beside its JSON.
fn location_notes(v: &RegisteredView, fresh_for: chrono::Duration) -> Vec<String> {
    let mut notes = Vec::new();
    if !v.fresh {
        notes.push(format!(
            "registered at {}, past the freshness limit of {} ({}): dials do not use it",
            v.registered_at,
            lifeline_readiness::span(fresh_for),
            crate::LOCATION_FRESH_VAR
        ));
    }
    if v.location_quality != Some(LocationQuality::Dispatchable) {
        notes.push(format!(
            "this location is {}: not enough to reach the door (a street, house number, city, and state or postcode make it dispatchable)",
            v.location_quality.map_or("empty", LocationQuality::as_str)
        ));
    }
    notes
}

fn print_registered(v: &RegisteredView, fresh_for: chrono::Duration) {
    print_json(&serde_json::to_value(v).unwrap_or_default());
    for note in location_notes(v, fresh_for) {
        eprintln!("warning: {note}");
    }
}

#[cfg(test)]
mod tests;
