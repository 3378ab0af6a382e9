//! The one configuration of every command: defaults, then `custodia.toml`, then `CUSTODIA_*`
//! environment variables, then the command's flags (the command line passes them as the
//! highest-priority settings), validated once at start. Every problem is reported at once, naming
//! the key and where it came from.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The example configuration, with every key and its default, commented.
pub const EXAMPLE: &str = include_str!("../../../custodia.example.toml");

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// Who may read `/metrics` (docs/http-api.md#metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Only clients connecting from a loopback address (the default).
    Loopback,
    /// Clients sending `Authorization: Bearer` with the `metrics_token` setting.
    Token,
    /// Nobody: `/metrics` answers 404.
    Off,
}

/// The validated configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Listen address (`127.0.0.1:8080`; port 0 picks a free one).
    pub addr: SocketAddr,
    /// Data directory: the SQLite database and the journal signing key.
    pub data_dir: PathBuf,
    /// Another database instead of SQLite in the data directory (`postgres://…`).
    pub database_url: Option<String>,
    /// The journal signing key file; `None` means `DATA_DIR/journal-signing.key`.
    pub signing_key: Option<PathBuf>,
    /// The signer name in journal checkpoints (the C2SP origin line's key name).
    pub journal_origin: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest page a list returns.
    pub max_page_items: u32,
    /// Requests per minute one client address may make to the public locator.
    pub locator_per_minute: u32,
    /// Failed logins or bad tokens per minute one client address may make before it is refused.
    pub auth_failures_per_minute: u32,
    /// How long a checked token is trusted without asking the database again, in milliseconds.
    pub token_cache_ms: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or CIDR blocks); the client
    /// address is otherwise the connection's peer (docs/access.md#client-address).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter (`info`, `custodia_server=debug,info` …).
    pub log_filter: String,
    /// Longest time to read a request's headers before the connection is closed, in milliseconds.
    pub header_read_timeout_ms: u64,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    /// Longest time to read a request's body and answer it, in milliseconds.
    pub request_timeout_ms: u64,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// The bearer token `/metrics` wants when `metrics = "token"` (never logged).
    pub metrics_token: Option<String>,
    /// Whether the web interface's cookies always get `Secure` (served over TLS by a proxy that
    /// does not send `X-Forwarded-Proto`); docs/web.md#cookies.
    pub web_secure_cookies: bool,
    /// The witnesses the register asks to cosign its checkpoints (docs/journal.md#witnesses).
    pub witnesses: Vec<WitnessEndpoint>,
    /// How often the register offers its checkpoint to each witness, in milliseconds.
    pub witness_interval_ms: u64,
    /// How long an event may wait for a witness's cosignature before `WITNESS_COSIGNATURE_OVERDUE`,
    /// in seconds.
    pub witness_max_delay_s: u64,
    /// The most memory the journal's tiles take in the proofs' cache, in MiB (docs/journal.md).
    pub tile_cache_mib: u64,
    /// How often the server evaluates every agreement's alerts and sends what is due, in
    /// milliseconds (at most a minute; docs/alerts.md).
    pub alerts_interval_ms: u64,
    /// The first retry of a failed delivery waits this long; each next one twice as long.
    pub alert_retry_base_s: u64,
    /// The longest wait between two attempts of a delivery.
    pub alert_retry_max_s: u64,
    /// Attempts of a delivery before it is marked failed.
    pub alert_max_attempts: u32,
    /// The SMTP relay e-mail subscriptions are sent through; `None` sends no e-mail.
    pub smtp: Option<SmtpRelay>,
}

/// The SMTP relay of e-mail subscriptions (docs/alerts.md#e-mail).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    /// Host name or address.
    pub host: String,
    /// Port (25, 587 …).
    pub port: u16,
    /// The sender address.
    pub from: String,
    /// Whether to require STARTTLS before sending.
    pub starttls: bool,
    /// User name and password, when the relay wants them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("from", &self.from)
            .field("starttls", &self.starttls)
            .field("credentials", &self.credentials.as_ref().map(|(user, _)| (user, "<redacted>")))
            .finish()
    }
}

