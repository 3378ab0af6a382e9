//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/openapi.json`; `docs/openapi.json` is the committed copy a test keeps in step.

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Custodia",
        description = "The shared register, rulebook and ledger of a cross-border custody agreement. \
            Bearer tokens (`custodia user token`); errors are `{code, message, field}`; a record that \
            does not exist or is outside the caller's scope answers 404.",
        license(name = "Apache-2.0")
    ),
    components(schemas(crate::error::ErrorBody))
)]
struct Base;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    for part in routes::apis() {
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("cst_…").build()),
    );
    doc
}

/// The document as pretty JSON (what `/openapi.json` serves and `docs/openapi.json` holds).
pub fn json() -> String {
    document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
