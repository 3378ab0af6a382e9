//! Access (docs/access.md): roles, capabilities, scopes, tokens, passwords and user names.
//!
//! A token is 32 random bytes shown once as `cst_` + base64url; only its SHA-256 is stored, so
//! checking one costs one hash and one indexed lookup. Passwords are Argon2id PHC strings. A record
//! outside the caller's scope is "not found", exactly like a record that does not exist; a role that
//! may not do something in scope is "forbidden". Admins manage users, scopes, tokens and agreements
//! and hold no other capability: they approve, issue and override nothing.

use base64::Engine;
use custodia_store::access::UserRow;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::error::AppError;

/// The roles of docs/access.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users, scopes, tokens and agreements; nothing operational.
    Admin,
    /// The sending state's officer: proposes cases, the sending approval, transfers out, returns.
    SendingOfficer,
    /// The receiving state's officer: the receiving approval, refusals.
    ReceivingOfficer,
    /// Facility staff: admissions, moves, releases, deaths, incidents.
    FacilityOfficer,
    /// Legal officer: screening reviews, legal holds.
    LegalOfficer,
    /// Finance officer: invoices.
    FinanceOfficer,
    /// Reads; files inspections and incidents.
    Inspector,
    /// Reads.
    Auditor,
    /// Medical staff: records examinations; the only role that reads the health file
    /// (docs/rights.md#health).
    MedicalOfficer,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::SendingOfficer,
        Role::ReceivingOfficer,
        Role::FacilityOfficer,
        Role::LegalOfficer,
        Role::FinanceOfficer,
        Role::Inspector,
        Role::Auditor,
        Role::MedicalOfficer,
    ];

    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SendingOfficer => "sending_officer",
            Role::ReceivingOfficer => "receiving_officer",
            Role::FacilityOfficer => "facility_officer",
            Role::LegalOfficer => "legal_officer",
            Role::FinanceOfficer => "finance_officer",
            Role::Inspector => "inspector",
            Role::Auditor => "auditor",
            Role::MedicalOfficer => "medical_officer",
        }
    }

    /// Parses [`Role::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether the role may take this kind of action (reading needs no capability).
    pub fn may(self, capability: Capability) -> bool {
        use Capability as C;
        use Role as R;
        match self {
            R::Admin => matches!(capability, C::ManageAgreements | C::ManageUsers),
            R::Auditor => false,
            R::Inspector => {
                matches!(capability, C::FileInspection | C::FileIncident | C::InvestigateAllegation | C::FileComplaint)
            }
            R::SendingOfficer => matches!(
                capability,
                C::ProposeCase
                    | C::SendingCaseStep
                    | C::LogContact
                    | C::RecordVisit
                    | C::ScreenPersons
                    | C::ImportPersons
                    | C::FileComplaint
                    | C::AnswerComplaint
            ),
            R::ReceivingOfficer => matches!(
                capability,
                C::ReceivingCaseStep
                    | C::LogContact
                    | C::FileIncident
                    | C::ScreenPersons
                    | C::FileComplaint
                    | C::AnswerComplaint
            ),
            R::FacilityOfficer => matches!(
                capability,
                C::FacilityCaseStep
                    | C::FileIncident
                    | C::ManageCells
                    | C::FileComplaint
                    | C::AnswerComplaint
                    | C::RecordVisit
                    | C::Segregation
            ),
            R::LegalOfficer => matches!(
                capability,
                C::LegalCaseStep | C::ScreenPersons | C::InvestigateAllegation | C::FileComplaint | C::AnswerComplaint
            ),
            R::FinanceOfficer => matches!(capability, C::Invoices),
            R::MedicalOfficer => matches!(capability, C::RecordExamination | C::FileIncident | C::FileComplaint),
        }
    }
}