/// A witness of the journal: where it listens (its C2SP tlog-witness submission prefix) and its
/// cosignature verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessEndpoint {
    /// The submission prefix, `http://…` or `https://…` without a trailing slash.
    pub url: String,
    /// The witness's name and public key.
    pub key: custodia_journal::witness::CosignatureVerifier,
}

/// Most witnesses in the setting.
pub const MAX_WITNESSES: usize = 16;

/// `witnesses`: `URL KEY` pairs separated by commas, or empty for none.
fn witnesses(value: &str) -> Result<Vec<WitnessEndpoint>, String> {
    let items: Vec<&str> = value.split(',').map(str::trim).filter(|i| !i.is_empty()).collect();
    if items.len() > MAX_WITNESSES {
        return Err(format!("at most {MAX_WITNESSES} witnesses"));
    }
    let mut out: Vec<WitnessEndpoint> = Vec::new();
    for item in items {
        let (url, key) = item
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{item:?} is not \"URL KEY\" (e.g. \"https://w1.example witness.example/w1+…\")"))?;
        let url = url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2000 {
            return Err(format!("{url:?} is not an http:// or https:// address"));
        }
        let key = custodia_journal::witness::CosignatureVerifier::parse(key.trim())
            .map_err(|e| format!("the key of {url}: {e}"))?;
        if out.iter().any(|w| w.key.name() == key.name()) {
            return Err(format!("witness {} is listed twice", key.name()));
        }
        out.push(WitnessEndpoint { url: url.to_owned(), key });
    }
    Ok(out)
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .field("signing_key", &self.signing_key)
            .field("journal_origin", &self.journal_origin)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_page_items", &self.max_page_items)
            .field("locator_per_minute", &self.locator_per_minute)
            .field("auth_failures_per_minute", &self.auth_failures_per_minute)
            .field("token_cache_ms", &self.token_cache_ms)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("log_format", &self.log_format)
            .field("log_filter", &self.log_filter)
            .field("header_read_timeout_ms", &self.header_read_timeout_ms)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("metrics", &self.metrics)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "<redacted>"))
            .field("web_secure_cookies", &self.web_secure_cookies)
            .field("witnesses", &self.witnesses)
            .field("witness_interval_ms", &self.witness_interval_ms)
            .field("witness_max_delay_s", &self.witness_max_delay_s)
            .field("tile_cache_mib", &self.tile_cache_mib)
            .field("alerts_interval_ms", &self.alerts_interval_ms)
            .field("alert_retry_base_s", &self.alert_retry_base_s)
            .field("alert_retry_max_s", &self.alert_retry_max_s)
            .field("alert_max_attempts", &self.alert_max_attempts)
            .field("smtp", &self.smtp)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./custodia-data"),
            database_url: None,
            signing_key: None,
            journal_origin: "custodia.invalid/journal".into(),
            max_body_bytes: 16 << 20,
            max_page_items: 1000,
            locator_per_minute: 30,
            auth_failures_per_minute: 10,
            token_cache_ms: 2000,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            header_read_timeout_ms: 10_000,
            max_header_bytes: 16 << 10,
            request_timeout_ms: 30_000,
            metrics: MetricsAccess::Loopback,
            metrics_token: None,
            web_secure_cookies: false,
            witnesses: Vec::new(),
            witness_interval_ms: 10_000,
            witness_max_delay_s: 3_600,
            tile_cache_mib: crate::journal::DEFAULT_TILE_CACHE_MIB,
            alerts_interval_ms: 60_000,
            alert_retry_base_s: 10,
            alert_retry_max_s: 3_600,
            alert_max_attempts: 12,
            smtp: None,
        }
    }
}

