// Loads an Action or Hook file the way its runner would, except that chosen
// `require(name)` calls get a stand-in: the provider SDK pointed at Phonebox.
'use strict';

const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

/** `overrides` maps a module name to what `require(name)` returns inside `file`. */
function loadWith(file, overrides) {
  const filename = path.resolve(__dirname, '..', file);
  const loaded = new Module(filename, module);
  loaded.filename = filename;
  loaded.paths = Module._nodeModulePaths(path.dirname(filename));
  const realRequire = loaded.require.bind(loaded);
  loaded.require = (name) => (name in overrides ? overrides[name] : realRequire(name));
  loaded._compile(fs.readFileSync(filename, 'utf8'), filename);
  return loaded.exports;
}

module.exports = { loadWith };
