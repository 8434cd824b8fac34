#!/usr/bin/env node
// The bundle scripts/build.mjs writes (node scripts/build.mjs, or pnpm dev / pnpm build).
import '../../../dist/flowgate.js';