/// The keys, as written in `custodia.toml`; the environment variable is `CUSTODIA_` + the key in
/// upper case.
pub const KEYS: [&str; 33] = [
    "addr",
    "data_dir",
    "database_url",
    "signing_key",
    "journal_origin",
    "max_body_bytes",
    "max_page_items",
    "locator_per_minute",
    "auth_failures_per_minute",
    "token_cache_ms",
    "trusted_proxies",
    "log_format",
    "log_filter",
    "header_read_timeout_ms",
    "max_header_bytes",
    "request_timeout_ms",
    "metrics",
    "metrics_token",
    "web_secure_cookies",
    "witnesses",
    "witness_interval_ms",
    "witness_max_delay_s",
    "tile_cache_mib",
    "alerts_interval_ms",
    "alert_retry_base_s",
    "alert_retry_max_s",
    "alert_max_attempts",
    "smtp_host",
    "smtp_port",
    "smtp_from",
    "smtp_starttls",
    "smtp_username",
    "smtp_password",
];

/// Why the configuration cannot be used: every problem, each naming its key and source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Where the register lives.
    pub fn target(&self) -> custodia_store::Target {
        custodia_store::Target::new(&self.data_dir, self.database_url.as_deref())
    }

    /// The journal signing key file.
    pub fn signing_key_path(&self) -> PathBuf {
        self.signing_key.clone().unwrap_or_else(|| self.data_dir.join(custodia_store::keyfile::KEY_FILE))
    }

    /// Applies one setting (`source` names where it came from, for messages).
    fn set(&mut self, key: &str, value: &str, source: &str, problems: &mut Vec<String>) {
        let mut bad = |why: String| problems.push(format!("{source}: {key}: {why}"));
        let number = |text: &str, min: u64, max: u64| -> Result<u64, String> {
            let n: u64 = text.trim().parse().map_err(|_| format!("{text:?} is not a whole number"))?;
            if n < min || n > max {
                return Err(format!("{n} is outside {min}..={max}"));
            }
            Ok(n)
        };
        match key {
            "addr" => match value.parse() {
                Ok(a) => self.addr = a,
                Err(_) => bad(format!("{value:?} is not HOST:PORT (e.g. 127.0.0.1:8080)")),
            },
            "data_dir" if value.trim().is_empty() => bad("must not be empty".into()),
            "data_dir" => self.data_dir = PathBuf::from(value),
            "database_url" if value.is_empty() => self.database_url = None,
            "database_url"
                if value.starts_with("postgres://")
                    || value.starts_with("postgresql://")
                    || value.starts_with("sqlite:") =>
            {
                self.database_url = Some(value.to_owned())
            }
            "database_url" => bad("must start with postgres://, postgresql:// or sqlite:".into()),
            "signing_key" if value.is_empty() => self.signing_key = None,
            "signing_key" => self.signing_key = Some(PathBuf::from(value)),
            "journal_origin" if value.trim().is_empty() || value.contains(char::is_whitespace) => {
                bad("must be a non-empty name without spaces".into())
            }
            "journal_origin" => self.journal_origin = value.to_owned(),
            "max_body_bytes" => match number(value, 1024, 1 << 30) {
                Ok(n) => self.max_body_bytes = usize::try_from(n).unwrap_or(usize::MAX),
                Err(e) => bad(e),
            },
            "max_page_items" => match number(value, 1, 100_000) {
                Ok(n) => self.max_page_items = u32::try_from(n).unwrap_or(u32::MAX),
                Err(e) => bad(e),
            },
            "locator_per_minute" => match number(value, 1, 1_000_000) {
                Ok(n) => self.locator_per_minute = u32::try_from(n).unwrap_or(u32::MAX),
                Err(e) => bad(e),
            },
            "auth_failures_per_minute" => match number(value, 1, 1_000_000) {
                Ok(n) => self.auth_failures_per_minute = u32::try_from(n).unwrap_or(u32::MAX),
                Err(e) => bad(e),
            },
            "token_cache_ms" => match number(value, 0, 60_000) {
                Ok(n) => self.token_cache_ms = n,
                Err(e) => bad(e),
            },
            "trusted_proxies" => match trusted_proxies(value) {
                Ok(list) => self.trusted_proxies = list,
                Err(e) => bad(e),
            },
            "log_format" => match value {
                "text" => self.log_format = LogFormat::Text,
                "json" => self.log_format = LogFormat::Json,
                _ => bad(format!("{value:?} is not text or json")),
            },
            "log_filter" if value.trim().is_empty() => bad("must not be empty".into()),
            "log_filter" => self.log_filter = value.to_owned(),
            "header_read_timeout_ms" => match number(value, 100, 600_000) {
                Ok(n) => self.header_read_timeout_ms = n,
                Err(e) => bad(e),
            },
            "max_header_bytes" => match number(value, 1024, 1 << 20) {
                Ok(n) => self.max_header_bytes = usize::try_from(n).unwrap_or(usize::MAX),
                Err(e) => bad(e),
            },
            "request_timeout_ms" => match number(value, 100, 3_600_000) {
                Ok(n) => self.request_timeout_ms = n,
                Err(e) => bad(e),
            },
            "metrics" => match value {
                "loopback" => self.metrics = MetricsAccess::Loopback,
                "token" => self.metrics = MetricsAccess::Token,
                "off" => self.metrics = MetricsAccess::Off,
                _ => bad(format!("{value:?} is not loopback, token or off")),
            },
            "metrics_token" if value.is_empty() => self.metrics_token = None,
            "metrics_token"
                if value.len() < 32 || value.len() > 512 || !value.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                bad("must be 32 to 512 printable ASCII characters without spaces".into())
            }
            "metrics_token" => self.metrics_token = Some(value.to_owned()),
            "web_secure_cookies" => match value {
                "true" => self.web_secure_cookies = true,
                "false" => self.web_secure_cookies = false,
                _ => bad(format!("{value:?} is not true or false")),
            },
            "witnesses" => match witnesses(value) {
                Ok(list) => self.witnesses = list,
                Err(e) => bad(e),
            },
            "witness_interval_ms" => match number(value, 100, 86_400_000) {
                Ok(n) => self.witness_interval_ms = n,
                Err(e) => bad(e),
            },
            "witness_max_delay_s" => match number(value, 1, 31 * 86_400) {
                Ok(n) => self.witness_max_delay_s = n,
                Err(e) => bad(e),
            },
            "tile_cache_mib" => match number(value, 1, 65_536) {
                Ok(n) => self.tile_cache_mib = n,
                Err(e) => bad(e),
            },
            "alerts_interval_ms" => match number(value, 10, 60_000) {
                Ok(n) => self.alerts_interval_ms = n,
                Err(e) => bad(e),
            },
            "alert_retry_base_s" => match number(value, 1, 3_600) {
                Ok(n) => self.alert_retry_base_s = n,
                Err(e) => bad(e),
            },
            "alert_retry_max_s" => match number(value, 1, 86_400) {
                Ok(n) => self.alert_retry_max_s = n,
                Err(e) => bad(e),
            },
            "alert_max_attempts" => match number(value, 1, 100) {
                Ok(n) => self.alert_max_attempts = u32::try_from(n).unwrap_or(u32::MAX),
                Err(e) => bad(e),
            },
            "smtp_host" | "smtp_port" | "smtp_from" | "smtp_starttls" | "smtp_username" | "smtp_password" => {
                if let Err(e) = self.set_smtp(key, value) {
                    bad(e);
                }
            }
            _ => bad(format!("unknown key (known: {})", KEYS.join(", "))),
        }
    }

    /// Builds the configuration: defaults, then the TOML text of `custodia.toml` (if any, with its
    /// path for messages), then the environment (`CUSTODIA_ADDR`, …; only variables whose
    /// name is a known key are read). Every problem is reported.
    pub fn load(
        file: Option<(&str, &str)>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        let mut problems = Vec::new();
        if let Some((path, text)) = file {
            match custodia_core::toml_document::parse(text) {
                Err(e) => problems.push(format!("{path}: not valid TOML: {e}")),
                Ok(doc) => {
                    for (key, item) in doc.iter() {
                        let value = match item.as_value() {
                            Some(toml_edit::Value::String(s)) => s.value().clone(),
                            Some(toml_edit::Value::Integer(i)) => i.value().to_string(),
                            Some(toml_edit::Value::Boolean(b)) => b.value().to_string(),
                            _ => {
                                problems.push(format!("{path}: {key}: must be a string, an integer or a boolean"));
                                continue;
                            }
                        };
                        config.set(key, &value, path, &mut problems);
                    }
                }
            }
        }
        let mut env: Vec<(String, String)> = env.into_iter().collect();
        env.sort();
        for (name, value) in env {
            let Some(key) = name.strip_prefix("CUSTODIA_").map(str::to_ascii_lowercase) else { continue };
            if KEYS.contains(&key.as_str()) {
                config.set(&key, &value, &format!("environment {name}"), &mut problems);
            }
        }
        config.check(&mut problems);
        if problems.is_empty() { Ok(config) } else { Err(ConfigError(problems)) }
    }

    /// One `smtp_*` key: `smtp_host` (empty: no e-mail) makes the relay, the others adjust it.
    fn set_smtp(&mut self, key: &str, value: &str) -> Result<(), String> {
        let relay = self.smtp.get_or_insert_with(|| SmtpRelay {
            host: String::new(),
            port: 25,
            from: String::new(),
            starttls: false,
            credentials: None,
        });
        match key {
            "smtp_host" if value.contains(char::is_whitespace) => return Err("must be a host name".into()),
            "smtp_host" => relay.host = value.to_owned(),
            "smtp_port" => relay.port = value.trim().parse().map_err(|_| format!("{value:?} is not a port"))?,
            "smtp_from" => relay.from = crate::notify::check_email(Some(value)).map_err(|e| e.to_string())?,
            "smtp_starttls" => relay.starttls = value.parse().map_err(|_| format!("{value:?} is not true or false"))?,
            "smtp_username" => {
                let password = relay.credentials.take().map(|(_, p)| p).unwrap_or_default();
                relay.credentials = Some((value.to_owned(), password));
            }
            "smtp_password" => {
                let user = relay.credentials.take().map(|(u, _)| u).unwrap_or_default();
                relay.credentials = Some((user, value.to_owned()));
            }
            _ => return Err("unknown SMTP key".into()),
        }
        Ok(())
    }

    /// Checks that hold between keys.
    fn check(&self, problems: &mut Vec<String>) {
        if self.smtp.as_ref().is_some_and(|relay| relay.host.is_empty() || relay.from.is_empty()) {
            problems.push("smtp_host: e-mail needs both smtp_host and smtp_from".into());
        }
        if self.metrics == MetricsAccess::Token && self.metrics_token.is_none() {
            problems.push("metrics: \"token\" needs the metrics_token setting".into());
        }
    }
}

