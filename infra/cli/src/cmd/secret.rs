//! `lifeline secret`: the webhook secret in Secrets Manager, rotated with no
//! window in which the platform's signature is refused.

use clap::Subcommand;
use lifeline_app::settings::table::LIFELINE_WEBHOOK_SECRET_ARN;

use super::context::Context;
use super::failure::Failure;

#[derive(Subcommand)]
pub enum SecretCmd {
    /// Puts a new random value as the secret's current version; the old one
    /// stays accepted as the previous version. Prints the new value (give it
    /// to the voice platform; see README "Security" for the sequence).
    Rotate {
        /// The secret's ARN or name (the stack's `WebhookSecretArn` output).
        #[arg(long, env = LIFELINE_WEBHOOK_SECRET_ARN.name)]
        secret_id: String,
    },
    /// Ends the previous value's acceptance (once the platform signs with
    /// the new one only): the functions refuse it after their next refresh.
    RetirePrevious {
        #[arg(long, env = LIFELINE_WEBHOOK_SECRET_ARN.name)]
        secret_id: String,
    },
}

pub async fn run(cmd: SecretCmd, ctx: &Context) -> Result<(), Failure> {
    let client = aws_sdk_secretsmanager::Client::new(&ctx.conf);
    let failed = |e: lifeline_aws::secrets::SecretError| Failure::Store(e.to_string());
    match cmd {
        SecretCmd::Rotate { secret_id } => {
            let value = crate::new_webhook_secret();
            lifeline_aws::secrets::rotate(&client, &secret_id, &value)
                .await
                .map_err(failed)?;
            println!("{value}");
            eprintln!(
                "rotated: the functions accept the new and the previous secret within 5 minutes \
                 (their refresh); sign with both (two v2= values) or wait that long before the \
                 platform switches, then run `lifeline secret retire-previous`"
            );
        }
        SecretCmd::RetirePrevious { secret_id } => {
            let retired = lifeline_aws::secrets::retire_previous(&client, &secret_id)
                .await
                .map_err(failed)?;
            eprintln!(
                "{}",
                if retired {
                    "previous secret retired: refused after the functions' next refresh (within 5 minutes)"
                } else {
                    "no previous secret to retire"
                }
            );
        }
    }
    Ok(())
}
