// The staff pages (docs/web.md) as the demo's users use them: every role signs in; the agreement's
// overview shows the held-beyond-release alert; a citizen of the sending state refused E07 is
// shown with the rule's outcome; a case goes from proposal to admission through the pages, the
// receiving state's approval reached from "waiting for you"; the language switch turns a page to
// Spanish. The demo's agreement ended in March 2026, so the walk first opens a new agreement of
// the same parties running from today (an admin's import, the facility's cells, one person with a
// torture-risk assessment from today), all through the API, as those users would.

const DEMO = 'us-sv-cecot';

/** Today as YYYY-MM-DD (UTC; the agreement's own day can differ by one near midnight). */
function day(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Submits the form of a case page whose hidden `action` is `action`, after filling `fields`. */
async function act(page, action, fields) {
  const form = page.locator(`form:has(input[name="action"][value="${action}"])`).first();
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`[name="${name}"]`).fill(value);
  }
  await Promise.all([page.waitForLoadState('load'), page.waitForNavigation(), form.locator('button[type=submit]').click()]);
}

/** The case's state, as the API tells it. */
async function stateOf(t, caseId) {
  return (await t.api('admin', `/api/v1/cases/${caseId}`)).state;
}

export default async function staff(t) {
  // Every role of the demo signs in and lands on its agreements.
  for (const name of Object.keys(t.demo.users).sort()) {
    const page = await t.signIn(name);
    if (!page) continue;
    await t.seen(page, `home-${name}`);
    t.check((await page.locator('form.sign-out').count()) === 1, `${name} is signed in (a sign-out form)`);
    t.check((await page.textContent('main')).includes(name), `${name} is greeted by name`);
    t.check((await page.locator(`a[href="/agreements/${DEMO}"]`).count()) === 1, `${name} sees the demo agreement`);
    await t.visit(page, '/waiting', `waiting-${name}`);
    await page.context().close();
  }

  // The overview: a person held beyond their release raises a critical alert, named by its code.
  const admin = await t.signIn('admin');
  await t.visit(admin, `/agreements/${DEMO}`, 'overview');
  // The first screen of the overview, as the README shows it (docs/images/overview.png).
  await admin.screenshot({ path: `${t.screenshotDir}/overview-first-screen.png` });
  const overview = await admin.textContent('main');
  t.check(overview.includes('HELD_BEYOND_RELEASE'), 'the overview names HELD_BEYOND_RELEASE');
  t.check((await admin.locator('svg[role=img] title').count()) > 0, 'the population chart has a title');
  await t.visit(admin, `/agreements/${DEMO}/facilities/cecot`, 'facility-cells');

  // Billing and oversight pages, the journal's checkpoint, a person's file.
  for (const [path, label] of [
    [`/agreements/${DEMO}/invoices`, 'invoices'], [`/agreements/${DEMO}/sustainability`, 'sustainability'],
    [`/agreements/${DEMO}/incidents`, 'incidents'], [`/agreements/${DEMO}/inspections`, 'inspections'],
    [`/agreements/${DEMO}/rights`, 'rights'],
    ['/journal', 'journal'],
  ]) {
    const r = await t.visit(admin, path, label);
    t.check(r.status() === 200, `${label} answers 200 (${r.status()})`);
  }
  const invoices = (await t.api('admin', `/api/v1/invoices?agreement=${DEMO}`));
  const firstInvoice = (invoices.items || invoices)[0];
  if (t.check(Boolean(firstInvoice), 'the demo has invoices')) {
    await t.visit(admin, `/invoices/${firstInvoice.id}`, 'invoice');
  }
  const held = (await t.api('admin', `/api/v1/cases?agreement=${DEMO}&state=in_custody&limit=1`)).items[0];
  if (t.check(Boolean(held), 'someone is in custody')) {
    const r = await t.visit(admin, `/persons/${held.person_id}`, 'person-file');
    t.check(r.status() === 200 && (await admin.textContent('main')).includes(held.sending_person_id),
      'the person file names the person');
  }

  // A citizen of the sending state, refused: the case page shows E07 among its rule outcomes.
  const refused = (await t.api('admin', `/api/v1/cases?agreement=${DEMO}&state=refused&limit=50`)).items;
  const citizen = refused.find((c) => JSON.stringify(c).includes('E07'));
  if (t.check(Boolean(citizen), 'the demo has a refused citizen (E07)')) {
    await t.visit(admin, `/cases/${citizen.id}`, 'refused-citizen');
    const text = await admin.textContent('main');
    t.check(text.includes('E07') && text.includes('refused'), 'the refused case shows E07 and its state');
  }

  // A new agreement of the same parties, running from today, with one cell and one person.
  const source = (await t.api('admin', `/api/v1/agreements/${DEMO}`)).source_toml;
  const renewed = source
    .replace(`id = "${DEMO}"`, 'id = "us-sv-renewed"')
    .replace(/^starts = .*$/m, `starts = ${day(-1)}`)
    .replace(/^ends = .*$/m, `ends = ${day(364)}`);
  const imported = await t.apiPost('admin', '/api/v1/agreements', { source_toml: renewed });
  t.check(imported.status === 201 || imported.status === 200, `the renewed agreement is imported (${imported.status} ${JSON.stringify(imported.body)})`);
  const cells = await t.apiPost('cecot.staff', '/api/v1/facilities/cecot/cells', {
    agreement_id: 'us-sv-renewed',
    csv: 'facility_id,cell_id,unit,kind,area_m2,beds\ncecot,R-01,renewed,shared,100,20\n',
  });
  t.check(cells.status === 201, `the cell is registered (${cells.status} ${JSON.stringify(cells.body)})`);
  const header = 'person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,'
    + 'sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,'
    + 'torture_risk_assessed_on,care_needs';
  const row = `W000001,Walker,Sam,1985-04-02,VE,final,gang,${day(-400)},10y,0,high,given,final,no_risk,${day(-1)},no`;
  const persons = await t.apiPost('us.officer', '/api/v1/persons', { agreement_id: 'us-sv-renewed', csv: `${header}\n${row}\n` });
  t.check(persons.status === 200 || persons.status === 201, `the person is imported (${persons.status} ${JSON.stringify(persons.body)})`);

  // The sending officer proposes, screens and approves on the pages.
  const us = await t.signIn('us.officer');
  await t.visit(us, '/cases?agreement=us-sv-renewed', 'cases-renewed');
  await us.fill('#propose-person', 'W000001');
  await Promise.all([us.waitForNavigation(), us.locator('form.propose button[type=submit]').click()]);
  const match = /\/cases\/(\d+)$/.exec(new URL(us.url()).pathname);
  if (!t.check(Boolean(match), `the proposal opens the case page (${us.url()})`)) return;
  const caseId = match[1];
  await t.seen(us, 'case-proposed');
  t.check((await stateOf(t, caseId)) === 'proposed', 'the case is proposed');
  await act(us, 'screen', { reason: 'SCREENED' });
  t.check((await stateOf(t, caseId)) === 'screened', 'the case is screened');
  await t.seen(us, 'case-screened');
  await act(us, 'approve', { reason: 'APPROVED' });
  t.check((await stateOf(t, caseId)) === 'screened', 'one approval: still screened');

  // The receiving officer finds it waiting, opens it with one click and approves.
  const sv = await t.signIn('sv.officer');
  await t.visit(sv, '/waiting', 'waiting-receiving');
  const link = sv.locator(`a[href="/cases/${caseId}#actions"]`);
  if (t.check((await link.count()) === 1, 'the case waits for the receiving state\'s approval')) {
    await Promise.all([sv.waitForNavigation(), link.click()]);
    await act(sv, 'approve', { reason: 'APPROVED' });
    t.check((await stateOf(t, caseId)) === 'approved', 'both approvals: approved');
    await t.seen(sv, 'case-approved');
  }

  // The transfer: scheduled and flown by the sending state, admitted by the facility's staff.
  await us.goto(t.url(`/cases/${caseId}`));
  await act(us, 'schedule', { reason: 'FLIGHT_BOOKED' });
  await act(us, 'depart', { reason: 'DEPARTED' });
  t.check((await stateOf(t, caseId)) === 'in_transit', 'in transit');
  const staffPage = await t.signIn('cecot.staff');
  await staffPage.goto(t.url(`/cases/${caseId}`));
  await act(staffPage, 'admit', {
    'admission.commitment_order': 'CO-2026-001',
    'admission.receiving_id': 'SV-W000001',
    'admission.admitted_on': day(0),
    'admission.hour': '14',
    'admission.visible_injuries': 'none',
    'admission.property': 'clothes',
    'admission.next_of_kin': 'a sister',
    'placement.facility_id': 'cecot',
    'placement.cell_id': 'R-01',
    reason: 'ADMITTED',
  });
  t.check((await stateOf(t, caseId)) === 'in_custody', 'admitted: in custody');
  await t.seen(staffPage, 'case-admitted');
  const timeline = await staffPage.textContent('main');
  t.check(['proposed → screened', 'screened → approved', 'in_transit → in_custody'].every((s) => timeline.includes(s)),
    'the timeline shows every step');

  // The language switch, on a staff page: Spanish, then back to English.
  await Promise.all([staffPage.waitForNavigation(), staffPage.locator('nav.languages a[hreflang="es"]').click()]);
  await t.seen(staffPage, 'case-es');
  t.check((await staffPage.getAttribute('html', 'lang')) === 'es', 'the page is in Spanish');
  t.check((await staffPage.textContent('main')).includes('Persona W000001'), 'the case summary is in Spanish');
  await Promise.all([staffPage.waitForNavigation(), staffPage.locator('nav.languages a[hreflang="en"]').click()]);
  t.check((await staffPage.getAttribute('html', 'lang')) === 'en', 'back to English');
  for (const p of [admin, us, sv, staffPage]) await p.context().close();
}
