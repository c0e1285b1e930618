// Dial: one box for numbers and names (WAI-ARIA APG combobox with a listbox popup), live
// normalisation, a keypad, favourites and recent numbers. Enter dials.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ActionAvailability } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { dialable, useNormalizedNumber } from '../app/use-number.js';
import { ActionButton } from '../components/ActionButton.js';
import { Icon } from '../components/Icon.js';
import { Keypad } from '../components/Keypad.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { suggest, type Suggestion } from '../lib/suggest.js';

export function DialScreen() {
  const { api, run, state, settings, recent, history, nav } = useDeskContext();
  const [input, setInput] = useState(() => nav.dialPrefill?.number ?? '');
  const [prefillSeq, setPrefillSeq] = useState(() => nav.dialPrefill?.seq ?? 0);
  const [active, setActive] = useState(-1);
  const [naming, setNaming] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const hintId = useId();
  const view = useNormalizedNumber(api, input);
  const favourites = useMemo(() => settings?.favourites ?? [], [settings]);
  const suggestions = useMemo(
    () => suggest(input, favourites, recent, history ?? []),
    [input, favourites, recent, history],
  );

  // A prefill (app.navigate with a number, "Call back") replaces what is in the box.
  if (nav.dialPrefill !== null && nav.dialPrefill.seq !== prefillSeq) {
    setPrefillSeq(nav.dialPrefill.seq);
    setInput(nav.dialPrefill.number);
    setActive(-1);
  }

  const { focusRequest, claimFocus } = nav;
  useEffect(() => {
    if (focusRequest?.target === 'dial' && claimFocus(focusRequest.seq)) inputRef.current?.focus();
  }, [focusRequest, claimFocus]);

  const lineActive = state.session.state === 'active';
  const callAvailability: ActionAvailability = !lineActive
    ? { enabled: false, reason: 'Choose a line to control first' }
    : input.trim() === ''
      ? { enabled: false, reason: 'Enter a number' }
      : view !== null && !view.valid
        ? { enabled: false, reason: view.reason ?? 'Not a number that can be dialled' }
        : { enabled: true };

  const placeCall = async (number: string): Promise<void> => {
    const result = await run((a) => a.desk.makeCall({ number }));
    if (result.ok) {
      setInput('');
      setActive(-1);
      nav.go('calls');
    }
  };

  const dialInput = async (): Promise<void> => {
    const chosen: Suggestion | undefined = suggestions[active];
    if (chosen !== undefined) return placeCall(chosen.number);
    // A name that matches exactly one entry dials it: "ali" + Enter calls Alice.
    const only = suggestions.length === 1 ? suggestions[0] : undefined;
    if ((view === null || !view.valid) && only !== undefined && only.name !== undefined)
      return placeCall(only.number);
    if (!callAvailability.enabled) return undefined;
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
  const saveFavourite = async (name: string): Promise<void> => {
    const number = dialable(input, view);
    const result = await run((a) =>
      a.app.setFavourites({ favourites: [...favourites, { name: name.trim(), number }] }),
    );
    if (result.ok) setNaming(null);
  };

  const hint =
    view === null
      ? ''
      : view.valid
        ? `Dials ${view.display}${view.rule === undefined ? '' : ` · ${view.rule}`}`
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
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => void placeCall(s.number)}
            >
              <Icon name={s.source === 'favourite' ? 'star' : 'history'} />
              <span className="suggestion-name">{s.name ?? s.number}</span>
              {s.name === undefined ? null : <span className="suggestion-number">{s.number}</span>}
            </li>
          ))}
        </ul>
        <div className="dial-actions">
          <ActionButton
            label="Call"
            action="makeCall"
            variant="good"
            icon="phone"
            availability={callAvailability}
            onPress={dialInput}
          />
          <ActionButton
            label="Add to favourites"
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
              <label htmlFor="favourite-name">Name for {view?.display ?? input}</label>
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
                    setNaming(null);
                  }
                }}
              />
            </div>
            <div className="panel-actions">
              <button
                type="submit"
                className="btn btn-primary"
                aria-disabled={naming.trim() === '' ? 'true' : undefined}
              >
                Save favourite
              </button>
              <button type="button" className="btn btn-quiet" onClick={() => setNaming(null)}>
                Cancel
              </button>
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
                  aria-label={`Call ${f.name}`}
                  onClick={() => void placeCall(f.number)}
                >
                  <Icon name="star" />
                  <span className="quick-name">{f.name}</span>
                  <span className="quick-number">{f.number}</span>
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
                  aria-label={`Call ${number}`}
                  onClick={() => void placeCall(number)}
                >
                  <Icon name="history" />
                  <span className="quick-name">{number}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}
