//! `lifeline tenant`: the voice-platform tenant's route prerequisites.

use clap::Subcommand;
use lifeline_app::ports::AdminStore;
use lifeline_domain::route::TenantSettings;

use super::context::Context;
use super::failure::{store_err, Failure};
use super::output::print_json;

#[derive(Subcommand)]
pub enum TenantCmd {
    /// Set the route prerequisites of the voice-platform tenant.
    Set {
        /// A direct-routing voice route exists for emergency numbers.
        #[arg(long, action = clap::ArgAction::Set)]
        direct_routing_emergency_rule: bool,
        /// The tenant has at least one calling-plan number.
        #[arg(long, action = clap::ArgAction::Set)]
        calling_plan_numbers: bool,
    },
    /// Print the tenant settings as JSON.
    Show,
}

pub async fn run(cmd: TenantCmd, ctx: &Context) -> Result<(), Failure> {
    match cmd {
        TenantCmd::Set {
            direct_routing_emergency_rule,
            calling_plan_numbers,
        } => {
            let t = TenantSettings {
                direct_routing_emergency_rule,
                has_calling_plan_numbers: calling_plan_numbers,
            };
            ctx.store.put_tenant(t).await.map_err(store_err)?;
            print_json(&serde_json::to_value(t).unwrap_or_default());
        }
        TenantCmd::Show => {
            let t = ctx.store.get_tenant().await.map_err(store_err)?;
            print_json(&serde_json::to_value(t).unwrap_or_default());
        }
    }
    Ok(())
}
