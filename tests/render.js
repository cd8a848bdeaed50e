#!/usr/bin/env node
/*
 * Rendering check for built EPUBs.  Every document of the spine is
 * loaded in headless Chromium (Debian's, through tests/chromium.sh) as
 * a reading system would show it, at an e-reader's size (600x800 CSS
 * pixels) and a phone's (360x640), then on the phone again with the
 * reader's text at twice the size and with a reader's night mode.  It
 * fails when anything is wider than the viewport or its own box (code
 * that would be clipped), when code does not wrap, when highlighting
 * leans on colour, when the book forces a colour or a background (night
 * mode), when the cover does not fit one screen and when the contents
 * page is flat.  Screenshots go to SHOTDIR for people to look at.
 *
 * usage: node tests/render.js [-o SHOTDIR] BOOK.epub...
 * Exit status: 0 no problem, 1 problems found, 2 bad usage or setup.
 * Environment: CHROMIUM, the browser tests/chromium.sh starts (default
 * /usr/bin/chromium); NODE_MODULES_DIR, where playwright-core is
 * (default build/node/node_modules).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { pathToFileURL } = require('url');

const ROOT = path.resolve(__dirname, '..');

/* What a reading system's night mode does: its colours on html, body. */
const NIGHT_CSS = 'html, body { background-color: #000 !important; ' +
    'color: #f0f0f0 !important; }';

const MODES = [
  { name: 'ereader-600x800', width: 600, height: 800, shots: 'all',
    gray: true },
  { name: 'phone-360x640', width: 360, height: 640, shots: 'first' },
  { name: 'phone-360x640-large-text', width: 360, height: 640,
    css: 'html { font-size: 200% !important; }', shots: 'none' },
  { name: 'phone-360x640-night', width: 360, height: 640, css: NIGHT_CSS,
    night: true, shots: 'code' },
];

function usage() {
  process.stderr.write('usage: node tests/render.js [-o SHOTDIR] ' +
      'BOOK.epub...\n');
  process.exit(2);
}

function loadPlaywright() {
  const dir = process.env.NODE_MODULES_DIR ||
      path.join(ROOT, 'build', 'node', 'node_modules');
  try {
    return require(require.resolve('playwright-core', { paths: [dir] }));
  } catch (e) {
    process.stderr.write(`render: playwright-core not found in ${dir}: ` +
        'run make node-deps\n');
    process.exit(2);
  }
}

function attrs(tag) {
  const a = {};
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g))
    a[m[1]] = m[2];
  return a;
}

/* The spine of an unpacked EPUB: [{ href, file }] in reading order. */
function spine(dir) {
  const container = fs.readFileSync(path.join(dir, 'META-INF',
      'container.xml'), 'utf8');
  const m = container.match(/<rootfile\b[^>]*>/);
  if (!m)
    throw new Error('no rootfile in META-INF/container.xml');
  const opfPath = path.join(dir, attrs(m[0])['full-path']);
  const opf = fs.readFileSync(opfPath, 'utf8');
  const items = {};
  for (const t of opf.matchAll(/<item\b[^>]*>/g)) {
    const a = attrs(t[0]);
    items[a.id] = a;
  }
  const out = [];
  for (const t of opf.matchAll(/<itemref\b[^>]*>/g)) {
    const it = items[attrs(t[0]).idref];
    if (it === undefined)
      throw new Error(`spine names an unknown item in ${opfPath}`);
    out.push({ href: it.href, file: path.join(path.dirname(opfPath),
        it.href) });
  }
  if (out.length === 0)
    throw new Error(`empty spine in ${opfPath}`);
  return out;
}

/*
 * Runs in the page.  Returns a list of problems (strings).  Kept free
 * of closures over Node state: playwright serialises it.
 */
