#!/usr/bin/env node
// Browser tests of the operations centre against a running dothi.
//
//   DOTHI_URL=http://127.0.0.1:8080 node e2e/run.mjs
//
// DOTHI_URL serves the interface and the NGSI-LD API (dothi itself, or
// `vite preview` proxying the API). DOTHI_API_URL, when set, is where the
// test data is sent instead, with the API key DOTHI_KEY; the browser logs
// in as DOTHI_E2E_USER with DOTHI_E2E_PASSWORD (the demo operator). Builds nothing; uses Debian's chromium
// (CHROMIUM overrides the path). Screenshots go to docs/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const base = (process.env.DOTHI_URL ?? '').replace(/\/+$/, '');
if (!base) {
  console.error('DOTHI_URL is not set (e.g. DOTHI_URL=http://127.0.0.1:8080)');
  process.exit(2);
}
const api = (process.env.DOTHI_API_URL ?? base).replace(/\/+$/, '');
const key = process.env.DOTHI_KEY ?? '';
const user = process.env.DOTHI_E2E_USER ?? 'operator';
const password = process.env.DOTHI_E2E_PASSWORD ?? 'dothi-demo-2026';
const authz = key ? { Authorization: `Bearer ${key}` } : {};
const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(process.env.SCREENSHOT_DIR ?? resolve(here, '../../docs/screenshots'));
mkdirSync(shots, { recursive: true });

const now = new Date().toISOString();
const point = (lon, lat) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } });
const prop = (value, extra = {}) => ({ type: 'Property', value, ...extra });
const seed = [
  {
    id: 'urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc',
    type: 'AirQualityObserved',
    name: prop('Trạm quan trắc Bãi Trước'),
    pm25: prop(38.5, { unitCode: 'GQ', observedAt: now }),
    pm10: prop(61.2, { unitCode: 'GQ', observedAt: now }),
    aqi: prop(104, { observedAt: now }),
    dateObserved: prop(now),
    location: point(107.0724, 10.346),
  },
  {
    id: 'urn:ngsi-ld:AirQualityObserved:VT-BaiSau',
    type: 'AirQualityObserved',
    name: prop('Trạm quan trắc Bãi Sau'),
    pm25: prop(17.9, { unitCode: 'GQ', observedAt: now }),
    pm10: prop(30.4, { unitCode: 'GQ', observedAt: now }),
    aqi: prop(62, { observedAt: now }),
    dateObserved: prop(now),
    location: point(107.0955, 10.341),
  },
  {
    id: 'urn:ngsi-ld:TrafficFlowObserved:VT-ThuyVan-01',
    type: 'TrafficFlowObserved',
    name: prop('Thùy Vân — đoạn Bãi Sau'),
    intensity: prop(412, { observedAt: now }),
    averageVehicleSpeed: prop(31.5, { unitCode: 'KMH', observedAt: now }),
    congested: prop(false),
    location: point(107.0975, 10.339),
  },
];

let failures = 0;
const results = [];
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failures++;
    results.push(`FAIL ${name}: ${err?.stack ?? err}`);
  }
  console.log(results.at(-1));
}

async function seedData() {
  const res = await fetch(`${api}/ngsi-ld/v1/entityOperations/upsert`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...authz },
    body: JSON.stringify(seed),
  });
  const text = await res.text();
  assert.ok(res.status === 201 || res.status === 204, `upsert answered ${res.status}: ${text}`);
  const check = await fetch(`${api}/ngsi-ld/v1/entities?type=AirQualityObserved&count=true&limit=0`, { headers: authz });
  assert.equal(check.status, 200);
  assert.ok(Number(check.headers.get('NGSILD-Results-Count')) >= 2, 'count of seeded AirQualityObserved');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-quic',
  ],
});

/** A page that records console errors and any request leaving the server. */
async function openPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.external = [];
  const origin = new URL(base).origin;
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
  });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) page.external.push(u);
  });
  return page;
}

function assertClean(page) {
  assert.deepEqual(page.external, [], 'requests outside the server (the UI must work offline)');
  // 401: the session check (GET /api/v1/auth/me) before logging in.
  const errs = page.errors.filter((e) => !/Failed to load resource.*(404|400|401)/.test(e));
  assert.deepEqual(errs, [], 'console errors');
}

