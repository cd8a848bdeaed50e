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
 * page is flat.  Code comes one line to an element: a line that wraps
 * must continue past the block's left edge, beside its continuation
 * mark, and copying a block must give its text.  A figure must not be
 * wider than the screen, its SVG must be well-formed XML, and its text
 * must come out at 7 CSS pixels at least on the e-reader's screen
 * (rendered width / natural width x the drawing's font size).
 * Screenshots go to SHOTDIR for people to look at.
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
const { fileURLToPath, pathToFileURL } = require('url');

const ROOT = path.resolve(__dirname, '..');

/* What a reading system's night mode does: its colours on html, body. */
const NIGHT_CSS = 'html, body { background-color: #000 !important; ' +
    'color: #f0f0f0 !important; }';

/*
 * copy: copying code is checked here; figureText: the 7 px rule holds
 * here; shots: which screenshots (all pages, first screens, code).
 */
const MODES = [
  { name: 'ereader-600x800', width: 600, height: 800, shots: 'all',
    gray: true, copy: true, figureText: true },
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
  for (const span of document.querySelectorAll(
      'pre span[class]:not(.line):not(.lead)')) {
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

/*
 * Runs in the page: code is set one line to an element (span.line, its
 * newline included), and a line that wraps hangs: the rows it wraps
 * onto start past the block's left edge, a mark beside them, and the
 * first row of a line with a lead (its indentation and first character
 * kept together) is never left empty by a break after the indentation.
 * Returns problems and counts: lines, wrapped lines, the rows they wrap
 * onto.
 */
function inspectCode() {
  const out = { problems: [], lines: 0, wrapped: 0, rows: 0 };
  const range = document.createRange();
  const show = (t) => JSON.stringify(t.trim().slice(0, 40));
  for (const code of document.querySelectorAll('pre > code')) {
    const stray = Array.from(code.childNodes).find((n) =>
      !(n.nodeType === Node.ELEMENT_NODE && n.matches('span.line')));
    if (stray !== undefined) {
      out.problems.push(`code ${show(code.textContent)}: ` +
          `${show(stray.textContent)} is outside a line element`);
      continue;
    }
    /* A column: the width of ten characters of the block's font. */
    const probe = document.createElement('span');
    probe.textContent = '0123456789';
    code.appendChild(probe);
    const cw = probe.getBoundingClientRect().width / 10;
    probe.remove();
    const lh = parseFloat(getComputedStyle(code).lineHeight) ||
        1.2 * parseFloat(getComputedStyle(code).fontSize);
    for (const line of code.children) {
      const t = line.textContent;
      out.lines++;
      if (t.indexOf('\n') !== t.length - 1) {
        out.problems.push(`code line ${show(t)}: holds ` +
            `${t.split('\n').length - 1} line ends, not one at its end`);
        continue;
      }
      /* The rows of the line's words, top to bottom: [top, left]. */
      const box = line.getBoundingClientRect();
      const rows = [];
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
        for (const m of n.data.matchAll(/\S+/g)) {
          range.setStart(n, m.index);
          range.setEnd(n, m.index + m[0].length);
          for (const r of range.getClientRects()) {
            if (r.width === 0)
              continue;
            const row = rows.find((x) => Math.abs(x[0] - r.top) < lh / 2);
            if (row === undefined)
              rows.push([r.top, r.left]);
            else
              row[1] = Math.min(row[1], r.left);
          }
        }
      }
      if (rows.length === 0)
        continue;
      rows.sort((a, b) => a[0] - b[0]);
      /* Deeper lines have no lead: their text may start on the next
       * row, where the hang puts it, as rows that wrap go. */
      if (rows[0][0] > box.top + lh / 2 && line.querySelector('.lead'))
        out.problems.push(`code line ${show(t)}: its first row is empty ` +
            '(a break after the indentation)');
      if (rows.length < 2)
        continue;
      out.wrapped++;
      for (const [, left] of rows.slice(1)) {
        out.rows++;
        if (left - box.left < cw / 2) {
          out.problems.push(`code line ${show(t)}: a wrapped part starts ` +
              'at the left edge');
          break;
        }
      }
      const mark = getComputedStyle(line, '::after');
      if (mark.content === 'none' || mark.position !== 'absolute' ||
          !(parseFloat(mark.borderLeftWidth) > 0))
        out.problems.push(`code line ${show(t)}: wraps with no ` +
            `continuation mark (content ${mark.content}, position ` +
            `${mark.position}, border ${mark.borderLeftWidth})`);
      else if (/[^"\s\/]/.test(mark.content))
        out.problems.push(`code line ${show(t)}: the continuation mark ` +
            `holds text (${mark.content}): a screen reader would read it`);
    }
  }
  return out;
}

/* Runs in the page: each figure's image, where it is and how big. */
function figureInfo() {
  return Array.from(document.querySelectorAll('figure img')).map((img) => {
    const r = img.getBoundingClientRect();
    const cap = img.closest('figure').querySelector('figcaption');
    return { src: img.currentSrc || img.src, loaded: img.complete &&
        img.naturalWidth > 0, left: r.left, right: r.right, width: r.width,
        label: (cap ? cap.textContent : img.alt).trim().slice(0, 40) };
  });
}

/* Runs in the page: problems of an SVG's text as XML, or []. */
function svgProblems(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const err = doc.querySelector('parsererror');
  if (err !== null)
    return ['not well-formed XML: ' + err.textContent.replace(/\s+/g, ' ')
        .trim().slice(0, 120)];
  const root = doc.documentElement;
  if (root.localName !== 'svg' ||
      root.namespaceURI !== 'http://www.w3.org/2000/svg')
    return [`its root is <${root.nodeName}>, not an SVG <svg>`];
  return [];
}

/*
 * The natural width of a drawing and the smallest font size of its
 * text, both in its own pixels (width attribute, else the viewBox).
 */
function svgSize(text) {
  const root = (text.match(/<svg\b[^>]*>/) || [''])[0];
  const w = root.match(/\swidth="([\d.]+)(?:px)?"/);
  const vb = root.match(/\sviewBox="[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)/);
  const sizes = Array.from(text.matchAll(/font-size="([\d.]+)(?:px)?"/g),
      (m) => parseFloat(m[1]));
  return { width: w ? parseFloat(w[1]) : vb ? parseFloat(vb[1]) : NaN,
    font: sizes.length ? Math.min(...sizes) : 16 };
}

/* Text under this many CSS pixels on the e-reader's screen fails. */
const MIN_FIGURE_TEXT_PX = 7;

/*
 * Problems of one figure as shown in one mode: f from figureInfo(),
 * size from svgSize(); its smallest text in CSS pixels goes to px.
 */
function figureProblems(f, size, mode, vw) {
  const out = [];
  if (!f.loaded)
    return [`figure ${f.label}: its image did not load`];
  if (f.right > vw + 1 || f.left < -1 || f.width > vw)
    out.push(`figure ${f.label}: ${Math.round(f.width)}px wide, wider ` +
        `than the ${vw}px screen`);
  f.px = f.width / size.width * size.font;
  if (!(f.px >= MIN_FIGURE_TEXT_PX) && mode.figureText)
    out.push(`figure ${f.label}: its text comes out at ` +
        `${f.px.toFixed(1)}px (${Math.round(f.width)}px of its ` +
        `${size.width}px at font size ${size.font}): under ` +
        `${MIN_FIGURE_TEXT_PX}px on a ${vw}px screen`);
  return out;
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

/* Scroll to the first figure, if any. */
function scrollToFigure() {
  const fig = document.querySelector('figure');
  if (fig === null)
    return false;
  const top = fig.getBoundingClientRect().top + window.scrollY;
  window.scrollTo(0, Math.max(0, top - 8));
  return true;
}

/* Copying each block in Chromium (select, Ctrl+C) gives its text. */
async function checkCopy(page, where, report) {
  const n = await page.evaluate(() => document.querySelectorAll('pre').length);
  for (let k = 0; k < n; k++) {
    const text = await page.evaluate((k) => {
      const pre = document.querySelectorAll('pre')[k];
      const sel = getSelection();
      sel.removeAllRanges();
      const r = document.createRange();
      r.selectNodeContents(pre);
      sel.addRange(r);
      return pre.textContent;
    }, k);
    await page.keyboard.press('Control+C');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    report.copied++;
    /* Chromium leaves out a block's last line end, lines or no lines. */
    if (copied !== text.replace(/\n$/, ''))
      report.problems.push(`${where}: copying block ${k + 1} gives ` +
          `${JSON.stringify(copied.slice(0, 80))}, not its text ` +
          `${JSON.stringify(text.slice(0, 80))}`);
  }
}

/* A drawing's size, and its problems as XML, read once per file. */
async function svgFile(page, src, cache) {
  if (!cache.has(src)) {
    let text = null, problems;
    try {
      text = fs.readFileSync(fileURLToPath(src), 'utf8');
      problems = await page.evaluate(svgProblems, text);
    } catch (e) {
      problems = [`cannot be read: ${e.message}`];
    }
    cache.set(src, { size: text === null ? null : svgSize(text), problems });
  }
  return cache.get(src);
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
        permissions: mode.copy ? ['clipboard-read', 'clipboard-write'] : [],
      });
      const counts = report.code[mode.name] ||
          (report.code[mode.name] = { lines: 0, wrapped: 0, rows: 0 });
      const page = await ctx.newPage();
      page.setDefaultTimeout(120000);
      const dir = path.join(shotdir, book, mode.name);
      if (mode.shots !== 'none') {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
      }
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        await page.goto(pathToFileURL(d.file).href, { waitUntil: 'load' });
        if (mode.css)
          await page.addStyleTag({ content: mode.css });
        const found = await page.evaluate(inspect,
            { night: !!mode.night, css: !!mode.css });
        const code = await page.evaluate(inspectCode);
        counts.lines += code.lines;
        counts.wrapped += code.wrapped;
        counts.rows += code.rows;
        found.push(...code.problems);
        for (const f of await page.evaluate(figureInfo)) {
          const svg = await svgFile(page, f.src, report.svgs);
          for (const p of svg.problems)
            found.push(`figure ${f.label}: ${f.src.split('/').pop()} ${p}`);
          if (svg.size !== null)
            found.push(...figureProblems(f, svg.size, mode, mode.width));
          report.figures.push({ mode: mode.name, label: f.label,
            px: f.px });
        }
        if (mode.copy)
          await checkCopy(page, `${book} ${mode.name} ${d.href}`, report);
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
        if ((mode.shots === 'all' || mode.shots === 'first') &&
            await page.evaluate(scrollToFigure))
          await page.screenshot({ path: stem + '-figure.png' });
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
 * knows (a wide block, a long word, code that does not wrap), code
 * that wraps to the left edge, a block whose copy differs from its text
 * and a figure too wide, too small and not XML must give a problem for
 * each, or every pass below would mean nothing.
 */
const SELF_TEST_PAGE = '<html><body style="margin: 0 0.5em">' +
    '<div style="width: 150%">a wide block</div>' +
    '<p>' + 'averylongwordwithoutanybreak'.repeat(8) + '</p>' +
    '<pre style="white-space: pre">' + 'x = 1; '.repeat(40) + '</pre>' +
    '<pre style="white-space: pre-wrap; overflow-wrap: anywhere; ' +
    'width: 12em"><code><span class="line"><span class="lead">    a' +
    '</span>_long_name_that_has_to_wrap.somewhere(argument, other)\n' +
    '</span><span class="line">two lines\nin one\n</span></code></pre>' +
    '<pre><code><span class="line">x</span>stray</code></pre>' +
    '<pre><code><span class="line">shown<span style="display: none">' +
    'hidden</span>\n</span></code></pre>' +
    '</body></html>';

async function selfTest(browser) {
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 640 }, offline: true,
    permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await ctx.newPage();
  /* A file, as the books' pages are: the clipboard needs a real URL. */
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'render-self-test-'));
  const file = path.join(tmp, 'page.xhtml');
  fs.writeFileSync(file, '<?xml version="1.0" encoding="UTF-8"?>\n' +
      SELF_TEST_PAGE.replace('<html>',
          '<html xmlns="http://www.w3.org/1999/xhtml">'));
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const found = await page.evaluate(inspect, { night: false, css: true });
  found.push(...(await page.evaluate(inspectCode)).problems);
  const copy = { problems: [], copied: 0 };
  await checkCopy(page, 'self-test', copy);
  found.push(...copy.problems);
  found.push(...await page.evaluate(svgProblems,
      '<svg xmlns="http://www.w3.org/2000/svg"><text>a & b</text></svg>'));
  found.push(...figureProblems({ loaded: true, left: 0, right: 900,
    width: 900, label: 'wide' }, svgSize('<svg width="2000">' +
    '<g font-size="14"/></svg>'), { figureText: true }, 600));
  await ctx.close();
  const want = [/^page is \d+px wide/, /^div.*spans x=/,
    /^text "averylong/, /^pre.*content \d+px wide/,
    /its first row is empty/, /wrapped part starts at the left edge/,
    /wraps with no continuation mark/, /holds 2 line ends/,
    /"stray" is outside a line element/, /copying block \d+ gives/,
    /not well-formed XML/, /wider than the 600px screen/,
    /comes out at 6\.3px/];
  const missed = want.filter((re) => !found.some((p) => re.test(p)));
  if (missed.length > 0)
    throw new Error('self-test: the checker missed ' + missed.join(', ') +
        ' in a page built to fail; it found:\n' + found.join('\n'));
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
  const report = { pages: 0, problems: [], books: [], code: {},
    figures: [], svgs: new Map(), copied: 0 };
  try {
    await selfTest(browser);
    for (const epub of args)
      await checkBook(browser, path.resolve(epub), shotdir, report);
  } finally {
    await browser.close();
  }
  for (const p of report.problems)
    process.stdout.write(`FAIL ${p}\n`);
  for (const [mode, c] of Object.entries(report.code))
    process.stdout.write(`render: ${mode}: ${c.lines} code lines, ` +
        `${c.wrapped} wrapped onto ${c.rows} more rows\n`);
  for (const mode of MODES.filter((m) => !m.css)) {
    const figs = report.figures.filter((f) => f.mode === mode.name);
    if (figs.length === 0)
      continue;
    const least = figs.reduce((a, b) => (a.px <= b.px ? a : b));
    process.stdout.write(`render: ${mode.name}: ${figs.length} figures, ` +
        `${report.svgs.size} SVG files; smallest text ` +
        `${least.px.toFixed(1)}px (${least.label})\n`);
  }
  process.stdout.write(`render: ${report.copied} code blocks copied\n`);
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