function inspect(mode) {
  const problems = [];
  const root = document.documentElement;
  const vw = root.clientWidth, vh = root.clientHeight;
  const desc = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id)
      s += '#' + el.id;
    if (el.getAttribute('class'))
      s += '.' + el.getAttribute('class').trim().split(/\s+/).join('.');
    const t = (el.textContent || '').replace(/\s+/g, ' ').trim();
    return t ? `${s} "${t.slice(0, 50)}${t.length > 50 ? '...' : ''}"` : s;
  };
  const lum = (c) => {
    const m = c.match(/[\d.]+/g).map(Number);
    return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  };
  const transparent = (c) => c === 'transparent' ||
      /^rgba\(.*,\s*0\)$/.test(c);

  /* The stylesheet must be there, or every check below is hollow. */
  let rules = 0;
  for (const sh of document.styleSheets) {
    try { rules += sh.cssRules.length; } catch (e) { /* cross-origin */ }
  }
  if (rules === 0)
    problems.push('no stylesheet rules applied');

  if (root.scrollWidth > vw + 1)
    problems.push(`page is ${root.scrollWidth}px wide in a ${vw}px viewport`);

  const bodySize = parseFloat(getComputedStyle(document.body).fontSize);
  for (const el of document.body.querySelectorAll('*')) {
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (!transparent(cs.backgroundColor) || cs.backgroundImage !== 'none')
      problems.push(`${desc(el)}: forces a background ` +
          `(${cs.backgroundColor} ${cs.backgroundImage})`);
    /* Inline boxes include hanging spaces: their words are checked. */
    if ((r.width === 0 && r.height === 0) || cs.display === 'inline')
      continue;
    if (r.right > vw + 1 || r.left < -1)
      problems.push(`${desc(el)}: spans x=${Math.round(r.left)}..` +
          `${Math.round(r.right)} in a ${vw}px viewport`);
    else if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      problems.push(`${desc(el)}: content ${el.scrollWidth}px wide in ` +
          `its ${el.clientWidth}px box (clipped or spilling)`);
    if (mode.night && el.textContent.trim() !== '' && lum(cs.color) < 0.5)
      problems.push(`${desc(el)}: dark text ${cs.color} in night mode`);
  }

  /*
   * Words that run out of the page (a long name, a URL), one range per
   * run of non-blank characters: white space that hangs at the end of
   * a wrapped line of code is invisible and is not counted.
   */
  const walker = document.createTreeWalker(document.body,
      NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
    for (const m of n.data.matchAll(/\S+/g)) {
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const out = Array.from(range.getClientRects()).find((r) =>
        r.right > vw + 1 || r.left < -1);
      if (out !== undefined) {
        problems.push(`text "${m[0].slice(0, 40)}" in ` +
            `${desc(n.parentElement)} reaches x=${Math.round(out.right)} ` +
            `in a ${vw}px viewport`);
        break;
      }
    }
  }

  if (mode.css)
    return problems;	/* the checks below are for the book's own CSS */

  /* Code: wraps, and at the reader's size (no monospace shrinking). */
  for (const pre of document.querySelectorAll('pre')) {
    const cs = getComputedStyle(pre);
    if (cs.whiteSpace !== 'pre-wrap' || cs.overflowWrap !== 'anywhere')
      problems.push(`${desc(pre)}: white-space ${cs.whiteSpace}, ` +
          `overflow-wrap ${cs.overflowWrap}: code would not wrap`);
    if (parseFloat(cs.fontSize) < 0.75 * bodySize)
      problems.push(`${desc(pre)}: code at ${cs.fontSize} under body ` +
          `text at ${bodySize}px`);
  }

  /* Highlighting: never colour, always weight, slant or shade. */
  for (const span of document.querySelectorAll('pre span[class]')) {
    const cs = getComputedStyle(span);
    const pcs = getComputedStyle(span.parentElement);
    if (cs.color !== pcs.color)
      problems.push(`${desc(span)}: coloured ${cs.color}`);
    if (!(parseInt(cs.fontWeight, 10) >= 600 || cs.fontStyle !== 'normal' ||
        parseFloat(cs.opacity) < 1 || cs.textDecorationLine !== 'none'))
      problems.push(`${desc(span)}: class ${span.className} looks like ` +
          'plain code');
  }

  /* The cover fits one screen: no blank or cut second page. */
  for (const img of document.querySelectorAll('.cover img')) {
    const r = img.getBoundingClientRect();
    if (!img.complete || img.naturalWidth === 0)
      problems.push('the cover image did not load');
    else if (Math.max(img.naturalWidth, img.naturalHeight) > 1600)
      problems.push(`the cover is ${img.naturalWidth}x` +
          `${img.naturalHeight}: over 1600 pixels on its long side`);
    else if (r.bottom > vh + 1 || r.right > vw + 1 || root.scrollHeight >
        vh + 1)
      problems.push(`the cover (${Math.round(r.width)}x` +
          `${Math.round(r.height)}) does not fit a ${vw}x${vh} screen`);
  }

  /* The contents page is a tree, not a flat list. */
  const toc = document.querySelector('nav#toc');
  if (toc !== null && toc.querySelector('ol li ol li') === null)
    problems.push('the table of contents is flat');

  return problems;
}