/// What a write needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Import or amend agreements.
    ManageAgreements,
    /// Users and tokens.
    ManageUsers,
    /// Import person files.
    ImportPersons,
    /// Screen persons.
    ScreenPersons,
    /// Open a case.
    ProposeCase,
    /// Sending-state steps: screen, sending approval, schedule, depart, withdraw, schedule return,
    /// return.
    SendingCaseStep,
    /// Receiving-state steps: receiving approval, refuse.
    ReceivingCaseStep,
    /// Facility steps: admit, move, release, record a death.
    FacilityCaseStep,
    /// Legal steps: resolve and confirm reviews, place and lift holds.
    LegalCaseStep,
    /// Import cells.
    ManageCells,
    /// File and update incidents.
    FileIncident,
    /// File inspections and update recommendations.
    FileInspection,
    /// Move the investigation of an allegation (open → investigating → closed with a finding):
    /// legal officers and inspectors, never the facility staff an allegation may be about.
    InvestigateAllegation,
    /// Log consular and family contacts.
    LogContact,
    /// Record a detainee's request or complaint, and escalate one (docs/rights.md#complaints).
    FileComplaint,
    /// Answer a complaint.
    AnswerComplaint,
    /// Record a medical examination (docs/rights.md#health).
    RecordExamination,
    /// Record a visit or call, held or refused (docs/rights.md#visits).
    RecordVisit,
    /// Place a person in solitary confinement and end it (docs/rights.md#solitary).
    Segregation,
    /// Draft and issue invoices.
    Invoices,
}

impl Capability {
    /// The capability's name, for messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ManageAgreements => "manage agreements",
            Self::ManageUsers => "manage users and tokens",
            Self::ImportPersons => "import person files",
            Self::ScreenPersons => "screen persons",
            Self::ProposeCase => "propose a case",
            Self::SendingCaseStep => "a sending-state case step",
            Self::ReceivingCaseStep => "a receiving-state case step",
            Self::FacilityCaseStep => "a facility case step",
            Self::LegalCaseStep => "a legal case step",
            Self::ManageCells => "change cells",
            Self::FileIncident => "file or update incidents",
            Self::FileInspection => "file inspections",
            Self::InvestigateAllegation => "move the investigation of an allegation",
            Self::LogContact => "log contacts",
            Self::FileComplaint => "record and escalate complaints",
            Self::AnswerComplaint => "answer complaints",
            Self::RecordExamination => "record medical examinations",
            Self::RecordVisit => "record visits and calls",
            Self::Segregation => "place in and end solitary confinement",
            Self::Invoices => "draft and issue invoices",
        }
    }
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's name (the actor on events).
    pub name: String,
    /// The role.
    pub role: Role,
    /// Agreement ids in scope, or `None` for every agreement.
    pub agreements: Option<Vec<String>>,
    /// Facility ids in scope, or `None` for every facility.
    pub facilities: Option<Vec<String>>,
    /// The language the user chose for the pages, if any (docs/languages.md#choice).
    pub language: Option<custodia_i18n::Language>,
}

fn scope(items: &[String]) -> Option<Vec<String>> {
    if items.iter().any(|i| i == "*") { None } else { Some(items.to_vec()) }
}

impl Principal {
    /// From a stored user; `None` when the stored role is unknown.
    pub fn from_user(user: &UserRow) -> Option<Self> {
        Some(Self {
            name: user.name.clone(),
            role: Role::parse(&user.role)?,
            agreements: scope(&user.agreements),
            facilities: scope(&user.facilities),
            language: user.language.as_deref().and_then(custodia_i18n::parse_language),
        })
    }

    /// Whether an agreement is in scope.
    pub fn sees_agreement(&self, agreement_id: &str) -> bool {
        self.agreements.as_ref().is_none_or(|a| a.iter().any(|x| x == agreement_id))
    }

    /// Whether a record of an agreement, bound to a facility or not, is in scope. Records not bound
    /// to a facility (a case not yet placed) are in scope for everyone scoped to the agreement.
    pub fn sees(&self, agreement_id: &str, facility_id: Option<&str>) -> bool {
        self.sees_agreement(agreement_id)
            && match (facility_id, &self.facilities) {
                (Some(f), Some(allowed)) => allowed.iter().any(|x| x == f),
                _ => true,
            }
    }

    /// Whether a record kept under an agreement (an identifier recorded at an intake) is shown:
    /// the agreement is in scope; a record whose agreement is not known only to callers who see
    /// every agreement.
    pub fn sees_recorded_under(&self, agreement_id: Option<&str>) -> bool {
        match agreement_id {
            Some(a) => self.sees_agreement(a),
            None => self.agreements.is_none(),
        }
    }

