#!/usr/bin/env node
// `npm run dist` runs this first: electron-builder's native tooling (@electron/rebuild 4,
// node-abi 4) and Electron 45's installer declare Node >= 22.12, while the engine, the service
// and the tests need only 20.19 (docs/desktop.md "Node versions"). One line, exit 1, when older.
import { DESKTOP_NODE_MIN, nodeAtLeast } from './electron-binary.mjs';

if (!nodeAtLeast(process.versions.node, DESKTOP_NODE_MIN)) {
  console.error(
    `deskline: packaging the desktop app needs Node ${DESKTOP_NODE_MIN} or newer (this is Node ${process.versions.node}); the engine, the service and the tests run on 20.19+`,
  );
  process.exit(1);
}