/* Scroll to the first code block that has output after it, if any. */
function scrollToCode() {
  const pres = Array.from(document.querySelectorAll('pre'));
  const pre = pres.find((p) => p.nextElementSibling !== null &&
      p.nextElementSibling.matches('pre.output')) || pres[0];
  if (pre === undefined)
    return false;
  const prev = pre.previousElementSibling;
  const top = (prev || pre).getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, Math.max(0, top - 8));
  return true;
}

async function checkBook(browser, epub, shotdir, report) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'render-'));
  try {
    execFileSync(process.env.PYTHON || 'python3',
        ['-m', 'zipfile', '-e', epub, tmp]);
    const docs = spine(tmp);
    const book = path.basename(epub, '.epub');
    for (const mode of MODES) {
      const ctx = await browser.newContext({
        viewport: { width: mode.width, height: mode.height },
        deviceScaleFactor: 1,
        offline: true,
      });
      const page = await ctx.newPage();
      page.setDefaultTimeout(120000);
      const dir = path.join(shotdir, book, mode.name);
      if (mode.shots !== 'none')
        fs.mkdirSync(dir, { recursive: true });
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        await page.goto(pathToFileURL(d.file).href, { waitUntil: 'load' });
        if (mode.css)
          await page.addStyleTag({ content: mode.css });
        const found = await page.evaluate(inspect,
            { night: !!mode.night, css: !!mode.css });
        const uniq = Array.from(new Set(found));
        for (const p of uniq.slice(0, 15))
          report.problems.push(`${book} ${mode.name} ${d.href}: ${p}`);
        if (uniq.length > 15)
          report.problems.push(`${book} ${mode.name} ${d.href}: ` +
              `... and ${uniq.length - 15} more`);
        report.pages++;
        if (mode.gray)
          await page.addStyleTag({
            content: 'html { filter: grayscale(1); }' });
        const stem = path.join(dir, String(i + 1).padStart(2, '0') + '-' +
            path.basename(d.href, '.xhtml'));
        if (mode.shots === 'all' || mode.shots === 'first')
          await page.screenshot({ path: stem + '.png' });
        if ((mode.shots === 'all' || mode.shots === 'code') &&
            await page.evaluate(scrollToCode))
          await page.screenshot({ path: stem + '-code.png' });
      }
      await ctx.close();
    }
    report.books.push(`${book}: ${docs.length} documents`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/*
 * The checker checks itself: a page that overflows in each way it
 * knows (a wide block, a long word, code that does not wrap) must
 * give a problem for each, or every pass below would mean nothing.
 */
const SELF_TEST_PAGE = '<html><body style="margin: 0 0.5em">' +
    '<div style="width: 150%">a wide block</div>' +
    '<p>' + 'averylongwordwithoutanybreak'.repeat(8) + '</p>' +
    '<pre style="white-space: pre">' + 'x = 1; '.repeat(40) + '</pre>' +
    '</body></html>';

async function selfTest(browser) {
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 640 }, offline: true });
  const page = await ctx.newPage();
  await page.setContent(SELF_TEST_PAGE);
  const found = await page.evaluate(inspect, { night: false, css: true });
  await ctx.close();
  const want = [/^page is \d+px wide/, /^div.*spans x=/,
    /^text "averylong/, /^pre.*content \d+px wide/];
  const missed = want.filter((re) => !found.some((p) => re.test(p)));
  if (missed.length > 0)
    throw new Error('self-test: the checker missed ' + missed.join(', ') +
        ' in a page built to overflow; it found:\n' + found.join('\n'));
}

async function main() {
  const args = process.argv.slice(2);
  let shotdir = path.join(ROOT, 'dist', 'screenshots');
  if (args[0] === '-o') {
    if (args.length < 2)
      usage();
    shotdir = path.resolve(args[1]);
    args.splice(0, 2);
  }
  if (args.length === 0 || args.some((a) => a.startsWith('-')))
    usage();
  const { chromium } = loadPlaywright();
  const exe = path.join(__dirname, 'chromium.sh');
  /* File access lets the page read its own stylesheet's rules. */
  const browser = await chromium.launch({ executablePath: exe,
      args: ['--allow-file-access-from-files'], timeout: 120000 });
  const report = { pages: 0, problems: [], books: [] };
  try {
    await selfTest(browser);
    for (const epub of args)
      await checkBook(browser, path.resolve(epub), shotdir, report);
  } finally {
    await browser.close();
  }
  for (const p of report.problems)
    process.stdout.write(`FAIL ${p}\n`);
  process.stdout.write(`render: ${report.books.join(', ')}; ` +
      `${report.pages} pages in ${MODES.length} modes, ` +
      `${report.problems.length} problems; screenshots in ` +
      `${path.relative(process.cwd(), shotdir) || '.'}\n`);
  return report.problems.length ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`render: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
