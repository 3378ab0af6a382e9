//! Billing (docs/billing.md): every fee model, proration, envelopes, and properties of the arithmetic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use custodia_core::Agreement;
use custodia_core::billing::{Extra, Period, Stay, div_round_half_even, invoice, invoices_for_term, term_periods};
use custodia_core::date::Date;
use custodia_core::person::SecurityClass;
use proptest::prelude::*;

fn agreement(fees: &str, starts: &str, ends: &str) -> Agreement {
    Agreement::from_toml(&format!(
        r#"
id = "billing"
title = "Billing"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = {starts}
ends = {ends}
sentence_profile = "us-federal"
[[facilities]]
id = "f"
name = "F"
country = "SV"
stated_capacity = 100
contracted_places = 100
[fees]
{fees}
"#
    ))
    .unwrap()
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn stay(class: SecurityClass, from: &str, to: Option<&str>) -> Stay {
    Stay {
        person_id: "p".into(),
        facility_id: "f".into(),
        security_class: class,
        admitted_on: d(from),
        released_on: to.map(d),
    }
}

fn codes(lines: &[custodia_core::billing::Line]) -> Vec<(String, i64, i64, i64)> {
    lines.iter().map(|l| (l.code.clone(), l.quantity, l.unit_price_minor, l.amount_minor)).collect()
}

#[test]
fn per_diem_class_rates_and_a_minimum_shortfall_on_some_days_only() {
    let a = agreement(
        "model = \"per_diem\"\nrate_minor = 10000\nclass_rates_minor = { high = 15000 }\nguaranteed_minimum_places = 2",
        "2025-01-01",
        "2025-12-31",
    );
    let stays = [
        stay(SecurityClass::High, "2025-04-01", None), // 30 days in April
        stay(SecurityClass::Medium, "2025-04-11", Some("2025-04-21")), // 10 days
        stay(SecurityClass::Low, "2025-04-30", Some("2025-04-30")), // same day: 1 day
    ];
    let p = Period::new(&a, 2025, 4).unwrap();
    let inv = invoice(&a, &stays, &[], &p).unwrap();
    // pop: 1 on Apr 1-10, 2 on Apr 11-20, 1 on Apr 21-29, 2 on Apr 30 → shortfall 10 + 0 + 9 + 0 = 19.
    assert_eq!(
        codes(&inv.lines),
        [
            ("PERSON_DAYS".into(), 1, 10000, 10000),
            ("PERSON_DAYS".into(), 10, 10000, 100000),
            ("PERSON_DAYS".into(), 30, 15000, 450000),
            ("MINIMUM_SHORTFALL".into(), 19, 10000, 190000),
        ]
    );
    assert_eq!(inv.person_days, 41);
    assert_eq!(inv.total_minor, 750000);
}

#[test]
fn per_place_month_prorated_when_the_agreement_starts_mid_month() {
    // Tartu-like: €8,500 a place-month, 3 places reserved, from 2026-07-17: 15 of 31 days covered.
    let a = agreement(
        "model = \"per_place_month\"\nplace_month_minor = 850000\nreserved_places = 3\nextra_person_day_minor = 27945",
        "2026-07-17",
        "2031-06-30",
    );
    let p = Period::new(&a, 2026, 7).unwrap();
    assert_eq!((p.covered_days(), p.month_days()), (15, 31));
    let stays: Vec<Stay> = (0..4).map(|_| stay(SecurityClass::Medium, "2026-07-20", None)).collect();
    let inv = invoice(&a, &stays, &[], &p).unwrap();
    // 3 × 850000 × 15 / 31 = 1,233,870.967… → 1,233,871; 4 people for 12 days, 1 beyond reserve.
    assert_eq!(
        codes(&inv.lines),
        [("RESERVED_PLACES".into(), 3, 850000, 1233871), ("EXTRA_PERSON_DAYS".into(), 12, 27945, 335340)]
    );
    assert!(Period::new(&a, 2026, 6).is_err(), "a period before the term");
}

#[test]
fn lump_sum_instalments_round_half_to_even_once() {
    // 30,000,000.00 a year: a 31-day month is 250,000,000 cents … exactly 1/12.
    let a = agreement("model = \"lump_sum_year\"\nyear_minor = 3000000000", "2025-01-01", "2025-12-31");
    let inv = invoice(&a, &[], &[], &Period::new(&a, 2025, 2).unwrap()).unwrap();
    assert_eq!(codes(&inv.lines), [("INSTALMENT".into(), 1, 250000000, 250000000)]);
    // 100 a year over a term ending on 2025-02-14: 100 × 14 / (12 × 28) = 4.1666… → 4.
    let b = agreement("model = \"lump_sum_year\"\nyear_minor = 100", "2025-01-01", "2025-02-14");
    assert_eq!(invoice(&b, &[], &[], &Period::new(&b, 2025, 2).unwrap()).unwrap().total_minor, 4);
    assert_eq!(div_round_half_even(25, 10), 2, "2.5 rounds to the even 2");
    assert_eq!(div_round_half_even(35, 10), 4, "3.5 rounds to the even 4");
}

#[test]
fn per_capita_coverage_periods_and_an_envelope_exhausted_mid_year() {
    // $20,000 per person per 365 days, envelope $50,000: the third person is cut to $10,000 and
    // every later coverage period is cancelled.
    let a = agreement(
        "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365\nenvelope_minor = 5000000",
        "2025-03-15",
        "2026-03-14",
    );
    let stays = [
        stay(SecurityClass::High, "2025-03-16", None),
        stay(SecurityClass::High, "2025-03-16", None),
        stay(SecurityClass::High, "2025-05-02", None),
        stay(SecurityClass::High, "2025-06-10", Some("2025-06-12")),
    ];
    let march = invoice(&a, &stays, &[], &Period::new(&a, 2025, 3).unwrap()).unwrap();
    assert_eq!(codes(&march.lines), [("CAPITA".into(), 2, 2000000, 4000000)]);
    let may = invoice(&a, &stays, &[], &Period::new(&a, 2025, 5).unwrap()).unwrap();
    assert_eq!(
        codes(&may.lines),
        [("CAPITA".into(), 1, 2000000, 2000000), ("ENVELOPE_LIMIT".into(), 1, -1000000, -1000000)]
    );
    assert_eq!(may.total_minor, 1000000);
    assert_eq!(may.warnings.len(), 1);
    let june = invoice(&a, &stays, &[], &Period::new(&a, 2025, 6).unwrap()).unwrap();
    assert_eq!(
        codes(&june.lines),
        [("CAPITA".into(), 1, 2000000, 2000000), ("ENVELOPE_LIMIT".into(), 1, -2000000, -2000000)]
    );
    // A stay lasting past a year starts a second coverage period on its anniversary (2026-03-16
    // is after the term; none here). Extras are billed outside the envelope.
    let extra =
        Extra { date: d("2025-06-01"), code: "MEDICAL".into(), description: "x-ray".into(), amount_minor: 5000 };
    let june = invoice(&a, &stays, &[extra], &Period::new(&a, 2025, 6).unwrap()).unwrap();
    assert_eq!(june.total_minor, 5000);
}

fn arb_stays() -> impl Strategy<Value = Vec<Stay>> {
    proptest::collection::vec((0i64..365, prop_oneof![Just(None), (0i64..200).prop_map(Some)], 0usize..5), 0..40)
        .prop_map(|items| {
            items
                .into_iter()
                .map(|(start, len, class)| {
                    let admitted = d("2025-01-01").add_days(start).unwrap();
                    Stay {
                        person_id: "p".into(),
                        facility_id: "f".into(),
                        security_class: SecurityClass::ALL[class],
                        admitted_on: admitted,
                        released_on: len.map(|l| admitted.add_days(l).unwrap()),
                    }
                })
                .collect()
        })
}

proptest! {
    /// Twelve monthly per-diem invoices add up to the year computed in one pass, and no amount
    /// depends on the order of the stays.
    #[test]
    fn monthly_per_diem_invoices_add_up_to_the_year(stays in arb_stays(), shuffle in any::<u64>()) {
        let a = agreement("model = \"per_diem\"\nrate_minor = 13290\nclass_rates_minor = { high = 15000 }\nguaranteed_minimum_places = 3", "2025-01-01", "2025-12-31");
        let months: i64 = (1..=12).map(|m| invoice(&a, &stays, &[], &Period::new(&a, 2025, m).unwrap()).unwrap().total_minor).sum();
        // One pass over the year: class person-days × rate, plus the shortfall day by day.
        let mut year = 0i64;
        let mut shortfall = 0i64;
        for day in 0..365 {
            let date = d("2025-01-01").add_days(day).unwrap();
            let mut pop = 0;
            for s in &stays {
                let end = match s.released_on { None => Date::parse("9999-12-31").unwrap(), Some(r) if r == s.admitted_on => r.add_days(1).unwrap(), Some(r) => r };
                if s.admitted_on <= date && date < end {
                    pop += 1;
                    year += if s.security_class == SecurityClass::High { 15000 } else { 13290 };
                }
            }
            shortfall += (3 - pop).max(0);
        }
        year += shortfall * 13290;
        prop_assert_eq!(months, year);
        let mut reversed = stays.clone();
        reversed.rotate_left(usize::try_from(shuffle % (stays.len().max(1) as u64)).unwrap());
        reversed.reverse();
        for m in 1..=12 {
            let p = Period::new(&a, 2025, m).unwrap();
            prop_assert_eq!(invoice(&a, &stays, &[], &p).unwrap(), invoice(&a, &reversed, &[], &p).unwrap());
        }
    }

    /// The envelope is never exceeded: cumulative per-capita charges stay within it.
    #[test]
    fn the_envelope_is_never_exceeded(stays in arb_stays(), envelope in 1i64..20) {
        let a = agreement(&format!("model = \"per_capita\"\ncapita_minor = 100\ncoverage_days = 30\nenvelope_minor = {}", envelope * 100), "2025-01-01", "2025-12-31");
        let mut cumulative = 0;
        for m in 1..=12 {
            let inv = invoice(&a, &stays, &[], &Period::new(&a, 2025, m).unwrap()).unwrap();
            cumulative += inv.lines.iter().filter(|l| l.code == "CAPITA" || l.code == "ENVELOPE_LIMIT").map(|l| l.amount_minor).sum::<i64>();
            prop_assert!(cumulative <= envelope * 100);
            prop_assert!(cumulative >= 0);
        }
    }

    /// The one-pass computation of every period of the term gives exactly the invoice of each
    /// period computed alone, for every fee model, with short and long coverage periods, a term
    /// starting and ending mid-month, stays before and after the term, and extras.
    #[test]
    fn every_period_in_one_pass_equals_each_period_alone(
        stays in arb_stays(),
        model in 0usize..6,
        extra_days in proptest::collection::vec(0i64..400, 0..6),
    ) {
        let fees = [
            "model = \"per_diem\"\nrate_minor = 13290\nclass_rates_minor = { high = 15000, minimum = 9000 }\nguaranteed_minimum_places = 3",
            "model = \"per_diem\"\nrate_minor = 16400",
            "model = \"per_place_month\"\nplace_month_minor = 850000\nreserved_places = 4\nextra_person_day_minor = 30000",
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 45\nenvelope_minor = 9000000",
            "model = \"per_capita\"\ncapita_minor = 1000\ncoverage_days = 7\nenvelope_minor = 50000",
            "model = \"lump_sum_year\"\nyear_minor = 3000000001",
        ];
        let a = agreement(fees[model], "2025-02-11", "2026-01-20");
        let extras: Vec<Extra> = extra_days
            .iter()
            .map(|day| d("2025-01-01").add_days(*day).unwrap())
            .filter(|date| a.in_term(*date))
            .map(|date| Extra { date, code: "MEDICAL".into(), description: "care".into(), amount_minor: 777 })
            .collect();
        let all = invoices_for_term(&a, &stays, &extras).unwrap();
        let periods = term_periods(&a);
        prop_assert_eq!(all.len(), periods.len());
        prop_assert_eq!(periods.len(), 12);
        for ((period, inv), expected_period) in all.iter().zip(&periods) {
            prop_assert_eq!(period, expected_period);
            prop_assert_eq!(inv, &invoice(&a, &stays, &extras, period).unwrap());
        }
        // No amount depends on the order of the stays, for any model.
        let mut reordered = stays.clone();
        reordered.reverse();
        reordered.rotate_left(stays.len() / 3);
        prop_assert_eq!(&invoices_for_term(&a, &reordered, &extras).unwrap(), &all);
    }
}

mod ledger_documents {
    use super::*;
    use custodia_core::ledger::{
        ADJUSTMENT, Billed, Document, DocumentKind, InvoiceRequest, SustainabilityInput, UNUSED_COVERAGE,
        credit_note_document, invoice_document, sustainability,
    };

    fn build(
        a: &custodia_core::Agreement,
        issued: &[Document],
        home: i64,
        budget: Option<i64>,
    ) -> custodia_core::ledger::Sustainability {
        sustainability(&SustainabilityInput {
            agreement: a,
            issued,
            stays: &[],
            journeys: &[],
            home_cost_day_minor: home,
            budget_year_minor: budget,
        })
        .unwrap()
    }

    fn codes_of(doc: &Document) -> Vec<(String, i64, i64, Option<String>)> {
        doc.lines
            .iter()
            .map(|l| (l.line.code.clone(), l.line.quantity, l.line.amount_minor, l.refers_to.clone()))
            .collect()
    }

    #[test]
    fn a_correction_to_a_billed_period_is_one_adjustment_on_the_next_invoice() {
        let a = agreement("model = \"per_diem\"\nrate_minor = 10000", "2025-01-01", "2025-12-31");
        // January was billed for a stay open all month (31 days); the records now say the person
        // left on the 21st (20 days).
        let now = [stay(SecurityClass::Low, "2025-01-01", Some("2025-01-21"))];
        let billed = [Billed { period: "2025-01".into(), agreement: &a, billed_minor: 310_000 }];
        let request =
            InvoiceRequest { agreement: &a, version: 1, period: "2025-02", stays: &now, extras: &[], billed: &billed };
        let feb = invoice_document(&request).unwrap();
        assert_eq!(feb.number, "billing/2025-02");
        assert_eq!(codes_of(&feb), [(ADJUSTMENT.into(), 1, -110_000, Some("2025-01".into()))]);
        assert_eq!(feb.total_minor, -110_000);
        // Once the adjustment is billed, nothing is corrected twice.
        let billed = [Billed { period: "2025-01".into(), agreement: &a, billed_minor: 200_000 }];
        let mar = invoice_document(&InvoiceRequest { period: "2025-03", billed: &billed, ..request }).unwrap();
        assert_eq!(codes_of(&mar), []);
    }

    #[test]
    fn the_credit_note_returns_coverage_paid_past_the_end_and_periods_cut_by_an_amendment() {
        // Per-capita, 365-day coverage. The agreement was amended to end on 2025-11-30 instead of
        // 2025-12-31; December had been billed $500.00 (an extra person's coverage period).
        let full = agreement(
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365",
            "2025-01-01",
            "2025-12-31",
        );
        let cut = agreement(
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365",
            "2025-01-01",
            "2025-11-30",
        );
        let stays = [stay(SecurityClass::High, "2025-07-01", None)];
        let billed = [
            Billed { period: "2025-07".into(), agreement: &full, billed_minor: 2_000_000 },
            Billed { period: "2025-12".into(), agreement: &full, billed_minor: 50_000 },
        ];
        let cn = credit_note_document(&cut, 2, &stays, &billed).unwrap();
        assert_eq!(cn.kind, DocumentKind::CreditNote);
        assert_eq!(cn.number, "billing/CN");
        assert_eq!(cn.period, "2025-11");
        // Coverage from 2025-07-01 runs to 2026-06-30; the term now ends 2025-11-30, so 212 days
        // (2025-12-01 .. 2026-06-30) were paid for and not served: 2,000,000 × 212 / 365 =
        // 1,161,643.83… → 1,161,644.
        assert_eq!(
            codes_of(&cn),
            [(ADJUSTMENT.into(), 1, -50_000, Some("2025-12".into())), (UNUSED_COVERAGE.into(), 212, -1_161_644, None),]
        );
        assert_eq!(cn.total_minor, -1_211_644);
        assert!(cn.warnings.is_empty());
    }

    #[test]
    fn sustainability_sums_months_into_agreement_years() {
        let a = agreement("model = \"lump_sum_year\"\nyear_minor = 1200000", "2025-03-15", "2026-03-14");
        let doc = |period: &str, total: i64, days: i64| Document {
            kind: DocumentKind::Invoice,
            number: format!("billing/{period}"),
            agreement_id: "billing".into(),
            agreement_version: 1,
            period: period.into(),
            currency: "USD".into(),
            lines: Vec::new(),
            total_minor: total,
            person_days: days,
            warnings: Vec::new(),
        };
        let issued = [doc("2025-03", 54_839, 17), doc("2026-03", 45_161, 14), doc("2026-02", 100_000, 28)];
        let report = build(&a, &issued, 12_080, Some(12_000_000));
        assert_eq!(report.months.len(), 13);
        assert_eq!(report.months[0].label, "2025-03");
        assert_eq!(report.months[0].from.to_string(), "2025-03-15");
        assert_eq!(report.months[0].home_cost_minor, 17 * 12_080);
        // 54,839 against a twelfth of 12,000,000 (1,000,000): 548.39 → 548 basis points.
        assert_eq!(report.months[0].budget_share_bp, Some(548));
        assert_eq!((report.months[0].documents, report.months[1].documents), (1, 0), "April is not invoiced");
        assert_eq!(report.years.len(), 1);
        let year = &report.years[0];
        assert_eq!((year.from.to_string(), year.to.to_string()), ("2025-03-15".into(), "2026-03-14".into()));
        assert_eq!(year.invoiced_minor, 200_000);
        assert_eq!(year.person_days, 59);
        assert_eq!(year.documents, 3);
        assert_eq!(year.sending_state_saving_minor, 59 * 12_080 - 200_000);
        assert_eq!(year.budget_share_bp, Some(167), "200,000 / 12,000,000 = 1.666… % → 167 bp");
        let none = build(&a, &issued, 12_080, None);
        assert_eq!(none.years[0].budget_share_bp, None);
    }
}

/// Issue 17: the sustainability report's two views (docs/billing.md#sustainability) and the
/// journeys priced by the extras tariff.
mod sustainability_views {
    use super::*;
    use custodia_core::ledger::{
        Billed, Document, InvoiceRequest, Journey, JourneyKind, Sustainability, SustainabilityInput,
        credit_note_document, custody_minor, invoice_document, sustainability,
    };

    /// Issues every period of the term in order, as the register does, with the custody records
    /// `before` until `switch` periods are issued and `after` from then on (a late correction,
    /// carried by ADJUSTMENT lines), then the credit note.
    fn issue_all(a: &Agreement, before: &[Stay], after: &[Stay], switch: usize, extras: &[Extra]) -> Vec<Document> {
        let mut docs: Vec<Document> = Vec::new();
        for (i, period) in term_periods(a).iter().enumerate() {
            let stays = if i < switch { before } else { after };
            let label = format!("{:04}-{:02}", period.year, period.month);
            let billed = billed_of(a, &docs);
            let request = InvoiceRequest { agreement: a, version: 1, period: &label, stays, extras, billed: &billed };
            docs.push(invoice_document(&request).unwrap());
        }
        let billed = billed_of(a, &docs);
        docs.push(credit_note_document(a, 1, after, &billed).unwrap());
        docs
    }

    fn billed_of<'a>(a: &'a Agreement, docs: &[Document]) -> Vec<Billed<'a>> {
        docs.iter()
            .map(|d| {
                let own = custody_minor(d.lines.iter().map(|l| &l.line));
                let adjusted: i64 = docs
                    .iter()
                    .flat_map(|x| &x.lines)
                    .filter(|l| l.refers_to.as_deref() == Some(d.period.as_str()))
                    .map(|l| l.line.amount_minor)
                    .sum();
                Billed { period: d.period.clone(), agreement: a, billed_minor: own + adjusted }
            })
            .collect()
    }

    fn report(a: &Agreement, issued: &[Document], stays: &[Stay], journeys: &[Journey]) -> Sustainability {
        sustainability(&SustainabilityInput {
            agreement: a,
            issued,
            stays,
            journeys,
            home_cost_day_minor: 12_080,
            budget_year_minor: Some(12_000_000_000),
        })
        .unwrap()
    }

    fn sums(r: &Sustainability) -> (i64, i64) {
        (r.months.iter().map(|m| m.invoiced_minor).sum(), r.months.iter().map(|m| m.accrued_minor).sum())
    }

    #[test]
    fn over_the_term_both_views_sum_to_what_was_issued_for_every_fee_model() {
        let models = [
            "model = \"per_diem\"\nrate_minor = 10000\nclass_rates_minor = { high = 15000 }\nguaranteed_minimum_places = 2",
            "model = \"per_place_month\"\nplace_month_minor = 300000\nreserved_places = 2\nextra_person_day_minor = 9000",
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365",
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 90\nenvelope_minor = 9000000",
            "model = \"per_capita\"\ncapita_minor = 1000003\ncoverage_days = 7",
            "model = \"lump_sum_year\"\nyear_minor = 1200001",
        ];
        let before = [
            stay(SecurityClass::High, "2025-03-20", None),
            stay(SecurityClass::Low, "2025-04-02", Some("2025-09-17")),
            stay(SecurityClass::Medium, "2025-05-31", Some("2025-05-31")),
            stay(SecurityClass::Medium, "2026-01-10", None),
        ];
        // Corrected after four periods were issued: the second person left in June, and a fifth
        // person's intake in April was recorded late.
        let mut after = before.to_vec();
        after[1].released_on = Some(d("2025-06-05"));
        after.push(stay(SecurityClass::Low, "2025-04-20", Some("2025-12-01")));
        let extras = [Extra {
            date: d("2025-06-03"),
            code: "MEDICAL".into(),
            description: "surgery".into(),
            amount_minor: 777_777,
        }];
        for fees in models {
            let a = agreement(fees, "2025-03-15", "2026-03-14");
            let issued = issue_all(&a, &before, &after, 4, &extras);
            let adjusted = issued.iter().any(|d| d.lines.iter().any(|l| l.refers_to.is_some()));
            assert_eq!(adjusted, !fees.contains("lump_sum"), "{fees}: a lump sum alone ignores the records");
            let r = report(&a, &issued, &after, &[]);
            let total: i64 = issued.iter().map(|d| d.total_minor).sum();
            assert_eq!(sums(&r), (total, total), "{fees}");
            let years: (i64, i64) =
                (r.years.iter().map(|y| y.invoiced_minor).sum(), r.years.iter().map(|y| y.accrued_minor).sum());
            assert_eq!(years, (total, total), "{fees}");
            for m in &r.months {
                assert_eq!(m.accrual_saving_minor, m.home_cost_minor - m.accrued_minor, "{fees} {}", m.label);
                assert_eq!(m.sending_state_saving_minor, m.home_cost_minor - m.invoiced_minor, "{fees} {}", m.label);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// For any custody records, late corrections and fee model, both views add up over the term
        /// to what was issued: accrual moves amounts between months, it never invents or loses one.
        #[test]
        fn both_views_add_up_for_any_records(before in arb_stays(), after in arb_stays(), switch in 0usize..13, model in 0usize..4) {
            let fees = [
                "model = \"per_diem\"\nrate_minor = 13290\nguaranteed_minimum_places = 2",
                "model = \"per_place_month\"\nplace_month_minor = 300001\nreserved_places = 1\nextra_person_day_minor = 777",
                "model = \"per_capita\"\ncapita_minor = 1000003\ncoverage_days = 100\nenvelope_minor = 15000000",
                "model = \"lump_sum_year\"\nyear_minor = 1200001",
            ][model];
            let a = agreement(fees, "2025-01-01", "2025-12-31");
            let issued = issue_all(&a, &before, &after, switch, &[]);
            let r = report(&a, &issued, &after, &[]);
            let total: i64 = issued.iter().map(|d| d.total_minor).sum();
            prop_assert_eq!(sums(&r), (total, total));
        }
    }

    #[test]
    fn per_diem_accrues_what_each_month_invoiced_when_nothing_is_corrected() {
        let a = agreement(
            "model = \"per_diem\"\nrate_minor = 10000\nguaranteed_minimum_places = 3",
            "2025-01-01",
            "2025-12-31",
        );
        let stays =
            [stay(SecurityClass::Low, "2025-02-10", None), stay(SecurityClass::High, "2025-07-01", Some("2025-08-15"))];
        let issued = issue_all(&a, &stays, &stays, 0, &[]);
        let r = report(&a, &issued, &stays, &[]);
        for m in &r.months {
            assert_eq!(m.accrued_minor, m.invoiced_minor, "{}", m.label);
            assert_eq!(m.accrual_budget_share_bp, m.budget_share_bp, "{}", m.label);
        }
        assert!(r.months.iter().all(|m| m.invoiced_minor > 0));
    }

    /// The case of the issue: a big intake in March under per-capita fees. Cash puts the whole
    /// year's charge in March (the sending state "saves" minus millions there); accrual spreads
    /// each capita over the 365 days it covers.
    #[test]
    fn a_per_capita_intake_is_cash_in_its_month_and_accrues_over_the_coverage_days() {
        let capita = 2_000_000i64;
        let a = agreement(
            &format!("model = \"per_capita\"\ncapita_minor = {capita}\ncoverage_days = 365"),
            "2025-03-15",
            "2026-03-14",
        );
        let stays: Vec<Stay> = (0..238).map(|_| stay(SecurityClass::High, "2025-03-16", None)).collect();
        let issued = issue_all(&a, &stays, &stays, 0, &[]);
        let r = report(&a, &issued, &stays, &[]);
        let charge = 238 * capita;
        let march = &r.months[0];
        assert_eq!(march.invoiced_minor, charge, "cash: the whole year's charge in March");
        assert!(march.sending_state_saving_minor < -400_000_000, "{march:?}");
        // Coverage 2025-03-16 .. 2026-03-15: 16 days in March 2025, each later month's days, and 14
        // days of March 2026 plus the one day after the term (refunded by the credit note there).
        for m in &r.months[..12] {
            let days = i64::from(m.to.days_since_epoch() - m.from.days_since_epoch()) + 1;
            let days = if m.label == "2025-03" { days - 1 } else { days };
            let exact = i128::from(charge) * i128::from(days);
            let got = i128::from(m.accrued_minor) * 365;
            assert!((got - exact).abs() < 365, "{}: {} for {days} days", m.label, m.accrued_minor);
        }
        assert!(march.accrued_minor < charge / 20, "March accrues 16/365 of the charge: {march:?}");
        assert!(march.accrual_saving_minor > march.sending_state_saving_minor);
        let credit: i64 = issued.last().unwrap().total_minor;
        assert!(credit < 0, "one unused day per person is refunded");
        let last = r.months.last().unwrap();
        assert_eq!(last.invoiced_minor, credit, "cash: the credit note in the last month");
        let exact_15 = i128::from(charge) * 15;
        let accrued_before_credit = i128::from(last.accrued_minor - credit) * 365;
        assert!((accrued_before_credit - exact_15).abs() < 365, "{last:?}");
        assert_eq!(sums(&r), (charge + credit, charge + credit));
    }

    #[test]
    fn an_envelope_cut_accrues_like_the_coverage_it_cancels() {
        let a = agreement(
            "model = \"per_capita\"\ncapita_minor = 1000000\ncoverage_days = 61\nenvelope_minor = 2500000",
            "2025-01-01",
            "2025-12-31",
        );
        let stays = [
            stay(SecurityClass::Low, "2025-01-01", Some("2025-02-01")),
            stay(SecurityClass::Low, "2025-01-01", Some("2025-02-01")),
            stay(SecurityClass::Low, "2025-01-01", Some("2025-02-01")),
        ];
        let issued = issue_all(&a, &stays, &stays, 0, &[]);
        assert!(issued[0].lines.iter().any(|l| l.line.code == "ENVELOPE_LIMIT"));
        let r = report(&a, &issued, &stays, &[]);
        // 2,500,000 charged in January for coverage 1 Jan .. 2 Mar: 31 / 28 / 2 of 61 days.
        assert_eq!(r.months[0].invoiced_minor, 2_500_000);
        let parts = custodia_core::sustainability::apportion(2_500_000, &[31, 28, 2]);
        assert_eq!([r.months[0].accrued_minor, r.months[1].accrued_minor, r.months[2].accrued_minor], *parts);
        assert_eq!(parts, [1_270_492, 1_147_541, 81_967]);
    }

    #[test]
    fn journeys_are_counted_per_month_and_priced_by_the_tariff() {
        let fees = "model = \"per_diem\"\nrate_minor = 10000";
        let unpriced = agreement(fees, "2025-01-01", "2025-12-31");
        let priced = agreement(
            &format!("{fees}\n[extras_tariff]\ntransport_departure_minor = 450000\ntransport_return_minor = 380000"),
            "2025-01-01",
            "2025-12-31",
        );
        let journeys = [
            Journey { case_id: 1, kind: JourneyKind::Departure, on: d("2025-02-27") },
            Journey { case_id: 2, kind: JourneyKind::Departure, on: d("2025-02-28") },
            Journey { case_id: 1, kind: JourneyKind::Return, on: d("2025-05-01") },
            Journey { case_id: 3, kind: JourneyKind::Return, on: d("2026-01-01") },
        ];
        let stays = [stay(SecurityClass::Low, "2025-02-28", Some("2025-05-01"))];
        let extras =
            [Extra { date: d("2025-05-01"), code: "TRANSPORT".into(), description: "flight".into(), amount_minor: 1 }];
        let issued = issue_all(&unpriced, &stays, &stays, 0, &extras);
        let r = report(&unpriced, &issued, &stays, &journeys);
        assert!(!r.transport_priced);
        assert_eq!((r.months[1].departures, r.months[1].returns, r.months[1].transport_minor), (2, 0, None));
        assert_eq!((r.months[4].departures, r.months[4].returns), (0, 1));
        assert_eq!(r.years[0].transport_minor, None);
        assert_eq!((r.years[0].departures, r.years[0].returns), (2, 1));
        assert_eq!(r.warnings.len(), 1, "the journey after the term: {:?}", r.warnings);
        assert_eq!((r.journeys_outside_term, r.transport_extras_months.len()), (1, 0), "no tariff, no double count");
        let r = report(&priced, &issued, &stays, &journeys);
        assert!(r.transport_priced);
        assert_eq!(r.months[1].transport_minor, Some(900_000));
        assert_eq!(r.months[4].transport_minor, Some(380_000));
        assert_eq!(r.months[0].transport_minor, Some(0));
        let may = &r.months[4];
        assert_eq!(may.sending_state_saving_minor, may.home_cost_minor - may.invoiced_minor - 380_000);
        assert_eq!(may.accrual_saving_minor, may.home_cost_minor - may.accrued_minor - 380_000);
        assert_eq!(r.years[0].transport_minor, Some(1_280_000));
        assert!(r.warnings.iter().any(|w| w.contains("2025-05") && w.contains("counted twice")), "{:?}", r.warnings);
        assert_eq!(r.transport_extras_months, ["2025-05"]);
    }
}
