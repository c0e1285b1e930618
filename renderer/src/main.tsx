// Renderer entry: find the bridge (Electron preload or browser shell), then render.
import './csp.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { resolveHostBridge } from './bridge/host.js';

const container = document.getElementById('root');
if (container === null) throw new Error('assertion failed: index.html has #root');
const root = createRoot(container);
const resolution = resolveHostBridge(window);

root.render(
  <StrictMode>
    {resolution.ok ? (
      <App host={resolution.host} />
    ) : (
      <div className="app app-loading" data-ready="false">
        <main className="main">
          <h1 className="visually-hidden">Deskline</h1>
          <div className="callout callout-warn" role="alert">
            <p>
              <strong>Not connected to Deskline</strong>
            </p>
            <p>{resolution.reason}</p>
          </div>
        </main>
      </div>
    )}
  </StrictMode>,
);
