//! Opening a register, and `custodia init`, the only way to create one.
//!
//! A command pointed at a place where no register exists fails and creates nothing: a typo in
//! `--data-dir` must not silently start an empty register with a new signing key.

use custodia_store::access::NewUser;
use custodia_store::prelude::*;
use custodia_store::{Store, StoreError, Target, Timestamp};

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::users::IssuedToken;
use crate::{App, Role};

/// Where a configuration puts the register, for messages (never the database URL's password).
pub fn place(config: &Config) -> String {
    match &config.database_url {
        Some(url) => redact_url(url),
        None => config.data_dir.display().to_string(),
    }
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", url.get(..scheme).unwrap_or(""), url.get(at + 1..).unwrap_or(""))
        }
        _ => url.to_owned(),
    }
}

fn store_error(config: &Config, e: StoreError) -> AppError {
    match e {
        StoreError::UnsupportedUrl(_) => AppError::invalid("database_url", e.to_string()),
        other => AppError::Internal(format!("cannot open the register at {}: {other}", place(config))),
    }
}

fn key_error(e: custodia_store::keyfile::KeyError) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    /// Opens the register the configuration names. Fails, creating nothing, when there is none.
    pub async fn open(config: &Config) -> AppResult<Self> {
        let target = config.target();
        if !custodia_store::register_exists(&target).await.map_err(|e| store_error(config, e))? {
            return Err(AppError::NotFound(
                custodia_i18n::Text::new("NOT_FOUND.register").arg("place", place(config).to_string()),
            ));
        }
        let store = Store::open(&target).await.map_err(|e| store_error(config, e))?;
        let key = custodia_store::keyfile::load_or_create(&config.signing_key_path(), false).map_err(key_error)?;
        Ok(Self::new(store, key, config.journal_origin.clone()).configured_by(config))
    }

    /// The witnesses and the tile cache the configuration asks for.
    fn configured_by(self, config: &Config) -> Self {
        let keys = config.witnesses.iter().map(|w| w.key.clone()).collect();
        self.with_witnesses(keys, config.witness_max_delay_s).with_tile_cache_mib(config.tile_cache_mib)
    }

    /// Creates a register (database and journal signing key) with its first admin, and issues
    /// that admin's first token. Refused when a register already exists there.
    pub async fn init(
        config: &Config,
        admin: &str,
        password: Option<String>,
        now: &Timestamp,
    ) -> AppResult<(Self, IssuedToken)> {
        let target = config.target();
        if custodia_store::register_exists(&target).await.map_err(|e| store_error(config, e))? {
            return Err(AppError::Conflict {
                field: None,
                message: custodia_i18n::Text::new("CONFLICT.register-exists").arg("place", place(config).to_string()),
            });
        }
        if let Target::DataDir(dir) = &target {
            custodia_store::create_private_dir(dir).map_err(|e| store_error(config, e))?;
        }
        let key = custodia_store::keyfile::load_or_create(&config.signing_key_path(), true).map_err(key_error)?;
        let store = Store::open(&target).await.map_err(|e| store_error(config, e))?;
        let app = Self::new(store, key, config.journal_origin.clone()).configured_by(config);
        let name = crate::access::check_user_name("--admin", admin)?;
        let password_hash = crate::users::check_password(password).await?;
        let user = NewUser {
            name_key: crate::access::user_name_key(&name),
            name,
            role: Role::Admin.as_str().into(),
            agreements: vec!["*".into()],
            facilities: vec!["*".into()],
            password_hash,
        };
        let by = custodia_store::Actor { name: "init".into(), recorded_at: now.clone(), occurred_at: None };
        let row = app.store().create_user(&user, &by).await?;
        let token = app.issue_token_on_host(&row.name, "init", None, now).await?;
        Ok((app, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_never_show_a_database_password() {
        assert_eq!(redact_url("postgres://custodia:s3cret@db.example:5432/reg"), "postgres://…@db.example:5432/reg");
        assert_eq!(redact_url("postgres://db/reg"), "postgres://db/reg");
    }
}