try {
  await step('seed entities through the NGSI-LD API', seedData);

  await step('anonymous API access is refused', async () => {
    const res = await fetch(`${api}/ngsi-ld/v1/entities?type=AirQualityObserved`);
    assert.equal(res.status, 401);
  });

  const desktop = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'vi-VN' });
  const page = await openPage(desktop);
  /** A new context that shares the desktop's session cookie (not its language). */
  const loggedIn = async (opts) => browser.newContext({ ...opts, storageState: { cookies: await desktop.cookies(), origins: [] } });

  await step('login page (Vietnamese): wrong password refused, then log in as the demo operator', async () => {
    const res = await page.goto(base + '/entities?type=AirQualityObserved', { waitUntil: 'domcontentloaded' });
    assert.match(res.headers()['content-security-policy'] ?? '', /default-src 'self'/, 'CSP on the UI');
    await page.getByRole('heading', { level: 1, name: 'Đăng nhập' }).waitFor();
    assert.match(page.url(), /\/login\?next=%2Fentities/, 'redirected to the login page');
    await page.getByLabel('Tên đăng nhập').fill(user);
    await page.getByLabel('Mật khẩu').fill('not-the-password');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sai tên đăng nhập, mật khẩu hoặc mã xác thực' }).waitFor();
    await page.getByLabel('Mật khẩu').fill(password);
    await page.screenshot({ path: resolve(shots, 'login.png') });
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    // Back to the page asked for, with the user and a logout button in the header.
    await page.getByRole('heading', { level: 1, name: 'Khám phá dữ liệu' }).waitFor();
    assert.match(page.url(), /\/entities\?type=AirQualityObserved/);
    await page.locator(`.session[data-user="${user}"]`).waitFor();
    await page.getByRole('button', { name: 'Đăng xuất' }).waitFor();
    const cookies = await desktop.cookies();
    const session = cookies.find((c) => c.name.endsWith('dothi_session'));
    assert.ok(session && session.httpOnly && session.sameSite === 'Lax', `session cookie: ${JSON.stringify(session)}`);
  });

  await step('overview: map, markers, KPI tiles and chart render (Vietnamese)', async () => {
    await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');
    await page.getByRole('heading', { level: 1, name: /Tổng quan đô thị/ }).waitFor();
    await page.getByText('Trung tâm giám sát, điều hành đô thị thông minh').waitFor();
    await page.locator('.leaflet-container').waitFor();
    // The offline base layer: boundary, six roads, seven landmarks.
    await page.locator('.city-map path.base-road').first().waitFor();
    assert.equal(await page.locator('.city-map path.base-road').count(), 6, 'roads drawn');
    assert.equal(await page.locator('.city-map path.base-boundary').count(), 1, 'boundary drawn');
    assert.equal(await page.locator('.leaflet-tooltip.landmark-label').count(), 7, 'landmarks labelled');
    await page.getByText('Bạch Dinh', { exact: true }).waitFor();
    // No tiles unless configured.
    assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tile layer by default');

    await page.waitForFunction(() => document.querySelectorAll('.entity-marker').length >= 3, null, { timeout: 15000 });
    const kpi = async (id) => Number((await page.locator(`[data-testid=${id}] .kpi__number`).innerText()).replace(/\D/g, ''));
    assert.ok((await kpi('kpi-types')) >= 2, 'types KPI');
    assert.ok((await kpi('kpi-entities')) >= 3, 'entities KPI');
    assert.ok((await kpi('kpi-located')) >= 3, 'located KPI');
    const legend = page.locator('.map-legend');
    await legend.getByText('AirQualityObserved').waitFor();
    await legend.getByText('TrafficFlowObserved').waitFor();
    // The chart is loaded lazily and drawn in SVG.
    await page.locator('.type-chart svg').first().waitFor({ timeout: 15000 });

    // A marker is keyboard-reachable and opens a popup with attributes.
    const marker = page.locator('.entity-marker[title*="VT-BaiTruoc"]');
    await marker.focus();
    await page.keyboard.press('Enter');
    const popup = page.locator('.entity-popup');
    await popup.waitFor();
    assert.match(await popup.innerText(), /pm25[\s\S]*38,5/, 'popup shows pm25 in vi-VN format');
    await page.keyboard.press('Escape');
    await popup.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('entity-marker')), true, 'focus back on the marker');
    await page.evaluate(() => document.activeElement?.blur());
    await page.waitForTimeout(400); // chart animation
    await page.screenshot({ path: resolve(shots, 'overview.png') });
    assertClean(page);
  });

  await step('language switch to English persists across reloads', async () => {
    await page.locator('button[data-lang=en]').click();
    await page.getByRole('heading', { level: 1, name: /City overview/ }).waitFor();
    await page.getByText('Smart city operations centre').waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('button[data-lang=en]').getAttribute('aria-pressed'), 'true');
    await page.getByText('Back Beach').waitFor(); // landmark names follow the language
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { level: 1, name: /City overview/ }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('dothi.lang')), 'en');
  });

  await step('explorer: types, rows with total, detail, invalid q shows the problem detail', async () => {
    await page.getByRole('link', { name: 'Data explorer' }).click();
    await page.getByRole('heading', { level: 1, name: 'Data explorer' }).waitFor();
    await page.locator('a[data-type=AirQualityObserved]').click();
    const rows = page.locator('[data-testid=entity-table] tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2, 'two AirQualityObserved rows');
    assert.match(await page.getByTestId('range').innerText(), /1–2 of 2/);
    assert.match(page.url(), /type=AirQualityObserved/);

    await page.getByRole('link', { name: 'urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc' }).click();
    const json = page.getByTestId('entity-json');
    await json.waitFor();
    const entity = JSON.parse(await json.innerText());
    assert.equal(entity.id, 'urn:ngsi-ld:AirQualityObserved:VT-BaiTruoc');
    assert.equal(entity.pm25.type, 'Property', 'detail is normalized');

    // A valid filter narrows the rows.
    const q = page.getByLabel('q filter');
    await q.fill('pm25>25');
    await q.press('Enter');
    await page.waitForFunction(() => /1–1 of 1/.test(document.querySelector('[data-testid=range]')?.textContent ?? ''));
    await page.screenshot({ path: resolve(shots, 'explorer.png') });

    // An invalid one shows the API's ProblemDetails detail.
    await q.fill('pm25>>>(');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const err = page.getByTestId('q-error');
    await err.waitFor();
    const text = await err.innerText();
    assert.match(text, /^Invalid query:\s*\S/, `error message: ${text}`);
    assert.equal(await q.getAttribute('aria-invalid'), 'true');
    assertClean(page);
  });

  await step('SPA route loads directly; unknown route shows not-found', async () => {
    await page.goto(base + '/entities?type=TrafficFlowObserved', { waitUntil: 'domcontentloaded' });
    await page.locator('[data-testid=entity-table] tbody tr').first().waitFor();
    await page.goto(base + '/no-such-screen', { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
  });

  await step('a tile layer is added only when configured (window.DOTHI_CONFIG.tileUrl)', async () => {
    const ctx = await loggedIn({ viewport: { width: 1200, height: 800 } });
    // A local URL that answers 404: the tiles fail, the offline map stays.
    await ctx.addInitScript((url) => {
      window.DOTHI_CONFIG = { tileUrl: url };
    }, base + '/e2e-tiles/{z}/{x}/{y}.png');
    const p = await openPage(ctx);
    await p.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await p.locator('.leaflet-tile').first().waitFor({ state: 'attached' });
    await p.locator('.city-map path.base-road').first().waitFor();
    await p.waitForFunction(() => document.querySelectorAll('.entity-marker').length >= 3);
    assert.deepEqual(p.external, []);
    await ctx.close();
  });

  await step('empty and unreachable API: graceful states', async () => {
    const ctx = await loggedIn({ viewport: { width: 1200, height: 800 } });
    const p = await ctx.newPage();
    await p.route('**/ngsi-ld/v1/types*', (r) =>
      r.fulfill({ status: 200, contentType: 'application/json', body: '{"id":"urn:x","type":"EntityTypeList","typeList":[]}' }),
    );
    await p.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await p.getByText('Chưa có thực thể nào').waitFor();
    assert.match(await p.getByTestId('kpi-entities').innerText(), /0\s*Chưa có/);
    await p.getByText('Chưa có thực thể có vị trí').waitFor();
    await p.getByText('Chưa có dữ liệu để vẽ biểu đồ').waitFor();
    await p.unroute('**/ngsi-ld/v1/types*');
    await p.route('**/ngsi-ld/v1/**', (r) => r.abort('connectionrefused'));
    await p.getByRole('button', { name: 'Làm mới' }).click();
    await p.getByRole('alert').filter({ hasText: 'Không kết nối được API NGSI-LD' }).waitFor();
    await p.locator('.city-map path.base-road').first().waitFor(); // the base map still shows
    await ctx.close();
  });

  await step('phone width (390×844): overview in Vietnamese', async () => {
    const phone = await loggedIn({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await openPage(phone);
    await p.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await p.getByRole('heading', { level: 1, name: /Tổng quan đô thị/ }).waitFor();
    await p.waitForFunction(() => document.querySelectorAll('.entity-marker').length >= 3, null, { timeout: 15000 });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scroll on a phone (overflow ${overflow}px)`);
    await p.screenshot({ path: resolve(shots, 'phone.png') });
    assertClean(p);
    await phone.close();
  });
  await step('logout ends the session; pages then ask to log in again', async () => {
    await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
    await page.getByRole('button', { name: /Log out|Đăng xuất/ }).click();
    await page.getByRole('heading', { level: 1, name: /Log in|Đăng nhập/ }).waitFor();
    await page.goto(base + '/entities', { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { level: 1, name: /Log in|Đăng nhập/ }).waitFor();
    assert.match(page.url(), /\/login\?next=%2Fentities/);
  });
} finally {
  await browser.close();
}

console.log(`\n${results.length - failures}/${results.length} passed; screenshots in ${shots}`);
process.exit(failures ? 1 : 0);