    /// Not found unless the agreement is in scope.
    pub fn agreement_in_scope(&self, agreement_id: &str) -> Result<(), AppError> {
        if self.sees_agreement(agreement_id) { Ok(()) } else { Err(AppError::no_such("agreement", agreement_id)) }
    }

    /// Forbidden unless the role has the capability.
    pub fn require(&self, capability: Capability) -> Result<(), AppError> {
        if self.role.may(capability) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                custodia_i18n::Text::new("FORBIDDEN")
                    .arg("role", self.role.as_str())
                    .arg("capability", capability.as_str()),
            ))
        }
    }
}

/// A new token: the secret to show once, and the hash to store.
pub fn new_token() -> Result<(String, [u8; 32]), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let text = format!("cst_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    let hash = token_hash(&text);
    Ok((text, hash))
}

/// SHA-256 of a token's text.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Argon2id hash (PHC string) of a password, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether a password matches an Argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// [`hash_password`] on a blocking thread: Argon2 takes tens of milliseconds of CPU by design
/// and must never hold up the async workers that answer other requests.
pub async fn hash_password_blocking(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| e.to_string())?
}

/// [`verify_password`] on a blocking thread (see [`hash_password_blocking`]).
pub async fn verify_password_blocking(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false)
}

/// A user name in the form names are compared and kept unique in: Unicode NFC, trimmed,
/// lower-cased (`" Ana.Finance"` and `"ana.finance"` are one user).
pub fn user_name_key(name: &str) -> String {
    name.trim().nfc().collect::<String>().to_lowercase()
}

/// A user name as given, checked: 1 to 200 bytes once trimmed, no control characters. Returns the
/// name as it will be shown (NFC, trimmed; case kept).
pub fn check_user_name(field: &str, name: &str) -> Result<String, AppError> {
    let shown: String = name.trim().nfc().collect();
    if shown.is_empty() || shown.len() > 200 {
        return Err(AppError::invalid(field, custodia_i18n::Text::new("INVALID.bytes").count("max", 200)));
    }
    if shown.chars().any(char::is_control) {
        return Err(AppError::invalid(field, custodia_i18n::Text::new("INVALID.control")));
    }
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_identifies_them() {
        let (a, ha) = new_token().unwrap();
        let (b, hb) = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("cst_") && a.len() == 4 + 43, "{a}");
        assert_eq!(token_hash(&a), ha);
        assert_ne!(ha, hb);
    }

    #[test]
    fn passwords_are_argon2id() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn user_names_compare_after_nfc_trimming_and_lower_casing() {
        assert_eq!(user_name_key(" Ana.Finance "), user_name_key("ana.finance"));
        // "é" precomposed and as e + combining acute accent are one name.
        assert_eq!(user_name_key("Jos\u{e9}"), user_name_key("Jose\u{301}"));
        assert_ne!(user_name_key("ana"), user_name_key("anna"));
        assert_eq!(check_user_name("name", "  Jose\u{301} ").unwrap(), "Jos\u{e9}");
        assert!(check_user_name("name", "   ").is_err());
        assert!(check_user_name("name", "a\u{7}b").is_err());
    }

    #[test]
    fn scopes_hide_other_agreements_and_facilities() {
        let p = Principal {
            name: "f".into(),
            role: Role::FacilityOfficer,
            agreements: Some(vec!["us-sv-cecot".into()]),
            facilities: Some(vec!["cecot".into()]),
            language: None,
        };
        assert!(p.sees("us-sv-cecot", Some("cecot")));
        assert!(p.sees("us-sv-cecot", None), "a case not yet placed");
        assert!(!p.sees("us-sv-cecot", Some("izalco")));
        assert!(!p.sees("dk-xk-gjilan", None));
        assert!(p.require(Capability::FacilityCaseStep).is_ok());
        assert!(p.require(Capability::Invoices).is_err());
        assert!(!Role::Auditor.may(Capability::FileIncident));
        for c in
            [Capability::Invoices, Capability::FacilityCaseStep, Capability::SendingCaseStep, Capability::LegalCaseStep]
        {
            assert!(!Role::Admin.may(c), "admins hold no operational capability: {c:?}");
        }
        assert!(Role::Admin.may(Capability::ManageUsers) && Role::Admin.may(Capability::ManageAgreements));
        assert!(Role::Inspector.may(Capability::FileInspection));
    }
}
