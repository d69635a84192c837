// Entry point of the webview bundle (dist/webview.js, an IIFE loaded by the panel's HTML with the CSP
// nonce). Builds the panel into #app and says `ready` to the host.

import { App } from './app';

declare global {
  interface Window {
    /** The running panel, for the browser tests' measurements. */
    contextGcPanel?: App;
  }
}

const root = document.getElementById('app');
if (root) {
  const app = new App(root, acquireVsCodeApi());
  window.contextGcPanel = app;
  app.start();
}
