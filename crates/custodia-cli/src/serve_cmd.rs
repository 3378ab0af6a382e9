//! `custodia serve` and `custodia user`: the HTTP service and its users and tokens.

use custodia_store::prelude::*;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use custodia_server::Config;
use custodia_server::routes::users::{CreateUser, validate_user};

use crate::register_cmd::{RegisterArgs, actor, block_on, open, store_failure};
use crate::{CmdResult, Failure};

/// Where the service's configuration comes from.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Listen address, HOST:PORT (port 0 picks a free one); overrides the configuration.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) addr: Option<String>,
    /// Configuration file (default: ./custodia.toml when it exists). See custodia.example.toml.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Data directory; overrides the configuration.
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Database URL (postgres://…); overrides the configuration.
    #[arg(long, value_name = "URL")]
    pub(crate) database: Option<String>,
}

/// Defaults, then the configuration file, then `CUSTODIA_*` variables, then these flags.
pub(crate) fn load_config(args: &ServeArgs) -> Result<Config, Failure> {
    let (path, explicit) = match &args.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("custodia.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => None,
        Err(e) => return Err(Failure::Input(format!("--config: {}: {e}", path.display()))),
    };
    let shown = path.display().to_string();
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    if let Some(addr) = &args.addr {
        env.push(("CUSTODIA_ADDR".into(), addr.clone()));
    }
    if let Some(dir) = &args.data_dir {
        env.push(("CUSTODIA_DATA_DIR".into(), dir.display().to_string()));
    }
    if let Some(url) = &args.database {
        env.push(("CUSTODIA_DATABASE_URL".into(), url.clone()));
    }
    // Later entries win: flags were pushed after the environment.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (k, v) in env {
        merged.retain(|(existing, _)| *existing != k);
        merged.push((k, v));
    }
    Config::load(text.as_deref().map(|t| (shown.as_str(), t)), merged).map_err(|e| Failure::Input(e.to_string()))
}

/// Binds, prints `address: http://HOST:PORT`, runs `after_bind`, and serves until SIGINT/SIGTERM.
pub(crate) async fn run_server(
    config: Config,
    after_bind: impl AsyncFnOnce(&custodia_store::Store, std::net::SocketAddr) -> CmdResult,
) -> CmdResult {
    custodia_server::init_logging(&config);
    let (store, key) = custodia_server::open(&config).await.map_err(|e| Failure::Other(anyhow::anyhow!(e)))?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| Failure::Input(format!("addr: cannot listen on {}: {e}", config.addr)))?;
    let bound = listener.local_addr()?;
    after_bind(&store, bound).await?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "address: http://{bound}")?;
        out.flush()?;
    }
    tracing::info!(%bound, backend = store.backend(), "serving");
    custodia_server::serve(store, config, key, listener, custodia_server::shutdown_signal()).await?;
    Ok(())
}

pub(crate) fn run_serve(args: &ServeArgs) -> CmdResult {
    let config = load_config(args)?;
    block_on(run_server(config, async |_, _| Ok(())))
}

/// `custodia user` subcommands (the register directly, no server needed).
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user with a role and scopes.
    Add {
        /// Unique name.
        name: String,
        /// admin, sending_officer, receiving_officer, facility_officer, legal_officer,
        /// finance_officer, inspector or auditor.
        #[arg(long)]
        role: String,
        /// Agreement ids in scope, comma-separated, or * for all.
        #[arg(long, value_delimiter = ',', required = true)]
        agreements: Vec<String>,
        /// Facility ids in scope, comma-separated, or * for all (default).
        #[arg(long, value_delimiter = ',')]
        facilities: Vec<String>,
        /// Read a password for the web login from standard input (first line; at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List users.
    List {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Create an API token for a user and print its secret (shown once, stored only as a hash).
    Token {
        /// The user.
        name: String,
        /// A label (what uses the token).
        #[arg(long, default_value = "cli")]
        label: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List API tokens (never their secrets).
    Tokens {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Revoke an API token.
    Revoke {
        /// The token id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

pub(crate) fn run_user(command: &UserCommand) -> CmdResult {
    match command {
        UserCommand::Add { name, role, agreements, facilities, password_stdin, register } => {
            let password = if *password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\n', '\r']).to_owned())
            } else {
                None
            };
            let user = validate_user(CreateUser {
                name: name.clone(),
                role: role.clone(),
                agreements: agreements.clone(),
                facilities: (!facilities.is_empty()).then(|| facilities.clone()),
                password,
            })
            .map_err(|e| Failure::Input(format!("{}: {}", e.body.field.unwrap_or_default(), e.body.message)))?;
            let who = actor(register)?;
            block_on(async {
                let store = open(register).await?;
                let row = store.create_user(&user, &who).await.map_err(store_failure)?;
                writeln!(std::io::stdout().lock(), "user {} ({}) added, id {}", row.name, row.role, row.id)?;
                Ok(())
            })
        }
        UserCommand::List { register } => block_on(async {
            let store = open(register).await?;
            let mut out = std::io::stdout().lock();
            for u in store.users().await.map_err(store_failure)? {
                writeln!(
                    out,
                    "{:>4}  {:<24} {:<18} agreements {}  facilities {}{}",
                    u.id,
                    u.name,
                    u.role,
                    u.agreements.join(","),
                    u.facilities.join(","),
                    if u.password_hash.is_some() { "  (password login)" } else { "" }
                )?;
            }
            Ok(())
        }),
        UserCommand::Token { name, label, register } => {
            let who = actor(register)?;
            if label.trim().is_empty() || label.len() > 200 {
                return Err(Failure::Input("--label: must be 1 to 200 characters".into()));
            }
            block_on(async {
                let store = open(register).await?;
                let (secret, hash) =
                    custodia_server::auth::new_token().map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
                let row = store.create_token(name, &hash, label, &who).await.map_err(store_failure)?;
                let mut out = std::io::stdout().lock();
                writeln!(out, "token {} for {} ({}): {secret}", row.id, row.user_name, row.label)?;
                writeln!(out, "keep it now: only its SHA-256 is stored")?;
                Ok(())
            })
        }
        UserCommand::Tokens { register } => block_on(async {
            let store = open(register).await?;
            let mut out = std::io::stdout().lock();
            for t in store.tokens().await.map_err(store_failure)? {
                writeln!(
                    out,
                    "{:>4}  {:<24} {:<20} created {}{}",
                    t.id,
                    t.user_name,
                    t.label,
                    t.created_at,
                    t.revoked_at.map(|r| format!("  revoked {r}")).unwrap_or_default()
                )?;
            }
            Ok(())
        }),
        UserCommand::Revoke { id, register } => {
            let who = actor(register)?;
            block_on(async {
                let store = open(register).await?;
                let row = store.revoke_token(*id, &who).await.map_err(store_failure)?;
                writeln!(std::io::stdout().lock(), "token {} of {} revoked", row.id, row.user_name)?;
                Ok(())
            })
        }
    }
}
