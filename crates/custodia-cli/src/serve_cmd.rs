//! `custodia serve`: the HTTP service.

use std::io::Write;

use clap::Args;
use custodia_server::{App, Config};

use crate::register_cmd::{PlaceArgs, app_failure, block_on};
use crate::{CmdResult, Failure};

/// Where the service's configuration comes from.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Listen address, HOST:PORT (port 0 picks a free one); overrides the configuration.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) addr: Option<String>,
    /// Reverse proxies whose X-Forwarded-For is believed: IP addresses or CIDR blocks, separated
    /// by commas; overrides the configuration (docs/access.md#client-address).
    #[arg(long, value_name = "LIST")]
    pub(crate) trusted_proxies: Option<String>,
    #[command(flatten)]
    pub(crate) place: PlaceArgs,
}

/// The one configuration loader (docs/command-line.md#configuration) with this command's flags.
pub(crate) fn load_config(args: &ServeArgs) -> Result<Config, Failure> {
    let mut flags: Vec<(&str, String)> = args.addr.iter().map(|a| ("addr", a.clone())).collect();
    flags.extend(args.trusted_proxies.iter().map(|p| ("trusted_proxies", p.clone())));
    args.place.config_with(&flags)
}

/// Binds the configured address (before anything else happens, so a busy port changes nothing).
pub(crate) fn bind(config: &Config) -> Result<std::net::TcpListener, Failure> {
    let listener = std::net::TcpListener::bind(config.addr)
        .map_err(|e| Failure::Input(format!("addr: cannot listen on {}: {e}", config.addr)))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serves on `listener` (from [`bind`]): prints `address: http://HOST:PORT`, runs `after_bind`,
/// and serves until SIGINT/SIGTERM.
pub(crate) async fn run_server(
    app: App,
    config: Config,
    listener: std::net::TcpListener,
    after_bind: impl AsyncFnOnce(&App, std::net::SocketAddr) -> CmdResult,
) -> CmdResult {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let bound = listener.local_addr()?;
    after_bind(&app, bound).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "address: http://{bound}")?;
        out.flush()?;
    }
    tracing::info!(%bound, backend = app.store().backend(), "serving");
    custodia_server::serve(app, config, listener, custodia_server::shutdown_signal()).await?;
    Ok(())
}

pub(crate) fn run_serve(args: &ServeArgs) -> CmdResult {
    let config = load_config(args)?;
    custodia_server::init_logging(&config);
    let listener = bind(&config)?;
    // A SQLite register is served by one process at a time (see data_lock).
    let _lock = if config.database_url.is_none() && config.data_dir.is_dir() {
        Some(crate::data_lock::lock(&config.data_dir)?)
    } else {
        None
    };
    block_on(async {
        let app = App::open(&config).await.map_err(app_failure)?;
        run_server(app, config, listener, async |_, _| Ok(())).await
    })
}
