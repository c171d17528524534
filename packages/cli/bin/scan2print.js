#!/usr/bin/env node
// Committed launcher so `npx scan2print` is linked at install time, before the first build.
import { chooseEntry } from './choose-entry.js';

if (chooseEntry(process.argv.slice(2), process.env) === 'bundle') await import('../dist/bundle/main.js');
else await import('../dist/main.js');
