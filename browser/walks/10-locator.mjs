// The public locator (docs/oversight.md#locator) as a family uses it: no sign-in; a family name
// typed without its accent and in small letters finds the person; the language switch turns the
// page to Spanish with the same question; Accept-Language alone chooses Spanish too.

/** A name as typed on a keyboard without accents: decomposed, marks dropped, small letters. */
const plain = (name) => name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** Someone in custody whose family name has an accent, read from the demo's register as the admin. */
async function accentedPersonInCustody(t) {
  const cases = await t.api('admin', '/api/v1/cases?agreement=us-sv-cecot&state=in_custody&limit=100');
  for (const c of cases.items) {
    const { record } = await t.api('admin', `/api/v1/persons/${c.person_id}`);
    const word = record.family_name.split(/\s+/)[0];
    if (record.birth_date && plain(word) !== word.toLowerCase()) return { ...record, word };
  }
  return null;
}

export default async function locator(t) {
  const person = await accentedPersonInCustody(t);
  if (!t.check(person !== null, 'the demo holds someone in custody with an accented family name')) return;
  const typed = plain(person.word);
  const year = person.birth_date.slice(0, 4);
  console.log(`  looking for "${typed}" born ${year} (registered as "${person.family_name}")`);

  const page = await t.newPage({ locale: 'en-US' });
  const first = await t.visit(page, '/locator', 'form-en');
  t.check(first.status() === 200, `the form answers 200 (got ${first.status()})`);
  const csp = first.headers()['content-security-policy'] || '';
  t.check(csp.includes("frame-ancestors 'none'") && !csp.includes('script-src'), `the page's CSP frames nothing and allows no script: ${csp}`);
  t.check((await page.getAttribute('html', 'lang')) === 'en', 'the page is in English for an English browser');
  t.check(
    (await page.locator('button[type=submit]').evaluate((b) => getComputedStyle(b).backgroundColor)) === 'rgb(11, 79, 138)',
    'the stylesheet the binary serves is applied',
  );

  // Typed and sent from the keyboard, through the fields' labels.
  await page.getByLabel('Family name').fill(typed);
  await page.getByLabel('Year of birth').fill(year);
  await Promise.all([page.waitForURL(/family_name=/), page.getByLabel('Year of birth').press('Enter')]);
  await t.seen(page, 'results-en');
  const statuses = await page.locator('#results tbody tr td:first-child').allTextContents();
  t.check(statuses.includes('In custody'), `"${typed}" ${year} finds "${person.family_name}" in custody: ${statuses.join(', ')}`);
  const contact = (await page.locator('.contact').allTextContents()).join(' ');
  t.check(contact.includes('Whom to call') && contact.length > 40, `the agreement's family contact is shown: ${contact}`);

  // The visible switch keeps the question and turns the page to Spanish.
  await Promise.all([page.waitForURL(/lang=es/), page.getByRole('link', { name: 'Español' }).click()]);
  await t.seen(page, 'results-es');
  t.check((await page.getAttribute('html', 'lang')) === 'es', 'the switch makes the page Spanish');
  t.check((await page.locator('h1').textContent()).startsWith('Buscar a una persona'), 'the heading is Spanish');
  const estados = await page.locator('#results tbody tr td:first-child').allTextContents();
  t.check(estados.includes('Bajo custodia'), `the same answer in Spanish: ${estados.join(', ')}`);
  t.check((await page.getByLabel('Apellido').inputValue()) === typed, 'the form keeps the question');

  // A Spanish browser gets Spanish without touching the switch; a name nobody has, an answer.
  const es = await t.newPage({ locale: 'es-SV' });
  await t.visit(es, '/locator', 'form-es-by-accept-language');
  t.check((await es.getAttribute('html', 'lang')) === 'es', 'Accept-Language es-SV chooses Spanish');
  await t.visit(es, `/locator?family_name=zzzz&birth_year=${year}`, 'nobody-es');
  t.check((await es.locator('#results').textContent()).includes('No se encontró a nadie'), 'nobody found, said in Spanish');
  await page.context().close();
  await es.context().close();
}