/// Reads the configuration as every command does: defaults, then `custodia.toml` (the file given,
/// or `./custodia.toml` when it exists), then the process's `CUSTODIA_*` variables, then `flags`
/// (key and value pairs of the command's own options, e.g. `("data_dir", "/srv/custodia")`).
pub fn load(config_file: Option<&std::path::Path>, flags: &[(&str, String)]) -> Result<Config, ConfigError> {
    let (path, explicit) = match config_file {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("custodia.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => None,
        Err(e) => return Err(ConfigError(vec![format!("--config: {}: {e}", path.display())])),
    };
    let shown = path.display().to_string();
    let env = std::env::vars().filter(|(k, _)| k.starts_with("CUSTODIA_"));
    let mut config = Config::load(text.as_deref().map(|t| (shown.as_str(), t)), env)?;
    let mut problems = Vec::new();
    for (key, value) in flags {
        config.set(key, value, &flag_name(key), &mut problems);
    }
    config.check(&mut problems);
    if problems.is_empty() { Ok(config) } else { Err(ConfigError(problems)) }
}

/// Most trusted proxies (addresses or blocks) in the setting.
pub const MAX_TRUSTED_PROXIES: usize = 100;

/// `trusted_proxies`: addresses or CIDR blocks separated by commas (`10.0.0.1, 192.168.0.0/16`),
/// or empty for none.
fn trusted_proxies(value: &str) -> Result<Vec<ipnet::IpNet>, String> {
    let items: Vec<&str> = value.split(',').map(str::trim).filter(|i| !i.is_empty()).collect();
    if items.len() > MAX_TRUSTED_PROXIES {
        return Err(format!("at most {MAX_TRUSTED_PROXIES} addresses or blocks"));
    }
    items
        .into_iter()
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| format!("{item:?} is not an IP address or CIDR block (e.g. 10.0.0.1 or 10.0.0.0/8)"))
        })
        .collect()
}

