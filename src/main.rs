//! The `xingfu` binary: settings, telemetry, then the command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use xingfu_platform::{ServiceName, Settings, shutdown, telemetry};

/// xingfu (幸福): the community well-being programme's services.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML settings file, between the built-in defaults and XINGFU__… variables.
    #[arg(long, global = true, env = "XINGFU_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs services until SIGTERM or SIGINT (all five unless --services says which).
    Serve {
        /// Comma-separated: gateway, projects, volunteers, funds, workshops.
        #[arg(long, value_delimiter = ',')]
        services: Vec<ServiceName>,
    },
    /// Creates and migrates the services' databases, then exits.
    Migrate {
        /// Comma-separated: gateway, projects, volunteers, funds, workshops.
        #[arg(long, value_delimiter = ',')]
        services: Vec<ServiceName>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    let telemetry = telemetry::init(&settings, "xingfu")?;
    let result = match cli.command {
        Command::Serve { services } => {
            let stop = CancellationToken::new();
            shutdown::cancel_on_signal(stop.clone())?;
            xingfu::start_with_shutdown(settings, &services, stop)
                .await?
                .wait()
                .await
        }
        Command::Migrate { services } => xingfu::migrate(settings, &services).await,
    };
    telemetry.shutdown();
    result
}
