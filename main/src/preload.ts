// The preload (Signal-Desktop's habit: tiny). It exposes one object, `window.deskline`, a
// DesklineBridge built from the contract: the domain API over ipcRenderer.invoke, event
// subscription, and ready(). No raw ipcRenderer crosses the context bridge (Electron
// security checklist §20). Payloads are validated here, at the renderer's boundary: the
// responses by createDomainApi, the events against the contract's event schemas.
// Bundled by esbuild into one CommonJS file: a sandboxed preload can require only 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import {
  EVENT_CHANNEL,
  READY_CHANNEL,
  channelOf,
  createDomainApi,
  events,
  isEventName,
  type DesklineBridge,
  type Envelope,
  type EventName,
  type EventPayload,
} from '../../common/src/api/contract.js';

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>();

ipcRenderer.on(EVENT_CHANNEL, (_event, message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const { name, payload } = message as { name?: unknown; payload?: unknown };
  if (typeof name !== 'string' || !isEventName(name)) return;
  const subscribers = listeners.get(name);
  if (subscribers === undefined || subscribers.size === 0) return;
  const parsed = events[name].safeParse(payload);
  if (!parsed.success) {
    console.warn(`deskline: dropped an invalid ${name} event`);
    return;
  }
  for (const listener of subscribers) listener(parsed.data);
});

const bridge: DesklineBridge = {
  api: createDomainApi(
    (method, request): Promise<Envelope<unknown>> => ipcRenderer.invoke(channelOf(method), request),
    // contextBridge drops an Error's code: carry it in the message (errorViewOf reads it).
    { codeInMessage: true },
  ),
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    if (!isEventName(event) || typeof listener !== 'function')
      throw new TypeError('deskline.on(event, listener): unknown event or no listener');
    let set = listeners.get(event);
    if (set === undefined) listeners.set(event, (set = new Set()));
    // Only payloads validated against events[event] reach the listener (above), so the
    // widening to `unknown` loses nothing.
    const widened = listener as Listener;
    set.add(widened);
    return () => {
      set.delete(widened);
    };
  },
  ready(): void {
    ipcRenderer.send(READY_CHANNEL);
  },
};

contextBridge.exposeInMainWorld('deskline', bridge);
