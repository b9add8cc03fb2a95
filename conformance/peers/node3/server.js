'use strict';

// Engine.IO echo peer for the Go conformance tests; the logic lives in
// ../common.js, this file only supplies the engine.io version installed in
// this folder (see package.json).

const fs = require('fs');
const path = require('path');

const engine = require('engine.io');
const { version } = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'node_modules', 'engine.io', 'package.json'), 'utf8'));

require('../common.js').run(engine, version, path.basename(__dirname));
