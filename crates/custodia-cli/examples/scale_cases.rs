//! The case driver of `bench/lists.sh`: brings every person of `bench/gen_scale.py`'s agreements
//! into custody through the application layer — proposal, screening, both approvals, scheduling,
//! departure and admission, each checked by the same use cases as the API's and committed in groups
//! as the server's committer does (`custodia_store::Store::act_on_cases`).
//!
//!     cargo run --release --example scale_cases -- DATA_DIR AGREEMENTS PER_AGREEMENT [DATABASE_URL]
//!
//! The register must hold the agreements `scale-0..`, their people `S<k>-<i>` and cells `C<nnnnn>`
//! (25 standard places each) and the users `bench.sender`, `bench.receiver` and `bench.staff`.
//! Every step happens on 2026-06-01 (the people's torture-risk assessment is a month old). A step
//! the register refuses stops the run with its reason: the bench's register must be what it says.

use custodia_app::cases::{Admission, CaseAction, Placement, TransitionRequest, decide};
use custodia_app::{App, Config, Principal};
use custodia_core::Date;
use custodia_core::agreement::Party;
use custodia_store::Timestamp;
use custodia_store::prelude::*;
use std::io::Write;

/// Cases taken through each step together (the server's committer takes at most 256 a commit).
const WAVE: usize = 256;
/// People per cell: `bench/gen_scale.py`'s cells hold 25 at the standard.
const CELL_PLACES: usize = 25;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (data_dir, agreements, per, database_url) = match args.as_slice() {
        [dir, agreements, per] => (dir, agreements, per, None),
        [dir, agreements, per, url] => (dir, agreements, per, Some(url.clone())),
        _ => anyhow::bail!("usage: scale_cases DATA_DIR AGREEMENTS PER_AGREEMENT [DATABASE_URL]"),
    };
    let (agreements, per): (usize, usize) = (agreements.parse()?, per.parse()?);
    // The data directory holds the journal's signing key, and the SQLite file unless a database
    // URL names another register.
    let config = Config { data_dir: data_dir.into(), database_url, ..Config::default() };
    let app = App::open(&config).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let users = app.store().users().await?;
    let principal = |name: &str| -> anyhow::Result<Principal> {
        users
            .iter()
            .find(|u| u.name == name)
            .and_then(Principal::from_user)
            .ok_or_else(|| anyhow::anyhow!("user {name} is not in the register"))
    };
    let cast = Cast {
        sender: principal("bench.sender")?,
        receiver: principal("bench.receiver")?,
        staff: principal("bench.staff")?,
    };
    for k in 0..agreements {
        let ids: Vec<usize> = (0..per).collect();
        for wave in ids.chunks(WAVE) {
            admit_wave(&app, &cast, k, wave).await?;
        }
        writeln!(std::io::stderr().lock(), "scale-{k}: {per} people in custody")?;
    }
    Ok(())
}

/// Who acts: the sending and receiving officers and the facility's staff.
struct Cast {
    sender: Principal,
    receiver: Principal,
    staff: Principal,
}

/// Who takes a step, its reason code, and the action for person `i` of agreement `k` on a day.
type Step<'a> = (&'a Principal, &'a str, fn(usize, usize, Date) -> CaseAction);

/// 2026-06-01 at `minute` past 10:00 UTC.
fn at(minute: i64) -> anyhow::Result<Timestamp> {
    Timestamp::parse(&format!("2026-06-01T{:02}:{:02}:00Z", 10 + minute / 60, minute % 60)).map_err(anyhow::Error::msg)
}

/// Proposes the wave's people of agreement `k`, then takes all their cases through each step as
/// one group commit.
async fn admit_wave(app: &App, cast: &Cast, k: usize, wave: &[usize]) -> anyhow::Result<()> {
    let agreement = format!("scale-{k}");
    let opened = at(0)?;
    let mut cases = Vec::with_capacity(wave.len());
    for i in wave {
        let row = app
            .propose_case(&cast.sender, &agreement, &format!("S{k}-{i}"), None, &opened)
            .await
            .map_err(|e| anyhow::anyhow!("S{k}-{i}: propose: {e}"))?;
        cases.push((*i, row.case.id));
    }
    let admitted_on = Date::parse("2026-06-01").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let steps: [Step<'_>; 6] = [
        (&cast.sender, "SCREENED", |_, _, _| CaseAction::Screen),
        (&cast.sender, "APPROVED", |_, _, _| CaseAction::Approve(Party::Sending)),
        (&cast.receiver, "APPROVED", |_, _, _| CaseAction::Approve(Party::Receiving)),
        (&cast.sender, "FLIGHT_BOOKED", |_, _, _| CaseAction::Schedule),
        (&cast.sender, "FLIGHT_LEFT", |_, _, _| CaseAction::Depart),
        (&cast.staff, "ARRIVED", admit),
    ];
    for (n, (who, reason, action)) in steps.into_iter().enumerate() {
        let when = at(10 * (n as i64 + 1))?;
        let mut calls = Vec::with_capacity(cases.len());
        for (i, id) in &cases {
            let request = TransitionRequest {
                action: action(k, *i, admitted_on),
                reason: reason.to_owned(),
                occurred_at: None,
                expected_version: None,
            };
            let prepared =
                app.prepare_transition(who, *id, request, &when).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            calls.push(prepared.call);
        }
        let outcomes = app.store().act_on_cases(&calls, &decide).await?;
        for (call, outcome) in calls.iter().zip(outcomes) {
            if let Err(refusal) = outcome? {
                anyhow::bail!("case {}: {} refused: {refusal}", call.id, call.action);
            }
        }
    }
    Ok(())
}

/// Admission of person `i` of agreement `k` into the cell that has room for them.
fn admit(k: usize, i: usize, admitted_on: Date) -> CaseAction {
    CaseAction::Admit {
        admission: Admission {
            commitment_order: format!("CO-{k}-{i}"),
            receiving_id: None,
            admitted_on,
            hour: 11,
            visible_injuries: "none".into(),
            property: "clothes".into(),
            next_of_kin: "a sister".into(),
        },
        placement: Placement {
            facility_id: format!("site-{k}"),
            cell_id: format!("C{:05}", i / CELL_PLACES),
            override_approval: None,
        },
    }
}