/// The command-line flag that sets a key, for messages.
fn flag_name(key: &str) -> String {
    match key {
        "database_url" => "--database".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_then_file_then_environment() {
        let file = "addr = \"0.0.0.0:9000\"\nmax_page_items = 50\nlog_format = \"json\"\n";
        let config =
            Config::load(Some(("custodia.toml", file)), env(&[("CUSTODIA_MAX_PAGE_ITEMS", "20"), ("HOME", "/root")]))
                .unwrap();
        assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(config.max_page_items, 20, "the environment wins over the file");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.locator_per_minute, Config::default().locator_per_minute);
    }

    #[test]
    fn every_problem_is_named_with_its_source() {
        let file = "addr = \"nowhere\"\nmax_body_bytes = 3\ncolour = \"blue\"\n";
        let err = Config::load(
            Some(("custodia.toml", file)),
            env(&[("CUSTODIA_DATABASE_URL", "mysql://x"), ("CUSTODIA_LOG_FORMAT", "xml")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(text.contains("custodia.toml: addr: \"nowhere\" is not HOST:PORT"), "{text}");
        assert!(text.contains("custodia.toml: max_body_bytes: 3 is outside"), "{text}");
        assert!(text.contains("custodia.toml: colour: unknown key"), "{text}");
        assert!(text.contains("environment CUSTODIA_DATABASE_URL: database_url: must start with"), "{text}");
        assert!(text.contains("environment CUSTODIA_LOG_FORMAT: log_format"), "{text}");
        assert!(Config::load(Some(("c.toml", "addr = [")), env(&[])).is_err());
    }

    #[test]
    fn the_tile_cache_is_sized_in_mib_within_its_limits() {
        let config = Config::load(Some(("c.toml", "tile_cache_mib = 64\n")), env(&[])).unwrap();
        assert_eq!(config.tile_cache_mib, 64);
        let config = Config::load(None, env(&[("CUSTODIA_TILE_CACHE_MIB", "2048")])).unwrap();
        assert_eq!(config.tile_cache_mib, 2048);
        for bad in ["0", "65537"] {
            let err = Config::load(None, env(&[("CUSTODIA_TILE_CACHE_MIB", bad)])).unwrap_err().to_string();
            assert!(err.contains(&format!("tile_cache_mib: {bad} is outside 1..=65536")), "{err}");
        }
    }

    /// Found by the `agreement` fuzz target (docs/fuzzing.md): toml_edit panicked on this text.
    #[test]
    fn a_keyless_line_then_a_dotted_key_is_refused_as_invalid_toml_not_a_panic() {
        let err = Config::load(Some(("custodia.toml", "==\n.=")), env(&[])).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(err.0[0].starts_with("custodia.toml: not valid TOML: "), "{err}");
    }

    #[test]
    fn the_smtp_relay_needs_a_host_and_a_sender_and_hides_its_password() {
        let file = "smtp_host = \"mail.example.org\"\nsmtp_port = 587\nsmtp_from = \"custodia@example.org\"\n\
                    smtp_starttls = true\nsmtp_username = \"c\"\nsmtp_password = \"hunter2-hunter2\"\n";
        let config = Config::load(Some(("custodia.toml", file)), env(&[])).unwrap();
        let relay = config.smtp.clone().unwrap();
        assert_eq!(
            (relay.host.as_str(), relay.port, relay.from.as_str(), relay.starttls),
            ("mail.example.org", 587, "custodia@example.org", true)
        );
        assert_eq!(relay.credentials, Some(("c".into(), "hunter2-hunter2".into())));
        assert!(!format!("{config:?}").contains("hunter2"), "{config:?}");
        let err = Config::load(Some(("custodia.toml", "smtp_host = \"mail.example.org\"\n")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("smtp_host: e-mail needs both smtp_host and smtp_from"), "{err}");
        let err = Config::load(None, env(&[("CUSTODIA_SMTP_FROM", "nobody")])).unwrap_err();
        assert!(err.to_string().contains("smtp_from"), "{err}");
        let err = Config::load(None, env(&[("CUSTODIA_ALERTS_INTERVAL_MS", "60001")])).unwrap_err();
        assert!(err.to_string().contains("alerts_interval_ms: 60001 is outside 10..=60000"), "{err}");
    }

    #[test]
    fn the_example_is_the_defaults() {
        let config = Config::load(Some(("custodia.example.toml", EXAMPLE)), env(&[])).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        let file = "trusted_proxies = \"10.0.0.1, 192.168.0.0/16,::1\"\n";
        let config = Config::load(Some(("custodia.toml", file)), env(&[])).unwrap();
        let shown: Vec<String> = config.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.1/32", "192.168.0.0/16", "::1/128"]);
        let from_env = Config::load(Some(("custodia.toml", file)), env(&[("CUSTODIA_TRUSTED_PROXIES", "")])).unwrap();
        assert!(from_env.trusted_proxies.is_empty(), "the environment wins, and empty means none");
        let err = Config::load(None, env(&[("CUSTODIA_TRUSTED_PROXIES", "10.0.0.1, proxy.local")])).unwrap_err();
        assert!(err.to_string().contains("trusted_proxies: \"proxy.local\" is not an IP address"), "{err}");
        assert!(Config::load(None, env(&[("CUSTODIA_TRUSTED_PROXIES", "10.0.0.0/33")])).is_err());
    }

    #[test]
    fn debug_never_shows_the_database_url_or_the_metrics_token() {
        let token = "m".repeat(40);
        let config = Config::load(
            None,
            env(&[
                ("CUSTODIA_DATABASE_URL", "postgres://u:secret@h/db"),
                ("CUSTODIA_METRICS", "token"),
                ("CUSTODIA_METRICS_TOKEN", &token),
            ]),
        )
        .unwrap();
        assert_eq!(config.metrics, MetricsAccess::Token);
        let shown = format!("{config:?}");
        assert!(!shown.contains("secret") && !shown.contains(&token), "{shown}");
    }

    #[test]
    fn request_limits_and_metrics_access_are_checked() {
        let file =
            "metrics = \"token\"\nrequest_timeout_ms = 5\nmax_header_bytes = 99999999\nmetrics_token = \"short\"\n";
        let err = Config::load(Some(("custodia.toml", file)), env(&[])).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("custodia.toml: request_timeout_ms: 5 is outside 100..=3600000"), "{text}");
        assert!(text.contains("custodia.toml: max_header_bytes: 99999999 is outside"), "{text}");
        assert!(text.contains("custodia.toml: metrics_token: must be 32 to 512"), "{text}");
        assert!(text.contains("metrics: \"token\" needs the metrics_token setting"), "{text}");
        let off =
            Config::load(Some(("c.toml", "metrics = \"off\"\nheader_read_timeout_ms = 500\n")), env(&[])).unwrap();
        assert_eq!((off.metrics, off.header_read_timeout_ms), (MetricsAccess::Off, 500));
    }
}
