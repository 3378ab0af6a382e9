//! `custodia init` (the only command that creates a register) and `custodia user` (users, roles,
//! scopes and tokens; docs/access.md).

use std::io::Write;

use clap::{Args, Subcommand};
use custodia_app::App;
use custodia_app::users::{AccessWarning, UserChangeOutcome, UserRequest, UserUpdate};

use crate::register_cmd::{PlaceArgs, RegisterArgs, app_failure, block_on, now, open, open_app};
use crate::{CmdResult, Failure};

/// `custodia init`: a new register with its first admin.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The first admin's user name.
    #[arg(long, value_name = "NAME")]
    admin: String,
    /// Read a password for the admin's sign-in from standard input (first line; 12 or more characters).
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    place: PlaceArgs,
}

fn read_password(wanted: bool) -> Result<Option<String>, Failure> {
    if !wanted {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
}

pub(crate) fn run_init(args: &InitArgs) -> CmdResult {
    let config = args.place.config_with(&[])?;
    let password = read_password(args.password_stdin)?;
    block_on(async {
        let (app, token) = App::init(&config, &args.admin, password, &now()?).await.map_err(app_failure)?;
        app.close().await;
        let mut out = std::io::stdout().lock();
        writeln!(out, "admin token: {}", token.secret)?;
        writeln!(
            out,
            "register created at {} with admin {}",
            custodia_app::register::place(&config),
            token.row.user_name
        )?;
        writeln!(out, "keep the token now: only its SHA-256 is stored (export CUSTODIA_TOKEN=… to use it)")?;
        Ok(())
    })
}

/// `custodia user` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Propose a user with a role and scopes (admins). A second admin confirms it with
    /// `custodia user confirm ID`; while the register has a single admin it takes effect at once.
    Add {
        /// Unique name (compared after Unicode NFC normalisation, trimming and lower-casing).
        name: String,
        /// admin, sending_officer, receiving_officer, facility_officer, legal_officer,
        /// finance_officer, inspector or auditor.
        #[arg(long)]
        role: String,
        /// Agreement ids in scope, comma-separated, or * for all; each must be in the register.
        #[arg(long, value_delimiter = ',', required = true)]
        agreements: Vec<String>,
        /// Facility ids in scope, comma-separated, or * for all (default).
        #[arg(long, value_delimiter = ',')]
        facilities: Vec<String>,
        /// Read a password for sign-in from standard input (first line; at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Propose a new role or scopes for a user (admins); confirmed like a new user.
    Set {
        /// The user.
        name: String,
        /// A new role.
        #[arg(long)]
        role: Option<String>,
        /// New agreement ids in scope, comma-separated, or *.
        #[arg(long, value_delimiter = ',')]
        agreements: Option<Vec<String>>,
        /// New facility ids in scope, comma-separated, or *.
        #[arg(long, value_delimiter = ',')]
        facilities: Option<Vec<String>>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Confirm a user change another admin proposed; it takes effect at once.
    Confirm {
        /// The change id (`custodia user changes` lists them).
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List user changes, pending first, and open access warnings such as SINGLE_ADMIN (admins and
    /// auditors).
    Changes {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List users (admins).
    List {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Issue an API token to a user and print its secret once (stored only as a hash). Run on the
    /// register's host: it needs the database, not a token. This is how users get their first token.
    Token {
        /// The user.
        name: String,
        /// A label (what uses the token).
        #[arg(long, default_value = "cli")]
        label: String,
        /// The token stops working after this long: 30d, 8h, 90m or 3600s (at most ten years).
        #[arg(long, value_name = "LIFETIME", conflicts_with = "expires_at")]
        expires_in: Option<String>,
        /// The token stops working at this instant (RFC 3339, e.g. 2027-01-01T00:00:00Z).
        #[arg(long, value_name = "INSTANT")]
        expires_at: Option<String>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Disable a user (admins): at once, their tokens and password are refused. The last enabled
    /// admin cannot be disabled.
    Disable {
        /// The user.
        name: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Enable a disabled user again (admins): one admin proposes, a second confirms by running the
    /// same command; with a single enabled admin it takes effect at once.
    Enable {
        /// The user.
        name: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List API tokens (never their secrets): an admin sees everyone's, others their own.
    Tokens {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Revoke an API token (your own, or anyone's as an admin).
    Revoke {
        /// The token id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

fn print_outcome(outcome: &UserChangeOutcome) -> CmdResult {
    let c = &outcome.change;
    let mut out = std::io::stdout().lock();
    if outcome.applied {
        writeln!(
            out,
            "user change {} applied: {} is {} (agreements {})",
            c.id,
            c.name,
            c.role,
            c.agreements.join(",")
        )?;
    } else {
        writeln!(
            out,
            "user change {} proposed: {} as {}; another admin confirms it with `custodia user confirm {}`",
            c.id, c.name, c.role, c.id
        )?;
    }
    if outcome.single_admin {
        writeln!(
            out,
            "warning {}: {}",
            AccessWarning::SingleAdmin.code(),
            AccessWarning::SingleAdmin.text(crate::language())
        )?;
    }
    Ok(())
}

pub(crate) fn run_user(command: &UserCommand) -> CmdResult {
    match command {
        UserCommand::Add { name, role, agreements, facilities, password_stdin, register } => {
            let request = UserRequest {
                name: name.clone(),
                role: role.clone(),
                agreements: agreements.clone(),
                facilities: (!facilities.is_empty()).then(|| facilities.clone()),
                password: read_password(*password_stdin)?,
            };
            block_on(async {
                let s = open(register).await?;
                let outcome = s.app.add_user(&s.who, request, &s.now).await.map_err(app_failure)?;
                print_outcome(&outcome)
            })
        }
        UserCommand::Set { name, role, agreements, facilities, register } => {
            let update = UserUpdate {
                name: name.clone(),
                role: role.clone(),
                agreements: agreements.clone(),
                facilities: facilities.clone(),
            };
            block_on(async {
                let s = open(register).await?;
                let outcome = s.app.change_user(&s.who, update, &s.now).await.map_err(app_failure)?;
                print_outcome(&outcome)
            })
        }
        UserCommand::Confirm { id, register } => block_on(async {
            let s = open(register).await?;
            let change = s.app.confirm_user_change(&s.who, *id, &s.now).await.map_err(app_failure)?;
            writeln!(
                std::io::stdout().lock(),
                "user change {} confirmed: {} is now {}",
                change.id,
                change.name,
                change.role
            )?;
            Ok(())
        }),
        UserCommand::Changes { register } => block_on(async {
            let s = open(register).await?;
            let changes = s.app.user_changes(&s.who).await.map_err(app_failure)?;
            let warnings = s.app.access_warnings().await.map_err(app_failure)?;
            let mut out = std::io::stdout().lock();
            for c in changes {
                let state = match &c.confirmed_by {
                    Some(by) => format!("confirmed by {by}"),
                    None => "PENDING".into(),
                };
                writeln!(
                    out,
                    "{:>4}  {:<6} {:<24} {:<18} agreements {}  facilities {}  proposed by {}  {state}",
                    c.id,
                    c.kind.as_str(),
                    c.name,
                    c.role,
                    c.agreements.join(","),
                    c.facilities.join(","),
                    c.proposed_by
                )?;
            }
            for w in warnings {
                writeln!(out, "warning {}: {}", w.code(), w.text(crate::language()))?;
            }
            Ok(())
        }),
        UserCommand::List { register } => block_on(async {
            let s = open(register).await?;
            let mut out = std::io::stdout().lock();
            for u in s.app.users(&s.who).await.map_err(app_failure)? {
                writeln!(
                    out,
                    "{:>4}  {:<24} {:<18} agreements {}  facilities {}{}",
                    u.id,
                    u.name,
                    u.role,
                    u.agreements.join(","),
                    u.facilities.join(","),
                    if u.password_hash.is_some() { "  (password sign-in)" } else { "" }
                )?;
            }
            Ok(())
        }),
        UserCommand::Token { name, label, expires_in, expires_at, register } => block_on(async {
            let app = open_app(register).await?;
            let now = now()?;
            let expiry = custodia_app::users::token_expiry(&now, expires_in.as_deref(), expires_at.as_deref())
                .map_err(app_failure)?;
            let token = app.issue_token_on_host(name, label, expiry.as_ref(), &now).await.map_err(app_failure)?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "token {} for {} ({}): {}",
                token.row.id, token.row.user_name, token.row.label, token.secret
            )?;
            if let Some(at) = &token.row.expires_at {
                writeln!(out, "expires at {at}")?;
            }
            writeln!(out, "keep it now: only its SHA-256 is stored")?;
            Ok(())
        }),
        UserCommand::Tokens { register } => block_on(async {
            let s = open(register).await?;
            let mut out = std::io::stdout().lock();
            for t in s.app.tokens(&s.who).await.map_err(app_failure)? {
                writeln!(
                    out,
                    "{:>4}  {:<24} {:<20} created {}{}{}",
                    t.id,
                    t.user_name,
                    t.label,
                    t.created_at,
                    t.expires_at.map(|e| format!("  expires {e}")).unwrap_or_default(),
                    t.revoked_at.map(|r| format!("  revoked {r}")).unwrap_or_default()
                )?;
            }
            Ok(())
        }),
        UserCommand::Disable { name, register } => block_on(async {
            let s = open(register).await?;
            let user = s.app.disable_user(&s.who, name, &s.now).await.map_err(app_failure)?;
            writeln!(std::io::stdout().lock(), "user {} disabled: their tokens and password are refused", user.name)?;
            Ok(())
        }),
        UserCommand::Enable { name, register } => block_on(async {
            let s = open(register).await?;
            let outcome = s.app.enable_user(&s.who, name, &s.now).await.map_err(app_failure)?;
            let text = match outcome {
                custodia_store::access::Enabling::Enabled => format!("user {name} enabled"),
                custodia_store::access::Enabling::Proposed => format!(
                    "enabling user {name} proposed; another admin confirms it with `custodia user enable {name}`"
                ),
            };
            writeln!(std::io::stdout().lock(), "{text}")?;
            Ok(())
        }),
        UserCommand::Revoke { id, register } => block_on(async {
            let s = open(register).await?;
            let row = s.app.revoke_token(&s.who, *id, &s.now).await.map_err(app_failure)?;
            writeln!(std::io::stdout().lock(), "token {} of {} revoked", row.id, row.user_name)?;
            Ok(())
        }),
    }
}
