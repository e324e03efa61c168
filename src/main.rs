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
        #[arg(long, value_delimiter = ',', value_parser = xingfu::service_named)]
        services: Vec<ServiceName>,
        /// Once up, load the district's demo programme through the gateway (see `seed`).
        #[arg(long)]
        demo: bool,
    },
    /// Loads data into a running suite through the gateway's public API.
    Seed {
        /// The district's demo programme: every figure of the source article.
        #[arg(long, required = true)]
        demo: bool,
        /// The seed the data is generated from (same seed, same data).
        #[arg(long, default_value_t = xingfu::demo::DEFAULT_SEED)]
        seed: u64,
        /// The gateway (default: http://<gateway.listen>).
        #[arg(long)]
        endpoint: Option<String>,
        /// The API key; default: $XINGFU_API_KEY, else <data_dir>/admin-api-key.
        #[arg(long)]
        api_key: Option<String>,
    },
    /// Creates and migrates the services' databases, then exits.
    Migrate {
        /// Comma-separated: gateway, projects, volunteers, funds, workshops.
        #[arg(long, value_delimiter = ',', value_parser = xingfu::service_named)]
        services: Vec<ServiceName>,
    },
    /// Loads data into a running suite through the gateway.
    Import {
        #[command(subcommand)]
        what: Import,
    },
    /// xingfu's events on NATS JetStream.
    Events {
        #[command(subcommand)]
        what: Events,
    },
    /// The charity ledger's tools.
    Funds {
        #[command(subcommand)]
        what: Funds,
    },
    /// Lists every configuration key: key, environment variable, default (tab-separated).
    ConfigKeys,
    /// Writes the descriptor set of every xingfu proto (for tools that decode events or
    /// call the API without generated code).
    Descriptors {
        /// Where to write it; standard output when absent.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Events {
    /// Prints events decoded with the descriptor set, as JSON lines with --json.
    Tail {
        /// A subject filter, e.g. xingfu.projects.> (NATS wildcards).
        #[arg(long)]
        subject: Option<String>,
        /// Where to start: an RFC 3339 time or a date (UTC), a stream sequence, start or now.
        #[arg(long, default_value = "now")]
        since: xingfu::events_cli::Since,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Stop after this many events.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Rebuilds a service's read models from the streams it consumes: from `start` (the
    /// default) they are emptied and rebuilt; from a time or sequence, missed events are
    /// applied.
    Replay {
        /// The consuming service: projects, funds, …
        #[arg(long, value_parser = xingfu::service_named)]
        service: ServiceName,
        /// start, or an RFC 3339 time or date (UTC), or a stream sequence.
        #[arg(long, default_value = "start")]
        since: xingfu::events_cli::Since,
    },
}

#[derive(Subcommand)]
enum Funds {
    /// Recomputes every balance and the hash chain of the funds database (as configured)
    /// and reports the first break. Exits 1 when the ledger does not verify.
    Verify,
}

#[derive(Subcommand)]
enum Import {
    /// Residents' needs from a questionnaire's CSV export (see ImportNeeds in the API).
    /// Exits 2 when some rows were rejected.
    Needs {
        /// The CSV file.
        file: PathBuf,
        /// The gateway (default: http://<gateway.listen>).
        #[arg(long)]
        endpoint: Option<String>,
        /// The API key (`<key id>.<secret>`); default: $XINGFU_API_KEY, else the first
        /// admin key in <data_dir>/admin-api-key.
        #[arg(long)]
        api_key: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Import {
            what:
                Import::Needs {
                    file,
                    endpoint,
                    api_key,
                },
        } => {
            return import_needs(
                cli.config.as_deref(),
                file,
                endpoint.clone(),
                api_key.clone(),
            );
        }
        Command::ConfigKeys => return config_keys(),
        Command::Descriptors { output } => return descriptors(output.as_deref()),
        Command::Serve { .. }
        | Command::Seed { .. }
        | Command::Migrate { .. }
        | Command::Funds { .. }
        | Command::Events { .. } => {}
    }
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
    let settings = Settings::load(cli.config.as_deref(), &xingfu::service_settings())?;
    let telemetry = telemetry::init(&settings, "xingfu")?;
    let result = match cli.command {
        Command::Serve { services, demo } => {
            let stop = CancellationToken::new();
            shutdown::cancel_on_signal(stop.clone())?;
            let suite = xingfu::start_with_shutdown(settings.clone(), &services, stop).await?;
            let demo = match (demo, suite.addr(xingfu_gateway::NAME)) {
                (false, _) => None,
                (true, None) => anyhow::bail!("--demo loads through the gateway: run it too"),
                (true, Some(gateway)) => Some((
                    format!("http://{gateway}"),
                    xingfu::demo_key(&settings, None)?,
                )),
            };
            // The load runs beside the suite (it calls the suite), in this task.
            let load = async {
                let Some((endpoint, key)) = demo else { return };
                let started = std::time::Instant::now();
                match xingfu::seed_demo(&endpoint, &key, xingfu::demo::DEFAULT_SEED).await {
                    Ok(loaded) => tracing::info!(
                        calls = loaded.calls,
                        seconds = started.elapsed().as_secs_f64(),
                        "loaded the demo programme"
                    ),
                    Err(err) => tracing::error!(
                        error = %format!("{err:#}"),
                        "the demo programme did not load"
                    ),
                }
            };
            let (waited, ()) = tokio::join!(suite.wait(), load);
            waited
        }
        Command::Seed {
            demo: _,
            seed,
            endpoint,
            api_key,
        } => {
            let key = xingfu::demo_key(&settings, api_key)?;
            let endpoint = endpoint.unwrap_or_else(|| {
                format!("http://{}", settings.service(xingfu_gateway::NAME).listen)
            });
            let started = std::time::Instant::now();
            let loaded = xingfu::seed_demo(&endpoint, &key, seed).await?;
            use std::io::Write as _;
            writeln!(
                std::io::stdout().lock(),
                "loaded the demo programme: {} calls in {:.1} s",
                loaded.calls,
                started.elapsed().as_secs_f64()
            )?;
            Ok(())
        }
        Command::Migrate { services } => xingfu::migrate(settings, &services).await,
        Command::Funds {
            what: Funds::Verify,
        } => return xingfu::funds_verify(settings).await,
        Command::Events {
            what:
                Events::Tail {
                    subject,
                    since,
                    json,
                    count,
                },
        } => {
            let tail = xingfu::events_cli::Tail {
                subject,
                since,
                json,
                count,
            };
            let result =
                xingfu::events_cli::tail(&settings, &tail, &mut std::io::stdout().lock()).await;
            telemetry.shutdown();
            return result;
        }
        Command::Events {
            what: Events::Replay { service, since },
        } => {
            let result = xingfu::events_cli::replay(
                &settings,
                service,
                since,
                &mut std::io::stdout().lock(),
            )
            .await;
            telemetry.shutdown();
            return result;
        }
        Command::Import { .. } | Command::ConfigKeys | Command::Descriptors { .. } => Ok(()),
    };
    telemetry.shutdown();
    result
}

/// Imports needs and prints the report: one line of totals, then each rejected row.
fn import_needs(
    config: Option<&std::path::Path>,
    file: &std::path::Path,
    endpoint: Option<String>,
    api_key: Option<String>,
) -> ExitCode {
    use std::io::Write as _;
    let run = async {
        let settings = Settings::load(config, &xingfu::service_settings())?;
        let endpoint = endpoint
            .unwrap_or_else(|| format!("http://{}", settings.service(xingfu_gateway::NAME).listen));
        let api_key = match api_key.or_else(|| std::env::var("XINGFU_API_KEY").ok()) {
            Some(key) => key,
            None => {
                let path = settings.data_dir.join("admin-api-key");
                std::fs::read_to_string(&path).map_err(|e| {
                    anyhow::anyhow!(
                        "no API key: give --api-key or XINGFU_API_KEY ({}: {e})",
                        path.display()
                    )
                })?
            }
        };
        xingfu::import::import_needs(&endpoint, api_key.trim(), file).await
    };
    let report = match tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| rt.block_on(run))
    {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "imported {}, already imported {}, rejected {}",
        report.imported,
        report.already_imported,
        report.rejected.len()
    );
    for row in &report.rejected {
        let _ = writeln!(out, "line {}: {}", row.line, row.reason);
    }
    if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}

fn config_keys() -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for key in xingfu_platform::settings::documented_keys(&xingfu::service_settings()) {
        let _ = writeln!(out, "{}\t{}\t{}", key.key, key.env, key.default);
    }
    ExitCode::SUCCESS
}

fn descriptors(output: Option<&std::path::Path>) -> ExitCode {
    use std::io::Write as _;
    let bytes = xingfu_proto::FILE_DESCRIPTOR_SET;
    let written = match output {
        Some(path) => std::fs::write(path, bytes),
        None => std::io::stdout().lock().write_all(bytes),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: writing the descriptor set: {err}");
            ExitCode::FAILURE
        }
    }
}
