// Settings: a validated form; only changed fields are sent (app.updateSettings). The
// password is write-only: the host never sends it back, the box stays empty, and it is
// sent only when something was typed. Errors sit next to their field. Only the fields the host
// applies are shown (app.getHostInfo: the browser shell takes the rest from the gateway's
// configuration), so nothing here is saved to no effect.
import { useId, useState, type ReactNode } from 'react';
import type { SettingsView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { ActionButton, ActionGroup } from '../components/ActionButton.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { Switch } from '../components/Switch.js';
import {
  buildPatch,
  fieldErrorFromServer,
  formFromSettings,
  MAX_CTI_ADDRESSES,
  MAX_FAVOURITES,
  type FieldErrors,
  type SettingsForm,
  type ThemeChoice,
} from '../lib/settings-form.js';

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: string;
  type?: 'text' | 'password';
  inputMode?: 'text' | 'numeric';
  autoComplete?: string;
  placeholder?: string;
  maxLength?: number;
  className?: string;
  labelHidden?: boolean;
}

function TextField({
  label,
  value,
  onChange,
  error,
  hint,
  type = 'text',
  inputMode,
  autoComplete = 'off',
  placeholder,
  maxLength,
  className,
  labelHidden,
}: TextFieldProps) {
  const id = useId();
  const describedBy = [error === undefined ? null : `${id}-e`, hint === undefined ? null : `${id}-h`]
    .filter((x) => x !== null)
    .join(' ');
  return (
    <div className={className === undefined ? 'field' : `field ${className}`}>
      <label htmlFor={id} className={labelHidden ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <input
        id={id}
        type={type}
        inputMode={inputMode}
        autoComplete={autoComplete}
        spellCheck={false}
        placeholder={placeholder}
        maxLength={maxLength}
        value={value}
        aria-invalid={error === undefined ? undefined : 'true'}
        aria-describedby={describedBy === '' ? undefined : describedBy}
        onChange={(event) => onChange(event.target.value)}
      />
      {hint === undefined ? null : (
        <p id={`${id}-h`} className="hint">
          {hint}
        </p>
      )}
      {error === undefined ? null : (
        <p id={`${id}-e`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function Fieldset({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="settings-group">
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

const THEMES: ReadonlyArray<{ value: ThemeChoice; label: string }> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

function SettingsEditor({ settings }: { settings: SettingsView }) {
  const { run, notify, hostInfo } = useDeskContext();
  /** Whether this host applies a setting (all of them until the host has said). */
  const applies = (field: keyof SettingsView): boolean =>
    hostInfo === null || hostInfo.settings.includes(field);
  const [base, setBase] = useState(settings);
  const [form, setForm] = useState<SettingsForm>(() => formFromSettings(settings));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const pristine = JSON.stringify(form) === JSON.stringify(formFromSettings(base));

  // Settings changed elsewhere (tray, another window): follow them unless mid-edit.
  if (settings !== base && pristine) {
    setBase(settings);
    setForm(formFromSettings(settings));
  }

  const update = <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]): void => {
    setForm((f) => ({ ...f, [key]: value }));
  };
  const clearError = (path: string): void =>
    setErrors((e) => {
      if (!(path in e)) return e;
      const next = { ...e };
      delete next[path];
      return next;
    });

  const save = async (): Promise<void> => {
    const built = buildPatch(form, base);
    if (!built.ok) {
      setErrors(built.errors);
      notify('warning', 'Some settings need attention before they can be saved.', 'INVALID_ARGUMENT');
      return;
    }
    setErrors({});
    if (!built.changed) return;
    setSaving(true);
    const result = await run((a) => a.app.updateSettings(built.patch), 'save the settings');
    setSaving(false);
    if (result.ok) {
      setBase(result.value);
      setForm(formFromSettings(result.value));
      notify('info', 'Settings saved.');
    } else {
      const fieldError = fieldErrorFromServer(result.error.message);
      if (fieldError !== null) setErrors(fieldError);
    }
  };

  const addresses = form.ctiAddresses;
  const setAddress = (index: number, value: string): void => {
    update(
      'ctiAddresses',
      addresses.map((a, i) => (i === index ? value : a)),
    );
    clearError(`ctiAddresses.${index}`);
  };
  const moveAddress = (index: number, by: -1 | 1): void => {
    const next = [...addresses];
    const other = index + by;
    const a = next[index];
    const b = next[other];
    if (a === undefined || b === undefined) return;
    next[index] = b;
    next[other] = a;
    update('ctiAddresses', next);
    setErrors({});
  };

  return (
    <form
      className="settings-form"
      aria-label="Settings"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      {hostInfo?.kind === 'browserShell' ? (
        <p className="hint settings-scope">
          This browser window shows the phone of the gateway it came from: the link to the phone system, your
          user and the listeners are set in the gateway's configuration. Here you choose what this window
          shows.
        </p>
      ) : null}
      {applies('ctiAddresses') ? (
        <Fieldset legend="CTI Managers">
          <p className="hint">
            In priority order, up to {MAX_CTI_ADDRESSES}. None: the built-in CTI Manager simulator (demo
            cluster).
          </p>
          <ol className="address-list">
            {addresses.map((address, index) => (
              <li key={index} className="address-row">
                <TextField
                  label={`CTI Manager address ${index + 1}`}
                  labelHidden
                  value={address}
                  placeholder="host:port"
                  maxLength={300}
                  onChange={(value) => setAddress(index, value)}
                  error={errors[`ctiAddresses.${index}`]}
                  className="grow"
                />
                <button
                  type="button"
                  className="btn btn-quiet icon-only"
                  aria-label={`Move address ${index + 1} up`}
                  aria-disabled={index === 0 ? 'true' : undefined}
                  title={index === 0 ? 'Already first' : `Move address ${index + 1} up`}
                  onClick={() => index > 0 && moveAddress(index, -1)}
                >
                  <Icon name="up" />
                </button>
                <button
                  type="button"
                  className="btn btn-quiet icon-only"
                  aria-label={`Remove address ${index + 1}`}
                  onClick={() => {
                    update(
                      'ctiAddresses',
                      addresses.filter((_, i) => i !== index),
                    );
                    setErrors({});
                  }}
                >
                  <Icon name="trash" />
                </button>
              </li>
            ))}
          </ol>
          <ActionGroup label="Addresses" className="list-actions">
            <ActionButton
              label="Add address"
              variant="quiet"
              icon="plus"
              availability={
                addresses.length >= MAX_CTI_ADDRESSES
                  ? { enabled: false, reason: `At most ${MAX_CTI_ADDRESSES} addresses` }
                  : undefined
              }
              onPress={() => update('ctiAddresses', [...addresses, ''])}
            />
          </ActionGroup>
          {errors.ctiAddresses === undefined ? null : <p className="field-error">{errors.ctiAddresses}</p>}
          <TextField
            label="Application user"
            value={form.applicationUser}
            onChange={(value) => {
              update('applicationUser', value);
              clearError('applicationUser');
            }}
            error={errors.applicationUser}
            maxLength={128}
            autoComplete="username"
          />
          <TextField
            label="Password"
            type="password"
            value={form.password}
            onChange={(value) => {
              update('password', value);
              clearError('password');
            }}
            error={errors.password}
            autoComplete="new-password"
            maxLength={256}
            placeholder={base.hasPassword ? 'Stored — type to replace' : 'Not set'}
            hint={base.hasPassword ? 'A password is stored. It is never shown.' : undefined}
          />
          <TextField
            label="Heartbeat interval (seconds)"
            value={form.heartbeatIntervalSec}
            inputMode="numeric"
            onChange={(value) => {
              update('heartbeatIntervalSec', value);
              clearError('heartbeatIntervalSec');
            }}
            error={errors.heartbeatIntervalSec}
            maxLength={3}
          />
        </Fieldset>
      ) : null}

      {applies('userId') ? (
        <Fieldset legend="You">
          <TextField
            label="User ID"
            value={form.userId}
            onChange={(value) => {
              update('userId', value);
              clearError('userId');
            }}
            error={errors.userId}
            maxLength={128}
            hint="Your user ID on the phone system (your administrator knows it): it decides which lines you can control."
          />
        </Fieldset>
      ) : null}

      {applies('favourites') ? (
        <Fieldset legend="Favourites">
          {form.favourites.length === 0 ? (
            <p className="hint">No favourites yet. Add them here or from the Dial screen.</p>
          ) : null}
          <ul className="favourite-rows">
            {form.favourites.map((f, index) => (
              <li key={index} className="favourite-row">
                <TextField
                  label={`Favourite ${index + 1} name`}
                  labelHidden
                  placeholder="Name"
                  value={f.name}
                  maxLength={80}
                  className="grow"
                  error={errors[`favourites.${index}.name`]}
                  onChange={(value) => {
                    update(
                      'favourites',
                      form.favourites.map((x, i) => (i === index ? { ...x, name: value } : x)),
                    );
                    clearError(`favourites.${index}.name`);
                  }}
                />
                <TextField
                  label={`Favourite ${index + 1} number`}
                  labelHidden
                  placeholder="Number"
                  value={f.number}
                  maxLength={64}
                  className="grow"
                  error={errors[`favourites.${index}.number`]}
                  onChange={(value) => {
                    update(
                      'favourites',
                      form.favourites.map((x, i) => (i === index ? { ...x, number: value } : x)),
                    );
                    clearError(`favourites.${index}.number`);
                  }}
                />
                <button
                  type="button"
                  className="btn btn-quiet icon-only"
                  aria-label={`Remove favourite ${f.name === '' ? index + 1 : f.name}`}
                  onClick={() => {
                    update(
                      'favourites',
                      form.favourites.filter((_, i) => i !== index),
                    );
                    setErrors({});
                  }}
                >
                  <Icon name="trash" />
                </button>
              </li>
            ))}
          </ul>
          <ActionGroup label="Favourites" className="list-actions">
            <ActionButton
              label="Add favourite"
              variant="quiet"
              icon="plus"
              availability={
                form.favourites.length >= MAX_FAVOURITES
                  ? { enabled: false, reason: `At most ${MAX_FAVOURITES} favourites` }
                  : undefined
              }
              onPress={() => update('favourites', [...form.favourites, { name: '', number: '' }])}
            />
          </ActionGroup>
        </Fieldset>
      ) : null}

      <Fieldset legend="App">
        {applies('sipListenerEnabled') ? (
          <Switch
            label="SIP listener for Lync and Skype clients"
            checked={form.sipListenerEnabled}
            onChange={(on) => update('sipListenerEnabled', on)}
            description="Lets Microsoft RCC clients control their phones through this gateway"
          />
        ) : null}
        {applies('startAtLogin') ? (
          <Switch
            label="Start at login"
            checked={form.startAtLogin}
            onChange={(on) => update('startAtLogin', on)}
          />
        ) : null}
        {applies('theme') ? (
          <div className="field">
            <span className="field-label" id="theme-label">
              Theme
            </span>
            <div role="radiogroup" aria-labelledby="theme-label" className="segmented">
              {THEMES.map((t) => (
                <label key={t.value} className="segmented-option">
                  <input
                    type="radio"
                    name="theme"
                    value={t.value}
                    checked={form.theme === t.value}
                    onChange={() => update('theme', t.value)}
                  />
                  <span>{t.label}</span>
                </label>
              ))}
            </div>
          </div>
        ) : null}
        {applies('globalShortcut') ? (
          <TextField
            label="Global shortcut"
            value={form.globalShortcut}
            onChange={(value) => {
              update('globalShortcut', value);
              clearError('globalShortcut');
            }}
            error={errors.globalShortcut}
            maxLength={64}
            placeholder="e.g. CommandOrControl+Alt+D"
            hint="From any application: dials the number you selected or copied; with none, opens Dial."
          />
        ) : null}
      </Fieldset>

      <ActionGroup label="Save or revert" className="form-actions">
        <ActionButton
          label="Save settings"
          submit
          variant="primary"
          availability={
            saving
              ? { enabled: false, reason: 'Saving…' }
              : pristine
                ? { enabled: false, reason: 'Nothing has changed' }
                : undefined
          }
          onPress={save}
        />
        <ActionButton
          label="Revert"
          variant="quiet"
          availability={pristine ? { enabled: false, reason: 'Nothing has changed' } : undefined}
          onPress={() => {
            setForm(formFromSettings(base));
            setErrors({});
          }}
        />
      </ActionGroup>
    </form>
  );
}

export function SettingsScreen() {
  const { settings } = useDeskContext();
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Settings</ScreenHeading>
      {settings === null ? (
        <p className="muted">Loading settings…</p>
      ) : (
        <SettingsEditor settings={settings} />
      )}
    </section>
  );
}
