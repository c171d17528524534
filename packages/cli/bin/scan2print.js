#!/usr/bin/env node
// Committed launcher so `npx scan2print` is linked at install time, before the first build.
import '../dist/main.js';
