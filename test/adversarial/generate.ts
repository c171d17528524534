/**
 * The adversarial set of issue 13: real files from ../shared/data with identifiers planted the
 * way a privacy officer's review planted them. One or more cases per leak class (1 sequences
 * stored as UN, 2 attributes outside the profile table, 3 UIDs outside the table, 4 the command
 * group, 5 text segments in compressed frames), plus the kinds the first review found clean
 * (class 0: charsets, private tags, overlays, curves, preamble, deflate, big endian, no meta,
 * enhanced CT, zip). Each case lists every secret planted in it; test/adversarial/scan.ts looks
 * for each secret in many encodings in every output byte.
 */
import { zipSync } from 'fflate';
import { joinFile } from './dicom-bytes.js';
import { baseSecrets, load, sourceUids, type AdversarialCase, type Built, type Secret } from './case-kit.js';
import { class1, class2, class3, class4, class5 } from './cases-leaks.js';
import { class0 } from './cases-clean.js';

export { CLASS_NAMES, type AdversarialCase, type LeakClass, type Secret } from './case-kit.js';
export { iso2022jp } from './cases-clean.js';

const ALL: Built[] = [...class1, ...class2, ...class3, ...class4, ...class5, ...class0];

/** Every case, built afresh from the real files (about 10 MB in memory). */
export function generateCases(): AdversarialCase[] {
  const out: AdversarialCase[] = [];
  for (const b of ALL) {
    const f = load(b.source, b.bareTs);
    const { file, secrets } = b.build(f);
    const uids = sourceUids(f);
    const all = [...secrets, ...(b.cls === 0 ? [] : baseSecrets()), ...uids];
    out.push({ name: b.name, cls: b.cls, what: b.what, source: b.source.join('/'), bytes: joinFile(file), secrets: dedupe(all) });
  }
  // A zip of two cases (explicit VR with UTF-8 names, implicit VR with a private block): the entries are deflated.
  const zipped = out.filter((c) => c.name === 'charset-utf8' || c.name === 'private-implicit');
  out.push({
    name: 'zip', cls: 0, source: zipped.map((c) => c.source).join(' + '),
    what: 'a zip (deflated entries, one in a folder named after the patient) of the charset-utf8 and private-implicit cases',
    bytes: zipSync({ 'Basefamily Basegiven/a.dcm': zipped[0]!.bytes, 'b.dcm': zipped[1]!.bytes }, { level: 6 }),
    zip: true,
    secrets: dedupe(zipped.flatMap((c) => c.secrets)),
  });
  // A zip inside a zip (the CLI opens one level of nesting): the inner one holds two cases, the outer one a third.
  const inner = out.filter((c) => c.name === 'charset-latin1' || c.name === 'overlay-and-curve');
  const direct = out.find((c) => c.name === 'private-no-creator')!;
  out.push({
    name: 'zip-in-zip', cls: 0, source: [...inner, direct].map((c) => c.source).join(' + '),
    what: 'a zip holding a zip (charset-latin1, overlay-and-curve) and a file (private-no-creator)',
    bytes: zipSync({ 'inner.zip': zipSync({ 'x/a.dcm': inner[0]!.bytes, 'b.dcm': inner[1]!.bytes }), 'c.dcm': direct.bytes }, { level: 6 }),
    zip: true,
    secrets: dedupe([...inner, direct].flatMap((c) => c.secrets)),
  });
  return out;
}

function dedupe(s: Secret[]): Secret[] {
  const seen = new Set<string>();
  return s.filter((x) => (seen.has(x.value) ? false : (seen.add(x.value), true)));
}
