// Dial: one box for numbers and names (WAI-ARIA APG combobox with a listbox popup), live
// normalisation, suggestions from favourites, history and the directory, a keypad, Redial,
// favourites and recent numbers, and — with several lines — the line to dial from. Enter dials;
// Enter when the number cannot be called says why. After dialling, focus is on the new call's
// card.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ActionAvailability } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { dialable, useDirectorySearch, useNormalizedNumber } from '../app/use-number.js';
import { ActionButton, ActionGroup } from '../components/ActionButton.js';
import { Icon } from '../components/Icon.js';
import { Keypad } from '../components/Keypad.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatNumber, numberTitle } from '../lib/phone.js';
import { phoneName } from '../lib/plain.js';
import { dialBlocked } from '../lib/call-model.js';
import { lastDialled } from '../lib/history.js';
import { suggest, type Suggestion } from '../lib/suggest.js';

export function DialScreen() {
  const { api, run, state, settings, recent, history, nav } = useDeskContext();
  const [input, setInput] = useState(() => nav.dialPrefill?.number ?? '');
  const [prefillSeq, setPrefillSeq] = useState(() => nav.dialPrefill?.seq ?? 0);
  const [active, setActive] = useState(-1);
  const [naming, setNaming] = useState<string | null>(null);
  const [why, setWhy] = useState<string | null>(null);
  const addFavouriteRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const hintId = useId();
  const view = useNormalizedNumber(api, input);
  const people = useDirectorySearch(api, input);
  const favourites = useMemo(() => settings?.favourites ?? [], [settings]);
  const suggestions = useMemo(
    () => suggest(input, favourites, recent, history ?? [], undefined, people),
    [input, favourites, recent, history, people],
  );
  // The line to dial from: the chosen one (Lines), or another for this call.
  const dialLines = state.lines.filter((l) => l.controllable && l.watched === true);
  const [fromChoice, setFromChoice] = useState<string | null>(null);
  const fromLine =
    fromChoice !== null && dialLines.some((l) => l.id === fromChoice) ? fromChoice : state.selectedLineId;
  const fromRequest = fromLine !== null && fromLine !== state.selectedLineId ? { lineId: fromLine } : {};

  // A prefill (app.navigate with a number, "Call back") replaces what is in the box.
  if (nav.dialPrefill !== null && nav.dialPrefill.seq !== prefillSeq) {
    setPrefillSeq(nav.dialPrefill.seq);
    setInput(nav.dialPrefill.number);
    setActive(-1);
    setWhy(null);
  }

  const { focusRequest, claimFocus } = nav;
  useEffect(() => {
    if (focusRequest?.target === 'dial' && claimFocus(focusRequest.seq)) inputRef.current?.focus();
  }, [focusRequest, claimFocus]);

  const cannotDial = dialBlocked(state);
  const lineAvailability: ActionAvailability =
    cannotDial === undefined ? { enabled: true } : { enabled: false, reason: cannotDial };
  const callAvailability: ActionAvailability = !lineAvailability.enabled
    ? lineAvailability
    : input.trim() === ''
      ? { enabled: false, reason: 'Enter a number' }
      : view !== null && !view.valid
        ? { enabled: false, reason: view.reason ?? 'Not a number that can be dialled' }
        : { enabled: true };
  const redial = lastDialled(history);
  const redialName = redial === undefined ? undefined : redial.display?.trim() || formatNumber(redial.number);

  const placeCall = async (number: string): Promise<void> => {
    const result = await run((a) => a.desk.makeCall({ number, ...fromRequest }), 'make the call');
    if (result.ok) {
      setInput('');
      setActive(-1);
      setWhy(null);
      nav.go('calls', { focus: { calls: [result.value.callId] } });
    }
  };

  const dialInput = async (): Promise<void> => {
    const chosen: Suggestion | undefined = suggestions[active];
    if (chosen !== undefined) return placeCall(chosen.number);
    // A name that matches exactly one entry dials it: "ali" + Enter calls Alice.
    const only = suggestions.length === 1 ? suggestions[0] : undefined;
    if ((view === null || !view.valid) && only !== undefined && only.name !== undefined)
      return placeCall(only.number);
    if (!callAvailability.enabled) {
      // Enter (or Call) when the number cannot be called says why, instead of doing nothing.
      setWhy(`Call: ${callAvailability.reason ?? 'not available now'}`);
      return undefined;
    }
    return placeCall(dialable(input, view));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): void => {
    switch (event.key) {
      case 'Enter':
        event.preventDefault();
        void dialInput();
        return;
      case 'ArrowDown':
        if (suggestions.length === 0) return;
        event.preventDefault();
        setActive((i) => (i + 1) % suggestions.length);
        return;
      case 'ArrowUp':
        if (suggestions.length === 0) return;
        event.preventDefault();
        setActive((i) => (i <= 0 ? suggestions.length - 1 : i - 1));
        return;
      case 'Escape':
        event.preventDefault();
        if (active >= 0) setActive(-1);
        else setInput('');
        return;
      default:
        return;
    }
  };

  const isFavourite =
    view !== null &&
    view.valid &&
    favourites.some((f) => f.number === view.dialString || f.number === input.trim());
  /** The naming form closes: focus goes back to "Add to favourites" (still there, now disabled). */
  const closeNaming = (): void => {
    setNaming(null);
    addFavouriteRef.current?.querySelector<HTMLButtonElement>('button')?.focus();
  };
  const saveFavourite = async (name: string): Promise<void> => {
    const number = dialable(input, view);
    const result = await run(
      (a) => a.app.setFavourites({ favourites: [...favourites, { name: name.trim(), number }] }),
      'save the favourite',
    );
    if (result.ok) closeNaming();
  };

  // What will be dialled, grouped for people; never the dial rule's name (an administrator's word).
  const hint =
    view === null
      ? ''
      : view.valid
        ? `Dials ${formatNumber(view.dialString) === view.dialString ? view.display : formatNumber(view.dialString)}`
        : (view.reason ?? 'Not a number that can be dialled');
  const expanded = suggestions.length > 0;
  const activeSuggestion = suggestions[active];

  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Dial</ScreenHeading>
      <div className="dial-box">
        <div className="field dial-field">
          <label htmlFor="dial-input" className="visually-hidden">
            Number or name
          </label>
          <input
            id="dial-input"
            ref={inputRef}
            className="dial-input"
            type="text"
            role="combobox"
            inputMode="tel"
            autoComplete="off"
            spellCheck={false}
            placeholder="Number or name"
            aria-keyshortcuts="/"
            aria-autocomplete="list"
            aria-expanded={expanded}
            aria-controls={listId}
            aria-activedescendant={activeSuggestion === undefined ? undefined : `${listId}-${active}`}
            aria-describedby={hint === '' ? undefined : hintId}
            aria-invalid={view !== null && !view.valid ? 'true' : undefined}
            maxLength={128}
            value={input}
            onChange={(event) => {
              setInput(event.target.value);
              setActive(-1);
              setWhy(null);
            }}
            onKeyDown={onKeyDown}
          />
          <button
            type="button"
            className="btn btn-quiet icon-only"
            aria-label="Delete last digit"
            onClick={() => setInput((value) => value.slice(0, -1))}
          >
            <Icon name="backspace" />
          </button>
        </div>
        <p
          id={hintId}
          className={view !== null && !view.valid ? 'hint hint-bad' : 'hint'}
          aria-live="polite"
          data-valid={view === null ? undefined : String(view.valid)}
        >
          {hint}
        </p>
        <ul id={listId} role="listbox" aria-label="Suggestions" className="suggestions" hidden={!expanded}>
          {suggestions.map((s, i) => (
            <li
              key={s.key}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className="suggestion"
              title={numberTitle(s.number)}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => void placeCall(s.number)}
            >
              <Icon
                name={s.source === 'favourite' ? 'star' : s.source === 'directory' ? 'lines' : 'history'}
              />
              <span className="suggestion-name">
                {s.name ?? formatNumber(s.number)}
                {s.name === undefined ? null : <span className="name-only">, </span>}
              </span>
              {s.name === undefined ? null : (
                <span className="suggestion-number">
                  {formatNumber(s.number)}
                  {s.kind === 'mobile' ? ' (mobile)' : ''}
                </span>
              )}
            </li>
          ))}
        </ul>
        {dialLines.length > 1 && fromLine !== null ? (
          <div className="field dial-from">
            <label htmlFor="dial-from">Dial from</label>
            <select id="dial-from" value={fromLine} onChange={(event) => setFromChoice(event.target.value)}>
              {dialLines.map((line) => (
                <option key={line.id} value={line.id}>
                  {line.dn}
                  {line.label.trim() === '' ? '' : ` · ${line.label}`}
                  {dialLines.filter((l) => l.dn === line.dn).length > 1 ? `, ${phoneName(line)}` : ''}
                  {line.id === state.selectedLineId ? ' (usual)' : ''}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <ActionGroup label="Call" className="dial-actions" announce={why}>
          <ActionButton
            label="Call"
            action="makeCall"
            variant="good"
            icon="phone"
            availability={callAvailability}
            onPress={dialInput}
          />
          <ActionButton
            label="Redial"
            action="redial"
            icon="phoneOut"
            title={redialName === undefined ? undefined : `Call ${redialName} again`}
            availability={
              !lineAvailability.enabled
                ? lineAvailability
                : redial === undefined
                  ? { enabled: false, reason: 'No number dialled yet' }
                  : { enabled: true }
            }
            onPress={() => (redial === undefined ? undefined : placeCall(redial.number))}
          />
        </ActionGroup>
        <div ref={addFavouriteRef} className="favourite-action">
          <ActionGroup label="Favourites" className="favourite-actions">
            <ActionButton
              label="Add to favourites"
              action="add-favourite"
              icon="star"
              variant="quiet"
              availability={
                view === null || !view.valid
                  ? { enabled: false, reason: 'Enter a valid number first' }
                  : isFavourite
                    ? { enabled: false, reason: 'Already a favourite' }
                    : { enabled: true }
              }
              expanded={naming !== null}
              onPress={() => setNaming('')}
            />
          </ActionGroup>
        </div>
        {naming === null ? null : (
          <form
            className="panel inline-form"
            aria-label="New favourite"
            onSubmit={(event) => {
              event.preventDefault();
              if (naming.trim() !== '') void saveFavourite(naming);
            }}
          >
            <div className="field">
              <label htmlFor="favourite-name">
                Name for {view?.valid === true ? formatNumber(view.dialString) : input}
              </label>
              <input
                id="favourite-name"
                type="text"
                maxLength={80}
                value={naming}
                autoFocus
                onChange={(event) => setNaming(event.target.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Escape') {
                    event.preventDefault();
                    event.stopPropagation();
                    closeNaming();
                  }
                }}
              />
            </div>
            <div className="panel-actions">
              <button
                type="submit"
                className="btn btn-primary"
                aria-disabled={naming.trim() === '' ? 'true' : undefined}
                aria-describedby={naming.trim() === '' ? 'favourite-name-why' : undefined}
                title={naming.trim() === '' ? 'Type a name first' : undefined}
              >
                Save favourite
              </button>
              <button type="button" className="btn btn-quiet" onClick={closeNaming}>
                Cancel
              </button>
              {naming.trim() === '' ? (
                <span id="favourite-name-why" className="why">
                  Type a name first
                </span>
              ) : null}
            </div>
          </form>
        )}
      </div>

      <Keypad label="Dial pad" onKey={(key) => setInput((value) => (value + key).slice(0, 128))} />

      {favourites.length > 0 ? (
        <section aria-labelledby="favourites-heading" className="list-section">
          <h2 id="favourites-heading">Favourites</h2>
          <ul className="quick-list">
            {favourites.map((f) => (
              <li key={`${f.name}:${f.number}`}>
                <button
                  type="button"
                  className="quick-item"
                  title={numberTitle(f.number)}
                  onClick={() => void placeCall(f.number)}
                >
                  <Icon name="star" />
                  <span className="quick-name">
                    <span className="name-only">Call </span>
                    {f.name}
                    <span className="name-only">, </span>
                  </span>
                  <span className="quick-number">{formatNumber(f.number)}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {recent.length > 0 ? (
        <section aria-labelledby="recent-heading" className="list-section">
          <h2 id="recent-heading">Recent</h2>
          <ul className="quick-list">
            {recent.slice(0, 8).map((number) => (
              <li key={number}>
                <button
                  type="button"
                  className="quick-item"
                  title={numberTitle(number)}
                  onClick={() => void placeCall(number)}
                >
                  <Icon name="history" />
                  <span className="quick-name">
                    <span className="name-only">Call </span>
                    {formatNumber(number)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}
